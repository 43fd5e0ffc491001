//! The session chain through the `sessions` handler with the `events/` events, exactly as API
//! Gateway delivers them: upload, punch, finish, result and history of one run, and who may
//! call each.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::support::clock;
use tests::{World, invoke, sessions, unique, with_bearer, with_body};

/// The event of `name` aimed at `session_id`'s path, with a bearer and (for writes) a body.
fn aimed(e: &mut Value, session_id: &str, token: &str, body: Option<Value>) {
    if let Some(raw) = e["rawPath"].as_str().map(str::to_owned) {
        let path = raw.replace("ses_01J9Z9G7H8J9", session_id);
        e["rawPath"] = path.clone().into();
        e["requestContext"]["http"]["path"] = path.into();
    }
    if e.get("pathParameters").is_some() {
        e["pathParameters"]["session_id"] = session_id.into();
    }
    with_bearer(e, token);
    if let Some(body) = body {
        with_body(e, body);
    }
}

#[tokio::test]
async fn one_run_through_the_five_events() {
    // given a session launched twenty minutes ago on a published course
    let f = sessions().await;
    let world = World::publish(false, true).await;
    let user = unique("usr_ev_");
    let (session, token) = tests::running_session(&f.db, &user, &world.event, &world.release, "route-a", 1200).await;
    let access = tests::access_token(&user, shared::support::types::ClientType::App);
    let sid = session.session_id.clone();
    let route = session.course.routes[0].controls.clone();
    let t0 = session.created_at * 1000 + 30_000;

    // when the phone uploads a batch (GCJ-02, as the mini-program reports it), standing at the start
    let start = session.course.control(&route[0]).unwrap();
    let (glat, glng) = shared::model::run::coords::wgs84_to_gcj02(start.lat, start.lng);
    let samples: Vec<Value> =
        (0..30).map(|i| json!({ "t": t0 + i * 1000, "lat": glat, "lng": glng, "accuracy_m": 4, "heart_rate_bpm": 130 })).collect();
    let batch = json!({ "session_id": sid, "batch_seq": 0, "coord_sys": "gcj02", "samples": samples });
    let (status, held) = invoke(&f, "sessions-session-uploads", |e| aimed(e, &sid, &token, Some(batch.clone()))).await;
    assert_eq!((status, held["data"]["samples_stored"].as_u64()), (StatusCode::OK, Some(30)), "{held}");
    let stored = shared::store::session::batches(&f.db, &sid).await.unwrap()[0].samples();
    let (lat, lng) = shared::model::run::coords::gcj02_to_wgs84(glat, glng);
    assert!(shared::model::run::coords::distance_m(stored[0].lat, stored[0].lng, lat, lng) < 0.05, "stored in WGS-84");

    // and punches every control of its route, 90 s apart (its longest leg is 530 m)
    for (seq, code) in route.iter().enumerate() {
        let c = session.course.control(code).unwrap();
        let punch = json!({ "session_id": sid, "punch_seq": seq, "control_code": code, "t": t0 + seq as i64 * 90_000, "lat": c.lat, "lng": c.lng, "accuracy_m": 5, "coord_sys": "wgs84", "method": "gps" });
        let (status, verdict) = invoke(&f, "sessions-punches", |e| aimed(e, &sid, &token, Some(punch))).await;
        assert_eq!((status, verdict["data"]["verdict"].as_str()), (StatusCode::OK, Some("accepted")), "{verdict}");
    }
    // and finishes
    let last = route.len() - 1;
    let finish = json!({ "last_punch_seq": last, "reason": "completed", "finished_at": t0 + last as i64 * 90_000 });
    let (status, finished) = invoke(&f, "sessions-finish", |e| aimed(e, &sid, &token, Some(finish.clone()))).await;

    // then the result is OK, its time the finish punch less the start punch
    assert_eq!((status, finished["data"]["status"].as_str()), (StatusCode::OK, Some("OK")), "{finished}");
    assert_eq!(finished["data"]["time_s"].as_i64(), Some(last as i64 * 90));

    // and the owner reads it back, and finds it in the history
    let (status, result) = invoke(&f, "sessions-result", |e| aimed(e, &sid, &access, None)).await;
    assert_eq!((status, &result["data"]), (StatusCode::OK, &finished["data"]));
    // and its track as a GPX file other apps open (GPX 1.1 with Garmin's heart-rate extension)
    let event = std::fs::read_to_string(tests::repo_path("events/sessions-gps-track.json")).unwrap();
    let mut event: Value = serde_json::from_str(&event).unwrap();
    aimed(&mut event, &sid, &access, None);
    event["rawQueryString"] = "format=gpx".into();
    event["queryStringParameters"] = json!({ "format": "gpx" });
    let res = shared::http::handler::handle(&f, lambda_http::request::from_str(&event.to_string()).unwrap()).await;
    assert_eq!((res.status(), res.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "application/gpx+xml"));
    let lambda_http::Body::Text(gpx) = res.body() else { panic!("a text body") };
    assert_eq!((gpx.matches("<trkpt ").count(), gpx.matches("<gpxtpx:hr>130</gpxtpx:hr>").count()), (30, 30));
    let path = std::env::temp_dir().join(format!("{}.gpx", unique("track-")));
    std::fs::write(&path, gpx).unwrap();
    tests::validate_xml("docs/schemas/gpx-1.1.xsd", &path).unwrap_or_else(|e| panic!("{e}"));

    let (status, history) = invoke(&f, "sessions-me-sessions", |e| aimed(e, &sid, &access, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history["data"]["items"][0]["session_id"], sid.as_str());
    assert_eq!(history["data"]["items"][0]["state"], "finished");
}

#[tokio::test]
async fn writes_take_the_session_token_of_that_session_and_reads_the_owners_access_token() {
    let f = sessions().await;
    let world = World::publish(false, true).await;
    let user = unique("usr_ev_");
    let (session, token) = tests::running_session(&f.db, &user, &world.event, &world.release, "route-a", 600).await;
    let (other, other_token) = tests::running_session(&f.db, &user, &world.event, &world.release, "route-a", 600).await;
    let access = tests::access_token(&user, shared::support::types::ClientType::App);
    let stranger = tests::access_token(&unique("usr_stranger_"), shared::support::types::ClientType::App);
    let sid = session.session_id.clone();
    let finish = json!({ "reason": "abandoned", "finished_at": clock::now_ms() });

    // an access token cannot write, a session token cannot read
    let (status, _) = invoke(&f, "sessions-finish", |e| aimed(e, &sid, &access, Some(finish.clone()))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = invoke(&f, "sessions-result", |e| aimed(e, &sid, &token, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // another session's token does not reach this one
    let (status, answer) = invoke(&f, "sessions-finish", |e| aimed(e, &sid, &other_token, Some(finish.clone()))).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("session_not_found")));
    // before the finish there is no result; another user is told there is no such session
    let (status, answer) = invoke(&f, "sessions-result", |e| aimed(e, &sid, &access, None)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("session_not_finished")));
    let (status, answer) = invoke(&f, "sessions-result", |e| aimed(e, &sid, &stranger, None)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("session_not_found")));
    // and nothing of either session changed
    for id in [&sid, &other.session_id] {
        let chain = shared::store::session::chain(&f.db, id).await.unwrap().unwrap();
        assert!(chain.result.is_none() && chain.session.state == shared::model::run::session::SessionState::Active);
    }
}

