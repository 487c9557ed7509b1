//! Runware image inference over its REST API (a JSON array of tasks).

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::provider::{
    ImageProvider, ImageRequest, ImageResponse, ProviderError, RetryPolicy, api_error_message,
    Gate, http_client, send_with_retry,
};

const PROVIDER: &str = "runware";

/// Runware `imageInference` provider.
#[derive(Debug, Clone)]
pub struct RunwareImages {
    client: reqwest::Client,
    url: String,
    api_key: String,
    model: String,
    policy: RetryPolicy,
    gate: Gate,
}

/// Whether Runware accepts a dimension: a multiple of 64 in 128..=2048.
fn valid_dimension(d: u32) -> bool {
    (128..=2048).contains(&d) && d.is_multiple_of(64)
}

impl RunwareImages {
    /// `base_url` like `https://api.runware.ai/v1` (tasks are POSTed to it
    /// as is); `model` like `runware:100@1`.
    pub fn new(base_url: &str, api_key: &str, model: &str, policy: RetryPolicy) -> Self {
        Self {
            client: http_client(&policy),
            url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            model: model.to_string(),
            policy,
            gate: Gate::default(),
        }
    }

    async fn run(&self, req: &ImageRequest) -> Result<ImageResponse, ProviderError> {
        if !valid_dimension(req.width) || !valid_dimension(req.height) {
            return Err(ProviderError::Permanent(format!(
                "{PROVIDER}: invalid size {}x{}: width and height must be multiples of 64 between 128 and 2048",
                req.width, req.height
            )));
        }
        let task_uuid = uuid::Uuid::new_v4().to_string();
        let mut task = json!({
            "taskType": "imageInference",
            "taskUUID": task_uuid,
            "positivePrompt": req.prompt,
            "width": req.width,
            "height": req.height,
            "model": self.model,
            "numberResults": 1,
            "outputType": "base64Data",
            "outputFormat": "PNG",
        });
        if let Some(neg) = req
            .negative_prompt
            .as_deref()
            .filter(|n| !n.trim().is_empty())
        {
            task["negativePrompt"] = json!(neg);
        }
        let body = json!([task]);
        let ok = send_with_retry(PROVIDER, &self.policy, &self.gate, || {
            self.client
                .post(&self.url)
                .bearer_auth(&self.api_key)
                .json(&body)
        })
        .await?;
        let v: Value = serde_json::from_str(&ok.body).map_err(|e| {
            ProviderError::Permanent(format!("{PROVIDER}: invalid JSON response: {e}"))
        })?;
        let ours = v.get("data").and_then(Value::as_array).and_then(|items| {
            items.iter().find(|d| {
                d.get("taskUUID").and_then(Value::as_str) == Some(task_uuid.as_str())
                    && d.get("taskType")
                        .and_then(Value::as_str)
                        .unwrap_or("imageInference")
                        == "imageInference"
            })
        });
        let Some(item) = ours else {
            let detail = if v.get("errors").is_some() {
                api_error_message(&ok.body)
            } else {
                "no result for our taskUUID".to_string()
            };
            return Err(ProviderError::Permanent(format!("{PROVIDER}: {detail}")));
        };
        let b64 = item
            .get("imageBase64Data")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ProviderError::Permanent(format!("{PROVIDER}: result has no imageBase64Data"))
            })?;
        ImageResponse::from_base64_png(PROVIDER, &self.model, req, b64)
    }
}

impl ImageProvider for RunwareImages {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn generate<'a>(
        &'a self,
        req: &'a ImageRequest,
    ) -> BoxFuture<'a, Result<ImageResponse, ProviderError>> {
        Box::pin(self.run(req))
    }
}

