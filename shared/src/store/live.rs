//! The live index (GSI2) and the board's read of it. A run on a board writes its accepted punches
//! and its result with their place on the index, and — only if the runner shares their position
//! — its track batches: attributes of the items the run writes anyway, so feeding a board adds no
//! request to a runner's path. Deleting the run's items takes them off every board.

use crate::model::leaderboard::Board;
use crate::model::live::{Feed, LiveMark, LiveTrack, TAIL_MS, mark};
use crate::model::result::SessionResult;
use crate::model::run::punch::Punch;
use crate::model::run::samples::SampleBatch;
use crate::model::run::session::Session;
use crate::store::db::{Db, Item, Range, decode, encode, s, text};
use crate::store::error::Error;
use crate::store::keys::{self, ENTITY_TYPE, GSI2PK, GSI2SK, Key, Record};

/// What places a session's items on its board: the board and the runner's mark.
pub struct Tag {
    board_pk: String,
    positions_pk: Option<String>,
    session_id: String,
    user_id: String,
}

impl Tag {
    /// The tag of a session that feeds a live board (launched with the board on).
    pub fn of(session: &Session) -> Option<Self> {
        let live = session.live?;
        let board = Board::of(session.competition_id.as_deref()?, &session.event_id, &session.route_code);
        Some(Self {
            board_pk: keys::live_pk(&board),
            positions_pk: live.share_position.then(|| keys::live_positions_pk(&board)),
            session_id: session.session_id.clone(),
            user_id: session.user_id.clone(),
        })
    }

    fn attributes(&self, at: Key, control_index: Option<u32>) -> Item {
        let mut item = encode(&mark(&self.session_id, &self.user_id, control_index));
        item.insert(GSI2PK.to_string(), s(&at.pk));
        item.insert(GSI2SK.to_string(), s(&at.sk));
        item
    }

    /// An accepted punch at `control_index` of the route, at its time.
    pub fn punch(&self, punch: &Punch, control_index: u32) -> Item {
        let at = keys::live_at(self.board_pk.clone(), punch.t, &self.session_id, &format!("P{:06}", punch.punch_seq));
        self.attributes(at, Some(control_index))
    }

    /// The result, at the time the run ended.
    pub fn result(&self, result: &SessionResult) -> Item {
        self.attributes(keys::live_at(self.board_pk.clone(), result.finished_at, &self.session_id, "F"), None)
    }

    /// A track batch, at its last sample — only when the runner shares their position.
    pub fn batch(&self, batch: &SampleBatch) -> Option<Item> {
        let pk = self.positions_pk.clone()?;
        Some(self.attributes(keys::live_at(pk, batch.last_t, &self.session_id, &format!("B{:06}", batch.batch_seq)), None))
    }
}

/// What a board's read brings: its punches and results up to `until` (epoch ms), and its shared
/// batches that end after `as_of − TAIL_MS` — two Queries of the live index, side by side. Their
/// size grows with the runners and their controls, never with the length of their tracks.
pub async fn feed(db: &Db, board: Board<'_>, as_of: i64, until: i64) -> Result<Feed, Error> {
    let (until, tail_from) = (format!("{}~", keys::live_time(until)), keys::live_time(as_of - TAIL_MS));
    let (race_pk, positions_pk) = (keys::live_pk(&board), keys::live_positions_pk(&board));
    let (race, tracks) =
        tokio::join!(db.query_gsi2(&race_pk, Range::Between("0", &until)), db.query_gsi2(&positions_pk, Range::Between(&tail_from, "~")),);
    let mut feed = Feed::default();
    for item in race? {
        if text(&item, ENTITY_TYPE) == Some(<SessionResult as Record>::ENTITY) {
            feed.results.push(decode(item)?);
        } else {
            feed.punches.push(decode(item)?);
        }
    }
    for item in tracks? {
        let LiveMark { session_id, .. } = decode(item.clone())?;
        feed.tracks.push(LiveTrack { session_id, batch: decode(item)? });
    }
    Ok(feed)
}
