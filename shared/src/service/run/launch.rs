//! Launching a game session: the checks that decide whether a caller may start one on an event
//! (inside a competition or by direct entry), the session written on the frozen release and
//! route, and the session token the phone writes with — at most once per `launch_request_id`.

use crate::model::catalog::Release;
use crate::model::live::LiveRun;
use crate::model::run::session::{Frozen, Session, Venue};
use crate::service::auth::refresh::{logged_out, login_alive, require_alive};
use crate::service::idempotency::{self, Replays};
use crate::store;
use crate::store::db::{Db, Tx, TxItem, Write};
use crate::store::idempotency::Idempotency;
use crate::store::keys::IdempotencyScope;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::{Claims, Tokens};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Sessions an account may launch in its life: a run a day for five years and more. It bounds
/// what an account holds, so deleting it fits in one call (`account::delete`).
pub const MAX_SESSIONS_PER_USER: u32 = 2_000;

/// What a launch needs besides its request.
pub struct Launcher {
    pub db: Db,
    pub tokens: Tokens,
    pub idempotency: Idempotency,
    pub realtime_endpoint: String,
}

/// A launch as the client asks for it, its fields checked.
pub struct LaunchRequest<'a> {
    pub launch_request_id: &'a str,
    pub venue: Venue<'a>,
    pub event_id: &'a str,
    pub device_id: &'a str,
    pub release_id: &'a str,
    pub route_code: Option<&'a str>,
    /// The runner consents to their position on the competition's live board.
    pub live_position_sharing: bool,
}

/// The contract's launch answer (stored as the launch's answer: a replay hands out the same
/// session and token). A direct launch has no `competition_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchAnswer {
    pub session_id: String,
    pub session_token: String,
    pub session_token_expires_at: String,
    pub participant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competition_id: Option<String>,
    pub event_id: String,
    pub event_release_id: String,
    pub playfield_version_id: String,
    pub route_code: String,
    pub realtime_endpoint: String,
    pub realtime_token: String,
}

/// What the checks settled, and the conditions that must still hold when the session is written.
pub struct Cleared {
    pub frozen: Frozen,
    pub guards: Tx,
    /// The competition's live board is on: the session feeds it.
    pub live_board: bool,
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

impl Launcher {
    /// Launches a session for `claims`: checked (one read), written with its guards and the
    /// idempotency record (one transaction); a repeat of `launch_request_id` answers the first answer.
    pub async fn launch(&self, claims: &Claims, req: LaunchRequest<'_>, now: i64) -> ApiResult<LaunchAnswer> {
        let competition_id = match req.venue {
            Venue::Competition(id) => id,
            Venue::Direct => "",
        };
        let mut payload =
            vec![competition_id, req.event_id, req.device_id, claims.client_type.as_str(), req.release_id, req.route_code.unwrap_or("")];
        if req.live_position_sharing {
            payload.push("live_position_sharing");
        }
        let key = launch_key(&claims.sub, req.launch_request_id);
        let replays = LaunchReplays { db: &self.db, claims };
        idempotency::once(&self.idempotency, &self.db, IdempotencyScope::Launch, &key, &payload, now, &replays, async |claimed| {
            let cleared = clear(&self.db, req.venue, req.event_id, &claims.sub, req.release_id, req.route_code, now).await?;
            let live = cleared.live_board.then_some(LiveRun { share_position: req.live_position_sharing });
            let session = Session::new(claims, req.venue, req.event_id, req.device_id, &cleared.frozen, live, now);
            let answer = self.answer(&session);
            let done = claimed.complete(&self.db, &answer, &claims.sub);
            commit(&self.db, cleared, &session, done, login_alive(&self.db, claims)).await?;
            Ok(answer)
        })
        .await
    }

