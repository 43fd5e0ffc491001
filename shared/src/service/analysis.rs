//! After the run, for its owner alone: the track (index-aligned streams or a GPX file), the
//! heart rate with its zones, and the replay summary ranked against the event's results.

use crate::model::analysis::gpx;
use crate::model::analysis::heart::{self, HeartProfile, HeartRate};
use crate::model::analysis::legs::{leg_seconds, leg_windows};
use crate::model::analysis::replay::{self, ReplaySummary};
use crate::model::analysis::track::{Resolution, Track, round_metres};
use crate::model::catalog::course::RouteKind;
use crate::model::result::SessionResult;
use crate::model::run::session::{self, Session};
use crate::store;
use crate::store::db::Db;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::Claims;
use serde::Serialize;

crate::plain_enum! {
    /// How `GET /sessions/{id}/gps-track` answers: enveloped streams, or a GPX 1.1 file.
    pub enum TrackFormat {
        Json = "json",
        Gpx = "gpx",
    }
}

/// The caller's session with its result and its whole track (one Query).
struct Run {
    session: Session,
    result: Option<SessionResult>,
    track: Track,
}

async fn run(db: &Db, claims: &Claims, session_id: &str) -> ApiResult<Run> {
    let (chain, batches) = store::session::whole(db, session_id).await?.ok_or_else(session::not_found)?;
    let session = session::readable(claims, Some(chain.session))?;
    let track = Track::new(batches.iter().flat_map(|b| b.samples()));
    Ok(Run { session, result: chain.result, track })
}

impl Run {
    /// Where the run's times count from: the start punch, else the first fix, else the launch.
    fn start_ms(&self) -> i64 {
        self.result
            .as_ref()
            .and_then(|r| r.result.start_time)
            .or_else(|| self.track.samples().first().map(|s| s.t))
            .unwrap_or(self.session.created_at * 1000)
    }
}

/// A run's track as `GET /sessions/{id}/gps-track` answers it: a GPX 1.1 file, or streams.
pub enum TrackAnswer {
    Gpx(String),
    Streams(Box<TrackStreams>),
}

/// The track as index-aligned streams, counted from the run's start.
#[derive(Debug, Serialize)]
pub struct TrackStreams {
    pub session_id: String,
    pub resolution: Resolution,
    pub start_time: String,
    pub original_size: usize,
    pub point_count: usize,
    pub total_distance_m: f64,
    pub time: Vec<i64>,
    pub latlng: Vec<[f64; 2]>,
    pub distance_m: Vec<f64>,
    pub accuracy_m: Vec<f64>,
    pub altitude_m: Vec<Option<f64>>,
}

pub async fn gps_track(db: &Db, claims: &Claims, session_id: &str, resolution: Resolution, format: TrackFormat) -> ApiResult<TrackAnswer> {
    let run = run(db, claims, session_id).await?;
    Ok(match format {
        TrackFormat::Gpx => {
            let name = format!("{} · {}", run.session.event_display_name, run.session.route_code);
            let points = resolution.max_points().unwrap_or(gpx::MAX_POINTS).min(gpx::MAX_POINTS);
            TrackAnswer::Gpx(gpx::gpx(&run.track.thinned(points), &name, "client-api"))
        }
        TrackFormat::Json => {
            let streams = run.track.streams(run.start_ms(), resolution);
            TrackAnswer::Streams(Box::new(TrackStreams {
                session_id: run.session.session_id.clone(),
                resolution,
                start_time: crate::support::clock::rfc3339_ms(run.start_ms()),
                original_size: run.track.len(),
                point_count: streams.time.len(),
                total_distance_m: round_metres(run.track.total_distance_m()),
                time: streams.time,
                latlng: streams.latlng,
                distance_m: streams.distance_m,
                accuracy_m: streams.accuracy_m,
                altitude_m: streams.altitude_m,
            }))
        }
    })
}

/// The heart-rate series, zones from the owner's body profile (read beside the session).
pub async fn heart_rate(db: &Db, claims: &Claims, session_id: &str) -> ApiResult<HeartRate> {
    let (run, profile) = tokio::join!(run(db, claims, session_id), store::profile::get(db, &claims.sub));
    let (run, profile) = (run?, profile?);
    let start_ms = run.start_ms();
    let zones = heart::zones(&profile.as_ref().map(HeartProfile::from).unwrap_or_default(), start_ms);
    let legs = match &run.result {
        Some(r) => leg_windows(&run.session.course.routes[0], &r.result),
        None => Vec::new(),
    };
    Ok(heart::heart_rate(run.track.samples(), start_ms, zones, &legs))
}

/// The replay summary of a finished run with how it was judged; on a classic route each leg is
/// ranked among the event's rankable results on that route and release (a second Query, of that route's results).
pub async fn replay_summary(db: &Db, claims: &Claims, session_id: &str) -> ApiResult<ReplaySummary> {
    let run = run(db, claims, session_id).await?;
    let result = run.result.as_ref().ok_or_else(|| ApiError::of(ErrorCode::SessionNotFinished))?;
    let (course, route) = (&run.session.course, &run.session.course.routes[0]);
    let mut summary = replay::replay_summary(&run.track, course, route, &result.result);
    summary.verification = result.verification.clone();
    if route.kind == RouteKind::Classic {
        let field: Vec<_> = store::session::route_results(db, &run.session.event_id, &run.session.route_code)
            .await?
            .iter()
            .filter(|r| r.rankable() && r.event_release_id == run.session.event_release_id)
            .map(|r| leg_seconds(route, &r.result))
            .collect();
        summary.rank_legs(&field);
    }
    Ok(summary)
}
