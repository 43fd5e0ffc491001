//! SMS send and SMS login through the functions' handlers with the `events/` events, against
//! moto: codes are read back from moto's SMS log the way a phone would receive them.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};

use shared::service::auth::accounts::sms_login_key;
use shared::store::idempotency::Claim;
use sms_login::SmsLogin;
use sms_send::SmsSend;
use tests::{accounts, db, from_ip, invoke, last_code, sdk_config, sms_config, sms_to, unique, unique_ip, unique_mobile, with_body};

async fn make_sender(adjust: impl FnOnce(&mut shared::service::auth::sms::SmsConfig)) -> SmsSend {
    let mut sms = sms_config();
    adjust(&mut sms);
    SmsSend { db: db().await, sns: aws_sdk_sns::Client::new(&sdk_config().await), sms }
}

async fn make_login(adjust: impl FnOnce(&mut shared::service::auth::sms::SmsConfig)) -> SmsLogin {
    let mut sms = sms_config();
    adjust(&mut sms);
    SmsLogin { accounts: accounts().await, sms }
}

/// A send from a caller of its own (device and address).
async fn send(f: &SmsSend, mobile: &str, device: &str) -> (StatusCode, Value) {
    send_from(f, mobile, device, &unique_ip()).await
}

async fn send_from(f: &SmsSend, mobile: &str, device: &str, ip: &str) -> (StatusCode, Value) {
    invoke(f, "sms-send", |e| {
        with_body(e, json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": device }));
        from_ip(e, ip);
    })
    .await
}

async fn login(f: &SmsLogin, request_id: &str, mobile: &str, code: &str) -> (StatusCode, Value) {
    login_on(f, request_id, mobile, code, "dev_test_1").await
}

async fn login_on(f: &SmsLogin, request_id: &str, mobile: &str, code: &str, device: &str) -> (StatusCode, Value) {
    invoke(f, "sms-login", |e| {
        with_body(e, json!({ "login_request_id": request_id, "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": device }))
    })
    .await
}

/// A user who logged in by SMS with the `login_request_id` `key`, and the first answer.
struct KeyedLogin {
    login_fn: SmsLogin,
    mobile: String,
    code: String,
    key: String,
    first: Value,
}

async fn logged_in_with_a_key() -> KeyedLogin {
    let (sender, login_fn) = (make_sender(|_| {}).await, make_login(|_| {}).await);
    let mobile = unique_mobile();
    send(&sender, &mobile, &unique("dev_")).await;
    let code = last_code(&format!("+86{mobile}")).await;
    let key = unique("login_");
    let (status, first) = login(&login_fn, &key, &mobile, &code).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    KeyedLogin { login_fn, mobile, code, key, first }
}

fn wrong_code(right: &str) -> &'static str {
    if right == "000000" { "111111" } else { "000000" }
}

fn code_of(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn full_flow_sends_a_code_by_sms_and_the_first_login_creates_the_user() {
    // given a code sent to a new mobile
    let (sender, login_fn) = (make_sender(|_| {}).await, make_login(|_| {}).await);
    let mobile = unique_mobile();
    let (status, body) = send(&sender, &mobile, &unique("dev_")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({ "cooldown_sec": 60, "expires_in_sec": 300 }));
    let code = last_code(&format!("+86{mobile}")).await;

    // when the phone's owner logs in with it
    let (status, body) = login(&login_fn, &unique("login_"), &mobile, &code).await;

    // then a token pair for a new user with a pending profile
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["login_method"], "sms");
    assert_eq!(data["body_profile_status"], "pending");
    assert_eq!(data["expires_in_sec"], 3600);
    let user_id = data["user_id"].as_str().unwrap();
    let claims = tests::tokens().verify_access(data["access_token"].as_str().unwrap()).unwrap();
    assert_eq!((claims.sub.as_str(), claims.client_type.as_str(), claims.device_id.as_str()), (user_id, "app", "dev_test_1"));
    assert!(data["refresh_token"].as_str().unwrap().len() >= 43);
    // and the user, its identity, its profile and first profile version exist
    let db = db().await;
    let identity: Value = db
        .get(&shared::store::keys::identity(shared::model::identity::IdentityKind::Mobile, &format!("+86{mobile}")))
        .await
        .unwrap()
        .expect("identity");
    assert_eq!(identity["user_id"], user_id);
    assert!(db.get::<Value>(&shared::store::keys::user(user_id)).await.unwrap().is_some());
    assert!(db.get::<Value>(&shared::store::keys::body_profile(user_id)).await.unwrap().is_some());
    assert!(db.get::<Value>(&shared::store::keys::body_profile_version(user_id, 1)).await.unwrap().is_some());
    // and no code is stored in the clear
    let stored: Value = db.get(&shared::store::keys::sms_code(&format!("+86{mobile}"))).await.unwrap().unwrap();
    assert!(!stored.to_string().contains(&code));

    // when the same person logs in again later, the same user answers
    let (status, body) = send(&make_sender(|s| s.cooldown_sec = 0).await, &mobile, "dev_other").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let code = last_code(&format!("+86{mobile}")).await;
    let (status, body) = login(&login_fn, &unique("login_"), &mobile, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["user_id"], user_id);
}

