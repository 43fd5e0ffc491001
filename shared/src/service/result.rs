//! The finish: the result judged on the server from everything the session holds, once,
//! whatever retries and concurrent finishes arrive; judged again when a track that was missing
//! arrives late; and reading it back.

use crate::model::leaderboard::{Board, LeaderboardEntry};
use crate::model::result::verify::adjudicate;
use crate::model::result::{FinishReason, SessionResult, TrackStatus};
use crate::model::run::punch::{MAX_PUNCH_SEQ, RejectReason};
use crate::model::run::samples::SampleBatch;
use crate::model::run::session::{self, Window};
use crate::service::auth::refresh::{logged_out, login_alive, require_alive};
use crate::store::db::{Db, TxError, TxItem};
use crate::store::{self, session::Chain};
use crate::support::check::check_range;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::Claims;
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

/// Finishes the session: one Query (the session, its punches, its track, a result already
/// there), one transaction; a rankable run inside a competition is then offered to its
/// leaderboard (again on every finish that answers it, so a finish cut off before that
/// completes when repeated). Finishing again answers the result of the first finish.
pub async fn finish(db: &Db, claims: &Claims, session_id: &str, request: FinishRequest, now_ms: i64) -> ApiResult<SessionResult> {
    check_range("last_punch_seq", request.last_punch_seq, (0, MAX_PUNCH_SEQ))?;
    let (result, finished_at) = settle(db, claims, session_id, request, now_ms).await?;
    offer(db, claims, &result, finished_at).await?;
    Ok(result)
}

/// Offers a rankable result to its board while the runner's login lives: a run finished as the
/// account is deleted or logged out never reaches a board after.
async fn offer(db: &Db, claims: &Claims, result: &SessionResult, finished_at: i64) -> ApiResult<()> {
    let Some(entry) = LeaderboardEntry::of(result, finished_at) else { return Ok(()) };
    match store::board::offer(db, &entry, login_alive(db, claims)).await {
        Ok(_) => Ok(()),
        Err(e) if e.failed(TxItem::LoginAlive) => Err(logged_out()),
        Err(e) => Err(e.into()),
    }
}

