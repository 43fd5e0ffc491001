//! The live board over HTTP against `cargo lambda watch`: a field of 32 runners launched into a
//! competition with its board on (some sharing their position, one mispunching, one abandoning,
//! half still out), their requests shuffled as phones reconnect, gives a board whose ranks at
//! every control and at the finish equal a computation made here from the same punches; nothing
//! shows before its time plus the delay except to the runner's own `realtime_token`; and a
//! deleted account leaves every board.

use futures::StreamExt;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::model::run::coords::{distance_m, wgs84_to_gcj02};
use shared::support::clock;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tests::phone::{LIVE_COMPETITION, Phone, demo_catalog};
use tests::{Api, World, api, unique, unique_mobile};

/// A competition of its own with the board on, `delay_s` behind, on a course of 5 controls.
async fn live_world(delay_s: i64) -> World {
    let world = World::fresh();
    let mut file = world.file(tests::open_registration(false), true, "rel-1");
    file["events"][0]["releases"][0]["course"] = tests::course(5, &["route-a", "route-b"]);
    let competition = &mut file["competitions"][0];
    competition["realtime_board_enabled"] = true.into();
    competition["leaderboard_enabled"] = true.into();
    competition["live_delay_s"] = delay_s.into();
    tests::publish(&file).await;
    world
}

fn live_path(competition: &str, event: &str, route: &str) -> String {
    format!("/client/v1/competitions/{competition}/live?event_id={event}&route_code={route}")
}

