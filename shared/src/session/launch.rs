//! Launching a game session: the checks that decide whether a caller may start one on an
//! event (inside a competition or by direct entry), and the session record that freezes the
//! release and route for the session chain that follows.

use crate::auth::refresh::{LOGIN_ALIVE, logged_out, require_alive};
use crate::auth::tokens::{Claims, Tokens};
use crate::catalog::course::Course;
use crate::catalog::{CompetitionEvent, CompetitionMeta, EventMeta, Registration, Release};
use crate::crypto;
use crate::http::envelope::Reply;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::session::punch::AcceptedPunch;
use crate::session::result::{ResultStatus, TrackStatus};
use crate::store;
use crate::store::db::{self, Db, Record, Tx, Write};
use crate::store::idempotency::{Replay, Replays};
use crate::store::keys;
use crate::types::ClientType;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// Where the launch happens: inside a competition, or on the map by direct entry.
#[derive(Debug, Clone, Copy)]
pub enum Venue<'a> {
    Competition(&'a str),
    Direct,
}

/// What the checks settled: the event as it is now, and the route to freeze with its course.
pub struct Cleared {
    pub event: EventMeta,
    pub route_code: String,
    pub course: Course,
    /// Conditions that must still hold when the session is written.
    pub guards: Tx,
}

fn stale(current_release_id: &str) -> ApiError {
    ApiError::of(ErrorCode::EventReleaseStale).with_details(json!({ "current_release_id": current_release_id }))
}

fn event_not_found() -> ApiError {
    ApiError::of(ErrorCode::EventNotFound)
}

fn registration_required() -> ApiError {
    ApiError::of(ErrorCode::RegistrationRequired)
}

// The items of the launch transaction, by name.
const REGISTRATION_GUARD: &str = "registration";
const ALLOWANCE: &str = "session_allowance";

/// Sessions an account may launch in its life: a run a day for five years and more. It bounds
/// what an account holds, so deleting it fits in one call (`account::delete`).
pub const MAX_SESSIONS_PER_USER: u32 = 2_000;
const RELEASE_GUARD: &str = "current_release";

/// Reads what the launch depends on (one round trip) and applies the contract's rules in order.
pub async fn clear(
    db: &Db,
    venue: Venue<'_>,
    event_id: &str,
    user_id: &str,
    release_id: &str,
    route_code: Option<&str>,
    now: i64,
) -> ApiResult<Cleared> {
    let mut guards = Tx::new();
    // The release the caller holds is read beside the event: if it is current, its course is frozen.
    let (event, release) = match venue {
        Venue::Direct => {
            let [event, release] = db.batch_get([keys::event(event_id), keys::release(event_id, release_id)]).await?;
            let event: EventMeta = db::decode_opt(event)?.ok_or_else(event_not_found)?;
            if !event.direct_entry_enabled {
                return Err(ApiError::of(ErrorCode::DirectEntryDisabled));
            }
            (event, release)
        }
        Venue::Competition(competition_id) => {
            let [competition, link, event, registration, release] = db
                .batch_get([
                    keys::competition(competition_id),
                    keys::competition_event(competition_id, event_id),
                    keys::event(event_id),
                    keys::registration(competition_id, user_id),
                    keys::release(event_id, release_id),
                ])
                .await?;
            let competition: CompetitionMeta = db::decode_opt(competition)?.ok_or_else(|| ApiError::of(ErrorCode::CompetitionNotFound))?;
            let _: CompetitionEvent = db::decode_opt(link)?.ok_or_else(event_not_found)?;
            let event: EventMeta = db::decode_opt(event)?.ok_or_else(event_not_found)?;
            if !competition.in_play(now) {
                return Err(ApiError::of(ErrorCode::CompetitionNotActive).with_details(json!({
                    "competition_status": competition.competition_status,
                    "competition_start_at": competition.competition_start_at,
                    "competition_end_at": competition.competition_end_at,
                })));
            }
            if competition.registration_required {
                let _: Registration = db::decode_opt(registration)?.ok_or_else(registration_required)?;
                guards.push(REGISTRATION_GUARD, db.exists(&keys::registration(competition_id, user_id)));
            }
            (event, release)
        }
    };
    if event.current_release_id != release_id {
        return Err(stale(&event.current_release_id));
    }
    // The contract does not check route_code yet; we do, against the frozen release's routes.
    let route_code = match route_code {
        Some(code) if event.route_codes.iter().any(|c| c == code) => code.to_owned(),
        Some(_) => {
            return Err(
                ApiError::of(ErrorCode::RouteCodeUnknown).with_details(json!({ "field": "route_code", "route_codes": event.route_codes }))
            );
        }
        // None given: the release's first (default) route.
        None => event.route_codes.first().cloned().unwrap_or_default(),
    };
    let release: Option<Release> = db::decode_opt(release)?;
    let Some(course) = release.and_then(|r| r.course.of_route(&route_code)) else {
        tracing::error!(event_id, release_id, route_code, "the current release has no course for this route");
        return Err(ApiError::internal());
    };
    // A release published between this read and the write must still fail the launch.
    guards.push(RELEASE_GUARD, store::catalog::release_is_current(db, event_id, release_id));
    Ok(Cleared { event, route_code, course, guards })
}

