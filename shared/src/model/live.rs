//! The live board of a competition's event and route: every runner's provisional rank at every
//! control they punched and at the finish, and — only for runners who chose to share it — where
//! they are, all as of one moment (`as_of` = now − the competition's `live_delay_s`), computed
//! from the accepted punches, results and shared track batches the runs stored (pure rules).

use crate::model::leaderboard::{BoardEntry, display_name};
use crate::model::result::{ResultStatus, SessionResult};
use crate::model::run::samples::{Sample, SampleBatch, ordered};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A competition's delay when its catalog file names none, and the most it may name (seconds).
pub const DEFAULT_LIVE_DELAY_S: i64 = 30;
pub const MAX_LIVE_DELAY_S: i64 = 900;
/// A shared position's tail: the minute before it, one fix per `TAIL_STEP_MS` at most. A runner
/// with no fix in the minute before `as_of` has no position (their phone is out of signal).
pub const TAIL_MS: i64 = 60_000;
pub const TAIL_STEP_MS: i64 = 5_000;

/// What a launch notes on a session whose competition's board is on (`Session::live`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRun {
    /// The runner opted in at launch (`live_position_sharing`): their track feeds the board.
    pub share_position: bool,
}

/// What an item that feeds a board carries besides its own record: whose run it is, under the
/// name boards show (never the user id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveMark {
    pub session_id: String,
    pub display_name: String,
    /// Punches only: the control's place on the runner's route (the board's control order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_index: Option<u32>,
}

/// An accepted punch as the board reads it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LivePunch {
    pub session_id: String,
    pub display_name: String,
    pub control_index: u32,
    pub control_code: String,
    pub t: i64,
}

/// A shared track batch as the board reads it.
#[derive(Debug, Clone)]
pub struct LiveTrack {
    pub session_id: String,
    pub batch: SampleBatch,
}

/// What a board is computed from: everything its runs stored up to now (the delay is applied
/// here, so a read may bring items not yet released).
#[derive(Debug, Default)]
pub struct Feed {
    pub punches: Vec<LivePunch>,
    pub results: Vec<SessionResult>,
    pub tracks: Vec<LiveTrack>,
}

crate::plain_enum! {
    pub enum RunnerState {
        Running = "running",
        Finished = "finished",
    }
}

/// The last control a runner punched, their split there and where it places them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtControl {
    pub code: String,
    pub split_s: i64,
    /// Among the board's runners who have punched this control; equal splits share a rank.
    pub rank: u64,
    pub behind_s: i64,
}

/// A finished run: its IOF status and, for a rankable run, its provisional rank.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finish {
    pub status: ResultStatus,
    pub time_s: Option<i64>,
    /// Score routes: the net points.
    pub net: Option<i64>,
    pub rank: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fix {
    pub t: i64,
    pub lat: f64,
    pub lng: f64,
}

/// A shared position: the latest released fix and its tail, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Position {
    pub t: i64,
    pub lat: f64,
    pub lng: f64,
    pub tail: Vec<Fix>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runner {
    pub session_id: String,
    pub display_name: String,
    pub state: RunnerState,
    /// The start punch (epoch ms).
    pub started_at: i64,
    pub last_control: Option<AtControl>,
    pub finish: Option<Finish>,
    pub position: Option<Position>,
}

/// One control of the board: how many have punched it, and the fastest split there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlSummary {
    pub code: String,
    pub punched: u64,
    pub fastest_split_s: i64,
}

/// The board as of `as_of` (epoch ms): the document `GET …/live` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveBoard {
    pub competition_id: String,
    pub event_id: String,
    pub route_code: String,
    pub live_delay_s: i64,
    pub as_of: i64,
    pub runners: Vec<Runner>,
    pub controls: Vec<ControlSummary>,
}

/// When the board stands: what is released to everyone at `now_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Moment<'a> {
    pub as_of: i64,
    pub now_ms: i64,
    /// The caller's own session (a `realtime_token`'s): released up to `now_ms`, not `as_of`.
    pub own: Option<&'a str>,
}

