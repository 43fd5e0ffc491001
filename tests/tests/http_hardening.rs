//! What an outside attack found in the session chain and the account, each reproduced over HTTP
//! against `cargo lambda watch` and closed: an account deleted while its phone still flushes,
//! counts a client sends without bounds, and session tokens that outlived a logout.

use futures::StreamExt;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::model::run::samples::MAX_SESSION_SAMPLES;
use shared::service::run::launch::MAX_SESSIONS_PER_USER;
use shared::store::keys;
use std::time::Instant;
use tests::phone::Phone;
use tests::{Api, Login, World, api, unique, unique_mobile};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// A world whose competition is open to all, with its leaderboard on.
async fn open_competition() -> World {
    let world = World::fresh();
    let mut file = world.file(tests::open_registration(false), true, "rel-1");
    file["competitions"][0]["leaderboard_enabled"] = true.into();
    tests::publish(&file).await;
    world
}

/// Launches `login` into the world's competition over HTTP, as the app does.
async fn launch(api: &Api, world: &World, login: &Login) -> Phone {
    let path = format!("/client/v1/competitions/{}/events/{}/launch", world.competition, world.event);
    Phone::launch_at(api, &login.access_token, &path, (&world.event, &world.release, "route-a")).await
}

/// What a phone that was offline has queued for its session: the track, every punch (an honest
/// run at 5 m/s that began 3 minutes ago), the finish — as `(path, body)` in the order it sends.
fn queue(phone: &Phone) -> Vec<(String, Value)> {
    let route = phone.course.routes[0].controls.clone();
    let run = tests::honest_run(&phone.course, &route, shared::support::clock::now_ms() - 180_000, 5.0, 2_000);
    let mut queue: Vec<(String, Value)> =
        tests::batches_of(&phone.session_id, &run.samples).into_iter().map(|b| ("/client/v1/session-uploads".to_string(), b)).collect();
    for (seq, (code, t, _, _)) in run.punches.iter().enumerate() {
        queue.push(("/client/v1/punches".into(), phone.punch_body(seq as u32, code, *t)));
    }
    let finish = json!({ "last_punch_seq": route.len() - 1, "reason": "completed", "finished_at": run.punches.last().unwrap().1 });
    queue.push((format!("/client/v1/sessions/{}/finish", phone.session_id), finish));
    queue
}

#[tokio::test]
async fn deleting_an_account_while_its_phone_flushes_its_queue_leaves_nothing_of_it() {
    // given 20 runners, each with a session launched over HTTP and a phone's queue to flush
    let api = api();
    let world = open_competition().await;
    const ROUNDS: usize = 20;
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let mobile = unique_mobile();
        let login = api.sms_login(&mobile).await;
        let phone = launch(&api, &world, &login).await;
        rounds.push((mobile, login, phone));
    }
    // (the deletion's confirmation code can be asked for once the login's has cooled down)
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;

    // when each deletes their account while their phone sends its queue, the deletion let go
    // after a different number of the phone's requests in each round
    let began = Instant::now();
    let outcomes: Vec<(StatusCode, Vec<StatusCode>)> =
        futures::stream::iter(rounds.iter().enumerate().map(|(round, (mobile, login, phone))| {
            let api = api.clone();
            async move {
                let queue = queue(phone);
                let head_start = round % queue.len();
                let confirm = json!({ "country_code": "86", "mobile": mobile, "sms_code": api.ask_code(mobile).await });
                let (tx, rx) = tokio::sync::oneshot::channel();
                let flush = async {
                    let mut statuses = Vec::new();
                    let mut tx = Some(tx);
                    for (i, (path, body)) in queue.iter().enumerate() {
                        if i == head_start {
                            let _ = tx.take().map(|tx| tx.send(()));
                        }
                        statuses.push(api.post(path, Some(&phone.token), body.clone()).await.0);
                    }
                    statuses
                };
                let delete = async {
                    let _ = rx.await;
                    api.send("DELETE", "/client/v1/me", Some(&login.access_token), Some(confirm.clone())).await
                };
                let (statuses, (deleted, body)) = tokio::join!(flush, delete);
                assert_eq!(deleted, StatusCode::OK, "{body}");
                (deleted, statuses)
            }
        }))
        .buffer_unordered(ROUNDS)
        .collect()
        .await;
    let took = began.elapsed();

    // then no item holds any of their user ids or their sessions' ids, and their runs are on no board
    let items = tests::scan_table().await;
    for (_, login, phone) in &rounds {
        let left: Vec<&String> = items.iter().filter(|i| i.contains(&login.user_id) || i.contains(&phone.session_id)).collect();
        assert!(left.is_empty(), "left of {}: {left:?}", login.user_id);
    }
    // and every write that came after the deletion was refused: 401 (the login ended) or 404
    let refused = outcomes.iter().flat_map(|(_, s)| s).filter(|s| **s == StatusCode::UNAUTHORIZED || **s == StatusCode::NOT_FOUND).count();
    let taken = outcomes.iter().flat_map(|(_, s)| s).filter(|s| **s == StatusCode::OK).count();
    assert!(
        outcomes.iter().flat_map(|(_, s)| s).all(|s| [StatusCode::OK, StatusCode::UNAUTHORIZED, StatusCode::NOT_FOUND].contains(s)),
        "{outcomes:?}"
    );
    assert!(refused > 0 && taken > 0, "the races did not overlap: {taken} taken, {refused} refused");
    println!(
        "account deletion: {ROUNDS} deletions racing their phones' queues ({taken} writes taken before, {refused} refused after) in {:.1} s → nothing of any user left",
        took.as_secs_f64()
    );
}

