//! Field checks every layer applies to what a client sent: each failure a 400 naming the field.

use crate::support::error::{ApiError, ApiResult};

/// A value, when there is one, from `min` to `max`; else a 400 naming `field` and the range.
pub fn check_range<T: PartialOrd + std::fmt::Display + Copy>(field: &str, value: Option<T>, (min, max): (T, T)) -> ApiResult<()> {
    match value {
        Some(v) if !(v >= min && v <= max) => Err(ApiError::invalid(field, format!("must be from {min} to {max}"))),
        _ => Ok(()),
    }
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