impl Moment<'_> {
    fn released(&self, session_id: &str, t: i64) -> bool {
        t <= self.as_of || (self.own == Some(session_id) && t <= self.now_ms)
    }

    fn public(&self, t: i64) -> bool {
        t <= self.as_of
    }
}

/// One runner's run as released: their start punch, and each control's first punch.
struct Run<'a> {
    display_name: &'a str,
    start: i64,
    /// Control code → (its place on the route, the first released punch's time).
    punched: BTreeMap<&'a str, (u32, i64)>,
    last: Option<(&'a str, i64)>,
}

impl Run<'_> {
    fn split(&self, t: i64) -> i64 {
        (t - self.start).div_euclid(1000)
    }
}

/// Rank of `mine` among `others` (ties share: one more than those strictly ahead).
fn rank_among(mine: i64, others: impl Iterator<Item = i64>) -> u64 {
    1 + others.filter(|&s| s < mine).count() as u64
}

/// The board from `feed` at `moment`. A runner is on it once their start punch is released.
/// Ranks at a control count the runners whose punch there is released to everyone (the caller's
/// own unreleased punches rank them, never move anyone else).
pub fn board(feed: &Feed, moment: Moment<'_>) -> (Vec<Runner>, Vec<ControlSummary>) {
    let mut punches: Vec<&LivePunch> = feed.punches.iter().filter(|p| moment.released(&p.session_id, p.t)).collect();
    punches.sort_by_key(|p| (p.t, p.control_index));
    // The start is the route's first control: its punch is the one at index 0.
    let mut runs: BTreeMap<&str, Run<'_>> = BTreeMap::new();
    for p in punches.iter().filter(|p| p.control_index == 0) {
        runs.entry(&p.session_id).or_insert(Run { display_name: &p.display_name, start: p.t, punched: BTreeMap::new(), last: None });
    }
    for p in punches.iter().filter(|p| p.control_index > 0) {
        if let Some(run) = runs.get_mut(p.session_id.as_str()) {
            run.punched.entry(&p.control_code).or_insert((p.control_index, p.t));
            run.last = Some((&p.control_code, p.t));
        }
    }
    // Per control, the splits released to everyone: what ranks there and what the summary shows.
    let mut public: BTreeMap<&str, (u32, Vec<(&str, i64)>)> = BTreeMap::new();
    for (session_id, run) in &runs {
        for (code, &(index, t)) in &run.punched {
            if moment.public(t) {
                let entry = public.entry(code).or_insert((index, Vec::new()));
                entry.0 = entry.0.min(index);
                entry.1.push((session_id, run.split(t)));
            }
        }
    }
    let results: BTreeMap<&str, &SessionResult> = feed
        .results
        .iter()
        .filter(|r| moment.released(&r.session_id, r.finished_at) && runs.contains_key(r.session_id.as_str()))
        .map(|r| (r.session_id.as_str(), r))
        .collect();
    // Finishes rank among those released to everyone, as controls do.
    let rank_keys: Vec<(&str, String)> =
        results.values().filter(|r| moment.public(r.finished_at)).filter_map(|r| Some((r.session_id.as_str(), rank_key(r)?))).collect();
    let positions = positions(&feed.tracks, moment);

    let mut runners: Vec<Runner> = runs
        .iter()
        .map(|(&session_id, run)| {
            let last_control = run.last.map(|(code, t)| {
                let split_s = run.split(t);
                let others = public.get(code).map(|(_, splits)| splits.as_slice()).unwrap_or_default();
                let others = others.iter().filter(|(s, _)| *s != session_id).map(|&(_, split)| split);
                let fastest = others.clone().min().map_or(split_s, |f| f.min(split_s));
                AtControl { code: code.to_owned(), split_s, rank: rank_among(split_s, others), behind_s: split_s - fastest }
            });
            let finish = results.get(session_id).map(|r| Finish {
                status: r.result.status,
                time_s: r.result.time_s,
                net: r.result.score.map(|s| s.net),
                rank: rank_key(r).map(|mine| 1 + rank_keys.iter().filter(|(s, k)| *s != session_id && *k < mine).count() as u64),
            });
            Runner {
                session_id: session_id.to_owned(),
                display_name: run.display_name.to_owned(),
                state: if finish.is_some() { RunnerState::Finished } else { RunnerState::Running },
                started_at: run.start,
                last_control,
                finish,
                position: positions.get(session_id).cloned(),
            }
        })
        .collect();
    runners.sort_by(|a, b| standing(a, &runs).cmp(&standing(b, &runs)));

    let mut controls: Vec<(u32, ControlSummary)> = public
        .into_iter()
        .map(|(code, (index, splits))| {
            let fastest_split_s = splits.iter().map(|&(_, s)| s).min().unwrap_or(0);
            (index, ControlSummary { code: code.to_owned(), punched: splits.len() as u64, fastest_split_s })
        })
        .collect();
    controls.sort_by(|a, b| (a.0, &a.1.code).cmp(&(b.0, &b.1.code)));
    (runners, controls.into_iter().map(|(_, c)| c).collect())
}

