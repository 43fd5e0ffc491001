//! Registering for a competition: one registration per user, within the registration window
//! and the capacity, counted in the same transaction so concurrent callers never overfill it.

use crate::catalog::{self, Registration};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::store::db::{Db, Tx, TxError};
use crate::store::{self, keys};
use serde_json::json;

crate::plain_enum! {
    /// The one status a registration has today.
    pub enum RegistrationStatus {
        Registered = "registered",
    }
}

// The items of the registration transaction, by name.
const REGISTRATION: &str = "registration";
const COMPETITION: &str = "competition";

/// Writes the registration and counts it in one transaction, so a duplicate, a closed window
/// or a full competition leaves nothing behind, and concurrent callers can never overfill it.
pub async fn register(db: &Db, r: &Registration) -> ApiResult<()> {
    let now = r.created_at;
    let tx = Tx::new()
        .with(REGISTRATION, db.put_new(&keys::registration(&r.competition_id, &r.user_id), r))
        .with(COMPETITION, store::catalog::take_place(db, &r.competition_id, now));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(REGISTRATION) => Err(already_registered(db, r).await),
        Err(TxError::Conditions(_)) => Err(refused(db, &r.competition_id, now).await),
        Err(e) => Err(e.into()),
    }
}

async fn already_registered(db: &Db, r: &Registration) -> ApiError {
    match catalog::registration(db, &r.competition_id, &r.user_id).await {
        Ok(Some(existing)) => {
            ApiError::of(ErrorCode::RegistrationExists).with_details(json!({ "registration_id": existing.registration_id }))
        }
        Ok(None) => ApiError::internal(),
        Err(e) => e,
    }
}

/// Why the competition refused the registration, read back only on this error path.
async fn refused(db: &Db, competition_id: &str, now: i64) -> ApiError {
    match catalog::competition(db, competition_id).await {
        Ok(None) => ApiError::of(ErrorCode::CompetitionNotFound),
        Ok(Some(c)) if !c.registration_window_open(now) => ApiError::of(ErrorCode::RegistrationClosed),
        // Full, or it filled up and was re-read after: either way there is no place left.
        Ok(Some(_)) => ApiError::of(ErrorCode::RegistrationFull),
        Err(e) => e,
    }
}
