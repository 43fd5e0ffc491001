//! `GET /me/sessions`: the caller's sessions, newest first, a page per Query.

use crate::model::run::session::Session;
use crate::store;
use crate::store::db::Db;
use crate::support::cursor::Cursors;
use crate::support::error::ApiResult;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 50;
const LIST: &str = "me/sessions";

/// One page of the caller's history, and where the next page starts (`None` on the last).
pub struct History {
    pub sessions: Vec<Session>,
    pub next_cursor: Option<String>,
}

/// One page of the caller's history after `cursor` (sealed for this list and user).
pub async fn page(db: &Db, cursors: &Cursors, user_id: &str, limit: u32, cursor: Option<&str>) -> ApiResult<History> {
    let after = cursor.map(|c| cursors.open_created(LIST, user_id, c)).transpose()?;
    let (sessions, more) =
        store::session::page_of_user(db, user_id, limit as usize, after.as_ref().map(|(at, id)| (*at, id.as_str()))).await?;
    let next_cursor = match (more, sessions.last()) {
        (true, Some(last)) => Some(cursors.seal_created(LIST, user_id, last.created_at, &last.session_id)),
        _ => None,
    };
    Ok(History { sessions, next_cursor })
}
