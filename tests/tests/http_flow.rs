//! The API as a client developer meets it: over HTTP against `cargo lambda watch` (started by
//! `make test`), on the real paths of template.yaml.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tests::{api, last_code, unique, unique_mobile};

#[tokio::test]
async fn the_demo_flow_cards_competition_event_register_launch() {
    // given the demo catalog, loaded as `make dev` loads it
    tests::publish(&serde_norway::from_str::<Value>(&std::fs::read_to_string(tests::repo_path("catalog/demo.yaml")).unwrap()).unwrap())
        .await;
    let api = api();
    let tests::Login { user_id, access_token: token, refresh_token: refresh } = api.sms_login(&unique_mobile()).await;

    // cards → competition → event
    let (status, cards) = api.get("/client/v1/cards?region_code=310000", None).await;
    assert_eq!(status, StatusCode::OK);
    let card = cards["data"]["items"].as_array().unwrap().iter().find(|c| c["card_id"] == "crd_classic_demo_001").expect("demo card");
    assert_eq!(card["competition_id"], "cmp_classic_demo_001");
    let (status, competition) = api.get("/client/v1/competitions/cmp_classic_demo_001", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{competition}");
    assert_eq!(competition["data"]["registration_status"], Value::Null);
    let event =
        competition["data"]["events"].as_array().unwrap().iter().find(|e| e["event_id"] == "sample-classic-001").expect("demo event");
    assert_eq!(event["current_release_id"], "sample-classic-001-rel-1");
    let (status, detail) = api.get("/client/v1/competitions/cmp_classic_demo_001/events/sample-classic-001", None).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["data"]["map_summary"]["map_id"], "lxcb-001");

    // register → it shows in the competition
    let (status, reg) = api.post("/client/v1/competitions/cmp_classic_demo_001/registrations", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reg}");
    let (_, competition) = api.get("/client/v1/competitions/cmp_classic_demo_001", Some(&token)).await;
    assert_eq!(competition["data"]["registration_status"], "registered");

    // launch on the demo release and route
    let launch = json!({ "launch_request_id": unique("l_"), "device_id": "dev_http", "client_type": "app", "release_id": "sample-classic-001-rel-1", "route_code": "classic-001" });
    let (status, session) =
        api.post("/client/v1/competitions/cmp_classic_demo_001/events/sample-classic-001/launch", Some(&token), launch).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["data"]["event_release_id"], "sample-classic-001-rel-1");
    assert_eq!(session["data"]["route_code"], "classic-001");

    // the body profile and a refresh work with the same login
    let (status, profile) = api
        .put(
            "/client/v1/me/body-profile",
            Some(&token),
            json!({ "gender": "female", "birth_date": "1990-01-02", "height_cm": 168, "weight_kg": 55.5 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(
        (profile["data"]["user_id"].as_str(), profile["data"]["body_profile_status"].as_str()),
        (Some(user_id.as_str()), Some("completed"))
    );
    let (status, refreshed) = api.post("/client/v1/auth/refresh", None, json!({ "refresh_token": refresh, "client_type": "app" })).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_enveloped() {
    let api = api();
    let cases = [
        ("GET", "/client/v1/leaderboards", StatusCode::NOT_FOUND, "not_found"),
        ("GET", "/client/v1/competitions/cmp_x/events/e/launch/now", StatusCode::NOT_FOUND, "not_found"),
        ("GET", "/client/v1/auth/sms/send", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("DELETE", "/client/v1/cards", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("POST", "/client/v1/maps/lxcb-001", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("GET", "/client/v1/me/sessions", StatusCode::UNAUTHORIZED, "unauthorized"),
        ("POST", "/client/v1/punches", StatusCode::UNAUTHORIZED, "unauthorized"),
        ("PUT", "/client/v1/punches", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
    ];
    for (method, path, want_status, want_code) in cases {
        let (status, body) = api.send(method, path, None, None).await;
        assert_eq!((status, body["error"]["code"].as_str().unwrap()), (want_status, want_code), "{method} {path}");
    }
    let res = api.http.get(format!("{}/client/v1/openapi.yaml", api.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().starts_with("openapi: 3.1"));
}

#[tokio::test]
async fn fifty_simultaneous_first_logins_of_one_mobile_make_one_user() {
    let api = api();
    let mobile = unique_mobile();
    let (status, _) = api
        .post(
            "/client/v1/auth/sms/send",
            None,
            json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": unique("dev_") }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let code = last_code(&format!("+86{mobile}")).await;

    let answers = futures::future::join_all((0..50).map(|_| {
        let body = json!({ "login_request_id": unique("login_"), "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": "dev_http" });
        let api = api.clone();
        async move { api.post("/client/v1/auth/login/sms", None, body).await }
    }))
    .await;

    let users: std::collections::BTreeSet<&str> =
        answers.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b["data"]["user_id"].as_str().unwrap()).collect();
    assert_eq!(users.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|(s, b)| *s == StatusCode::OK || b["error"]["code"] == "sms_code_invalid"));
    println!("login: 50 simultaneous first logins of one mobile over HTTP → {} user", users.len());
}

#[tokio::test]
async fn a_hundred_registrations_against_capacity_ten_accept_ten() {
    let api = api();
    let world = tests::World::fresh();
    let mut registration = tests::open_registration(false);
    registration["capacity"] = 10.into();
    tests::publish(&world.file(registration, true, "rel-1")).await;
    let path = format!("/client/v1/competitions/{}/registrations", world.competition);

    let answers =
        futures::future::join_all(
            (0..100).map(|_| {
                let (api, path) = (api.clone(), path.clone());
                async move {
                    api.post(&path, Some(&tests::access_token(&unique("usr_"), shared::support::types::ClientType::App)), json!({})).await
                }
            }),
        )
        .await;

    let accepted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let full = answers.iter().filter(|(s, b)| *s == StatusCode::CONFLICT && b["error"]["code"] == "registration_full").count();
    assert_eq!((accepted, full), (10, 90), "{answers:?}");
    println!("registrations: 100 concurrent over HTTP, capacity 10 → {accepted} accepted, {full} registration_full");
}

#[tokio::test]
async fn fifty_launches_with_one_key_make_one_session_and_twenty_profile_updates_make_twenty_versions() {
    let api = api();
    let world = tests::World::publish(false, true).await;
    let tests::Login { user_id, access_token: token, .. } = api.sms_login(&unique_mobile()).await;
    let key = unique("l_");
    let path = format!("/client/v1/events/{}/launch", world.event);
    let launches = futures::future::join_all((0..50).map(|_| {
        let (api, path, token) = (api.clone(), path.clone(), token.clone());
        let body = json!({ "launch_request_id": key, "device_id": "dev_http", "client_type": "app", "release_id": world.release });
        async move { api.post(&path, Some(&token), body).await }
    }))
    .await;
    let sessions: std::collections::BTreeSet<&str> =
        launches.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b["data"]["session_id"].as_str().unwrap()).collect();
    assert_eq!(sessions.len(), 1, "{launches:?}");
    assert!(launches.iter().all(|(s, b)| *s == StatusCode::OK || b["error"]["code"] == "request_in_progress"));

    let updates = futures::future::join_all((0..20).map(|i| {
        let (api, token) = (api.clone(), token.clone());
        async move { api.put("/client/v1/me/body-profile", Some(&token), json!({ "weight_kg": 50 + i })).await }
    }))
    .await;
    assert!(updates.iter().all(|(s, _)| *s == StatusCode::OK), "{updates:?}");
    let versions = shared::store::profile::versions(&tests::db().await, &user_id).await.unwrap().len();
    // version 1 is written at first login
    assert_eq!(versions, 21);
    println!("launch: 50 simultaneous launches over HTTP with one key → {} session", sessions.len());
    println!("profile: 20 concurrent updates over HTTP → {} new versions, none lost", versions - 1);
}

#[tokio::test]
async fn catalog_rules_over_http() {
    // given the demo catalog
    tests::publish(&serde_norway::from_str::<Value>(&std::fs::read_to_string(tests::repo_path("catalog/demo.yaml")).unwrap()).unwrap())
        .await;
    let api = api();

    // cards: one region, highest display_priority first, nullable fields present as null
    let (_, cards) = api.get("/client/v1/cards?region_code=310000", None).await;
    let ids: Vec<&str> = cards["data"]["items"].as_array().unwrap().iter().map(|c| c["card_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["crd_classic_demo_001", "crd_guide_beginner_001"]);
    assert_eq!(cards["data"]["items"][1]["cover_url"], Value::Null);
    assert_eq!(cards["data"]["items"][1]["competition_id"], Value::Null);
    let (_, other) = api.get("/client/v1/cards?region_code=330100", None).await;
    assert_eq!(other["data"]["items"][0]["html_url"], Value::Null);

    // lists: only items; page/page_size checked and named
    let (status, maps) = api.get("/client/v1/maps?page=1&page_size=1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(maps["data"].as_object().unwrap().keys().collect::<Vec<_>>(), ["items"]);
    assert_eq!(maps["data"]["items"].as_array().unwrap().len(), 1);
    for (query, field) in [("page_size=51", "page_size"), ("page=abc", "page"), ("page=0", "page"), ("page_size=-1", "page_size")] {
        let (status, body) = api.get(&format!("/client/v1/events?{query}"), None).await;
        assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{query}");
    }

    // unknown ids, and an event asked for under a competition it is not linked to
    for (path, code) in [
        ("/client/v1/competitions/cmp_nope", "competition_not_found"),
        ("/client/v1/events/nope", "event_not_found"),
        ("/client/v1/maps/nope", "map_not_found"),
        ("/client/v1/competitions/cmp_classic_demo_001/events/hz-night-sprint-001", "event_not_found"),
    ] {
        let (status, body) = api.get(path, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some(code)), "{path}");
    }

    // optional auth: anonymous is served with null; a sent but expired or forged token is 401
    let (status, anon) = api.get("/client/v1/competitions/cmp_classic_demo_001/events/sample-classic-001", None).await;
    assert_eq!((status, &anon["data"]["competition_context"]["registration_status"]), (StatusCode::OK, &Value::Null));
    let expired =
        tests::tokens().issue_access("usr_x", shared::support::types::ClientType::App, "d", None, shared::support::clock::now() - 7200);
    for (token, code) in [(expired.as_str(), "token_expired"), ("not.a.token", "unauthorized")] {
        let (status, body) = api.get("/client/v1/competitions/cmp_classic_demo_001", Some(token)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some(code)));
    }
}

#[tokio::test]
async fn registration_and_launch_rules_over_http() {
    let api = api();
    let gated = tests::World::publish(true, false).await;
    let login = api.sms_login(&unique_mobile()).await;
    let token = login.access_token.as_str();
    let launch = |release: &str, client_type: &str, route: &str| json!({ "launch_request_id": unique("l_"), "device_id": "dev_http", "client_type": client_type, "release_id": release, "route_code": route });
    let in_competition = format!("/client/v1/competitions/{}/events/{}/launch", gated.competition, gated.event);
    let direct = format!("/client/v1/events/{}/launch", gated.event);
    let register = format!("/client/v1/competitions/{}/registrations", gated.competition);

    let cases = [
        (&in_competition, launch(&gated.release, "app", "route-a"), StatusCode::FORBIDDEN, "registration_required"),
        (&direct, launch(&gated.release, "app", "route-a"), StatusCode::FORBIDDEN, "direct_entry_disabled"),
        (&in_competition, launch(&gated.release, "wechat", "route-a"), StatusCode::FORBIDDEN, "client_type_mismatch"),
        (&register, json!({ "form_payload": { "note": "x".repeat(9000) } }), StatusCode::BAD_REQUEST, "invalid_request"),
    ];
    for (path, body, want_status, want_code) in cases {
        let (status, answer) = api.post(path, Some(token), body).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (want_status, Some(want_code)), "{path}: {answer}");
    }

    // registering once opens the launch; a second registration names the first
    let (status, first) = api.post(&register, Some(token), json!({ "group_id": "grp_a" })).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, again) = api.post(&register, Some(token), json!({})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("registration_exists")));
    assert_eq!(again["error"]["details"]["registration_id"], first["data"]["registration_id"]);
    let (status, answer) = api.post(&in_competition, Some(token), launch(&gated.release, "app", "route-z")).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("route_code_unknown")));
    let (status, answer) = api.post(&in_competition, Some(token), launch(&gated.release, "app", "route-b")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // a new current release makes the held one stale
    tests::publish(&gated.file(tests::open_registration(true), false, "rel-2")).await;
    let (status, answer) = api.post(&in_competition, Some(token), launch(&gated.release, "app", "route-b")).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("EVENT_RELEASE_STALE")));
    assert_eq!(answer["error"]["details"]["current_release_id"], format!("{}-rel-2", gated.event));

    // a closed registration window is 403
    let closed = tests::World::fresh();
    let at = |offset: i64| shared::support::clock::rfc3339(shared::support::clock::now() + offset);
    tests::publish(&closed.file(
        json!({ "enabled": true, "required": false, "opens_at": at(-7200), "closes_at": at(-3600) }),
        true,
        "rel-1",
    ))
    .await;
    let (status, answer) = api.post(&format!("/client/v1/competitions/{}/registrations", closed.competition), Some(token), json!({})).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("registration_closed")));
}
