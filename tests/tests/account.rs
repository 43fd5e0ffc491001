//! The account's life through the functions' handlers with the `events/` events, against moto
//! (and a wiremock WeChat): `GET /me`, logout, binding logins, and deleting the account — also
//! when the deletion is cut off halfway.

use account::Account;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::clients::wechat::{Wechat, WechatApp, WechatConfig};
use shared::store::db::Db;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tests::{accounts, db, from_ip, invoke, last_code, sdk_config, sms_config, unique, unique_ip, unique_mobile, with_bearer, with_body};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MINI_APP: &str = "wx_mini_account";

fn wechat(server: &MockServer) -> Wechat {
    let app = Some(WechatApp { app_id: MINI_APP.into(), secret: "wx-account-secret".into() });
    Wechat::new(WechatConfig { api_base: server.uri(), mini_program: app.clone(), mobile_app: app, timeout: Duration::from_secs(3) })
}

async fn account_fn(db: Db, server: &MockServer) -> Account {
    Account { db, tokens: tests::tokens(), sms: sms_config(), wechat: wechat(server), cursors: tests::cursors() }
}

/// WeChat answers `unionid` for the code `code`.
async fn wechat_person(server: &MockServer, code: &str, unionid: &str) {
    Mock::given(path("/sns/jscode2session"))
        .and(query_param("js_code", code))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(json!({ "openid": unique("o_"), "unionid": unionid }).to_string(), "text/plain"),
        )
        .mount(server)
        .await;
}

/// What a login answers, as the app keeps it.
struct Login {
    user_id: String,
    access: String,
    refresh: String,
}

async fn send_code(mobile: &str) -> String {
    let mut sms = sms_config();
    sms.cooldown_sec = 0;
    let sender = sms_send::SmsSend { db: db().await, sns: aws_sdk_sns::Client::new(&sdk_config().await), sms };
    let (status, body) = invoke(&sender, "sms-send", |e| {
        with_body(e, json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "wechat", "device_id": unique("dev_") }));
        from_ip(e, &unique_ip());
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    last_code(&format!("+86{mobile}")).await
}

