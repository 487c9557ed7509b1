//! Hardening (issue 10): the failures real DynamoDB and SQS bring that the
//! emulator never produces, injected through `igny8_e2e::faults`, and the
//! job/credit paths that must survive them.

use aws_sdk_sqs::types::QueueAttributeName;
use igny8::ai::function::{Submission, submit};
use igny8::jobs::{Job, JobStatus, Registry};
use igny8_e2e::ai_support::*;
use igny8_e2e::faults::{Fault, Faults, Rule};
use igny8_e2e::{api, env, workspace};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Checks the ledger against the balance: every line is non-negative and the
/// lines sum to the change since `before`.
async fn ledger_matches_balance(s: &Setup, before: f64) {
    let lines = ledger(s).await;
    assert!(lines.iter().all(|t| t.balance_after >= 0.0 && t.plan_after >= 0.0 && t.bonus_after >= 0.0), "never negative");
    let sum: f64 = lines.iter().filter(|t| t.kind.as_str() != "grant").map(|t| t.amount).sum();
    let after = balance(s).await;
    assert!((sum - (after - before)).abs() < 1e-6, "the ledger ({sum}) sums to the balance change ({before} -> {after})");
}

// Item 1: 50 concurrent spends against credits for 10, while a third of the
// account's transactions are cancelled with `TransactionConflict`, one in
// seven is throttled and two reservations land but lose their answer. Before
// the fix a conflict was a 500 and a lost answer a 409 with the credits gone.
#[tokio::test]
async fn fifty_concurrent_spends_survive_injected_conflicts_throttling_and_lost_answers() {
    let s = setup("hard-race").await;
    let faults = Faults::new()
        .with(Rule::new("TransactWriteItems", Fault::LostResponse).containing(s.tenant.account_id()).containing("#reserve").at_most(2))
        .with(Rule::new("TransactWriteItems", Fault::TransactionConflict).containing(s.tenant.account_id()).every(3))
        .with(Rule::new("TransactWriteItems", Fault::Throttle).containing(s.tenant.account_id()).every(7));
    let state = faults.state().await;
    let before = balance(&s).await;
    assert_eq!(before, 100.0);
    let f = Arc::new(TitleFn { executions: Arc::default() });
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (state, owner, f) = (state.clone(), s.owner.clone(), f.clone());
            tokio::spawn(async move { submit(&state, &owner, f.as_ref(), json!({"topic": format!("topic {i}"), "cost": 10.0}), false).await })
        })
        .collect();
    let (mut accepted, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(Submission::Queued(_)) => accepted += 1,
            Err(e) if e.code() == "INSUFFICIENT_CREDITS" => refused += 1,
            other => panic!("sent 50 concurrent 10-credit submissions with faults injected; one answered {other:?}"),
        }
    }
    let hits = faults.hits();
    faults.clear();
    assert!(hits.iter().all(|&h| h > 0), "every fault was injected at least once: {hits:?}");
    assert_eq!((accepted, refused), (10, 40), "exactly 10 of 50 fit in 100 credits");
    assert_eq!(balance(&s).await, 0.0);
    ledger_matches_balance(&s, before).await;
    let reserves = ledger(&s).await.iter().filter(|t| t.kind.as_str() == "reserve").count();
    assert_eq!(reserves, 10, "one reservation per accepted job, even for the two whose answer was lost");
    let jobs = igny8::jobs::list(&s.state, &s.tenant, Some("queued"), 100, None).await.unwrap();
    assert_eq!(jobs.results.len(), 10, "one job per accepted submission");
    assert!(jobs.results.iter().all(|j| j.reservation.is_some_and(|r| r.total() == 10.0)), "each job holds its 10 credits");
}

// Item 1: a transaction that stays contended past every retry is a 429 with
// Retry-After, never a 500, and nothing is written.
#[tokio::test]
async fn a_transaction_that_stays_contended_is_a_429_and_writes_nothing() {
    let s = setup("hard-busy").await;
    let faults = Faults::new().with(Rule::new("TransactWriteItems", Fault::TransactionConflict).containing(s.tenant.account_id()));
    let state = faults.state().await;
    let f = TitleFn { executions: Arc::default() };
    let err = match submit(&state, &s.owner, &f, json!({"topic": "busy", "cost": 10.0}), false).await {
        Err(e) => e,
        Ok(other) => panic!("every transaction conflicted, yet the submission answered {other:?}"),
    };
    faults.clear();
    assert_eq!((err.status().as_u16(), err.code()), (429, "RATE_LIMITED"), "{err:?}");
    assert_eq!(balance(&s).await, 100.0, "nothing reserved");
    assert!(ledger(&s).await.iter().all(|t| t.kind.as_str() == "grant"), "no ledger line but the sign-up grant");
}