async fn read_board(api: &Api, path: &str, token: Option<&str>) -> Value {
    let (status, body) = api.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

/// One simulated runner: what their phone sends, and what the test keeps to compute the board.
struct Runner {
    phone: Phone,
    share: bool,
    /// The real account deleted at the end.
    member: bool,
    /// The track as run (WGS-84), `(t, lat, lng)`, up to what was sent.
    track: Vec<(i64, f64, f64)>,
    /// `(route index, control code, t)` of every punch sent (each accepted).
    punches: Vec<(usize, String, i64)>,
    /// The finish's result as answered, and when the run ended.
    result: Option<(Value, i64)>,
    requests: Vec<Request>,
}

enum Request {
    Upload(Value),
    Punch(u32, String, i64),
    Finish(Option<u32>, &'static str, i64),
}

/// A small deterministic shuffle (the seed is printed, so a failure is replayed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

impl Runner {
    async fn send(&mut self) {
        for request in std::mem::take(&mut self.requests) {
            match request {
                Request::Upload(batch) => {
                    let (status, held) = self.phone.upload(&batch).await;
                    assert_eq!(status, StatusCode::OK, "{held}");
                }
                Request::Punch(seq, code, t) => {
                    let verdict = self.phone.punch(seq, &code, t).await;
                    assert_eq!(verdict["verdict"], "accepted", "{code}: {verdict}");
                }
                Request::Finish(last, reason, at) => {
                    let (status, finished) = self.phone.finish(last, reason, at).await;
                    assert_eq!(status, StatusCode::OK, "{finished}");
                    self.result = Some((finished["data"].clone(), at));
                }
            }
        }
    }
}

/// The board as the brief defines it, computed here from what the runners sent: per runner on
/// it (their start released), the last released control with its split, rank and lag, and the
/// finish with its rank among the rankable; per control the count and the fastest split.
fn expected(runners: &[&Runner], as_of: i64) -> (BTreeMap<String, Value>, Vec<(String, u64, i64)>) {
    let split = |r: &Runner, code: &str| -> Option<i64> {
        let start = r.punches.iter().find(|p| p.0 == 0).filter(|p| p.2 <= as_of)?.2;
        r.punches.iter().find(|p| p.1 == code && p.0 > 0 && p.2 <= as_of).map(|p| (p.2 - start).div_euclid(1000))
    };
    let rankable_time = |r: &Runner| -> Option<i64> {
        let (result, at) = r.result.as_ref()?;
        (*at <= as_of && result["rankable"] == true).then(|| result["time_s"].as_i64()).flatten()
    };
    let mut board = BTreeMap::new();
    for r in runners {
        let Some(start) = r.punches.iter().find(|p| p.0 == 0 && p.2 <= as_of) else { continue };
        let last = r.punches.iter().filter(|p| p.0 > 0 && p.2 <= as_of).max_by_key(|p| p.2);
        let last_control = last.map(|(_, code, _)| {
            let mine = split(r, code).unwrap();
            let others: Vec<i64> =
                runners.iter().filter(|o| o.phone.session_id != r.phone.session_id).filter_map(|o| split(o, code)).collect();
            let fastest = others.iter().copied().chain([mine]).min().unwrap();
            json!({ "code": code, "split_s": mine, "rank": 1 + others.iter().filter(|&&s| s < mine).count(), "behind_s": mine - fastest })
        });
        let finish = r.result.as_ref().filter(|(_, at)| *at <= as_of).map(|(result, _)| {
            let rank = rankable_time(r).map(|mine| {
                1 + runners
                    .iter()
                    .filter(|o| o.phone.session_id != r.phone.session_id)
                    .filter_map(|o| rankable_time(o))
                    .filter(|&t| t < mine)
                    .count()
            });
            json!({ "status": result["status"], "time_s": result["time_s"], "net": null, "rank": rank })
        });
        let state = if finish.is_some() { "finished" } else { "running" };
        board.insert(
            r.phone.session_id.clone(),
            json!({ "state": state, "started_at": start.2, "last_control": last_control, "finish": finish }),
        );
    }
    let mut controls: BTreeMap<usize, (String, u64, i64)> = BTreeMap::new();
    for r in runners {
        for (index, code, _) in r.punches.iter().filter(|p| p.0 > 0) {
            if let Some(s) = split(r, code) {
                let entry = controls.entry(*index).or_insert((code.clone(), 0, i64::MAX));
                entry.1 += 1;
                entry.2 = entry.2.min(s);
            }
        }
    }
    (board, controls.into_values().collect())
}

/// Asserts the served board equals the computed one, runner by runner and control by control.
fn assert_board(served: &Value, runners: &[&Runner]) {
    let as_of = served["as_of"].as_i64().expect("as_of");
    let (want, want_controls) = expected(runners, as_of);
    let got: BTreeMap<String, &Value> =
        served["runners"].as_array().unwrap().iter().map(|r| (r["session_id"].as_str().unwrap().to_string(), r)).collect();
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "the runners on the board");
    for (session_id, want) in &want {
        let got = got[session_id];
        for field in ["state", "started_at", "last_control", "finish"] {
            assert_eq!(got[field], want[field], "{session_id}.{field}: {got}");
        }
    }
    let controls: Vec<(String, u64, i64)> = served["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap().into(), c["punched"].as_u64().unwrap(), c["fastest_split_s"].as_i64().unwrap()))
        .collect();
    assert_eq!(controls, want_controls);
}

#[tokio::test]
async fn a_field_of_32_ranks_at_every_control_as_computed_from_its_punches() {
    let api = api();
    let world = live_world(2).await;
    let route = "route-a";
    let course = (world.event.as_str(), world.release.as_str(), route);
    let path = format!("/client/v1/competitions/{}/events/{}/launch", world.competition, world.event);
    let seed = clock::now_ms() as u64;
    println!("live board shuffle seed {seed}");
    let mut shuffle = Lcg(seed);

    // given 32 runners launched into it, every third sharing their position; runner 1 a real
    // account (deleted at the end)
    let mobile = unique_mobile();
    let member = api.sms_login(&mobile).await;
    let logged_in = Instant::now();
    let mut runners = Vec::new();
    for i in 0..32usize {
        let token = if i == 1 {
            member.access_token.clone()
        } else {
            tests::access_token(&unique("usr_live_"), shared::support::types::ClientType::App)
        };
        let share = i % 3 == 0;
        let (phone, launched) = Phone::launch_with(&api, &token, &path, course, json!({ "live_position_sharing": share })).await;
        assert!(launched["realtime_token"].as_str().is_some_and(|t| t.len() > 20), "a board launch has a realtime token: {launched}");
        runners.push(Runner { phone, share, member: i == 1, track: Vec::new(), punches: Vec::new(), result: None, requests: Vec::new() });
    }

    // and their runs, started 5 s apart from 285 s ago at 3.2–4.8 m/s: what each phone has to
    // send by now (nothing stamped later). Runner 2 skips a control, runner 3 gives up after two.
    let now = clock::now_ms();
    for (i, r) in runners.iter_mut().enumerate() {
        let codes = r.phone.route();
        let run = tests::honest_run(&r.phone.course, &codes, now - 285_000 + i as i64 * 5_000, 3.2 + (i % 5) as f64 * 0.4, 2_000);
        let sent: Vec<&Value> = run.samples.iter().filter(|s| s["t"].as_i64().unwrap() <= now).collect();
        r.track = sent.iter().map(|s| (s["t"].as_i64().unwrap(), s["lat"].as_f64().unwrap(), s["lng"].as_f64().unwrap())).collect();
        let samples: Vec<Value> = sent
            .into_iter()
            .map(|s| {
                let mut s = s.clone();
                if i == 0 {
                    // a phone that reports GCJ-02: the board shows WGS-84 like the rest
                    let (lat, lng) = wgs84_to_gcj02(s["lat"].as_f64().unwrap(), s["lng"].as_f64().unwrap());
                    (s["lat"], s["lng"]) = (lat.into(), lng.into());
                }
                s
            })
            .collect();
        for (seq, chunk) in samples.chunks(30).enumerate() {
            let coord_sys = if i == 0 { "gcj02" } else { "wgs84" };
            r.requests.push(Request::Upload(
                json!({ "session_id": r.phone.session_id, "batch_seq": seq, "coord_sys": coord_sys, "samples": chunk }),
            ));
        }
        let mut seq = 0;
        for (index, (code, t, _, _)) in run.punches.iter().enumerate() {
            if *t > now || (i == 2 && index == 3) || (i == 3 && index > 2) {
                continue;
            }
            r.requests.push(Request::Punch(seq, code.clone(), *t));
            r.punches.push((index, code.clone(), *t));
            seq += 1;
        }
        let last_t = r.punches.last().unwrap().2;
        let finished = r.punches.last().is_some_and(|p| p.0 == codes.len() - 1);
        if i == 3 {
            r.requests.push(Request::Finish(Some(seq - 1), "abandoned", last_t + 5_000));
        } else if finished {
            r.requests.push(Request::Finish(Some(seq - 1), "completed", last_t + 1_000));
        }
        // as a phone reconnecting sends its queue: batches in any order among the punches, the
        // punches in their order, the finish last
        let finish = r.requests.iter().position(|q| matches!(q, Request::Finish(..))).map(|at| r.requests.remove(at));
        let (mut uploads, punches): (Vec<Request>, Vec<Request>) =
            std::mem::take(&mut r.requests).into_iter().partition(|q| matches!(q, Request::Upload(_)));
        let mut queue = Vec::new();
        for punch in punches {
            while !uploads.is_empty() && shuffle.next(2) == 0 {
                queue.push(uploads.remove(shuffle.next(uploads.len())));
            }
            queue.push(punch);
        }
        while !uploads.is_empty() {
            queue.push(uploads.remove(shuffle.next(uploads.len())));
        }
        queue.extend(finish);
        r.requests = queue;
    }

    // when the phones send, eight at a time in a shuffled order
    let mut order: Vec<Runner> = Vec::new();
    while !runners.is_empty() {
        order.push(runners.remove(shuffle.next(runners.len())));
    }
    let sent = Instant::now();
    let mut runners: Vec<Runner> = futures::stream::iter(order)
        .map(|mut r| async move {
            r.send().await;
            r
        })
        .buffer_unordered(8)
        .collect()
        .await;
    runners.sort_by_key(|r| r.phone.session_id.clone());
    println!("live board: {} runners' requests sent in {:.1} s", runners.len(), sent.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    // then the board read anonymously equals the computation from the same punches
    let board_path = live_path(&world.competition, &world.event, route);
    let began = Instant::now();
    let (status, body) = api.get(&board_path, None).await;
    let read_ms = began.elapsed().as_millis();
    assert_eq!(status, StatusCode::OK, "{body}");
    let served = &body["data"];
    let all: Vec<&Runner> = runners.iter().collect();
    assert_board(served, &all);
    assert_eq!(served["live_delay_s"], 2);
    let count = |state: &str| served["runners"].as_array().unwrap().iter().filter(|r| r["state"] == state).count();
    assert!(
        count("finished") >= 8 && count("running") >= 8,
        "a field still out and one finished: {} / {}",
        count("finished"),
        count("running")
    );
    let by_id = |id: &str| served["runners"].as_array().unwrap().iter().find(|r| r["session_id"] == id).cloned().unwrap();
    // the mispunch shows MissingPunch, unranked; the runner who gave up DidNotFinish
    let statuses: Vec<&str> = served["runners"].as_array().unwrap().iter().filter_map(|r| r["finish"]["status"].as_str()).collect();
    assert!(statuses.contains(&"MissingPunch") && statuses.contains(&"DidNotFinish"), "{statuses:?}");
    // positions: the sharing runners' latest released fix (GCJ-02 shown in WGS-84) while it is
    // less than a minute old, nobody else's ever
    let as_of = served["as_of"].as_i64().unwrap();
    let mut shown = 0;
    for r in &runners {
        let entry = by_id(&r.phone.session_id);
        let &(t, lat, lng) = r.track.last().unwrap();
        if r.share && t >= as_of - 60_000 {
            shown += 1;
            let position = &entry["position"];
            assert_eq!(position["t"].as_i64(), Some(t), "the latest fix sent (all of it is older than as_of): {position}");
            let off_m = distance_m(lat, lng, position["lat"].as_f64().unwrap(), position["lng"].as_f64().unwrap());
            assert!(off_m < 2.0, "where the runner was, in WGS-84: {off_m:.2} m off");
            let tail = position["tail"].as_array().unwrap();
            assert!(!tail.is_empty() && tail.len() <= 12 && tail.iter().all(|f| f["t"].as_i64().unwrap() >= t - 60_000), "{position}");
        } else {
            assert_eq!(entry["position"], Value::Null, "no consent or no fix in the last minute, no position: {entry}");
        }
    }
    assert!(shown >= 4, "positions shown: {shown}");
    let size = body.to_string().len();
    println!(
        "live board: {} runners, {} controls → {} KB JSON in {read_ms} ms (over HTTP, 2 Queries)",
        runners.len(),
        served["controls"].as_array().unwrap().len(),
        size / 1024
    );

    // when runner 1 deletes their account (with a code asked once the login's has cooled down)
    tokio::time::sleep((logged_in + Duration::from_secs(61)).saturating_duration_since(Instant::now())).await;
    let confirm = json!({ "country_code": "86", "mobile": mobile, "sms_code": api.ask_code(&mobile).await });
    let (status, answer) = api.send("DELETE", "/client/v1/me", Some(&member.access_token), Some(confirm)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // then nothing of theirs is on the board, and everyone else's ranks are as computed without them
    tokio::time::sleep(Duration::from_millis(500)).await;
    let served = read_board(&api, &board_path, None).await;
    let member_session = &runners.iter().find(|r| r.member).unwrap().phone.session_id;
    assert!(!served.to_string().contains(member_session.as_str()), "the deleted runner's session is gone");
    let rest: Vec<&Runner> = runners.iter().filter(|r| !r.member).collect();
    assert_board(&served, &rest);
}

#[tokio::test]
async fn a_punch_shows_after_the_delay_and_at_once_to_its_own_runner() {
    let api = api();
    demo_catalog().await;
    // given a runner launched into the demo's live competition (10 s behind), not sharing
    let token = tests::access_token(&unique("usr_live_"), shared::support::types::ClientType::App);
    let course = tests::phone::CLASSIC;
    let path = format!("/client/v1/competitions/{LIVE_COMPETITION}/events/{}/launch", course.0);
    let (phone, launched) = Phone::launch_with(&api, &token, &path, course, json!({})).await;
    let realtime = launched["realtime_token"].as_str().unwrap().to_string();
    assert!(!realtime.is_empty());

    // when they punch the start now
    let t = clock::now_ms();
    let start = phone.route()[0].clone();
    assert_eq!(phone.punch(0, &start, t).await["verdict"], "accepted");
    let board = live_path(LIVE_COMPETITION, course.0, course.2);
    let on = |board: &Value| board["runners"].as_array().unwrap().iter().any(|r| r["session_id"] == phone.session_id.as_str());

    // then spectators do not see it before t + 10 s, with a cacheable answer
    let (status, early) = api.get(&board, None).await;
    assert_eq!(status, StatusCode::OK, "{early}");
    assert!(early["data"]["as_of"].as_i64().unwrap() < t && !on(&early["data"]), "{early}");
    let response = api.http.get(format!("{}{board}", api.base)).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "public, max-age=5");
    // while the runner's own app, with its realtime token, sees its own entry at once, uncached
    let own = api.http.get(format!("{}{board}", api.base)).bearer_auth(&realtime).send().await.unwrap();
    assert_eq!(own.headers()["cache-control"], "no-store");
    let own: Value = own.json().await.unwrap();
    assert!(on(&own["data"]), "{own}");
    // and a session token is no realtime token
    assert_eq!(api.get(&board, Some(&phone.token)).await.0, StatusCode::UNAUTHORIZED);

    // and after t + 10 s everyone sees it
    tokio::time::sleep(Duration::from_millis((t + 10_500 - clock::now_ms()).max(0) as u64)).await;
    assert!(on(&read_board(&api, &board, None).await), "released after the delay");

    // a board that is off answers 404 board_not_enabled; a direct launch has no realtime token
    let (status, off) = api.get(&live_path(tests::phone::COMPETITION, course.0, course.2), None).await;
    assert_eq!((status, off["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("board_not_enabled")), "{off}");
    let (_, direct) = Phone::launch_with(&api, &token, &format!("/client/v1/events/{}/launch", course.0), course, json!({})).await;
    assert_eq!(direct["realtime_token"], "");
}
