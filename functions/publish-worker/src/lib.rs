//! Publish worker: consumes the publish queue (WordPress publish jobs) with
//! partial batch responses, through the one job runner (claim, outcome, a
//! redelivered message does the work once). It also consumes the queue's
//! dead-letter queue: those jobs are failed visibly with their reason.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use igny8::AppState;
use igny8::jobs::{Delivery, DeliveryInfo, JobMessage, Registry};
use std::sync::{Arc, OnceLock};
use tracing::Instrument;

pub const FUNCTION: &str = "publish-worker";

/// Records of one batch run at once (the template's `BatchSize` is at most this).
pub const PARALLEL_JOBS: usize = 2;

pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::new()
            .register(igny8::integration::publish::PUBLISH_JOB, igny8::integration::publish::run)
            .register(igny8::integration::webhook::PULL_JOB, igny8::integration::webhook::run_pull)
            .register(igny8::integration::webhook::SYNC_JOB, igny8::integration::webhook::run_sync)
    })
}

pub async fn handle(state: Arc<AppState>, event: SqsEvent) -> Result<SqsBatchResponse, igny8::lambda::BootError> {
    Ok(handle_with(state, registry(), event).await)
}

/// Whether a record comes from the publish dead-letter queue (its ARN is the
/// configured `PUBLISH_DLQ_ARN`).
pub fn is_dead_letter(config: &igny8::Config, record: &SqsMessage) -> bool {
    match (config.publish_dlq_arn.as_deref(), record.event_source_arn.as_deref()) {
        (Some(dlq), Some(arn)) => dlq == arn,
        _ => false,
    }
}

/// Seconds until a publish to retry is delivered again: 10 s, then ×3 per
/// receive, at most 10 minutes (WordPress hosts recover in minutes).
pub fn retry_delay(record: &SqsMessage) -> i32 {
    let receives = record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse::<u32>().ok()).unwrap_or(1).max(1);
    (10_i64 * 3_i64.pow((receives - 1).min(6))).min(600) as i32
}

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
                let delivery = DeliveryInfo {
                    message_id: id.clone(),
                    receive_count: record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
                };
                let outcome = if is_dead_letter(&state.config, &record) {
                    igny8::jobs::dead_letter(&state, &msg).instrument(span.clone()).await
                } else {
                    igny8::jobs::process(state.clone(), registry, &msg, &delivery).instrument(span.clone()).await
                };
                let retry = |reason: String| {
                    let state = state.clone();
                    let record = record.clone();
                    let id = id.clone();
                    async move {
                        let delay = retry_delay(&record);
                        tracing::warn!(%reason, message_id = %id, delay_secs = delay, "publish will be retried");
                        igny8::jobs::schedule_retry(&state, &record, delay).await;
                        let mut f = BatchItemFailure::default();
                        f.item_identifier = id;
                        Some(f)
                    }
                };
                match outcome {
                    Delivery::Deferred(reason) => match igny8::jobs::defer(&state, &msg).await {
                        Ok(_) => None,
                        Err(_) => retry(reason).await,
                    },
                    Delivery::Retry(reason) => retry(reason).await,
                    other => {
                        tracing::info!(outcome = ?other, "publish delivery handled");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_threefold_and_stop_at_ten_minutes() {
        let delay = |n: &str| {
            let mut m = SqsMessage::default();
            m.attributes.insert("ApproximateReceiveCount".into(), n.into());
            retry_delay(&m)
        };
        let got: Vec<i32> = ["1", "2", "3", "4", "5"].iter().map(|n| delay(n)).collect();
        assert_eq!(got, [10, 30, 90, 270, 600]);
    }

    #[test]
    fn only_the_configured_dead_letter_queue_is_one() {
        let mut config = igny8::Config::local("http://127.0.0.1:1", "t", "0123456789abcdef0123456789abcdef");
        let mut m = SqsMessage::default();
        m.event_source_arn = Some("arn:aws:sqs:us-east-1:1:PublishDeadLetterQueue".into());
        assert!(!is_dead_letter(&config, &m));
        config.publish_dlq_arn = m.event_source_arn.clone();
        assert!(is_dead_letter(&config, &m));
    }
}
