//! Registering for a competition: one registration per user, within the registration window
//! and the capacity, counted in the same transaction so concurrent callers never overfill it.

use crate::auth::refresh::{LOGIN_ALIVE, logged_out};
use crate::catalog::{self, Registration};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::store::db::{After, Db, Tx, TxError};
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
/// `caller` holds the conditions on the caller's login (`refresh::login_alive`).
pub async fn register(db: &Db, r: &Registration, caller: Tx) -> ApiResult<()> {
    let now = r.created_at;
    let tx = caller
        .with(REGISTRATION, db.put_new_owned(&keys::registration(&r.competition_id, &r.user_id), &r.owner_key(), r))
        .with(COMPETITION, store::catalog::take_place(db, &r.competition_id, now));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(LOGIN_ALIVE) => Err(logged_out()),
        Err(e) if e.failed(REGISTRATION) => Err(already_registered(db, r).await),
        Err(TxError::Conditions(_)) => Err(refused(db, &r.competition_id, now).await),
        Err(e) => Err(e.into()),
    }
}

impl Registration {
    /// Its place in the user's list of registrations.
    pub fn owner_key(&self) -> keys::Key {
        keys::user_registration(&self.user_id, self.created_at, &self.competition_id)
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

/// Cancels the caller's registration: only while registration is open and before the
/// competition starts; the place is given back in the same transaction.
pub async fn cancel(db: &Db, competition_id: &str, user_id: &str, now: i64, caller: Tx) -> ApiResult<()> {
    let tx = caller
        .with(REGISTRATION, db.delete_existing(&keys::registration(competition_id, user_id)))
        .with(COMPETITION, store::catalog::free_place(db, competition_id, now));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(LOGIN_ALIVE) => Err(logged_out()),
        Err(e) if e.failed(REGISTRATION) => match catalog::competition(db, competition_id).await? {
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

/// One page of `user_id`'s registrations (one Query), after `cursor` (from the previous page).
pub async fn mine(db: &Db, user_id: &str, cursor: Option<&str>, limit: usize) -> ApiResult<Page> {
    let after = cursor.map(|c| Cursor::decode(c).map(|c| c.after(user_id))).transpose()?;
    let (items, more) = db.owned_page(&keys::user_pk(user_id), keys::USER_REGISTRATION_PREFIX, limit, after).await?;
    let registrations: Vec<Registration> = items.into_iter().map(crate::store::db::decode).collect::<ApiResult<_>>()?;
    let next_cursor = match (more, registrations.last()) {
        (true, Some(last)) => Some(Cursor { created_at: last.created_at, competition_id: last.competition_id.clone() }.encode()),
        _ => None,
    };
    Ok(Page { registrations, next_cursor })
}

/// The position after one registration in the caller's list: opaque to clients, and only ever
/// read back within the caller's own list (the user comes from the token, not the cursor).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub created_at: i64,
    pub competition_id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", self.created_at, self.competition_id))
    }

    pub fn decode(text: &str) -> ApiResult<Self> {
        use base64::Engine;
        let invalid = || ApiError::invalid("cursor", "is not a cursor this API returned");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.as_bytes()).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let (created_at, competition_id) = raw.split_once(':').ok_or_else(invalid)?;
        let created_at = created_at.parse::<i64>().ok().filter(|t| *t >= 0).ok_or_else(invalid)?;
        crate::http::request::check_id("cursor", competition_id)?;
        Ok(Self { created_at, competition_id: competition_id.to_owned() })
    }

    fn after(&self, user_id: &str) -> After {
        After {
            key: keys::registration(&self.competition_id, user_id),
            owner: keys::user_registration(user_id, self.created_at, &self.competition_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_anything_else_is_a_400_naming_it() {
        let cursor = Cursor { created_at: 1_795_996_799, competition_id: "cmp_classic_demo_001".into() };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in ["", "not base64!", "MTIz", "YWJjOmNtcA", "LTE6Y21w"] {
            assert_eq!(Cursor::decode(bad).unwrap_err().details["field"], "cursor", "{bad}");
        }
    }
}
