//! Leaderboards: one per competition, event and route; a runner's entry, the pseudonym they are
//! shown under, and the sort key that makes a Query return a board in ranking order.

use crate::model::catalog::course::RouteKind;
use crate::model::result::SessionResult;
use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

/// One board: a competition's event and route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Board<'a> {
    pub competition_id: &'a str,
    pub event_id: &'a str,
    pub route_code: &'a str,
}

impl<'a> Board<'a> {
    pub fn of(competition_id: &'a str, event_id: &'a str, route_code: &'a str) -> Self {
        Self { competition_id, event_id, route_code }
    }

    /// The board a result would rank on: its competition's, if it has one.
    pub fn of_result(result: &'a SessionResult) -> Option<Self> {
        Some(Self::of(result.competition_id.as_deref()?, &result.event_id, &result.route_code))
    }
}

impl LeaderboardEntry {
    pub fn board(&self) -> Board<'_> {
        Board::of(&self.competition_id, &self.event_id, &self.route_code)
    }
}

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
    // Entries stored before these were named kept the board's key instead: they read as empty,
    // and nothing reads them back but the board's own Query.
    #[serde(default)]
    pub competition_id: String,
    #[serde(default)]
    pub event_id: String,
    #[serde(default)]
    pub route_code: String,
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

impl LeaderboardEntry {
    /// The entry a result makes: rankable runs (`OK`, on their own track) inside a competition only.
    pub fn of(result: &SessionResult, finished_at: i64) -> Option<Self> {
        let board = Board::of_result(result)?;
        let time_s = result.result.time_s.filter(|_| result.rankable())?;
        let net = result.result.score.map(|s| s.net);
        let order = BoardEntry { kind: result.result.kind, time_s, net, finished_at, session_id: &result.session_id };
        Some(Self {
            competition_id: board.competition_id.to_owned(),
            event_id: board.event_id.to_owned(),
            route_code: board.route_code.to_owned(),
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
