//! Leaderboard entries: the pseudonym a runner is shown under, and the sort key that makes a
//! DynamoDB Query return a board in ranking order.

use crate::catalog::course::RouteKind;
use crate::http::cursor::Cursors;
use crate::http::error::{ApiError, ApiResult};
use crate::session::result::SessionResult;
use crate::store::db::Db;
use crate::store::{self, keys};
use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Crockford's base 32: no I, L, O or U, so a name read aloud or copied is not misread.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The name a runner has on a leaderboard until accounts have nicknames: `Runner 7F3K`, the first
/// 20 bits of SHA-256 of the user id in Crockford base 32. Stable for a user and says nothing
/// of the id (20 bits of a hash cannot be turned back into it). 20 bits can collide on a
/// large board: the name is for showing, the entry is told apart by its session id.
pub fn display_name(user_id: &str) -> String {
    // A prefix of our own, so the same id hashed elsewhere gives another value.
    let hash = digest::digest(&digest::SHA256, format!("client-api leaderboard pseudonym\0{user_id}").as_bytes());
    let bits = u32::from_be_bytes([0, hash.as_ref()[0], hash.as_ref()[1], hash.as_ref()[2]]) >> 4;
    let code: String = (0..4).rev().map(|i| CROCKFORD[((bits >> (5 * i)) & 31) as usize] as char).collect();
    format!("Runner {code}")
}

/// The widest number a key field holds: ten digits, 300 years of seconds, and more points
/// than any course gives.
pub const FIELD_MAX: i64 = 9_999_999_999;

/// What orders an `OK` result on its board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardEntry<'a> {
    pub kind: RouteKind,
    pub time_s: i64,
    /// Score routes: the net points.
    pub net: Option<i64>,
    /// When the run finished (epoch ms): of two equal results the earlier is listed first.
    pub finished_at: i64,
    pub session_id: &'a str,
}

fn field(value: i64) -> String {
    format!("{:010}", value.clamp(0, FIELD_MAX))
}

impl BoardEntry<'_> {
    /// The part of the key that decides the rank: equal rank keys are a tie, sharing a rank.
    /// Classic: the time. Score: the net points, most first (stored as `FIELD_MAX − net`), then
    /// the time.
    pub fn rank_key(&self) -> String {
        match self.kind {
            RouteKind::Classic => field(self.time_s),
            RouteKind::Score => format!("{}#{}", field(FIELD_MAX - self.net.unwrap_or(0).clamp(0, FIELD_MAX)), field(self.time_s)),
        }
    }

    /// The board's sort key: the rank key, then the finish time and the session id, so ties list
    /// in a stable order. Fixed-width and zero-padded: the strings sort as the results rank.
    pub fn sort_key(&self) -> String {
        format!("{}#{:013}#{}", self.rank_key(), self.finished_at.clamp(0, 9_999_999_999_999), self.session_id)
    }
}

/// A user's entry on a board (`keys::board_entry`): their best `OK` run there. Shown with the
/// pseudonym only; the user id stays in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardEntry {
    pub board: String,
    pub user_id: String,
    pub session_id: String,
    pub display_name: String,
    pub kind: RouteKind,
    pub time_s: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<i64>,
    pub finished_at: i64,
    pub rank_key: String,
    pub sort_key: String,
}

impl crate::store::db::Record for LeaderboardEntry {
    const ENTITY: &'static str = "leaderboard_entry";
}

impl LeaderboardEntry {
    /// The entry a result makes: rankable runs (`OK`, on their own track) inside a competition only.
    pub fn of(result: &SessionResult, finished_at: i64) -> Option<Self> {
        let competition_id = result.competition_id.as_deref()?;
        let time_s = result.result.time_s.filter(|_| result.rankable())?;
        let net = result.result.score.map(|s| s.net);
        let order = BoardEntry { kind: result.result.kind, time_s, net, finished_at, session_id: &result.session_id };
        Some(Self {
            board: keys::board_pk(competition_id, &result.event_id, &result.route_code),
            user_id: result.user_id.clone(),
            session_id: result.session_id.clone(),
            display_name: display_name(&result.user_id),
            kind: result.result.kind,
            time_s,
            net,
            finished_at,
            rank_key: order.rank_key(),
            sort_key: order.sort_key(),
        })
    }

