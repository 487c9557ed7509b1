//! The request path shared by every HTTP function:
//! request id → span → body-size check → route → per-IP budget (requests
//! without a valid access token; the guard takes it for the others) →
//! handler → envelope.
//!
//! Handlers receive a [`RequestCtx`] and return `AppResult<Reply>`; they never
//! build responses themselves. A panic inside a handler becomes a 500 envelope
//! (in debug and test builds; release Lambda builds abort on panic, which is
//! why handlers never `unwrap` request data).

mod router;
pub mod upload;

pub use router::{Gate, Params, RouteDoc, Router};

use crate::envelope::{Reply, error_response, success_response};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use bytes::Bytes;
use futures::FutureExt;
use http::{HeaderMap, Method};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// Everything a route handler needs about its request.
pub struct RequestCtx {
    pub state: Arc<AppState>,
    pub request_id: String,
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub query: HashMap<String, String>,
    pub params: Params,
    pub body: Bytes,
    /// The caller's IP as API Gateway saw it (for the audit log and the
    /// per-IP request budget).
    pub source_ip: Option<String>,
    /// The caller, once verified (by the route's gate or a handler's `require`).
    pub principal: std::sync::OnceLock<crate::auth::guard::Principal>,
    /// The route is expensive (imports): the guard takes the account's
    /// `expensive` budget too.
    pub expensive: bool,
}

impl RequestCtx {
    /// A path parameter declared in the route pattern (`{id}`).
    pub fn param(&self, name: &str) -> AppResult<&str> {
        self.params.get(name).ok_or_else(|| AppError::internal(format!("route has no parameter {name}")))
    }

    /// A query-string parameter, if present and not empty.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A boolean query parameter: `true` or `false` (absent or empty is
    /// false); anything else is a 400 naming the parameter, never read as false.
    pub fn query_flag(&self, name: &str) -> AppResult<bool> {
        match self.query(name) {
            None | Some("") => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(AppError::field(name, "must be true or false")),
        }
    }

    /// Page size (`?limit=`, 1..=100, default 25) and cursor (`?cursor=`).
    pub fn page_params(&self) -> AppResult<(i32, Option<String>)> {
        let limit = match self.query("limit") {
            None => 25,
            Some(v) => v
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| AppError::field("limit", "must be an integer from 1 to 100"))?,
        };
        Ok((limit, self.query("cursor").map(str::to_string)))
    }

    /// The body as JSON of type `T`: requires `Content-Type: application/json`
    /// and a well-formed document; anything else is a clear 400/415.
    pub fn json<T: DeserializeOwned>(&self) -> AppResult<T> {
        parse_json(&self.headers, &self.body)
    }
}

/// Parses a JSON body with errors a client can act on.
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> AppResult<T> {
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if body.is_empty() {
        return Err(AppError::validation("a JSON request body is required"));
    }
    if mime != "application/json" && !mime.ends_with("+json") {
        return Err(AppError::UnsupportedMediaType(format!(
            "expected Content-Type: application/json, got {:?}",
            if content_type.is_empty() { "(none)" } else { content_type }
        )));
    }
    let syntax = |e: serde_json::Error| AppError::validation(format!("malformed JSON at line {} column {}: {e}", e.line(), e.column()));
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(syntax)?;
    // Every body is an object: serde would otherwise read a struct from an
    // array of its fields (`[null, null]`).
    if !value.is_object() {
        return Err(AppError::validation("the request body must be a JSON object"));
    }
    // JSON has one number type: `5.0` is the integer 5 (as JSON Schema says).
    whole_floats_to_integers(&mut value);
    serde_json::from_value::<T>(value).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => syntax(e),
            Category::Data => {
                let msg = e.to_string();
                let field = msg
                    .split('`')
                    .nth(1)
                    .filter(|_| msg.starts_with("missing field") || msg.starts_with("unknown field"))
                    .unwrap_or("body")
                    .to_string();
                let clean = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                AppError::fields(vec![FieldError::new(field, clean)])
            }
        }
    })
}

/// Rewrites numbers with no fractional part (`5.0`) as integers, so integer
/// fields accept them; `f64` fields read integers as well.
fn whole_floats_to_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(whole_floats_to_integers),
        _ => {}
    }
}

/// The API Gateway request id, or a fresh UUID v4.
pub fn request_id_of(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone().filter(|s| !s.is_empty()),
        _ => None,
    }
    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn body_bytes(body: &Body) -> Bytes {
    match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::copy_from_slice(t.as_bytes()),
        Body::Binary(b) => Bytes::copy_from_slice(b),
        _ => Bytes::new(),
    }
}

