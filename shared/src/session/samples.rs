//! Track samples: one GPS fix (WGS-84 once stored) with what the phone measured beside it.

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
