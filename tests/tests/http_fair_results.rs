//! Results that can be trusted, over HTTP against `cargo lambda watch`: the cheats an outside
//! attack used (a negative time, a 1-second 7 km run, punches off the phone's own track, punches
//! with no track near them, times running backwards) never reach the demo competition's
//! leaderboard, and honest runs — a fast one, a GCJ-02 one, an offline one whose track arrives
//! shuffled after the finish — still do.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::model::run::coords::wgs84_to_gcj02;
use shared::support::clock;
use std::time::Instant;
use tests::phone::{CLASSIC, COMPETITION, Phone, demo_catalog};
use tests::{api, unique};

/// A runner of the demo competition, launched 45 minutes ago, and when they start (a minute after).
async fn runner() -> (Phone, i64) {
    let (phone, launched_ms) = Phone::backdated_in_competition(&unique("usr_fair_"), CLASSIC, 2700).await;
    (phone, launched_ms + 60_000)
}

/// Punches `times[i]` at the route's controls, each 3 m from its control; the verdicts.
async fn punch_all(phone: &Phone, times: &[i64]) -> Vec<Value> {
    let route = phone.route();
    let mut verdicts = Vec::new();
    for (seq, (code, t)) in route.iter().zip(times).enumerate() {
        verdicts.push(phone.punch(seq as u32, code, *t).await);
    }
    verdicts
}

async fn upload_all(phone: &Phone, samples: &[Value]) {
    for batch in tests::batches_of(&phone.session_id, samples) {
        let (status, held) = phone.upload(&batch).await;
        assert_eq!(status, StatusCode::OK, "{held}");
    }
}

/// Finishes after the last punch; the result.
async fn finish(phone: &Phone, finished_at: i64) -> Value {
    let (status, finished) = phone.finish(Some(phone.route().len() as u32 - 1), "completed", finished_at).await;
    assert_eq!(status, StatusCode::OK, "{finished}");
    finished["data"].clone()
}