async fn sms_login(mobile: &str) -> Login {
    let code = send_code(mobile).await;
    let f = sms_login::SmsLogin { accounts: accounts().await, sms: sms_config() };
    let (status, body) = invoke(&f, "sms-login", |e| {
        with_body(e, json!({ "login_request_id": unique("login_"), "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "wechat", "device_id": "dev_acc" }))
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    login_of(&body)
}

async fn wechat_login(server: &MockServer, code: &str) -> Login {
    let f = wechat_login::WechatLogin { accounts: accounts().await, wechat: wechat(server) };
    let (status, body) = invoke(&f, "wechat-login", |e| {
        with_body(
            e,
            json!({ "login_request_id": unique("login_"), "wechat_login_code": code, "client_type": "wechat", "device_id": "dev_acc" }),
        )
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    login_of(&body)
}

fn login_of(body: &Value) -> Login {
    let field = |n: &str| body["data"][n].as_str().unwrap().to_string();
    Login { user_id: field("user_id"), access: field("access_token"), refresh: field("refresh_token") }
}

async fn call(f: &Account, event: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    invoke(f, event, |e| {
        with_bearer(e, token);
        if let Some(body) = body {
            with_body(e, body);
        }
    })
    .await
}

/// Registers the token's user for `competition`.
async fn register(f: &registration::Registration, token: &str, competition: &str) -> StatusCode {
    let path = format!("/client/v1/competitions/{competition}/registrations");
    let (status, _) = invoke(f, "registration", |e| {
        e["rawPath"] = path.clone().into();
        e["requestContext"]["http"]["path"] = path.into();
        with_bearer(e, token);
        with_body(e, json!({}));
    })
    .await;
    status
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn me_shows_the_account_with_its_mobile_masked_and_never_an_identity() {
    // given a user who logged in by SMS
    let server = MockServer::start().await;
    let f = account_fn(db().await, &server).await;
    let mobile = unique_mobile();
    let login = sms_login(&mobile).await;

    // when they read their account
    let (status, body) = call(&f, "account-me", &login.access, None).await;

    // then it is theirs, the mobile masked, the profile pending
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["user_id"], login.user_id);
    assert_eq!(data["logins"], json!({ "mobile": format!("+86 {}****{}", &mobile[..3], &mobile[7..]), "wechat": false }));
    assert_eq!((data["body_profile_status"].as_str(), data["body_profile"]["completed_at"].is_null()), (Some("pending"), true));
    assert!(shared::support::clock::parse_rfc3339(data["created_at"].as_str().unwrap()).is_some());
    assert!(!body.to_string().contains(&mobile[3..7]), "the middle digits of the mobile were shown");
}

#[tokio::test]
async fn logout_ends_the_login_at_once_and_logging_out_twice_is_fine() {
    let server = MockServer::start().await;
    let f = account_fn(db().await, &server).await;
    let mobile = unique_mobile();
    // given two logins of one user (two devices)
    let phone = sms_login(&mobile).await;
    let tablet = sms_login(&mobile).await;
    let refresh = token_refresh::TokenRefresh {
        db: db().await,
        tokens: tests::tokens(),
        refresh: shared::service::auth::refresh::RefreshConfig { ttl_sec: 86_400, rotation: false },
    };
    let redeem = |token: String| {
        let refresh = &refresh;
        async move { invoke(refresh, "token-refresh", |e| with_body(e, json!({ "refresh_token": token, "client_type": "wechat" }))).await.0 }
    };
    let profile = body_profile::BodyProfile::new(db().await, tests::tokens());
    let write = |token: String| {
        let profile = &profile;
        async move {
            invoke(profile, "body-profile", |e| {
                with_bearer(e, &token);
                with_body(e, json!({ "weight_kg": 61 }));
            })
            .await
        }
    };
    assert_eq!(write(phone.access.clone()).await.0, StatusCode::OK);

    // when the phone logs out
    let (status, body) = call(&f, "account-logout", &phone.access, Some(json!({ "refresh_token": phone.refresh }))).await;
    assert_eq!((status, body["data"]["ended_logins"].as_i64()), (StatusCode::OK, Some(1)), "{body}");

    // then its refresh token is dead at once, and its access token can no longer write
    assert_eq!(redeem(phone.refresh.clone()).await, StatusCode::UNAUTHORIZED);
    let (status, body) = write(phone.access.clone()).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"), "{body}");
    // while the tablet's login goes on
    assert_eq!(redeem(tablet.refresh.clone()).await, StatusCode::OK);
    assert_eq!(write(tablet.access.clone()).await.0, StatusCode::OK);
    // and logging out again changes nothing and is not an error
    let (status, body) = call(&f, "account-logout", &phone.access, Some(json!({ "refresh_token": phone.refresh }))).await;
    assert_eq!((status, body["data"]["ended_logins"].as_i64()), (StatusCode::OK, Some(0)));

    // when the tablet logs out everywhere, then every login of the user is over
    let third = sms_login(&mobile).await;
    let (status, body) =
        call(&f, "account-logout", &tablet.access, Some(json!({ "refresh_token": tablet.refresh, "all_devices": true }))).await;
    assert_eq!((status, body["data"]["ended_logins"].as_i64()), (StatusCode::OK, Some(2)), "{body}");
    assert_eq!(redeem(third.refresh.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(write(third.access.clone()).await.0, StatusCode::UNAUTHORIZED);
    println!(
        "logout: one login → its refresh and writes refused at once, the other device goes on; all_devices → 2 more logins ended; twice → 200"
    );
}

#[tokio::test]
async fn a_bound_mobile_and_the_wechat_it_was_bound_to_reach_one_user() {
    // given a WeChat-only user
    let server = MockServer::start().await;
    let f = account_fn(db().await, &server).await;
    let unionid = unique("union_");
    wechat_person(&server, "wx-first", &unionid).await;
    let user = wechat_login(&server, "wx-first").await;

    // when they bind a mobile with the code sent to it
    let mobile = unique_mobile();
    let code = send_code(&mobile).await;
    let bind = json!({ "country_code": "86", "mobile": mobile, "sms_code": code });
    let (status, body) = call(&f, "account-bind-mobile", &user.access, Some(bind.clone())).await;

    // then the account shows both logins, and logging in by SMS reaches the same user
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["logins"]["wechat"], true);
    assert!(body["data"]["logins"]["mobile"].as_str().unwrap().ends_with(&mobile[7..]));
    assert_eq!(sms_login(&mobile).await.user_id, user.user_id);
    // and binding it again is not an error
    let code = send_code(&mobile).await;
    let (status, _) =
        call(&f, "account-bind-mobile", &user.access, Some(json!({ "country_code": "86", "mobile": mobile, "sms_code": code }))).await;
    assert_eq!(status, StatusCode::OK);

    // when another user tries to bind that mobile, with a valid code
    let other = sms_login(&unique_mobile()).await;
    let code = send_code(&mobile).await;
    let (status, body) =
        call(&f, "account-bind-mobile", &other.access, Some(json!({ "country_code": "86", "mobile": mobile, "sms_code": code }))).await;
    // then it is someone else's login
    assert_eq!((status, code_of(&body)), (StatusCode::CONFLICT, "login_in_use"), "{body}");
    // and a user who has a mobile cannot bind a second one
    let second = unique_mobile();
    let code = send_code(&second).await;
    let (status, body) =
        call(&f, "account-bind-mobile", &user.access, Some(json!({ "country_code": "86", "mobile": second, "sms_code": code }))).await;
    assert_eq!((status, code_of(&body)), (StatusCode::CONFLICT, "login_already_bound"), "{body}");
    // and a wrong code binds nothing
    let (status, body) =
        call(&f, "account-bind-mobile", &other.access, Some(json!({ "country_code": "86", "mobile": second, "sms_code": "000000" }))).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, "sms_code_invalid"), "{body}");
}

fn code_of(body: &Value) -> &str {
    code(body)
}

#[tokio::test]
async fn two_users_binding_one_wechat_at_once_one_wins() {
    // given one WeChat person, whose two codes reach two users' phones at once
    let server = MockServer::start().await;
    let f = account_fn(db().await, &server).await;
    let unionid = unique("union_");
    wechat_person(&server, "wx-race-a", &unionid).await;
    wechat_person(&server, "wx-race-b", &unionid).await;
    wechat_person(&server, "wx-race-login", &unionid).await;
    let (a, b) = (sms_login(&unique_mobile()).await, sms_login(&unique_mobile()).await);

    // when both bind it at the same time
    let (ra, rb) = tokio::join!(
        call(&f, "account-bind-wechat", &a.access, Some(json!({ "wechat_login_code": "wx-race-a" }))),
        call(&f, "account-bind-wechat", &b.access, Some(json!({ "wechat_login_code": "wx-race-b" }))),
    );

    // then exactly one wins, the other is told it is someone else's login
    let answers = [(&a, ra), (&b, rb)];
    let winners: Vec<&Login> = answers.iter().filter(|(_, r)| r.0 == StatusCode::OK).map(|(l, _)| *l).collect();
    assert_eq!(winners.len(), 1, "{:?}", answers.iter().map(|(_, r)| r.1.to_string()).collect::<Vec<_>>());
    assert!(answers.iter().any(|(_, r)| r.0 == StatusCode::CONFLICT && code(&r.1) == "login_in_use"));
    // and WeChat login reaches the winner
    assert_eq!(wechat_login(&server, "wx-race-login").await.user_id, winners[0].user_id);
    println!("bind: 2 users binding one WeChat at once → 1 bound, 1 login_in_use; WeChat login then reaches the winner");
}

/// Between the SDK and moto: passes the first `budget` requests, then cuts every connection —
/// a Lambda timed out or a network lost halfway through a long request.
struct Cutter {
    url: String,
    passed: Arc<AtomicUsize>,
}

fn cutter(budget: usize) -> Cutter {
    let upstream = tests::moto_url().trim_start_matches("http://").trim_end_matches('/').to_string();
    let listener = TcpListener::bind("127.0.0.1:0").expect("cutter port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let passed = Arc::new(AtomicUsize::new(0));
    let count = passed.clone();
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            if count.fetch_add(1, Ordering::SeqCst) >= budget {
                drop(client);
                continue;
            }
            let upstream = upstream.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut moto = TcpStream::connect(&upstream)?;
                client.set_read_timeout(Some(Duration::from_millis(200)))?;
                let mut request = Vec::new();
                let mut buf = [0u8; 65536];
                // The SDK writes one request per connection here; read until it pauses.
                loop {
                    match client.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                        Err(_) => break,
                    }
                }
                moto.write_all(&request)?;
                let mut response = Vec::new();
                moto.read_to_end(&mut response)?;
                client.write_all(&response)
            });
        }
    });
    Cutter { url, passed }
}

async fn db_through(url: &str) -> Db {
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await).endpoint_url(url).build();
    Db::with_client(aws_sdk_dynamodb::Client::from_conf(conf), tests::table_name())
}

