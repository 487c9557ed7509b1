//! The sample events in `events/` drive the real handlers: API Gateway v2 →
//! health, SQS → ai-worker, Scheduler → automation-runner.

use aws_lambda_events::event::sqs::SqsEvent;
use igny8::jobs::{Job, JobError, JobStatus, Registry};
use igny8::store::Item;
use igny8::store::keys::Tenant;
use igny8_e2e::{env, event};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

async fn http_event(name: &str) -> (u16, serde_json::Value, String) {
    let state = env().state().await;
    let req: lambda_http::request::LambdaRequest = serde_json::from_str(&event(name)).expect("event deserializes");
    let resp = igny8_health::handle(state, req.into()).await;
    let status = resp.status().as_u16();
    let header = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let body = match resp.into_body() {
        lambda_http::Body::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    (status, body, header)
}

#[tokio::test]
async fn apigw_health_event_is_served_with_api_gateways_request_id() {
    let (status, body, header) = http_event("apigw-http-health.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["table"]["reachable"], true);
    assert_eq!(body["request_id"], "6f1c2a3e-8b4d-4f6a-9c2e-1d3b5a7c9e01");
    assert_eq!(header, "6f1c2a3e-8b4d-4f6a-9c2e-1d3b5a7c9e01");
}

#[tokio::test]
async fn apigw_unknown_route_event_is_a_404_envelope() {
    let (status, body, _) = http_event("apigw-http-not-found.json").await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], "NOT_FOUND");
}

fn sqs_event() -> SqsEvent {
    serde_json::from_str(&event("sqs-ai-job.json")).expect("sqs event deserializes")
}

fn sample_job() -> Job {
    let msg: igny8::jobs::JobMessage = serde_json::from_str(sqs_event().records[0].body.as_deref().unwrap()).unwrap();
    let mut job = Job::new(&Tenant::from_verified(&msg.account_id), &msg.kind, serde_json::json!({}));
    job.id = msg.job_id;
    job
}

#[tokio::test]
async fn sqs_event_delivered_three_times_runs_the_job_once() {
    let state = env().state().await;
    let job = sample_job();
    state.store.create(&job).await.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let registry = Registry::new().register("noop", move |_s, _j| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, JobError>(serde_json::json!({"done": true}))
        }
    });
    for _ in 0..3 {
        let resp = igny8_ai_worker::handle_with(state.clone(), &registry, sqs_event()).await;
        assert!(resp.batch_item_failures.is_empty());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "three deliveries, one execution");
    let stored: Job = state.store.get(&job.key()).await.unwrap().unwrap();
    assert_eq!(stored.status, JobStatus::Completed);
    assert_eq!(stored.progress, 100);
    assert_eq!(stored.result, Some(serde_json::json!({"done": true})));
}

#[tokio::test]
async fn retryable_failures_are_reported_as_batch_item_failures_and_permanent_ones_fail_the_job() {
    let state = env().state().await;
    let tenant = Tenant::from_verified(igny8::ids::new_id());
    let flaky = Job::new(&tenant, "flaky", serde_json::json!({}));
    let broken = Job::new(&tenant, "broken", serde_json::json!({}));
    let unknown = Job::new(&tenant, "no-such-kind", serde_json::json!({}));
    for j in [&flaky, &broken, &unknown] {
        state.store.create(j).await.unwrap();
    }
    let registry = Registry::new()
        .register("flaky", |_s, _j| async { Err(JobError::Retryable("provider said 503".into())) })
        .register("broken", |_s, _j| async { Err(JobError::Permanent("output malformed after repair".into())) });
    let mut ev = sqs_event();
    let template = ev.records.remove(0);
    for (i, j) in [&flaky, &broken, &unknown].into_iter().enumerate() {
        let mut r = template.clone();
        r.message_id = Some(format!("m{i}"));
        r.body = Some(serde_json::json!({"job_id": j.id, "account_id": j.account_id, "kind": j.kind}).to_string());
        ev.records.push(r);
    }
    let resp = igny8_ai_worker::handle_with(state.clone(), &registry, ev).await;
    let failed: Vec<String> = resp.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
    assert_eq!(failed, vec!["m0".to_string()], "only the retryable one goes back to the queue");
    let get = |j: &Job| {
        let s = state.clone();
        let k = j.key();
        async move { s.store.get::<Job>(&k).await.unwrap().unwrap() }
    };
    let f = get(&flaky).await;
    assert_eq!((f.status, f.attempts), (JobStatus::Queued, 1), "released for the next delivery");
    let b = get(&broken).await;
    assert_eq!(b.status, JobStatus::Failed);
    assert_eq!(b.error.as_deref(), Some("output malformed after repair"));
    let u = get(&unknown).await;
    assert_eq!(u.status, JobStatus::Failed);
    assert!(u.error.unwrap().contains("no-such-kind"));
}

