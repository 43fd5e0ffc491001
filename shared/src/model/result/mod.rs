//! A run's result: IOF `ResultStatus`, splits and score, computed on the server from the judged
//! punches of a session (pure rules, no storage).

use crate::model::catalog::course::{Course, Route, RouteKind};

pub mod verify;
use serde::{Deserialize, Serialize};

crate::plain_enum! {
    /// IOF XML 3.0 `ResultStatus`, the values this API produces.
    pub enum ResultStatus {
        Ok = "OK",
        MissingPunch = "MissingPunch",
        DidNotFinish = "DidNotFinish",
        OverTime = "OverTime",
        /// The punches' positions are not where the phone's own track was (`verification.track`).
        Disqualified = "Disqualified",
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

crate::plain_enum! {
    /// What the track says of a run's accepted punches.
    pub enum TrackStatus {
        /// Every accepted punch has track samples near it in time, and they agree.
        Verified = "verified",
        /// A punch is farther from the track at its time than a runner gets: the punch's position
        /// is not where the phone was. The run is `Disqualified`.
        Mismatch = "mismatch",
        /// A punch has no track sample near it in time (the track is absent, or not uploaded yet):
        /// the result stands, but it does not rank until the track arrives and agrees.
        Unverified = "unverified",
    }
}

/// A rule applied punch by punch: which punches of the run it rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    pub passed: bool,
    pub rejected_punch_seqs: Vec<u32>,
}

impl Default for RuleCheck {
    fn default() -> Self {
        Self { passed: true, rejected_punch_seqs: Vec::new() }
    }
}

/// The accepted punches against the track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackCheck {
    pub status: TrackStatus,
    /// Accepted punches compared with the track.
    pub punches_checked: u32,
    /// The punches off the track (`mismatch`), else those with no track near them (`unverified`).
    pub punch_seqs: Vec<u32>,
    /// Samples the session held when this was judged: a later judgement with more replaces it.
    pub samples: u32,
}

impl Default for TrackCheck {
    /// A result stored before these checks existed: nothing verified.
    fn default() -> Self {
        Self { status: TrackStatus::Unverified, punches_checked: 0, punch_seqs: Vec::new(), samples: 0 }
    }
}

/// The checks of a result (`verification` in its answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// `time_reversed` punches: stamped before the punch accepted before them.
    pub time_order: RuleCheck,
    /// `implausible_speed` punches: farther from the punch before than a runner gets in the time.
    pub speed: RuleCheck,
    pub track: TrackCheck,
}

/// A session's result as stored (`keys::session_result`) and answered: the run's result with
/// what it was a run of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionResult {
    pub session_id: String,
    pub user_id: String,
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competition_id: Option<String>,
    pub event_release_id: String,
    pub route_code: String,
    pub reason: FinishReason,
    /// When the run ended (epoch ms): as the phone says, but never before its last accepted punch.
    pub finished_at: i64,
    pub result: RunResult,
    /// The last punch of the run (the finish's `last_punch_seq`): a later judgement reads the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_punch_seq: Option<u32>,
    /// The checks the run passed or failed. Absent in results stored before they existed.
    #[serde(default)]
    pub verification: Verification,
}

impl SessionResult {
    /// Whether the run may rank on a board: `OK`, and its punches on its own track.
    pub fn rankable(&self) -> bool {
        self.result.status == ResultStatus::Ok && self.verification.track.status == TrackStatus::Verified
    }
}

crate::plain_enum! {
    /// Why the phone ended the run.
    pub enum FinishReason {
        Completed = "completed",
        Abandoned = "abandoned",
    }
}

/// An accepted punch, as the result sees it: the control and when (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visit<'a> {
    pub control_code: &'a str,
    pub t: i64,
}

