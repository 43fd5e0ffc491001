//! A routed call and what a handler reads from it: the JSON body, path and query parameters,
//! the bearer token — each failure a 400 that names the field.

use crate::error::{ApiError, ApiResult};
use crate::routes::{Params, Route};
use lambda_http::http::{StatusCode, header};
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::json;

pub struct Call<'a> {
    pub route: &'static Route,
    pub params: Params,
    pub req: &'a Request,
    pub request_id: &'a str,
}

impl Call<'_> {
    /// The JSON body as `T`. An empty body reads as `{}`, so a missing field is named as such.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if let Some(ct) = self.req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            if !(ct.starts_with("application/json") || ct.contains("+json")) {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send Content-Type: application/json",
                )
                .with_details(json!({ "field": "Content-Type" })));
            }
        }
        let body: &[u8] = self.req.body().as_ref();
        let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
        parse_json(body)
    }

    /// A path parameter, checked to be a plausible id (so `/`, NUL or a 10 KB id never reach the database).
    pub fn id(&self, name: &'static str) -> ApiResult<&str> {
        let value = self.params.get(name).map(String::as_str).unwrap_or("");
        check_id(name, value)?;
        Ok(value)
    }

    pub fn query(&self, name: &str) -> Option<String> {
        self.req.query_string_parameters_ref().and_then(|q| q.first(name).map(str::to_owned))
    }

    /// A positive integer query parameter with a default and a maximum.
    pub fn query_int(&self, name: &'static str, default: u32, max: u32) -> ApiResult<u32> {
        match self.query(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(name, format!("must be an integer from 1 to {max}"))),
            },
        }
    }

    /// The `Authorization: Bearer …` token, if the header is there at all.
    pub fn bearer(&self) -> Option<ApiResult<&str>> {
        let value = self.req.headers().get(header::AUTHORIZATION)?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        Some(token.ok_or_else(|| ApiError::unauthorized("Authorization must be \"Bearer <access_token>\"")))
    }
}

/// Parses a JSON object into `T`; malformed JSON, a wrong type, a missing, unknown or
/// out-of-enum field each become a 400 naming it.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| ApiError::invalid("body", format!("malformed JSON ({e})")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde reports missing and unknown fields at the parent; the name is in the message.
        let quoted = inner.split('`').nth(1).unwrap_or("body").to_string();
        let field = if path != "." { path } else { quoted };
        let reason = inner.split(" at line ").next().unwrap_or(&inner).to_string();
        ApiError::invalid(&field, reason)
    })
}

/// Ids are short and plain: letters, digits and `._:-`, at most 128 characters.
pub fn check_id(field: &str, value: &str) -> ApiResult<()> {
    let ok = (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if ok { Ok(()) } else { Err(ApiError::invalid(field, "must be 1-128 characters of letters, digits, '_', '-', '.', ':'")) }
}

/// A required free-form token such as `device_id` or an idempotency key: non-empty, bounded,
/// printable ASCII.
pub fn check_token(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(ApiError::invalid(field, format!("must be at most {max} characters")));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(field, "must be printable ASCII without spaces"));
    }
    Ok(())
}