#[tokio::test]
async fn production_worker_acknowledges_a_message_for_a_missing_job() {
    let state = env().state().await;
    let mut ev = sqs_event();
    ev.records[0].body = Some(
        serde_json::json!({"job_id": igny8::ids::new_id(), "account_id": igny8::ids::new_id(), "kind": "noop"}).to_string(),
    );
    let resp = igny8_ai_worker::handle(state, ev).await.unwrap();
    assert!(resp.batch_item_failures.is_empty(), "a job that does not exist is never retried");
}

#[tokio::test]
async fn scheduler_event_records_an_execution_for_the_rule() {
    let state = env().state().await;
    let input: igny8_automation_runner::ScheduledInvocation =
        serde_json::from_str(&event("scheduler-automation.json")).expect("scheduler event deserializes");
    let run = igny8_automation_runner::handle(state.clone(), input.clone()).await.unwrap().expect("a first fire of the minute runs");
    assert_eq!(run.outcome, "skipped");
    assert!(run.detail.contains("no longer exists"), "{}", run.detail);
    let stored: igny8::automation::Execution = state.store.get(&run.key()).await.unwrap().unwrap();
    assert_eq!(stored, run);
    assert_eq!(stored.scheduled_time.as_deref(), Some("2026-11-25T06:00:00Z"));
    // Scheduler delivers at least once: the same minute again is dropped.
    assert!(igny8_automation_runner::handle(state.clone(), input.clone()).await.unwrap().is_none());
    // Junk input is refused, not recorded.
    let mut bad = input;
    bad.account_id = "../../etc".into();
    assert!(igny8_automation_runner::handle(state.clone(), bad).await.is_err());
}

/// A cold start of a function that signs or verifies tokens reads the
/// signing secret from Secrets Manager exactly once, and never again for its
/// invocations; a function that needs no secret never calls Secrets Manager.
#[tokio::test]
async fn a_cold_start_reads_the_signing_secret_once_and_only_when_it_needs_it() {
    use igny8::state::{AppState, ClientHooks, Secrets};
    let e = env();
    let sm = aws_sdk_secretsmanager::Client::new(&igny8::state::sdk_config(&e.config()).await);
    let created = sm.create_secret().name(format!("jwt-{}", igny8::ids::new_id())).secret_string(igny8_e2e::JWT_SECRET).send().await.unwrap();
    let mut config = e.config();
    config.environment = igny8::config::Environment::Aws;
    config.jwt_secret = None;
    config.jwt_secret_arn = Some(created.arn().unwrap().to_string());
    let boot = |secrets: Secrets, config: igny8::Config| async move {
        let calls = igny8_e2e::calls::Calls::new();
        let hooks = ClientHooks { secretsmanager: vec![aws_sdk_secretsmanager::config::SharedInterceptor::new(calls.clone())], ..Default::default() };
        (AppState::boot(config, secrets, hooks).await, calls)
    };

    let (state, calls) = boot(Secrets::Required, config.clone()).await;
    let state = Arc::new(state.expect("boots with the secret"));
    let gets = |c: &igny8_e2e::calls::Calls| c.all().iter().filter(|c| c.operation == "GetSecretValue").count();
    assert_eq!(gets(&calls), 1, "one Secrets Manager call for the cold start");
    // Invocations of the warm instance verify tokens with the secret read once.
    let user = igny8_e2e::register("cold-secret").await;
    for _ in 0..3 {
        let mut req: lambda_http::request::LambdaRequest = serde_json::from_str(&event("apigw-http-health.json")).unwrap();
        if let lambda_http::request::LambdaRequest::ApiGatewayV2(r) = &mut req {
            r.raw_path = Some("/api/v1/auth/me/".into());
            r.route_key = Some("GET /api/v1/auth/{proxy+}".into());
            r.request_context.http.path = Some("/api/v1/auth/me/".into());
            r.headers.insert("authorization", format!("Bearer {}", user.access).parse().unwrap());
        }
        let resp = igny8_auth::handle(state.clone(), req.into()).await;
        assert_eq!(resp.status().as_u16(), 200, "{:?}", resp.body());
    }
    assert_eq!(gets(&calls), 1, "still one call after three invocations");

    let (state, calls) = boot(Secrets::NotNeeded, config.clone()).await;
    assert!(state.expect("boots").tokens().is_err(), "no secret, no signer");
    assert_eq!(calls.all().len(), 0, "a function without secrets never calls Secrets Manager");

    // In AWS a function that needs the secret refuses to start without it.
    let mut missing = config.clone();
    missing.jwt_secret_arn = Some(format!("{}-gone", created.arn().unwrap()));
    let (state, calls) = boot(Secrets::Required, missing).await;
    assert!(state.is_err(), "refuses to start");
    assert!(gets(&calls) <= 1 + 3, "the SDK's own retries at most");
}