/// Every item of the table that holds `needle` anywhere (a test-only Scan).
async fn items_holding(needle: &str) -> Vec<String> {
    let items = tests::scan_table().await;
    items.into_iter().filter(|item| item.contains(needle)).collect()
}

#[tokio::test]
async fn a_deleted_account_leaves_nothing_and_a_cut_off_deletion_completes_when_run_again() {
    // given a user with a mobile, a WeChat, a completed profile, a registration and a session
    let server = MockServer::start().await;
    let unionid = unique("union_");
    wechat_person(&server, "wx-del", &unionid).await;
    let mobile = unique_mobile();
    let user = sms_login(&mobile).await;
    let healthy = account_fn(db().await, &server).await;
    let (status, _) = call(&healthy, "account-bind-wechat", &user.access, Some(json!({ "wechat_login_code": "wx-del" }))).await;
    assert_eq!(status, StatusCode::OK);
    let profile = body_profile::BodyProfile::new(db().await, tests::tokens());
    let (status, _) = invoke(&profile, "body-profile", |e| {
        with_bearer(e, &user.access);
        with_body(e, json!({ "gender": "female", "birth_date": "1990-01-01", "height_cm": 165, "weight_kg": 55 }));
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    let world = tests::World::publish(false, true).await;
    let registration = registration::Registration::new(db().await, tests::tokens());
    assert_eq!(register(&registration, &user.access, &world.competition).await, StatusCode::OK);
    let count = |c: &str| {
        let c = c.to_string();
        async move { shared::store::catalog::competition(&db().await, &c).await.unwrap().unwrap().registered_count }
    };
    assert_eq!(count(&world.competition).await, 1);
    assert!(items_holding(&user.user_id).await.len() >= 8, "the user's items are not all there to delete");

    // when the deletion is cut off after a few requests
    let budget = 7;
    let cut = cutter(budget);
    let interrupted = account_fn(db_through(&cut.url).await, &server).await;
    let confirm = json!({ "country_code": "86", "mobile": mobile, "sms_code": send_code(&mobile).await });
    let (status, body) = call(&interrupted, "account-delete", &user.access, Some(confirm)).await;
    assert!(status.is_server_error(), "{status} {body}");
    assert!(cut.passed.load(Ordering::SeqCst) > budget);
    let left = items_holding(&user.user_id).await.len();
    assert!(left > 0, "the cut-off deletion finished anyway");

    // and run again, confirmed with a fresh code
    let confirm = json!({ "country_code": "86", "mobile": mobile, "sms_code": send_code(&mobile).await });
    let (status, body) = call(&healthy, "account-delete", &user.access, Some(confirm)).await;

    // then it completes: no item of the table holds the old user id, the place is given back
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(items_holding(&user.user_id).await, Vec::<String>::new());
    assert_eq!(count(&world.competition).await, 0);
    // and the old tokens are refused
    let (status, _) = call(&healthy, "account-me", &user.access, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let refresh = token_refresh::TokenRefresh {
        db: db().await,
        tokens: tests::tokens(),
        refresh: shared::service::auth::refresh::RefreshConfig { ttl_sec: 86_400, rotation: false },
    };
    let (status, _) =
        invoke(&refresh, "token-refresh", |e| with_body(e, json!({ "refresh_token": user.refresh, "client_type": "wechat" }))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        register(&registration, &user.access, &world.competition).await,
        StatusCode::UNAUTHORIZED,
        "a deleted account's token registered"
    );
    // and the same mobile, and the same WeChat, now make new users
    let again = sms_login(&mobile).await;
    assert_ne!(again.user_id, user.user_id);
    assert_ne!(wechat_login(&server, "wx-del").await.user_id, user.user_id);
    println!(
        "delete account: cut off after {budget} requests → {left} items left, 503; run again → 200, 0 items hold the user id, place given back, old tokens 401, same mobile → a new user"
    );
}

#[tokio::test]
async fn two_users_binding_one_mobile_at_once_one_wins() {
    // given two WeChat-only users, and one code sent to a mobile that both hold it for
    let server = MockServer::start().await;
    let f = account_fn(db().await, &server).await;
    wechat_person(&server, "wx-mobile-race-a", &unique("union_")).await;
    wechat_person(&server, "wx-mobile-race-b", &unique("union_")).await;
    let (a, b) = (wechat_login(&server, "wx-mobile-race-a").await, wechat_login(&server, "wx-mobile-race-b").await);
    let mobile = unique_mobile();
    let sms_code = send_code(&mobile).await;
    let bind = json!({ "country_code": "86", "mobile": mobile, "sms_code": sms_code });

    // when both bind it at the same time
    let (ra, rb) = tokio::join!(
        call(&f, "account-bind-mobile", &a.access, Some(bind.clone())),
        call(&f, "account-bind-mobile", &b.access, Some(bind.clone())),
    );

    // then one wins; the other is refused (the code is spent, or the mobile is taken)
    let answers = [(&a, &ra), (&b, &rb)];
    let winners: Vec<&Login> = answers.iter().filter(|(_, r)| r.0 == StatusCode::OK).map(|(l, _)| *l).collect();
    assert_eq!(winners.len(), 1, "{ra:?} {rb:?}");
    assert!(answers.iter().any(|(_, r)| matches!(code(&r.1), "sms_code_invalid" | "login_in_use")), "{ra:?} {rb:?}");
    // and logging in with the mobile reaches the winner
    assert_eq!(sms_login(&mobile).await.user_id, winners[0].user_id);
}

#[tokio::test]
async fn deleting_a_long_history_takes_one_call_within_lambdas_limit() {
    use shared::model::run::punch::{Punch, Verdict};
    use shared::model::run::samples::SampleBatch;
    use shared::store::db::Tx;
    // given a user with 200 sessions, 20 of them with two hours of track at 1 Hz (8 batches),
    // each with 15 punches
    let db = db().await;
    let world = tests::World::publish(false, true).await;
    let mobile = unique_mobile();
    let login = sms_login(&mobile).await;
    let mut sessions = Vec::new();
    for i in 0..200 {
        let mut session = tests::session_record(&db, &login.user_id, &world.event, &world.release, "route-a", 3 * 3600).await;
        // as the punches and uploads below note them in the session; ten launched before it kept them
        session.punch_seqs = (0..15).collect();
        if i < 20 {
            session.batches = (0..8).map(|seq| (seq.to_string(), 900)).collect();
        }
        session.item_keys_known = i < 190;
        sessions.push(session);
    }
    for chunk in sessions.chunks(100) {
        let mut tx = Tx::new();
        for s in chunk {
            tx.push(shared::store::db::TxItem::Session, shared::store::session::put_new(&db, s));
        }
        db.transact(tx).await.unwrap();
    }
    let fix = |i: i64| shared::model::run::samples::Sample {
        t: 1_800_000_000_000 + i * 1000,
        lat: 31.04 + i as f64 * 1e-6,
        lng: 121.21,
        accuracy_m: 4.0,
        altitude_m: Some(10.0),
        heart_rate_bpm: Some(140),
    };
    let punch = |seq: u32| Punch {
        punch_seq: seq,
        control_code: "31".into(),
        t: 1_800_000_000_000 + seq as i64 * 60_000,
        lat: 31.04,
        lng: 121.21,
        accuracy_m: 5.0,
        content_hash: "h".into(),
        verdict: Verdict::Accepted,
        reason: None,
        distance_m: Some(1.0),
    };
    let mut items: Vec<shared::store::db::Item> = Vec::new();
    for s in &sessions {
        items.extend((0..15u32).map(|seq| shared::store::db::item(&shared::store::keys::punch(&s.session_id, seq), &punch(seq))));
    }
    for s in &sessions[..20] {
        for batch in 0..8i64 {
            let stored = SampleBatch::new(batch as u32, "h".into(), &(batch * 900..(batch + 1) * 900).map(fix).collect::<Vec<_>>());
            items.push(shared::store::db::item(&shared::store::keys::sample_batch(&s.session_id, batch as u32), &stored));
        }
    }
    tests::put_all(items.clone()).await;
    let items = items.len() + sessions.len();

    // when they delete the account, in one call
    let server = MockServer::start().await;
    let f = account_fn(db.clone(), &server).await;
    let confirm = json!({ "country_code": "86", "mobile": mobile, "sms_code": send_code(&mobile).await });
    let began = std::time::Instant::now();
    let (status, body) = call(&f, "account-delete", &login.access, Some(confirm)).await;
    let took = began.elapsed();

    // then it answers in time for the function's 10 s timeout, and nothing is left. On moto, which
    // answers one request at a time, it takes 5–12 s on a busy 2-core machine (DynamoDB serves the
    // 8 concurrent batches in parallel), so the bound here is moto's: 15 s.
    assert_eq!((status, body["data"]["removed"]["sessions"].as_u64()), (StatusCode::OK, Some(200)), "{body}");
    assert!(took.as_secs_f64() < 15.0, "{took:?}");
    let left = tests::scan_table().await;
    assert!(!left.iter().any(|i| i.contains(&login.user_id)), "the user is left");
    for s in &sessions {
        assert!(!left.iter().any(|i| i.contains(&s.session_id)), "{} is left", s.session_id);
    }
    println!(
        "account deletion: 200 sessions, 20 of them 2 h of 1 Hz track ({items} items) → one DELETE /me in {:.2} s",
        took.as_secs_f64()
    );
}