#[tokio::test]
async fn every_count_a_client_sends_is_bounded_and_answers_a_bounded_size() {
    // given a running session launched over HTTP
    let api = api();
    let world = World::publish(false, true).await;
    let login = api.sms_login(&unique_mobile()).await;
    let phone = Phone::launch_at(
        &api,
        &login.access_token,
        &format!("/client/v1/events/{}/launch", world.event),
        (&world.event, &world.release, "route-a"),
    )
    .await;
    let now = shared::support::clock::now_ms();
    let finish = |last: Value| json!({ "last_punch_seq": last, "reason": "completed", "finished_at": now });
    let path = format!("/client/v1/sessions/{}/finish", phone.session_id);

    // when a finish names a last punch beyond any punch_seq, up to 2³²−1
    for last in [json!(1000), json!(20_000), json!(u32::MAX)] {
        let (status, body) = api.post(&path, Some(&phone.token), finish(last.clone())).await;
        // then it is refused naming the field, at once
        assert_eq!(
            (status, body["error"]["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("last_punch_seq")),
            "{last}: {body}"
        );
    }
    // and the largest it takes answers a list of at most 1,000 missing punches
    let (status, body) = api.post(&path, Some(&phone.token), finish(json!(999))).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "punches_missing"));
    let bytes = body.to_string().len();
    assert_eq!(body["error"]["details"]["missing_punch_seqs"].as_array().unwrap().len(), 1000);
    assert!(bytes < 8_000, "{bytes} bytes");

    // when a session holds all but 10 of the samples a session may
    let db = tests::db().await;
    let mut session = shared::store::session::get(&db, &phone.session_id).await.unwrap().unwrap();
    let full = shared::model::run::session::Session {
        session_id: shared::support::ids::mint("ses"),
        sample_count: MAX_SESSION_SAMPLES - 10,
        ..session.clone()
    };
    let full_token = tests::write_session(&db, &full).await;
    let samples = |n: i64| -> Vec<Value> {
        (0..n).map(|i| json!({ "t": now - 60_000 + i * 1000, "lat": 31.04, "lng": 121.21, "accuracy_m": 5 })).collect()
    };
    let batch = |seq: u32, n: i64| json!({ "session_id": full.session_id, "batch_seq": seq, "coord_sys": "wgs84", "samples": samples(n) });
    // then 11 more are refused with their own code, 10 are taken, and a resend of them still answers
    let (status, body) = api.post("/client/v1/session-uploads", Some(&full_token), batch(0, 11)).await;
    assert_eq!(
        (status, code(&body), body["error"]["details"]["field"].as_str()),
        (StatusCode::CONFLICT, "session_track_full", Some("samples")),
        "{body}"
    );
    let (status, body) = api.post("/client/v1/session-uploads", Some(&full_token), batch(0, 10)).await;
    assert_eq!((status, body["data"]["samples_stored"].as_u64()), (StatusCode::OK, Some(10)), "{body}");
    let (status, body) = api.post("/client/v1/session-uploads", Some(&full_token), batch(0, 10)).await;
    assert_eq!((status, body["data"]["duplicate"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
    let (status, body) = api.post("/client/v1/session-uploads", Some(&full_token), batch(1, 1)).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "session_track_full"), "{body}");
    let held = shared::store::session::get(&db, &full.session_id).await.unwrap().unwrap();
    assert_eq!(held.sample_count, MAX_SESSION_SAMPLES, "nothing counted twice");

    // when an account has launched all the sessions an account may
    session.user_id = login.user_id.clone();
    let counter = keys::user_session_count(&login.user_id);
    let mut count = counter.to_map();
    count.insert("launched".into(), aws_sdk_dynamodb::types::AttributeValue::N((MAX_SESSIONS_PER_USER - 1).to_string()));
    tests::dynamodb().await.put_item().table_name(tests::table_name()).set_item(Some(count)).send().await.unwrap();
    let launch_path = format!("/client/v1/events/{}/launch", world.event);
    let body = |id: &str| json!({ "launch_request_id": id, "device_id": "dev_run", "client_type": "app", "release_id": world.release, "route_code": "route-a" });
    // then the last is launched and the next is refused with its own code
    let (status, last) = api.post(&launch_path, Some(&login.access_token), body(&unique("l_"))).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    let (status, refused) = api.post(&launch_path, Some(&login.access_token), body(&unique("l_"))).await;
    assert_eq!((status, code(&refused)), (StatusCode::CONFLICT, "session_limit_reached"), "{refused}");
    println!(
        "bounds: last_punch_seq ≤ 999 (1000, 20000, 2³²−1 → 400); the largest missing list {bytes} bytes; {MAX_SESSION_SAMPLES} samples a session, {MAX_SESSIONS_PER_USER} sessions an account → 409"
    );
}

#[tokio::test]
async fn logging_out_ends_the_sessions_that_login_launched() {
    // given one runner logged in on two phones, each with a running session
    let api = api();
    let world = open_competition().await;
    let mobile = unique_mobile();
    let first = api.sms_login(&mobile).await;
    let first_phone = launch(&api, &world, &first).await;
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    let code = api.ask_code(&mobile).await;
    let login = json!({ "login_request_id": unique("login_"), "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": "dev_second" });
    let (status, body) = api.post("/client/v1/auth/login/sms", None, login).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let field = |name: &str| body["data"][name].as_str().unwrap().to_string();
    let second = Login { user_id: field("user_id"), access_token: field("access_token"), refresh_token: field("refresh_token") };
    let launch_body = json!({ "launch_request_id": unique("l_"), "device_id": "dev_second", "client_type": "app", "release_id": world.release, "route_code": "route-a" });
    let launch_path = format!("/client/v1/competitions/{}/events/{}/launch", world.competition, world.event);
    let (status, launched) = api.post(&launch_path, Some(&second.access_token), launch_body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{launched}");
    let session_id = launched["data"]["session_id"].as_str().unwrap().to_string();
    let course = shared::store::session::get(&tests::db().await, &session_id).await.unwrap().unwrap().course;
    let second_phone = Phone { api: api.clone(), token: launched["data"]["session_token"].as_str().unwrap().into(), session_id, course };
    let start = |phone: &Phone, seq: u32| phone.punch_body(seq, "S1", shared::support::clock::now_ms() - 1_000);
    let punch = |phone: &Phone, body: Value| {
        let (api, token) = (api.clone(), phone.token.clone());
        async move { api.post("/client/v1/punches", Some(&token), body).await.0 }
    };
    assert_eq!(punch(&first_phone, start(&first_phone, 0)).await, StatusCode::OK);
    assert_eq!(punch(&second_phone, start(&second_phone, 0)).await, StatusCode::OK);

    // when the first phone's login logs out (this device only)
    let out = json!({ "refresh_token": first.refresh_token });
    assert_eq!(api.post("/client/v1/auth/logout", Some(&first.access_token), out).await.0, StatusCode::OK);
    // then its session's punches, uploads and finish answer 401; the other phone's still count
    assert_eq!(punch(&first_phone, start(&first_phone, 1)).await, StatusCode::UNAUTHORIZED);
    let upload = json!({ "session_id": first_phone.session_id, "batch_seq": 0, "coord_sys": "wgs84", "samples": [{ "t": shared::support::clock::now_ms() - 500, "lat": 31.04, "lng": 121.21, "accuracy_m": 5 }] });
    assert_eq!(api.post("/client/v1/session-uploads", Some(&first_phone.token), upload).await.0, StatusCode::UNAUTHORIZED);
    let finish = json!({ "last_punch_seq": 0, "reason": "abandoned", "finished_at": shared::support::clock::now_ms() });
    let finish_path = |phone: &Phone| format!("/client/v1/sessions/{}/finish", phone.session_id);
    assert_eq!(api.post(&finish_path(&first_phone), Some(&first_phone.token), finish.clone()).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(punch(&second_phone, start(&second_phone, 1)).await, StatusCode::OK);
    // and a launch replayed with the ended login no longer hands out its session token
    let replayed = launch_body.clone();
    assert_eq!(api.post(&launch_path, Some(&second.access_token), replayed.clone()).await.0, StatusCode::OK, "the live login replays");

    // when the second logs out of all devices
    let all = json!({ "refresh_token": second.refresh_token, "all_devices": true });
    assert_eq!(api.post("/client/v1/auth/logout", Some(&second.access_token), all).await.0, StatusCode::OK);
    // then every session of the account is stopped, and the replayed launch is 401
    assert_eq!(punch(&second_phone, start(&second_phone, 2)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api.post(&finish_path(&second_phone), Some(&second_phone.token), finish).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = api.post(&launch_path, Some(&second.access_token), replayed).await;
    assert_eq!((status, body["data"]["session_token"].as_str()), (StatusCode::UNAUTHORIZED, None), "{body}");
    // and nothing was written by the refused calls
    let db = tests::db().await;
    assert!(shared::store::session::batches(&db, &first_phone.session_id).await.unwrap().is_empty());
    let first_session = shared::store::session::get(&db, &first_phone.session_id).await.unwrap().unwrap();
    assert_eq!((first_session.punch_count, first_session.state.as_str()), (1, "active"));
}
