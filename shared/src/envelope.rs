//! The one response envelope.
//!
//! Success: `{success: true, data, message, request_id, timestamp}`.
//! Error:   `{success: false, error, error_code, request_id, timestamp}` plus
//! `errors: [{field, message}]` for validation failures.
//! Every response carries the request id in the `x-request-id` header too.

use crate::error::AppError;
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{Value, json};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// `data` of a delete: the id that is gone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Removed {
    pub id: String,
}

impl Removed {
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// `data` of an operation with nothing to return (`{}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Empty {}

/// What a route handler returns on success: a status, the `data` payload and
/// an optional human message.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub data: Value,
    pub message: Option<String>,
    /// Extra response headers (each appended, so several `Set-Cookie` stay
    /// apart; API Gateway turns them into the response's `cookies`).
    pub headers: Vec<(http::HeaderName, HeaderValue)>,
}

impl Reply {
    pub fn ok(data: impl Serialize) -> Self {
        Self::with_status(StatusCode::OK, data)
    }

    pub fn created(data: impl Serialize) -> Self {
        Self::with_status(StatusCode::CREATED, data)
    }

    pub fn accepted(data: impl Serialize) -> Self {
        Self::with_status(StatusCode::ACCEPTED, data)
    }

    pub fn with_status(status: StatusCode, data: impl Serialize) -> Self {
        let data = serde_json::to_value(data).unwrap_or(Value::Null);
        Self { status, data, message: None, headers: Vec::new() }
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Appends response headers (e.g. the `Set-Cookie`s of a cookie session).
    pub fn headers(mut self, headers: impl IntoIterator<Item = (http::HeaderName, HeaderValue)>) -> Self {
        self.headers.extend(headers);
        self
    }
}

/// The success envelope body.
pub fn success_body(reply: &Reply, request_id: &str) -> Value {
    json!({
        "success": true,
        "data": reply.data,
        "message": reply.message,
        "request_id": request_id,
        "timestamp": crate::ids::now_rfc3339(),
    })
}

/// The error envelope body.
pub fn error_body(err: &AppError, request_id: &str) -> Value {
    let mut body = json!({
        "success": false,
        "error": err.public_message(),
        "error_code": err.code(),
        "request_id": request_id,
        "timestamp": crate::ids::now_rfc3339(),
    });
    if let AppError::Validation { errors, .. } = err
        && !errors.is_empty() {
            body["errors"] = serde_json::to_value(errors).unwrap_or(Value::Null);
        }
    body
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response<Body> {
    let mut resp = Response::new(Body::Text(body.to_string()));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    resp
}

pub fn success_response(reply: &Reply, request_id: &str) -> Response<Body> {
    let mut resp = json_response(reply.status, &success_body(reply, request_id), request_id);
    for (name, value) in &reply.headers {
        resp.headers_mut().append(name.clone(), value.clone());
    }
    resp
}

pub fn error_response(err: &AppError, request_id: &str) -> Response<Body> {
    let mut resp = json_response(err.status(), &error_body(err, request_id), request_id);
    match err {
        AppError::RateLimited { retry_after_secs, .. } => {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
        }
        AppError::MethodNotAllowed { allowed, .. } => {
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                resp.headers_mut().insert(http::header::ALLOW, v);
            }
        }
        _ => {}
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_envelope_has_every_field() {
        let body = success_body(&Reply::ok(json!({"a": 1})).message("done"), "rid-1");
        assert_eq!(body["success"], true);
        assert_eq!(body["data"]["a"], 1);
        assert_eq!(body["message"], "done");
        assert_eq!(body["request_id"], "rid-1");
        assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn error_envelope_carries_code_and_field_errors() {
        let err = AppError::field("email", "is not an email address");
        let body = error_body(&err, "rid-2");
        assert_eq!(body["success"], false);
        assert_eq!(body["error_code"], "VALIDATION_ERROR");
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["request_id"], "rid-2");
        assert!(body.get("data").is_none());
    }

    #[test]
    fn rate_limited_sets_retry_after_and_405_sets_allow() {
        let r = error_response(&AppError::RateLimited { message: "slow down".into(), retry_after_secs: 30 }, "r");
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "30");
        assert_eq!(r.headers()["x-request-id"], "r");
        let r = error_response(&AppError::MethodNotAllowed { method: "PUT".into(), allowed: vec!["GET".into(), "POST".into()] }, "r");
        assert_eq!(r.headers()["allow"], "GET, POST");
    }
}
