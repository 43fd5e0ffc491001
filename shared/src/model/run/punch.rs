//! Punches: the phone says it reached a control, and the server judges it at once — accepted,
//! or rejected with the rule it broke.

use crate::model::catalog::course::{ControlKind, Course, Route};
use crate::model::run::coords::distance_m;
use serde::{Deserialize, Serialize};

/// A fix less precise than this cannot prove the runner was inside a 15 m circle.
pub const MAX_ACCURACY_M: f64 = 50.0;

crate::plain_enum! {
    pub enum Verdict {
        Accepted = "accepted",
        Rejected = "rejected",
    }
}

crate::plain_enum! {
    /// Why a punch was rejected, in the order the rules are applied.
    pub enum RejectReason {
        AfterFinish = "after_finish",
        UnknownControl = "unknown_control",
        AccuracyTooLow = "accuracy_too_low",
        OutOfRadius = "out_of_radius",
        BeforeStart = "before_start",
        Repeated = "repeated",
        /// Stamped earlier than the punch accepted before it: time runs forward.
        TimeReversed = "time_reversed",
        /// Farther from the punch accepted before it than a runner gets in the time between.
        ImplausibleSpeed = "implausible_speed",
    }
}

/// The fastest a leg may be run, straight line over its time (m/s). The 1500 m world record is
/// 7.28 m/s on a track; elite sprint orienteers reach 5–6 m/s on the ground, and a leg's
/// straight line is shorter than any route run along it. Nobody punches faster than this.
pub const MAX_SPEED_M_S: f64 = 7.5;
/// What a leg's straight line may exceed `MAX_SPEED_M_S` by, besides the two fixes' own
/// accuracy: a last sprint into the circle of a control a few seconds after the one before.
pub const SPEED_SLACK_M: f64 = 10.0;

/// Where and how precisely the phone was (WGS-84), and when (epoch ms, its own clock), when it
/// punched `control_code`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix<'a> {
    pub control_code: &'a str,
    pub t: i64,
    pub lat: f64,
    pub lng: f64,
    pub accuracy_m: f64,
}

/// A punch accepted earlier in the run, as the next one is judged after it: the session keeps
/// these (`Session::accepted`), so a punch never reads the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedPunch {
    pub control_code: String,
    pub t: i64,
    pub lat: f64,
    pub lng: f64,
    pub accuracy_m: f64,
}

impl From<&Fix<'_>> for AcceptedPunch {
    fn from(fix: &Fix<'_>) -> Self {
        Self { control_code: fix.control_code.to_owned(), t: fix.t, lat: fix.lat, lng: fix.lng, accuracy_m: fix.accuracy_m }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub reason: Option<RejectReason>,
    /// How far the fix was from the control, when the control is known (metres, rounded).
    pub distance_m: Option<f64>,
}

impl Judgement {
    pub fn accepted(&self) -> bool {
        self.verdict == Verdict::Accepted
    }

    pub fn rejected(reason: RejectReason, distance_m: Option<f64>) -> Self {
        Self { verdict: Verdict::Rejected, reason: Some(reason), distance_m }
    }
}

/// Whether going from `from` to `fix` in the time between is beyond a runner: the straight line
/// less both fixes' accuracy, against `MAX_SPEED_M_S` over the time (its own clock's, so a phone
/// whose clock is off but steady is judged as a true one).
pub fn implausible_speed(from: &AcceptedPunch, fix: &Fix<'_>) -> bool {
    let seconds = (fix.t - from.t) as f64 / 1000.0;
    let least_m = distance_m(from.lat, from.lng, fix.lat, fix.lng) - from.accuracy_m - fix.accuracy_m;
    least_m > MAX_SPEED_M_S * seconds + SPEED_SLACK_M
}

/// Judges a punch on `route` of `course` after the punches accepted before it (`earlier`, in
/// `punch_seq` order). Where the fix is (rules that need no history) comes first, then the
/// order of the run, then whether the run could be real: time forward, at a runner's speed.
pub fn judge(course: &Course, route: &Route, earlier: &[AcceptedPunch], fix: &Fix<'_>) -> Judgement {
    let control = route.controls.iter().any(|c| c == fix.control_code).then(|| course.control(fix.control_code)).flatten();
    let Some(control) = control else {
        return Judgement::rejected(RejectReason::UnknownControl, None);
    };
    let distance = (distance_m(fix.lat, fix.lng, control.lat, control.lng) * 10.0).round() / 10.0;
    if fix.accuracy_m.is_nan() || fix.accuracy_m > MAX_ACCURACY_M {
        return Judgement::rejected(RejectReason::AccuracyTooLow, Some(distance));
    }
    if distance > control.radius_m as f64 {
        return Judgement::rejected(RejectReason::OutOfRadius, Some(distance));
    }
    let start = route.controls.first().map(String::as_str);
    if control.kind != ControlKind::Start && !earlier.iter().any(|c| Some(c.control_code.as_str()) == start) {
        return Judgement::rejected(RejectReason::BeforeStart, Some(distance));
    }
    if let Some(previous) = earlier.last() {
        if previous.control_code == fix.control_code {
            return Judgement::rejected(RejectReason::Repeated, Some(distance));
        }
        if fix.t < previous.t {
            return Judgement::rejected(RejectReason::TimeReversed, Some(distance));
        }
        if implausible_speed(previous, fix) {
            return Judgement::rejected(RejectReason::ImplausibleSpeed, Some(distance));
        }
    }
    Judgement { verdict: Verdict::Accepted, reason: None, distance_m: Some(distance) }
}