/// A registry with one job kind that takes `secs` seconds.
fn slow_registry(secs: u64, runs: Arc<AtomicUsize>) -> Registry {
    Registry::new().register("test_slow", move |_state, _job| {
        let runs = runs.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(secs)).await;
            Ok(json!({"slept": secs}))
        }
    })
}

// Item 2: ten 3-second jobs of one account on the 3-slot cap, through a real
// queue whose redrive sends a message to the dead-letter queue after 2
// receives. Waiting for a slot re-sends a fresh delayed message, so no
// message is received twice, none reaches the DLQ, all ten complete with one
// attempt each. (Before: each wait returned the message, burning a receive.)
#[tokio::test]
async fn ten_long_jobs_on_three_slots_all_complete_without_burning_receives() {
    let s = setup("hard-slots").await;
    let sqs = &s.state.sqs;
    let dlq = sqs.create_queue().queue_name(format!("slots-dlq-{}", igny8::ids::new_id())).send().await.unwrap().queue_url.unwrap();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let queue = sqs
        .create_queue()
        .queue_name(format!("slots-{}", igny8::ids::new_id()))
        .attributes(QueueAttributeName::RedrivePolicy, json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}).to_string())
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let mut config = env().config();
    config.ai_jobs_queue_url = Some(queue.clone());
    config.ai.max_running_per_account = 3;
    let state = Arc::new(igny8::AppState::new(config).await);
    let runs = Arc::new(AtomicUsize::new(0));
    let registry: &'static Registry = Box::leak(Box::new(slow_registry(3, runs.clone())));
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(igny8::jobs::enqueue(&state, &s.tenant, "test_slow", json!({"n": i})).await.unwrap().id);
    }
    let started = Instant::now();
    let mut done = Vec::new();
    while started.elapsed() < Duration::from_secs(120) {
        xtask::worker::poll_once(&state, registry, &queue, Duration::from_secs(1)).await.unwrap();
        done.clear();
        for id in &ids {
            let job: Job = state.store.get(&igny8::store::keys::job(&s.tenant, id)).await.unwrap().unwrap();
            done.push(job);
        }
        if done.iter().all(|j| j.status.is_final()) {
            break;
        }
    }
    let statuses: Vec<JobStatus> = done.iter().map(|j| j.status).collect();
    assert!(statuses.iter().all(|st| *st == JobStatus::Completed), "all ten complete: {statuses:?}");
    assert!(done.iter().all(|j| j.attempts == 1), "attempts count real tries only: {:?}", done.iter().map(|j| j.attempts).collect::<Vec<_>>());
    assert_eq!(runs.load(Ordering::SeqCst), 10, "each job ran once");
    let in_dlq = sqs.receive_message().queue_url(&dlq).wait_time_seconds(0).send().await.unwrap().messages.unwrap_or_default();
    assert!(in_dlq.is_empty(), "no message reached the dead-letter queue: {in_dlq:?}");
}

// Item 3: cancel releases atomically. With every transaction of the account
// throttled, cancel fails with a 429 and the job stays queued with its
// credits held — and is cancellable again; once the store answers, cancel
// releases exactly once. (Before: the job was cancelled first, the release
// failed, and a second cancel was a 409 with the credits held forever.)
#[tokio::test]
async fn a_cancel_whose_release_fails_leaves_the_job_queued_and_cancellable() {
    let s = setup("hard-cancel").await;
    let before = balance(&s).await;
    let job = submitted(&s, 10.0).await;
    let faults = Faults::new().with(Rule::new("TransactWriteItems", Fault::Throttle).containing(s.tenant.account_id()));
    let state = faults.state().await;
    let err = igny8::jobs::cancel(&state, &s.tenant, &job.id).await.expect_err("every transaction was throttled");
    assert_eq!(err.code(), "RATE_LIMITED", "{err:?}");
    faults.clear();
    let stored_job = stored(&s, &job).await;
    assert_eq!(stored_job.status, JobStatus::Queued, "a failed release leaves the job queued");
    assert_eq!(balance(&s).await, before - 10.0, "credits still held by the queued job");
    let cancelled = igny8::jobs::cancel(&s.state, &s.tenant, &job.id).await.expect("cancellable again");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(cancelled.credits_charged, Some(0.0));
    assert_eq!(balance(&s).await, before, "released once");
    let again = igny8::jobs::cancel(&s.state, &s.tenant, &job.id).await.expect_err("a cancelled job is not cancelled twice");
    assert_eq!(err_code(&again), "CONFLICT");
    assert_eq!(balance(&s).await, before, "still released once");
    ledger_matches_balance(&s, before).await;
}