/// Serves one request with `router`: the whole shared request path. Every
/// outcome — success, error, unknown route, panic — is an envelope.
pub async fn dispatch(function: &'static str, state: Arc<AppState>, router: &Router, req: Request) -> Response<Body> {
    let request_id = request_id_of(&req);
    let span = tracing::info_span!("request", request_id = %request_id, function, account = tracing::field::Empty);
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.raw_http_path().to_string();
    let path = if path.is_empty() { req.uri().path().to_string() } else { path };
    let result = AssertUnwindSafe(handle(state, router, req, request_id.clone()).instrument(span.clone()))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".into());
            Err(AppError::Internal(format!("handler panicked: {msg}")))
        });
    let _enter = span.enter();
    let response = match result {
        Ok(reply) => success_response(&reply, &request_id),
        Err(err) => {
            if let AppError::Internal(cause) = &err {
                tracing::error!(%cause, "internal error");
            }
            error_response(&err, &request_id)
        }
    };
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

async fn handle(state: Arc<AppState>, router: &Router, req: Request, request_id: String) -> AppResult<Reply> {
    let (method, path) = (req.method().clone(), req.raw_http_path().to_string());
    let path = if path.is_empty() { req.uri().path().to_string() } else { path };
    let limit = if router.is_upload(&method, &path) { router::UPLOAD_MAX_BYTES.max(state.config.max_body_bytes) } else { state.config.max_body_bytes };
    // A body over the limit is refused before anything else reads it.
    let body_len = match req.body() {
        Body::Text(t) => t.len(),
        Body::Binary(b) => b.len(),
        _ => 0,
    };
    if body_len > limit {
        return Err(AppError::PayloadTooLarge { limit });
    }
    let (handler, params, gate) = router.find_gated(&method, &path)?;
    let query: HashMap<String, String> = req
        .query_string_parameters_ref()
        .map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        .unwrap_or_default();
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
        _ => None,
    };
    let (parts, body) = req.into_parts();
    // The per-IP budget: here for requests without a valid access token; the
    // guard takes it (in parallel with its reads) for the others.
    let signed_in = crate::auth::guard::bearer_headers(&parts.headers)
        .ok()
        .and_then(|t| state.tokens().ok().map(|k| k.verify(t, crate::auth::token::TokenType::Access).is_ok()))
        .unwrap_or(false);
    if !signed_in {
        crate::ratelimit::take(&state, crate::ratelimit::Budget::ip(&state.config.limits), crate::ratelimit::ip_subject(source_ip.as_deref())).await?;
    }
    let expensive = router.is_expensive(&method, &path);
    let body = body_bytes(&body);
    let ctx = RequestCtx { state, request_id, method, path, headers: parts.headers, query, params, body, source_ip, expensive, principal: Default::default() };
    // Who calls, before anything reads the body.
    if let Gate::Signed(access) = gate {
        crate::auth::guard::require(&ctx, access).await?;
    }
    handler(ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        h
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Patch {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        count: Option<u32>,
    }

    // Found by schemathesis: `PATCH /api/v1/users/{id}` with the body `[null, null]`
    // answered 200 (serde reads a struct from an array of its fields).
    #[test]
    fn a_body_that_is_not_an_object_is_a_400() {
        for body in ["[null, null]", "[]", "\"name\"", "3", "null"] {
            match parse_json::<Patch>(&json_headers(), body.as_bytes()) {
                Err(AppError::Validation { message, .. }) => assert!(message.contains("JSON object"), "{body}: {message}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    // Found by schemathesis: `5.0` is a JSON Schema integer but serde refused it for u32.
    #[test]
    fn whole_number_floats_read_as_integers_and_fractions_do_not() {
        let p: Patch = parse_json(&json_headers(), br#"{"count": 505.0}"#).unwrap();
        assert_eq!(p.count, Some(505));
        match parse_json::<Patch>(&json_headers(), br#"{"count": 5.5}"#) {
            Err(AppError::Validation { errors, .. }) => assert_eq!(errors[0].field, "body"),
            other => panic!("{other:?}"),
        }
        match parse_json::<Patch>(&json_headers(), br#"{"nope": 1}"#) {
            Err(AppError::Validation { errors, .. }) => assert_eq!(errors[0].field, "nope"),
            other => panic!("{other:?}"),
        }
        match parse_json::<Patch>(&json_headers(), br#"{"name": "x""#) {
            Err(AppError::Validation { message, .. }) => assert!(message.contains("malformed JSON at line 1"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}
