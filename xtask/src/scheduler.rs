//! The local scheduler. The emulator stores EventBridge Scheduler schedules
//! but never fires them, so `cargo xtask dev` does what Scheduler would: each
//! minute it lists the schedule group's schedules from the emulator, and
//! invokes the automation runner — the same handler, with the same input,
//! the schedule's context attribute `<aws.scheduler.scheduled-time>` filled
//! in — for every enabled schedule whose `cron(…)` is due at that minute in
//! its time zone. One-time schedules (`at(…)`, scheduled publishes) fire
//! once their minute has come: their input is sent to their target queue (as
//! Scheduler's SQS target does) and the schedule is deleted (what
//! `ActionAfterCompletion: DELETE` does in AWS), so it never fires twice.
//! Tests call [`fire_due`] with an explicit clock.

use igny8::AppState;
use igny8::automation::cron;
use igny8::automation::schedule;
use std::sync::Arc;
use std::time::Duration;

/// What one firing did.
#[derive(Debug, Clone)]
pub struct Fired {
    pub schedule_name: String,
    /// The runner's execution; `None` when the minute had already fired
    /// (and for one-time schedules, which target a queue).
    pub execution: Option<igny8::automation::Execution>,
    /// The message id a one-time schedule's input was sent as.
    pub sent_message_id: Option<String>,
}

/// The minute holding `epoch`, as Scheduler writes `scheduled-time`.
pub fn minute_rfc3339(epoch: i64) -> String {
    let m = epoch - epoch.rem_euclid(60);
    time::OffsetDateTime::from_unix_timestamp(m)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Fires every schedule of the group due at the minute holding `now` (epoch seconds).
pub async fn fire_due(state: &Arc<AppState>, now: i64) -> anyhow::Result<Vec<Fired>> {
    fire_due_among(state, now, None).await
}

/// [`fire_due`] limited to the schedules named (a test that must not fire
/// other tests' schedules sharing its group and minute).
pub async fn fire_due_among(state: &Arc<AppState>, now: i64, only: Option<&[&str]>) -> anyhow::Result<Vec<Fired>> {
    let mut fired = Vec::new();
    let minute = minute_rfc3339(now);
    for s in schedule::list_schedules(state).await.map_err(|e| anyhow::anyhow!("listing schedules: {e:?}"))? {
        if !s.enabled || only.is_some_and(|names| !names.contains(&s.name.as_str())) {
            continue;
        }
        if let Some(at) = schedule::parse_at(&s.expression, &s.timezone) {
            if at.as_second() <= now {
                match fire_once(state, &s, &minute).await {
                    Ok(id) => fired.push(Fired { schedule_name: s.name, execution: None, sent_message_id: Some(id) }),
                    Err(e) => tracing::warn!(schedule = %s.name, error = %e, "a one-time schedule could not fire (Scheduler would retry)"),
                }
            }
            continue;
        }
        let Ok(c) = cron::parse_aws(&s.expression) else {
            tracing::warn!(schedule = %s.name, expression = %s.expression, "the local scheduler cannot read this expression; skipped");
            continue;
        };
        if !c.due_at(now, &s.timezone) {
            continue;
        }
        let input = s.input.replace("<aws.scheduler.scheduled-time>", &minute);
        let invocation: igny8_automation_runner::ScheduledInvocation = match serde_json::from_str(&input) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(schedule = %s.name, error = %e, "schedule input is not the runner's; skipped");
                continue;
            }
        };
        match igny8_automation_runner::handle(state.clone(), invocation).await {
            Ok(execution) => fired.push(Fired { schedule_name: s.name, execution, sent_message_id: None }),
            Err(e) => tracing::warn!(schedule = %s.name, error = %e, "the runner failed (Scheduler would retry)"),
        }
    }
    Ok(fired)
}

/// Sends a one-time schedule's input to its target queue, then deletes the schedule.
async fn fire_once(state: &Arc<AppState>, s: &schedule::ScheduleInfo, minute: &str) -> anyhow::Result<String> {
    let url = igny8::jobs::queue_url_of(state, &s.target_arn).ok_or_else(|| anyhow::anyhow!("target {} is not a queue", s.target_arn))?;
    let body = s.input.replace("<aws.scheduler.scheduled-time>", minute);
    let out = state
        .sqs
        .send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("SendMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    schedule::delete_named(state, &s.name).await.map_err(|e| anyhow::anyhow!("deleting the fired schedule: {e:?}"))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}

/// Fires due schedules at the start of every minute, forever.
pub async fn run(state: Arc<AppState>) {
    loop {
        let now = igny8::ids::now_epoch();
        tokio::time::sleep(Duration::from_secs((60 - now.rem_euclid(60)) as u64 + 1)).await;
        if let Err(e) = fire_due(&state, igny8::ids::now_epoch()).await {
            tracing::warn!(error = %e, "local scheduler tick failed");
        }
    }
}

/// Receives one batch of domain events from the automation events queue and
/// hands it to the runner (as the Lambda event source mapping would),
/// deleting what succeeded: how many events were received.
pub async fn poll_events_once(state: &Arc<AppState>, queue_url: &str, wait: Duration) -> anyhow::Result<usize> {
    let out = state
        .sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait.as_secs() as i32)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("ReceiveMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    let messages = out.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
    }
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| serde_json::json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(), "eventSource": "aws:sqs", "attributes": {}, "messageAttributes": {}}))
        .collect();
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_value(serde_json::json!({ "Records": records }))?;
    let response = igny8_automation_runner::handle_events(state.clone(), event).await;
    for m in &messages {
        let (Some(id), Some(handle)) = (m.message_id(), m.receipt_handle()) else { continue };
        if !response.batch_item_failures.iter().any(|f| f.item_identifier == id) {
            let _ = state.sqs.delete_message().queue_url(queue_url).receipt_handle(handle).send().await;
        }
    }
    Ok(messages.len())
}

/// Polls the automation events queue forever.
pub async fn run_events(state: Arc<AppState>, queue_url: String) {
    loop {
        if let Err(e) = poll_events_once(&state, &queue_url, Duration::from_secs(1)).await {
            tracing::warn!(error = %e, "local automation events poll failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