#[tokio::test]
async fn the_results_of_a_route_export_as_an_iof_result_list_that_validates() {
    // given four runs on one route: a clean one, one missing its second control, one abandoned,
    // and a clean one whose track never arrived
    let f = sessions().await;
    let world = World::publish(false, true).await;
    let mut finished = Vec::new();
    for (skip, reason, tracked) in
        [(None, "completed", true), (Some(2), "completed", true), (None, "abandoned", true), (None, "completed", false)]
    {
        let user = unique("usr_iof_");
        let (session, token) = tests::running_session(&f.db, &user, &world.event, &world.release, "route-a", 900).await;
        let t0 = session.created_at * 1000 + 30_000;
        let route: Vec<String> =
            session.course.routes[0].controls.iter().enumerate().filter(|(i, _)| Some(*i) != skip).map(|(_, c)| c.clone()).collect();
        let run = tests::honest_run(&session.course, &route, t0, 4.0, 2_000);
        for batch in tests::batches_of(&session.session_id, &run.samples).into_iter().filter(|_| tracked) {
            let (status, held) = invoke(&f, "sessions-session-uploads", |e| aimed(e, &session.session_id, &token, Some(batch))).await;
            assert_eq!(status, StatusCode::OK, "{held}");
        }
        for (seq, (code, t, lat, lng)) in run.punches.iter().enumerate() {
            let punch = json!({ "session_id": session.session_id, "punch_seq": seq, "control_code": code, "t": t, "lat": lat, "lng": lng, "accuracy_m": 5, "coord_sys": "wgs84", "method": "gps" });
            invoke(&f, "sessions-punches", |e| aimed(e, &session.session_id, &token, Some(punch))).await;
        }
        let finish = json!({ "last_punch_seq": route.len() - 1, "reason": reason, "finished_at": t0 + 600_000 });
        let (status, result) = invoke(&f, "sessions-finish", |e| aimed(e, &session.session_id, &token, Some(finish))).await;
        assert_eq!(status, StatusCode::OK, "{result}");
        finished.push(format!("{} {}", result["data"]["status"].as_str().unwrap(), result["data"]["rankable"]));
    }
    assert_eq!(finished, ["OK true", "MissingPunch false", "DidNotFinish false", "OK false"]);

    // when the catalog tool exports the route
    let xml = catalog_tool::results::export(&f.db, &world.event, "route-a", None, clock::now_ms()).await.unwrap();

    // then it is a ResultList the official IOF 3.0 schema accepts, with a position for the OK run only
    let path = std::env::temp_dir().join(format!("{}.xml", unique("results-")));
    std::fs::write(&path, &xml).unwrap();
    tests::validate_xml("catalog-tool/schemas/IOF.xsd", &path).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(xml.matches("<PersonResult>").count(), 4);
    assert_eq!(xml.matches("<Position>").count(), 1);
    let statuses =
        ["<Status>OK</Status>", "<Status>MissingPunch</Status>", "<Status>DidNotFinish</Status>", "<Status>NotCompeting</Status>"];
    for status in statuses.iter().chain(&["status=\"Missing\""]) {
        assert!(xml.contains(status), "{status} in {xml}");
    }
    assert!(!xml.contains("usr_iof_"), "a user id in the export");
    println!(
        "iof export: 4 stored results of one route (OK, MissingPunch, DidNotFinish, an unverified OK as NotCompeting) → ResultList of {} bytes, valid against IOF.xsd",
        xml.len()
    );
}