#[tokio::test]
async fn a_second_send_within_the_cooldown_is_refused_with_retry_after() {
    let sender = make_sender(|_| {}).await;
    let mobile = unique_mobile();
    assert_eq!(send(&sender, &mobile, &unique("dev_")).await.0, StatusCode::OK);

    let (status, body) = send(&sender, &mobile, &unique("dev_")).await;

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code_of(&body), "sms_cooldown");
    let retry = body["error"]["details"]["retry_after_sec"].as_i64().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(sms_to(&format!("+86{mobile}")).await.len(), 1, "only one SMS went out");
}

#[tokio::test]
async fn daily_caps_stop_a_mobile_and_a_device() {
    // given caps of 3 per mobile and 4 per device, no cooldown
    let sender = make_sender(|s| {
        s.cooldown_sec = 0;
        s.daily_per_mobile = 3;
        s.daily_per_device = 4;
    })
    .await;
    let mobile = unique_mobile();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (status, body) = send(&sender, &mobile, &unique("dev_")).await;
        statuses.push((status.as_u16(), code_of(&body).to_string()));
    }
    assert_eq!(statuses.iter().filter(|s| s.0 == 200).count(), 3, "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| s == &(429, "sms_daily_limit".to_string())), "{statuses:?}");

    let device = unique("dev_");
    let mut accepted = 0;
    for _ in 0..6 {
        let (status, body) = send(&sender, &unique_mobile(), &device).await;
        if status == StatusCode::OK {
            accepted += 1;
        } else {
            assert_eq!(code_of(&body), "sms_daily_limit");
        }
    }
    assert_eq!(accepted, 4);
    println!("sms caps: 5 sends to one mobile (cap 3) → 3 sent; 6 mobiles from one device (cap 4) → 4 sent");
}

#[tokio::test]
async fn five_wrong_codes_lock_the_mobile_and_a_resend_does_not_unlock_it() {
    let sender = make_sender(|s| s.cooldown_sec = 0).await;
    let login_fn = make_login(|_| {}).await;
    let mobile = unique_mobile();
    send(&sender, &mobile, &unique("dev_")).await;
    let code = last_code(&format!("+86{mobile}")).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    // when five wrong codes are tried in a row
    let mut answers = Vec::new();
    for _ in 0..5 {
        let (status, body) = login(&login_fn, &unique("login_"), &mobile, wrong).await;
        answers.push((status.as_u16(), code_of(&body).to_string(), body["error"]["details"]["attempts_remaining"].as_i64()));
    }
    // then the first four say how many tries remain and the fifth locks
    assert_eq!(answers[..4].iter().map(|a| a.2).collect::<Vec<_>>(), vec![Some(4), Some(3), Some(2), Some(1)]);
    assert!(answers[..4].iter().all(|a| a.0 == 401 && a.1 == "sms_code_invalid"));
    assert_eq!((answers[4].0, answers[4].1.as_str()), (429, "sms_code_attempts_exceeded"));

    // and even the right code is refused while locked
    let (status, body) = login(&login_fn, &unique("login_"), &mobile, &code).await;
    assert_eq!((status, code_of(&body)), (StatusCode::TOO_MANY_REQUESTS, "sms_code_attempts_exceeded"));
    assert!(body["error"]["details"]["retry_after_sec"].as_i64().unwrap() > 800);

    // and a fresh code does not unlock it
    send(&sender, &mobile, &unique("dev_")).await;
    let fresh = last_code(&format!("+86{mobile}")).await;
    let (status, body) = login(&login_fn, &unique("login_"), &mobile, &fresh).await;
    assert_eq!((status, code_of(&body)), (StatusCode::TOO_MANY_REQUESTS, "sms_code_attempts_exceeded"));
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let sender = make_sender(|s| s.code_ttl_sec = 1).await;
    let login_fn = make_login(|_| {}).await;
    let mobile = unique_mobile();
    send(&sender, &mobile, &unique("dev_")).await;
    let code = last_code(&format!("+86{mobile}")).await;

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = login(&login_fn, &unique("login_"), &mobile, &code).await;

    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, "sms_code_expired"));
}

