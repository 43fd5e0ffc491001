//! How a run was judged beyond each punch's circle: time runs forward, legs at a runner's speed,
//! and the punches against the track the phone recorded — the checks a result carries, so the
//! app and an organiser can explain its verdict (pure rules, no storage).

use crate::model::result::{FinishReason, ResultStatus, RuleCheck, SessionResult, TrackCheck, TrackStatus, Verification, Visit, compute};
use crate::model::run::coords::distance_m;
use crate::model::run::punch::{Fix, Judgement, MAX_SPEED_M_S, Punch, RejectReason, SPEED_SLACK_M, judge_run};
use crate::model::run::samples::Sample;
use crate::model::run::session::Session;

/// A track sample this close in time to a punch says where the phone was when it punched.
/// Phones record every 1–5 s; 30 s covers a fix lost under a canopy, not a track that is absent.
pub const TRACK_NEAR_MS: i64 = 30_000;

/// The run as the finish judges it, from everything the session holds: its punches up to
/// `last_punch_seq` judged again in `punch_seq` order (a shuffled offline arrival is judged as
/// if in order), the result of the accepted ones, the checks, and `Disqualified` when its
/// punches are off its own track (`samples` in time order). Judging again with the same
/// punches and more track gives the same result but for the track check.
pub fn adjudicate(
    session: &Session,
    punches: &[Punch],
    samples: &[Sample],
    reason: FinishReason,
    finished_at: i64,
    last_punch_seq: Option<u32>,
) -> SessionResult {
    let mut run: Vec<&Punch> = punches.iter().filter(|p| last_punch_seq.is_some_and(|last| p.punch_seq <= last)).collect();
    run.sort_by_key(|p| p.punch_seq);
    let fixes: Vec<Fix> = run.iter().map(|p| p.fix()).collect();
    let route = &session.course.routes[0];
    let judgements = judge_run(&session.course, route, &fixes);
    let accepted = || run.iter().zip(&judgements).filter(|(_, j)| j.accepted()).map(|(p, _)| *p);
    let visits: Vec<Visit> = accepted().map(|p| Visit { control_code: &p.control_code, t: p.t }).collect();
    let mut result = compute(&session.course, route, &visits, reason);
    let verification = verify(&run, &judgements, samples);
    if verification.track.status == TrackStatus::Mismatch && result.status != ResultStatus::DidNotFinish {
        result.status = ResultStatus::Disqualified;
    }
    SessionResult {
        session_id: session.session_id.clone(),
        user_id: session.user_id.clone(),
        event_id: session.event_id.clone(),
        competition_id: session.competition_id.clone(),
        event_release_id: session.event_release_id.clone(),
        route_code: session.route_code.clone(),
        reason,
        // Time runs forward: a run does not end before its last punch.
        finished_at: accepted().map(|p| p.t).fold(finished_at, i64::max),
        result,
        last_punch_seq,
        verification,
    }
}

fn rule(punches: &[&Punch], judgements: &[Judgement], reason: RejectReason) -> RuleCheck {
    let rejected: Vec<u32> = punches.iter().zip(judgements).filter(|(_, j)| j.reason == Some(reason)).map(|(p, _)| p.punch_seq).collect();
    RuleCheck { passed: rejected.is_empty(), rejected_punch_seqs: rejected }
}

/// The checks of a run: `punches` in `punch_seq` order with their `judgements`, against the
/// session's `samples` in time order.
pub fn verify(punches: &[&Punch], judgements: &[Judgement], samples: &[Sample]) -> Verification {
    let accepted: Vec<&Punch> = punches.iter().zip(judgements).filter(|(_, j)| j.accepted()).map(|(p, _)| *p).collect();
    Verification {
        time_order: rule(punches, judgements, RejectReason::TimeReversed),
        speed: rule(punches, judgements, RejectReason::ImplausibleSpeed),
        track: check_track(&accepted, samples),
    }
}

/// Where a punch stands against the track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnTrack {
    Agrees,
    Off,
    NoTrackNear,
}