/// Judges a whole run in `punch_seq` order. A punch that arrived before lower-numbered ones (a
/// phone catching up after a reconnect) was judged then against what the server held; the
/// result is computed from this judgement, made once every punch is in.
pub fn judge_run(course: &Course, route: &Route, fixes: &[Fix<'_>]) -> Vec<Judgement> {
    let mut accepted: Vec<AcceptedPunch> = Vec::new();
    fixes
        .iter()
        .map(|fix| {
            let judgement = judge(course, route, &accepted, fix);
            if judgement.accepted() {
                accepted.push(fix.into());
            }
            judgement
        })
        .collect()
}

/// A punch as stored: its fix in WGS-84 and the verdict it got on arrival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Punch {
    pub punch_seq: u32,
    pub control_code: String,
    pub t: i64,
    pub lat: f64,
    pub lng: f64,
    pub accuracy_m: f64,
    /// What the phone sent, hashed: a repeat of the same `punch_seq` must match it.
    pub content_hash: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RejectReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

impl Punch {
    pub fn fix(&self) -> Fix<'_> {
        Fix { control_code: &self.control_code, t: self.t, lat: self.lat, lng: self.lng, accuracy_m: self.accuracy_m }
    }
}

crate::plain_enum! {
    /// How the phone decided it reached the control.
    pub enum PunchMethod {
        Gps = "gps",
    }
}

