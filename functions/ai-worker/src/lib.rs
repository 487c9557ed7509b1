//! AI worker: consumes the `ai-jobs` queue. Each record is one job delivery;
//! records that must be retried are reported in `batchItemFailures`
//! (`ReportBatchItemFailures`), so only they return to the queue. It also
//! consumes the queue's dead-letter queue: those jobs are failed with their
//! reason and their credits released.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use igny8::AppState;
use igny8::jobs::{Delivery, DeliveryInfo, JobMessage, Registry};
use std::sync::{Arc, OnceLock};
use tracing::Instrument;

pub const FUNCTION: &str = "ai-worker";

/// Records of one batch run at once. The template's `BatchSize` is at most
/// this (the template lint checks it), so a whole batch fits the timeout of
/// one job.
pub const PARALLEL_JOBS: usize = 4;

/// The job kinds this worker runs. Modules add their registration here.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let jobs = Registry::new()
            .register(igny8::planner::keywords::IMPORT_JOB, igny8::planner::keywords::run_import_job)
            .register(igny8::sites::delete::SITE_JOB, igny8::sites::delete::run)
            .register(igny8::sites::delete::SECTOR_JOB, igny8::sites::delete::run);
        igny8::ai::function::registry().keys().fold(jobs, |r, name| {
            r.register(name, |state: Arc<AppState>, job: igny8::jobs::Job| async move {
                let providers = state.providers();
                igny8::ai::function::run(state, job, providers).await
            })
        })
    })
}

/// Handles one SQS batch with the production registry.
pub async fn handle(state: Arc<AppState>, event: SqsEvent) -> Result<SqsBatchResponse, igny8::lambda::BootError> {
    Ok(handle_with(state, registry(), event).await)
}

/// Handles one SQS batch: records run concurrently; the ones to retry are
/// returned as batch item failures.
pub async fn handle_with(state: Arc<AppState>, registry: &Registry, event: SqsEvent) -> SqsBatchResponse {
    let failures: Vec<BatchItemFailure> = futures::stream::iter(event.records)
        .map(|record| {
            let state = state.clone();
            async move {
                let id = record.message_id.clone().unwrap_or_default();
                let Some(msg) = record.body.as_deref().and_then(|b| serde_json::from_str::<JobMessage>(b).ok()) else {
                    tracing::error!(message_id = %id, "dropping a message that is not a job message");
                    return None;
                };
                let span = tracing::info_span!("job", function = FUNCTION, job_id = %msg.job_id, account = %msg.account_id, kind = %msg.kind);
                let dead = is_dead_letter(&state.config, &record);
                let delivery = DeliveryInfo {
                    message_id: id.clone(),
                    receive_count: record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
                };
                let outcome = if dead {
                    igny8::jobs::dead_letter(&state, &msg).instrument(span.clone()).await
                } else {
                    igny8::jobs::process(state.clone(), registry, &msg, &delivery).instrument(span.clone()).await
                };
                let _e = span.enter();
                match outcome {
                    Delivery::Deferred(reason) => match igny8::jobs::defer(&state, &msg).await {
                        // A fresh message waits instead of this one: no receive is used up.
                        Ok(delay) => {
                            tracing::info!(%reason, delay_secs = delay, deferrals = msg.deferrals + 1, "job waits for a running-job slot");
                            None
                        }
                        Err(e) => {
                            tracing::warn!(%reason, error = ?e, "could not re-send a waiting job; returning its message instead");
                            igny8::jobs::schedule_retry(&state, &record, retry_delay(&record)).await;
                            let mut f = BatchItemFailure::default();
                            f.item_identifier = id;
                            Some(f)
                        }
                    },
                    Delivery::Retry(reason) => {
                        let delay = retry_delay(&record);
                        tracing::warn!(%reason, message_id = %id, delay_secs = delay, "job will be retried");
                        igny8::jobs::schedule_retry(&state, &record, delay).await;
                        let mut f = BatchItemFailure::default();
                        f.item_identifier = id;
                        Some(f)
                    }
                    other => {
                        tracing::info!(outcome = ?other, "job delivery handled");
                        None
                    }
                }
            }
        })
        .buffer_unordered(PARALLEL_JOBS)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

/// Whether a record comes from the `ai-jobs` dead-letter queue: its event
/// source ARN is the configured `AI_JOBS_DLQ_ARN` (never a guess from the
/// queue's name). Without the setting nothing is a dead letter.
pub fn is_dead_letter(config: &igny8::Config, record: &SqsMessage) -> bool {
    match (config.ai_jobs_dlq_arn.as_deref(), record.event_source_arn.as_deref()) {
        (Some(dlq), Some(arn)) => dlq == arn,
        _ => false,
    }
}

/// Seconds until a message to retry is delivered again: 5 s after the first
/// receive, then ×4 per receive (20 s, 80 s, 320 s), at most 15 minutes —
/// instead of the queue's visibility timeout (6 × the function timeout).
pub fn retry_delay(record: &SqsMessage) -> i32 {
    let receives = record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse::<u32>().ok()).unwrap_or(1).max(1);
    (5_i64 * 4_i64.pow((receives - 1).min(8))).min(900) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letters_are_recognised_by_the_configured_arn_not_by_name() {
        let dlq = "arn:aws:sqs:eu-west-1:123456789012:prod-AiJobsDeadLetterQueue-ABC";
        let from = |arn: &str| {
            let mut m = SqsMessage::default();
            m.event_source_arn = Some(arn.into());
            m
        };
        let mut config = igny8::Config::local("http://127.0.0.1:1", "t", "0123456789abcdef0123456789abcdef");
        assert!(!is_dead_letter(&config, &from(dlq)), "no configured ARN: nothing is a dead letter");
        config.ai_jobs_dlq_arn = Some(dlq.into());
        assert!(is_dead_letter(&config, &from(dlq)));
        // A main queue whose name happens to contain "DeadLetter", or another
        // stack's dead-letter queue, is not this worker's dead-letter queue.
        assert!(!is_dead_letter(&config, &from("arn:aws:sqs:eu-west-1:123456789012:DeadLetterReplays-jobs")));
        assert!(!is_dead_letter(&config, &from("arn:aws:sqs:eu-west-1:123456789012:staging-AiJobsDeadLetterQueue-XYZ")));
        assert!(!is_dead_letter(&config, &SqsMessage::default()));
    }

    #[test]
    fn retry_delays_grow_fourfold_and_stop_at_fifteen_minutes() {
        let delay = |n: &str| {
            let mut m = SqsMessage::default();
            m.attributes.insert("ApproximateReceiveCount".into(), n.into());
            retry_delay(&m)
        };
        let got: Vec<i32> = ["1", "2", "3", "4", "5", "40"].iter().map(|n| delay(n)).collect();
        assert_eq!(got, [5, 20, 80, 320, 900, 900]);
        assert_eq!(retry_delay(&SqsMessage::default()), 5, "no attribute: first receive");
    }
}
