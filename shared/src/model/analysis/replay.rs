//! The replay summary of a run: its legs (time, distance run, straight line, route efficiency,
//! pace, heart rate, rank), the totals, the bounding box and a preview line; and competition
//! ranking, where ties share a rank.

use crate::model::analysis::heart;
use crate::model::analysis::legs::leg_windows;
use crate::model::analysis::track::{Track, round_degrees, round_metres};
use crate::model::catalog::course::{Course, Route};
use crate::model::result::{RunResult, Verification};
use crate::model::run::coords::distance_m;
use serde::Serialize;

/// The most points of the preview line.
pub const PREVIEW_POINTS: usize = 300;

/// How straight the runner went: straight line ÷ distance run, at most 1 (GPS noise can make a
/// run look shorter than the line), `None` when nothing was run.
pub fn efficiency(straight_m: f64, actual_m: f64) -> Option<f64> {
    (actual_m > 0.0).then(|| ((straight_m / actual_m).min(1.0) * 1000.0).round() / 1000.0)
}

/// Pace in seconds per kilometre, `None` over no distance.
pub fn pace_s_per_km(seconds: i64, distance_m: f64) -> Option<f64> {
    (distance_m > 0.0).then(|| (seconds as f64 / (distance_m / 1000.0) * 10.0).round() / 10.0)
}

/// Competition ranking ("1, 2, 2, 4") of `keys`, lower first: the entries in ranking order,
/// each as its index in `keys` and its rank. Equal keys share the rank of the first of them and
/// keep their order in `keys` (a stable order for listing ties).
pub fn rank_with_ties<K: Ord>(keys: &[K]) -> Vec<(usize, u32)> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut ranked = Vec::with_capacity(order.len());
    let mut rank = 0;
    for (position, &i) in order.iter().enumerate() {
        if position == 0 || keys[order[position - 1]] != keys[i] {
            rank = position as u32 + 1;
        }
        ranked.push((i, rank));
    }
    ranked
}

/// The competition rank `mine` would have among `field`: one more than the keys ahead of it.
pub fn competition_rank<K: Ord>(mine: &K, field: &[K]) -> u32 {
    field.iter().filter(|k| *k < mine).count() as u32 + 1
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leg {
    pub from: String,
    pub to: String,
    pub leg_s: Option<i64>,
    /// Along the GPS track between the two punches.
    pub distance_m: Option<f64>,
    /// Between the two controls, as the crow flies.
    pub straight_m: Option<f64>,
    pub efficiency: Option<f64>,
    pub pace_s_per_km: Option<f64>,
    pub average_heart_rate_bpm: Option<f64>,
    /// Among the event's `OK` results on this route (see [`ReplaySummary::rank_legs`]).
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub time_s: Option<i64>,
    pub distance_m: Option<f64>,
    /// The legs' straight lines added up.
    pub straight_m: f64,
    pub efficiency: Option<f64>,
    pub pace_s_per_km: Option<f64>,
    pub average_heart_rate_bpm: Option<f64>,
}

/// The smallest WGS-84 box around the track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub min_lng: f64,
    pub max_lat: f64,
    pub max_lng: f64,
}

