//! The API error: a stable contract `code` (one enum, with its HTTP status and default
//! message), and the field it names.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use std::borrow::Cow;

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:ident, $message:literal;)+) => {
        /// Every code a client can see. It is part of the contract: clients switch on it, and
        /// `docs/openapi.yaml` lists exactly these (a test in `tests/` fails when they drift).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),+ }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status),+ }
            }

            pub fn message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $message),+ }
            }
        }
    };
}

error_codes! {
    InvalidRequest = "invalid_request", BAD_REQUEST, "the request is not valid";
    RouteCodeUnknown = "route_code_unknown", BAD_REQUEST, "route_code is not a route of this release";
    Unauthorized = "unauthorized", UNAUTHORIZED, "access token is not valid";
    TokenExpired = "token_expired", UNAUTHORIZED, "access token expired; refresh it";
    SmsCodeInvalid = "sms_code_invalid", UNAUTHORIZED, "the code is not valid";
    SmsCodeExpired = "sms_code_expired", UNAUTHORIZED, "the code has expired; ask for a new one";
    WechatCodeInvalid = "wechat_code_invalid", UNAUTHORIZED, "the WeChat login code is invalid or already used";
    RefreshTokenInvalid = "refresh_token_invalid", UNAUTHORIZED, "refresh token is not valid; log in again";
    RefreshTokenExpired = "refresh_token_expired", UNAUTHORIZED, "refresh token has expired; log in again";
    RefreshTokenReused = "refresh_token_reused", UNAUTHORIZED, "refresh token was already used; every token of this login is revoked";
    ClientTypeMismatch = "client_type_mismatch", FORBIDDEN, "client_type differs from the one your access token was issued for";
    RegistrationClosed = "registration_closed", FORBIDDEN, "registration for this competition is not open";
    RegistrationRequired = "registration_required", FORBIDDEN, "register for the competition before launching";
    DirectEntryDisabled = "direct_entry_disabled", FORBIDDEN, "this event cannot be entered directly; enter it through its competition";
    CompetitionNotActive = "competition_not_active", FORBIDDEN, "the competition is not running now; launch inside its dates";
    ConfirmationMismatch = "confirmation_mismatch", FORBIDDEN, "confirm with a login of this account";
    CancellationClosed = "cancellation_closed", FORBIDDEN, "registration can no longer be cancelled: it is closed or the competition has started";
    NotFound = "not_found", NOT_FOUND, "no such route";
    UserNotFound = "user_not_found", NOT_FOUND, "no such user";
    CompetitionNotFound = "competition_not_found", NOT_FOUND, "no competition with this competition_id";
    EventNotFound = "event_not_found", NOT_FOUND, "no such event";
    MapNotFound = "map_not_found", NOT_FOUND, "no map with this map_id";
    RegistrationNotFound = "registration_not_found", NOT_FOUND, "you are not registered for this competition";
    SessionNotFound = "session_not_found", NOT_FOUND, "no such session of yours";
    LeaderboardNotEnabled = "leaderboard_not_enabled", NOT_FOUND, "this competition has no leaderboard";
    BoardNotEnabled = "board_not_enabled", NOT_FOUND, "this competition has no live board";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "method not allowed on this route";
    IdempotencyKeyReused = "idempotency_key_reused", CONFLICT, "this request id was already used with a different payload";
    RequestInProgress = "request_in_progress", CONFLICT, "a request with this id is still being processed; retry shortly";
    LoginInUse = "login_in_use", CONFLICT, "this login belongs to another account";
    LoginAlreadyBound = "login_already_bound", CONFLICT, "your account already has a login of this kind";
    ProfileUpdateConflict = "profile_update_conflict", CONFLICT, "the profile is being updated by other requests; retry";
    RegistrationExists = "registration_exists", CONFLICT, "already registered for this competition";
    RegistrationFull = "registration_full", CONFLICT, "the competition is full";
    EventReleaseStale = "EVENT_RELEASE_STALE", CONFLICT, "the release you hold is no longer current; download the current one";
    BatchSeqReused = "batch_seq_reused", CONFLICT, "this batch_seq was already uploaded with other samples";
    PunchSeqReused = "punch_seq_reused", CONFLICT, "this punch_seq was already sent with another punch";
    PunchesMissing = "punches_missing", CONFLICT, "punches up to last_punch_seq are missing; send them, then finish again";
    SessionNotFinished = "session_not_finished", CONFLICT, "the session has not finished yet";
    SessionClosed = "session_closed", CONFLICT, "the session takes no more uploads: it finished more than 72 hours ago";
    SessionTrackFull = "session_track_full", CONFLICT, "the session holds the most track samples a session may (43,200: 12 hours at 1 Hz)";
    SessionLimitReached = "session_limit_reached", CONFLICT, "this account has launched the most sessions an account may (2,000)";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "request body too large";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json";
    SmsCooldown = "sms_cooldown", TOO_MANY_REQUESTS, "a code was sent moments ago; wait before asking again";
    SmsDailyLimit = "sms_daily_limit", TOO_MANY_REQUESTS, "daily SMS limit reached";
    SmsIpLimit = "sms_ip_limit", TOO_MANY_REQUESTS, "too many codes requested from this network; try again later";
    SmsGlobalLimit = "sms_global_limit", TOO_MANY_REQUESTS, "SMS sending is paused for a while; try again later";
    SmsCodeAttemptsExceeded = "sms_code_attempts_exceeded", TOO_MANY_REQUESTS, "too many wrong codes; try again later";
    WechatRateLimited = "wechat_rate_limited", TOO_MANY_REQUESTS, "WeChat is rate limiting logins; retry shortly";
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "internal error";
    SmsSendFailed = "sms_send_failed", BAD_GATEWAY, "the SMS could not be sent; try again";
    WechatUnavailable = "wechat_unavailable", BAD_GATEWAY, "WeChat did not answer; try again";
    ServiceUnavailable = "service_unavailable", SERVICE_UNAVAILABLE, "the service is temporarily unavailable, retry shortly";
    WechatNotConfigured = "wechat_not_configured", SERVICE_UNAVAILABLE, "WeChat login is not configured for this client type";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

const MAX_ECHOED_CHARS: usize = 64;

/// Every failure a client can see: the code, its status, a message and details.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    pub details: Value,
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self { status: code.status(), code, message: Cow::Borrowed(code.message()), details: json!({}) }
    }
}

