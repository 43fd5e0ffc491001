//! `GET /competitions/{id}/live`: a competition's live board of an event and route, as of now −
//! its `live_delay_s` (the server holds everything back; a client cannot be trusted to), with
//! the caller's own entry up to now when they hold their launch's `realtime_token`.

use crate::model::leaderboard::Board;
use crate::model::live::{self, LiveBoard, MAX_LIVE_DELAY_S, Moment};
use crate::service::catalog::competition_not_found;
use crate::store;
use crate::store::db::Db;
use crate::support::error::{ApiError, ApiResult, ErrorCode};

/// How long a shared cache may serve a board read (s): a CDN absorbs thousands of spectators,
/// and the board is behind by `live_delay_s` anyway.
pub const PUBLIC_FOR_S: u32 = 5;

/// The board: the competition and its event link (one BatchGetItem), then the live index
/// (two Queries side by side) — two round trips, whatever the field.
pub async fn board(db: &Db, board: Board<'_>, own_session: Option<&str>, now_ms: i64) -> ApiResult<LiveBoard> {
    let (competition, link, _) = store::catalog::competition_event_reads(db, board.competition_id, board.event_id, None).await?;
    let competition = competition.ok_or_else(competition_not_found)?;
    if !competition.realtime_board_enabled {
        return Err(ApiError::of(ErrorCode::BoardNotEnabled));
    }
    link.ok_or_else(|| ApiError::of(ErrorCode::EventNotFound))?;
    let live_delay_s = competition.live_delay_s.clamp(0, MAX_LIVE_DELAY_S);
    let moment = Moment { as_of: now_ms - live_delay_s * 1000, now_ms, own: own_session };
    let until = if own_session.is_some() { now_ms } else { moment.as_of };
    let feed = store::live::feed(db, board, moment.as_of, until).await?;
    let (runners, controls) = live::board(&feed, moment);
    Ok(LiveBoard {
        competition_id: board.competition_id.to_owned(),
        event_id: board.event_id.to_owned(),
        route_code: board.route_code.to_owned(),
        live_delay_s,
        as_of: moment.as_of,
        runners,
        controls,
    })
}
