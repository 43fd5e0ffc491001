//! Track uploads, offline first: batches of samples taken in any order, late or twice
//! (idempotent per `batch_seq`), stored in WGS-84 one item per batch, and what the server holds
//! so the phone resends exactly what is missing.

use crate::model::result::TrackStatus;
use crate::model::run::coords::{CoordSys, to_wgs84};
use crate::model::run::samples::{ALTITUDE_M, HEART_RATE_BPM, MAX_BATCH_SEQ, MAX_SAMPLES, MAX_SESSION_SAMPLES, Sample, SampleBatch};
use crate::model::run::session::{self, LATE_UPLOAD_MS, SessionState, Window};
use crate::service::auth::refresh::{logged_out, login_alive};
use crate::service::result;
use crate::store;
use crate::store::db::{Db, TxItem};
use crate::support::check::{check_id, check_range};
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::Claims;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub session_id: String,
    pub batch_seq: u32,
    pub coord_sys: CoordSys,
    pub samples: Vec<Sample>,
}

/// Checks every sample (each failure a 400 naming `samples[i].field`) and converts them to WGS-84.
pub fn validate(request: &UploadRequest, window: Window) -> ApiResult<Vec<Sample>> {
    if request.samples.len() > MAX_SAMPLES {
        return Err(ApiError::of(ErrorCode::PayloadTooLarge)
            .saying(format!("at most {MAX_SAMPLES} samples per batch"))
            .with_details(json!({ "field": "samples", "max_samples": MAX_SAMPLES })));
    }
    if request.samples.is_empty() {
        return Err(ApiError::invalid("samples", "must hold at least one sample"));
    }
    check_range("batch_seq", Some(request.batch_seq), (0, MAX_BATCH_SEQ))?;
    let mut previous = None;
    request
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let field = |name: &str| format!("samples[{i}].{name}");
            window.check(&field("t"), s.t)?;
            if previous.is_some_and(|p| s.t <= p) {
                return Err(ApiError::invalid(&field("t"), "must be later than the sample before it"));
            }
            previous = Some(s.t);
            session::check_fix(&field(""), s.lat, s.lng, s.accuracy_m)?;
            check_range(&field("altitude_m"), s.altitude_m, ALTITUDE_M)?;
            check_range(&field("heart_rate_bpm"), s.heart_rate_bpm, HEART_RATE_BPM)?;
            let (lat, lng) = to_wgs84(request.coord_sys, s.lat, s.lng);
            Ok(Sample { lat, lng, ..*s })
        })
        .collect()
}

/// What the server holds of a session's track after an upload.
#[derive(Debug, Serialize)]
pub struct Holdings {
    pub session_id: String,
    pub batch_seq: u32,
    /// This batch_seq had been received before (a resend): nothing changed.
    pub duplicate: bool,
    pub batches_received: usize,
    pub missing_batch_seqs: Vec<u32>,
    pub samples_stored: u64,
}

impl Holdings {
    fn of(session_id: &str, batch_seq: u32, duplicate: bool, batches: &BTreeMap<u32, u32>) -> Self {
        let highest = batches.keys().next_back().copied().unwrap_or(0);
        Self {
            session_id: session_id.to_owned(),
            batch_seq,
            duplicate,
            batches_received: batches.len(),
            missing_batch_seqs: (0..highest).filter(|seq| !batches.contains_key(seq)).collect(),
            samples_stored: batches.values().map(|&n| u64::from(n)).sum(),
        }
    }
}

/// Stores a batch: read the session (one GetItem), then the batch and the session's count of it
/// in one transaction. A batch to a finished run whose track was missing judges it again.
pub async fn upload(db: &Db, claims: &Claims, request: UploadRequest, now_ms: i64) -> ApiResult<Holdings> {
    check_id("session_id", &request.session_id)?;
    let content_hash = crate::support::crypto::sha256_hex(&serde_json::to_vec(&request).expect("request encodes"));
    // A twin of this batch may land between the read and the write: read again.
    for _ in 0..3 {
        let session = session::writable(claims, &request.session_id, store::session::get(db, &request.session_id).await?)?;
        let samples = validate(&request, Window::of(&session, now_ms))?;
        let batch = SampleBatch::new(request.batch_seq, content_hash.clone(), &samples);
        let resend = session.batches.contains_key(&batch.batch_seq.to_string());
        if !resend && session.sample_count.saturating_add(batch.count) > MAX_SESSION_SAMPLES {
            return Err(track_full());
        }
        let live = store::live::Tag::of(&session);
        let mut tx =
            store::session::add_batch(db, &request.session_id, &batch, resend, MAX_SESSION_SAMPLES, now_ms - LATE_UPLOAD_MS, live.as_ref());
        tx.append(login_alive(db, claims));
        match db.transact(tx).await {
            Ok(()) => {}
            Err(e) if e.failed(TxItem::LoginAlive) => return Err(logged_out()),
            Err(e) if e.failed(TxItem::Batch) => {
                return Err(ApiError::of(ErrorCode::BatchSeqReused).with_details(json!({ "field": "batch_seq" })));
            }
            // Closed, or the batch or the count changed since the read: the read tells which.
            Err(e) if e.failed(TxItem::Session) => {
                if session.state == SessionState::Finished && session.finished_at.is_some_and(|at| at <= now_ms - LATE_UPLOAD_MS) {
                    return Err(ApiError::of(ErrorCode::SessionClosed));
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        // The batch is stored whatever the judgement does: a failure there is judged again by
        // the next batch, or its resend.
        if session.track_status == Some(TrackStatus::Unverified)
            && let Err(e) = result::recheck_track(db, claims, &request.session_id).await
        {
            tracing::warn!(code = e.code.as_str(), "a late track was not judged yet");
        }
        let mut batches: BTreeMap<u32, u32> = session.batches.iter().filter_map(|(seq, n)| Some((seq.parse().ok()?, *n))).collect();
        let duplicate = batches.insert(batch.batch_seq, batch.count).is_some();
        return Ok(Holdings::of(&request.session_id, batch.batch_seq, duplicate, &batches));
    }
    Err(ApiError::unavailable())
}

fn track_full() -> ApiError {
    ApiError::of(ErrorCode::SessionTrackFull).with_details(json!({ "field": "samples", "max_session_samples": MAX_SESSION_SAMPLES }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_name_the_gaps_below_the_highest_batch() {
        let batches = BTreeMap::from([(0, 10), (2, 10), (5, 3)]);
        let h = Holdings::of("ses_1", 5, false, &batches);
        assert_eq!((h.batches_received, h.samples_stored), (3, 23));
        assert_eq!(h.missing_batch_seqs, [1, 3, 4]);
    }
}
