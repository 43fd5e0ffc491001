//! Registration through the `registration` handler with `events/registration.json`, against
//! competitions each test publishes with the catalog tool into the real local table.

use aws_config::timeout::TimeoutConfig;
use catalog::Catalog;
use lambda_http::http::StatusCode;
use registration::Registration;
use serde_json::{Value, json};
use shared::store::db::Db;
use shared::store::keys;
use shared::support::types::ClientType;
use std::time::Duration;
use tests::{invoke, tokens, unique, with_bearer, with_body};

const YEAR: i64 = 365 * 86_400;

fn token_for(user_id: &str) -> String {
    tests::access_token(user_id, ClientType::App)
}

fn rfc3339(offset_sec: i64) -> String {
    shared::support::clock::rfc3339(shared::support::clock::now() + offset_sec)
}

/// A published competition with one event; `registration` is the file's registration block.
async fn competition_with(registration: Value) -> String {
    let tag = unique("");
    let (map, event, competition) = (format!("map-{tag}"), format!("ev-{tag}"), format!("cmp_{tag}"));
    let file = json!({
        "maps": [{ "map_id": map, "region_code": format!("r{tag}"), "display_name": "Test park" }],
        "events": [{
            "event_id": event, "map_id": map, "display_name": "Test event", "playfield_kind": "course",
            "direct_entry_enabled": true, "current_release_id": format!("{event}-rel-1"),
            "releases": [{
                "release_id": format!("{event}-rel-1"), "published_at": "2026-03-01T00:00:00Z",
                "playfield_version_id": "pfv_1", "course": tests::course(8, &["r-1"]),
            }],
        }],
        "competitions": [{
            "competition_id": competition, "display_name": "Test cup", "competition_status": "ongoing",
            "competition_start_at": "2026-01-01T00:00:00Z", "competition_end_at": "2030-12-31T00:00:00Z",
            "registration": registration,
            "events": [{ "event_id": event, "is_default": true }],
        }],
    });
    tests::publish_to(&db().await, &file).await;
    competition
}

fn open(capacity: Option<i64>) -> Value {
    json!({ "enabled": true, "required": true, "opens_at": rfc3339(-YEAR), "closes_at": rfc3339(YEAR), "capacity": capacity })
}

/// The local table with patient timeouts. The local moto answers one request at a time and copies
/// the whole table for every transaction, so 100 queued registrations outlast the production
/// timeouts (tuned for DynamoDB, and not what these tests are about).
async fn db() -> Db {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_attempt_timeout(Duration::from_secs(300))
        .operation_timeout(Duration::from_secs(300))
        .build();
    Db::new(&tests::sdk_config().await.into_builder().timeout_config(timeouts).build(), tests::table_name())
}

async fn registrations() -> Registration {
    Registration::new(db().await, tokens())
}

/// POST the registration event for `competition` as `token`, with `body`.
async fn register(function: &Registration, competition: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let path = format!("/client/v1/competitions/{competition}/registrations");
    invoke(function, "registration", |e| {
        e["rawPath"] = path.clone().into();
        e["requestContext"]["http"]["path"] = path.clone().into();
        e["pathParameters"]["competition_id"] = competition.into();
        match token {
            Some(t) => with_bearer(e, t),
            None => {
                e["headers"].as_object_mut().unwrap().remove("authorization");
            }
        }
        with_body(e, body);
    })
    .await
}

async fn registered_count(competition: &str) -> i64 {
    let meta = shared::store::catalog::competition(&db().await, competition).await.unwrap().expect("competition");
    meta.registered_count
}

async fn stored_registration(competition: &str, user: &str) -> Option<shared::model::catalog::Registration> {
    shared::store::catalog::registration(&db().await, competition, user).await.unwrap()
}

