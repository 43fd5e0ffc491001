//! Requests that run at most once per key (`login_request_id`, `launch_request_id`): the first
//! runs, a repeat with the same payload is answered from the stored answer, another payload or
//! a request still running is refused.

use crate::store::db::Db;
use crate::store::idempotency::{Claim, Claimed, Idempotency, Replay};
use crate::store::keys::IdempotencyScope;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use lambda_http::http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// How a scope answers a key that comes back. By default: the stored answer as it was, and 409
/// `idempotency_key_reused` for another payload.
pub trait Replays<T: Send>: Sync {
    fn replay(&self, answer: T, _completed_at: i64, _now: i64) -> impl Future<Output = ApiResult<T>> + Send {
        async move { Ok(answer) }
    }

    fn reused(&self, _now: i64) -> impl Future<Output = ApiError> + Send {
        async { key_reused() }
    }
}

/// The default policy.
pub struct AsStored;
impl<T: Send> Replays<T> for AsStored {}

pub fn key_reused() -> ApiError {
    ApiError::of(ErrorCode::IdempotencyKeyReused)
}

/// Runs `work` at most once per key (scoped, with its payload): a repeat is answered by
/// `replays` from the first answer, another payload as `replays` says, and a failure gives the
/// key back for a retry. `work` completes the claim in its own transaction (`Claimed::complete`).
#[allow(clippy::too_many_arguments)]
pub async fn once<T: Serialize + DeserializeOwned + Send>(
    idempotency: &Idempotency,
    db: &Db,
    scope: IdempotencyScope,
    key: &str,
    payload: &[&str],
    now: i64,
    replays: &impl Replays<T>,
    work: impl AsyncFnOnce(&Claimed) -> ApiResult<T>,
) -> ApiResult<T> {
    let claimed = match idempotency.claim(db, scope, key, payload, now).await? {
        Claim::Replay(Replay { data, completed_at }) => {
            let answer = serde_json::from_value(data).map_err(|e| {
                tracing::error!(error = %e, "a stored answer does not decode");
                ApiError::internal()
            })?;
            return replays.replay(answer, completed_at, now).await;
        }
        Claim::Reused => return Err(replays.reused(now).await),
        Claim::InProgress => return Err(ApiError::of(ErrorCode::RequestInProgress)),
        Claim::Fresh(claimed) => claimed,
    };
    let result = work(&claimed).await;
    // On error the claim is released, so a retry with the key can succeed. Not when DynamoDB is
    // out of reach: the release would wait out another timeout, and the lease frees the key anyway.
    if let Err(e) = &result
        && e.status != StatusCode::SERVICE_UNAVAILABLE
    {
        claimed.release(db).await;
    }
    result
}
