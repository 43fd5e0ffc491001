//! A game session: the record a launch opens on a frozen release and route, who may touch it
//! and when (its session token writes to it while it runs, its owner's access token reads it;
//! anyone else is told it does not exist), and the window a run's times must fall in.

use crate::model::catalog::EventMeta;
use crate::model::catalog::course::Course;
use crate::model::live::LiveRun;
use crate::model::result::{ResultStatus, TrackStatus};
use crate::model::run::punch::AcceptedPunch;
use crate::support::check::check_range;
use crate::support::crypto;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::Claims;
use crate::support::types::ClientType;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where the launch happens: inside a competition, or on the map by direct entry.
#[derive(Debug, Clone, Copy)]
pub enum Venue<'a> {
    Competition(&'a str),
    Direct,
}

/// Stable per user and competition (or per user and event for direct entry), without storage.
pub fn participant_id(user_id: &str, venue: Venue<'_>, event_id: &str) -> String {
    let scope = match venue {
        Venue::Competition(competition_id) => format!("competition:{competition_id}"),
        Venue::Direct => format!("event:{event_id}"),
    };
    format!("par_{}", &crypto::sha256_hex(format!("{user_id}|{scope}").as_bytes())[..24])
}

/// A launched game session, as stored (`keys::session`): what the session chain is judged by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub participant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competition_id: Option<String>,
    pub event_id: String,
    /// The event's name at launch, for the history.
    pub event_display_name: String,
    pub event_release_id: String,
    pub playfield_version_id: String,
    pub route_code: String,
    /// The route run and its controls, frozen at launch: punches and the result are judged by it.
    pub course: Course,
    pub client_type: ClientType,
    pub device_id: String,
    pub state: SessionState,
    /// Epoch seconds.
    pub created_at: i64,
    /// The login that launched the session (its refresh-token family): its session token carries
    /// it, so ending that login ends the session's writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_family: Option<String>,
    /// The sample batches held: `batch_seq` → samples in it.
    #[serde(default)]
    pub batches: BTreeMap<String, u32>,
    /// Samples held in all batches (at most `upload::MAX_SESSION_SAMPLES`).
    #[serde(default)]
    pub sample_count: u32,
    /// Punches held: a finish is computed from exactly these.
    #[serde(default)]
    pub punch_count: u32,
    /// Every `punch_seq` stored, counted or not (after the finish): with `batches`, the keys of
    /// every item of the session's partition, so deleting it reads none of them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub punch_seqs: BTreeSet<u32>,
    /// Set at launch since `punch_seqs` is kept (sessions launched before are read by key).
    #[serde(default)]
    pub item_keys_known: bool,
    /// The accepted punches as judged on arrival, `punch_seq` → where and when: what the next
    /// punch is judged after, without reading every punch.
    #[serde(default, rename = "accepted_punches")]
    pub accepted: BTreeMap<String, AcceptedPunch>,
    /// What sessions launched before `accepted_punches` noted instead: `punch_seq` → control code.
    #[serde(default, rename = "accepted", skip_serializing)]
    pub accepted_codes: BTreeMap<String, String>,
    /// Set by the finish (epoch ms), with the result's headline for the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_status: Option<ResultStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_s: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<i64>,
    /// What the result's track check said: `unverified` makes a late upload judge it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_status: Option<TrackStatus>,
    /// Set at launch when the competition's live board is on: the run's accepted punches, its
    /// result and (by the runner's consent only) its track feed the board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveRun>,
}

crate::plain_enum! {
    /// Where a session is in its chain.
    pub enum SessionState {
        Active = "active",
        Finished = "finished",
    }
}

impl Session {
    pub fn new(
        claims: &Claims,
        venue: Venue<'_>,
        event_id: &str,
        device_id: &str,
        frozen: &Frozen,
        live: Option<LiveRun>,
        now: i64,
    ) -> Self {
        let session_id = crate::support::ids::mint("ses");
        Self {
            participant_id: participant_id(&claims.sub, venue, event_id),
            session_id,
            user_id: claims.sub.clone(),
            competition_id: match venue {
                Venue::Competition(id) => Some(id.to_owned()),
                Venue::Direct => None,
            },
            event_id: event_id.to_owned(),
            event_display_name: frozen.event.display_name.clone(),
            event_release_id: frozen.event.current_release_id.clone(),
            playfield_version_id: frozen.event.playfield_version_id.clone(),
            route_code: frozen.route_code.clone(),
            course: frozen.course.clone(),
            client_type: claims.client_type,
            device_id: device_id.to_owned(),
            state: SessionState::Active,
            created_at: now,
            login_family: claims.fam.clone(),
            batches: BTreeMap::new(),
            sample_count: 0,
            punch_count: 0,
            punch_seqs: BTreeSet::new(),
            item_keys_known: true,
            accepted: BTreeMap::new(),
            accepted_codes: BTreeMap::new(),
            finished_at: None,
            result_status: None,
            time_s: None,
            net: None,
            track_status: None,
            live,
        }
    }