#[tokio::test]
async fn a_user_registers_once_and_the_competition_shows_it() {
    // given an open competition and a signed-in user
    let competition = competition_with(open(None)).await;
    let user = unique("usr_");
    let token = token_for(&user);
    let function = registrations().await;

    // when they register with a group and a form
    let (status, body) = register(
        &function,
        &competition,
        Some(&token),
        json!({ "group_id": "grp_open", "form_payload": { "team_name": "Lakeside Runners" } }),
    )
    .await;

    // then 200 with a reg_ id and status registered, stored with the form, counted once
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["registration_id"].as_str().expect("registration_id");
    assert!(id.starts_with("reg_") && id.len() > 20, "{id}");
    assert_eq!(id, id.to_lowercase(), "ids minted by the API are lower case, as user and session ids are");
    assert_eq!(body["data"]["status"], "registered");
    let stored = stored_registration(&competition, &user).await.expect("stored");
    assert_eq!((stored.registration_id.as_str(), stored.group_id.as_deref()), (id, Some("grp_open")));
    assert_eq!(serde_json::from_str::<Value>(stored.form_payload.as_deref().unwrap()).unwrap(), json!({ "team_name": "Lakeside Runners" }));
    assert_eq!(registered_count(&competition).await, 1);

    // and the competition read shows the caller's registration_status
    let catalog = Catalog::new(db().await, tokens(), tests::cursors());
    let path = format!("/client/v1/competitions/{competition}");
    let (status, read) = invoke(&catalog, "catalog-competition", |e| {
        e["rawPath"] = path.clone().into();
        with_bearer(e, &token);
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["data"]["registration_status"], "registered");

    // when they register again
    let (status, again) = register(&function, &competition, Some(&token), json!({})).await;

    // then 409 registration_exists naming the first registration, and nothing more is counted
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["error"]["code"], "registration_exists");
    assert_eq!(again["error"]["details"]["registration_id"], id);
    assert_eq!(registered_count(&competition).await, 1);
    assert_eq!(stored_registration(&competition, &user).await.unwrap().registration_id, id);
}

