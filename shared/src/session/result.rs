//! A run's result: IOF `ResultStatus`, splits and score, computed on the server from the judged
//! punches of a session (pure rules, no storage).

use crate::catalog::course::RouteKind;
use serde::{Deserialize, Serialize};

crate::plain_enum! {
    /// IOF XML 3.0 `ResultStatus`, the values this API produces.
    pub enum ResultStatus {
        Ok = "OK",
        MissingPunch = "MissingPunch",
        DidNotFinish = "DidNotFinish",
        OverTime = "OverTime",
    }
}

crate::plain_enum! {
    /// IOF XML 3.0 `SplitTime` status: a route control punched (`OK`), not punched
    /// (`Missing`), or a punch the route does not ask for (`Additional`).
    pub enum SplitStatus {
        Ok = "OK",
        Missing = "Missing",
        Additional = "Additional",
    }
}

/// One control of the result. `time_s` counts from the start punch; `leg_s` from the
/// previous punched control (or the start). Both are absent for a `Missing` control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub control_code: String,
    pub time_s: Option<i64>,
    pub leg_s: Option<i64>,
    pub status: SplitStatus,
}

/// A score route's arithmetic: `net` = `points` − `penalty`, never below 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub points: i64,
    pub penalty: i64,
    pub net: i64,
}

/// What a finished run came to. Times are epoch milliseconds (punch times as the phone gave
/// them); `time_s` is whole seconds, finish punch − start punch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub kind: RouteKind,
    pub status: ResultStatus,
    pub start_time: Option<i64>,
    pub finish_time: Option<i64>,
    pub time_s: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    pub splits: Vec<Split>,
    /// Route controls never punched (classic), in course order.
    #[serde(default)]
    pub missing_controls: Vec<String>,
}
