//! A run's legs: one per pair of consecutive controls, with the punch times that bound it.

use crate::model::catalog::course::{Route, RouteKind};
use crate::model::result::{RunResult, SplitStatus};

/// One leg's controls and punch times (epoch ms), `None` where a control was not punched.
#[derive(Debug, Clone, PartialEq)]
pub struct LegWindow {
    pub from: String,
    pub to: String,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl LegWindow {
    pub fn leg_s(&self) -> Option<i64> {
        match (self.from_ms, self.to_ms) {
            // Whole seconds rounded down, as the result's own times: the legs add up to its `time_s`.
            (Some(from), Some(to)) if to >= from => Some((to - from).div_euclid(1000)),
            _ => None,
        }
    }
}

/// The legs of a run, one per pair of consecutive controls: for a classic route the route's
/// controls in course order (a leg next to a control not punched has no times); for a score
/// route the controls punched, in the order punched, from the start to the finish.
pub fn leg_windows(route: &Route, result: &RunResult) -> Vec<LegWindow> {
    let (Some(start), Some(finish)) = (route.controls.first(), route.controls.last()) else { return vec![] };
    let at = |time_s: Option<i64>| result.start_time.zip(time_s).map(|(start, s)| start + s * 1000);
    // Start and finish punches are the result's own times, whatever the splits repeat of them.
    let between = |code: &str| code != start && code != finish;
    let mut stops: Vec<(String, Option<i64>)> = vec![(start.clone(), result.start_time)];
    match route.kind {
        RouteKind::Classic => {
            let counted: Vec<_> = result.splits.iter().filter(|s| s.status != SplitStatus::Additional).collect();
            let mut next = 0;
            for code in &route.controls[1..route.controls.len().saturating_sub(1)] {
                // Splits are in course order; a course may visit a control twice, so each route
                // control takes the first matching split after the previous one.
                let found = counted[next..].iter().position(|s| &s.control_code == code);
                let time = found.and_then(|k| {
                    let split = counted[next + k];
                    next += k + 1;
                    (split.status == SplitStatus::Ok).then(|| at(split.time_s)).flatten()
                });
                stops.push((code.clone(), time));
            }
        }
        RouteKind::Score => {
            for split in result.splits.iter().filter(|s| s.status == SplitStatus::Ok && between(&s.control_code)) {
                stops.push((split.control_code.clone(), at(split.time_s)));
            }
        }
    }
    stops.push((finish.clone(), result.finish_time));
    stops.windows(2).map(|w| LegWindow { from: w[0].0.clone(), to: w[1].0.clone(), from_ms: w[0].1, to_ms: w[1].1 }).collect()
}

/// Every leg's time in seconds, for ranking a run's legs against others on the same route.
pub fn leg_seconds(route: &Route, result: &RunResult) -> Vec<Option<i64>> {
    leg_windows(route, result).iter().map(LegWindow::leg_s).collect()
}
