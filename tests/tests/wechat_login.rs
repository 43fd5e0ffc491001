//! WeChat login through the `wechat-login` handler against a wiremock WeChat and moto.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::clients::wechat::{Wechat, WechatApp, WechatConfig};
use std::time::Duration;
use tests::{accounts, invoke, unique, with_body};
use wechat_login::WechatLogin;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MINI_APP: &str = "wx_mini_test";
const MOBILE_APP: &str = "wx_app_test";

async fn function(server: &MockServer, timeout_ms: u64) -> WechatLogin {
    let app = |id: &str| Some(WechatApp { app_id: id.into(), secret: format!("{id}-secret-value") });
    let config = WechatConfig {
        api_base: server.uri(),
        mini_program: app(MINI_APP),
        mobile_app: app(MOBILE_APP),
        timeout: Duration::from_millis(timeout_ms),
    };
    WechatLogin { accounts: accounts().await, wechat: Wechat::new(config) }
}

async fn login(f: &WechatLogin, code: &str, client_type: &str) -> (StatusCode, Value) {
    invoke(f, "wechat-login", |e| {
        with_body(
            e,
            json!({ "login_request_id": unique("login_"), "wechat_login_code": code, "client_type": client_type, "device_id": "dev_wx_1" }),
        )
    })
    .await
}

/// WeChat answers `body` for the mini-program exchange of `code`.
async fn mini_program_answers(server: &MockServer, code: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("appid", MINI_APP))
        .and(query_param("js_code", code))
        .and(query_param("grant_type", "authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_string(), "text/plain"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_mini_program_login_with_unionid_creates_one_user_shared_with_the_app() {
    let server = MockServer::start().await;
    let f = function(&server, 3000).await;
    let unionid = unique("union_");
    mini_program_answers(&server, "code-mini", json!({ "openid": unique("o_"), "session_key": "SECRET-SESSION-KEY", "unionid": unionid }))
        .await;
    Mock::given(method("GET"))
        .and(path("/sns/oauth2/access_token"))
        .and(query_param("appid", MOBILE_APP))
        .and(query_param("code", "code-app"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "WX-ACCESS", "openid": unique("o_"), "unionid": unionid, "expires_in": 7200 })),
        )
        .mount(&server)
        .await;

    // when the person logs in from the mini-program, then from the app
    let (status, first) = login(&f, "code-mini", "wechat").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = login(&f, "code-app", "app").await;
    assert_eq!(status, StatusCode::OK, "{second}");

    // then one user (by unionid), login_method wechat, and WeChat's secrets never leave
    assert_eq!(first["data"]["login_method"], "wechat");
    assert_eq!(first["data"]["user_id"], second["data"]["user_id"]);
    assert!(!first.to_string().contains("SECRET-SESSION-KEY") && !second.to_string().contains("WX-ACCESS"));
    let claims = tests::tokens().verify_access(second["data"]["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.client_type.as_str(), "app");
}

#[tokio::test]
async fn without_unionid_the_person_is_appid_plus_openid() {
    let server = MockServer::start().await;
    let f = function(&server, 3000).await;
    let openid = unique("o_");
    mini_program_answers(&server, "c1", json!({ "openid": openid, "session_key": "k" })).await;
    mini_program_answers(&server, "c2", json!({ "openid": openid, "session_key": "k" })).await;
    mini_program_answers(&server, "c3", json!({ "openid": unique("o_"), "session_key": "k" })).await;

    let (_, a) = login(&f, "c1", "wechat").await;
    let (_, b) = login(&f, "c2", "wechat").await;
    let (_, c) = login(&f, "c3", "wechat").await;

    assert!(a["data"]["user_id"].is_string(), "{a}");
    assert_eq!(a["data"]["user_id"], b["data"]["user_id"]);
    assert_ne!(a["data"]["user_id"], c["data"]["user_id"]);
    let identity: Value = tests::db()
        .await
        .get(&shared::store::keys::identity(shared::model::identity::IdentityKind::WechatOpen, &format!("{MINI_APP}:{openid}")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(identity["user_id"], a["data"]["user_id"]);
}

#[tokio::test]
async fn wechat_errcodes_map_to_stable_codes() {
    let server = MockServer::start().await;
    let f = function(&server, 3000).await;
    let cases = [
        (40029, StatusCode::UNAUTHORIZED, "wechat_code_invalid"),
        (40163, StatusCode::UNAUTHORIZED, "wechat_code_invalid"),
        (45011, StatusCode::TOO_MANY_REQUESTS, "wechat_rate_limited"),
        (-1, StatusCode::BAD_GATEWAY, "wechat_unavailable"),
        (40013, StatusCode::BAD_GATEWAY, "wechat_unavailable"),
    ];
    for (errcode, want_status, want_code) in cases {
        let code = format!("code{errcode}");
        mini_program_answers(&server, &code, json!({ "errcode": errcode, "errmsg": "from wechat" })).await;
        let (status, body) = login(&f, &code, "wechat").await;
        assert_eq!((status, body["error"]["code"].as_str().unwrap()), (want_status, want_code), "errcode {errcode}");
        assert!(!body.to_string().contains("secret-value"));
    }
}

#[tokio::test]
async fn a_wechat_timeout_is_a_502_within_the_configured_timeout() {
    let server = MockServer::start().await;
    let f = function(&server, 500).await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "openid": "late" })).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;

    let started = std::time::Instant::now();
    let (status, body) = login(&f, "slow", "wechat").await;
    let took = started.elapsed();

    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (StatusCode::BAD_GATEWAY, "wechat_unavailable"));
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    println!("wechat timeout: 502 after {} ms (timeout 500 ms)", took.as_millis());
}

#[tokio::test]
async fn an_unconfigured_client_type_is_503() {
    let server = MockServer::start().await;
    let mut f = function(&server, 3000).await;
    f.wechat = Wechat::new(WechatConfig { api_base: server.uri(), mini_program: None, mobile_app: None, timeout: Duration::from_secs(1) });

    let (status, body) = login(&f, "any", "app").await;

    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (StatusCode::SERVICE_UNAVAILABLE, "wechat_not_configured"));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn twenty_concurrent_first_logins_of_one_wechat_person_make_one_user() {
    let server = MockServer::start().await;
    let f = function(&server, 3000).await;
    let unionid = unique("union_");
    for i in 0..20 {
        mini_program_answers(&server, &format!("burst{i}"), json!({ "openid": "o", "session_key": "k", "unionid": unionid })).await;
    }

    let answers = futures::future::join_all((0..20).map(|i| {
        let f = &f;
        async move { login(f, &format!("burst{i}"), "wechat").await }
    }))
    .await;

    let users: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::OK, "{b}");
            b["data"]["user_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(users.len(), 1);
    println!("wechat login: 20 concurrent first logins of one person → {} user", users.len());
}
