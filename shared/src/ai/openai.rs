//! OpenAI-compatible chat completions and OpenAI image generation.

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::provider::{
    ChatProvider, ChatRequest, ChatResponse, ImageProvider, ImageRequest, ImageResponse,
    ProviderError, RetryPolicy, TokenUsage, Gate, http_client, send_with_retry,
};

const PROVIDER: &str = "openai";

/// Chat completions against any OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    client: reqwest::Client,
    url: String,
    api_key: String,
    model: String,
    policy: RetryPolicy,
    gate: Gate,
}

impl OpenAiChat {
    /// `base_url` like `https://api.openai.com/v1`; requests go to
    /// `{base_url}/chat/completions`.
    pub fn new(base_url: &str, api_key: &str, model: &str, policy: RetryPolicy) -> Self {
        Self {
            client: http_client(&policy),
            url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            api_key: api_key.to_string(),
            model: model.to_string(),
            policy,
            gate: Gate::default(),
        }
    }

    /// The JSON body sent for `req`.
    fn body(&self, req: &ChatRequest) -> Value {
        let mut body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": req.system},
                {"role": "user", "content": req.user},
            ],
        });
        if let Some(t) = req.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(m) = req.max_tokens {
            body["max_tokens"] = json!(m);
        }
        if let Some((name, schema)) = &req.json_schema {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": name, "schema": strict_subset(schema), "strict": true},
            });
        }
        body
    }

    async fn run(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let body = self.body(req);
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
        let message = v.pointer("/choices/0/message").ok_or_else(|| {
            ProviderError::Permanent(format!("{PROVIDER}: response has no choices"))
        })?;
        if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
            return Err(ProviderError::Permanent(format!(
                "{PROVIDER}: model refused: {refusal}"
            )));
        }
        let content = message
            .get("content")
            .and_then(Value::as_str)
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| {
                let reason = v
                    .pointer("/choices/0/finish_reason")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown");
                ProviderError::Permanent(format!(
                    "{PROVIDER}: response has no content (finish_reason {reason})"
                ))
            })?;
        let count = |field: &str| {
            v.pointer(&format!("/usage/{field}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let (prompt_tokens, completion_tokens) =
            (count("prompt_tokens"), count("completion_tokens"));
        let total_tokens = match count("total_tokens") {
            0 => prompt_tokens + completion_tokens,
            t => t,
        };
        Ok(ChatResponse {
            content: content.to_string(),
            provider: PROVIDER.to_string(),
            model: v
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or(&self.model)
                .to_string(),
            usage: TokenUsage {
                prompt_tokens,
                completion_tokens,
                total_tokens,
            },
            attempts: ok.attempts,
        })
    }
}

impl ChatProvider for OpenAiChat {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn chat<'a>(
        &'a self,
        req: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(self.run(req))
    }
}

/// OpenAI image generation (`/images/generations`, base64 output).
#[derive(Debug, Clone)]
pub struct OpenAiImages {
    client: reqwest::Client,
    url: String,
    api_key: String,
    model: String,
    policy: RetryPolicy,
    gate: Gate,
}

impl OpenAiImages {
    /// `base_url` like `https://api.openai.com/v1`; requests go to
    /// `{base_url}/images/generations`.
    pub fn new(base_url: &str, api_key: &str, model: &str, policy: RetryPolicy) -> Self {
        Self {
            client: http_client(&policy),
            url: format!("{}/images/generations", base_url.trim_end_matches('/')),
            api_key: api_key.to_string(),
            model: model.to_string(),
            policy,
            gate: Gate::default(),
        }
    }

