//! The body profile's use cases: its status for a login answer, and an update that merges over
//! the stored profile under optimistic concurrency, with a version item per accepted write.

use crate::model::profile::{ProfileChange, ProfileItem};
use crate::service::auth::refresh::logged_out;
use crate::store::db::{Db, Tx, TxError, TxItem, jitter};
use crate::store::profile as store;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::types::BodyProfileStatus;
use std::time::Duration;

/// Optimistic-concurrency attempts before answering 409: each lost race means another write
/// committed, so 40 covers dozens of simultaneous writers to one profile.
pub const MAX_ATTEMPTS: u32 = 40;

/// The profile status for a login response (one GetItem). A user whose profile item is missing
/// (never expected: both are written in one transaction) is reported `pending`, so the client
/// asks for the profile rather than the login failing.
pub async fn status(db: &Db, user_id: &str) -> ApiResult<BodyProfileStatus> {
    match store::status(db, user_id).await? {
        Some(status) => Ok(status),
        None => {
            tracing::warn!(user_id, "user without a body profile item");
            Ok(BodyProfileStatus::Pending)
        }
    }
}

/// Applies a validated change to the user's profile: read, merge, check, then one transaction
/// (profile update conditional on the version read + a new version item). A lost race re-reads
/// and retries with jitter; after [`MAX_ATTEMPTS`] the caller gets 409 `profile_update_conflict`.
/// Returns the merged profile as written. 404 `user_not_found` when the user has no profile.
pub async fn update(db: &Db, user_id: &str, change: &ProfileChange, now: i64, caller: &Tx) -> ApiResult<ProfileItem> {
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(jitter((5 * u64::from(attempt)).min(100)))).await;
        }
        let Some(stored) = store::get(db, user_id).await? else {
            return Err(ApiError::of(ErrorCode::UserNotFound));
        };
        let profile = stored.changed(change, now)?;
        let mut tx = caller.clone();
        tx.append(store::write_next(db, &profile, stored.version));
        match db.transact(tx).await {
            Ok(()) => return Ok(profile),
            Err(e) if e.failed(TxItem::LoginAlive) => return Err(logged_out()),
            // Another write moved the version on: merge over its result.
            Err(e) if e.failed(TxItem::Profile) => continue,
            Err(TxError::Conditions(failed)) => {
                // The profile was at the version read but the next version item already exists:
                // the history is out of step with the profile, which no retry can fix.
                tracing::error!(user_id, version = profile.version, ?failed, "profile version item already exists");
                return Err(ApiError::internal());
            }
            Err(TxError::Store(e)) => return Err(e.into()),
        }
    }
    tracing::warn!(user_id, attempts = MAX_ATTEMPTS, "profile update kept losing the version race");
    Err(ApiError::of(ErrorCode::ProfileUpdateConflict))
}