/// The session ids on the demo competition's board, in ranking order.
async fn board() -> Vec<String> {
    let path = format!("/client/v1/competitions/{COMPETITION}/leaderboard?event_id={}&route_code={}&limit=100", CLASSIC.0, CLASSIC.2);
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = api().get(&format!("{path}{cursor}"), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        ids.extend(page["data"]["items"].as_array().unwrap().iter().map(|i| i["session_id"].as_str().unwrap().to_string()));
        match page["data"]["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

fn rejected(verdicts: &[Value], reason: &str) -> usize {
    verdicts.iter().filter(|v| v["reason"] == reason).count()
}

#[tokio::test]
async fn the_cheats_never_rank_and_honest_runs_do() {
    demo_catalog().await;
    let began = Instant::now();
    let mut cheats: Vec<(&str, String, Value)> = Vec::new();

    // given a finish stamped 13 s before the start (the board's −13 s run)
    let (phone, start) = runner().await;
    let honest = tests::honest_run(&phone.course, &phone.route(), start, 4.0, 2_000);
    upload_all(&phone, &honest.samples).await;
    let mut times: Vec<i64> = honest.punches.iter().map(|p| p.1).collect();
    *times.last_mut().unwrap() = start - 13_000;
    let verdicts = punch_all(&phone, &times).await;
    assert_eq!(rejected(&verdicts, "time_reversed"), 1);
    let result = finish(&phone, clock::now_ms()).await;
    assert_eq!((result["status"].as_str(), result["time_s"].as_i64()), (Some("MissingPunch"), None), "{result}");
    cheats.push(("negative time", phone.session_id.clone(), result));

    // given 14 punches over 7 km within one second
    let (phone, start) = runner().await;
    let times: Vec<i64> = (0..phone.route().len() as i64).map(|i| start + i * 70).collect();
    let verdicts = punch_all(&phone, &times).await;
    assert_eq!(rejected(&verdicts, "implausible_speed"), phone.route().len() - 1);
    let result = finish(&phone, start + 1_000).await;
    assert_eq!(result["status"], "MissingPunch", "{result}");
    assert_eq!(result["verification"]["speed"]["passed"], false);
    cheats.push(("1-second 7 km", phone.session_id.clone(), result));

    // given punches at a runner's times and the controls' places, from a phone whose own track
    // was 2 km away (teleporting punches)
    let (phone, start) = runner().await;
    let honest = tests::honest_run(&phone.course, &phone.route(), start, 4.0, 2_000);
    let elsewhere: Vec<Value> = honest
        .samples
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s["lng"] = json!(s["lng"].as_f64().unwrap() + 0.02);
            s
        })
        .collect();
    upload_all(&phone, &elsewhere).await;
    punch_all(&phone, &honest.punches.iter().map(|p| p.1).collect::<Vec<_>>()).await;
    let result = finish(&phone, clock::now_ms()).await;
    assert_eq!((result["status"].as_str(), result["verification"]["track"]["status"].as_str()), (Some("Disqualified"), Some("mismatch")));
    cheats.push(("off its own track", phone.session_id.clone(), result));

    // given a track of the first two minutes only, and punches for the whole course after it
    let (phone, start) = runner().await;
    let honest = tests::honest_run(&phone.course, &phone.route(), start, 4.0, 2_000);
    upload_all(&phone, &honest.samples[..60]).await;
    punch_all(&phone, &honest.punches.iter().map(|p| p.1).collect::<Vec<_>>()).await;
    let result = finish(&phone, clock::now_ms()).await;
    assert_eq!(
        (result["status"].as_str(), result["verification"]["track"]["status"].as_str(), result["rankable"].as_bool()),
        (Some("OK"), Some("unverified"), Some(false)),
        "{result}"
    );
    cheats.push(("no track near the punches", phone.session_id.clone(), result));

    // given punch times that run backwards as punch_seq goes up
    let (phone, start) = runner().await;
    let n = phone.route().len() as i64;
    let times: Vec<i64> = (0..n).map(|i| start + (n - i) * 150_000).collect();
    let verdicts = punch_all(&phone, &times).await;
    assert_eq!(rejected(&verdicts, "time_reversed"), n as usize - 1);
    let result = finish(&phone, clock::now_ms()).await;
    assert_eq!(result["status"], "MissingPunch", "{result}");
    assert_eq!(result["verification"]["time_order"]["rejected_punch_seqs"].as_array().unwrap().len(), n as usize - 1);
    cheats.push(("times backwards", phone.session_id.clone(), result));

    // and honest runs: an elite's 6 m/s, ...
    let mut honest_runs: Vec<(&str, String, i64)> = Vec::new();
    let (fast, start) = runner().await;
    let (last, times) = fast.run(&fast.route(), start, 6.0).await;
    let result = finish(&fast, times[last as usize]).await;
    assert_eq!((result["status"].as_str(), result["rankable"].as_bool()), (Some("OK"), Some(true)), "{result}");
    honest_runs.push(("fast", fast.session_id.clone(), result["time_s"].as_i64().unwrap()));

    // ... a mini-program's, whose fixes are all GCJ-02, ...
    let (phone, start) = runner().await;
    let run = tests::honest_run(&phone.course, &phone.route(), start, 4.0, 2_000);
    let gcj = |lat: f64, lng: f64| wgs84_to_gcj02(lat, lng);
    let samples: Vec<Value> = run
        .samples
        .iter()
        .map(|s| {
            let (lat, lng) = gcj(s["lat"].as_f64().unwrap(), s["lng"].as_f64().unwrap());
            json!({ "t": s["t"], "lat": lat, "lng": lng, "accuracy_m": s["accuracy_m"] })
        })
        .collect();
    for mut batch in tests::batches_of(&phone.session_id, &samples) {
        batch["coord_sys"] = "gcj02".into();
        assert_eq!(phone.upload(&batch).await.0, StatusCode::OK);
    }
    for (seq, (code, t, lat, lng)) in run.punches.iter().enumerate() {
        let (lat, lng) = gcj(*lat, *lng);
        let mut body = phone.punch_body(seq as u32, code, *t);
        (body["lat"], body["lng"], body["coord_sys"]) = (json!(lat), json!(lng), json!("gcj02"));
        assert_eq!(phone.send_punch(body).await["verdict"], "accepted");
    }
    let result = finish(&phone, run.punches.last().unwrap().1).await;
    assert_eq!((result["status"].as_str(), result["rankable"].as_bool()), (Some("OK"), Some(true)), "{result}");
    honest_runs.push(("GCJ-02", phone.session_id.clone(), result["time_s"].as_i64().unwrap()));

    // ... and an offline phone's, which sends its punches and finish first and its track after,
    // batches shuffled
    let (phone, start) = runner().await;
    let run = tests::honest_run(&phone.course, &phone.route(), start, 4.5, 1_000);
    punch_all(&phone, &run.punches.iter().map(|p| p.1).collect::<Vec<_>>()).await;
    let result = finish(&phone, run.punches.last().unwrap().1).await;
    assert_eq!((result["verification"]["track"]["status"].as_str(), result["rankable"].as_bool()), (Some("unverified"), Some(false)));
    assert!(!board().await.contains(&phone.session_id), "an unverified run ranks");
    let rejudged = Instant::now();
    let mut batches = tests::batches_of(&phone.session_id, &run.samples);
    assert!(batches.len() >= 2);
    batches.reverse();
    for batch in &batches {
        assert_eq!(phone.upload(batch).await.0, StatusCode::OK);
    }
    let rejudged_ms = rejudged.elapsed().as_millis();
    let path = format!("/client/v1/sessions/{}/result", phone.session_id);
    let owner = tests::access_token(
        &shared::store::session::get(&tests::db().await, &phone.session_id).await.unwrap().unwrap().user_id,
        shared::support::types::ClientType::App,
    );
    let (status, read) = api().get(&path, Some(&owner)).await;
    assert_eq!((status, read["data"]["verification"]["track"]["status"].as_str()), (StatusCode::OK, Some("verified")), "{read}");
    assert_eq!((read["data"]["status"].as_str(), read["data"]["rankable"].as_bool()), (Some("OK"), Some(true)));
    honest_runs.push(("offline, track after the finish", phone.session_id.clone(), read["data"]["time_s"].as_i64().unwrap()));

    // then the board holds every honest run, in order of time, and none of the cheats
    let on_board = board().await;
    for (what, session_id, result) in &cheats {
        assert!(!on_board.contains(session_id), "{what} ranks: {result}");
        assert!(result["time_s"].as_i64().is_none_or(|t| t >= 0), "{what}: {result}");
    }
    let positions: Vec<usize> = honest_runs
        .iter()
        .map(|(what, id, _)| on_board.iter().position(|s| s == id).unwrap_or_else(|| panic!("{what} does not rank")))
        .collect();
    let mut by_time = honest_runs.clone();
    by_time.sort_by_key(|(_, _, t)| *t);
    let mut by_rank: Vec<_> = honest_runs.iter().zip(&positions).collect();
    by_rank.sort_by_key(|(_, p)| **p);
    assert_eq!(by_rank.iter().map(|(r, _)| r.2).collect::<Vec<_>>(), by_time.iter().map(|r| r.2).collect::<Vec<_>>());
    println!(
        "judging: {} cheats (negative time, 1 s over 7 km, off its track, no track, times backwards) → 0 ranked; {} honest (6 m/s, GCJ-02, offline track after the finish) → {} ranked; the late track judged again over {} uploads in {rejudged_ms} ms; {:.1} s in all",
        cheats.len(),
        honest_runs.len(),
        positions.len(),
        batches.len(),
        began.elapsed().as_secs_f64()
    );
}
