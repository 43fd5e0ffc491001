//! Track uploads, offline first: batches of samples taken in any order, late or twice
//! (idempotent per `batch_seq`), stored in WGS-84 one item per batch, and what the server holds
//! so the phone resends exactly what is missing.

use crate::auth::refresh::{LOGIN_ALIVE, logged_out, login_alive};
use crate::auth::tokens::Claims;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::request::{check_id, check_range};
use crate::session::access::{self, LATE_UPLOAD_MS, Window};
use crate::session::coords::{CoordSys, to_wgs84};
use crate::session::finish;
use crate::session::launch::SessionState;
use crate::session::result::TrackStatus;
use crate::session::samples::Sample;
use crate::store::db::{Db, Record};
use crate::store::{self, session::BATCH};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const MAX_SAMPLES: usize = 1000;
/// Samples a session may hold in all: 12 hours at 1 Hz, the longest run a session token covers.
/// Its track, GPX included, answers in well under Lambda's 6 MB (`review`).
pub const MAX_SESSION_SAMPLES: u32 = 43_200;
/// Batches a session may have: a 12-hour run in batches of 30 s fits; the session's record,
/// which counts them, stays small.
pub const MAX_BATCH_SEQ: u32 = 1999;
pub const HEART_RATE_BPM: (i64, i64) = (25, 250);
pub const ALTITUDE_M: (f64, f64) = (-500.0, 9000.0);

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub session_id: String,
    pub batch_seq: u32,
    pub coord_sys: CoordSys,
    pub samples: Vec<Sample>,
}

/// One stored batch. The samples are compact rows `[t, lat, lng, accuracy_m, altitude_m,
/// heart_rate_bpm]` (WGS-84, 1e-7° ≈ 1 cm): 1,000 samples are ~55 KB, far below DynamoDB's 400 KB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleBatch {
    pub batch_seq: u32,
    /// What the phone sent, hashed: a resend of the same `batch_seq` must match it.
    pub content_hash: String,
    pub count: u32,
    pub first_t: i64,
    pub last_t: i64,
    pub samples: String,
}

impl Record for SampleBatch {
    const ENTITY: &'static str = "sample_batch";
}

type Row = (i64, f64, f64, f64, Option<f64>, Option<i64>);

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

impl SampleBatch {
    pub fn new(batch_seq: u32, content_hash: String, samples: &[Sample]) -> Self {
        let rows: Vec<Row> = samples
            .iter()
            .map(|s| (s.t, round(s.lat, 7), round(s.lng, 7), round(s.accuracy_m, 1), s.altitude_m.map(|a| round(a, 1)), s.heart_rate_bpm))
            .collect();
        Self {
            batch_seq,
            content_hash,
            count: samples.len() as u32,
            first_t: samples.first().map_or(0, |s| s.t),
            last_t: samples.last().map_or(0, |s| s.t),
            samples: serde_json::to_string(&rows).expect("rows encode"),
        }
    }

    /// A session's track from its batches: every sample in time order, once (`track::ordered`).
    pub fn track(batches: &[SampleBatch]) -> Vec<Sample> {
        crate::session::track::ordered(batches.iter().flat_map(SampleBatch::samples))
    }

    pub fn samples(&self) -> Vec<Sample> {
        let rows: Vec<Row> = serde_json::from_str(&self.samples).unwrap_or_default();
        rows.into_iter()
            .map(|(t, lat, lng, accuracy_m, altitude_m, heart_rate_bpm)| Sample { t, lat, lng, accuracy_m, altitude_m, heart_rate_bpm })
            .collect()
    }
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
            access::check_fix(&field(""), s.lat, s.lng, s.accuracy_m)?;
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
    let content_hash = crate::crypto::sha256_hex(&serde_json::to_vec(&request).expect("request encodes"));
    // A twin of this batch may land between the read and the write: read again.
    for _ in 0..3 {
        let session = access::writable(claims, &request.session_id, store::session::get(db, &request.session_id).await?)?;
        let samples = validate(&request, Window::of(&session, now_ms))?;
        let batch = SampleBatch::new(request.batch_seq, content_hash.clone(), &samples);
        let resend = session.batches.contains_key(&batch.batch_seq.to_string());
        if !resend && session.sample_count.saturating_add(batch.count) > MAX_SESSION_SAMPLES {
            return Err(track_full());
        }
        let mut tx = store::session::add_batch(db, &request.session_id, &batch, resend, MAX_SESSION_SAMPLES, now_ms - LATE_UPLOAD_MS);
        tx.append(login_alive(db, claims));
        match db.transact(tx).await {
            Ok(()) => {}
            Err(e) if e.failed(LOGIN_ALIVE) => return Err(logged_out()),
            Err(e) if e.failed(BATCH) => return Err(ApiError::of(ErrorCode::BatchSeqReused).with_details(json!({ "field": "batch_seq" }))),
            // Closed, or the batch or the count changed since the read: the read tells which.
            Err(e) if e.failed(store::session::SESSION) => {
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
            && let Err(e) = finish::recheck_track(db, claims, &request.session_id).await
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

    #[test]
    fn a_batch_round_trips_its_samples_compactly() {
        let samples: Vec<Sample> = (0..1000)
            .map(|i| Sample {
                t: 1_800_000_000_000 + i * 1000,
                lat: 31.123_456_789 + i as f64 * 1e-5,
                lng: 121.987_654_321,
                accuracy_m: 4.56,
                altitude_m: Some(12.34),
                heart_rate_bpm: Some(150),
            })
            .collect();
        let batch = SampleBatch::new(0, "h".into(), &samples);
        assert!(batch.samples.len() < 70_000, "{} bytes", batch.samples.len());
        let back = batch.samples();
        assert_eq!(back.len(), 1000);
        assert!((back[7].lat - samples[7].lat).abs() < 1e-7 && back[7].altitude_m == Some(12.3) && back[7].t == samples[7].t);
    }
}
