//! The account's life over HTTP against `cargo lambda watch`: `GET /me`, binding a second
//! mobile, my registrations with their cursor, cancelling under a race with registering, and
//! deleting the account.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tests::{World, api, unique, unique_mobile};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// A competition whose registration is open and which starts tomorrow, with `capacity` places.
async fn upcoming_competition(capacity: Option<i64>) -> World {
    let world = World::fresh();
    let mut registration = tests::open_registration(false);
    if let Some(capacity) = capacity {
        registration["capacity"] = capacity.into();
    }
    let mut file = world.file(registration, true, "rel-1");
    let at = |offset: i64| shared::support::clock::rfc3339(shared::support::clock::now() + offset);
    file["competitions"][0]["competition_start_at"] = at(86_400).into();
    file["competitions"][0]["competition_end_at"] = at(2 * 86_400).into();
    tests::publish(&file).await;
    world
}

#[tokio::test]
async fn me_and_a_second_mobile_over_http() {
    let api = api();
    // given a user logged in with one mobile
    let first = unique_mobile();
    let user = api.sms_login(&first).await;
    let (status, me) = api.get("/client/v1/me", Some(&user.access_token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["data"]["logins"]["mobile"], format!("+86 {}****{}", &first[..3], &first[7..]));

    // when they try to add a second mobile (one per account), with its code
    let second = unique_mobile();
    let code_for_second = api.ask_code(&second).await;
    let bind = json!({ "country_code": "86", "mobile": second, "sms_code": code_for_second });
    let (status, answer) = api.post("/client/v1/me/identities/mobile", Some(&user.access_token), bind).await;
    // then it is refused, the code left unspent, and that mobile still makes its own user
    assert_eq!((status, code(&answer)), (StatusCode::CONFLICT, "login_already_bound"), "{answer}");
    let login = json!({ "login_request_id": unique("login_"), "country_code": "86", "mobile": second, "sms_code": code_for_second, "client_type": "app", "device_id": "dev_http" });
    let (status, other) = api.post("/client/v1/auth/login/sms", None, login).await;
    assert_eq!(status, StatusCode::OK, "{other}");
    assert_ne!(other["data"]["user_id"], user.user_id.as_str());
    // and anonymous callers get no account
    assert_eq!(api.get("/client/v1/me", None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn my_registrations_come_newest_first_a_page_at_a_time() {
    let api = api();
    let user = api.sms_login(&unique_mobile()).await;
    // given registrations for three competitions, one after another
    let mut ids = Vec::new();
    for _ in 0..3 {
        let world = upcoming_competition(None).await;
        let (status, body) =
            api.post(&format!("/client/v1/competitions/{}/registrations", world.competition), Some(&user.access_token), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(world.competition);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }

    // when they are listed two at a time
    let (status, first) = api.get("/client/v1/me/registrations?limit=2", Some(&user.access_token)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let cursor = first["data"]["next_cursor"].as_str().expect("a next page").to_string();
    let (_, second) = api.get(&format!("/client/v1/me/registrations?limit=2&cursor={cursor}"), Some(&user.access_token)).await;

    // then newest first, each once, and the last page says so
    let listed: Vec<&str> = first["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["data"]["items"].as_array().unwrap())
        .map(|r| r["competition_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids.iter().rev().map(String::as_str).collect::<Vec<_>>());
    assert!(second["data"]["next_cursor"].is_null(), "{second}");
    // and a cursor that is not one is a 400 naming it
    let (status, body) = api.get("/client/v1/me/registrations?cursor=nonsense!", Some(&user.access_token)).await;
    assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("cursor")));
}

#[tokio::test]
async fn a_hundred_concurrent_registers_and_cancels_keep_the_count_true() {
    let api = api();
    // given a competition with 10 places, starting tomorrow
    let world = upcoming_competition(Some(10)).await;
    let path = format!("/client/v1/competitions/{}/registrations", world.competition);

    // when 100 users at once register, half of them cancelling straight after
    let answers = futures::future::join_all((0..100).map(|i| {
        let (api, path) = (api.clone(), path.clone());
        async move {
            let token = tests::access_token(&unique("usr_"), shared::support::types::ClientType::App);
            let (registered, _) = api.post(&path, Some(&token), json!({})).await;
            let cancelled = match i % 2 {
                1 => Some(api.send("DELETE", &path, Some(&token), None).await.0),
                _ => None,
            };
            (registered, cancelled)
        }
    }))
    .await;

    // then the count is exactly the registrations that exist, within the capacity
    let registrations = tests::db()
        .await
        .query(&shared::store::keys::competition_pk(&world.competition), shared::store::db::Range::Prefix("REG#"), None)
        .await
        .unwrap()
        .len() as i64;
    let count = shared::store::catalog::competition(&tests::db().await, &world.competition).await.unwrap().unwrap().registered_count;
    assert_eq!(count, registrations);
    assert!(count <= 10);
    let accepted = answers.iter().filter(|(r, _)| *r == StatusCode::OK).count();
    let cancelled = answers.iter().filter(|(_, c)| *c == Some(StatusCode::OK)).count();
    assert_eq!(accepted - cancelled, registrations as usize);
    println!(
        "registrations: 100 concurrent registers (half cancelled at once), capacity 10 → {accepted} accepted, {cancelled} cancelled, registered_count {count} = {registrations} registrations"
    );

    // and cancelling what is not there is a 404, after the start a 403
    let stranger = tests::access_token(&unique("usr_"), shared::support::types::ClientType::App);
    let (status, body) = api.send("DELETE", &path, Some(&stranger), None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "registration_not_found"));
    let started = World::publish(false, true).await;
    let started_path = format!("/client/v1/competitions/{}/registrations", started.competition);
    assert_eq!(api.post(&started_path, Some(&stranger), json!({})).await.0, StatusCode::OK);
    let (status, body) = api.send("DELETE", &started_path, Some(&stranger), None).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "cancellation_closed"));
}

#[tokio::test]
async fn deleting_the_account_over_http_leaves_no_item_with_the_user_id() {
    let api = api();
    // given a user with a profile and a registration
    let mobile = unique_mobile();
    let user = api.sms_login(&mobile).await;
    assert_eq!(api.put("/client/v1/me/body-profile", Some(&user.access_token), json!({ "weight_kg": 60 })).await.0, StatusCode::OK);
    let world = upcoming_competition(None).await;
    let path = format!("/client/v1/competitions/{}/registrations", world.competition);
    assert_eq!(api.post(&path, Some(&user.access_token), json!({})).await.0, StatusCode::OK);
    // and a finished run in the competition: track, punches, result and a leaderboard entry
    let db = tests::db().await;
    let mut session = tests::session_record(&db, &user.user_id, &world.event, &world.release, "route-a", 600).await;
    session.competition_id = Some(world.competition.clone());
    let token = tests::write_session(&db, &session).await;
    let t0 = session.created_at * 1000 + 10_000;
    let route = session.course.routes[0].controls.clone();
    let run = tests::honest_run(&session.course, &route, t0, 4.0, 2_000);
    for batch in tests::batches_of(&session.session_id, &run.samples) {
        assert_eq!(api.post("/client/v1/session-uploads", Some(&token), batch).await.0, StatusCode::OK);
    }
    for (seq, (code, t, lat, lng)) in run.punches.iter().enumerate() {
        let punch = json!({ "session_id": session.session_id, "punch_seq": seq, "control_code": code, "t": t, "lat": lat, "lng": lng, "accuracy_m": 5, "coord_sys": "wgs84", "method": "gps" });
        assert_eq!(api.post("/client/v1/punches", Some(&token), punch).await.0, StatusCode::OK);
    }
    let finish = json!({ "last_punch_seq": route.len() - 1, "reason": "completed", "finished_at": run.punches.last().unwrap().1 });
    let (status, result) = api.post(&format!("/client/v1/sessions/{}/finish", session.session_id), Some(&token), finish).await;
    assert_eq!((status, result["data"]["status"].as_str()), (StatusCode::OK, Some("OK")), "{result}");
    let board = shared::model::leaderboard::Board::of(&world.competition, &world.event, "route-a");
    assert!(shared::store::board::entry(&db, board, &user.user_id).await.unwrap().is_some(), "the run is on the board");

    // when they delete it, confirming with a wrong code first, then with a fresh code (asked for
    // once the login's code has cooled down)
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    let wrong = json!({ "country_code": "86", "mobile": mobile, "sms_code": "000000" });
    let (status, body) = api.send("DELETE", "/client/v1/me", Some(&user.access_token), Some(wrong)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let confirm = json!({ "country_code": "86", "mobile": mobile, "sms_code": api.ask_code(&mobile).await });
    let (status, body) = api.send("DELETE", "/client/v1/me", Some(&user.access_token), Some(confirm)).await;

    // then nothing of theirs is left, and their token is refused
    assert_eq!(status, StatusCode::OK, "{body}");
    let left: Vec<String> = tests::scan_table().await.into_iter().filter(|item| item.contains(&user.user_id)).collect();
    assert_eq!(left, Vec::<String>::new());
    assert_eq!(api.get("/client/v1/me", Some(&user.access_token)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.post(&path, Some(&user.access_token), json!({})).await.0, StatusCode::UNAUTHORIZED);
    assert_ne!(api.sms_login(&mobile).await.user_id, user.user_id);
}
