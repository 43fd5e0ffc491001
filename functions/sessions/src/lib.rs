//! `sessions`: the reserved session-chain routes (501 with their contract codes), the published
//! OpenAPI file, and the catch-all that answers every other `/client/v1` path with 404 or 405.

use shared::http::error::ErrorCode;
use shared::{ApiError, ApiResult, Call, Function, Reply};

pub struct Sessions;

/// The contract's "routed, not implemented" code for each reserved route.
fn not_ready_code(path: &str) -> Option<ErrorCode> {
    Some(match path {
        "/client/v1/session-uploads" => ErrorCode::SessionUploadNotReady,
        "/client/v1/punches" => ErrorCode::SessionPunchNotReady,
        "/client/v1/sessions/{session_id}/finish" => ErrorCode::SessionFinishNotReady,
        "/client/v1/sessions/{session_id}/result" => ErrorCode::SessionResultNotReady,
        "/client/v1/sessions/{session_id}/replay-summary" => ErrorCode::SessionReplaySummaryNotReady,
        "/client/v1/sessions/{session_id}/gps-track" => ErrorCode::SessionGpsTrackNotReady,
        "/client/v1/sessions/{session_id}/heart-rate" => ErrorCode::SessionHeartRateNotReady,
        "/client/v1/me/sessions" => ErrorCode::SessionHistoryNotReady,
        _ => return None,
    })
}

pub const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

impl Function for Sessions {
    const NAME: &'static str = "sessions";

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        if call.route.path == "/client/v1/openapi.yaml" {
            return Ok(Reply::file("application/yaml", OPENAPI));
        }
        match not_ready_code(call.route.path) {
            Some(code) => Err(ApiError::of(code)),
            None => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}
