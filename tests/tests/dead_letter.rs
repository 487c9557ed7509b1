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

#[tokio::test]
async fn a_publish_message_that_reaches_the_publish_dead_letter_queue_fails_its_job_visibly() {
    // The same path for the publish queue: a WordPress publish job whose
    // message is received maxReceiveCount (5) times without an outcome moves
    // to the publish DLQ; the publish worker, polling it as its second event
    // source, fails the job with the reason, visible at GET /api/v1/jobs/{id}/.
    let e = env();
    let state = e.state().await;
    let (t, site, _) = igny8_e2e::workspace("pub-dlq").await;
    let tok = Some(t.access.as_str());
    let (status, body) = igny8_e2e::api(
        "POST",
        "/api/v1/integration/integrations/",
        tok,
        Some(serde_json::json!({"site_id": site, "base_url": "https://blog.example.com", "username": "editor", "application_password": "abcd efgh ijkl mnop qrst uvwx"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let integration = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = igny8_e2e::api("POST", "/api/v1/writer/content/", tok, Some(serde_json::json!({"site_id": site, "title": "Never delivered", "body_html": "<p>x</p>"}))).await;
    assert_eq!(status, 201, "{body}");
    let content = body["data"]["id"].as_str().unwrap().to_string();
    // Sent: a publish. Came back: 202 with a queued job.
    let (status, body) = igny8_e2e::api(
        "POST",
        &format!("/api/v1/integration/integrations/{integration}/publish/"),
        tok,
        Some(serde_json::json!({"content_id": content, "status": "publish"})),
    )
    .await;
    assert_eq!((status, body["data"]["status"].as_str()), (202, Some("queued")), "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    // Every receive ends without an outcome (a crashed worker): visible again at once.
    let queue = &e.resources.publish_queue_url;
    for _ in 0..5 {
        let out = state.sqs.receive_message().queue_url(queue).max_number_of_messages(10).send().await.unwrap();
        for m in out.messages.unwrap_or_default() {
            state.sqs.change_message_visibility().queue_url(queue).receipt_handle(m.receipt_handle().unwrap()).visibility_timeout(0).send().await.unwrap();
        }
    }
    let _ = state.sqs.receive_message().queue_url(queue).send().await.unwrap();
    let (_, body) = igny8_e2e::api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!(body["data"]["status"], "queued", "nothing ran it: {body}");
    let mut handled = 0;
    for _ in 0..5 {
        handled += xtask::worker::poll_once(&state, igny8_publish_worker::registry(), &e.resources.publish_dlq_url, Duration::from_secs(0)).await.unwrap();
        let (_, body) = igny8_e2e::api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
        if body["data"]["status"] == "failed" {
            break;
        }
    }
    assert!(handled >= 1, "the publish DLQ received the message");
    let (status, body) = igny8_e2e::api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("failed")), "{body}");
    assert!(body["data"]["error"].as_str().unwrap().contains("dead-letter"), "{body}");
    let (_, body) = igny8_e2e::api("GET", &format!("/api/v1/writer/content/{content}/?site_id={site}"), tok, None).await;
    assert!(body["data"]["publication"].is_null(), "nothing recorded as published: {body}");
}
