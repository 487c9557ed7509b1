//! The dead-letter path on real SQS (its own test binary, so its own stack and
//! queues: it receives every message on the queue).

use igny8::jobs::JobStatus;
use igny8_e2e::ai_support::*;
use igny8_e2e::env;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn the_queue_redrives_to_the_dead_letter_queue_and_the_worker_fails_the_job_and_releases() {
    // Real SQS on the emulator: a message received maxReceiveCount (5) times
    // without being deleted moves to the DLQ; the worker, polling the DLQ like
    // the Lambda's second event source, fails the job and releases its credits.
    let s = setup("ai-dlq").await;
    let job = submitted(&s, 10.0).await;
    assert_eq!(balance(&s).await, 90.0);
    let e = env();
    // Make the job's message visible again at once on every receive, never deleting it.
    for _ in 0..5 {
        let out = s.state.sqs.receive_message().queue_url(&e.resources.ai_jobs_queue_url).max_number_of_messages(10).send().await.unwrap();
        for m in out.messages.unwrap_or_default() {
            s.state
                .sqs
                .change_message_visibility()
                .queue_url(&e.resources.ai_jobs_queue_url)
                .receipt_handle(m.receipt_handle().unwrap())
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        }
    }
    // The next receive moves it to the DLQ (moto redrives on receive).
    let _ = s.state.sqs.receive_message().queue_url(&e.resources.ai_jobs_queue_url).send().await.unwrap();
    let reg = registry(providers(&fake_openai(vec![completion("{}")]).await), Arc::default());
    let mut handled = 0;
    for _ in 0..5 {
        handled += xtask::worker::poll_once(&s.state, &reg, &e.resources.ai_jobs_dlq_url, Duration::from_secs(0)).await.unwrap();
        if stored(&s, &job).await.status == JobStatus::Failed {
            break;
        }
    }
    assert!(handled >= 1, "the DLQ received the message");
    let failed = stored(&s, &job).await;
    assert_eq!(failed.status, JobStatus::Failed, "{failed:?}");
    assert!(failed.error.unwrap().contains("dead-letter"));
    assert_eq!(balance(&s).await, 100.0, "credits released");
}