    async fn run(&self, req: &ImageRequest) -> Result<ImageResponse, ProviderError> {
        if req.width == 0 || req.height == 0 {
            return Err(ProviderError::Permanent(format!(
                "{PROVIDER}: invalid image size {}x{}",
                req.width, req.height
            )));
        }
        let body = json!({
            "model": self.model,
            "prompt": req.prompt,
            "size": format!("{}x{}", req.width, req.height),
            "n": 1,
            "response_format": "b64_json",
        });
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
        let b64 = v
            .pointer("/data/0/b64_json")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ProviderError::Permanent(format!("{PROVIDER}: response has no data[0].b64_json"))
            })?;
        ImageResponse::from_base64_png(PROVIDER, &self.model, req, b64)
    }
}

impl ImageProvider for OpenAiImages {
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

/// The schema as OpenAI's strict structured outputs accept it: string
/// length bounds (`minLength`, `maxLength`) are not in the supported subset,
/// so they are dropped here; the AI function's own check still enforces
/// them on the answer (and asks for one repair).
pub fn strict_subset(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "minLength" | "maxLength"))
                .map(|(k, v)| (k.clone(), strict_subset(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strict_subset).collect()),
        other => other.clone(),
    }
}

impl OpenAiChat {
    /// Takes every request (retries included) through `gate`, the shared
    /// requests-per-minute budget.
    pub fn with_gate(mut self, gate: Gate) -> Self {
        self.gate = gate;
        self
    }
}

