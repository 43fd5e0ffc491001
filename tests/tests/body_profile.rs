//! `PUT /client/v1/me/body-profile` through the `body-profile` handler with the `events/` event,
//! against moto: partial updates, validation, completion, version history and concurrency.

use aws_config::timeout::TimeoutConfig;
use body_profile::BodyProfile;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::service::profile;
use shared::store::db::{Db, Item, Range, TxError, TxItem};
use shared::store::keys;
use shared::support::clock;
use shared::support::tokens::Tokens;
use shared::support::types::{BodyProfileStatus, ClientType};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

const SECRET: &[u8] = b"test-only-jwt-secret-for-body-profile-0123456789";

fn tokens() -> Tokens {
    Tokens::new(SECRET, "client-api", "client-api", 3600, 7200)
}

fn token_for(user_id: &str) -> String {
    tokens().issue_access(user_id, ClientType::App, "dev_test_001", None, clock::now())
}

/// Between the SDK and moto: one request at a time, and every TransactWriteItems body kept so a
/// test can show its races really happened. Threaded moto is not atomic across requests (a
/// failed transaction restores a copy of the whole table taken when it began, erasing what others
/// committed meanwhile); `scripts/moto_serial.py` already serializes it, and this gate keeps these
/// tests right on a plain `moto_server` too. Concurrent updates still interleave: read, merge and
/// transact are separate calls.
struct Gate {
    url: String,
    one_at_a_time: Mutex<()>,
    transactions: Mutex<Vec<String>>,
}

fn gate() -> &'static Gate {
    static GATE: OnceLock<&'static Gate> = OnceLock::new();
    GATE.get_or_init(|| {
        let upstream = tests::moto_url().trim_start_matches("http://").trim_end_matches('/').to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("gate port");
        let gate: &'static Gate = Box::leak(Box::new(Gate {
            url: format!("http://{}", listener.local_addr().unwrap()),
            one_at_a_time: Mutex::new(()),
            transactions: Mutex::new(Vec::new()),
        }));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                std::thread::spawn(move || gate.pass(client, &upstream));
            }
        });
        gate
    })
}

impl Gate {
    /// One request from the SDK to moto and its answer back (moto closes every connection).
    fn pass(&self, client: TcpStream, upstream: &str) -> std::io::Result<()> {
        let mut reader = BufReader::new(client.try_clone()?);
        let (mut head, mut length, mut transact) = (Vec::new(), 0, false);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            transact |= lower.starts_with("x-amz-target:") && lower.contains("transactwriteitems");
            head.extend_from_slice(line.as_bytes());
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if transact {
            self.transactions.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
        }
        let response = {
            let _turn = self.one_at_a_time.lock().unwrap_or_else(|e| e.into_inner());
            let mut moto = TcpStream::connect(upstream)?;
            moto.write_all(&head)?;
            moto.write_all(&body)?;
            let mut response = Vec::new();
            moto.read_to_end(&mut response)?;
            response
        };
        (&client).write_all(&response)
    }

    /// TransactWriteItems calls that touched `user_id`'s items, committed or not.
    fn transactions_of(&self, user_id: &str) -> usize {
        let pk = keys::user_pk(user_id);
        self.transactions.lock().unwrap().iter().filter(|body| body.contains(&pk)).count()
    }
}

/// The table in moto, through the gate. The endpoint is set on the DynamoDB config itself: the
/// SDK prefers `AWS_ENDPOINT_URL` from the environment over the shared config's endpoint.
/// Timeouts are loose: serialized, a slow moto must not make the SDK time out and retry, since
/// moto ignores ClientRequestToken and would commit the retried transaction twice (the production
/// config stays tight; DynamoDB dedupes such retries).
async fn db() -> Db {
    let sdk = tests::sdk_config().await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(&gate().url)
        .timeout_config(
            TimeoutConfig::builder().operation_attempt_timeout(Duration::from_secs(20)).operation_timeout(Duration::from_secs(60)).build(),
        )
        .build();
    Db::with_client(aws_sdk_dynamodb::Client::from_conf(conf), tests::table_name())
}

async fn function() -> (BodyProfile, Db) {
    let db = db().await;
    (BodyProfile::new(db.clone(), tokens()), db)
}

/// A user as the login transaction creates it: pending profile at version 1.
async fn new_user(db: &Db) -> String {
    let user_id = tests::unique("usr_");
    db.transact(shared::store::profile::initial_items(db, &user_id, clock::now())).await.expect("user created");
    user_id
}