/// The highest `punch_seq`: far above any course's controls, low enough to bound a session.
pub const MAX_PUNCH_SEQ: u32 = 999;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::course::{Control, RouteKind};

    const LAT: f64 = 31.2;
    const LNG: f64 = 121.4;
    /// 0.0001° of latitude ≈ 11.1 m.
    const STEP: f64 = 0.0001;

    fn course() -> Course {
        let control =
            |code: &str, kind, i: f64| Control { code: code.into(), kind, lat: LAT + i * 0.01, lng: LNG, radius_m: 15, points: None };
        Course {
            controls: vec![
                control("S1", ControlKind::Start, 0.0),
                control("31", ControlKind::Control, 1.0),
                control("32", ControlKind::Control, 2.0),
                control("F1", ControlKind::Finish, 3.0),
                control("99", ControlKind::Control, 4.0),
            ],
            routes: vec![Route {
                route_code: "A".into(),
                kind: RouteKind::Classic,
                controls: vec!["S1".into(), "31".into(), "32".into(), "F1".into()],
                time_limit_s: None,
                penalty_points_per_started_minute: None,
                max_late_s: None,
            }],
        }
    }

    /// Punches of the tests are 10 minutes apart: controls 1.1 km apart are a walk.
    const LEG_MS: i64 = 600_000;
    const T0: i64 = 1_800_000_000_000;

    fn index(code: &str) -> f64 {
        match code {
            "S1" => 0.0,
            "31" => 1.0,
            "32" => 2.0,
            "F1" => 3.0,
            _ => 4.0,
        }
    }

    /// A fix `off` steps north of the control, at T0.
    fn at(code: &'static str, off: f64, accuracy_m: f64) -> Fix<'static> {
        Fix { control_code: code, t: T0, lat: LAT + index(code) * 0.01 + off * STEP, lng: LNG, accuracy_m }
    }

    /// Punches accepted at `codes`, one leg apart from T0.
    fn history(codes: &[&str]) -> Vec<AcceptedPunch> {
        codes
            .iter()
            .enumerate()
            .map(|(i, code)| AcceptedPunch {
                control_code: code.to_string(),
                t: T0 + i as i64 * LEG_MS,
                lat: LAT + index(code) * 0.01,
                lng: LNG,
                accuracy_m: 5.0,
            })
            .collect()
    }

    /// The judgement of `fix` a leg after the punches accepted at `earlier`.
    fn judged(earlier: &[&str], fix: Fix) -> Judgement {
        let c = course();
        let earlier = history(earlier);
        let fix = Fix { t: T0 + earlier.len() as i64 * LEG_MS, ..fix };
        judge(&c, &c.routes[0], &earlier, &fix)
    }

    fn reason(earlier: &[&str], fix: Fix) -> Option<RejectReason> {
        judged(earlier, fix).reason
    }

    #[test]
    fn a_punch_inside_the_radius_after_the_start_is_accepted() {
        let j = judged(&["S1"], at("31", 1.0, 8.0));
        assert_eq!(j.verdict, Verdict::Accepted);
        assert!((j.distance_m.unwrap() - 11.1).abs() < 0.2);
    }

    #[test]
    fn each_rule_rejects_with_its_reason() {
        assert_eq!(reason(&["S1"], at("77", 0.0, 5.0)), Some(RejectReason::UnknownControl));
        assert_eq!(reason(&["S1"], at("99", 0.0, 5.0)), Some(RejectReason::UnknownControl), "a control of another route");
        assert_eq!(reason(&["S1"], at("31", 0.0, 50.1)), Some(RejectReason::AccuracyTooLow));
        assert_eq!(reason(&["S1"], at("31", 0.0, f64::NAN)), Some(RejectReason::AccuracyTooLow));
        assert_eq!(reason(&["S1"], at("31", 1.5, 5.0)), Some(RejectReason::OutOfRadius), "16.7 m from a 15 m control");
        assert_eq!(reason(&[], at("31", 0.0, 5.0)), Some(RejectReason::BeforeStart));
        assert_eq!(reason(&["S1", "31"], at("31", 0.0, 5.0)), Some(RejectReason::Repeated));
        assert_eq!(reason(&["S1", "31", "32"], at("31", 0.0, 5.0)), None, "going back is allowed");
        assert_eq!(reason(&[], at("S1", 0.0, 50.0)), None, "exactly 50 m of accuracy is enough");
    }

    #[test]
    fn a_punch_stamped_before_the_one_accepted_before_it_is_time_reversed() {
        // given S1 and 31 accepted at T0 and T0 + 10 min
        let c = course();
        let earlier = history(&["S1", "31"]);
        // when 32 comes stamped a second before 31, then 150 s after it
        let before = Fix { t: T0 + LEG_MS - 1_000, ..at("32", 0.0, 5.0) };
        let later = Fix { t: T0 + LEG_MS + 150_000, ..at("32", 0.0, 5.0) };
        // then the first runs backwards, the second (1.1 km in 150 s) is a runner's speed
        assert_eq!(judge(&c, &c.routes[0], &earlier, &before).reason, Some(RejectReason::TimeReversed));
        assert_eq!(judge(&c, &c.routes[0], &earlier, &later).reason, None);
    }

    #[test]
    fn a_leg_faster_than_a_runner_is_implausible_speed() {
        // given the start punched at T0, 31 lies 1,112 m north
        let c = course();
        let earlier = history(&["S1"]);
        let at_31 = |seconds: i64| Fix { t: T0 + seconds * 1000, ..at("31", 0.0, 5.0) };
        // when it is punched a second later, a minute later, 140 s later and 150 s later
        let reasons: Vec<_> = [1, 60, 140, 150].iter().map(|&s| judge(&c, &c.routes[0], &earlier, &at_31(s)).reason).collect();
        // then 1,102 m (less both accuracies) is beyond 7.5 m/s × t + 10 m until 145.6 s
        assert_eq!(
            reasons,
            [Some(RejectReason::ImplausibleSpeed), Some(RejectReason::ImplausibleSpeed), Some(RejectReason::ImplausibleSpeed), None]
        );
        // and poor fixes widen the margin by their accuracy: 2 × 40 m more at 140 s
        let vague = Fix { accuracy_m: 40.0, ..at_31(140) };
        let vague_start = AcceptedPunch { accuracy_m: 40.0, ..earlier[0].clone() };
        assert_eq!(judge(&c, &c.routes[0], &[vague_start], &vague).reason, None);
    }

    #[test]
    fn a_run_is_judged_in_punch_order() {
        let c = course();
        let codes = ["31", "S1", "31", "31", "F1"];
        let fixes: Vec<Fix> = codes.iter().enumerate().map(|(i, code)| Fix { t: T0 + i as i64 * LEG_MS, ..at(code, 0.0, 5.0) }).collect();
        let reasons: Vec<_> = judge_run(&c, &c.routes[0], &fixes).iter().map(|j| j.reason).collect();
        assert_eq!(reasons, [Some(RejectReason::BeforeStart), None, None, Some(RejectReason::Repeated), None]);
    }
}
