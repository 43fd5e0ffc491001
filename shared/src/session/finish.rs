//! The finish: the result computed on the server from the punches the session holds, once,
//! whatever retries and concurrent finishes arrive — and reading it back.

use crate::auth::tokens::Claims;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::session::access::{self, Window};
use crate::session::board::LeaderboardEntry;
use crate::session::punch::{Fix, judge_run};
use crate::session::result::{FinishReason, SessionResult, Visit, compute};
use crate::store::db::Db;
use crate::store::{self, session::Chain};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishRequest {
    /// The last punch the phone made; absent or null when it made none.
    #[serde(default)]
    pub last_punch_seq: Option<u32>,
    pub reason: FinishReason,
    /// When the run ended on the phone (epoch ms).
    pub finished_at: i64,
}

/// Finishes the session: one Query (the session, its punches, a result already there), one
/// transaction; an `OK` run inside a competition is then offered to its leaderboard (again on
/// every finish that answers it, so a finish cut off before that completes when repeated).
/// Finishing again answers the result of the first finish.
pub async fn finish(db: &Db, claims: &Claims, session_id: &str, request: FinishRequest, now_ms: i64) -> ApiResult<SessionResult> {
    let (result, finished_at) = settle(db, claims, session_id, request, now_ms).await?;
    if let Some(entry) = LeaderboardEntry::of(&result, finished_at) {
        store::board::offer(db, &entry).await?;
    }
    Ok(result)
}

/// The session's result and when the server finished it, computing and storing it once.
async fn settle(db: &Db, claims: &Claims, session_id: &str, request: FinishRequest, now_ms: i64) -> ApiResult<(SessionResult, i64)> {
    // A punch or another finish may land between the read and the write: read again.
    for _ in 0..3 {
        let Some(chain) = store::session::chain(db, session_id).await? else {
            return Err(access::not_found());
        };
        let Chain { session, punches, result } = chain;
        let session = access::writable(claims, session_id, Some(session))?;
        if let Some(result) = result {
            return Ok((result, session.finished_at.unwrap_or(now_ms)));
        }
        // A Query is not isolated from a punch's transaction: a count that disagrees with the
        // punches read means one is half-visible.
        if session.punch_count as usize != punches.len() {
            continue;
        }
        Window::of(&session, now_ms).check("finished_at", request.finished_at)?;
        let expected = request.last_punch_seq.map_or(0, |last| last + 1);
        let missing: Vec<u32> = (0..expected).filter(|seq| !punches.iter().any(|p| p.punch_seq == *seq)).collect();
        if !missing.is_empty() {
            return Err(ApiError::of(ErrorCode::PunchesMissing).with_details(json!({ "missing_punch_seqs": missing })));
        }
        let run: Vec<_> = punches.iter().filter(|p| p.punch_seq < expected).collect();
        let fixes: Vec<Fix> = run.iter().map(|p| p.fix()).collect();
        let route = &session.course.routes[0];
        let judgements = judge_run(&session.course, route, &fixes);
        let visits: Vec<Visit> = run
            .iter()
            .zip(&judgements)
            .filter(|(_, j)| j.accepted())
            .map(|(p, _)| Visit { control_code: &p.control_code, t: p.t })
            .collect();
        let result = SessionResult {
            session_id: session.session_id.clone(),
            user_id: session.user_id.clone(),
            event_id: session.event_id.clone(),
            competition_id: session.competition_id.clone(),
            event_release_id: session.event_release_id.clone(),
            route_code: session.route_code.clone(),
            reason: request.reason,
            finished_at: request.finished_at,
            result: compute(&session.course, route, &visits, request.reason),
        };
        match db.transact(store::session::finish(db, &session, &result, session.punch_count, now_ms)).await {
            Ok(()) => return Ok((result, now_ms)),
            Err(e) if e.failed(store::session::RESULT) || e.failed(store::session::SESSION) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable())
}

/// The caller's result of a finished session (one read).
pub async fn result(db: &Db, claims: &Claims, session_id: &str) -> ApiResult<SessionResult> {
    let (session, result) = store::session::with_result(db, session_id).await?.ok_or_else(access::not_found)?;
    access::readable(claims, Some(session))?;
    result.ok_or_else(|| ApiError::of(ErrorCode::SessionNotFinished))
}
