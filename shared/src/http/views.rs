//! The answers' views: what a client sees of the typed data a use case returns, one struct per
//! answer, serialized into the envelope. Dates become RFC 3339 here, and only here.

use crate::model::catalog::Registration;
use crate::model::catalog::course::RouteKind;
use crate::model::identity::{Account, LoginKind, LoginLink};
use crate::model::profile::{Gender, ProfileItem};
use crate::model::result::{FinishReason, ResultStatus, RunResult, Score, SessionResult, Split, Verification};
use crate::model::run::session::{Session, SessionState};
use crate::service::leaderboard::{BoardPage, Ranked};
use crate::support::clock;
use crate::support::types::BodyProfileStatus;
use serde::Serialize;

/// A list and where its next page starts (`null` on the last).
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The finish's answer and `GET /sessions/{id}/result`.
#[derive(Debug, Serialize)]
pub struct ResultView<'a> {
    pub session_id: &'a str,
    pub event_id: &'a str,
    pub competition_id: Option<&'a str>,
    pub event_release_id: &'a str,
    pub route_code: &'a str,
    pub route_kind: RouteKind,
    pub reason: FinishReason,
    pub status: ResultStatus,
    pub start_time: Option<String>,
    pub finish_time: Option<String>,
    pub time_s: Option<i64>,
    pub splits: &'a [Split],
    pub missing_controls: &'a [String],
    pub verification: &'a Verification,
    pub rankable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
}

impl<'a> From<&'a SessionResult> for ResultView<'a> {
    fn from(s: &'a SessionResult) -> Self {
        let r: &RunResult = &s.result;
        Self {
            session_id: &s.session_id,
            event_id: &s.event_id,
            competition_id: s.competition_id.as_deref(),
            event_release_id: &s.event_release_id,
            route_code: &s.route_code,
            route_kind: r.kind,
            reason: s.reason,
            status: r.status,
            start_time: r.start_time.map(clock::rfc3339_ms),
            finish_time: r.finish_time.map(clock::rfc3339_ms),
            time_s: r.time_s,
            splits: &r.splits,
            missing_controls: &r.missing_controls,
            verification: &s.verification,
            rankable: s.rankable(),
            score: r.score,
        }
    }
}

/// One session of `GET /me/sessions`.
#[derive(Debug, Serialize)]
pub struct HistoryItem<'a> {
    pub session_id: &'a str,
    pub event_id: &'a str,
    pub competition_id: Option<&'a str>,
    pub display_name: &'a str,
    pub route_code: &'a str,
    pub launched_at: String,
    pub state: SessionState,
    pub finished_at: Option<String>,
    pub result_status: Option<ResultStatus>,
    pub time_s: Option<i64>,
    pub net: Option<i64>,
}

impl<'a> From<&'a Session> for HistoryItem<'a> {
    fn from(s: &'a Session) -> Self {
        Self {
            session_id: &s.session_id,
            event_id: &s.event_id,
            competition_id: s.competition_id.as_deref(),
            display_name: &s.event_display_name,
            route_code: &s.route_code,
            launched_at: clock::rfc3339(s.created_at),
            state: s.state,
            finished_at: s.finished_at.map(clock::rfc3339_ms),
            result_status: s.result_status,
            time_s: s.time_s,
            net: s.net,
        }
    }
}

/// One entry of a leaderboard: the pseudonym only, never the user id.
#[derive(Debug, Serialize)]
pub struct BoardEntryView<'a> {
    pub rank: u64,
    pub display_name: &'a str,
    pub time_s: i64,
    pub session_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net: Option<i64>,
}

impl<'a> From<&'a Ranked> for BoardEntryView<'a> {
    fn from(r: &'a Ranked) -> Self {
        Self {
            rank: r.rank,
            display_name: &r.entry.display_name,
            time_s: r.entry.time_s,
            session_id: &r.entry.session_id,
            net: r.entry.net,
        }
    }
}

/// `GET /competitions/{id}/leaderboard`.
#[derive(Debug, Serialize)]
pub struct BoardView<'a> {
    pub items: Vec<BoardEntryView<'a>>,
    pub me: Option<BoardEntryView<'a>>,
    pub next_cursor: Option<&'a str>,
}