#[tokio::test]
async fn an_empty_body_registers_without_group_or_form() {
    let competition = competition_with(open(None)).await;
    let user = unique("usr_");
    let (status, body) = register(&registrations().await, &competition, Some(&token_for(&user)), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = stored_registration(&competition, &user).await.expect("stored");
    assert_eq!((stored.group_id, stored.form_payload), (None, None));
}

#[tokio::test]
async fn registration_outside_the_window_or_disabled_is_closed_and_writes_nothing() {
    let cases = [
        ("closed", json!({ "enabled": true, "opens_at": rfc3339(-2 * YEAR), "closes_at": rfc3339(-60) })),
        ("not yet open", json!({ "enabled": true, "opens_at": rfc3339(3600), "closes_at": rfc3339(YEAR) })),
        ("disabled", json!({ "enabled": false, "opens_at": rfc3339(-YEAR), "closes_at": rfc3339(YEAR) })),
    ];
    let function = registrations().await;
    for (case, registration) in cases {
        // given a competition whose registration is not open
        let competition = competition_with(registration).await;
        let user = unique("usr_");
        // when a user registers
        let (status, body) = register(&function, &competition, Some(&token_for(&user)), json!({})).await;
        // then 403 registration_closed, and neither the registration nor the count is written
        assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {body}");
        assert_eq!(body["error"]["code"], "registration_closed", "{case}");
        assert!(stored_registration(&competition, &user).await.is_none(), "{case}");
        assert_eq!(registered_count(&competition).await, 0, "{case}");
    }
}

#[tokio::test]
async fn a_full_competition_refuses_the_next_user() {
    // given a competition with one place, taken
    let competition = competition_with(open(Some(1))).await;
    let function = registrations().await;
    let (status, _) = register(&function, &competition, Some(&token_for(&unique("usr_"))), json!({})).await;
    assert_eq!(status, StatusCode::OK);

    // when another user registers
    let late = unique("usr_");
    let (status, body) = register(&function, &competition, Some(&token_for(&late)), json!({})).await;

    // then 409 registration_full, and nothing of theirs is written
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "registration_full");
    assert!(stored_registration(&competition, &late).await.is_none());
    assert_eq!(registered_count(&competition).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capacity_is_never_exceeded_under_concurrency() {
    // given a competition with 10 places and 100 different users
    let competition = competition_with(open(Some(10))).await;
    let function = registrations().await;
    let users: Vec<String> = (0..100).map(|_| unique("usr_")).collect();

    // when all 100 register at the same time
    let started = std::time::Instant::now();
    let answers = futures::future::join_all(users.iter().map(|u| {
        let token = token_for(u);
        let (function, competition) = (&function, &competition);
        async move { register(function, competition, Some(&token), json!({})).await }
    }))
    .await;

    // then exactly 10 are accepted, the 90 others are told it is full, and the count is 10
    let accepted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let full = answers.iter().filter(|(s, b)| *s == StatusCode::CONFLICT && b["error"]["code"] == "registration_full").count();
    println!(
        "registrations: {} concurrent, capacity 10 → {accepted} accepted, {full} registration_full ({} ms)",
        users.len(),
        started.elapsed().as_millis()
    );
    let other: Vec<_> = answers.iter().filter(|(s, _)| *s != StatusCode::OK && *s != StatusCode::CONFLICT).collect();
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!((accepted, full), (10, 90));
    assert_eq!(registered_count(&competition).await, 10);
    let mut stored = 0;
    for u in &users {
        stored += usize::from(stored_registration(&competition, u).await.is_some());
    }
    assert_eq!(stored, 10, "one registration item per accepted user");
}

#[tokio::test]
async fn an_unknown_competition_is_404_and_writes_nothing() {
    let competition = unique("cmp_missing_");
    let user = unique("usr_");
    let (status, body) = register(&registrations().await, &competition, Some(&token_for(&user)), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "competition_not_found");
    assert!(stored_registration(&competition, &user).await.is_none());
    let meta = db().await.get::<Value>(&keys::competition(&competition)).await.unwrap();
    assert!(meta.is_none(), "the failed count update must not create the competition");
}

#[tokio::test]
async fn registration_needs_a_valid_access_token() {
    let competition = competition_with(open(None)).await;
    let function = registrations().await;
    let user = unique("usr_");
    let expired = tokens().issue_access(&user, ClientType::App, "dev_test", None, shared::support::clock::now() - 7200);
    let session = tokens().issue_session(&user, ClientType::App, "dev_test", "ses_1", None, shared::support::clock::now()).0;

    for (case, token, code) in [
        ("none", None, "unauthorized"),
        ("expired", Some(expired.as_str()), "token_expired"),
        ("session token", Some(session.as_str()), "unauthorized"),
        ("garbage", Some("not.a.jwt"), "unauthorized"),
    ] {
        let (status, body) = register(&function, &competition, token, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_eq!(body["error"]["code"], code, "{case}");
    }
    assert!(stored_registration(&competition, &user).await.is_none());
    assert_eq!(registered_count(&competition).await, 0);
}

#[tokio::test]
async fn invalid_bodies_are_400_naming_the_field_and_write_nothing() {
    let competition = competition_with(open(None)).await;
    let function = registrations().await;
    let user = unique("usr_");
    let token = token_for(&user);
    let too_large = json!({ "form_payload": { "notes": "x".repeat(8 * 1024) } });

    for (case, body, field) in [
        ("unknown field", json!({ "group": "g1" }), "group"),
        ("form_payload not an object", json!({ "form_payload": ["a"] }), "form_payload"),
        ("form_payload a string", json!({ "form_payload": "team=a" }), "form_payload"),
        ("form_payload over 8 KB", too_large, "form_payload"),
        ("group_id not an id", json!({ "group_id": "a b/c" }), "group_id"),
        ("group_id not a string", json!({ "group_id": 7 }), "group_id"),
    ] {
        let (status, answer) = register(&function, &competition, Some(&token), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_request", "{case}");
        assert_eq!(answer["error"]["details"]["field"], field, "{case}: {answer}");
    }
    assert!(stored_registration(&competition, &user).await.is_none());
    assert_eq!(registered_count(&competition).await, 0);
}

#[tokio::test]
async fn a_malformed_competition_id_is_400_naming_it() {
    let (status, body) = register(&registrations().await, "a%20b", Some(&token_for(&unique("usr_"))), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["details"]["field"], "competition_id");
}