    fn view(&self, rank: u64) -> Value {
        let mut view = json!({ "rank": rank, "display_name": self.display_name, "time_s": self.time_s, "session_id": self.session_id });
        if let Some(net) = self.net {
            view["net"] = net.into();
        }
        view
    }
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Where a page ends: the last entry shown, its rank and how many were shown up to it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Position {
    user_id: String,
    sort_key: String,
    rank_key: String,
    rank: u64,
    shown: u64,
}

fn list(board: &str) -> String {
    format!("leaderboard:{board}")
}

/// The position a cursor of `board` holds (sealed: anything else is a 400 naming `cursor`).
pub fn open_cursor(cursors: &Cursors, board: &str, cursor: &str) -> ApiResult<Position> {
    serde_json::from_str(&cursors.open(&list(board), "", cursor)?).map_err(|_| ApiError::invalid("cursor", "is not a cursor"))
}

/// One page of a board (one Query), ranks counted on from `after`; with the caller's own
/// entry as `me` (on the page, or read with its rank counted: a GetItem and a COUNT Query).
pub async fn page(db: &Db, cursors: &Cursors, board: &str, caller: Option<&str>, limit: u32, after: Option<Position>) -> ApiResult<Value> {
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
    for entry in &entries {
        shown += 1;
        if entry.rank_key != rank_key {
            (rank, rank_key) = (shown, entry.rank_key.clone());
        }
        if Some(entry.user_id.as_str()) == caller {
            me = Some(entry.view(rank));
        }
        items.push(entry.view(rank));
    }
    if let (None, Some(own)) = (&me, &own) {
        me = Some(own.view(store::board::ahead_of(db, board, &own.rank_key).await? + 1));
    }
    let next_cursor = match (more, entries.last()) {
        (true, Some(last)) => {
            let position = Position { user_id: last.user_id.clone(), sort_key: last.sort_key.clone(), rank_key, rank, shown };
            Some(cursors.seal(&list(board), "", &serde_json::to_string(&position).expect("position encodes")))
        }
        _ => None,
    };
    Ok(json!({ "items": items, "me": me, "next_cursor": next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn classic(time_s: i64, finished_at: i64, session_id: &str) -> BoardEntry<'_> {
        BoardEntry { kind: RouteKind::Classic, time_s, net: None, finished_at, session_id }
    }

    fn score(net: i64, time_s: i64, session_id: &str) -> BoardEntry<'_> {
        BoardEntry { kind: RouteKind::Score, time_s, net: Some(net), finished_at: 1_800_000_000_000, session_id }
    }

    #[test]
    fn the_pseudonym_is_stable_distinct_and_hides_the_id() {
        // given a few user ids
        let ids = ["01JD0000000000000000000001", "01JD0000000000000000000002", "u-3", "u-4", "u-5"];
        // when named twice
        let names: Vec<String> = ids.iter().map(|id| display_name(id)).collect();
        // then the same each time, different for each, `Runner XXXX` in Crockford's alphabet
        assert_eq!(names, ids.iter().map(|id| display_name(id)).collect::<Vec<_>>());
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), ids.len());
        for (name, id) in names.iter().zip(ids) {
            let code = name.strip_prefix("Runner ").expect(name);
            assert!(code.len() == 4 && code.bytes().all(|c| CROCKFORD.contains(&c)), "{name}");
            assert!(!name.contains(id));
        }
    }

    #[test]
    fn classic_keys_sort_as_times_rank_large_times_included() {
        // given times from 59 s to 30 hours, two tied at 3600 s
        let entries = [
            classic(108_000, 5, "01S6"),
            classic(3_600, 9, "01S5"),
            classic(59, 7, "01S4"),
            classic(3_600, 3, "01S3"),
            classic(600, 1, "01S2"),
        ];
        // when sorted by key as a string
        let mut sorted: Vec<_> = entries.iter().collect();
        sorted.sort_by_key(|e| e.sort_key());
        // then fastest first, the tie by finish time, and the tie shares a rank key
        let ids: Vec<_> = sorted.iter().map(|e| e.session_id).collect();
        assert_eq!(ids, ["01S4", "01S2", "01S3", "01S5", "01S6"]);
        assert_eq!(entries[1].rank_key(), entries[3].rank_key());
        assert_eq!(entries[0].sort_key(), "0000108000#0000000000005#01S6");
    }

    #[test]
    fn score_keys_sort_by_net_descending_then_time_net_zero_last() {
        // given nets 0, 40, 120 and 120 with different times, and 40 twice at the same time
        let entries = [score(0, 100, "a"), score(40, 900, "b"), score(120, 1_500, "c"), score(120, 1_200, "d"), score(40, 900, "e")];
        // when sorted by key as a string
        let mut sorted: Vec<_> = entries.iter().collect();
        sorted.sort_by_key(|e| e.sort_key());
        // then most points first, faster first among equal points, net 0 last
        let ids: Vec<_> = sorted.iter().map(|e| e.session_id).collect();
        assert_eq!(ids, ["d", "c", "b", "e", "a"]);
        assert_eq!(entries[1].rank_key(), entries[4].rank_key());
        // and the key order is the ranking order of (−net, time) for any pair
        for a in &entries {
            for b in &entries {
                let by_rank = (-a.net.unwrap(), a.time_s).cmp(&(-b.net.unwrap(), b.time_s));
                assert_eq!(a.rank_key().cmp(&b.rank_key()), by_rank, "{a:?} {b:?}");
            }
        }
    }
}
