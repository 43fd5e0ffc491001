//! The API error: a stable contract `code`, its HTTP status, and the field it names.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use std::borrow::Cow;

const MAX_ECHOED_CHARS: usize = 64;

/// Every failure a client can see. The `code` is part of the contract: clients switch on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: Cow<'static, str>,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self { status, code: Cow::Borrowed(code), message: message.into(), details: json!({}) }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// 400 `invalid_request` naming the offending field (body field, query or path parameter).
    /// A field name comes from the client (an unknown key), so at most 64 characters of it are echoed.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let field = match field.char_indices().nth(MAX_ECHOED_CHARS) {
            Some((cut, _)) => format!("{}…", &field[..cut]),
            None => field.to_string(),
        };
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", format!("{field}: {reason}"))
            .with_details(json!({ "field": field, "reason": reason }))
    }

    pub fn unauthorized(message: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn not_found(code: &'static str, message: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn forbidden(code: &'static str, message: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn conflict(code: &'static str, message: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 429 with `details.retry_after_sec`, the one number a throttled client needs.
    pub fn too_many(code: &'static str, message: &'static str, retry_after_sec: i64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, code, message).with_details(json!({ "retry_after_sec": retry_after_sec.max(1) }))
    }

    /// 503: the database (or another dependency we cannot work without) is out of reach.
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "the service is temporarily unavailable, retry shortly")
    }

    /// 500 for faults that are ours; the cause goes to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error")
    }

    pub fn is_server_fault(&self) -> bool {
        self.status.is_server_error() && self.status != StatusCode::NOT_IMPLEMENTED
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;