impl ApiError {
    /// `code` with its status and default message.
    pub fn of(code: ErrorCode) -> Self {
        code.into()
    }

    /// The same code, told more precisely.
    pub fn saying(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = message.into();
        self
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
        Self::of(ErrorCode::InvalidRequest).saying(format!("{field}: {reason}")).with_details(json!({ "field": field, "reason": reason }))
    }

    pub fn unauthorized(message: &'static str) -> Self {
        Self::of(ErrorCode::Unauthorized).saying(message)
    }

    /// A 429 with `details.retry_after_sec`, the one number a throttled client needs.
    pub fn too_many(code: ErrorCode, retry_after_sec: i64) -> Self {
        Self::of(code).with_details(json!({ "retry_after_sec": retry_after_sec.max(1) }))
    }

    /// 503: the database (or another dependency we cannot work without) is out of reach.
    pub fn unavailable() -> Self {
        Self::of(ErrorCode::ServiceUnavailable)
    }

    /// 500 for faults that are ours; the cause goes to the log, never to the client.
    pub fn internal() -> Self {
        Self::of(ErrorCode::InternalError)
    }

    pub fn is_server_fault(&self) -> bool {
        self.status.is_server_error()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_each_has_its_status() {
        let mut seen = std::collections::HashSet::new();
        assert!(ErrorCode::ALL.iter().all(|c| seen.insert(c.as_str())));
        assert_eq!(ApiError::of(ErrorCode::EventReleaseStale).status, StatusCode::CONFLICT);
        assert_eq!(ApiError::too_many(ErrorCode::SmsCooldown, 0).details["retry_after_sec"], 1);
        assert!(ErrorCode::ALL.iter().all(|c| c.status().is_client_error() || c.status().is_server_error()));
    }
}