/// The result of a run on `route` of `course` (the route's first control is the start, its
/// last the finish) from its accepted punches in `punch_seq` order.
pub fn compute(course: &Course, route: &Route, visits: &[Visit<'_>], reason: FinishReason) -> RunResult {
    let (start_code, finish_code) = match (route.controls.first(), route.controls.last()) {
        (Some(s), Some(f)) if route.controls.len() >= 2 => (s.as_str(), f.as_str()),
        // The catalog tool refuses such a route; a result without one is still a result.
        _ => return RunResult::unplaced(route.kind, reason),
    };
    let start = visits.iter().position(|v| v.control_code == start_code);
    let finish = start.and_then(|s| (s + 1..visits.len()).rev().find(|&i| visits[i].control_code == finish_code));
    let start_time = start.map(|i| visits[i].t);
    let finish_time = finish.map(|i| visits[i].t);
    let between = match (start, finish) {
        (Some(s), Some(f)) => &visits[s + 1..f],
        (Some(s), None) => &visits[s + 1..],
        _ => &visits[..0],
    };
    let middle = &route.controls[1..route.controls.len() - 1];
    let seconds = |t: i64| start_time.map(|s| (t - s).div_euclid(1000));
    let time_s = finish_time.and_then(seconds);
    let mut missing_controls: Vec<String> = Vec::new();
    if start.is_none() {
        missing_controls.push(start_code.to_owned());
    }
    let (splits, score) = match route.kind {
        RouteKind::Classic => {
            let splits = classic_splits(middle, between, &seconds);
            missing_controls.extend(splits.iter().filter(|s| s.status == SplitStatus::Missing).map(|s| s.control_code.clone()));
            (splits, None)
        }
        RouteKind::Score => score_splits(course, route, middle, between, &seconds, time_s),
    };
    if finish.is_none() {
        missing_controls.push(finish_code.to_owned());
    }
    let late_s = |limit: i64| time_s.map(|t| t - limit).filter(|late| *late > 0);
    let over_time = route.kind == RouteKind::Score
        && route.time_limit_s.and_then(late_s).is_some_and(|late| route.max_late_s.is_some_and(|max| late > max));
    let status = match reason {
        FinishReason::Abandoned => ResultStatus::DidNotFinish,
        FinishReason::Completed if !missing_controls.is_empty() => ResultStatus::MissingPunch,
        FinishReason::Completed if over_time => ResultStatus::OverTime,
        FinishReason::Completed => ResultStatus::Ok,
    };
    RunResult { kind: route.kind, status, start_time, finish_time, time_s, score, splits, missing_controls }
}

impl RunResult {
    fn unplaced(kind: RouteKind, reason: FinishReason) -> Self {
        let status = if reason == FinishReason::Abandoned { ResultStatus::DidNotFinish } else { ResultStatus::MissingPunch };
        RunResult { kind, status, start_time: None, finish_time: None, time_s: None, score: None, splits: vec![], missing_controls: vec![] }
    }
}

/// Classic: the route's controls matched against the punches as their longest common
/// subsequence, so a control punched twice, out of order or not at all costs only itself.
/// Matched → `OK`; route controls left over → `Missing`; punches left over → `Additional`.
fn classic_splits(middle: &[String], punches: &[Visit<'_>], seconds: &dyn Fn(i64) -> Option<i64>) -> Vec<Split> {
    let (n, m) = (middle.len(), punches.len());
    // lcs[i][j]: the longest match of middle[i..] with punches[j..].
    let mut lcs = vec![vec![0u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if middle[i] == punches[j].control_code { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut splits = Vec::with_capacity(n + m);
    // The last route control's time, None once one is missing: a leg is only timed between two punched controls.
    let mut previous_control = Some(seconds(0).map(|_| 0));
    let mut previous_any = Some(0);
    while i < n || j < m {
        if i < n && j < m && middle[i] == punches[j].control_code && lcs[i][j] == lcs[i + 1][j + 1] + 1 {
            let time_s = seconds(punches[j].t);
            let leg_s = match (time_s, previous_control.flatten()) {
                (Some(t), Some(p)) => Some(t - p),
                _ => None,
            };
            splits.push(Split { control_code: middle[i].clone(), time_s, leg_s, status: SplitStatus::Ok });
            previous_control = Some(time_s);
            previous_any = time_s;
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let time_s = seconds(punches[j].t);
            let leg_s = time_s.zip(previous_any).map(|(t, p)| t - p);
            splits.push(Split { control_code: punches[j].control_code.to_owned(), time_s, leg_s, status: SplitStatus::Additional });
            previous_any = time_s;
            j += 1;
        } else {
            splits.push(Split { control_code: middle[i].clone(), time_s: None, leg_s: None, status: SplitStatus::Missing });
            previous_control = None;
            i += 1;
        }
    }
    splits
}

/// Score: each route control counts once, in any order; repeats and controls of no value to
/// this route are `Additional`. Points less the lateness penalty, never below 0.
fn score_splits(
    course: &Course,
    route: &Route,
    middle: &[String],
    punches: &[Visit<'_>],
    seconds: &dyn Fn(i64) -> Option<i64>,
    time_s: Option<i64>,
) -> (Vec<Split>, Option<Score>) {
    let mut counted: Vec<&str> = Vec::new();
    let mut splits = Vec::with_capacity(punches.len());
    let mut previous = Some(0);
    let mut points = 0;
    for visit in punches {
        let time_s = seconds(visit.t);
        let counts = middle.iter().any(|c| c == visit.control_code) && !counted.contains(&visit.control_code);
        if counts {
            counted.push(visit.control_code);
            points += course.control(visit.control_code).and_then(|c| c.points).unwrap_or(0);
        }
        let status = if counts { SplitStatus::Ok } else { SplitStatus::Additional };
        splits.push(Split { control_code: visit.control_code.to_owned(), time_s, leg_s: time_s.zip(previous).map(|(t, p)| t - p), status });
        previous = time_s;
    }
    let late_s = match (time_s, route.time_limit_s) {
        (Some(t), Some(limit)) => (t - limit).max(0),
        _ => 0,
    };
    let penalty = started_minutes(late_s) * route.penalty_points_per_started_minute.unwrap_or(0);
    (splits, Some(Score { points, penalty, net: (points - penalty).max(0) }))
}

/// Minutes begun: 1 s late is one minute, 61 s two.
pub fn started_minutes(late_s: i64) -> i64 {
    if late_s <= 0 { 0 } else { (late_s + 59) / 60 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::course::{Control, ControlKind};

    fn control(code: &str, kind: ControlKind, points: Option<i64>) -> Control {
        Control { code: code.into(), kind, lat: 31.0, lng: 121.0, radius_m: 15, points }
    }

    /// S1, 31…35, F1 on one classic route; the same controls worth 10…50 on a score route of
    /// 30 minutes, 2 points per started minute late, `OverTime` past 10 minutes late.
    fn course() -> Course {
        let mut controls = vec![control("S1", ControlKind::Start, None)];
        controls.extend((1..=5).map(|i| control(&format!("3{i}"), ControlKind::Control, Some(10 * i))));
        controls.push(control("F1", ControlKind::Finish, None));
        let codes: Vec<String> = controls.iter().map(|c| c.code.clone()).collect();
        let route = |code: &str, kind| Route {
            route_code: code.into(),
            kind,
            controls: codes.clone(),
            time_limit_s: (kind == RouteKind::Score).then_some(1800),
            penalty_points_per_started_minute: (kind == RouteKind::Score).then_some(2),
            max_late_s: (kind == RouteKind::Score).then_some(600),
        };
        Course { controls, routes: vec![route("A", RouteKind::Classic), route("SCORE", RouteKind::Score)] }
    }

    const T0: i64 = 1_800_000_000_000;

    /// Visits at the given seconds after T0.
    fn run(course: &Course, route: &str, punches: &[(&'static str, i64)], reason: FinishReason) -> RunResult {
        let visits: Vec<Visit> = punches.iter().map(|&(c, s)| Visit { control_code: c, t: T0 + s * 1000 }).collect();
        compute(course, course.route(route).unwrap(), &visits, reason)
    }

    fn statuses(r: &RunResult) -> Vec<(&str, SplitStatus)> {
        r.splits.iter().map(|s| (s.control_code.as_str(), s.status)).collect()
    }

    const CLEAN: &[(&str, i64)] = &[("S1", 0), ("31", 100), ("32", 250), ("33", 400), ("34", 600), ("35", 700), ("F1", 760)];

    #[test]
    fn a_clean_classic_run_is_ok_with_splits_in_course_order() {
        let r = run(&course(), "A", CLEAN, FinishReason::Completed);
        assert_eq!(r.status, ResultStatus::Ok);
        assert_eq!(r.time_s, Some(760));
        assert_eq!((r.start_time, r.finish_time), (Some(T0), Some(T0 + 760_000)));
        let times: Vec<_> = r.splits.iter().map(|s| (s.control_code.as_str(), s.time_s, s.leg_s)).collect();
        assert_eq!(
            times,
            [
                ("31", Some(100), Some(100)),
                ("32", Some(250), Some(150)),
                ("33", Some(400), Some(150)),
                ("34", Some(600), Some(200)),
                ("35", Some(700), Some(100))
            ]
        );
        assert!(r.score.is_none() && r.missing_controls.is_empty());
    }

    #[test]
    fn an_extra_punch_is_additional_and_the_run_stays_ok() {
        let punches = [("S1", 0), ("31", 100), ("34", 180), ("32", 250), ("33", 400), ("34", 600), ("35", 700), ("F1", 760)];
        let r = run(&course(), "A", &punches, FinishReason::Completed);
        assert_eq!(r.status, ResultStatus::Ok);
        assert_eq!(
            statuses(&r),
            [
                ("31", SplitStatus::Ok),
                ("34", SplitStatus::Additional),
                ("32", SplitStatus::Ok),
                ("33", SplitStatus::Ok),
                ("34", SplitStatus::Ok),
                ("35", SplitStatus::Ok)
            ]
        );
        // 32's leg is timed from 31, the route's previous control, not from the stray 34.
        assert_eq!(r.splits[2].leg_s, Some(150));
    }

    #[test]
    fn a_control_visited_twice_counts_once() {
        let punches = [("S1", 0), ("31", 100), ("32", 250), ("32", 260), ("33", 400), ("34", 600), ("35", 700), ("F1", 760)];
        let r = run(&course(), "A", &punches, FinishReason::Completed);
        assert_eq!(r.status, ResultStatus::Ok);
        assert_eq!(r.splits.iter().filter(|s| s.status == SplitStatus::Additional).count(), 1);
    }

    #[test]
    fn a_skipped_control_is_missing_punch_and_the_next_leg_is_untimed() {
        let punches = [("S1", 0), ("31", 100), ("32", 250), ("33", 400), ("34", 600), ("F1", 760)];
        let r = run(&course(), "A", &punches, FinishReason::Completed);
        assert_eq!(r.status, ResultStatus::MissingPunch);
        assert_eq!(r.missing_controls, ["35"]);
        assert_eq!(r.splits.last().unwrap(), &Split { control_code: "35".into(), time_s: None, leg_s: None, status: SplitStatus::Missing });
        assert_eq!(r.time_s, Some(760), "the time is still shown");

        let without_31 = [("S1", 0), ("32", 250), ("33", 400), ("34", 600), ("35", 700), ("F1", 760)];
        let r = run(&course(), "A", &without_31, FinishReason::Completed);
        assert_eq!(r.missing_controls, ["31"]);
        assert_eq!(r.splits[1].leg_s, None, "32's leg would span two legs");
    }

    #[test]
    fn no_finish_punch_is_a_missing_punch_without_a_time() {
        let r = run(&course(), "A", &CLEAN[..6], FinishReason::Completed);
        assert_eq!(r.status, ResultStatus::MissingPunch);
        assert_eq!(r.missing_controls, ["F1"]);
        assert_eq!((r.time_s, r.finish_time), (None, None));
    }

    #[test]
    fn controls_punched_out_of_order_match_as_many_as_possible() {
        let punches = [("S1", 0), ("32", 100), ("31", 200), ("33", 400), ("34", 600), ("35", 700), ("F1", 760)];
        let r = run(&course(), "A", &punches, FinishReason::Completed);
        assert_eq!(r.status, ResultStatus::MissingPunch);
        assert_eq!(r.missing_controls.len(), 1);
        assert_eq!(r.splits.iter().filter(|s| s.status == SplitStatus::Ok).count(), 4);
    }

    #[test]
    fn an_abandoned_run_did_not_finish() {
        let r = run(&course(), "A", &CLEAN[..3], FinishReason::Abandoned);
        assert_eq!(r.status, ResultStatus::DidNotFinish);
        assert_eq!(r.splits.iter().filter(|s| s.status == SplitStatus::Ok).count(), 2);
    }

    fn score_run(finish_s: i64, visits: &[&'static str]) -> RunResult {
        let mut punches = vec![("S1", 0)];
        punches.extend(visits.iter().enumerate().map(|(i, c)| (*c, 60 * (i as i64 + 1))));
        punches.push(("F1", finish_s));
        run(&course(), "SCORE", &punches, FinishReason::Completed)
    }

    #[test]
    fn score_on_time_counts_each_control_once() {
        let r = score_run(1800, &["35", "31", "35", "33"]);
        assert_eq!(r.status, ResultStatus::Ok);
        assert_eq!(r.score, Some(Score { points: 50 + 10 + 30, penalty: 0, net: 90 }));
        assert_eq!(r.splits[2].status, SplitStatus::Additional);
    }

    #[test]
    fn score_penalty_is_per_started_minute() {
        // 1 s late: one started minute.
        assert_eq!(score_run(1801, &["35"]).score, Some(Score { points: 50, penalty: 2, net: 48 }));
        // 61 s late: two.
        assert_eq!(score_run(1861, &["35"]).score, Some(Score { points: 50, penalty: 4, net: 46 }));
        assert_eq!(started_minutes(60), 1);
        assert_eq!(started_minutes(0), 0);
    }

    #[test]
    fn score_never_goes_below_zero_and_past_max_late_is_over_time() {
        // Exactly max_late_s (600 s) late: 10 minutes, still ranked.
        let r = score_run(2400, &["31"]);
        assert_eq!(r.status, ResultStatus::Ok);
        assert_eq!(r.score, Some(Score { points: 10, penalty: 20, net: 0 }));
        // One second more: OverTime.
        let r = score_run(2401, &["31"]);
        assert_eq!(r.status, ResultStatus::OverTime);
        assert_eq!(r.score.unwrap().net, 0);
    }
}
