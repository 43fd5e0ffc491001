//! After the run, for its owner alone: the track (index-aligned streams or a GPX file), the
//! heart rate with its zones, and the replay summary ranked against the event's results.

use crate::auth::tokens::Claims;
use crate::catalog::course::RouteKind;
use crate::http::envelope::Reply;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::profile::ProfileItem;
use crate::session::access;
use crate::session::gpx;
use crate::session::heart::{self, HeartProfile, HeartRate};
use crate::session::launch::Session;
use crate::session::replay::{self, ReplaySummary};
use crate::session::result::SessionResult;
use crate::session::track::{Resolution, Track};
use crate::store::db::Db;
use crate::store::{self, keys};
use serde_json::json;

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
    let (chain, batches) = store::session::whole(db, session_id).await?.ok_or_else(access::not_found)?;
    let session = access::readable(claims, Some(chain.session))?;
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

pub async fn gps_track(db: &Db, claims: &Claims, session_id: &str, resolution: Resolution, format: TrackFormat) -> ApiResult<Reply> {
    let run = run(db, claims, session_id).await?;
    Ok(match format {
        TrackFormat::Gpx => {
            let name = format!("{} · {}", run.session.event_display_name, run.session.route_code);
            let points = resolution.max_points().unwrap_or(gpx::MAX_POINTS).min(gpx::MAX_POINTS);
            Reply::file(gpx::CONTENT_TYPE, gpx::gpx(&run.track.thinned(points), &name, "client-api"))
        }
        TrackFormat::Json => {
            let streams = run.track.streams(run.start_ms(), resolution);
            Reply::ok(json!({
                "session_id": run.session.session_id,
                "resolution": resolution,
                "start_time": crate::clock::rfc3339_ms(run.start_ms()),
                "original_size": run.track.len(),
                "point_count": streams.time.len(),
                "total_distance_m": crate::session::track::round_metres(run.track.total_distance_m()),
                "time": streams.time,
                "latlng": streams.latlng,
                "distance_m": streams.distance_m,
                "accuracy_m": streams.accuracy_m,
                "altitude_m": streams.altitude_m,
            }))
        }
    })
}

/// The heart-rate series, zones from the owner's body profile (read beside the session).
pub async fn heart_rate(db: &Db, claims: &Claims, session_id: &str) -> ApiResult<HeartRate> {
    let profile_key = keys::body_profile(&claims.sub);
    let (run, profile) = tokio::join!(run(db, claims, session_id), db.get::<ProfileItem>(&profile_key));
    let (run, profile) = (run?, profile?);
    let start_ms = run.start_ms();
    let zones = heart::zones(&profile.as_ref().map(HeartProfile::from).unwrap_or_default(), start_ms);
    let legs = match &run.result {
        Some(r) => replay::leg_windows(&run.session.course.routes[0], &r.result),
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
            .map(|r| replay::leg_seconds(route, &r.result))
            .collect();
        summary.rank_legs(&field);
    }
    Ok(summary)
}