fn err_code(e: &igny8::AppError) -> &'static str {
    e.code()
}

// Item 3: a job whose outcome write keeps failing (the table throttles every
// write of the finished job) is finished by the next receive of its message,
// not skipped as "owned by another delivery". Credits are settled once.
#[tokio::test]
async fn a_job_whose_outcome_write_failed_is_finished_by_the_redelivery() {
    let s = setup("hard-outcome").await;
    let before = balance(&s).await;
    let server = fake_openai(vec![completion(r#"{"title": "Lisbon in three days"}"#)]).await;
    let executions = Arc::new(AtomicUsize::new(0));
    let reg = registry(providers(&server), executions.clone());
    let job = submitted(&s, 10.0).await;
    // Every write of the job's completed state is throttled.
    let faults = Faults::new().with(Rule::new("PutItem", Fault::Throttle).containing(&job.id).containing("\"completed\""));
    let state = faults.state().await;
    let record = |receive: u32| {
        let mut r = aws_lambda_events::event::sqs::SqsMessage::default();
        r.message_id = Some(format!("msg-{}", job.id));
        r.body = Some(json!({"job_id": job.id, "account_id": job.account_id, "kind": job.kind}).to_string());
        r.attributes.insert("ApproximateReceiveCount".into(), receive.to_string());
        let mut e = aws_lambda_events::event::sqs::SqsEvent::default();
        e.records = vec![r];
        e
    };
    let first = igny8_ai_worker::handle_with(state.clone(), &reg, record(1)).await;
    assert_eq!(first.batch_item_failures.len(), 1, "the outcome could not be written: the message goes back");
    assert!(faults.hits()[0] > 0);
    faults.clear();
    assert_eq!(stored(&s, &job).await.status, JobStatus::Running, "left running by the failed write");
    // A concurrent duplicate of the same receive does not take it over…
    let dup = igny8_ai_worker::handle_with(s.state.clone(), &reg, record(1)).await;
    assert!(dup.batch_item_failures.is_empty());
    assert_eq!(stored(&s, &job).await.status, JobStatus::Running);
    // …the message's next receive finishes it.
    let second = igny8_ai_worker::handle_with(s.state.clone(), &reg, record(2)).await;
    assert!(second.batch_item_failures.is_empty(), "finished on redelivery");
    let done = stored(&s, &job).await;
    assert_eq!(done.status, JobStatus::Completed, "{done:?}");
    assert_eq!(done.result.as_ref().unwrap()["title"], "Lisbon in three days");
    let lines = ledger(&s).await;
    assert_eq!(lines.iter().filter(|t| t.kind.as_str() == "settle").count(), 1, "settled once");
    assert_eq!(balance(&s).await, before - 4.0, "charged the real cost once");
    ledger_matches_balance(&s, before).await;
}

// Item 3: the sweeper fails a job stuck in `running` past its lease and
// releases its credits in the same transaction; a queued job whose message
// may be lost gets it sent again.
#[tokio::test]
async fn the_sweeper_fails_expired_running_jobs_and_resends_stale_queued_ones() {
    let s = setup("hard-sweep").await;
    let before = balance(&s).await;
    let now = igny8::ids::now_epoch();
    // A job whose worker died: running, lease expired a minute ago.
    let mut stuck = submitted(&s, 10.0).await;
    stuck = stored(&s, &stuck).await;
    stuck.status = JobStatus::Running;
    stuck.attempts = 1;
    stuck.lease_until = Some(now - 60);
    stuck.sweep_after = Some(now - 60);
    s.state.store.update_versioned(&mut stuck).await.unwrap();
    // A queued job that has waited past the resend time.
    let mut waiting = stored(&s, &submitted(&s, 5.0).await).await;
    waiting.sweep_after = Some(now - 1);
    s.state.store.update_versioned(&mut waiting).await.unwrap();
    // A fresh queued job: not due.
    let fresh = submitted(&s, 5.0).await;

    let report = igny8::jobs::sweep(&s.state, now).await.unwrap();
    assert!(report.failed >= 1 && report.resent >= 1, "{report:?}");
    let stuck = stored(&s, &stuck).await;
    assert_eq!(stuck.status, JobStatus::Failed);
    assert!(stuck.error.as_deref().unwrap_or_default().contains("lease expired"), "{:?}", stuck.error);
    let waiting = stored(&s, &waiting).await;
    assert_eq!(waiting.status, JobStatus::Queued);
    assert!(waiting.sweep_after.unwrap() > now, "next look pushed forward");
    assert_eq!(stored(&s, &fresh).await.sweep_after, fresh.sweep_after, "the fresh job was not touched");
    assert_eq!(balance(&s).await, before - 10.0, "the stuck job's 10 credits are back; the two queued jobs hold theirs");
    ledger_matches_balance(&s, before).await;
    // A second sweep finds nothing more to do for these jobs.
    let again = igny8::jobs::sweep(&s.state, now).await.unwrap();
    assert_eq!(stored(&s, &stuck).await.status, JobStatus::Failed);
    assert!(again.errors == 0, "{again:?}");
    assert_eq!(balance(&s).await, before - 10.0, "released once");
}

// Item 10: a cursor from the keywords list given to the clusters list of the
// same site is a 400, not a 500.
#[tokio::test]
async fn a_cursor_from_one_list_is_refused_by_another() {
    let (t, site, sector) = workspace("hard-cursor").await;
    for kw in ["lisbon tram 28", "lisbon food tour", "lisbon day trips"] {
        let (st, b) = api("POST", "/api/v1/planner/keywords/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "keyword": kw}))).await;
        assert_eq!(st, 201, "{b}");
    }
    let (st, page) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&limit=1"), Some(&t.access), None).await;
    assert_eq!(st, 200, "{page}");
    let cursor = page["data"]["next_cursor"].as_str().expect("a next page").to_string();
    let (st, b) = api("GET", &format!("/api/v1/planner/clusters/?site_id={site}&cursor={cursor}"), Some(&t.access), None).await;
    assert_eq!((st, b["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "a keywords cursor sent to the clusters list answered {b}");
    let (st, b) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&limit=1&cursor={cursor}"), Some(&t.access), None).await;
    assert_eq!(st, 200, "the cursor still works on its own list: {b}");
}

/// A chat provider that lets a person edit the content while the AI is
/// "thinking" (before answering its first request), then answers offline.
struct EditingChat {
    inner: Arc<dyn igny8::ai::provider::ChatProvider>,
    edit: tokio::sync::Mutex<Option<futures::future::BoxFuture<'static, ()>>>,
}

impl igny8::ai::provider::ChatProvider for EditingChat {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn model(&self) -> &str {
        self.inner.model()
    }
    fn chat<'a>(
        &'a self,
        req: &'a igny8::ai::provider::ChatRequest,
    ) -> futures::future::BoxFuture<'a, Result<igny8::ai::provider::ChatResponse, igny8::ai::provider::ProviderError>> {
        Box::pin(async move {
            if let Some(edit) = self.edit.lock().await.take() {
                edit.await;
            }
            self.inner.chat(req).await
        })
    }
}

// Item 6: a person edits the content while a regeneration runs. The edit
// stays current; the AI's result is kept as a version with status
// `conflict` (listed, restorable), and the job result says so. (Before: the
// regeneration saved over whatever was stored, erasing the edit.)
#[tokio::test]
async fn an_edit_made_during_a_regeneration_stays_current() {
    let (t, site, _sector) = workspace("hard-edit").await;
    let tok = Some(t.access.as_str());
    let body = format!("<p>{}</p><h2>Trams</h2><p>{}</p>", "lisbon city break ".repeat(40), "tram 28 rides ".repeat(40));
    let (st, c) = api(
        "POST",
        "/api/v1/writer/content/",
        tok,
        Some(json!({"site_id": site, "title": "Lisbon city break guide", "body_html": body, "focus_keyword": "lisbon city break"})),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let id = c["data"]["id"].as_str().unwrap().to_string();
    let (st, job) = api("POST", &format!("/api/v1/writer/content/{id}/regenerate/"), tok, Some(json!({"site_id": site, "instructions": "Shorter intro."}))).await;
    assert_eq!(st, 202, "{job}");
    let job_id = job["data"]["id"].as_str().unwrap().to_string();

    let edited = "<p>My own words about a lisbon city break, written while the AI worked.</p>".to_string();
    let (edit_site, edit_id, edit_tok, edit_body) = (site.clone(), id.clone(), t.access.clone(), edited.clone());
    let edit = Box::pin(async move {
        let (st, b) = api(
            "PATCH",
            &format!("/api/v1/writer/content/{edit_id}/?site_id={edit_site}"),
            Some(&edit_tok),
            Some(json!({"body_html": edit_body, "version": 1})),
        )
        .await;
        assert_eq!(st, 200, "the person's edit: {b}");
    });
    let mut providers = offline();
    providers.chat = Arc::new(EditingChat { inner: providers.chat.clone(), edit: tokio::sync::Mutex::new(Some(edit)) });
    let state = env().state().await;
    let done = deliver_by_id(&state, &production_registry(providers), &t.account_id, &job_id, 1).await;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let result = done.result.unwrap();
    assert_eq!(result["conflict"], true, "the job result says the edit won: {result}");

    let (_, now) = api("GET", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, None).await;
    assert_eq!(now["data"]["body_html"].as_str(), Some(edited.as_str()), "the edit stays current: {now}");
    assert_eq!(now["data"]["current_version"], 2);
    let (_, versions) = api("GET", &format!("/api/v1/writer/content/{id}/versions/?site_id={site}"), tok, None).await;
    let v = versions["data"]["results"].as_array().unwrap();
    let summary: Vec<(u64, &str, &str)> =
        v.iter().map(|v| (v["number"].as_u64().unwrap(), v["source"].as_str().unwrap(), v["status"].as_str().unwrap())).collect();
    assert_eq!(summary, vec![(3, "regenerate", "conflict"), (2, "edit", "saved"), (1, "create", "saved")], "{versions}");
    assert_eq!(result["version"], 3);
    // The next edit gets the next free number, after the conflict version.
    let (st, b) = api(
        "PATCH",
        &format!("/api/v1/writer/content/{id}/?site_id={site}"),
        tok,
        Some(json!({"body_html": "<p>Another lisbon city break edit.</p>", "version": now["data"]["version"]})),
    )
    .await;
    assert_eq!((st, b["data"]["current_version"].as_u64()), (200, Some(4)), "{b}");
}

/// Every route of every HTTP function, `(method, pattern)`.
fn all_routes() -> Vec<(String, String)> {
    [
        igny8_auth::router(),
        igny8_accounts::router(),
        igny8_sites::router(),
        igny8_jobs::router(),
        igny8_credits::router(),
        igny8_planner::router(),
        igny8_writer::router(),
        igny8_integration::router(),
        igny8_automation::router(),
        igny8_health::router(),
    ]
    .iter()
    .flat_map(|r| r.patterns())
    .collect()
}

/// Routes anyone may call (no access token): logout's credential is the
/// refresh token in its body, verify-email's the emailed token, a
/// WordPress webhook's its HMAC signature.
const PUBLIC: [(&str, &str); 7] = [
    ("POST", "/api/v1/integration/webhooks/{integration_id}"),
    ("POST", "/api/v1/auth/verify-email"),
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
];
/// Write routes a viewer may call (their own password).
const VIEWER_WRITES: [(&str, &str); 1] = [("POST", "/api/v1/auth/change-password")];

// Item 9: every route checks the token, then the role, before it reads the
// body. Sent to every route of every function with a malformed JSON body:
// without a token → 401 (public routes excepted); with a viewer's token on a
// write route → 403 (a viewer's own session routes excepted) — never the 400
// a body parse would give.
#[tokio::test]
async fn every_route_checks_the_token_and_the_role_before_reading_the_body() {
    let (owner, site, sector) = workspace("hard-order").await;
    let (_, viewer) = igny8_e2e::member(&owner, "viewer").await;
    let id = igny8::ids::new_id();
    let mut wrong = Vec::new();
    for (method, pattern) in all_routes() {
        let path = pattern
            .replace("{site_id}", &site)
            .replace("{sector_id}", &sector)
            .split('/')
            .map(|seg| if seg.starts_with('{') { id.as_str() } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let url = format!("{path}/?site_id={site}&sector_id={sector}");
        let send = |token: Option<String>| {
            let (method, url) = (method.clone(), url.clone());
            async move {
                let mut req = igny8_e2e::http()
                    .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), env().url(&url))
                    .header("content-type", "application/json")
                    .body("{\"site_id\": ");
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                igny8_e2e::envelope(req.send().await.unwrap()).await
            }
        };
        let public = PUBLIC.iter().any(|(m, p)| *m == method && *p == pattern);
        if !public {
            let (st, b) = send(None).await;
            if st != 401 {
                wrong.push(format!("{method} {pattern} without a token: {st} {}", b["error_code"]));
            }
        }
        let writes = method != "GET" && !public && !VIEWER_WRITES.iter().any(|(m, p)| *m == method && *p == pattern);
        if writes {
            let (st, b) = send(Some(viewer.clone())).await;
            if st != 403 {
                wrong.push(format!("{method} {pattern} as a viewer: {st} {}", b["error_code"]));
            }
        }
    }
    assert!(wrong.is_empty(), "routes that read the body (or answered otherwise) before checking who calls:\n{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------
// Issue 17: the rarer branches of the credit ledger and of the job outcome,
// driven through the domain functions with the failures that produce them.

use igny8::credits::{self, Applied, Change, Movement, TxnType};
use igny8::jobs::{Delivery, DeliveryInfo, JobMessage};
use aws_sdk_dynamodb::types::AttributeValue;

/// Tries the SDK makes of one call (its standard retry mode) before the store sees an error.
const SDK_ATTEMPTS: usize = 3;
use igny8::store::keys;

fn spend(key: &str, amount: f64) -> Movement {
    Movement {
        kind: TxnType::Adjust,
        change: Change::Spend(amount),
        idempotency_key: key.into(),
        job_id: None,
        function: None,
        charged: None,
        reason: Some("test".into()),
    }
}

fn message(job: &Job) -> JobMessage {
    serde_json::from_value(json!({"job_id": job.id, "account_id": job.account_id, "kind": job.kind})).unwrap()
}

fn first_receive(job: &Job) -> DeliveryInfo {
    DeliveryInfo { message_id: format!("msg-{}", job.id), receive_count: 1 }
}

// A spend that is negative or not a number (a caller's bug: amounts come from
// estimates, never from a request) is refused before anything is written.
#[tokio::test]
async fn a_negative_or_non_numeric_spend_is_refused_and_writes_nothing() {
    let s = setup("hard-nan").await;
    for amount in [-5.0, f64::NAN, f64::INFINITY] {
        let err = credits::apply(&s.state, &s.tenant, &spend(&format!("bad-{amount}"), amount)).await.expect_err("refused");
        assert_eq!(err.code(), "INTERNAL_ERROR", "spend of {amount}: {err:?}");
    }
    assert_eq!(balance(&s).await, 100.0, "nothing spent");
    assert!(ledger(&s).await.iter().all(|t| t.kind.as_str() == "grant"), "no ledger line but the sign-up grant");
}

// The balance itself keeps failing its condition (as if other movements won
// every race): the movement gives up after its time budget with a 429, never
// loops for minutes past API Gateway's 30 s, and nothing is written.
#[tokio::test]
async fn a_balance_that_keeps_moving_is_a_429_within_the_budget() {
    let s = setup("hard-budget").await;
    let faults = Faults::new().with(Rule::new("TransactWriteItems", Fault::ConditionFailed(0)).containing(s.tenant.account_id()));
    let state = faults.state().await;
    let started = Instant::now();
    let err = credits::apply(&state, &s.tenant, &spend("busy", 5.0)).await.expect_err("every try lost the race");
    let took = started.elapsed();
    let hits = faults.hits();
    faults.clear();
    assert_eq!((err.status().as_u16(), err.code()), (429, "RATE_LIMITED"), "{err:?}");
    assert!(hits[0] >= 3, "retried, re-reading the balance each time: {hits:?}");
    assert!(took >= credits::CONTENDED_BUDGET && took < credits::CONTENDED_BUDGET + Duration::from_secs(8), "gave up after the budget: {took:?}");
    assert_eq!(balance(&s).await, 100.0, "nothing spent");
}

// A cancellation that names no reason (some emulators answer a failed
// condition that way) while the balance is unchanged is the companion write's
// failure: 409, and the movement is not applied.
#[tokio::test]
async fn a_cancellation_without_reasons_on_an_unchanged_balance_is_a_conflict() {
    let s = setup("hard-noreason").await;
    let faults = Faults::new().with(Rule::new("TransactWriteItems", Fault::CanceledWithoutReasons).containing(s.tenant.account_id()).at_most(1));
    let state = faults.state().await;
    let err = credits::apply(&state, &s.tenant, &spend("noreason", 5.0)).await.expect_err("cancelled");
    assert_eq!(faults.hits(), vec![1]);
    assert_eq!((err.status().as_u16(), err.code()), (409, "CONFLICT"), "{err:?}");
    assert_eq!(balance(&s).await, 100.0, "nothing spent");
    // The same movement applies once the store answers normally.
    assert!(matches!(credits::apply(&s.state, &s.tenant, &spend("noreason", 5.0)).await.unwrap(), Applied::Done(_)));
    assert_eq!(balance(&s).await, 95.0);
}

// A reservation whose idempotency guard exists but whose ledger line cannot be
// found (a guard without an owner, or naming a line that is gone) is an error,
// never a reservation of nothing: the job must not run on credits nobody holds.
#[tokio::test]
async fn a_reservation_guard_without_its_ledger_line_is_an_error_not_a_free_job() {
    let s = setup("hard-guard").await;
    let table = s.state.store.table_name().to_string();
    assert_eq!(credits::applied_line(&s.state, &s.tenant, "JOB#01JNEVERAPPLIED00000000000#reserve").await.unwrap(), None, "never applied: no line");
    for (job_id, owner) in [("01JNOOWNER0000000000000000", None), ("01JGONELINE000000000000000", Some("01JMISSINGTXN0000000000000"))] {
        let key = keys::credit_guard(&s.tenant, &format!("JOB#{job_id}#reserve"));
        let mut put = s.state.store.client().put_item().table_name(&table).item("PK", AttributeValue::S(key.pk)).item("SK", AttributeValue::S(key.sk));
        put = put.item("entity", AttributeValue::S("UNIQUE".into()));
        if let Some(owner) = owner {
            put = put.item("owner", AttributeValue::S(owner.into()));
        }
        put.send().await.unwrap();
        assert_eq!(credits::applied_line(&s.state, &s.tenant, &format!("JOB#{job_id}#reserve")).await.unwrap(), None);
        let err = credits::reserve(&s.state, &s.tenant, job_id, "test_title", 10.0).await.expect_err("no ledger line behind the guard");
        assert_eq!(err.code(), "INTERNAL_ERROR", "guard owner {owner:?}: {err:?}");
    }
    assert_eq!(balance(&s).await, 100.0, "nothing reserved");
}

// Failing an open job (the sweeper, the dead-letter handler) with a stale copy
// of it: the job's condition fails inside the release transaction, so neither
// the job nor the credits move (`Ok(false)`), and the job stays cancellable.
#[tokio::test]
async fn failing_a_job_that_changed_meanwhile_moves_neither_the_job_nor_the_credits() {
    let s = setup("hard-stale").await;
    let before = balance(&s).await;
    let job = submitted(&s, 10.0).await;
    let mut stale = job.clone();
    stale.version = job.version.saturating_sub(1);
    assert!(!igny8::jobs::fail_open_job(&s.state, &stale, "swept").await.unwrap(), "nothing done on a stale copy");
    assert_eq!(stored(&s, &job).await.status, JobStatus::Queued);
    assert_eq!(balance(&s).await, before - 10.0, "credits still held");
    assert!(ledger(&s).await.iter().all(|t| t.kind.as_str() != "release"), "no release line");
    assert!(igny8::jobs::fail_open_job(&s.state, &job, "swept").await.unwrap(), "the current copy fails it");
    assert_eq!(balance(&s).await, before, "released once");
    ledger_matches_balance(&s, before).await;
}

// The worker settled the job's credits and died before moving the job; the
// sweeper then fails it: only the job moves, the settled charge stands and
// nothing is refunded twice.
#[tokio::test]
async fn failing_a_job_whose_credits_were_already_settled_moves_only_the_job() {
    let s = setup("hard-settled").await;
    let before = balance(&s).await;
    let job = submitted(&s, 10.0).await;
    let held = job.reservation.expect("the job holds its reservation");
    assert!(matches!(credits::settle(&s.state, &s.tenant, &job.id, &job.kind, held, 4.0).await.unwrap(), Applied::Done(_)));
    assert_eq!(balance(&s).await, before - 4.0);
    assert!(igny8::jobs::fail_open_job(&s.state, &job, "worker timed out").await.unwrap());
    let failed = stored(&s, &job).await;
    assert_eq!((failed.status, failed.error.as_deref()), (JobStatus::Failed, Some("worker timed out")));
    assert_eq!(balance(&s).await, before - 4.0, "the settled charge stands; no second refund");
    ledger_matches_balance(&s, before).await;
}

// A job that holds no credits (an import, a delete) is failed by moving the
// job alone; with every transaction throttled, failing it is a 429 and the
// job stays as it was.
#[tokio::test]
async fn failing_a_job_without_credits_moves_the_job_and_a_throttled_store_moves_nothing() {
    let s = setup("hard-nocredit").await;
    let job = igny8::jobs::enqueue(&s.state, &s.tenant, "test_plain", json!({"n": 1})).await.unwrap();
    assert_eq!(job.reservation, None);
    let faults = Faults::new().with(Rule::new("TransactWriteItems", Fault::Throttle).containing(&job.id));
    let state = faults.state().await;
    let err = igny8::jobs::fail_open_job(&state, &job, "swept").await.expect_err("every transaction throttled");
    assert_eq!(err.code(), "RATE_LIMITED", "{err:?}");
    assert!(faults.hits()[0] >= 2, "retried before giving up");
    assert_eq!(stored(&s, &job).await.status, JobStatus::Queued, "left as it was");
    faults.clear();
    assert!(igny8::jobs::fail_open_job(&state, &job, "swept").await.unwrap());
    assert_eq!(stored(&s, &job).await.status, JobStatus::Failed);

    // With credits held and the release throttled, the same: 429, job queued, credits held.
    let before = balance(&s).await;
    let paid = submitted(&s, 10.0).await;
    let faults = Faults::new().with(Rule::new("TransactWriteItems", Fault::Throttle).containing(s.tenant.account_id()));
    let state = faults.state().await;
    let err = igny8::jobs::fail_open_job(&state, &paid, "swept").await.expect_err("release throttled");
    assert_eq!(err.code(), "RATE_LIMITED", "{err:?}");
    faults.clear();
    assert_eq!(stored(&s, &paid).await.status, JobStatus::Queued);
    assert_eq!(balance(&s).await, before - 10.0, "still held");
}

// The sweeper failed the job (and released its credits) while its handler was
// still running: the late result is not recorded over it, the delivery is
// skipped, and the credits are not settled on top of the release.
#[tokio::test]
async fn a_result_arriving_after_the_sweeper_failed_the_job_is_dropped() {
    let s = setup("hard-late").await;
    let before = balance(&s).await;
    let job = submitted(&s, 10.0).await;
    let reg = Registry::new().register(&job.kind, |state, running: Job| async move {
        assert!(igny8::jobs::fail_open_job(&state, &running, "lease expired").await.unwrap(), "the sweeper fails the running job");
        Ok(json!({"title": "too late"}))
    });
    let delivery = igny8::jobs::process(s.state.clone(), &reg, &message(&job), &first_receive(&job)).await;
    assert!(matches!(delivery, Delivery::Skipped(_)), "{delivery:?}");
    let after = stored(&s, &job).await;
    assert_eq!(after.status, JobStatus::Failed);
    assert!(!after.result.as_ref().is_some_and(|r| r.get("title").is_some()), "the late result is not recorded: {after:?}");
    assert_eq!(balance(&s).await, before, "released by the sweeper, not charged");
    assert!(ledger(&s).await.iter().all(|t| t.kind.as_str() != "settle"), "no settle line");
    ledger_matches_balance(&s, before).await;
}

// Reading the job back to record its outcome fails once (throttled past the
// SDK's own retries): the outcome is recorded on the next try, once.
#[tokio::test]
async fn an_outcome_whose_first_read_back_is_throttled_is_recorded_on_the_next_try() {
    let s = setup("hard-readback").await;
    let job = igny8::jobs::enqueue(&s.state, &s.tenant, "test_readback", json!({})).await.unwrap();
    let faults = Faults::new();
    let state = faults.state().await;
    let (plan, id) = (faults.clone(), job.id.clone());
    let reg = Registry::new().register("test_readback", move |_state, _job| {
        let (plan, id) = (plan.clone(), id.clone());
        async move {
            // From now on, the job's reads are throttled for one whole store call.
            let _ = plan.with(Rule::new("GetItem", Fault::Throttle).containing(&id).at_most(SDK_ATTEMPTS));
            Ok(json!({"done": true}))
        }
    });
    let delivery = igny8::jobs::process(state, &reg, &message(&job), &first_receive(&job)).await;
    assert_eq!(delivery, Delivery::Completed);
    assert_eq!(faults.hits(), vec![SDK_ATTEMPTS], "one whole read failed");
    let done = stored(&s, &job).await;
    assert_eq!((done.status, done.result), (JobStatus::Completed, Some(json!({"done": true}))));
}
