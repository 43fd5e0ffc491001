//! Track samples: one GPS fix (WGS-84 once stored) with what the phone measured beside it, the
//! bounds a session's track keeps to, and the compact batch samples are stored in.

use serde::{Deserialize, Serialize};

/// One fix. `t` is epoch milliseconds; `lat`/`lng` are WGS-84 degrees once stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub t: i64,
    pub lat: f64,
    pub lng: f64,
    pub accuracy_m: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heart_rate_bpm: Option<i64>,
}

/// Samples in time order, one per `t`: a batch sent twice, or batches arriving out of order,
/// must not draw a track back and forth. The first sample of a `t` is kept.
pub fn ordered(samples: impl IntoIterator<Item = Sample>) -> Vec<Sample> {
    let mut samples: Vec<Sample> = samples.into_iter().collect();
    samples.sort_by_key(|s| s.t);
    samples.dedup_by_key(|s| s.t);
    samples
}

pub const MAX_SAMPLES: usize = 1000;
/// Samples a session may hold in all: 12 hours at 1 Hz, the longest run a session token covers.
/// Its track, GPX included, answers in well under Lambda's 6 MB (`review`).
pub const MAX_SESSION_SAMPLES: u32 = 43_200;
/// Batches a session may have: a 12-hour run in batches of 30 s fits; the session's record,
/// which counts them, stays small.
pub const MAX_BATCH_SEQ: u32 = 1999;
pub const HEART_RATE_BPM: (i64, i64) = (25, 250);
pub const ALTITUDE_M: (f64, f64) = (-500.0, 9000.0);

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
        ordered(batches.iter().flat_map(SampleBatch::samples))
    }

    pub fn samples(&self) -> Vec<Sample> {
        let rows: Vec<Row> = serde_json::from_str(&self.samples).unwrap_or_default();
        rows.into_iter()
            .map(|(t, lat, lng, accuracy_m, altitude_m, heart_rate_bpm)| Sample { t, lat, lng, accuracy_m, altitude_m, heart_rate_bpm })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