    /// Where `control_code` is on the session's route (the first place, on a route that passes it twice).
    pub fn control_index(&self, control_code: &str) -> Option<u32> {
        self.course.routes.first()?.controls.iter().position(|c| c == control_code).map(|i| i as u32)
    }

    /// The punches accepted before `punch_seq`, in `punch_seq` order.
    pub fn accepted_before(&self, punch_seq: u32) -> Vec<AcceptedPunch> {
        // A run under way when `accepted_punches` began holds codes only: they count where their
        // control is, at no time, so its order is kept and no speed or time is judged from them.
        let legacy = self.accepted_codes.iter().filter_map(|(seq, code)| {
            let control = self.course.control(code)?;
            let punch =
                AcceptedPunch { control_code: code.clone(), t: 0, lat: control.lat, lng: control.lng, accuracy_m: control.radius_m as f64 };
            Some((seq.clone(), punch))
        });
        let mut earlier: Vec<(u32, AcceptedPunch)> = self
            .accepted
            .iter()
            .map(|(seq, punch)| (seq.clone(), punch.clone()))
            .chain(legacy)
            .filter_map(|(seq, punch)| Some((seq.parse().ok()?, punch)))
            .filter(|(seq, _)| *seq < punch_seq)
            .collect();
        earlier.sort_by_key(|(seq, _)| *seq);
        earlier.into_iter().map(|(_, punch)| punch).collect()
    }
}

/// What a launch freezes for the session: the event as it was, the route and its course.
#[derive(Debug, Clone)]
pub struct Frozen {
    pub event: EventMeta,
    pub route_code: String,
    pub course: Course,
}

/// How long before the launch a sample or punch may be stamped (a phone's clock runs off).
pub const EARLY_MS: i64 = 5 * 60_000;
/// How far ahead of the server's clock.
pub const AHEAD_MS: i64 = 2 * 60_000;
/// How long after the finish track batches are still taken (a phone that was offline catches up).
pub const LATE_UPLOAD_MS: i64 = 72 * 3_600_000;

pub fn not_found() -> ApiError {
    ApiError::of(ErrorCode::SessionNotFound)
}

/// The session a session token writes to: the one it was issued for, and only that one.
pub fn writable(claims: &Claims, session_id: &str, session: Option<Session>) -> ApiResult<Session> {
    session.filter(|s| claims.sid.as_deref() == Some(session_id) && s.user_id == claims.sub).ok_or_else(not_found)
}

/// The session an access token reads: the caller's own.
pub fn readable(claims: &Claims, session: Option<Session>) -> ApiResult<Session> {
    session.filter(|s| s.user_id == claims.sub).ok_or_else(not_found)
}

/// The times (epoch ms) a run's samples, punches and finish may carry.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Window {
    pub fn of(session: &Session, now_ms: i64) -> Self {
        Self { from_ms: session.created_at * 1000 - EARLY_MS, to_ms: now_ms + AHEAD_MS }
    }

    /// `t` inside the window, or a 400 naming `field`.
    pub fn check(&self, field: &str, t: i64) -> ApiResult<()> {
        if (self.from_ms..=self.to_ms).contains(&t) {
            Ok(())
        } else {
            let mut err = ApiError::invalid(
                field,
                "must be inside the session: from 5 minutes before the launch to 2 minutes ahead of now (epoch ms)",
            );
            err.details["from_ms"] = self.from_ms.into();
            err.details["to_ms"] = self.to_ms.into();
            Err(err)
        }
    }
}

/// The largest `accuracy_m` a phone may report (a punch needs far better: `punch::MAX_ACCURACY_M`).
pub const MAX_REPORTED_ACCURACY_M: f64 = 10_000.0;

/// A fix as the phone reports it (a sample's or a punch's), in range; else a 400 naming the
/// field (`prefix` + `lat` / `lng` / `accuracy_m`).
pub fn check_fix(prefix: &str, lat: f64, lng: f64, accuracy_m: f64) -> ApiResult<()> {
    check_range(&format!("{prefix}lat"), Some(lat), (-90.0, 90.0))?;
    check_range(&format!("{prefix}lng"), Some(lng), (-180.0, 180.0))?;
    check_range(&format!("{prefix}accuracy_m"), Some(accuracy_m), (0.0, MAX_REPORTED_ACCURACY_M))
}
