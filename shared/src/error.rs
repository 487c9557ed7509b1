//! The one error type. Every failure a request can meet is an [`AppError`],
//! mapped to exactly one (HTTP status, `error_code`) pair; the envelope module
//! turns it into the error envelope. Internal errors are logged with their
//! cause and returned to the client without it.

use http::StatusCode;
use serde::Serialize;

/// A field-level validation problem, returned in the envelope's `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Validation { message: String, errors: Vec<FieldError> },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// A cookie-session request without the matching `X-CSRF-Token`.
    #[error("{0}")]
    Csrf(String),
    /// A plan limit was hit; the message names the limit.
    #[error("{0}")]
    PlanLimit(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method {method} is not allowed here; allowed: {}", allowed.join(", "))]
    MethodNotAllowed { method: String, allowed: Vec<String> },
    #[error("{0}")]
    Conflict(String),
    /// The site or sector is being deleted (a delete job runs): it takes no
    /// reads or writes any more.
    #[error("{0}")]
    BeingDeleted(String),
    #[error("{0}")]
    InsufficientCredits(String),
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    /// Anything unexpected. The string is logged, never sent to the client.
    #[error("internal error")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// The error-code catalogue: every `error_code` the API can answer with, its
/// HTTP status and when it is used. The OpenAPI document publishes it
/// (`ErrorCode` and `x-error-codes`); a unit test keeps it equal to
/// [`AppError::code`] and [`AppError::status`].
pub const CATALOGUE: &[(&str, u16, &str)] = &[
    ("VALIDATION_ERROR", 400, "The request is malformed or a field is invalid; `errors` names the fields."),
    ("UNAUTHORIZED", 401, "No valid access token (missing, expired, revoked), or wrong credentials."),
    ("INSUFFICIENT_CREDITS", 402, "The account's credits do not cover the estimate; nothing was queued."),
    ("FORBIDDEN", 403, "The caller's role does not allow this (the operation's `x-required-role`)."),
    ("CSRF_FAILED", 403, "A cookie-session refresh or logout without the `X-CSRF-Token` header matching the session's CSRF cookie."),
    ("PLAN_LIMIT", 403, "A hard limit of the account's plan (sites, users); the message names it."),
    ("NOT_FOUND", 404, "No such route, or no such item in the caller's account (other tenants' ids too)."),
    ("METHOD_NOT_ALLOWED", 405, "The path exists with other methods, named in `Allow`."),
    ("CONFLICT", 409, "The item changed (stale `version`), a state transition is not allowed, or it already exists."),
    ("BEING_DELETED", 409, "The site or sector is being deleted by a job (named in the message); nothing under it can be read or changed."),
    ("PAYLOAD_TOO_LARGE", 413, "The body is larger than the route accepts."),
    ("UNSUPPORTED_MEDIA_TYPE", 415, "The body is not `application/json` (or, for uploads, not a supported file)."),
    ("RATE_LIMITED", 429, "A request budget is empty; retry after `Retry-After` seconds."),
    ("INTERNAL_ERROR", 500, "Unexpected; quote the `request_id` when reporting it (no internals are shown)."),
];

impl AppError {
    pub fn validation(message: impl Into<String>) -> Self {
        AppError::Validation { message: message.into(), errors: Vec::new() }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let fe = FieldError::new(field, message);
        AppError::Validation { message: format!("{}: {}", fe.field, fe.message), errors: vec![fe] }
    }

    pub fn fields(errors: Vec<FieldError>) -> Self {
        let message = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        AppError::Validation { message, errors }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::InsufficientCredits(_) => StatusCode::PAYMENT_REQUIRED,
            AppError::Forbidden(_) | AppError::PlanLimit(_) | AppError::Csrf(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::BeingDeleted(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, documented error code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "VALIDATION_ERROR",
            AppError::Unauthorized(_) => "UNAUTHORIZED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::PlanLimit(_) => "PLAN_LIMIT",
            AppError::Csrf(_) => "CSRF_FAILED",
            AppError::InsufficientCredits(_) => "INSUFFICIENT_CREDITS",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            AppError::Conflict(_) => "CONFLICT",
            AppError::BeingDeleted(_) => "BEING_DELETED",
            AppError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            AppError::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// The message shown to the client. Internal causes are never exposed.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "An unexpected error occurred. Quote the request_id when reporting it.".into(),
            other => other.to_string(),
        }
    }
}

impl From<serde_dynamo::Error> for AppError {
    fn from(e: serde_dynamo::Error) -> Self {
        AppError::Internal(format!("item (de)serialization: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_stable_status_and_code() {
        let cases: Vec<(AppError, u16, &str)> = vec![
            (AppError::validation("x"), 400, "VALIDATION_ERROR"),
            (AppError::Unauthorized("x".into()), 401, "UNAUTHORIZED"),
            (AppError::InsufficientCredits("x".into()), 402, "INSUFFICIENT_CREDITS"),
            (AppError::Forbidden("x".into()), 403, "FORBIDDEN"),
            (AppError::PlanLimit("sites".into()), 403, "PLAN_LIMIT"),
            (AppError::Csrf("x".into()), 403, "CSRF_FAILED"),
            (AppError::not_found("site"), 404, "NOT_FOUND"),
            (AppError::MethodNotAllowed { method: "PUT".into(), allowed: vec!["GET".into()] }, 405, "METHOD_NOT_ALLOWED"),
            (AppError::Conflict("x".into()), 409, "CONFLICT"),
            (AppError::BeingDeleted("x".into()), 409, "BEING_DELETED"),
            (AppError::PayloadTooLarge { limit: 10 }, 413, "PAYLOAD_TOO_LARGE"),
            (AppError::UnsupportedMediaType("x".into()), 415, "UNSUPPORTED_MEDIA_TYPE"),
            (AppError::RateLimited { message: "x".into(), retry_after_secs: 3 }, 429, "RATE_LIMITED"),
            (AppError::internal("db exploded at 10.0.0.1"), 500, "INTERNAL_ERROR"),
        ];
        let documented: Vec<(&str, u16)> = CATALOGUE.iter().map(|(c, s, _)| (*c, *s)).collect();
        assert_eq!(documented.len(), cases.len(), "the catalogue lists every code once");
        for (err, status, code) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
            assert_eq!(err.code(), code, "{err:?}");
            assert!(documented.contains(&(code, status)), "{code} {status} is missing from error::CATALOGUE");
        }
    }

    #[test]
    fn internal_errors_never_leak_their_cause() {
        let e = AppError::internal("ConditionalCheckFailed on table igny8-prod at 10.0.0.1");
        assert!(!e.public_message().contains("10.0.0.1"));
        assert!(!e.public_message().contains("igny8-prod"));
    }

    #[test]
    fn field_errors_name_the_field() {
        match AppError::field("name", "is required") {
            AppError::Validation { message, errors } => {
                assert_eq!(message, "name: is required");
                assert_eq!(errors, vec![FieldError::new("name", "is required")]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