/// How a launch that comes back is answered: its first answer (the same session and token),
/// unless the login that launched it has ended since — then 401, as a fresh launch would be.
pub struct LaunchReplays<'a> {
    pub db: &'a Db,
    pub claims: &'a Claims,
}

impl Replays for LaunchReplays<'_> {
    async fn replay(&self, replay: Replay, _now: i64) -> ApiResult<Reply> {
        require_alive(self.db, self.claims).await?;
        Ok(replay.reply)
    }
}

/// The idempotency key of a launch: scoped to the user, so nobody can replay, or block,
/// another user's launch.
pub fn launch_key(user_id: &str, launch_request_id: &str) -> String {
    format!("{user_id}:{launch_request_id}")
}

/// Stable per user and competition (or per user and event for direct entry), without storage.
pub fn participant_id(user_id: &str, venue: Venue<'_>, event_id: &str) -> String {
    let scope = match venue {
        Venue::Competition(competition_id) => format!("competition:{competition_id}"),
        Venue::Direct => format!("event:{event_id}"),
    };
    format!("par_{}", &crypto::sha256_hex(format!("{user_id}|{scope}").as_bytes())[..24])
}

/// A launched game session: what is stored for the session chain, and what the client is told.
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
}

impl Record for Session {
    const ENTITY: &'static str = "session";
}

crate::plain_enum! {
    /// Where a session is in its chain.
    pub enum SessionState {
        Active = "active",
        Finished = "finished",
    }
}

impl Session {
    pub fn new(claims: &Claims, venue: Venue<'_>, event_id: &str, device_id: &str, cleared: &Cleared, now: i64) -> Self {
        let session_id = crate::ids::mint("ses");
        Self {
            participant_id: participant_id(&claims.sub, venue, event_id),
            session_id,
            user_id: claims.sub.clone(),
            competition_id: match venue {
                Venue::Competition(id) => Some(id.to_owned()),
                Venue::Direct => None,
            },
            event_id: event_id.to_owned(),
            event_display_name: cleared.event.display_name.clone(),
            event_release_id: cleared.event.current_release_id.clone(),
            playfield_version_id: cleared.event.playfield_version_id.clone(),
            route_code: cleared.route_code.clone(),
            course: cleared.course.clone(),
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
        }
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

    /// The keys of every item of the session's partition (its record, punches, batches, result),
    /// when it keeps them (`item_keys_known`).
    pub fn item_keys(&self) -> Option<Vec<keys::Key>> {
        if !self.item_keys_known {
            return None;
        }
        let id = &self.session_id;
        let mut all = vec![keys::session(id), keys::session_result(id)];
        all.extend(self.punch_seqs.iter().map(|&seq| keys::punch(id, seq)));
        all.extend(self.batches.keys().filter_map(|seq| seq.parse().ok()).map(|seq| keys::sample_batch(id, seq)));
        Some(all)
    }

    /// The contract's launch answer (a direct launch has no `competition_id`), with a fresh session token.
    pub fn view(&self, tokens: &Tokens, realtime_endpoint: &str) -> serde_json::Value {
        let (session_token, expires_at) = tokens.issue_session(
            &self.user_id,
            self.client_type,
            &self.device_id,
            &self.session_id,
            self.login_family.as_deref(),
            self.created_at,
        );
        let mut data = json!({
            "session_id": self.session_id,
            "session_token": session_token,
            "session_token_expires_at": crate::clock::rfc3339(expires_at),
            "participant_id": self.participant_id,
            "event_id": self.event_id,
            "event_release_id": self.event_release_id,
            "playfield_version_id": self.playfield_version_id,
            "route_code": self.route_code,
            "realtime_endpoint": realtime_endpoint,
            "realtime_token": "",
        });
        if let Some(competition_id) = &self.competition_id {
            data["competition_id"] = competition_id.as_str().into();
        }
        data
    }
}

/// Writes the session with the launch's guards and the idempotency completion in one
/// transaction; a guard that no longer holds is answered as the rule it protects.
pub async fn commit(db: &Db, cleared: Cleared, session: &Session, done: Write, caller: Tx) -> ApiResult<()> {
    let mut tx = caller;
    tx.append(cleared.guards);
    tx.push("session", store::session::put_new(db, session));
    tx.push(ALLOWANCE, store::session::count_launch(db, &session.user_id, MAX_SESSIONS_PER_USER));
    tx.push("idempotency", done);
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(LOGIN_ALIVE) => Err(logged_out()),
        Err(e) if e.failed(ALLOWANCE) => {
            Err(ApiError::of(ErrorCode::SessionLimitReached).with_details(json!({ "max_sessions": MAX_SESSIONS_PER_USER })))
        }
        Err(e) if e.failed(RELEASE_GUARD) => {
            let event: Option<EventMeta> = db.get(&keys::event(&session.event_id)).await?;
            Err(event.map(|e| stale(&e.current_release_id)).unwrap_or_else(event_not_found))
        }
        Err(e) if e.failed(REGISTRATION_GUARD) => Err(registration_required()),
        Err(e) => Err(e.into()),
    }
}