#[tokio::test]
async fn a_code_is_spent_by_its_first_login() {
    let (sender, login_fn) = (make_sender(|_| {}).await, make_login(|_| {}).await);
    let mobile = unique_mobile();
    send(&sender, &mobile, &unique("dev_")).await;
    let code = last_code(&format!("+86{mobile}")).await;
    assert_eq!(login(&login_fn, &unique("login_"), &mobile, &code).await.0, StatusCode::OK);

    let (status, body) = login(&login_fn, &unique("login_"), &mobile, &code).await;

    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, "sms_code_invalid"));
}

#[tokio::test]
async fn login_request_id_replays_the_first_answer_and_refuses_another_payload() {
    let KeyedLogin { login_fn, mobile, code, key, first } = logged_in_with_a_key().await;

    // when the client retries with the same key and payload (the code is already spent)
    let (status, replay) = login(&login_fn, &key, &mobile, &code).await;
    // then it gets the very same answer, its lifetime told as it is now
    assert_eq!(status, StatusCode::OK);
    let without_lifetime = |data: &Value| {
        let mut data = data.clone();
        data.as_object_mut().unwrap().remove("expires_in_sec").and_then(|v| v.as_i64()).map(|left| (data, left))
    };
    let ((replayed, left), (answered, issued)) = (without_lifetime(&replay["data"]).unwrap(), without_lifetime(&first["data"]).unwrap());
    assert_eq!(replayed, answered);
    assert!((issued - 2..=issued).contains(&left), "{left} of {issued}");

    // when the key comes back with another payload
    let (status, body) = login(&login_fn, &key, &mobile, wrong_code(&code)).await;
    // then it is refused, and counted as a wrong code
    assert_eq!((status, code_of(&body)), (StatusCode::CONFLICT, "idempotency_key_reused"));
    assert_eq!(body["error"]["details"]["attempts_remaining"], 4);
}

#[tokio::test]
async fn a_replayed_login_is_a_code_check_not_an_oracle() {
    // given the victim logged in with key K
    let KeyedLogin { login_fn, mobile, code, key, .. } = logged_in_with_a_key().await;

    // when a stranger who knows K, the mobile and the device replays K with 20 wrong codes
    let mut answers = Vec::new();
    for guess in 0..20 {
        let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + guess) % 1_000_000);
        let (status, body) = login(&login_fn, &key, &mobile, &guess).await;
        answers.push((status.as_u16(), code_of(&body).to_string()));
    }
    // then the fifth locks the mobile and every later replay meets the lock
    assert!(answers[..4].iter().all(|a| a == &(409, "idempotency_key_reused".to_string())), "{answers:?}");
    assert!(answers[4..].iter().all(|a| a == &(429, "sms_code_attempts_exceeded".to_string())), "{answers:?}");
    // and the right code then gets no tokens
    let (status, body) = login(&login_fn, &key, &mobile, &code).await;
    assert_eq!((status, code_of(&body)), (StatusCode::TOO_MANY_REQUESTS, "sms_code_attempts_exceeded"), "{body}");
    assert!(body.get("data").is_none());
    let counted = answers.iter().filter(|a| a.0 == 409).count();
    println!(
        "login replay: 20 replays of a used login_request_id with wrong codes → {counted} counted as wrong codes, {} refused by the lock; the right code then → 429, no tokens",
        20 - counted
    );
}