/// What orders a rankable finish (the leaderboard's own key: time, or net points then time).
fn rank_key(result: &SessionResult) -> Option<String> {
    let time_s = result.result.time_s.filter(|_| result.rankable())?;
    let entry = BoardEntry {
        kind: result.result.kind,
        time_s,
        net: result.result.score.map(|s| s.net),
        finished_at: result.finished_at,
        session_id: &result.session_id,
    };
    Some(entry.rank_key())
}

/// Where a runner stands on the board: ranked finishers by rank, then runners still out (the
/// most controls first, then the earliest split at the last), then the other finishers.
fn standing(runner: &Runner, runs: &BTreeMap<&str, Run<'_>>) -> (u8, u64, i64, String) {
    let punched = runs.get(runner.session_id.as_str()).map_or(0, |r| r.punched.len() as u64);
    let split = runner.last_control.as_ref().map_or(0, |c| c.split_s);
    match &runner.finish {
        Some(Finish { rank: Some(rank), .. }) => (0, *rank, 0, runner.session_id.clone()),
        None => (1, u64::MAX - punched, split, runner.session_id.clone()),
        Some(_) => (2, u64::MAX - punched, split, runner.session_id.clone()),
    }
}

/// Each sharing runner's latest released fix and its thinned tail (a minute at most).
fn positions(tracks: &[LiveTrack], moment: Moment<'_>) -> BTreeMap<String, Position> {
    let mut samples: BTreeMap<&str, Vec<Sample>> = BTreeMap::new();
    for track in tracks {
        let released = track.batch.samples().into_iter().filter(|s| moment.released(&track.session_id, s.t));
        samples.entry(&track.session_id).or_default().extend(released);
    }
    samples
        .into_iter()
        .filter_map(|(session_id, samples)| {
            let fixes: Vec<Fix> = ordered(samples).iter().map(|s| Fix { t: s.t, lat: s.lat, lng: s.lng }).collect();
            let latest = *fixes.last()?;
            let until = if moment.own == Some(session_id) { moment.now_ms } else { moment.as_of };
            if latest.t < until - TAIL_MS {
                return None;
            }
            let mut tail: Vec<Fix> = Vec::new();
            for fix in fixes.iter().filter(|f| f.t >= latest.t - TAIL_MS && f.t < latest.t) {
                if tail.last().is_none_or(|last| fix.t - last.t >= TAIL_STEP_MS) {
                    tail.push(*fix);
                }
            }
            Some((session_id.to_owned(), Position { t: latest.t, lat: latest.lat, lng: latest.lng, tail }))
        })
        .collect()
}

