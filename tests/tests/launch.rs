//! Launch (both routes) through the `launch` handler with the `events/` events, against
//! catalogs each test publishes with the catalog tool into moto.

use lambda_http::http::StatusCode;
use launch::Launch;
use serde_json::{Value, json};
use shared::support::types::ClientType;
use tests::{World, access_token, db, invoke, tokens, unique, with_bearer, with_body};

async fn function() -> Launch {
    Launch {
        launcher: shared::service::run::launch::Launcher {
            db: db().await,
            tokens: tokens(),
            idempotency: shared::store::idempotency::Idempotency::new(tests::TEST_JWT_SECRET.as_bytes().to_vec(), 86_400),
            realtime_endpoint: "wss://realtime.test.example/ws".into(),
        },
    }
}

fn body(request_id: &str, release: &str) -> Value {
    json!({ "launch_request_id": request_id, "device_id": "dev_test", "client_type": "app", "release_id": release, "route_code": "route-b" })
}

/// Launches in `world`'s competition (or directly, with `competition` = None).
async fn launch(f: &Launch, token: &str, competition: Option<&str>, event: &str, body: Value) -> (StatusCode, Value) {
    let (name, path) = match competition {
        Some(c) => ("launch-competition", format!("/client/v1/competitions/{c}/events/{event}/launch")),
        None => ("launch-direct", format!("/client/v1/events/{event}/launch")),
    };
    invoke(f, name, |e| {
        e["rawPath"] = path.clone().into();
        e["requestContext"]["http"]["path"] = path.into();
        with_bearer(e, token);
        with_body(e, body);
    })
    .await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_competition_launch_freezes_the_release_and_route_and_returns_a_session_token() {
    let (f, world) = (function().await, World::publish(false, true).await);
    let user = unique("usr_");
    let token = access_token(&user, ClientType::App);

    let (status, answer) = launch(&f, &token, Some(&world.competition), &world.event, body(&unique("l_"), &world.release)).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    let data = &answer["data"];
    for field in [
        "session_id",
        "session_token",
        "session_token_expires_at",
        "participant_id",
        "competition_id",
        "event_id",
        "event_release_id",
        "playfield_version_id",
        "route_code",
        "realtime_endpoint",
        "realtime_token",
    ] {
        assert!(data[field].is_string(), "{field} missing: {data}");
    }
    assert_eq!((data["event_release_id"].as_str(), data["route_code"].as_str()), (Some(world.release.as_str()), Some("route-b")));
    assert_eq!((data["realtime_endpoint"].as_str(), data["realtime_token"].as_str()), (Some("wss://realtime.test.example/ws"), Some("")));
    assert!(data["session_token_expires_at"].as_str().unwrap().ends_with('Z'));
    // the session token is its own kind: never an access token
    let session_token = data["session_token"].as_str().unwrap();
    assert_eq!(tokens().verify_session(session_token).unwrap().sid.as_deref(), data["session_id"].as_str());
    assert_eq!(tokens().verify_access(session_token).unwrap_err().code.as_str(), "unauthorized");
    // and the session is stored with what it froze
    let stored: Value =
        db().await.get(&shared::store::keys::session(data["session_id"].as_str().unwrap())).await.unwrap().expect("session stored");
    assert_eq!(
        (stored["user_id"].as_str(), stored["event_release_id"].as_str(), stored["route_code"].as_str()),
        (Some(user.as_str()), Some(world.release.as_str()), Some("route-b"))
    );

    // a second launch by the same user in the same competition keeps the participant id
    let (_, again) = launch(&f, &token, Some(&world.competition), &world.event, body(&unique("l_"), &world.release)).await;
    assert_eq!(again["data"]["participant_id"], data["participant_id"]);
    assert_ne!(again["data"]["session_id"], data["session_id"]);
    let (_, other) = launch(
        &f,
        &access_token(&unique("usr_"), ClientType::App),
        Some(&world.competition),
        &world.event,
        body(&unique("l_"), &world.release),
    )
    .await;
    assert_ne!(other["data"]["participant_id"], data["participant_id"]);
}

#[tokio::test]
async fn a_competition_outside_its_dates_or_closed_by_its_organiser_refuses_launches() {
    let f = function().await;
    let token = access_token(&unique("usr_"), ClientType::App);
    let at = |offset: i64| shared::support::clock::rfc3339(shared::support::clock::now() + offset);
    let cases = [
        // (the status its file gives, the status it has: its window decides, cancelled aside)
        ("ended months ago", "ongoing", "finished", at(-90 * 86_400), at(-80 * 86_400)),
        ("starts tomorrow", "ongoing", "upcoming", at(86_400), at(2 * 86_400)),
        ("cancelled inside its dates", "cancelled", "cancelled", at(-3600), at(3600)),
        ("finished inside its dates", "finished", "finished", at(-3600), at(3600)),
    ];
    for (name, status_text, derived, start, end) in cases {
        // given a competition the user may launch in, but for its dates or status
        let world = World::fresh();
        let mut file = world.file(tests::open_registration(false), true, "rel-1");
        file["competitions"][0]["competition_status"] = status_text.into();
        file["competitions"][0]["competition_start_at"] = start.clone().into();
        file["competitions"][0]["competition_end_at"] = end.clone().into();
        tests::publish(&file).await;

        // when the user launches inside it
        let (status, answer) = launch(&f, &token, Some(&world.competition), &world.event, body(&unique("l_"), &world.release)).await;

        // then it is refused with the competition's window, and no session exists
        assert_eq!((status, code(&answer)), (StatusCode::FORBIDDEN, "competition_not_active"), "{name}: {answer}");
        let details = &answer["error"]["details"];
        assert_eq!((details["competition_status"].as_str(), details["competition_end_at"].as_str()), (Some(derived), Some(end.as_str())));
        // while the same event by direct entry is still open
        let (status, _) = launch(&f, &token, None, &world.event, body(&unique("l_"), &world.release)).await;
        assert_eq!(status, StatusCode::OK, "{name}");
    }
}

#[tokio::test]
async fn a_release_that_is_no_longer_current_is_event_release_stale() {
    let (f, world) = (function().await, World::publish(false, true).await);
    let token = access_token(&unique("usr_"), ClientType::App);
    // given the operator publishes rel-2 as current
    tests::publish(&world.file(tests::open_registration(false), true, "rel-2")).await;

    // when a client still holding rel-1 launches (inside the competition, or directly)
    for competition in [Some(world.competition.as_str()), None] {
        let (status, answer) = launch(&f, &token, competition, &world.event, body(&unique("l_"), &world.release)).await;
        // then EVENT_RELEASE_STALE names the current release
        assert_eq!((status, code(&answer)), (StatusCode::CONFLICT, "EVENT_RELEASE_STALE"), "{answer}");
        assert_eq!(answer["error"]["details"]["current_release_id"], format!("{}-rel-2", world.event));
    }
    let (status, _) = launch(&f, &token, None, &world.event, body(&unique("l_"), &format!("{}-rel-2", world.event))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_rules_of_the_contract_each_answer_their_code() {
    let f = function().await;
    let open = World::publish(false, true).await;
    let gated = World::publish(true, false).await;
    let user = unique("usr_");
    let token = access_token(&user, ClientType::App);
    let rid = || unique("l_");

    // (case, token, competition, event, body, status, code)
    type Case = (&'static str, String, Option<String>, String, Value, StatusCode, &'static str);
    let cases: Vec<Case> = vec![
        (
            "client_type differs from the token",
            token.clone(),
            Some(open.competition.clone()),
            open.event.clone(),
            json!({ "launch_request_id": rid(), "device_id": "d", "client_type": "wechat", "release_id": open.release }),
            StatusCode::FORBIDDEN,
            "client_type_mismatch",
        ),
        (
            "unknown competition",
            token.clone(),
            Some(unique("cmp_")),
            open.event.clone(),
            body(&rid(), &open.release),
            StatusCode::NOT_FOUND,
            "competition_not_found",
        ),
        (
            "event not linked to the competition",
            token.clone(),
            Some(open.competition.clone()),
            gated.event.clone(),
            body(&rid(), &gated.release),
            StatusCode::NOT_FOUND,
            "event_not_found",
        ),
        (
            "unknown event, direct",
            token.clone(),
            None,
            unique("ev-"),
            body(&rid(), &open.release),
            StatusCode::NOT_FOUND,
            "event_not_found",
        ),
        (
            "registration required",
            token.clone(),
            Some(gated.competition.clone()),
            gated.event.clone(),
            body(&rid(), &gated.release),
            StatusCode::FORBIDDEN,
            "registration_required",
        ),
        (
            "direct entry disabled",
            token.clone(),
            None,
            gated.event.clone(),
            body(&rid(), &gated.release),
            StatusCode::FORBIDDEN,
            "direct_entry_disabled",
        ),
        (
            "route not in the release",
            token.clone(),
            None,
            open.event.clone(),
            json!({ "launch_request_id": rid(), "device_id": "d", "client_type": "app", "release_id": open.release, "route_code": "route-z" }),
            StatusCode::BAD_REQUEST,
            "route_code_unknown",
        ),
        ("no token", String::new(), None, open.event.clone(), body(&rid(), &open.release), StatusCode::UNAUTHORIZED, "unauthorized"),
        (
            "missing release_id",
            token.clone(),
            None,
            open.event.clone(),
            json!({ "launch_request_id": rid(), "device_id": "d", "client_type": "app" }),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (name, token, competition, event, request, want_status, want_code) in cases {
        let (status, answer) = launch(&f, &token, competition.as_deref(), &event, request).await;
        assert_eq!((status, code(&answer)), (want_status, want_code), "{name}: {answer}");
    }

    // once registered, the gated competition launches
    let (status, answer) = tests::invoke(&registration_fn().await, "registration", |e| {
        let path = format!("/client/v1/competitions/{}/registrations", gated.competition);
        e["rawPath"] = path.clone().into();
        e["requestContext"]["http"]["path"] = path.into();
        with_bearer(e, &token);
        with_body(e, json!({}));
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = launch(&f, &token, Some(&gated.competition), &gated.event, body(&rid(), &gated.release)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // and a direct launch has no competition_id, and defaults to the release's first route
    let (status, answer) = launch(
        &f,
        &token,
        None,
        &open.event,
        json!({ "launch_request_id": rid(), "device_id": "d", "client_type": "app", "release_id": open.release }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["data"].get("competition_id").is_none());
    assert_eq!(answer["data"]["route_code"], "route-a");
}

async fn registration_fn() -> registration::Registration {
    registration::Registration::new(db().await, tokens())
}

#[tokio::test]
async fn launch_request_id_is_idempotent_and_fifty_concurrent_launches_make_one_session() {
    let (f, world) = (function().await, World::publish(false, true).await);
    let user = unique("usr_");
    let token = access_token(&user, ClientType::App);
    let key = unique("l_");

    let answers =
        futures::future::join_all((0..50).map(|_| launch(&f, &token, Some(&world.competition), &world.event, body(&key, &world.release))))
            .await;

    let sessions: std::collections::BTreeSet<&str> =
        answers.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b["data"]["session_id"].as_str().unwrap()).collect();
    let in_progress = answers.iter().filter(|(s, b)| *s == StatusCode::CONFLICT && code(b) == "request_in_progress").count();
    assert_eq!(sessions.len(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|(s, _)| *s == StatusCode::OK).count() + in_progress, 50);
    // exactly one session item exists for the user
    let stored = shared::store::session::of_user(&db().await, &user).await.unwrap();
    assert_eq!(stored.len(), 1);
    println!(
        "launch: 50 concurrent launches with one key → {} session ({} replays, {in_progress} in progress)",
        sessions.len(),
        50 - in_progress
    );

    // the same key with another payload is refused
    let mut other = body(&key, &world.release);
    other["route_code"] = "route-a".into();
    let (status, answer) = launch(&f, &token, Some(&world.competition), &world.event, other).await;
    assert_eq!((status, code(&answer)), (StatusCode::CONFLICT, "idempotency_key_reused"));
    // and another user's identical key is theirs alone
    let (status, answer) =
        launch(&f, &access_token(&unique("usr_"), ClientType::App), Some(&world.competition), &world.event, body(&key, &world.release))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!sessions.contains(answer["data"]["session_id"].as_str().unwrap()));
}

#[tokio::test]
async fn a_session_keeps_the_course_of_its_release_after_a_new_one_is_published() {
    // given a session launched on rel-1 (8 controls)
    let (f, world) = (function().await, World::publish(false, true).await);
    let token = access_token(&unique("usr_"), ClientType::App);
    let (status, answer) = launch(&f, &token, Some(&world.competition), &world.event, body(&unique("l_"), &world.release)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let session_id = answer["data"]["session_id"].as_str().unwrap().to_string();

    // when the operator publishes rel-2 (9 controls) as current
    tests::publish(&world.file(tests::open_registration(false), true, "rel-2")).await;

    // then the session still reads rel-1's course by the release it holds
    let db = db().await;
    let session: shared::model::run::session::Session =
        db.get(&shared::store::keys::session(&session_id)).await.unwrap().expect("the session is stored");
    assert_eq!(session.event_release_id, world.release);
    let held = shared::store::catalog::release(&db, &session.event_id, &session.event_release_id).await.unwrap().expect("the held release");
    assert_eq!((held.course.control_count(), held.control_count), (8, 8));
    assert_eq!(held.course.route(&session.route_code).unwrap().controls.len(), 10, "start, 8 controls, finish");
    // while the event now serves rel-2's course
    let current = shared::store::catalog::event(&db, &world.event).await.unwrap().unwrap();
    let now = shared::store::catalog::release(&db, &world.event, &current.current_release_id).await.unwrap().unwrap();
    assert_eq!((current.current_release_id, now.course.control_count()), (format!("{}-rel-2", world.event), 9));
}