#[tokio::test]
async fn login_request_ids_are_scoped_to_the_mobile() {
    // given user A logged in with key K
    let (sender, login_fn) = (make_sender(|_| {}).await, make_login(|_| {}).await);
    let (mobile_a, mobile_b) = (unique_mobile(), unique_mobile());
    send(&sender, &mobile_a, &unique("dev_")).await;
    send(&sender, &mobile_b, &unique("dev_")).await;
    let key = unique("login_");
    let (status, a) = login(&login_fn, &key, &mobile_a, &last_code(&format!("+86{mobile_a}")).await).await;
    assert_eq!(status, StatusCode::OK, "{a}");

    // when B logs in with the same key, on B's own mobile and code
    let (status, b) = login(&login_fn, &key, &mobile_b, &last_code(&format!("+86{mobile_b}")).await).await;

    // then B is neither refused nor handed A's answer
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_ne!(b["data"]["user_id"], a["data"]["user_id"]);
    // and the record is stored under B's mobile
    let stored: Option<Value> = db()
        .await
        .get(&shared::store::keys::idempotency(
            shared::store::keys::IdempotencyScope::Login,
            &sms_login_key(&format!("+86{mobile_b}"), &key),
        ))
        .await
        .unwrap();
    assert!(stored.is_some());
}

#[tokio::test]
async fn a_replay_reports_the_tokens_remaining_lifetime() {
    let KeyedLogin { login_fn, mobile, code, key, first } = logged_in_with_a_key().await;

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, replay) = login(&login_fn, &key, &mobile, &code).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay["data"]["access_token"], first["data"]["access_token"]);
    let left = replay["data"]["expires_in_sec"].as_i64().unwrap();
    assert!((3596..=3598).contains(&left), "a replay 2 s later says {left} s left");
}