/// The mark a session's items carry on its competition's board.
pub fn mark(session_id: &str, user_id: &str, control_index: Option<u32>) -> LiveMark {
    LiveMark { session_id: session_id.to_owned(), display_name: display_name(user_id), control_index }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::course::RouteKind;
    use crate::model::result::{FinishReason, RunResult, TrackStatus, Verification};

    const T0: i64 = 1_800_000_000_000;

    fn punch(session_id: &str, index: u32, code: &str, at_s: i64) -> LivePunch {
        LivePunch {
            session_id: session_id.into(),
            display_name: format!("n{session_id}"),
            control_index: index,
            control_code: code.into(),
            t: T0 + at_s * 1000,
        }
    }

    fn result(session_id: &str, status: ResultStatus, time_s: Option<i64>, finished_s: i64) -> SessionResult {
        let mut verification = Verification::default();
        verification.track.status = TrackStatus::Verified;
        SessionResult {
            session_id: session_id.into(),
            user_id: format!("usr_{session_id}"),
            event_id: "e".into(),
            competition_id: Some("c".into()),
            event_release_id: "r".into(),
            route_code: "x".into(),
            reason: FinishReason::Completed,
            finished_at: T0 + finished_s * 1000,
            result: RunResult {
                kind: RouteKind::Classic,
                status,
                start_time: None,
                finish_time: None,
                time_s,
                score: None,
                splits: vec![],
                missing_controls: vec![],
            },
            last_punch_seq: None,
            verification,
        }
    }

    fn at(as_of_s: i64) -> Moment<'static> {
        Moment { as_of: T0 + as_of_s * 1000, now_ms: T0 + as_of_s * 1000, own: None }
    }

    #[test]
    fn ranks_at_a_control_count_only_those_who_punched_it_and_ties_share() {
        // given three runners starting together; a and b reach 31 in 100 s, c is slower
        let feed = Feed {
            punches: vec![
                punch("a", 0, "S", 0),
                punch("b", 0, "S", 0),
                punch("c", 0, "S", 10),
                punch("a", 1, "31", 100),
                punch("b", 1, "31", 100),
                punch("c", 1, "31", 140),
                punch("a", 2, "32", 200),
            ],
            ..Feed::default()
        };
        // when the board is read after all of it
        let (runners, controls) = board(&feed, at(300));
        // then a leads at 32 alone, b and c are ranked at 31 (b tied first with a's split there)
        let by = |id: &str| runners.iter().find(|r| r.session_id == id).unwrap().last_control.clone().unwrap();
        assert_eq!((by("a").code.as_str(), by("a").rank, by("a").behind_s), ("32", 1, 0));
        assert_eq!((by("b").code.as_str(), by("b").rank, by("b").behind_s), ("31", 1, 0));
        assert_eq!((by("c").rank, by("c").split_s, by("c").behind_s), (3, 130, 30));
        assert_eq!(
            controls.iter().map(|c| (c.code.as_str(), c.punched, c.fastest_split_s)).collect::<Vec<_>>(),
            [("31", 3, 100), ("32", 1, 200)]
        );
        assert_eq!(runners[0].session_id, "a", "the most controls first");
    }

    #[test]
    fn nothing_shows_before_its_time_plus_the_delay_but_the_own_run_does() {
        let feed = Feed {
            punches: vec![punch("a", 0, "S", 0), punch("a", 1, "31", 100), punch("b", 0, "S", 0), punch("b", 1, "31", 90)],
            ..Feed::default()
        };
        // given as_of 95 s: b's punch at 90 s is out, a's at 100 s is not
        let (runners, controls) = board(&feed, at(95));
        let a = runners.iter().find(|r| r.session_id == "a").unwrap();
        assert!(a.last_control.is_none());
        assert_eq!(controls.len(), 1);
        // when a reads with their own token at 100 s, their own punch shows, ranked behind b
        let own = Moment { as_of: T0 + 95_000, now_ms: T0 + 100_000, own: Some("a") };
        let (runners, controls) = board(&feed, own);
        let a = runners.iter().find(|r| r.session_id == "a").unwrap().last_control.clone().unwrap();
        assert_eq!((a.rank, a.behind_s), (2, 10));
        // then nobody else's entry, nor the control summary, moves
        assert_eq!(controls, board(&feed, at(95)).1);
        assert_eq!(runners.iter().find(|r| r.session_id == "b").unwrap().last_control.as_ref().unwrap().rank, 1);
    }

    #[test]
    fn an_own_finish_seen_early_ranks_the_runner_and_moves_nobody() {
        // given b finished in 500 s (released), a in 400 s but only 5 s ago (not yet public)
        let feed = Feed {
            punches: vec![punch("a", 0, "S", 0), punch("b", 0, "S", 0)],
            results: vec![result("a", ResultStatus::Ok, Some(400), 995), result("b", ResultStatus::Ok, Some(500), 500)],
            ..Feed::default()
        };
        let own = Moment { as_of: T0 + 990_000, now_ms: T0 + 1_000_000, own: Some("a") };
        let (runners, _) = board(&feed, own);
        let rank = |id: &str| runners.iter().find(|r| r.session_id == id).unwrap().finish.as_ref().map(|f| f.rank);
        // then a sees themselves first, and b keeps the rank the public board gives them
        assert_eq!((rank("a"), rank("b")), (Some(Some(1)), Some(Some(1))));
        assert_eq!(board(&feed, at(990)).0.iter().find(|r| r.session_id == "a").unwrap().finish, None);
    }

    #[test]
    fn finishers_rank_by_time_and_a_mispunch_shows_its_status_unranked() {
        let mut punches = Vec::new();
        for id in ["a", "b", "c"] {
            punches.push(punch(id, 0, "S", 0));
        }
        let feed = Feed {
            punches,
            results: vec![
                result("a", ResultStatus::Ok, Some(600), 600),
                result("b", ResultStatus::Ok, Some(500), 500),
                result("c", ResultStatus::MissingPunch, None, 400),
            ],
            ..Feed::default()
        };
        let (runners, _) = board(&feed, at(1000));
        let finish: Vec<_> =
            runners.iter().map(|r| (r.session_id.as_str(), r.finish.as_ref().unwrap().rank, r.finish.as_ref().unwrap().status)).collect();
        assert_eq!(finish, [("b", Some(1), ResultStatus::Ok), ("a", Some(2), ResultStatus::Ok), ("c", None, ResultStatus::MissingPunch)]);
        assert!(runners.iter().all(|r| r.state == RunnerState::Finished));
    }

    #[test]
    fn a_shared_position_is_the_latest_released_fix_with_a_thinned_minute_of_tail() {
        let samples: Vec<crate::model::run::samples::Sample> = (0..120)
            .map(|i| crate::model::run::samples::Sample {
                t: T0 + i * 1000,
                lat: 30.0 + i as f64 * 1e-5,
                lng: 120.0,
                accuracy_m: 4.0,
                altitude_m: None,
                heart_rate_bpm: None,
            })
            .collect();
        let track = LiveTrack { session_id: "a".into(), batch: SampleBatch::new(0, "h".into(), &samples) };
        let feed = Feed { punches: vec![punch("a", 0, "S", 0)], tracks: vec![track], ..Feed::default() };
        let (runners, _) = board(&feed, at(100));
        let p = runners[0].position.clone().unwrap();
        assert_eq!(p.t, T0 + 100_000, "nothing after as_of");
        assert!(p.tail.len() <= 12 && p.tail.first().unwrap().t >= T0 + 40_000, "{:?}", p.tail);
        assert!(p.tail.windows(2).all(|w| w[1].t - w[0].t >= TAIL_STEP_MS));
        // a fix older than a minute is no live position
        assert!(board(&feed, at(200)).0[0].position.is_none());
    }
}