/// A punch against the samples just before and after its time (within `TRACK_NEAR_MS`): the
/// phone cannot have been farther from a fix than both fixes' accuracy, plus what a runner
/// covers in the time between (`MAX_SPEED_M_S`, with the leg rule's slack). Both clocks are the
/// phone's, so a phone whose clock is off but steady is judged as a true one.
pub fn on_track(punch: &Punch, samples: &[Sample]) -> OnTrack {
    let after = samples.partition_point(|s| s.t < punch.t);
    let near: Vec<&Sample> = [after.checked_sub(1), Some(after)]
        .into_iter()
        .flatten()
        .filter_map(|i| samples.get(i))
        .filter(|s| (s.t - punch.t).abs() <= TRACK_NEAR_MS)
        .collect();
    if near.is_empty() {
        return OnTrack::NoTrackNear;
    }
    let agrees = near.iter().all(|s| {
        let reach_m = punch.accuracy_m + s.accuracy_m + MAX_SPEED_M_S * (s.t - punch.t).abs() as f64 / 1000.0 + SPEED_SLACK_M;
        distance_m(punch.lat, punch.lng, s.lat, s.lng) <= reach_m
    });
    if agrees { OnTrack::Agrees } else { OnTrack::Off }
}

/// The accepted punches of a run against its track (samples in time order).
pub fn check_track(accepted: &[&Punch], samples: &[Sample]) -> TrackCheck {
    let (mut off, mut untracked) = (Vec::new(), Vec::new());
    for punch in accepted {
        match on_track(punch, samples) {
            OnTrack::Agrees => {}
            OnTrack::Off => off.push(punch.punch_seq),
            OnTrack::NoTrackNear => untracked.push(punch.punch_seq),
        }
    }
    let (status, punch_seqs) = if !off.is_empty() {
        (TrackStatus::Mismatch, off)
    } else if !untracked.is_empty() || accepted.is_empty() {
        (TrackStatus::Unverified, untracked)
    } else {
        (TrackStatus::Verified, Vec::new())
    };
    TrackCheck { status, punches_checked: accepted.len() as u32, punch_seqs, samples: samples.len() as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::run::punch::Verdict;

    const T0: i64 = 1_800_000_000_000;
    /// 0.0001° of latitude ≈ 11.1 m.
    const STEP: f64 = 0.0001;

    fn punch(punch_seq: u32, t: i64, lat: f64) -> Punch {
        Punch {
            punch_seq,
            control_code: "31".into(),
            t,
            lat,
            lng: 121.0,
            accuracy_m: 5.0,
            content_hash: String::new(),
            verdict: Verdict::Accepted,
            reason: None,
            distance_m: None,
        }
    }

    /// A runner going north at 3 m/s, one fix a second, `seconds` long from T0.
    fn track(seconds: i64) -> Vec<Sample> {
        (0..seconds)
            .map(|i| Sample {
                t: T0 + i * 1000,
                lat: 31.0 + i as f64 * 3.0 / 111_195.0,
                lng: 121.0,
                accuracy_m: 5.0,
                altitude_m: None,
                heart_rate_bpm: None,
            })
            .collect()
    }

    fn lat_at(seconds: f64) -> f64 {
        31.0 + seconds * 3.0 / 111_195.0
    }

    #[test]
    fn a_punch_where_the_track_was_agrees_and_one_100_m_away_is_off() {
        // given a 10-minute track
        let samples = track(600);
        // when punches are judged against it, one where the runner was at 120.5 s, one 100 m off
        let here = punch(0, T0 + 120_500, lat_at(120.5));
        let off = punch(1, T0 + 300_000, lat_at(300.0) + 9.0 * STEP);
        // then
        assert_eq!(on_track(&here, &samples), OnTrack::Agrees);
        assert_eq!(on_track(&off, &samples), OnTrack::Off);
        let check = check_track(&[&here, &off], &samples);
        assert_eq!((check.status, check.punch_seqs, check.punches_checked), (TrackStatus::Mismatch, vec![1], 2));
    }

    #[test]
    fn a_gap_in_the_track_widens_the_reach_by_a_runners_speed() {
        // given a track with 20 s lost under a canopy around the punch
        let samples: Vec<Sample> = track(600).into_iter().filter(|s| !(T0 + 110_000..T0 + 130_000).contains(&s.t)).collect();
        // when the punch is 30 m ahead of the straight line (the runner sped up), then it agrees
        assert_eq!(on_track(&punch(0, T0 + 120_000, lat_at(120.0) + 30.0 / 111_195.0), &samples), OnTrack::Agrees);
        // and 150 m off it does not: 10 s at 7.5 m/s is 75 m, plus accuracies and slack
        assert_eq!(on_track(&punch(0, T0 + 120_000, lat_at(120.0) + 150.0 / 111_195.0), &samples), OnTrack::Off);
    }

    #[test]
    fn no_sample_within_30_s_is_no_track_and_leaves_the_run_unverified() {
        let samples = track(60);
        assert_eq!(on_track(&punch(0, T0 + 59_000 + TRACK_NEAR_MS + 1, lat_at(59.0)), &samples), OnTrack::NoTrackNear);
        assert_eq!(on_track(&punch(0, T0 + 59_000 + TRACK_NEAR_MS, lat_at(59.0)), &samples), OnTrack::Agrees);
        let check = check_track(&[&punch(0, T0 + 30_000, lat_at(30.0)), &punch(1, T0 + 200_000, lat_at(200.0))], &samples);
        assert_eq!((check.status, check.punch_seqs), (TrackStatus::Unverified, vec![1]));
        assert_eq!(check_track(&[&punch(0, T0, lat_at(0.0))], &[]).status, TrackStatus::Unverified, "no track at all");
    }

    #[test]
    fn a_whole_track_that_agrees_verifies_the_run() {
        let samples = track(600);
        let punches: Vec<Punch> = (0..6).map(|i| punch(i, T0 + i as i64 * 100_000 + 250, lat_at(i as f64 * 100.0 + 0.25))).collect();
        let check = check_track(&punches.iter().collect::<Vec<_>>(), &samples);
        assert_eq!((check.status, check.punches_checked, check.samples), (TrackStatus::Verified, 6, 600));
    }

    mod adjudicate {
        use super::super::adjudicate;
        use super::*;
        use crate::model::catalog::course::{Control, ControlKind, Course, Route, RouteKind};
        use crate::model::result::{FinishReason, ResultStatus, SessionResult, TrackStatus};
        use crate::model::run::session::{Session, SessionState};
        use crate::support::types::ClientType;
        use proptest::prelude::*;

        const CODES: [&str; 7] = ["S1", "31", "32", "33", "34", "F1", "77"];
        /// The controls lie in a line 200 m apart, northward.
        const SPACING_M: f64 = 200.0;

        fn lat_of(i: usize) -> f64 {
            31.0 + i as f64 * SPACING_M / 111_195.0
        }

        fn session() -> Session {
            let kind = |i: usize| match i {
                0 => ControlKind::Start,
                5 => ControlKind::Finish,
                _ => ControlKind::Control,
            };
            let controls = (0..6)
                .map(|i| Control { code: CODES[i].into(), kind: kind(i), lat: lat_of(i), lng: 121.0, radius_m: 15, points: None })
                .collect();
            let route = Route {
                route_code: "A".into(),
                kind: RouteKind::Classic,
                controls: CODES[..6].iter().map(|c| c.to_string()).collect(),
                time_limit_s: None,
                penalty_points_per_started_minute: None,
                max_late_s: None,
            };
            Session {
                session_id: "ses_1".into(),
                user_id: "usr_1".into(),
                participant_id: "par_1".into(),
                competition_id: Some("cmp_1".into()),
                event_id: "ev_1".into(),
                event_display_name: "Test".into(),
                event_release_id: "rel_1".into(),
                playfield_version_id: "pfv_1".into(),
                route_code: "A".into(),
                course: Course { controls, routes: vec![route] },
                client_type: ClientType::App,
                device_id: "dev_1".into(),
                state: SessionState::Active,
                created_at: T0 / 1000,
                login_family: None,
                batches: Default::default(),
                sample_count: 0,
                punch_count: 0,
                punch_seqs: Default::default(),
                item_keys_known: true,
                accepted: Default::default(),
                accepted_codes: Default::default(),
                finished_at: None,
                result_status: None,
                time_s: None,
                net: None,
                track_status: None,
                live: None,
            }
        }

        /// A punch `punch_seq` at control `code` (index into CODES), `off_m` north of it.
        fn at(punch_seq: u32, i: usize, t: i64, off_m: f64, accuracy_m: f64) -> Punch {
            Punch { control_code: CODES[i].into(), lat: lat_of(i.min(5)) + off_m / 111_195.0, accuracy_m, ..punch(punch_seq, t, 0.0) }
        }

        /// An honest run: every control in order at 2.5 m/s, the phone recording 1 Hz.
        fn honest(skew_ms: i64) -> (Vec<Punch>, Vec<Sample>) {
            let leg_ms = (SPACING_M / 2.5 * 1000.0) as i64;
            let punches = (0..6).map(|i| at(i as u32, i, T0 + skew_ms + i as i64 * leg_ms, 3.0, 5.0)).collect();
            let samples = (0..=5 * leg_ms / 1000)
                .map(|s| Sample {
                    t: T0 + skew_ms + s * 1000,
                    lat: 31.0 + s as f64 * 2.5 / 111_195.0,
                    lng: 121.0,
                    accuracy_m: 4.0,
                    altitude_m: None,
                    heart_rate_bpm: None,
                })
                .collect();
            (punches, samples)
        }

        fn judge(punches: &[Punch], samples: &[Sample], finished_at: i64) -> SessionResult {
            let last = punches.iter().map(|p| p.punch_seq).max();
            adjudicate(&session(), punches, samples, FinishReason::Completed, finished_at, last)
        }

        #[test]
        fn a_run_under_way_when_accepted_punches_began_keeps_its_order() {
            // given a session stored with codes only for its accepted punches (`accepted`)
            let mut stored = serde_json::to_value(session()).unwrap();
            stored["accepted"] = serde_json::json!({ "0": "S1", "1": "31" });
            let old: Session = serde_json::from_value(stored).unwrap();
            // when its next punches are judged on arrival
            let earlier = old.accepted_before(2);
            let next = |code: usize, off_m: f64| at(2, code, T0, off_m, 5.0);
            let judged = |p: &Punch| crate::model::run::punch::judge(&old.course, &old.course.routes[0], &earlier, &p.fix());
            // then they follow the start and 31 (not `before_start`), and a repeat of 31 is `repeated`
            assert_eq!((judged(&next(2, 3.0)).reason, judged(&next(1, 3.0)).reason), (None, Some(RejectReason::Repeated)));
        }

        #[test]
        fn an_honest_run_is_ok_verified_and_rankable() {
            let (punches, samples) = honest(0);
            let r = judge(&punches, &samples, T0 + 500_000);
            assert_eq!((r.result.status, r.result.time_s), (ResultStatus::Ok, Some(400)));
            assert_eq!(r.verification.track.status, TrackStatus::Verified);
            assert!(r.verification.time_order.passed && r.verification.speed.passed && r.rankable());
        }

        #[test]
        fn a_phone_minutes_off_but_steady_is_judged_as_a_true_one() {
            // given the same run from a phone 4 minutes slow, and one 90 s fast
            let (punches, samples) = honest(0);
            let truth = judge(&punches, &samples, T0 + 500_000);
            for skew_ms in [-240_000, 90_000] {
                let (punches, samples) = honest(skew_ms);
                let skewed = judge(&punches, &samples, T0 + 500_000 + skew_ms);
                // then the same verdict, time, splits and checks; only the clock's readings differ
                assert_eq!((skewed.result.status, skewed.result.time_s), (truth.result.status, truth.result.time_s));
                assert_eq!((&skewed.result.splits, &skewed.verification), (&truth.result.splits, &truth.verification));
                assert_eq!(skewed.result.start_time, truth.result.start_time.map(|t| t + skew_ms));
            }
        }

        #[test]
        fn the_cheats_do_not_rank() {
            let (punches, samples) = honest(0);
            // a 1-second run: every control a few milliseconds apart
            let instant: Vec<Punch> = punches.iter().map(|p| Punch { t: T0 + p.punch_seq as i64 * 200, ..p.clone() }).collect();
            let r = judge(&instant, &samples, T0 + 2_000);
            assert_eq!(r.result.status, ResultStatus::MissingPunch);
            assert_eq!(r.verification.speed.rejected_punch_seqs, [1, 2, 3, 4, 5]);
            // times running backwards: the finish stamped before the start
            let mut backwards = punches.clone();
            backwards[5].t = T0 - 1_000;
            let r = judge(&backwards, &samples, T0);
            assert_eq!((r.result.status, r.verification.time_order.rejected_punch_seqs.as_slice()), (ResultStatus::MissingPunch, &[5][..]));
            assert!(r.result.time_s.is_none_or(|t| t >= 0) && r.finished_at >= T0 + 4 * 80_000, "{r:?}");
            // punches at the right times and places with a track somewhere else (2 km east)
            let elsewhere: Vec<Sample> = samples.iter().map(|s| Sample { lng: s.lng + 0.02, ..*s }).collect();
            let r = judge(&punches, &elsewhere, T0 + 500_000);
            assert_eq!((r.result.status, r.verification.track.status), (ResultStatus::Disqualified, TrackStatus::Mismatch));
            // and no track at all: judged as the punches say, but not ranked
            let r = judge(&punches, &[], T0 + 500_000);
            assert_eq!((r.result.status, r.verification.track.status, r.rankable()), (ResultStatus::Ok, TrackStatus::Unverified, false));
        }

        /// Any punch: a control (or an unknown one), a step in time that may run backwards, a
        /// position near it or not, any accuracy.
        fn any_punches() -> impl Strategy<Value = Vec<(usize, i64, f64, f64)>> {
            prop::collection::vec((0usize..7, -120_000i64..400_000, -40.0f64..40.0, 2.0f64..60.0), 0..16)
        }

        fn punches_of(steps: &[(usize, i64, f64, f64)], skew_ms: i64) -> Vec<Punch> {
            let mut t = T0 + skew_ms;
            steps
                .iter()
                .enumerate()
                .map(|(seq, &(i, dt, off_m, accuracy_m))| {
                    t += dt;
                    at(seq as u32, i, t, off_m, accuracy_m)
                })
                .collect()
        }

        proptest! {
            #[test]
            fn time_runs_forward_in_any_punch_set(steps in any_punches(), finished_dt in -600_000i64..600_000) {
                let punches = punches_of(&steps, 0);
                let finished_at = punches.last().map_or(T0, |p| p.t) + finished_dt;
                let r = judge(&punches, &[], finished_at);
                // a result's times never run backwards
                prop_assert!(r.result.time_s.is_none_or(|t| t >= 0));
                let times: Vec<i64> = r.result.splits.iter().filter_map(|s| s.time_s).collect();
                prop_assert!(times.iter().all(|t| *t >= 0) && times.windows(2).all(|w| w[0] <= w[1]), "{:?}", times);
                prop_assert!(r.result.splits.iter().filter_map(|s| s.leg_s).all(|l| l >= 0));
                prop_assert!(r.result.finish_time.is_none_or(|f| r.finished_at >= f));
            }

            #[test]
            fn arrival_order_and_resends_change_nothing(steps in any_punches(), seed in any::<u64>()) {
                // given the punches as a phone catching up sends them: shuffled
                let punches = punches_of(&steps, 0);
                let mut shuffled = punches.clone();
                let n = shuffled.len();
                for i in (1..n).rev() {
                    shuffled.swap(i, (seed.wrapping_mul(i as u64 + 7) % (i as u64 + 1)) as usize);
                }
                prop_assert_eq!(judge(&shuffled, &[], T0), judge(&punches, &[], T0));
            }

            #[test]
            fn a_punch_made_twice_in_a_row_counts_once(steps in any_punches(), which in any::<prop::sample::Index>()) {
                prop_assume!(!steps.is_empty());
                let mut doubled = steps.clone();
                let i = which.index(steps.len());
                doubled.insert(i + 1, (steps[i].0, 0, steps[i].2, steps[i].3));
                let (once, twice) = (judge(&punches_of(&steps, 0), &[], T0), judge(&punches_of(&doubled, 0), &[], T0));
                prop_assert_eq!((once.result.status, once.result.time_s), (twice.result.status, twice.result.time_s));
            }

            #[test]
            fn a_steady_clock_offset_changes_no_verdict(steps in any_punches(), skew_ms in -300_000i64..120_000) {
                let (true_clock, skewed) = (judge(&punches_of(&steps, 0), &[], T0), judge(&punches_of(&steps, skew_ms), &[], T0 + skew_ms));
                prop_assert_eq!((true_clock.result.status, true_clock.result.time_s), (skewed.result.status, skewed.result.time_s));
                prop_assert_eq!(&true_clock.result.splits, &skewed.result.splits);
                prop_assert_eq!(&true_clock.verification, &skewed.verification);
            }
        }
    }
}
