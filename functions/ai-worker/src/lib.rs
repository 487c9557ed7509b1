//! AI worker: consumes the `ai-jobs` queue. Each record is one job delivery;
//! records that must be retried are reported in `batchItemFailures`
//! (`ReportBatchItemFailures`), so only they return to the queue. It also
//! consumes the queue's dead-letter queue: those jobs are failed with their
//! reason and their credits released.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::StreamExt;
use igny8::AppState;
use igny8::jobs::{Delivery, JobMessage, Registry};
use std::sync::{Arc, OnceLock};
use tracing::Instrument;

pub const FUNCTION: &str = "ai-worker";

/// The job kinds this worker runs. Modules add their registration here.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let jobs = Registry::new().register(igny8::planner::keywords::IMPORT_JOB, igny8::planner::keywords::run_import_job);
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
                // The dead-letter queue's physical name carries its logical id.
                let dead = record.event_source_arn.as_deref().is_some_and(|arn| arn.contains("DeadLetter"));
                let outcome = if dead {
                    igny8::jobs::dead_letter(&state, &msg).instrument(span.clone()).await
                } else {
                    igny8::jobs::process(state, registry, &msg).instrument(span.clone()).await
                };
                let _e = span.enter();
                match outcome {
                    Delivery::Retry(reason) => {
                        tracing::warn!(%reason, message_id = %id, "job will be retried");
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
        .buffer_unordered(4)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}