async fn put(f: &BodyProfile, token: &str, body: Value) -> (StatusCode, Value) {
    tests::invoke(f, "body-profile", |e| {
        tests::with_body(e, body);
        tests::with_bearer(e, token);
    })
    .await
}

async fn stored(db: &Db, user_id: &str) -> Option<Item> {
    db.get_many(&[keys::body_profile(user_id)]).await.unwrap().pop().flatten()
}

/// Every version item of the user, oldest first.
async fn versions(db: &Db, user_id: &str) -> Vec<Item> {
    db.query(&keys::user_pk(user_id), Range::Prefix(keys::PROFILE_VERSION_PREFIX), None).await.unwrap()
}

fn num(item: &Item, attr: &str) -> Option<f64> {
    item.get(attr).and_then(|v| v.as_n().ok()).map(|n| n.parse().unwrap())
}

fn text<'a>(item: &'a Item, attr: &str) -> Option<&'a str> {
    item.get(attr).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn version_numbers(items: &[Item]) -> Vec<u64> {
    items.iter().map(|i| num(i, "version").unwrap() as u64).collect()
}

/// `YYYY-MM-DD` of `epoch` in UTC.
fn date(epoch: i64) -> String {
    let d = clock::day(epoch);
    format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8])
}

#[tokio::test]
async fn partial_updates_accumulate_and_complete_once() {
    // given a freshly created user
    let (f, db) = function().await;
    let user = new_user(&db).await;
    let token = token_for(&user);

    // when the profile is filled in piece by piece, then it stays pending until the four
    // required fields are all there
    let (status, body) = put(&f, &token, json!({ "gender": "female" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({ "user_id": user, "body_profile_status": "pending", "completed_at": null }));

    let (_, body) = put(&f, &token, json!({ "birth_date": "1992-05-17", "height_cm": 165.5 })).await;
    assert_eq!(body["data"]["body_profile_status"], "pending");
    assert_eq!(body["data"]["completed_at"], Value::Null);

    let (status, body) = put(&f, &token, json!({ "weight_kg": 54.2 })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["body_profile_status"], "completed");
    let completed_at = body["data"]["completed_at"].as_str().expect("completed_at set").to_string();
    assert!(clock::parse_rfc3339(&completed_at).is_some_and(|t| (t - clock::now()).abs() < 60), "{completed_at}");
    assert!(completed_at.ends_with('Z'), "UTC: {completed_at}");

    // and the stored profile holds every field sent so far, merged
    let item = stored(&db, &user).await.unwrap();
    assert_eq!(text(&item, "gender"), Some("female"));
    assert_eq!(text(&item, "birth_date"), Some("1992-05-17"));
    assert_eq!(num(&item, "height_cm"), Some(165.5));
    assert_eq!(num(&item, "weight_kg"), Some(54.2));
    assert_eq!(text(&item, "status"), Some("completed"));

    // when later updates change fields, a second later
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (_, body) = put(&f, &token, json!({ "weight_kg": 55, "resting_heart_rate_bpm": 58 })).await;
    // then it stays completed and completed_at does not move
    assert_eq!(body["data"]["body_profile_status"], "completed");
    assert_eq!(body["data"]["completed_at"], completed_at.as_str());
    let (_, body) = put(&f, &token, json!({ "gender": "other" })).await;
    assert_eq!(body["data"]["completed_at"], completed_at.as_str());

    // and every accepted write left one full snapshot: versions 1..=6, the last with all fields
    let history = versions(&db, &user).await;
    assert_eq!(version_numbers(&history), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(num(&stored(&db, &user).await.unwrap(), "version"), Some(6.0));
    let last = history.last().unwrap();
    assert_eq!(text(last, "gender"), Some("other"));
    assert_eq!(text(last, "birth_date"), Some("1992-05-17"));
    assert_eq!(num(last, "height_cm"), Some(165.5));
    assert_eq!(num(last, "weight_kg"), Some(55.0));
    assert_eq!(num(last, "resting_heart_rate_bpm"), Some(58.0));
    assert_eq!(text(last, "status"), Some("completed"));
    assert!(num(last, "updated_at").is_some());
    // the first snapshot is the empty pending profile of user creation
    assert_eq!(text(&history[0], "status"), Some("pending"));
    assert!(!history[0].contains_key("gender"));
    // and the login's view of it agrees
    assert_eq!(profile::status(&db, &user).await.unwrap(), BodyProfileStatus::Completed);
}

#[tokio::test]
async fn the_sample_event_completes_the_profile_in_one_call() {
    // given a new user and the event of events/ with its own body
    let (f, db) = function().await;
    let user = new_user(&db).await;
    assert_eq!(profile::status(&db, &user).await.unwrap(), BodyProfileStatus::Pending);
    // when it is sent with the user's token
    let token = token_for(&user);
    let (status, body) = tests::invoke(&f, "body-profile", |e| tests::with_bearer(e, &token)).await;
    // then the profile is completed, and version 2 holds the heart rates too
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["user_id"], user.as_str());
    assert_eq!(body["data"]["body_profile_status"], "completed");
    assert!(body["data"]["completed_at"].is_string());
    let history = versions(&db, &user).await;
    assert_eq!(version_numbers(&history), vec![1, 2]);
    assert_eq!(num(&history[1], "max_heart_rate_bpm"), Some(188.0));
    assert_eq!(profile::status(&db, &user).await.unwrap(), BodyProfileStatus::Completed);
}

#[tokio::test]
async fn every_invalid_update_is_a_400_naming_the_field_and_writes_nothing() {
    // given a user whose stored max heart rate is 150 (version 2)
    let (f, db) = function().await;
    let user = new_user(&db).await;
    let token = token_for(&user);
    let (status, _) = put(&f, &token, json!({ "max_heart_rate_bpm": 150 })).await;
    assert_eq!(status, StatusCode::OK);
    let before = stored(&db, &user).await.unwrap();

    let future = date(clock::now() + 2 * 86_400);
    let cases = [
        (json!({}), "body"),
        (json!({ "gender": null, "height_cm": null }), "body"),
        (json!([{ "gender": "male" }]), "body"),
        (json!({ "nickname": "ana" }), "nickname"),
        (json!({ "gender": "alien" }), "gender"),
        (json!({ "gender": "Male" }), "gender"),
        (json!({ "gender": 1 }), "gender"),
        (json!({ "birth_date": "1992-02-30" }), "birth_date"),
        (json!({ "birth_date": "1991-02-29" }), "birth_date"),
        (json!({ "birth_date": "1992-13-01" }), "birth_date"),
        (json!({ "birth_date": "1992-5-17" }), "birth_date"),
        (json!({ "birth_date": "17/05/1992" }), "birth_date"),
        (json!({ "birth_date": "1992-05-17T00:00:00Z" }), "birth_date"),
        (json!({ "birth_date": "1899-12-31" }), "birth_date"),
        (json!({ "birth_date": future }), "birth_date"),
        (json!({ "birth_date": 19920517 }), "birth_date"),
        (json!({ "height_cm": 49.9 }), "height_cm"),
        (json!({ "height_cm": 260.01 }), "height_cm"),
        (json!({ "height_cm": "170" }), "height_cm"),
        (json!({ "weight_kg": 9.99 }), "weight_kg"),
        (json!({ "weight_kg": 400.5 }), "weight_kg"),
        (json!({ "weight_kg": true }), "weight_kg"),
        (json!({ "resting_heart_rate_bpm": 24 }), "resting_heart_rate_bpm"),
        (json!({ "resting_heart_rate_bpm": 151 }), "resting_heart_rate_bpm"),
        (json!({ "resting_heart_rate_bpm": 60.5 }), "resting_heart_rate_bpm"),
        (json!({ "resting_heart_rate_bpm": -1 }), "resting_heart_rate_bpm"),
        (json!({ "max_heart_rate_bpm": 59 }), "max_heart_rate_bpm"),
        (json!({ "max_heart_rate_bpm": 251 }), "max_heart_rate_bpm"),
        (json!({ "max_heart_rate_bpm": "188" }), "max_heart_rate_bpm"),
        // max ≤ resting against the stored max (150), and within one request
        (json!({ "resting_heart_rate_bpm": 150 }), "resting_heart_rate_bpm"),
        (json!({ "resting_heart_rate_bpm": 80, "max_heart_rate_bpm": 80 }), "max_heart_rate_bpm"),
        // one bad field spoils the whole update: the valid gender is not written either
        (json!({ "gender": "male", "height_cm": 500 }), "height_cm"),
    ];
    for (body, field) in cases {
        // when the invalid update is sent
        let (status, answer) = put(&f, &token, body.clone()).await;
        // then 400 invalid_request naming the field
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], "invalid_request", "{body}");
        assert_eq!(answer["error"]["details"]["field"], field, "{body} → {answer}");
    }
    // malformed JSON too
    let (status, answer) = tests::invoke(&f, "body-profile", |e| {
        e["body"] = json!("{\"gender\": ");
        tests::with_bearer(e, &token);
    })
    .await;
    assert_eq!((status, answer["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("body")));

    // and nothing was written: same profile item, still two versions
    assert_eq!(stored(&db, &user).await.unwrap(), before);
    assert_eq!(version_numbers(&versions(&db, &user).await), vec![1, 2]);
}

#[tokio::test]
async fn max_heart_rate_must_exceed_resting_across_updates() {
    // given a stored resting heart rate of 70
    let (f, db) = function().await;
    let user = new_user(&db).await;
    let token = token_for(&user);
    assert_eq!(put(&f, &token, json!({ "resting_heart_rate_bpm": 70 })).await.0, StatusCode::OK);
    // when a later update sets max to 70 (not above resting) then it is refused, naming max
    let (status, body) = put(&f, &token, json!({ "max_heart_rate_bpm": 70 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"]["field"], "max_heart_rate_bpm");
    assert_eq!(version_numbers(&versions(&db, &user).await), vec![1, 2]);
    // when max is 71 it is accepted
    assert_eq!(put(&f, &token, json!({ "max_heart_rate_bpm": 71 })).await.0, StatusCode::OK);
    // and raising resting to the stored max is refused, naming resting
    let (status, body) = put(&f, &token, json!({ "resting_heart_rate_bpm": 71 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"]["field"], "resting_heart_rate_bpm");
    // while moving both together is judged on the new pair
    assert_eq!(put(&f, &token, json!({ "resting_heart_rate_bpm": 100, "max_heart_rate_bpm": 180 })).await.0, StatusCode::OK);
    assert_eq!(version_numbers(&versions(&db, &user).await), vec![1, 2, 3, 4]);
}

#[tokio::test]
async fn the_bounds_themselves_are_accepted_and_null_means_unchanged() {
    // given a user
    let (f, db) = function().await;
    let user = new_user(&db).await;
    let token = token_for(&user);
    // when every field is at an inclusive bound (and birth_date is today, or 1900-01-01)
    for body in [
        json!({ "gender": "unknown", "birth_date": "1900-01-01", "height_cm": 50, "weight_kg": 10, "resting_heart_rate_bpm": 25, "max_heart_rate_bpm": 60 }),
        json!({ "birth_date": date(clock::now()), "height_cm": 260, "weight_kg": 400, "resting_heart_rate_bpm": 150, "max_heart_rate_bpm": 250 }),
        json!({ "birth_date": "2000-02-29", "gender": "male" }),
    ] {
        // then each is accepted
        let (status, answer) = put(&f, &token, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body} → {answer}");
    }
    // when a field is sent as null next to a real one, then the null one keeps its value
    assert_eq!(put(&f, &token, json!({ "gender": null, "weight_kg": 70.5 })).await.0, StatusCode::OK);
    let item = stored(&db, &user).await.unwrap();
    assert_eq!(text(&item, "gender"), Some("male"));
    assert_eq!(num(&item, "weight_kg"), Some(70.5));
    assert_eq!(num(&item, "height_cm"), Some(260.0));
}

#[tokio::test]
async fn concurrent_updates_never_lose_a_version() {
    // given a new user
    let (f, db) = function().await;
    let user = new_user(&db).await;
    let token = token_for(&user);
    // when 20 updates, each with its own weight, arrive at once
    let weights: Vec<u32> = (50..70).collect();
    let answers = futures::future::join_all(weights.iter().map(|w| put(&f, &token, json!({ "weight_kg": w })))).await;
    // then all succeed
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    // and 20 new versions exist, numbered contiguously after version 1
    let history = versions(&db, &user).await;
    let numbers = version_numbers(&history);
    let transactions = gate().transactions_of(&user) - 1; // less the user's creation
    println!("profile: {} concurrent updates → {} versions", weights.len(), numbers.len() - 1);
    // and they really raced: more transactions were tried than committed
    assert!(transactions > 20, "no update had to retry: the updates did not overlap");
    println!("profile: {transactions} transactions for them, {} lost the version race and were retried", transactions - 20);
    assert_eq!(numbers, (1..=21).collect::<Vec<u64>>());
    assert_eq!(num(&stored(&db, &user).await.unwrap(), "version"), Some(21.0));
    // and each update's weight is in exactly one snapshot: none was overwritten by another
    let mut written: Vec<u32> = history[1..].iter().map(|v| num(v, "weight_kg").unwrap() as u32).collect();
    written.sort();
    assert_eq!(written, weights);
}

#[tokio::test]
async fn a_token_is_required_and_must_be_valid() {
    // given a user
    let (f, db) = function().await;
    let user = new_user(&db).await;
    let body = json!({ "gender": "male" });

    // when no Authorization header is sent, then 401 unauthorized
    let (status, answer) = tests::invoke(&f, "body-profile", |e| {
        e["headers"].as_object_mut().unwrap().remove("authorization");
    })
    .await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));

    // when the token expired, then 401 token_expired
    let expired = tokens().issue_access(&user, ClientType::App, "dev_test_001", None, clock::now() - 7_200);
    let (status, answer) = put(&f, &expired, body.clone()).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_expired")));

    // when the token is signed with another key, then 401
    let forged = Tokens::new(b"another-secret-another-secret-0123456789", "client-api", "client-api", 3600, 7200).issue_access(
        &user,
        ClientType::App,
        "dev_test_001",
        None,
        clock::now(),
    );
    assert_eq!(put(&f, &forged, body.clone()).await.0, StatusCode::UNAUTHORIZED);

    // when a launch session token is sent in place of an access token, then 401
    let (session, _) = tokens().issue_session(&user, ClientType::App, "dev_test_001", "ses_1", None, clock::now());
    assert_eq!(put(&f, &session, body.clone()).await.0, StatusCode::UNAUTHORIZED);

    // when the placeholder of the sample event is sent, then 401
    assert_eq!(tests::invoke(&f, "body-profile", |_| {}).await.0, StatusCode::UNAUTHORIZED);

    // and the profile was never touched
    assert_eq!(version_numbers(&versions(&db, &user).await), vec![1]);
    assert_eq!(text(&stored(&db, &user).await.unwrap(), "gender"), None);
}

#[tokio::test]
async fn a_user_only_ever_changes_their_own_profile() {
    // given two users
    let (f, db) = function().await;
    let (alice, bob) = (new_user(&db).await, new_user(&db).await);
    // when alice updates with her token
    let (_, body) = put(&f, &token_for(&alice), json!({ "gender": "female" })).await;
    // then her profile changed and bob's did not
    assert_eq!(body["data"]["user_id"], alice.as_str());
    assert_eq!(version_numbers(&versions(&db, &alice).await), vec![1, 2]);
    assert_eq!(version_numbers(&versions(&db, &bob).await), vec![1]);
}

#[tokio::test]
async fn a_token_of_a_user_that_does_not_exist_is_a_404_and_creates_nothing() {
    // given a valid token whose subject was never created
    let (f, db) = function().await;
    let ghost = tests::unique("usr_");
    // when it updates the profile
    let (status, body) = put(&f, &token_for(&ghost), json!({ "gender": "male" })).await;
    // then 404 user_not_found, and no profile or version appeared
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("user_not_found")));
    assert!(stored(&db, &ghost).await.is_none());
    assert!(versions(&db, &ghost).await.is_empty());
}

#[tokio::test]
async fn initial_items_create_a_pending_profile_only_once() {
    // given a user created by the login transaction's items
    let db = db().await;
    let user = new_user(&db).await;
    // then the profile is pending at version 1, with its first version item
    let item = stored(&db, &user).await.unwrap();
    assert_eq!((text(&item, "status"), num(&item, "version")), (Some("pending"), Some(1.0)));
    assert_eq!(version_numbers(&versions(&db, &user).await), vec![1]);
    assert_eq!(profile::status(&db, &user).await.unwrap(), BodyProfileStatus::Pending);
    // when the same items are committed again, then both conditions refuse the overwrite
    match db.transact(shared::store::profile::initial_items(&db, &user, clock::now())).await {
        Err(TxError::Conditions(failed)) => assert_eq!(failed, vec![TxItem::Profile, TxItem::ProfileVersion]),
        other => panic!("expected condition failures, got {other:?}"),
    }
}
