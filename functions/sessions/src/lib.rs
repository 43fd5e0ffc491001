//! `sessions`: the reserved session-chain routes (501 with their contract codes), the published
//! OpenAPI file, and the catch-all that answers every other `/client/v1` path with 404 or 405.

use shared::http::error::ErrorCode;
use shared::http::routes::Operation;
use shared::{ApiError, ApiResult, Call, Function, Reply};

pub struct Sessions;

/// The contract's "routed, not implemented" code for each reserved route.
fn not_ready_code(operation: Operation) -> Option<ErrorCode> {
    Some(match operation {
        Operation::UploadSession => ErrorCode::SessionUploadNotReady,
        Operation::SubmitPunches => ErrorCode::SessionPunchNotReady,
        Operation::FinishSession => ErrorCode::SessionFinishNotReady,
        Operation::GetSessionResult => ErrorCode::SessionResultNotReady,
        Operation::GetSessionReplaySummary => ErrorCode::SessionReplaySummaryNotReady,
        Operation::GetSessionGpsTrack => ErrorCode::SessionGpsTrackNotReady,
        Operation::GetSessionHeartRate => ErrorCode::SessionHeartRateNotReady,
        Operation::ListMySessions => ErrorCode::SessionHistoryNotReady,
        _ => return None,
    })
}

pub const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

impl Function for Sessions {
    const NAME: &'static str = "sessions";

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        if call.route.operation == Operation::GetOpenApi {
            return Ok(Reply::file("application/yaml", OPENAPI));
        }
        match not_ready_code(call.route.operation) {
            Some(code) => Err(ApiError::of(code)),
            None => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}