    /// The launch answer of `session`, with its session token, and its realtime token when the
    /// session feeds a live board (else the empty string v1 answers).
    fn answer(&self, session: &Session) -> LaunchAnswer {
        let (session_token, expires_at) = self.tokens.issue_session(
            &session.user_id,
            session.client_type,
            &session.device_id,
            &session.session_id,
            session.login_family.as_deref(),
            session.created_at,
        );
        let realtime_token = match session.live {
            Some(_) => self.tokens.issue_realtime(
                &session.user_id,
                session.client_type,
                &session.device_id,
                &session.session_id,
                session.created_at,
            ),
            None => String::new(),
        };
        LaunchAnswer {
            session_id: session.session_id.clone(),
            session_token,
            session_token_expires_at: crate::support::clock::rfc3339(expires_at),
            participant_id: session.participant_id.clone(),
            competition_id: session.competition_id.clone(),
            event_id: session.event_id.clone(),
            event_release_id: session.event_release_id.clone(),
            playfield_version_id: session.playfield_version_id.clone(),
            route_code: session.route_code.clone(),
            realtime_endpoint: self.realtime_endpoint.clone(),
            realtime_token,
        }
    }
}

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
    let mut live_board = false;
    // The release the caller holds is read beside the event: if it is current, its course is frozen.
    let competition_id = match venue {
        Venue::Competition(id) => Some(id),
        Venue::Direct => None,
    };
    let reads = store::catalog::launch_reads(db, competition_id, event_id, user_id, release_id).await?;
    let event = match competition_id {
        None => {
            let event = reads.event.ok_or_else(event_not_found)?;
            if !event.direct_entry_enabled {
                return Err(ApiError::of(ErrorCode::DirectEntryDisabled));
            }
            event
        }
        Some(competition_id) => {
            let competition = reads.competition.ok_or_else(|| ApiError::of(ErrorCode::CompetitionNotFound))?;
            reads.link.ok_or_else(event_not_found)?;
            let event = reads.event.ok_or_else(event_not_found)?;
            if !competition.in_play(now) {
                return Err(ApiError::of(ErrorCode::CompetitionNotActive).with_details(json!({
                    "competition_status": competition.status(now),
                    "competition_start_at": competition.competition_start_at,
                    "competition_end_at": competition.competition_end_at,
                })));
            }
            live_board = competition.realtime_board_enabled;
            if competition.registration_required {
                reads.registration.ok_or_else(registration_required)?;
                guards.push(TxItem::Registration, store::catalog::registration_exists(db, competition_id, user_id));
            }
            event
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
    let Some(course) = reads.release.and_then(|r: Release| r.course.of_route(&route_code)) else {
        tracing::error!(event_id, release_id, route_code, "the current release has no course for this route");
        return Err(ApiError::internal());
    };
    // A release published between this read and the write must still fail the launch.
    guards.push(TxItem::CurrentRelease, store::catalog::release_is_current(db, event_id, release_id));
    Ok(Cleared { frozen: Frozen { event, route_code, course }, guards, live_board })
}

/// How a launch that comes back is answered: its first answer (the same session and token),
/// unless the login that launched it has ended since — then 401, as a fresh launch would be.
pub struct LaunchReplays<'a> {
    pub db: &'a Db,
    pub claims: &'a Claims,
}

impl Replays<LaunchAnswer> for LaunchReplays<'_> {
    async fn replay(&self, answer: LaunchAnswer, _completed_at: i64, _now: i64) -> ApiResult<LaunchAnswer> {
        require_alive(self.db, self.claims).await?;
        Ok(answer)
    }
}

/// The idempotency key of a launch: scoped to the user, so nobody can replay, or block,
/// another user's launch.
pub fn launch_key(user_id: &str, launch_request_id: &str) -> String {
    format!("{user_id}:{launch_request_id}")
}

/// Writes the session with the launch's guards and the idempotency completion in one
/// transaction; a guard that no longer holds is answered as the rule it protects.
pub async fn commit(db: &Db, cleared: Cleared, session: &Session, done: Write, caller: Tx) -> ApiResult<()> {
    let mut tx = caller;
    tx.append(cleared.guards);
    tx.push(TxItem::Session, store::session::put_new(db, session));
    tx.push(TxItem::SessionAllowance, store::session::count_launch(db, &session.user_id, MAX_SESSIONS_PER_USER));
    tx.push(TxItem::Idempotency, done);
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(TxItem::LoginAlive) => Err(logged_out()),
        Err(e) if e.failed(TxItem::SessionAllowance) => {
            Err(ApiError::of(ErrorCode::SessionLimitReached).with_details(json!({ "max_sessions": MAX_SESSIONS_PER_USER })))
        }
        Err(e) if e.failed(TxItem::CurrentRelease) => {
            let event = store::catalog::event(db, &session.event_id).await?;
            Err(event.map(|e| stale(&e.current_release_id)).unwrap_or_else(event_not_found))
        }
        Err(e) if e.failed(TxItem::Registration) => Err(registration_required()),
        Err(e) => Err(e.into()),
    }
}
