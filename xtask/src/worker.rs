//! The local queue worker: polls the `ai-jobs` queue (or the publish queue) on the emulator and
//! invokes the same worker handler the Lambda runs, with real `SqsEvent`s,
//! deleting what succeeded and leaving batch item failures on the queue (as the
//! Lambda event source mapping does with `ReportBatchItemFailures`).

use anyhow::{Result, anyhow};
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use igny8::AppState;
use igny8::jobs::Registry;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Seconds a failed message stays invisible before it is retried locally.
pub const LOCAL_RETRY_DELAY_SECS: i32 = 2;

/// Receives one batch (up to 10 messages, long-polling `wait`), runs it,
/// returns how many messages were received.
pub async fn poll_once(state: &Arc<AppState>, registry: &Registry, queue_url: &str, wait: Duration) -> Result<usize> {
    let out = state
        .sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait.as_secs() as i32)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| anyhow!("ReceiveMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    let messages = out.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
    }
    // The queue's real ARN, as the event source mapping puts in each record
    // (the worker tells its dead-letter queue apart by it).
    let queue_arn = crate::provision::queue_arn(&state.sqs, queue_url).await?;
    let records: Vec<_> = messages
        .iter()
        .map(|m| {
            let attrs: serde_json::Map<String, serde_json::Value> = m
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.as_str().to_string(), json!(v))).collect())
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attrs,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))?;
    // The publish worker's registry runs in the publish worker's handler.
    let response = if registry.kinds().contains(&igny8::integration::publish::PUBLISH_JOB) {
        igny8_publish_worker::handle_with(state.clone(), registry, event).await
    } else {
        igny8_ai_worker::handle_with(state.clone(), registry, event).await
    };
    let failed: Vec<String> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
    for m in &messages {
        let (Some(id), Some(handle)) = (m.message_id(), m.receipt_handle()) else { continue };
        if failed.iter().any(|f| f == id) {
            let _ = state
                .sqs
                .change_message_visibility()
                .queue_url(queue_url)
                .receipt_handle(handle)
                .visibility_timeout(LOCAL_RETRY_DELAY_SECS)
                .send()
                .await;
        } else {
            state
                .sqs
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(handle)
                .send()
                .await
                .map_err(|e| anyhow!("DeleteMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
        }
    }
    Ok(messages.len())
}

/// Polls forever (until the task is dropped).
pub async fn run(state: Arc<AppState>, registry: &'static Registry, queue_url: String) {
    loop {
        if let Err(e) = poll_once(&state, registry, &queue_url, Duration::from_secs(1)).await {
            tracing::warn!(error = %e, "local ai worker poll failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Runs the job sweeper (the scheduled `job-sweeper` function) every `period`,
/// as EventBridge Scheduler does in AWS.
pub async fn sweep_every(state: Arc<AppState>, period: Duration) {
    loop {
        tokio::time::sleep(period).await;
        if let Err(e) = igny8_job_sweeper::handle(state.clone(), igny8_job_sweeper::Sweep::default()).await {
            tracing::warn!(error = %e, "local job sweep failed");
        }
    }
}