impl RunwareImages {
    /// Takes every request (retries included) through `gate`, the shared
    /// requests-per-minute budget.
    pub fn with_gate(mut self, gate: Gate) -> Self {
        self.gate = gate;
        self
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::Engine as _;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            timeout: Duration::from_millis(300),
        }
    }

    fn provider(server: &MockServer) -> RunwareImages {
        RunwareImages::new(
            &format!("{}/v1", server.uri()),
            "rw-key",
            "runware:100@1",
            policy(),
        )
    }

    fn req(w: u32, h: u32) -> ImageRequest {
        ImageRequest {
            prompt: "a lighthouse at dusk".into(),
            negative_prompt: Some("blurry".into()),
            width: w,
            height: h,
        }
    }

    /// Answers like Runware: echoes the request's taskUUID.
    struct Echo(Vec<u8>);

    impl Respond for Echo {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let tasks: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let uuid = tasks[0]["taskUUID"].clone();
            ResponseTemplate::new(200).set_body_json(json!({"data": [{
                "taskType": "imageInference",
                "imageUUID": "3f8a7c1e-0000-4000-8000-000000000001",
                "taskUUID": uuid,
                "seed": 12345,
                "imageBase64Data": base64::engine::general_purpose::STANDARD.encode(&self.0),
                "cost": 0.0013
            }]}))
        }
    }

    #[tokio::test]
    async fn success_decodes_image_and_sends_task_array() {
        let server = MockServer::start().await;
        let png = b"\x89PNG\r\n\x1a\nrunware".to_vec();
        Mock::given(method("POST"))
            .and(path("/v1"))
            .and(header("authorization", "Bearer rw-key"))
            .respond_with(Echo(png.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let img = provider(&server)
            .generate(&req(1024, 576))
            .await
            .expect("success");
        assert_eq!(img.bytes, png);
        assert_eq!(img.content_type, "image/png");
        assert_eq!((img.width, img.height), (1024, 576));
        let reqs = server.received_requests().await.unwrap_or_default();
        let body: Value = serde_json::from_slice(&reqs[0].body).expect("json");
        let task = &body.as_array().expect("array of tasks")[0];
        assert_eq!(task["taskType"], "imageInference");
        assert_eq!(task["positivePrompt"], "a lighthouse at dusk");
        assert_eq!(task["negativePrompt"], "blurry");
        assert_eq!(task["model"], "runware:100@1");
        assert_eq!(task["outputType"], "base64Data");
        assert_eq!(task["outputFormat"], "PNG");
        assert_eq!(task["numberResults"], 1);
        let uuid = task["taskUUID"].as_str().expect("uuid");
        assert!(uuid::Uuid::parse_str(uuid).is_ok());
    }

    #[tokio::test]
    async fn foreign_task_uuid_is_rejected() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{
                "taskType": "imageInference",
                "taskUUID": "00000000-0000-4000-8000-000000000000",
                "imageBase64Data": "aGk="
            }]})))
            .mount(&server)
            .await;
        let err = provider(&server)
            .generate(&req(512, 512))
            .await
            .expect_err("must fail");
        assert!(matches!(err, ProviderError::Permanent(_)), "{err:?}");
    }

    #[tokio::test]
    async fn error_payload_is_permanent() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [{
                "code": "invalidModel",
                "message": "Invalid value for 'model' parameter.",
                "parameter": "model",
                "type": "string",
                "taskType": "imageInference",
                "taskUUID": "00000000-0000-4000-8000-000000000000"
            }]})))
            .expect(1)
            .mount(&server)
            .await;
        let err = provider(&server)
            .generate(&req(512, 512))
            .await
            .expect_err("must fail");
        assert!(
            matches!(&err, ProviderError::Permanent(m) if m.contains("Invalid value for 'model'")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_retryable() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(502))
            .mount(&server)
            .await;
        let err = provider(&server)
            .generate(&req(512, 512))
            .await
            .expect_err("must fail");
        assert!(err.is_retryable(), "{err:?}");
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(3));
    }

    #[tokio::test]
    async fn invalid_size_rejected_without_request() {
        let server = MockServer::start().await;
        let p = provider(&server);
        for (w, h) in [(500, 512), (512, 64), (4096, 512), (0, 0)] {
            let err = p.generate(&req(w, h)).await.expect_err("must fail");
            assert!(matches!(err, ProviderError::Permanent(_)));
        }
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(0));
    }

    /// Counts the slots taken.
    struct Counting(std::sync::atomic::AtomicUsize);
    impl crate::ai::provider::RateGate for Counting {
        fn acquire<'a>(&'a self, _provider: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn every_request_and_retry_goes_through_the_gate() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503).set_body_json(json!({"errors": [{"message": "busy"}]})))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST")).and(path("/v1")).respond_with(Echo(b"png".to_vec())).mount(&server).await;
        let gate = std::sync::Arc::new(Counting(std::sync::atomic::AtomicUsize::new(0)));
        let images = provider(&server).with_gate(Gate(Some(gate.clone())));
        images.generate(&req(512, 512)).await.expect("success after one retry");
        assert_eq!(server.received_requests().await.unwrap_or_default().len(), 2);
        assert_eq!(gate.0.load(std::sync::atomic::Ordering::SeqCst), 2, "one slot per HTTP request");
    }
}
