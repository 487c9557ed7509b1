//! The provider contract: chat and image providers behind two object-safe
//! traits, their request/response types, the error split the job queue relies
//! on (retryable vs permanent), and the retry policy shared by HTTP providers.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::{Deserialize, Serialize};

/// A chat completion request (one system message, one user message).
#[derive(Debug, Clone, Default)]
pub struct ChatRequest {
    /// The system prompt.
    pub system: String,
    /// The user prompt.
    pub user: String,
    /// JSON-schema structured output: (schema name, schema)
    pub json_schema: Option<(String, serde_json::Value)>,
    /// Upper bound on completion tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
}

/// Token usage reported by a chat provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenUsage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens in the completion.
    pub completion_tokens: u64,
    /// Prompt plus completion.
    pub total_tokens: u64,
}

/// A successful chat completion.
#[derive(Debug, Clone)]
pub struct ChatResponse {
    /// The assistant message text (JSON text when a schema was requested).
    pub content: String,
    /// Provider name (e.g. `openai`, `offline`).
    pub provider: String,
    /// Model that produced the answer.
    pub model: String,
    /// Token usage of the successful call.
    pub usage: TokenUsage,
    /// how many HTTP attempts it took
    pub attempts: u32,
}

/// An image generation request.
#[derive(Debug, Clone, Default)]
pub struct ImageRequest {
    /// What to draw.
    pub prompt: String,
    /// What to avoid (not every provider supports it).
    pub negative_prompt: Option<String>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A generated image.
#[derive(Debug, Clone)]
pub struct ImageResponse {
    /// Encoded image bytes.
    pub bytes: Vec<u8>,
    /// `image/png`, `image/webp` or `image/jpeg`.
    pub content_type: String,
    /// Provider name.
    pub provider: String,
    /// Model that produced the image.
    pub model: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl ImageResponse {
    /// A PNG returned base64-encoded by an HTTP image provider.
    pub(crate) fn from_base64_png(provider: &str, model: &str, req: &ImageRequest, b64: &str) -> Result<Self, ProviderError> {
        Ok(Self {
            bytes: decode_base64(provider, b64)?,
            content_type: "image/png".to_string(),
            provider: provider.to_string(),
            model: model.to_string(),
            width: req.width,
            height: req.height,
        })
    }
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Transient failure (rate limit, server error, timeout): try again later.
    #[error("{message}")]
    Retryable {
        /// What happened.
        message: String,
        /// The provider's last `Retry-After`, in seconds, if any.
        retry_after_secs: Option<u64>,
    },
    /// The request cannot succeed as is (bad input, auth, refusal, ...).
    #[error("{0}")]
    Permanent(String),
}

impl ProviderError {
    /// True for [`ProviderError::Retryable`].
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::Retryable { .. })
    }
}

/// A chat completion provider.
pub trait ChatProvider: Send + Sync {
    /// Provider name (recorded with usage).
    fn name(&self) -> &str;
    /// Configured model.
    fn model(&self) -> &str;
    /// Run one chat completion (retrying transient failures internally).
    fn chat<'a>(
        &'a self,
        req: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>>;
}

/// An image generation provider.
pub trait ImageProvider: Send + Sync {
    /// Provider name (recorded with usage).
    fn name(&self) -> &str;
    /// Configured model.
    fn model(&self) -> &str;
    /// Generate one image (retrying transient failures internally).
    fn generate<'a>(
        &'a self,
        req: &'a ImageRequest,
    ) -> BoxFuture<'a, Result<ImageResponse, ProviderError>>;
}

/// Asked before every HTTP request to a provider, retries included: the
/// provider's shared requests-per-minute budget ([`crate::ai::rate`]). An
/// `Err` (the budget stays exhausted) fails the call as retryable.
pub trait RateGate: Send + Sync {
    fn acquire<'a>(&'a self, provider: &'a str) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// A provider's gate (none: unlimited, e.g. tests with fake servers).
#[derive(Clone, Default)]
pub struct Gate(pub Option<Arc<dyn RateGate>>);

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Gate(limited)" } else { "Gate(none)" })
    }
}

impl Gate {
    async fn acquire(&self, provider: &str) -> Result<(), ProviderError> {
        match &self.0 {
            Some(g) => g.acquire(provider).await,
            None => Ok(()),
        }
    }
}

/// Retry policy shared by HTTP providers.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total HTTP attempts per call (at least 1 is always made).
    pub max_attempts: u32,
    /// Base of the exponential backoff.
    pub base_delay: Duration,
    /// Cap on any single delay (including `Retry-After`).
    pub max_delay: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Delay before the next attempt, after the failed attempt number
    /// `attempt` (0-based). A `Retry-After` wins (capped at `max_delay`);
    /// otherwise exponential `base * 2^attempt` with full jitter, capped.
    pub fn delay(&self, attempt: u32, retry_after_secs: Option<u64>) -> Duration {
        if let Some(secs) = retry_after_secs {
            return Duration::from_secs(secs).min(self.max_delay);
        }
        let factor = 2u32.saturating_pow(attempt.min(30));
        let ceiling = self
            .base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        if ceiling_ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::random_range(0..=ceiling_ms))
    }
}

/// `Retry-After` in its delta-seconds form; the HTTP-date form gives `None`.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
}