impl OpenAiImages {
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
    use wiremock::matchers::{body_partial_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            timeout: Duration::from_millis(300),
        }
    }

    fn completion(content: &str) -> Value {
        json!({
            "id": "chatcmpl-abc123",
            "object": "chat.completion",
            "created": 1_741_569_952,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {
                "prompt_tokens": 19,
                "completion_tokens": 10,
                "total_tokens": 29,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}
            },
            "service_tier": "default",
            "system_fingerprint": "fp_1"
        })
    }

    fn request() -> ChatRequest {
        ChatRequest {
            system: "You are an SEO assistant.".into(),
            user: "Title for: rust lambda".into(),
            json_schema: Some((
                "title".into(),
                json!({"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false}),
            )),
            max_tokens: Some(100),
            temperature: Some(0.5),
        }
    }

    fn chat(server: &MockServer) -> OpenAiChat {
        OpenAiChat::new(
            &format!("{}/v1", server.uri()),
            "sk-test",
            "gpt-4o-mini",
            policy(),
        )
    }

    fn ok_mock() -> Mock {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(completion(r#"{"title":"Rust on Lambda"}"#)),
            )
    }

    #[tokio::test]
    async fn success_parses_content_usage_and_sends_schema() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", "Bearer sk-test"))
            .and(body_partial_json(json!({
                "model": "gpt-4o-mini",
                "response_format": {"type": "json_schema", "json_schema": {"name": "title", "strict": true}}
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(r#"{"title":"Rust on Lambda"}"#)))
            .expect(1)
            .mount(&server)
            .await;
        let resp = chat(&server).chat(&request()).await.expect("success");
        assert_eq!(resp.content, r#"{"title":"Rust on Lambda"}"#);
        assert_eq!(resp.attempts, 1);
        assert_eq!(resp.provider, "openai");
        assert_eq!(resp.model, "gpt-4o-mini-2024-07-18");
        assert_eq!(
            resp.usage,
            TokenUsage {
                prompt_tokens: 19,
                completion_tokens: 10,
                total_tokens: 29
            }
        );
        let reqs = server.received_requests().await.unwrap_or_default();
        let body: Value = serde_json::from_slice(&reqs[0].body).expect("json body");
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][0]["content"], "You are an SEO assistant.");
        assert_eq!(body["messages"][1]["role"], "user");
        assert_eq!(body["messages"][1]["content"], "Title for: rust lambda");
        assert_eq!(body["max_tokens"], 100);
        assert_eq!(
            body["response_format"]["json_schema"]["schema"]["required"][0],
            "title"
        );
    }

    #[tokio::test]
    async fn retries_429_with_retry_after_then_succeeds() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "0")
                    .set_body_json(json!({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
        ok_mock().mount(&server).await;
        let resp = chat(&server).chat(&request()).await.expect("success");
        assert_eq!(resp.attempts, 2);
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
    }

    #[tokio::test]
    async fn retries_500_then_succeeds() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(500)
                    .set_body_json(json!({"error":{"message":"server error"}})),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
        ok_mock().mount(&server).await;
        let resp = chat(&server).chat(&request()).await.expect("success");
        assert_eq!(resp.attempts, 2);
    }

    #[tokio::test]
    async fn retries_timeout_then_succeeds() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(completion("late"))
                    .set_delay(Duration::from_millis(1500)),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
        ok_mock().mount(&server).await;
        let resp = chat(&server).chat(&request()).await.expect("success");
        assert_eq!(resp.attempts, 2);
        assert_eq!(resp.content, r#"{"title":"Rust on Lambda"}"#);
    }

    #[tokio::test]
    async fn bad_request_is_permanent_after_one_request() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(400).set_body_json(
                json!({"error":{"message":"bad model","type":"invalid_request_error","param":"model","code":null}}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let err = chat(&server).chat(&request()).await.expect_err("must fail");
        match err {
            ProviderError::Permanent(m) => assert!(m.contains("bad model"), "{m}"),
            other => panic!("expected Permanent, got {other:?}"),
        }
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
    }

    #[tokio::test]
    async fn rate_limited_forever_is_retryable_after_max_attempts() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "0")
                    .set_body_json(json!({"error":{"message":"Rate limit reached"}})),
            )
            .mount(&server)
            .await;
        let err = chat(&server).chat(&request()).await.expect_err("must fail");
        assert_eq!(
            err,
            ProviderError::Retryable {
                message: err.to_string(),
                retry_after_secs: Some(0)
            }
        );
        assert!(err.to_string().contains("Rate limit reached"));
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(3));
    }

    #[tokio::test]
    async fn refusal_is_permanent() {
        let server = MockServer::start().await;
        let mut body = completion("");
        body["choices"][0]["message"]["content"] = Value::Null;
        body["choices"][0]["message"]["refusal"] = json!("I can't help with that.");
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let err = chat(&server).chat(&request()).await.expect_err("must fail");
        assert!(
            matches!(&err, ProviderError::Permanent(m) if m.contains("refused")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn images_decode_base64() {
        let server = MockServer::start().await;
        let png = b"\x89PNG\r\n\x1a\nfake".to_vec();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        Mock::given(method("POST"))
            .and(path("/v1/images/generations"))
            .and(header("authorization", "Bearer sk-test"))
            .and(body_partial_json(
                json!({"model":"dall-e-3","size":"1024x1024","n":1,"response_format":"b64_json"}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "created": 1_713_833_628,
                "data": [{"b64_json": b64, "revised_prompt": "a cat"}]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let images = OpenAiImages::new(
            &format!("{}/v1", server.uri()),
            "sk-test",
            "dall-e-3",
            policy(),
        );
        let req = ImageRequest {
            prompt: "a cat".into(),
            negative_prompt: None,
            width: 1024,
            height: 1024,
        };
        let img = images.generate(&req).await.expect("success");
        assert_eq!(img.bytes, png);
        assert_eq!(img.content_type, "image/png");
        assert_eq!((img.width, img.height), (1024, 1024));
    }

    #[tokio::test]
    async fn images_retry_503_then_fail_permanently_on_400() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(json!({"error":{"message":"Invalid size"}})),
            )
            .mount(&server)
            .await;
        let images = OpenAiImages::new(&format!("{}/v1", server.uri()), "k", "dall-e-3", policy());
        let req = ImageRequest {
            prompt: "x".into(),
            negative_prompt: None,
            width: 1000,
            height: 10,
        };
        let err = images.generate(&req).await.expect_err("must fail");
        assert!(
            matches!(&err, ProviderError::Permanent(m) if m.contains("Invalid size")),
            "{err:?}"
        );
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
    }
}
