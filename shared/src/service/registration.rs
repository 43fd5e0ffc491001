//! Registering for a competition: one registration per user, within the registration window
//! and the capacity, counted in the same transaction so concurrent callers never overfill it.

use crate::model::catalog::Registration;
use crate::service::auth::refresh::logged_out;
use crate::store;
use crate::store::db::{Db, Tx, TxError, TxItem};
use crate::support::cursor::Cursors;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use serde_json::json;

/// Writes the registration and counts it in one transaction, so a duplicate, a closed window
/// or a full competition leaves nothing behind, and concurrent callers can never overfill it.
/// `caller` holds the conditions on the caller's login (`refresh::login_alive`).
pub async fn register(db: &Db, r: &Registration, caller: Tx) -> ApiResult<()> {
    let now = r.created_at;
    let tx = caller
        .with(TxItem::Registration, store::catalog::put_registration(db, r))
        .with(TxItem::Competition, store::catalog::take_place(db, &r.competition_id, now));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(TxItem::LoginAlive) => Err(logged_out()),
        Err(e) if e.failed(TxItem::Registration) => Err(already_registered(db, r).await),
        Err(TxError::Conditions(_)) => Err(refused(db, &r.competition_id, now).await),
        Err(e) => Err(e.into()),
    }
}

async fn already_registered(db: &Db, r: &Registration) -> ApiError {
    match store::catalog::registration(db, &r.competition_id, &r.user_id).await {
        Ok(Some(existing)) => {
            ApiError::of(ErrorCode::RegistrationExists).with_details(json!({ "registration_id": existing.registration_id }))
        }
        Ok(None) => ApiError::internal(),
        Err(e) => e.into(),
    }
}

/// Why the competition refused the registration, read back only on this error path.
async fn refused(db: &Db, competition_id: &str, now: i64) -> ApiError {
    match store::catalog::competition(db, competition_id).await {
        Ok(None) => ApiError::of(ErrorCode::CompetitionNotFound),
        Ok(Some(c)) if !c.registration_window_open(now) => ApiError::of(ErrorCode::RegistrationClosed),
        // Full, or it filled up and was re-read after: either way there is no place left.
        Ok(Some(_)) => ApiError::of(ErrorCode::RegistrationFull),
        Err(e) => e.into(),
    }
}

/// Cancels the caller's registration: only while registration is open and before the
/// competition starts; the place is given back in the same transaction.
pub async fn cancel(db: &Db, competition_id: &str, user_id: &str, now: i64, caller: Tx) -> ApiResult<()> {
    let tx = caller
        .with(TxItem::Registration, store::catalog::delete_registration(db, competition_id, user_id))
        .with(TxItem::Competition, store::catalog::free_place(db, competition_id, now));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(TxItem::LoginAlive) => Err(logged_out()),
        Err(e) if e.failed(TxItem::Registration) => match store::catalog::competition(db, competition_id).await? {
            None => Err(ApiError::of(ErrorCode::CompetitionNotFound)),
            Some(_) => Err(ApiError::of(ErrorCode::RegistrationNotFound)),
        },
        Err(TxError::Conditions(_)) => Err(ApiError::of(ErrorCode::CancellationClosed)),
        Err(e) => Err(e.into()),
    }
}

/// A page of the caller's registrations, newest first.
pub struct Page {
    pub registrations: Vec<Registration>,
    /// Where the next page starts; `None` on the last one.
    pub next_cursor: Option<String>,
}

const LIST: &str = "me/registrations";

/// One page of `user_id`'s registrations (one Query), after `cursor` (sealed for this list and user).
pub async fn mine(db: &Db, cursors: &Cursors, user_id: &str, cursor: Option<&str>, limit: usize) -> ApiResult<Page> {
    let after = cursor.map(|c| cursors.open_created(LIST, user_id, c)).transpose()?;
    let (registrations, more) =
        store::catalog::registrations_of(db, user_id, limit, after.as_ref().map(|(at, id)| (*at, id.as_str()))).await?;
    let next_cursor = match (more, registrations.last()) {
        (true, Some(last)) => Some(cursors.seal_created(LIST, user_id, last.created_at, &last.competition_id)),
        _ => None,
    };
    Ok(Page { registrations, next_cursor })
}