/// Builds an HTTP client for a provider (connect timeout from the policy;
/// the whole-request timeout is set per request).
pub(crate) fn http_client(policy: &RetryPolicy) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(policy.timeout)
        .build()
        .unwrap_or_default()
}

/// Extracts a human-readable error from an API error body: OpenAI's
/// `{"error":{"message"}}`, Runware's `{"errors":[{"message"}]}`, or the
/// (truncated) body itself.
pub(crate) fn api_error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        if let Some(m) = v.pointer("/error/message").and_then(|m| m.as_str()) {
            return m.to_string();
        }
        if let Some(errors) = v.get("errors").and_then(|e| e.as_array()) {
            let msgs: Vec<&str> = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(|m| m.as_str()))
                .collect();
            if !msgs.is_empty() {
                return msgs.join("; ");
            }
        }
        if let Some(m) = v.get("error").and_then(|m| m.as_str()) {
            return m.to_string();
        }
    }
    body.chars().take(300).collect()
}

/// Whether an HTTP status is worth retrying.
fn retryable_status(status: StatusCode) -> bool {
    status.is_server_error()
        || matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT
        )
}

/// A successful (2xx) HTTP exchange.
#[derive(Debug)]
pub(crate) struct HttpSuccess {
    /// Response body text.
    pub body: String,
    /// Attempts it took (1-based).
    pub attempts: u32,
}

/// Sends the request built by `build` until it succeeds, fails permanently
/// or the policy's attempts run out. `provider` prefixes error messages.
pub(crate) async fn send_with_retry<F>(
    provider: &str,
    policy: &RetryPolicy,
    gate: &Gate,
    build: F,
) -> Result<HttpSuccess, ProviderError>
where
    F: Fn() -> reqwest::RequestBuilder,
{
    let max = policy.max_attempts.max(1);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        // Every request, the first and each retry, takes a slot of the budget.
        gate.acquire(provider).await?;
        let (message, retry_after) = match build().timeout(policy.timeout).send().await {
            Ok(resp) => {
                let status = resp.status();
                let retry_after = parse_retry_after(resp.headers());
                match resp.text().await {
                    Ok(body) if status.is_success() => {
                        return Ok(HttpSuccess {
                            body,
                            attempts: attempt,
                        });
                    }
                    Ok(body) if retryable_status(status) => (
                        format!("{provider}: HTTP {status}: {}", api_error_message(&body)),
                        retry_after,
                    ),
                    Ok(body) => {
                        return Err(ProviderError::Permanent(format!(
                            "{provider}: HTTP {status}: {}",
                            api_error_message(&body)
                        )));
                    }
                    Err(e) => (
                        format!("{provider}: reading response (HTTP {status}): {e}"),
                        retry_after,
                    ),
                }
            }
            Err(e) if e.is_timeout() => (format!("{provider}: request timed out: {e}"), None),
            Err(e) if e.is_connect() || e.is_request() || e.is_body() => {
                (format!("{provider}: connection error: {e}"), None)
            }
            Err(e) => return Err(ProviderError::Permanent(format!("{provider}: {e}"))),
        };
        tracing::warn!(provider, attempt, max_attempts = max, error = %message, "provider call failed");
        if attempt >= max {
            return Err(ProviderError::Retryable {
                message: format!("{message} (after {attempt} attempts)"),
                retry_after_secs: retry_after,
            });
        }
        tokio::time::sleep(policy.delay(attempt - 1, retry_after)).await;
    }
}

/// Decodes standard base64, tolerating a `data:...;base64,` prefix and
/// whitespace.
pub(crate) fn decode_base64(provider: &str, data: &str) -> Result<Vec<u8>, ProviderError> {
    use base64::Engine as _;
    let data = match data.find(";base64,") {
        Some(i) if data.starts_with("data:") => &data[i + ";base64,".len()..],
        _ => data,
    };
    let cleaned: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .map_err(|e| ProviderError::Permanent(format!("{provider}: invalid base64 image: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = RetryPolicy {
            max_delay: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        assert_eq!(p.delay(0, Some(2)), Duration::from_secs(2));
        assert_eq!(p.delay(0, Some(3600)), Duration::from_secs(5));
        assert_eq!(p.delay(3, Some(0)), Duration::ZERO);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(p.delay(0, None) <= Duration::from_millis(100));
            assert!(p.delay(2, None) <= Duration::from_millis(400));
            assert!(p.delay(40, None) <= Duration::from_millis(1000));
        }
        // Full jitter: not always the ceiling.
        let distinct: std::collections::HashSet<_> = (0..50).map(|_| p.delay(5, None)).collect();
        assert!(distinct.len() > 1);
    }

    #[test]
    fn parses_delta_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(parse_retry_after(&h), Some(7));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn extracts_api_error_messages() {
        assert_eq!(
            api_error_message(r#"{"error":{"message":"bad model"}}"#),
            "bad model"
        );
        assert_eq!(
            api_error_message(r#"{"errors":[{"code":"x","message":"too big"}]}"#),
            "too big"
        );
        assert_eq!(api_error_message("plain"), "plain");
    }

    #[test]
    fn decodes_base64_with_data_uri() {
        assert_eq!(decode_base64("t", "aGk=").ok(), Some(b"hi".to_vec()));
        assert_eq!(
            decode_base64("t", "data:image/png;base64,aGk=").ok(),
            Some(b"hi".to_vec())
        );
        assert!(decode_base64("t", "@@@").is_err());
    }
}
