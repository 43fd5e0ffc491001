//! `GET /me/sessions`: the caller's sessions, newest first, a page per Query.

use crate::http::cursor::Cursors;
use crate::http::error::ApiResult;
use crate::session::launch::Session;
use crate::store::{self, db::Db};
use serde_json::{Value, json};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 50;
const LIST: &str = "me/sessions";

/// One page of the caller's history and the cursor of the next, if any.
pub async fn page(db: &Db, cursors: &Cursors, user_id: &str, limit: u32, cursor: Option<&str>) -> ApiResult<Value> {
    let after = cursor.map(|c| cursors.open_created(LIST, user_id, c)).transpose()?;
    let (sessions, more) =
        store::session::page_of_user(db, user_id, limit as usize, after.as_ref().map(|(at, id)| (*at, id.as_str()))).await?;
    let next_cursor = match (more, sessions.last()) {
        (true, Some(last)) => Some(cursors.seal_created(LIST, user_id, last.created_at, &last.session_id)),
        _ => None,
    };
    Ok(json!({ "items": sessions.iter().map(item).collect::<Vec<_>>(), "next_cursor": next_cursor }))
}

fn item(s: &Session) -> Value {
    json!({
        "session_id": s.session_id,
        "event_id": s.event_id,
        "competition_id": s.competition_id,
        "display_name": s.event_display_name,
        "route_code": s.route_code,
        "launched_at": crate::clock::rfc3339(s.created_at),
        "state": s.state,
        "finished_at": s.finished_at.map(crate::clock::rfc3339_ms),
        "result_status": s.result_status,
        "time_s": s.time_s,
        "net": s.net,
    })
}
