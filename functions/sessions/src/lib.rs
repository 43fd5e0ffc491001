//! `sessions`: the reserved session-chain routes (501 with their contract codes), the published
//! OpenAPI file, and the catch-all that answers every other `/client/v1` path with 404 or 405.

use lambda_http::http::StatusCode;
use shared::{ApiError, ApiResult, Call, Function, Reply};

pub struct Sessions;

/// The contract's "routed, not implemented" code for each reserved route.
fn not_ready_code(path: &str) -> Option<&'static str> {
    Some(match path {
        "/client/v1/session-uploads" => "session_upload_not_ready",
        "/client/v1/punches" => "session_punch_not_ready",
        "/client/v1/sessions/{session_id}/finish" => "session_finish_not_ready",
        "/client/v1/sessions/{session_id}/result" => "session_result_not_ready",
        "/client/v1/sessions/{session_id}/replay-summary" => "session_replay_summary_not_ready",
        "/client/v1/sessions/{session_id}/gps-track" => "session_gps_track_not_ready",
        "/client/v1/sessions/{session_id}/heart-rate" => "session_heart_rate_not_ready",
        "/client/v1/me/sessions" => "session_history_not_ready",
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
            Some(code) => Err(ApiError::new(StatusCode::NOT_IMPLEMENTED, code, "this session endpoint is not open yet")),
            None => Err(ApiError::not_found("not_found", "no such route")),
        }
    }
}
