//! The AI job framework against the emulator and a fake OpenAI server:
//! reservation at submit, settle on success, release on failure, retries,
//! repair of malformed output, duplicate deliveries, concurrency, cancel.

use igny8::ai::function::{Submission, submit};
use igny8::auth::guard::{Principal, Role};
use igny8::jobs::JobStatus;
use igny8::store::keys::Tenant as Tk;
use igny8_e2e::ai_support::*;
use igny8_e2e::{api, env, register};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn success_settles_the_real_cost_and_records_tokens() {
    let s = setup("ai-ok").await;
    let server = fake_openai(vec![completion(r#"{"title":"48 Hours in Lisbon"}"#)]).await;
    let job = submitted(&s, 10.0).await;
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(balance(&s).await, 90.0, "the estimate is reserved at submit");
    let runs = Arc::new(AtomicUsize::new(0));
    assert!(deliver(&s, &registry(providers(&server), runs.clone()), &job, 1).await.is_empty());
    let done = stored(&s, &job).await;
    assert_eq!(done.status, JobStatus::Completed, "{done:?}");
    assert_eq!(done.result, Some(json!({"title": "48 Hours in Lisbon"})));
    assert_eq!(done.credits_charged, Some(4.0));
    assert_eq!(done.tokens.total_tokens, 27);
    assert_eq!(done.provider.as_deref(), Some("openai"));
    assert_eq!(balance(&s).await, 96.0, "charged 4 of the 10 reserved");
    let kinds: Vec<&str> = ledger(&s).await.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>().into_iter().collect();
    assert_eq!(kinds.iter().filter(|k| **k == "reserve").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "settle").count(), 1);
}

#[tokio::test]
async fn rate_limits_server_errors_and_timeouts_are_retried_then_succeed() {
    for (case, first) in [
        ("429 with Retry-After", ResponseTemplate::new(429).insert_header("retry-after", "0").set_body_json(json!({"error": {"message": "slow down"}}))),
        ("500", ResponseTemplate::new(500).set_body_json(json!({"error": {"message": "oops"}}))),
        ("timeout", completion(r#"{"title":"late"}"#).set_delay(Duration::from_secs(2))),
    ] {
        let s = setup("ai-retry").await;
        let server = fake_openai(vec![first, completion(r#"{"title":"Lisbon on a budget"}"#)]).await;
        let job = submitted(&s, 10.0).await;
        let runs = Arc::new(AtomicUsize::new(0));
        assert!(deliver(&s, &registry(providers(&server), runs), &job, 1).await.is_empty(), "{case}");
        let done = stored(&s, &job).await;
        assert_eq!(done.status, JobStatus::Completed, "{case}: {done:?}");
        assert_eq!(server.received_requests().await.unwrap().len(), 2, "{case}: one retry");
        assert_eq!(balance(&s).await, 96.0, "{case}");
    }
}

#[tokio::test]
async fn malformed_output_is_repaired_once_and_twice_malformed_fails_and_releases() {
    // Repaired: a malformed answer, then a good one.
    let s = setup("ai-repair").await;
    let server = fake_openai(vec![completion("Sure! Here is a title: Lisbon"), completion(r#"{"title":"Lisbon, slowly"}"#)]).await;
    let job = submitted(&s, 10.0).await;
    assert!(deliver(&s, &registry(providers(&server), Arc::default()), &job, 1).await.is_empty());
    assert_eq!(stored(&s, &job).await.status, JobStatus::Completed);
    let second_prompt = &server.received_requests().await.unwrap()[1];
    let body: Value = serde_json::from_slice(&second_prompt.body).unwrap();
    assert!(body["messages"][1]["content"].as_str().unwrap().contains("could not be used"), "the repair request quotes the problem");

    // Malformed twice: failed, credits released, ledger shows reserve + release.
    let s = setup("ai-malformed").await;
    let server = fake_openai(vec![completion("not json"), completion(r#"{"title":""}"#)]).await;
    let job = submitted(&s, 10.0).await;
    assert!(deliver(&s, &registry(providers(&server), Arc::default()), &job, 1).await.is_empty(), "a permanent failure is not retried");
    let failed = stored(&s, &job).await;
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(failed.error.as_deref().unwrap_or_default().contains("malformed twice"), "{failed:?}");
    assert_eq!(failed.credits_charged, Some(0.0));
    assert_eq!(balance(&s).await, 100.0, "everything released");
    let lines = ledger(&s).await;
    let job_lines: Vec<&str> = lines.iter().filter(|t| t.job_id.as_deref() == Some(&job.id)).map(|t| t.kind.as_str()).collect();
    assert_eq!(job_lines.len(), 2, "{job_lines:?}");
    assert!(job_lines.contains(&"reserve") && job_lines.contains(&"release"), "{job_lines:?}");
}

#[tokio::test]
async fn a_message_delivered_three_times_runs_once_and_charges_once() {
    let s = setup("ai-dup").await;
    let server = fake_openai(vec![completion(r#"{"title":"Lisbon"}"#)]).await;
    let job = submitted(&s, 10.0).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let reg = registry(providers(&server), runs.clone());
    assert!(deliver(&s, &reg, &job, 3).await.is_empty());
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one execution");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "one provider call");
    let settles = ledger(&s).await.iter().filter(|t| t.kind.as_str() == "settle").count();
    assert_eq!(settles, 1, "one charge");
    assert_eq!(balance(&s).await, 96.0);
}

#[tokio::test]
async fn retryable_failures_go_back_to_the_queue_and_the_last_attempt_releases() {
    let s = setup("ai-giveup").await;
    let server = fake_openai(vec![ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "overloaded"}}))]).await;
    let job = submitted(&s, 10.0).await;
    let reg = registry(providers(&server), Arc::default());
    let max = s.state.config.ai.max_attempts as usize;
    for attempt in 1..max {
        let failures = deliver(&s, &reg, &job, 1).await;
        assert_eq!(failures.len(), 1, "attempt {attempt}: the message goes back to the queue");
        let j = stored(&s, &job).await;
        assert_eq!((j.status, j.attempts as usize), (JobStatus::Queued, attempt));
        assert_eq!(balance(&s).await, 90.0, "credits stay reserved between attempts");
    }
    assert!(deliver(&s, &reg, &job, 1).await.is_empty(), "the last attempt fails the job instead");
    let j = stored(&s, &job).await;
    assert_eq!(j.status, JobStatus::Failed);
    assert!(j.error.unwrap().contains("gave up"));
    assert_eq!(balance(&s).await, 100.0);
}

#[tokio::test]
async fn fifty_concurrent_submissions_against_credits_for_ten() {
    let s = setup("ai-race").await;
    let before = balance(&s).await;
    assert_eq!(before, 100.0);
    let f = Arc::new(TitleFn { executions: Arc::default() });
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (state, owner, f) = (s.state.clone(), s.owner.clone(), f.clone());
            tokio::spawn(async move { submit(&state, &owner, f.as_ref(), json!({"topic": format!("topic {i}"), "cost": 10.0}), false).await })
        })
        .collect();
    let mut accepted = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Submission::Queued(_)) => accepted += 1,
            Err(e) if e.code() == "INSUFFICIENT_CREDITS" => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((accepted, refused), (10, 40));
    let after = balance(&s).await;
    assert_eq!(after, 0.0);
    let lines = ledger(&s).await;
    assert!(lines.iter().all(|t| t.balance_after >= 0.0 && t.plan_after >= 0.0 && t.bonus_after >= 0.0), "never negative");
    let reserves: f64 = lines.iter().filter(|t| t.kind.as_str() == "reserve").map(|t| t.amount).sum();
    assert_eq!(reserves, after - before, "the ledger sums to the balance change");
    let jobs = igny8::jobs::list(&s.state, &s.tenant, Some("queued"), 100, None).await.unwrap();
    assert_eq!(jobs.results.len(), 10, "one job per accepted submission");
}

#[tokio::test]
async fn dry_run_prices_without_moving_credits_and_bad_input_is_400_before_reserving() {
    let s = setup("ai-dry").await;
    let f = TitleFn { executions: Arc::default() };
    let out = submit(&s.state, &s.owner, &f, json!({"topic": "Porto", "cost": 30.0}), true).await.unwrap();
    let v = serde_json::to_value(&out).unwrap();
    assert_eq!((v["dry_run"].as_bool(), v["estimated_credits"].as_f64()), (Some(true), Some(30.0)), "{v}");
    assert_eq!(v["would_run"]["topic"], "Porto");
    let err = submit(&s.state, &s.owner, &f, json!({"cost": 5.0}), false).await.unwrap_err();
    assert_eq!(err.code(), "VALIDATION_ERROR");
    let err = submit(&s.state, &s.owner, &f, json!({"topic": "x", "cost": 500.0}), false).await.unwrap_err();
    assert_eq!(err.code(), "INSUFFICIENT_CREDITS");
    assert_eq!(balance(&s).await, 100.0);
    assert_eq!(ledger(&s).await.len(), 1, "only the sign-up grant");
    assert!(igny8::jobs::list(&s.state, &s.tenant, None, 10, None).await.unwrap().results.is_empty(), "nothing enqueued");
}

#[tokio::test]
async fn jobs_and_credits_over_http_cancel_releases_and_other_tenants_see_nothing() {
    let t = register("jobs-http").await;
    let s = Setup {
        state: env().state().await,
        owner: Principal { user_id: t.user_id.clone(), account_id: t.account_id.clone(), role: Role::Owner, email: t.email.clone(), is_staff: false },
        tenant: Tk::from_verified(&t.account_id),
    };
    let job = submitted(&s, 25.0).await;
    let (status, body) = api("GET", &format!("/api/v1/jobs/{}/", job.id), Some(&t.access), None).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("queued")), "{body}");
    assert_eq!(body["data"]["credits_estimate"], 25.0);
    let (_, body) = api("GET", "/api/v1/credits/balance/", Some(&t.access), None).await;
    assert_eq!(body["data"]["total"], 75.0);
    // Another tenant: 404 for reading and cancelling.
    let b = register("jobs-other").await;
    for (m, p) in [("GET", format!("/api/v1/jobs/{}/", job.id)), ("POST", format!("/api/v1/jobs/{}/cancel/", job.id))] {
        let (status, body) = api(m, &p, Some(&b.access), None).await;
        assert_eq!(status, 404, "B: {m} {p} -> {body}");
    }
    // Cancel: released; a second cancel is a 409 naming the state.
    let (status, body) = api("POST", &format!("/api/v1/jobs/{}/cancel/", job.id), Some(&t.access), None).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("cancelled")), "{body}");
    let (_, body) = api("GET", "/api/v1/credits/balance/", Some(&t.access), None).await;
    assert_eq!(body["data"]["total"], 100.0);
    let (status, body) = api("POST", &format!("/api/v1/jobs/{}/cancel/", job.id), Some(&t.access), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    // Lists and filters.
    let (_, body) = api("GET", "/api/v1/jobs/?status=cancelled", Some(&t.access), None).await;
    assert_eq!(body["data"]["results"][0]["id"], job.id.as_str());
    let (status, body) = api("GET", "/api/v1/jobs/?status=sleeping", Some(&t.access), None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("status")), "{body}");
    let (_, body) = api("GET", "/api/v1/credits/transactions/?type=release", Some(&t.access), None).await;
    assert_eq!(body["data"]["results"][0]["job_id"], job.id.as_str(), "{body}");
    let (_, body) = api("GET", "/api/v1/credits/transactions/", Some(&t.access), None).await;
    let kinds: Vec<&str> = body["data"]["results"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["release", "reserve", "grant"], "newest first");
    let (status, _) = api("GET", "/api/v1/credits/transactions/?type=gift", Some(&t.access), None).await;
    assert_eq!(status, 400);
    let (status, _) = api("GET", "/api/v1/credits/transactions/?from=yesterday", Some(&t.access), None).await;
    assert_eq!(status, 400);
    let (_, b_txns) = api("GET", "/api/v1/credits/transactions/", Some(&b.access), None).await;
    assert_eq!(b_txns["data"]["results"].as_array().unwrap().len(), 1, "B sees only its own grant");
}


#[tokio::test]
async fn an_account_over_its_running_job_cap_waits_in_the_queue_without_using_an_attempt() {
    let s = setup("ai-cap").await;
    let mut config = env().config();
    config.ai.max_running_per_account = 1;
    let capped = Setup { state: Arc::new(igny8::AppState::new(config).await), owner: s.owner.clone(), tenant: s.tenant.clone() };
    let server = fake_openai(vec![completion(r#"{"title":"Lisbon"}"#)]).await;
    let reg = registry(providers(&server), Arc::default());
    // Another job of the account holds the only slot.
    let busy = igny8::ids::new_id();
    assert_eq!(igny8::jobs::acquire_slot(&capped.state, &capped.tenant, &busy, 1).await.unwrap(), Some(0));
    let job = submitted(&capped, 10.0).await;
    assert!(deliver(&capped, &reg, &job, 1).await.is_empty(), "acknowledged: a fresh delayed message waits instead (no receive used)");
    let waiting = stored(&capped, &job).await;
    assert_eq!((waiting.status, waiting.attempts), (JobStatus::Queued, 0), "no attempt used");
    // Other accounts are not held back.
    let other = setup("ai-cap-other").await;
    let other = Setup { state: capped.state.clone(), owner: other.owner, tenant: other.tenant };
    let job2 = submitted(&other, 10.0).await;
    assert!(deliver(&other, &reg, &job2, 1).await.is_empty());
    assert_eq!(stored(&other, &job2).await.status, JobStatus::Completed);
    // The slot frees; the waiting job runs.
    igny8::jobs::release_slot(&capped.state, &capped.tenant, &busy, 0).await;
    assert!(deliver(&capped, &reg, &job, 1).await.is_empty());
    assert_eq!(stored(&capped, &job).await.status, JobStatus::Completed);
}

#[tokio::test]
async fn the_provider_rate_limit_is_shared_by_concurrent_workers() {
    // Five concurrent callers, a budget of 3 per minute: exactly 3 get through
    // (the scenario is repeated if the minute turns over while it runs).
    let state = env().state().await;
    for _ in 0..3 {
        let provider = format!("test-provider-{}", igny8::ids::new_id());
        let minute = igny8::ids::now_epoch() / 60;
        let tries: Vec<_> = (0..5)
            .map(|_| {
                let (state, provider) = (state.clone(), provider.clone());
                tokio::spawn(async move { igny8::ai::rate::acquire(&state, &provider, 3, Duration::ZERO).await.unwrap() })
            })
            .collect();
        let mut granted = 0;
        for t in tries {
            granted += usize::from(t.await.unwrap());
        }
        if igny8::ids::now_epoch() / 60 == minute {
            assert_eq!(granted, 3);
            return;
        }
    }
    panic!("the minute turned over three times in a row");
}

/// Receives from the real `ai-jobs` queue until the message of `job_id`
/// arrives (others are made visible again at once), or `within` passes.
async fn receive_job_message(s: &Setup, job_id: &str, within: Duration) -> Option<aws_sdk_sqs::types::Message> {
    let url = &env().resources.ai_jobs_queue_url;
    let until = std::time::Instant::now() + within;
    while std::time::Instant::now() < until {
        let out = s
            .state
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        let mut found = None;
        for m in out.messages.unwrap_or_default() {
            if m.body().is_some_and(|b| b.contains(job_id)) {
                found = Some(m);
            } else {
                let _ = s.state.sqs.change_message_visibility().queue_url(url).receipt_handle(m.receipt_handle().unwrap()).visibility_timeout(0).send().await;
            }
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

#[tokio::test]
async fn a_message_to_retry_comes_back_after_a_short_backoff_not_the_visibility_timeout() {
    let s = setup("ai-backoff").await;
    let server = fake_openai(vec![ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "overloaded"}}))]).await;
    let job = submitted(&s, 10.0).await;
    let m = receive_job_message(&s, &job.id, Duration::from_secs(10)).await.expect("the job's message is on the queue");
    let queue_name = env().resources.ai_jobs_queue_url.rsplit('/').next().unwrap().to_string();
    let mut attributes = std::collections::HashMap::new();
    attributes.insert("ApproximateReceiveCount".to_string(), "1".to_string());
    let mut record = aws_lambda_events::event::sqs::SqsMessage::default();
    record.message_id = m.message_id().map(str::to_string);
    record.receipt_handle = m.receipt_handle().map(str::to_string);
    record.body = m.body().map(str::to_string);
    record.event_source_arn = Some(format!("arn:aws:sqs:us-east-1:123456789012:{queue_name}"));
    record.attributes = attributes;
    let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
    event.records = vec![record.clone()];
    assert_eq!(igny8_ai_worker::retry_delay(&record), 5);
    let sent = std::time::Instant::now();
    let resp = igny8_ai_worker::handle_with(s.state.clone(), &registry(providers(&server), Arc::default()), event).await;
    assert_eq!(resp.batch_item_failures.len(), 1, "the provider is down: retry");
    // The queue's visibility timeout is 30 minutes; the worker set 5 s.
    let again = receive_job_message(&s, &job.id, Duration::from_secs(15)).await;
    let waited = sent.elapsed();
    assert!(again.is_some(), "the message came back within 15 s");
    assert!(waited >= Duration::from_secs(3), "not at once: {waited:?}");
    assert_eq!(stored(&s, &job).await.status, JobStatus::Queued);
}