#[tokio::test]
async fn wrong_codes_with_no_active_code_never_lock_the_mobile() {
    let (sender, login_fn) = (make_sender(|_| {}).await, make_login(|_| {}).await);
    let mobile = unique_mobile();

    // when a stranger tries 10 codes on a mobile that was sent none
    let mut answers = Vec::new();
    for guess in 0..10 {
        let (status, body) = login(&login_fn, &unique("login_"), &mobile, &format!("{guess:06}")).await;
        answers.push((status.as_u16(), code_of(&body).to_string(), body["error"]["details"]["attempts_remaining"].as_i64()));
    }
    // then each is simply invalid, none counted
    assert!(answers.iter().all(|a| a == &(401, "sms_code_invalid".to_string(), None)), "{answers:?}");
    // and the owner then asks for a code and logs in
    send(&sender, &mobile, &unique("dev_")).await;
    let (status, body) = login(&login_fn, &unique("login_"), &mobile, &last_code(&format!("+86{mobile}")).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    println!("sms lock: 10 wrong codes on a mobile with no code sent → 10 sms_code_invalid, 0 counted, the owner logs in after");
}

#[tokio::test]
async fn a_stranger_spending_the_mobiles_cap_leaves_the_owners_known_device_its_reserve() {
    // given the owner logged in once from their phone
    let sender = make_sender(|s| s.cooldown_sec = 0).await;
    let login_fn = make_login(|_| {}).await;
    let (mobile, phone) = (unique_mobile(), unique("dev_owner_"));
    send(&sender, &mobile, &phone).await;
    let (status, _) = login_on(&login_fn, &unique("login_"), &mobile, &last_code(&format!("+86{mobile}")).await, &phone).await;
    assert_eq!(status, StatusCode::OK);

    // when a stranger asks for codes from ever new devices until refused
    let mut stranger_sent = 0;
    for _ in 0..15 {
        let (status, body) = send(&sender, &mobile, &unique("dev_")).await;
        match status {
            StatusCode::OK => stranger_sent += 1,
            _ => assert_eq!(code_of(&body), "sms_daily_limit", "{body}"),
        }
    }
    // then the stranger got what is left of the mobile's daily cap (10, one spent by the owner)
    assert_eq!(stranger_sent, 9);
    // and the owner's phone still gets its reserve of 3, a new device nothing
    let mut owner = Vec::new();
    for _ in 0..4 {
        owner.push(send(&sender, &mobile, &phone).await.0.as_u16());
    }
    assert_eq!(owner, vec![200, 200, 200, 429]);
    assert_eq!(code_of(&send(&sender, &mobile, &unique("dev_")).await.1), "sms_daily_limit");
    println!(
        "sms quota: a stranger rotating devices → {stranger_sent} sent, then sms_daily_limit; the owner's known phone → 3 more (its reserve), a new device → 429"
    );
}

#[tokio::test]
async fn one_source_ip_gets_no_more_than_its_hourly_cap() {
    // given one address and no cooldown to slow it, well inside one hour
    tests::clear_of_the_hour(60).await;
    let sender = make_sender(|s| s.cooldown_sec = 0).await;
    let ip = unique_ip();
    let mobiles: Vec<String> = (0..200).map(|_| unique_mobile()).collect();

    // when it asks 200 times, for 200 mobiles from 200 devices
    let mut refused = Vec::new();
    for mobile in &mobiles {
        let (status, body) = send_from(&sender, mobile, &unique("dev_"), &ip).await;
        if status != StatusCode::OK {
            refused.push((status.as_u16(), code_of(&body).to_string()));
        }
    }

    // then the cap (20) were delivered and the rest refused as such
    let mut delivered = 0;
    for mobile in &mobiles {
        delivered += sms_to(&format!("+86{mobile}")).await.len();
    }
    assert_eq!(delivered, 20);
    assert_eq!(refused.len(), 180);
    assert!(refused.iter().all(|r| r == &(429, "sms_ip_limit".to_string())), "{refused:?}");
    // and another address is served at once
    assert_eq!(send(&sender, &unique_mobile(), &unique("dev_")).await.0, StatusCode::OK);
    println!("sms pumping: 200 sends from one IP across 200 devices and mobiles → {delivered} delivered (cap 20), 180 sms_ip_limit");
}

#[tokio::test]
async fn a_login_still_in_flight_answers_request_in_progress() {
    let login_fn = make_login(|_| {}).await;
    let mobile = unique_mobile();
    let key = unique("login_");
    // given the first request with this key holds its claim
    let accounts = accounts().await;
    let payload = [format!("+86{mobile}"), "123456".into(), "app".into(), "dev_test_1".into()];
    let payload: Vec<&str> = payload.iter().map(String::as_str).collect();
    let scoped = sms_login_key(&format!("+86{mobile}"), &key);
    let claim = accounts
        .idempotency
        .claim(&accounts.db, shared::store::keys::IdempotencyScope::Login, &scoped, &payload, shared::support::clock::now())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Fresh(_)));

    let (status, body) = login(&login_fn, &key, &mobile, "123456").await;

    assert_eq!((status, code_of(&body)), (StatusCode::CONFLICT, "request_in_progress"));
}