#[tokio::test]
async fn punches_judged_per_second_through_the_handler() {
    // given a started run on a suite table of its own (moto's transactions copy the whole table,
    // so this is the rate without the shared HTTP table's weight)
    let f = sessions().await;
    let world = World::publish(false, true).await;
    let (session, token) = tests::running_session(&f.db, &unique("usr_rate_"), &world.event, &world.release, "route-a", 3600).await;
    let route = session.course.routes[0].controls.clone();
    let t0 = session.created_at * 1000 + 30_000;
    let punch = |seq: usize, code: &str| {
        let c = session.course.control(code).unwrap();
        json!({ "session_id": session.session_id, "punch_seq": seq, "control_code": code, "t": t0 + seq as i64 * 30_000, "lat": c.lat, "lng": c.lng, "accuracy_m": 5, "coord_sys": "wgs84", "method": "gps" })
    };
    // when 100 punches alternate between two controls 67 m apart, 30 s apart
    let began = std::time::Instant::now();
    for seq in 0..100 {
        let code = if seq == 0 { &route[0] } else { &route[1 + seq % 2] };
        let (status, verdict) = invoke(&f, "sessions-punches", |e| aimed(e, &session.session_id, &token, Some(punch(seq, code)))).await;
        assert_eq!((status, verdict["data"]["verdict"].as_str()), (StatusCode::OK, Some("accepted")), "{verdict}");
    }
    let rate = 100.0 / began.elapsed().as_secs_f64();
    // then each was judged and counted
    let chain = shared::store::session::chain(&f.db, &session.session_id).await.unwrap().unwrap();
    assert_eq!((chain.punches.len(), chain.session.punch_count), (100, 100));
    println!(
        "punches: 100 judged through the handler on a table of its own → {rate:.0} punches/s (1 BatchGetItem + 1 transaction each, whatever the run holds)"
    );
}