/// The session's result and when the server finished it, computing and storing it once.
async fn settle(db: &Db, claims: &Claims, session_id: &str, request: FinishRequest, now_ms: i64) -> ApiResult<(SessionResult, i64)> {
    // A punch or another finish may land between the read and the write: read again.
    for _ in 0..3 {
        let Some((chain, batches)) = store::session::whole(db, session_id).await? else {
            return Err(session::not_found());
        };
        let Chain { session, punches, result } = chain;
        let session = session::writable(claims, session_id, Some(session))?;
        if let Some(result) = result {
            return Ok((result, session.finished_at.unwrap_or(now_ms)));
        }
        // A Query is not isolated from a punch's transaction: a count that disagrees with the
        // punches read means one is half-visible.
        if session.punch_count as usize != punches.len() {
            continue;
        }
        Window::of(&session, now_ms).check("finished_at", request.finished_at)?;
        let missing: Vec<u32> =
            request.last_punch_seq.map_or(0..0, |last| 0..last + 1).filter(|seq| !punches.iter().any(|p| p.punch_seq == *seq)).collect();
        if !missing.is_empty() {
            // A punch refused because the login ended (a logout, the account's deletion) is
            // missing too: that phone is told its login ended, not to resend (one GetItem, on
            // this answer only).
            require_alive(db, claims).await?;
            return Err(ApiError::of(ErrorCode::PunchesMissing).with_details(json!({ "missing_punch_seqs": missing })));
        }
        let samples = SampleBatch::track(&batches);
        let result = adjudicate(&session, &punches, &samples, request.reason, request.finished_at, request.last_punch_seq);
        let mut tx = store::session::finish(db, &session, &result, session.punch_count, now_ms);
        tx.append(login_alive(db, claims));
        match db.transact(tx).await {
            Ok(()) => return Ok((result, now_ms)),
            Err(e) if e.failed(TxItem::LoginAlive) => return Err(logged_out()),
            Err(e) if e.failed(TxItem::Result) || e.failed(TxItem::Session) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable())
}

/// Judges a finished run again with the track the session holds now, when its result was
/// `unverified` (batches of an offline phone that arrive after the finish): one Query, one
/// transaction that keeps the judgement made with the most samples, then the board offer if it
/// now ranks. Called by an upload to a finished session, after its own write.
pub async fn recheck_track(db: &Db, claims: &Claims, session_id: &str) -> ApiResult<()> {
    let Some((Chain { session, punches, result: Some(stored) }, batches)) = store::session::whole(db, session_id).await? else {
        return Ok(());
    };
    // Only an unverified judgement of punches is judged again (results stored before the checks
    // existed have none checked, and no `last_punch_seq` to judge again with).
    if stored.verification.track.status != TrackStatus::Unverified || stored.verification.track.punches_checked == 0 {
        return Ok(());
    }
    let samples = SampleBatch::track(&batches);
    let result = adjudicate(&session, &punches, &samples, stored.reason, stored.finished_at, stored.last_punch_seq);
    if result.verification.track.status == TrackStatus::Unverified && result.verification == stored.verification {
        return Ok(());
    }
    let mut tx = store::session::rejudge(db, &session, &result, Some(&stored));
    tx.append(login_alive(db, claims));
    match db.transact(tx).await {
        Ok(()) => offer(db, claims, &result, session.finished_at.unwrap_or(result.finished_at)).await,
        Err(e) if e.failed(TxItem::LoginAlive) => Err(logged_out()),
        // Judged meanwhile with at least as many samples.
        Err(TxError::Conditions(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// What judging a stored result again changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejudged {
    Unchanged,
    /// The result changed, and still ranks (or never did).
    Changed,
    /// The result no longer ranks: its board entry was taken off.
    Withdrawn,
}

/// Judges a finished session again by the rules of today (an operator's command, for results
/// stored before them): the result is rewritten when it changes, and the run's board entry is
/// withdrawn when it no longer ranks. A result stored before `last_punch_seq` was kept is judged
/// on every punch made before the finish.
pub async fn rejudge(db: &Db, session_id: &str) -> ApiResult<Rejudged> {
    let Some((Chain { session, punches, result: Some(stored) }, batches)) = store::session::whole(db, session_id).await? else {
        return Ok(Rejudged::Unchanged);
    };
    let last =
        stored.last_punch_seq.or_else(|| punches.iter().filter(|p| p.reason != Some(RejectReason::AfterFinish)).map(|p| p.punch_seq).max());
    let samples = SampleBatch::track(&batches);
    let result = adjudicate(&session, &punches, &samples, stored.reason, stored.finished_at, last);
    if result == stored {
        return Ok(Rejudged::Unchanged);
    }
    db.transact(store::session::rejudge(db, &session, &result, None)).await?;
    match &session.competition_id {
        Some(competition_id) if !result.rankable() => {
            let board = Board::of(competition_id, &session.event_id, &session.route_code);
            let withdrawn = store::board::withdraw(db, board, &session.user_id, session_id).await?;
            Ok(if withdrawn { Rejudged::Withdrawn } else { Rejudged::Changed })
        }
        _ => Ok(Rejudged::Changed),
    }
}

/// Judges every run on a board again (`rejudge`), a page of 100 at a time; how many runs were
/// judged, and how many were taken off the board.
pub async fn rejudge_board(db: &Db, competition_id: &str, event_id: &str, route_code: &str) -> ApiResult<(usize, usize)> {
    let board = Board::of(competition_id, event_id, route_code);
    let (mut judged, mut withdrawn) = (0, 0);
    let mut after: Option<(String, String)> = None;
    loop {
        let (entries, more) = store::board::page(db, board, 100, after.as_ref().map(|(u, k)| (u.as_str(), k.as_str()))).await?;
        for entry in &entries {
            judged += 1;
            withdrawn += usize::from(rejudge(db, &entry.session_id).await? == Rejudged::Withdrawn);
        }
        match entries.last() {
            Some(last) if more => after = Some((last.user_id.clone(), last.sort_key.clone())),
            _ => return Ok((judged, withdrawn)),
        }
    }
}

/// The caller's result of a finished session (one read).
pub async fn result(db: &Db, claims: &Claims, session_id: &str) -> ApiResult<SessionResult> {
    let (session, result) = store::session::with_result(db, session_id).await?.ok_or_else(session::not_found)?;
    session::readable(claims, Some(session))?;
    result.ok_or_else(|| ApiError::of(ErrorCode::SessionNotFinished))
}
