//! The session items: one per launched session, indexed under its user for the history.

use crate::session::launch::Session;
use crate::store::db::{Db, Range, Write, decode};
use crate::store::keys;

/// Creates the session, with its place in the user's history (GSI1: newest last).
pub fn put_new(db: &Db, session: &Session) -> Write {
    let history = keys::user_session(&session.user_id, session.created_at, &session.session_id);
    db.put_new_owned(&keys::session(&session.session_id), &history, session)
}

/// The user's sessions, oldest first (eventually consistent: read through the index).
pub async fn of_user(db: &Db, user_id: &str) -> Result<Vec<Session>, crate::ApiError> {
    let items = db.query_gsi1(&keys::user_pk(user_id), Range::Prefix(keys::USER_SESSION_PREFIX), None).await?;
    items.into_iter().map(decode).collect()
}