#[tokio::test]
async fn twenty_concurrent_first_logins_of_one_mobile_make_exactly_one_user() {
    let (sender, login_fn) = (make_sender(|_| {}).await, make_login(|_| {}).await);
    let mobile = unique_mobile();
    send(&sender, &mobile, &unique("dev_")).await;
    let code = last_code(&format!("+86{mobile}")).await;

    let answers = futures::future::join_all((0..20).map(|_| {
        let (login_fn, mobile, code) = (&login_fn, &mobile, &code);
        async move { login(login_fn, &unique("login_"), mobile, code).await }
    }))
    .await;

    let winners: Vec<&Value> = answers.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s != StatusCode::OK)
            .all(|(s, b)| *s == StatusCode::UNAUTHORIZED && code_of(b) == "sms_code_invalid")
    );
    let identity: Value = db()
        .await
        .get(&shared::store::keys::identity(shared::model::identity::IdentityKind::Mobile, &format!("+86{mobile}")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(identity["user_id"], winners[0]["data"]["user_id"]);
    println!("sms login: 20 concurrent first logins of one mobile → 1 user, 19 refused");
}

#[tokio::test]
async fn when_sns_fails_the_answer_is_502_and_no_cooldown_is_consumed() {
    // given SNS out of reach
    let mut broken = make_sender(|_| {}).await;
    broken.sns =
        aws_sdk_sns::Client::from_conf(aws_sdk_sns::config::Builder::from(&sdk_config().await).endpoint_url("http://127.0.0.1:9").build());
    let mobile = unique_mobile();

    let (status, body) = send(&broken, &mobile, &unique("dev_")).await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_GATEWAY, "sms_send_failed"));

    // then a retry straight away goes through (no cooldown, no cap spent)
    let (status, body) = send(&make_sender(|_| {}).await, &mobile, &unique("dev_")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cap: Value = db()
        .await
        .get(&shared::store::keys::sms_cap(
            shared::store::keys::SmsCapScope::Mobile,
            &format!("+86{mobile}"),
            &shared::support::clock::day(shared::support::clock::now()),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cap["sent"], 1);
}

#[tokio::test]
async fn a_configured_test_number_gets_its_fixed_code_without_any_sms() {
    let mobile = unique_mobile();
    let e164 = format!("+86{mobile}");
    let test = |s: &mut shared::service::auth::sms::SmsConfig| {
        s.test_numbers.insert(format!("+86{mobile}"), "246810".into());
    };
    let (status, _) = send(&make_sender(test).await, &mobile, &unique("dev_")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sms_to(&e164).await.is_empty(), "a test number never reaches SNS");

    let (status, body) = login(&make_login(|_| {}).await, &unique("login_"), &mobile, "246810").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_nothing_is_sent() {
    let sender = make_sender(|_| {}).await;
    let mobile = unique_mobile();
    let base = json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": "dev_1" });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        ("malformed JSON", "{\"scene\": ".into(), StatusCode::BAD_REQUEST, "body"),
        ("not an object", "[1,2]".into(), StatusCode::BAD_REQUEST, "body"),
        ("missing mobile", without("mobile").to_string(), StatusCode::BAD_REQUEST, "mobile"),
        ("wrong type", with("mobile", json!(13912345678u64)).to_string(), StatusCode::BAD_REQUEST, "mobile"),
        ("unknown scene", with("scene", json!("register")).to_string(), StatusCode::BAD_REQUEST, "scene"),
        ("unknown client_type", with("client_type", json!("web")).to_string(), StatusCode::BAD_REQUEST, "client_type"),
        ("enum in serde's object form", with("client_type", json!({ "app": null })).to_string(), StatusCode::BAD_REQUEST, "client_type"),
        ("scene in serde's object form", with("scene", json!({ "client_login": null })).to_string(), StatusCode::BAD_REQUEST, "scene"),
        ("country not allowed", with("country_code", json!("1")).to_string(), StatusCode::BAD_REQUEST, "country_code"),
        ("short mobile", with("mobile", json!("1391234")).to_string(), StatusCode::BAD_REQUEST, "mobile"),
        ("letters in mobile", with("mobile", json!("1391234567x")).to_string(), StatusCode::BAD_REQUEST, "mobile"),
        ("empty device", with("device_id", json!("")).to_string(), StatusCode::BAD_REQUEST, "device_id"),
        ("huge device", with("device_id", json!("d".repeat(5000))).to_string(), StatusCode::BAD_REQUEST, "device_id"),
        ("unicode device", with("device_id", json!("设备")).to_string(), StatusCode::BAD_REQUEST, "device_id"),
        ("extra field", with("debug", json!(true)).to_string(), StatusCode::BAD_REQUEST, "debug"),
        ("oversized body", with("device_id", json!("d".repeat(20_000))).to_string(), StatusCode::PAYLOAD_TOO_LARGE, "body"),
    ];
    for (name, body, want_status, field) in &cases {
        let (status, answer) = invoke(&sender, "sms-send", |e| e["body"] = Value::String(body.clone())).await;
        assert_eq!(status, *want_status, "{name}: {answer}");
        assert_eq!(answer["error"]["details"]["field"], *field, "{name}: {answer}");
    }
    // a wrong content type
    let (status, answer) = invoke(&sender, "sms-send", |e| {
        with_body(e, base.clone());
        e["headers"]["content-type"] = "text/plain".into();
    })
    .await;
    assert_eq!((status, code_of(&answer)), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    assert!(sms_to(&format!("+86{mobile}")).await.is_empty());
    println!("sms-send bad input: {} malformed requests → 4xx naming the field", cases.len() + 1);
}
