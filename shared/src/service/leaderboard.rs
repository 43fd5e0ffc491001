//! `GET /competitions/{id}/leaderboard`: one page of a board in ranking order, ranks counted on
//! across pages by a sealed cursor, with the caller's own entry as `me` wherever it ranks.

use crate::model::leaderboard::{Board, LeaderboardEntry};
use crate::service::catalog::competition_not_found;
use crate::store;
use crate::store::db::Db;
use crate::support::cursor::Cursors;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// An entry with the rank it holds (ties share one).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub rank: u64,
    pub entry: LeaderboardEntry,
}

/// One page of a board: its ranked entries, the caller's own (on the page or not), and where
/// the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardPage {
    pub items: Vec<Ranked>,
    pub me: Option<Ranked>,
    pub next_cursor: Option<String>,
}

/// Where a page ends: the last entry shown, its rank and how many were shown up to it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Position {
    user_id: String,
    sort_key: String,
    rank_key: String,
    rank: u64,
    shown: u64,
}

fn list(board: Board<'_>) -> String {
    // The board's key, as cursors were always sealed for.
    format!("leaderboard:BOARD#{}#{}#{}", board.competition_id, board.event_id, board.route_code)
}

/// The position a cursor of `board` holds (sealed: anything else is a 400 naming `cursor`).
pub fn open_cursor(cursors: &Cursors, board: Board<'_>, cursor: &str) -> ApiResult<Position> {
    serde_json::from_str(&cursors.open(&list(board), "", cursor)?).map_err(|_| ApiError::invalid("cursor", "is not a cursor"))
}

/// One page of the board of a competition's event and route, read beside the competition (it
/// is only shown if the competition has leaderboards and the event is one of its).
pub async fn leaderboard(
    db: &Db,
    cursors: &Cursors,
    board: Board<'_>,
    caller: Option<&str>,
    limit: u32,
    cursor: Option<&str>,
) -> ApiResult<BoardPage> {
    let after = cursor.map(|c| open_cursor(cursors, board, c)).transpose()?;
    let (checks, page) = tokio::join!(
        store::catalog::competition_event_reads(db, board.competition_id, board.event_id, None),
        page(db, cursors, board, caller, limit, after)
    );
    let (competition, link, _) = checks?;
    let competition = competition.ok_or_else(competition_not_found)?;
    if !competition.leaderboard_enabled {
        return Err(ApiError::of(ErrorCode::LeaderboardNotEnabled));
    }
    link.ok_or_else(|| ApiError::of(ErrorCode::EventNotFound))?;
    page
}

/// One page of a board (one Query), ranks counted on from `after`; with the caller's own
/// entry as `me` (on the page, or read with its rank counted: a GetItem and a COUNT Query).
pub async fn page(
    db: &Db,
    cursors: &Cursors,
    board: Board<'_>,
    caller: Option<&str>,
    limit: u32,
    after: Option<Position>,
) -> ApiResult<BoardPage> {
    let own = async {
        match caller {
            Some(user_id) => store::board::entry(db, board, user_id).await,
            None => Ok(None),
        }
    };
    let (page, own) =
        tokio::join!(store::board::page(db, board, limit as usize, after.as_ref().map(|p| (p.user_id.as_str(), p.sort_key.as_str()))), own);
    let ((entries, more), own) = (page?, own?);
    let (mut rank, mut rank_key, mut shown) = match after {
        Some(p) => (p.rank, p.rank_key, p.shown),
        None => (0, String::new(), 0),
    };
    let mut items = Vec::with_capacity(entries.len());
    let mut me = None;
    for entry in entries {
        shown += 1;
        if entry.rank_key != rank_key {
            (rank, rank_key) = (shown, entry.rank_key.clone());
        }
        let ranked = Ranked { rank, entry };
        if Some(ranked.entry.user_id.as_str()) == caller {
            me = Some(ranked.clone());
        }
        items.push(ranked);
    }
    if let (None, Some(own)) = (&me, own) {
        let rank = store::board::ahead_of(db, board, &own.rank_key).await? + 1;
        me = Some(Ranked { rank, entry: own });
    }
    let next_cursor = match (more, items.last()) {
        (true, Some(last)) => {
            let position = Position { user_id: last.entry.user_id.clone(), sort_key: last.entry.sort_key.clone(), rank_key, rank, shown };
            Some(cursors.seal(&list(board), "", &serde_json::to_string(&position).expect("position encodes")))
        }
        _ => None,
    };
    Ok(BoardPage { items, me, next_cursor })
}