pub fn bounding_box(track: &Track) -> Option<BoundingBox> {
    let first = track.samples().first()?;
    let start = BoundingBox { min_lat: first.lat, min_lng: first.lng, max_lat: first.lat, max_lng: first.lng };
    let b = track.samples().iter().fold(start, |b, s| BoundingBox {
        min_lat: b.min_lat.min(s.lat),
        min_lng: b.min_lng.min(s.lng),
        max_lat: b.max_lat.max(s.lat),
        max_lng: b.max_lng.max(s.lng),
    });
    Some(BoundingBox {
        min_lat: round_degrees(b.min_lat),
        min_lng: round_degrees(b.min_lng),
        max_lat: round_degrees(b.max_lat),
        max_lng: round_degrees(b.max_lng),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplaySummary {
    pub legs: Vec<Leg>,
    pub totals: Totals,
    pub bounding_box: Option<BoundingBox>,
    /// At most [`PREVIEW_POINTS`] `[lat, lng]` pairs drawing the track's shape.
    pub preview: Vec<[f64; 2]>,
    /// How the result was judged (the result's own checks).
    pub verification: Verification,
}

/// The replay summary of a run on `route` of `course`, from its track and result. Leg ranks
/// are left `None`: they need the event's other results ([`ReplaySummary::rank_legs`]).
pub fn replay_summary(track: &Track, course: &Course, route: &Route, result: &RunResult) -> ReplaySummary {
    let straight = |from: &str, to: &str| match (course.control(from), course.control(to)) {
        (Some(a), Some(b)) => Some(distance_m(a.lat, a.lng, b.lat, b.lng)),
        _ => None,
    };
    let run = |from: i64, to: i64| (!track.is_empty()).then(|| track.distance_between(from, to));
    let legs: Vec<Leg> = leg_windows(route, result)
        .into_iter()
        .map(|w| {
            let straight_m = straight(&w.from, &w.to);
            let leg_s = w.leg_s();
            let timed = w.from_ms.zip(w.to_ms).filter(|_| leg_s.is_some());
            let distance = timed.and_then(|(from, to)| run(from, to));
            Leg {
                leg_s,
                distance_m: distance.map(round_metres),
                straight_m: straight_m.map(round_metres),
                efficiency: straight_m.zip(distance).and_then(|(s, d)| efficiency(s, d)),
                pace_s_per_km: leg_s.zip(distance).and_then(|(s, d)| pace_s_per_km(s, d)),
                average_heart_rate_bpm: timed.and_then(|(from, to)| heart::average_between(track.samples(), from, to)),
                rank: None,
                from: w.from,
                to: w.to,
            }
        })
        .collect();
    let straight_m = legs.iter().filter_map(|l| l.straight_m).sum::<f64>();
    let window = result.start_time.zip(result.finish_time);
    let distance = window.and_then(|(from, to)| run(from, to));
    let totals = Totals {
        time_s: result.time_s,
        distance_m: distance.map(round_metres),
        straight_m: round_metres(straight_m),
        efficiency: distance.and_then(|d| efficiency(straight_m, d)),
        pace_s_per_km: result.time_s.zip(distance).and_then(|(s, d)| pace_s_per_km(s, d)),
        average_heart_rate_bpm: window.and_then(|(from, to)| heart::average_between(track.samples(), from, to)),
    };
    ReplaySummary {
        legs,
        totals,
        bounding_box: bounding_box(track),
        preview: track.preview(PREVIEW_POINTS),
        verification: Verification::default(),
    }
}

impl ReplaySummary {
    /// Ranks each timed leg among `field`: the [`leg_seconds`] of the event's `OK` results on
    /// the same classic route (this run's included); a leg with no time in the field keeps
    /// `None`. Not for score routes: there each runner's legs are their own, and stay unranked.
    pub fn rank_legs(&mut self, field: &[Vec<Option<i64>>]) {
        for (i, leg) in self.legs.iter_mut().enumerate() {
            let times: Vec<i64> = field.iter().filter_map(|legs| legs.get(i).copied().flatten()).collect();
            leg.rank = leg.leg_s.filter(|_| !times.is_empty()).map(|mine| competition_rank(&mine, &times));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::legs::leg_seconds;
    use crate::model::analysis::track::tests::at;
    use crate::model::catalog::course::RouteKind;
    use crate::model::catalog::course::{Control, ControlKind};
    use crate::model::result::SplitStatus;
    use crate::model::result::{ResultStatus, Split};

    fn control(code: &str, kind: ControlKind, north_m: f64, east_m: f64) -> Control {
        let s = at(0, north_m, east_m);
        Control { code: code.into(), kind, lat: s.lat, lng: s.lng, radius_m: 15, points: None }
    }

    /// Start at the origin, 31 200 m north, finish 200 m north and 200 m east.
    fn course() -> Course {
        Course {
            controls: vec![
                control("S1", ControlKind::Start, 0.0, 0.0),
                control("31", ControlKind::Control, 200.0, 0.0),
                control("F1", ControlKind::Finish, 200.0, 200.0),
            ],
            routes: vec![Route {
                route_code: "A".into(),
                kind: RouteKind::Classic,
                controls: vec!["S1".into(), "31".into(), "F1".into()],
                time_limit_s: None,
                penalty_points_per_started_minute: None,
                max_late_s: None,
            }],
        }
    }

    fn split(code: &str, time_s: Option<i64>, status: SplitStatus) -> Split {
        Split { control_code: code.into(), time_s, leg_s: None, status }
    }

    fn result(start: i64, splits: Vec<Split>, time_s: i64) -> RunResult {
        RunResult {
            kind: RouteKind::Classic,
            status: ResultStatus::Ok,
            start_time: Some(start),
            finish_time: Some(start + time_s * 1000),
            time_s: Some(time_s),
            score: None,
            splits,
            missing_controls: vec![],
        }
    }

    #[test]
    fn efficiency_is_straight_over_run_capped_and_none_over_nothing() {
        // given a 200 m line run as 250 m, as 190 m (GPS noise), and not at all
        // then 0.8, capped at 1, and none
        assert_eq!(efficiency(200.0, 250.0), Some(0.8));
        assert_eq!(efficiency(200.0, 190.0), Some(1.0));
        assert_eq!(efficiency(200.0, 0.0), None);
        assert_eq!(pace_s_per_km(300, 1_000.0), Some(300.0));
        assert_eq!(pace_s_per_km(300, 0.0), None);
    }

    #[test]
    fn ties_share_a_rank_and_keep_their_order() {
        // given times with a tie for second
        let times = [300, 250, 300, 410, 250, 200];
        // when ranked
        let ranked = rank_with_ties(&times);
        // then 1, 2, 2, 4, 4, 6 — tied entries in their input order
        assert_eq!(ranked, vec![(5, 1), (1, 2), (4, 2), (0, 4), (2, 4), (3, 6)]);
        assert_eq!(competition_rank(&300, &times), 4);
        assert_eq!(competition_rank(&199, &times), 1);
        assert!(rank_with_ties::<i64>(&[]).is_empty());
    }

    #[test]
    fn bounding_box_holds_every_sample() {
        // given a track going north-east then back south-west of the start
        let track = Track::new([at(0, 0.0, 0.0), at(1, 100.0, 50.0), at(2, -20.0, -30.0)]);
        let (ne, sw) = (track.samples()[1], track.samples()[2]);
        // when boxed
        let b = bounding_box(&track).unwrap();
        // then its corners are the extremes of the samples
        assert_eq!((b.max_lat, b.max_lng), (round_degrees(ne.lat), round_degrees(ne.lng)));
        assert_eq!((b.min_lat, b.min_lng), (round_degrees(sw.lat), round_degrees(sw.lng)));
        assert_eq!(bounding_box(&Track::new([])), None);
    }

    #[test]
    fn legs_measure_the_run_between_punches() {
        // given a run: straight north to 31 in 100 s (2 m/s), then a 100 m detour east and back
        // west before going east to the finish — 400 m run for a 200 m leg, in 200 s
        let mut samples: Vec<_> = (0..=100).map(|t| at(t, 2.0 * t as f64, 0.0)).collect();
        samples.extend((1..=100).map(|t| at(100 + t, 200.0, if t <= 50 { -2.0 * t as f64 } else { -200.0 + 4.0 * t as f64 })));
        let track = Track::new(samples);
        let start = track.samples()[0].t;
        let course = course();
        let result = result(start, vec![split("31", Some(100), SplitStatus::Ok)], 200);
        // when summarised
        let summary = replay_summary(&track, &course, &course.routes[0], &result);
        // then the first leg is straight, the second half as efficient as it could be
        let [first, second] = &summary.legs[..] else { panic!("{:?}", summary.legs) };
        assert_eq!((first.from.as_str(), first.to.as_str(), second.to.as_str()), ("S1", "31", "F1"));
        assert_eq!((first.leg_s, first.distance_m, first.straight_m, first.efficiency), (Some(100), Some(200.0), Some(200.0), Some(1.0)));
        assert_eq!((second.leg_s, second.distance_m, second.efficiency), (Some(100), Some(400.0), Some(0.5)));
        assert_eq!((first.pace_s_per_km, second.pace_s_per_km), (Some(500.0), Some(250.0)));
        assert_eq!(first.average_heart_rate_bpm, Some(140.0));
        assert_eq!((summary.totals.distance_m, summary.totals.straight_m, summary.totals.efficiency), (Some(600.0), 400.0, Some(0.667)));
        assert!(summary.preview.len() <= PREVIEW_POINTS && summary.preview.len() >= 4);
    }

    #[test]
    fn a_missing_control_leaves_its_legs_untimed_and_ranks_need_a_field() {
        // given a classic run that skipped 31
        let course = course();
        let route = &course.routes[0];
        let missed = result(1_000_000, vec![split("31", None, SplitStatus::Missing), split("99", Some(50), SplitStatus::Additional)], 300);
        // when its legs are read
        let windows = leg_windows(route, &missed);
        // then both legs touching 31 have no time, and the extra punch is no leg
        assert_eq!(windows.iter().map(|w| (w.from.as_str(), w.to.as_str())).collect::<Vec<_>>(), vec![("S1", "31"), ("31", "F1")]);
        assert_eq!(leg_seconds(route, &missed), vec![None, None]);
        // and a timed run ranks its legs among the field, ties sharing
        let mut summary = replay_summary(&Track::new([]), &course, route, &result(0, vec![split("31", Some(120), SplitStatus::Ok)], 300));
        summary.rank_legs(&[vec![Some(100), Some(180)], vec![Some(120), Some(180)], vec![None, None]]);
        assert_eq!(summary.legs.iter().map(|l| l.rank).collect::<Vec<_>>(), vec![Some(2), Some(1)]);
        assert_eq!(summary.legs[0].distance_m, None);
    }

    #[test]
    fn legs_follow_a_computed_result_extra_and_repeated_punches_included() {
        // given a classic run as the finish computes it: 31, a stray 99, 31 again, then the finish
        let course = course();
        let route = &course.routes[0];
        let t0 = 1_800_000_000_000;
        let visits = [("S1", 0), ("31", 95_400), ("99", 120_000), ("31", 130_000), ("F1", 200_700)]
            .map(|(control_code, ms)| crate::model::result::Visit { control_code, t: t0 + ms });
        let result = crate::model::result::compute(&course, route, &visits, crate::model::result::FinishReason::Completed);
        // when its legs are read
        let legs = leg_seconds(route, &result);
        // then they are the route's, timed from the matched punches, and add up to the result's time
        assert_eq!(legs.len(), 2);
        assert_eq!(legs.iter().flatten().sum::<i64>(), result.time_s.unwrap());
        let ok: Vec<_> = result.splits.iter().filter(|s| s.status == SplitStatus::Ok).map(|s| s.leg_s).collect();
        assert_eq!(legs[0], ok[0]);
    }

    #[test]
    fn score_legs_follow_the_punch_order() {
        // given a score run punching 33 then 31
        let mut route = course().routes[0].clone();
        route.kind = RouteKind::Score;
        let mut run = result(0, vec![split("33", Some(60), SplitStatus::Ok), split("31", Some(150), SplitStatus::Ok)], 200);
        run.kind = RouteKind::Score;
        // when its legs are read
        let legs: Vec<_> = leg_windows(&route, &run).iter().map(|w| (w.from.clone(), w.to.clone(), w.leg_s())).collect();
        // then start → 33 → 31 → finish
        let expect = [("S1", "33", 60), ("33", "31", 90), ("31", "F1", 50)];
        assert_eq!(legs, expect.map(|(a, b, s)| (a.to_string(), b.to_string(), Some(s))).to_vec());
    }
}