impl<'a> From<&'a BoardPage> for BoardView<'a> {
    fn from(p: &'a BoardPage) -> Self {
        Self {
            items: p.items.iter().map(BoardEntryView::from).collect(),
            me: p.me.as_ref().map(BoardEntryView::from),
            next_cursor: p.next_cursor.as_deref(),
        }
    }
}

/// The logins of `GET /me`: never an identity's value, only a masked mobile and whether WeChat is bound.
#[derive(Debug, Serialize)]
pub struct LoginsView {
    pub mobile: Option<String>,
    pub wechat: bool,
}

#[derive(Debug, Serialize)]
pub struct BodyProfileView<'a> {
    pub gender: Option<Gender>,
    pub birth_date: Option<&'a str>,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub resting_heart_rate_bpm: Option<u32>,
    pub max_heart_rate_bpm: Option<u32>,
    pub completed_at: Option<String>,
}

/// `GET /me`.
#[derive(Debug, Serialize)]
pub struct MeView<'a> {
    pub user_id: &'a str,
    pub created_at: String,
    pub logins: LoginsView,
    pub body_profile_status: BodyProfileStatus,
    pub body_profile: BodyProfileView<'a>,
}

impl<'a> From<&'a Account> for MeView<'a> {
    fn from(a: &'a Account) -> Self {
        let profile = a.profile.as_ref();
        Self {
            user_id: &a.user.user_id,
            created_at: clock::rfc3339(a.user.created_at),
            logins: LoginsView {
                mobile: a.login(LoginKind::Mobile).and_then(LoginLink::masked_mobile),
                wechat: a.login(LoginKind::Wechat).is_some(),
            },
            body_profile_status: profile.map(|p| p.status).unwrap_or_default(),
            body_profile: BodyProfileView {
                gender: profile.and_then(|p| p.gender),
                birth_date: profile.and_then(|p| p.birth_date.as_deref()),
                height_cm: profile.and_then(|p| p.height_cm),
                weight_kg: profile.and_then(|p| p.weight_kg),
                resting_heart_rate_bpm: profile.and_then(|p| p.resting_heart_rate_bpm),
                max_heart_rate_bpm: profile.and_then(|p| p.max_heart_rate_bpm),
                completed_at: profile.and_then(|p| p.completed_at).map(clock::rfc3339),
            },
        }
    }
}

/// `PUT /me/body-profile`. `completed_at` is `null` while pending (the contract allows it to be empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileView {
    pub user_id: String,
    pub body_profile_status: BodyProfileStatus,
    pub completed_at: Option<String>,
}

impl From<&ProfileItem> for ProfileView {
    fn from(p: &ProfileItem) -> Self {
        Self { user_id: p.user_id.clone(), body_profile_status: p.status, completed_at: p.completed_at.map(clock::rfc3339) }
    }
}

/// One registration of `GET /me/registrations`.
#[derive(Debug, Serialize)]
pub struct RegistrationItem<'a> {
    pub registration_id: &'a str,
    pub competition_id: &'a str,
    pub status: crate::model::catalog::RegistrationStatus,
    pub group_id: Option<&'a str>,
    pub created_at: String,
}

impl<'a> From<&'a Registration> for RegistrationItem<'a> {
    fn from(r: &'a Registration) -> Self {
        Self {
            registration_id: &r.registration_id,
            competition_id: &r.competition_id,
            status: r.status,
            group_id: r.group_id.as_deref(),
            created_at: clock::rfc3339(r.created_at),
        }
    }
}

/// `POST /competitions/{id}/registrations`.
#[derive(Debug, Serialize)]
pub struct RegisteredView<'a> {
    pub registration_id: &'a str,
    pub status: crate::model::catalog::RegistrationStatus,
}

/// `DELETE /competitions/{id}/registrations`.
#[derive(Debug, Serialize)]
pub struct CancelledView<'a> {
    pub competition_id: &'a str,
    pub status: &'static str,
}

/// `POST /auth/logout`.
#[derive(Debug, Serialize)]
pub struct LoggedOutView {
    pub logged_out: bool,
    pub ended_logins: usize,
}

/// `DELETE /me`.
#[derive(Debug, Serialize)]
pub struct DeletedView<'a> {
    pub deleted: bool,
    pub removed: &'a crate::model::identity::Deleted,
}
