//! The API under attack, over HTTP against `cargo lambda watch` (started by `make test`):
//! malformed input on every route, forged and misplaced tokens, one user reaching for another's
//! data, and SMS abuse. Every answer goes through `tests::api()`, which asserts the envelope.

use futures::StreamExt;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::http::routes::{ROUTES, Route};
use shared::store::keys;
use shared::support::clock;
use shared::support::tokens::{Claims, Tokens};
use shared::support::types::ClientType;
use tests::{Api, World, api, unique, unique_mobile};

// ---------------------------------------------------------------------------------------------
// Helpers

/// This suite's tests run one at a time, so each one's figures (SMS sent, caps, versions) are
/// its own and a burst from one never queues behind another's in moto.
async fn one_at_a_time() -> futures::lock::MutexGuard<'static, ()> {
    static SUITE: std::sync::OnceLock<futures::lock::Mutex<()>> = std::sync::OnceLock::new();
    SUITE.get_or_init(|| futures::lock::Mutex::new(())).lock().await
}

async fn ask_code(api: &Api, mobile: &str) {
    let (status, body) = api
        .post(
            "/client/v1/auth/sms/send",
            None,
            json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": unique("dev_") }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Logs `mobile` in with `code`, the way the app does; returns (user_id, access token).
async fn login_with(api: &Api, mobile: &str, code: &str) -> (String, String) {
    let (status, body) = api
        .post("/client/v1/auth/login/sms", None, json!({ "login_request_id": unique("login_"), "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": "dev_adv" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = &body["data"];
    (d["user_id"].as_str().unwrap().into(), d["access_token"].as_str().unwrap().into())
}

/// One request exactly as given: raw `Authorization`, content type and body bytes.
async fn raw(
    api: &Api,
    method: &str,
    path: &str,
    auth: Option<&str>,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let mut req = api.http.request(method.parse().expect("method"), format!("{}{path}", api.base));
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(body) = body {
        req = req.body(body);
    }
    api.finish(req).await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut b = base.clone();
    b[key] = value;
    b
}

fn without(base: &Value, key: &str) -> Value {
    let mut b = base.clone();
    b.as_object_mut().unwrap().remove(key);
    b
}

fn route(method: &str, path: &str) -> &'static Route {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("{method} {path} is not in shared::http::routes::ROUTES"))
}

async fn profile_versions(user_id: &str) -> usize {
    shared::store::profile::versions(&tests::db().await, user_id).await.expect("versions").len()
}

/// The user's sessions, through the GSI every session is indexed in.
async fn sessions_of(user_id: &str) -> Vec<shared::model::run::session::Session> {
    shared::store::session::of_user(&tests::db().await, user_id).await.expect("sessions")
}

async fn stored(key: &keys::Key) -> Option<Value> {
    tests::db().await.get::<Value>(key).await.expect("get")
}

async fn registered_count(competition_id: &str) -> i64 {
    shared::store::catalog::competition(&tests::db().await, competition_id).await.expect("read").expect("competition").registered_count
}

fn launch_body(request_id: &str, release: &str) -> Value {
    json!({ "launch_request_id": request_id, "device_id": "dev_adv", "client_type": "app", "release_id": release })
}

// ---------------------------------------------------------------------------------------------
// 1. Bad input on every route

/// One malformed request and the answer it must get.
struct Bad {
    name: String,
    method: &'static str,
    path: String,
    auth: Option<String>,
    content_type: Option<&'static str>,
    body: Option<Vec<u8>>,
    status: StatusCode,
    code: &'static str,
    /// `error.details.field`, when the answer names one.
    field: Option<&'static str>,
}

impl Bad {
    fn new(name: impl Into<String>, method: &'static str, path: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            method,
            path: path.into(),
            auth: None,
            content_type: None,
            body: None,
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            field: None,
        }
    }
    fn bearer(mut self, token: Option<&str>) -> Self {
        self.auth = token.map(|t| format!("Bearer {t}"));
        self
    }
    fn auth(mut self, header: &str) -> Self {
        self.auth = Some(header.to_string());
        self
    }
    fn json(mut self, body: &Value) -> Self {
        self.content_type = Some("application/json");
        self.body = Some(body.to_string().into_bytes());
        self
    }
    fn raw(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = Some(content_type);
        self.body = Some(body.into());
        self
    }
    /// 400 invalid_request naming `field`.
    fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
    fn answers(mut self, status: StatusCode, code: &'static str, field: Option<&'static str>) -> Self {
        (self.status, self.code, self.field) = (status, code, field);
        self
    }
}

/// Path ids no id may be: each must be refused naming its parameter.
fn bad_ids() -> Vec<(&'static str, String)> {
    vec![
        ("encoded slash", "a%2Fb".into()),
        ("NUL", "a%00b".into()),
        ("300 chars", "x".repeat(300)),
        ("129 chars", "x".repeat(129)),
        ("unicode", "%E8%B5%9B%E4%BA%8B".into()),
        ("space", "a%20b".into()),
        ("star", "*".into()),
        ("hash", "a%23b".into()),
        ("quote", "a%27b".into()),
        ("newline", "a%0Ab".into()),
        ("percent", "a%25b".into()),
        ("semicolon", "a;b".into()),
    ]
}

/// 17 KB: over the 16 KB body limit.
fn oversized(base: &Value) -> Vec<u8> {
    with(base, "padding", json!("p".repeat(17 * 1024))).to_string().into_bytes()
}

/// 200 nested arrays: deeper than any JSON parser should follow.
fn deeply_nested() -> String {
    format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200))
}

/// What every JSON-body route must refuse, whatever its fields. `empty` is the field an empty
/// body is missing first (None where an empty body is a valid request).
fn body_cases(method: &'static str, path: &str, token: Option<&str>, base: &Value, empty: Option<&'static str>) -> Vec<Bad> {
    let c = |name: &str| Bad::new(name, method, path).bearer(token);
    let mut cases = vec![
        c("malformed JSON").raw("application/json", "{\"a\": ").field("body"),
        c("trailing garbage").raw("application/json", format!("{base} xyz")).field("body"),
        c("UTF-8 BOM").raw("application/json", format!("\u{feff}{base}")).field("body"),
        c("JSON array").raw("application/json", "[1,2]").field("body"),
        c("JSON string").raw("application/json", "\"hello\"").field("body"),
        c("number out of f64 range").raw("application/json", "{\"x\": 1e400}").field("body"),
        c("200 levels of nesting").raw("application/json", deeply_nested()).field("body"),
        c("text/plain").raw("text/plain", base.to_string()).answers(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Some("Content-Type"),
        ),
        c("form-encoded").raw("application/x-www-form-urlencoded", "a=b").answers(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Some("Content-Type"),
        ),
        c("oversized body (17 KB)").raw("application/json", oversized(base)).answers(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Some("body"),
        ),
        c("extra field user_id").json(&with(base, "user_id", json!("usr_someone_else"))).field("user_id"),
    ];
    if let Some(field) = empty {
        cases.push(c("empty body").raw("application/json", "").field(field));
    }
    cases
}

/// Field-level cases: (name, body, field named).
fn field_cases(method: &'static str, path: &str, token: Option<&str>, cases: Vec<(&str, Value, &'static str)>) -> Vec<Bad> {
    cases.into_iter().map(|(name, body, field)| Bad::new(name, method, path).bearer(token).json(&body).field(field)).collect()
}

fn get_id_cases(path_of: impl Fn(&str) -> String, param: &'static str, token: Option<&str>) -> Vec<Bad> {
    bad_ids().into_iter().map(|(name, id)| Bad::new(format!("{param} {name}"), "GET", path_of(&id)).bearer(token).field(param)).collect()
}

fn get_oversized(path: &str, token: Option<&str>) -> Bad {
    Bad::new("oversized GET body", "GET", path).bearer(token).raw("application/json", oversized(&json!({}))).answers(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        Some("body"),
    )
}

fn page_cases(path: &str) -> Vec<Bad> {
    let q = |name: &str, query: &str, field: &'static str| Bad::new(name, "GET", format!("{path}?{query}")).field(field);
    vec![
        q("page=0", "page=0", "page"),
        q("page=-1", "page=-1", "page"),
        q("page=abc", "page=abc", "page"),
        q("page=1.5", "page=1.5", "page"),
        q("page empty", "page=", "page"),
        q("page beyond u32", "page=99999999999", "page"),
        q("page=1001", "page=1001", "page"),
        q("10 KB page", &format!("page={}", "1".repeat(10 * 1024)), "page"),
        q("page_size=0", "page_size=0", "page_size"),
        q("page_size=51", "page_size=51", "page_size"),
        q("page_size=abc", "page_size=abc", "page_size"),
        q("window past 1000", "page=21&page_size=50", "page"),
    ]
}

#[tokio::test]
async fn bad_input_on_every_route_is_a_4xx_naming_the_problem_and_writes_nothing() {
    let _one_at_a_time = one_at_a_time().await;
    // given a real user, a published world, and fresh identifiers the malformed requests carry
    let api = api();
    let world = World::publish(false, true).await;
    let tests::Login { user_id: user, access_token: token, .. } = api.sms_login(&unique_mobile()).await;
    let t = Some(token.as_str());
    let (send_mobile, send_device) = (unique_mobile(), unique("dev_"));
    let (login_mobile, login_key, wechat_key, launch_key) = (unique_mobile(), unique("login_"), unique("wxlogin_"), unique("l_"));
    let versions_before = profile_versions(&user).await;
    let profile_before = stored(&keys::body_profile(&user)).await.expect("profile");
    let count_before = registered_count(&world.competition).await;

    let mut table: Vec<(&'static Route, Vec<Bad>)> = Vec::new();

    // POST /auth/sms/send
    let p = "/client/v1/auth/sms/send";
    let base =
        json!({ "scene": "client_login", "country_code": "86", "mobile": send_mobile, "client_type": "app", "device_id": send_device });
    let mut cases = body_cases("POST", p, None, &base, Some("scene"));
    cases.extend(field_cases(
        "POST",
        p,
        None,
        vec![
            ("empty object", json!({}), "scene"),
            ("missing mobile", without(&base, "mobile"), "mobile"),
            ("mobile as number", with(&base, "mobile", json!(13912345678u64)), "mobile"),
            ("empty mobile", with(&base, "mobile", json!("")), "mobile"),
            ("full-width digits", with(&base, "mobile", json!("１３９１２３４５６７８")), "mobile"),
            ("10 KB mobile", with(&base, "mobile", json!(format!("13{}", "9".repeat(10 * 1024)))), "mobile"),
            ("E.164 in mobile", with(&base, "mobile", json!(format!("+86{send_mobile}"))), "mobile"),
            ("country not allowed", with(&base, "country_code", json!("1")), "country_code"),
            ("country as big number", with(&base, "country_code", json!(99999999999u64)), "country_code"),
            ("unknown scene", with(&base, "scene", json!("register")), "scene"),
            ("null scene", with(&base, "scene", Value::Null), "scene"),
            ("unknown client_type", with(&base, "client_type", json!("web")), "client_type"),
            ("empty device_id", with(&base, "device_id", json!("")), "device_id"),
            ("10 KB device_id", with(&base, "device_id", json!("d".repeat(10 * 1024))), "device_id"),
            ("unicode device_id", with(&base, "device_id", json!("设备")), "device_id"),
        ],
    ));
    table.push((route("POST", p), cases));

    // POST /auth/login/sms
    let p = "/client/v1/auth/login/sms";
    let base = json!({ "login_request_id": login_key, "country_code": "86", "mobile": login_mobile, "sms_code": "123456", "client_type": "app", "device_id": "dev_adv" });
    let mut cases = body_cases("POST", p, None, &base, Some("login_request_id"));
    cases.extend(field_cases(
        "POST",
        p,
        None,
        vec![
            ("missing login_request_id", without(&base, "login_request_id"), "login_request_id"),
            ("empty login_request_id", with(&base, "login_request_id", json!("")), "login_request_id"),
            ("10 KB login_request_id", with(&base, "login_request_id", json!("k".repeat(10 * 1024))), "login_request_id"),
            ("login_request_id with a space", with(&base, "login_request_id", json!("a b")), "login_request_id"),
            ("5-digit code", with(&base, "sms_code", json!("12345")), "sms_code"),
            ("letters in code", with(&base, "sms_code", json!("12345a")), "sms_code"),
            ("code as number", with(&base, "sms_code", json!(123456)), "sms_code"),
            ("full-width code", with(&base, "sms_code", json!("１２３４５６")), "sms_code"),
            ("empty mobile", with(&base, "mobile", json!("")), "mobile"),
            ("country not allowed", with(&base, "country_code", json!("999")), "country_code"),
            ("unknown client_type", with(&base, "client_type", json!("web")), "client_type"),
            ("unicode device_id", with(&base, "device_id", json!("设备")), "device_id"),
        ],
    ));
    table.push((route("POST", p), cases));

    // POST /auth/login/wechat
    let p = "/client/v1/auth/login/wechat";
    let base = json!({ "login_request_id": wechat_key, "wechat_login_code": "wx-code", "client_type": "wechat", "device_id": "dev_adv" });
    let mut cases = body_cases("POST", p, None, &base, Some("login_request_id"));
    cases.extend(field_cases(
        "POST",
        p,
        None,
        vec![
            ("missing code", without(&base, "wechat_login_code"), "wechat_login_code"),
            ("empty code", with(&base, "wechat_login_code", json!("")), "wechat_login_code"),
            ("600-char code", with(&base, "wechat_login_code", json!("c".repeat(600))), "wechat_login_code"),
            ("10 KB code", with(&base, "wechat_login_code", json!("c".repeat(10 * 1024))), "wechat_login_code"),
            ("unicode code", with(&base, "wechat_login_code", json!("微信")), "wechat_login_code"),
            ("code as number", with(&base, "wechat_login_code", json!(42)), "wechat_login_code"),
            ("unknown client_type", with(&base, "client_type", json!("miniprogram")), "client_type"),
            ("null client_type", with(&base, "client_type", Value::Null), "client_type"),
            ("empty login_request_id", with(&base, "login_request_id", json!("")), "login_request_id"),
            ("smuggled openid", with(&base, "openid", json!("o_victim")), "openid"),
            ("smuggled unionid", with(&base, "unionid", json!("u_victim")), "unionid"),
        ],
    ));
    table.push((route("POST", p), cases));

    // POST /auth/refresh
    let p = "/client/v1/auth/refresh";
    let base = json!({ "refresh_token": "not-a-token", "client_type": "app" });
    let mut cases = body_cases("POST", p, None, &base, Some("refresh_token"));
    cases.extend(field_cases(
        "POST",
        p,
        None,
        vec![
            ("missing refresh_token", without(&base, "refresh_token"), "refresh_token"),
            ("empty refresh_token", with(&base, "refresh_token", json!("")), "refresh_token"),
            ("refresh_token as number", with(&base, "refresh_token", json!(1)), "refresh_token"),
            ("refresh_token as array", with(&base, "refresh_token", json!(["a"])), "refresh_token"),
            ("missing client_type", without(&base, "client_type"), "client_type"),
            ("unknown client_type", with(&base, "client_type", json!("web")), "client_type"),
        ],
    ));
    for (name, value) in [
        ("10 KB refresh_token", "r".repeat(10 * 1024)),
        ("unicode refresh_token", "刷新令牌".into()),
        ("NUL in refresh_token", "a\u{0}b".into()),
    ] {
        cases.push(Bad::new(name, "POST", p).json(&with(&base, "refresh_token", json!(value))).answers(
            StatusCode::UNAUTHORIZED,
            "refresh_token_invalid",
            None,
        ));
    }
    table.push((route("POST", p), cases));

    // PUT /me/body-profile
    let p = "/client/v1/me/body-profile";
    let base = json!({ "weight_kg": 61 });
    let mut cases = body_cases("PUT", p, t, &base, Some("body"));
    cases.extend(field_cases(
        "PUT",
        p,
        t,
        vec![
            ("nothing to update", json!({}), "body"),
            ("only nulls", json!({ "gender": null }), "body"),
            ("unknown gender", json!({ "gender": "robot" }), "gender"),
            ("gender as number", json!({ "gender": 1 }), "gender"),
            ("month 13", json!({ "birth_date": "1990-13-01" }), "birth_date"),
            ("February 30", json!({ "birth_date": "1990-02-30" }), "birth_date"),
            ("born in the future", json!({ "birth_date": "2999-01-01" }), "birth_date"),
            ("born before 1900", json!({ "birth_date": "1899-12-31" }), "birth_date"),
            ("10 KB birth_date", json!({ "birth_date": "1".repeat(10 * 1024) }), "birth_date"),
            ("full-width birth_date", json!({ "birth_date": "１９９０-01-01" }), "birth_date"),
            ("height as string", json!({ "height_cm": "tall" }), "height_cm"),
            ("height 10000", json!({ "height_cm": 10000 }), "height_cm"),
            ("negative height", json!({ "height_cm": -1 }), "height_cm"),
            ("weight 0", json!({ "weight_kg": 0 }), "weight_kg"),
            ("resting HR beyond u32", json!({ "resting_heart_rate_bpm": 99999999999u64 }), "resting_heart_rate_bpm"),
            ("fractional resting HR", json!({ "resting_heart_rate_bpm": 60.5 }), "resting_heart_rate_bpm"),
            ("negative max HR", json!({ "max_heart_rate_bpm": -1 }), "max_heart_rate_bpm"),
            ("max HR 300", json!({ "max_heart_rate_bpm": 300 }), "max_heart_rate_bpm"),
            ("max HR below resting", json!({ "resting_heart_rate_bpm": 100, "max_heart_rate_bpm": 90 }), "max_heart_rate_bpm"),
            ("smuggled sub", json!({ "weight_kg": 61, "sub": "usr_someone_else" }), "sub"),
        ],
    ));
    table.push((route("PUT", p), cases));

    // GET /cards
    let p = "/client/v1/cards";
    let mut cases: Vec<Bad> = bad_ids()
        .into_iter()
        .map(|(name, v)| Bad::new(format!("region_code {name}"), "GET", format!("{p}?region_code={v}")).field("region_code"))
        .collect();
    cases.push(Bad::new("region_code %ZZ", "GET", format!("{p}?region_code=%ZZ")).field("region_code"));
    cases.push(Bad::new("10 KB region_code", "GET", format!("{p}?region_code={}", "r".repeat(10 * 1024))).field("region_code"));
    cases.push(get_oversized(p, None));
    table.push((route("GET", p), cases));

    // GET /competitions/{competition_id} (optional auth: a valid token is sent)
    let mut cases = get_id_cases(|id| format!("/client/v1/competitions/{id}"), "competition_id", t);
    cases.push(Bad::new("unknown competition", "GET", format!("/client/v1/competitions/{}", unique("cmp_"))).bearer(t).answers(
        StatusCode::NOT_FOUND,
        "competition_not_found",
        None,
    ));
    cases.push(get_oversized(&format!("/client/v1/competitions/{}", world.competition), t));
    table.push((route("GET", "/client/v1/competitions/{competition_id}"), cases));

    // GET /competitions/{competition_id}/events/{event_id}
    let mut cases = get_id_cases(|id| format!("/client/v1/competitions/{id}/events/{}", world.event), "competition_id", t);
    cases.truncate(6);
    let mut on_event = get_id_cases(|id| format!("/client/v1/competitions/{}/events/{id}", world.competition), "event_id", t);
    on_event.truncate(6);
    cases.extend(on_event);
    cases.push(
        Bad::new("event not in the competition", "GET", format!("/client/v1/competitions/{}/events/{}", world.competition, unique("ev-")))
            .bearer(t)
            .answers(StatusCode::NOT_FOUND, "event_not_found", None),
    );
    cases.push(get_oversized(&format!("/client/v1/competitions/{}/events/{}", world.competition, world.event), t));
    table.push((route("GET", "/client/v1/competitions/{competition_id}/events/{event_id}"), cases));

    // GET /maps
    let p = "/client/v1/maps";
    let mut cases = page_cases(p);
    cases.push(Bad::new("region_code encoded slash", "GET", format!("{p}?region_code=a%2Fb")).field("region_code"));
    cases.push(Bad::new("region_code 300 chars", "GET", format!("{p}?region_code={}", "r".repeat(300))).field("region_code"));
    cases.push(get_oversized(p, None));
    table.push((route("GET", p), cases));

    // GET /maps/{map_id}
    let mut cases = get_id_cases(|id| format!("/client/v1/maps/{id}"), "map_id", None);
    cases.push(get_oversized(&format!("/client/v1/maps/{}", world.map), None));
    table.push((route("GET", "/client/v1/maps/{map_id}"), cases));

    // GET /events
    let p = "/client/v1/events";
    let mut cases = page_cases(p);
    cases.push(Bad::new("map_id encoded slash", "GET", format!("{p}?map_id=a%2Fb")).field("map_id"));
    cases.push(Bad::new("map_id NUL", "GET", format!("{p}?map_id=a%00b")).field("map_id"));
    cases.push(Bad::new("map_id 300 chars", "GET", format!("{p}?map_id={}", "m".repeat(300))).field("map_id"));
    cases.push(Bad::new("unknown map", "GET", format!("{p}?map_id={}", unique("map-"))).answers(
        StatusCode::NOT_FOUND,
        "map_not_found",
        None,
    ));
    cases.push(get_oversized(p, None));
    table.push((route("GET", p), cases));

    // GET /events/{event_id}
    let mut cases = get_id_cases(|id| format!("/client/v1/events/{id}"), "event_id", None);
    cases.push(Bad::new("unknown event", "GET", format!("/client/v1/events/{}", unique("ev-"))).answers(
        StatusCode::NOT_FOUND,
        "event_not_found",
        None,
    ));
    cases.push(get_oversized(&format!("/client/v1/events/{}", world.event), None));
    table.push((route("GET", "/client/v1/events/{event_id}"), cases));

    // POST /competitions/{competition_id}/registrations
    let p = format!("/client/v1/competitions/{}/registrations", world.competition);
    let base = json!({ "group_id": "grp-1" });
    let mut cases = body_cases("POST", &p, t, &base, None);
    let unknown_competition = unique("cmp_");
    cases.push(
        Bad::new("unknown competition", "POST", format!("/client/v1/competitions/{unknown_competition}/registrations"))
            .bearer(t)
            .json(&json!({}))
            .answers(StatusCode::NOT_FOUND, "competition_not_found", None),
    );
    for (name, id) in bad_ids().into_iter().take(3) {
        cases.push(
            Bad::new(format!("competition_id {name}"), "POST", format!("/client/v1/competitions/{id}/registrations"))
                .bearer(t)
                .json(&json!({}))
                .field("competition_id"),
        );
    }
    cases.extend(field_cases(
        "POST",
        &p,
        t,
        vec![
            ("empty group_id", json!({ "group_id": "" }), "group_id"),
            ("10 KB group_id", json!({ "group_id": "g".repeat(10 * 1024) }), "group_id"),
            ("unicode group_id", json!({ "group_id": "红队" }), "group_id"),
            ("group_id with a slash", json!({ "group_id": "a/b" }), "group_id"),
            ("group_id as number", json!({ "group_id": 5 }), "group_id"),
            ("form_payload array", json!({ "form_payload": [1, 2] }), "form_payload"),
            ("form_payload string", json!({ "form_payload": "text" }), "form_payload"),
            ("form_payload number", json!({ "form_payload": 5 }), "form_payload"),
            ("form_payload over 8 KB", json!({ "form_payload": { "essay": "e".repeat(9 * 1024) } }), "form_payload"),
            ("smuggled status", json!({ "status": "approved" }), "status"),
            ("smuggled registration_id", json!({ "registration_id": "reg_mine" }), "registration_id"),
        ],
    ));
    table.push((route("POST", "/client/v1/competitions/{competition_id}/registrations"), cases));

    // POST /competitions/{competition_id}/events/{event_id}/launch and POST /events/{event_id}/launch
    let base = launch_body(&launch_key, &world.release);
    let launch_fields = |p: &str| {
        field_cases(
            "POST",
            p,
            t,
            vec![
                ("missing launch_request_id", without(&base, "launch_request_id"), "launch_request_id"),
                ("empty launch_request_id", with(&base, "launch_request_id", json!("")), "launch_request_id"),
                ("10 KB launch_request_id", with(&base, "launch_request_id", json!("k".repeat(10 * 1024))), "launch_request_id"),
                ("unicode launch_request_id", with(&base, "launch_request_id", json!("启动")), "launch_request_id"),
                ("empty device_id", with(&base, "device_id", json!("")), "device_id"),
                ("unknown client_type", with(&base, "client_type", json!("web")), "client_type"),
                ("missing release_id", without(&base, "release_id"), "release_id"),
                ("release_id with a slash", with(&base, "release_id", json!("a/b")), "release_id"),
                ("release_id as number", with(&base, "release_id", json!(1)), "release_id"),
                ("empty route_code", with(&base, "route_code", json!("")), "route_code"),
                ("300-char route_code", with(&base, "route_code", json!("r".repeat(300))), "route_code"),
                ("smuggled session_id", with(&base, "session_id", json!("ses_mine")), "session_id"),
            ],
        )
    };
    let p = format!("/client/v1/competitions/{}/events/{}/launch", world.competition, world.event);
    let mut cases = body_cases("POST", &p, t, &base, Some("launch_request_id"));
    cases.extend(launch_fields(&p));
    for (name, id) in bad_ids().into_iter().take(3) {
        cases.push(
            Bad::new(format!("competition_id {name}"), "POST", format!("/client/v1/competitions/{id}/events/{}/launch", world.event))
                .bearer(t)
                .json(&base)
                .field("competition_id"),
        );
        cases.push(
            Bad::new(format!("event_id {name}"), "POST", format!("/client/v1/competitions/{}/events/{id}/launch", world.competition))
                .bearer(t)
                .json(&base)
                .field("event_id"),
        );
    }
    table.push((route("POST", "/client/v1/competitions/{competition_id}/events/{event_id}/launch"), cases));
    let p = format!("/client/v1/events/{}/launch", world.event);
    let mut cases = body_cases("POST", &p, t, &base, Some("launch_request_id"));
    cases.extend(launch_fields(&p));
    for (name, id) in bad_ids().into_iter().take(4) {
        cases.push(
            Bad::new(format!("event_id {name}"), "POST", format!("/client/v1/events/{id}/launch")).bearer(t).json(&base).field("event_id"),
        );
    }
    table.push((route("POST", "/client/v1/events/{event_id}/launch"), cases));

    // DELETE /competitions/{competition_id}/registrations
    let mut cases: Vec<Bad> = bad_ids()
        .into_iter()
        .map(|(name, id)| {
            Bad::new(format!("competition_id {name}"), "DELETE", format!("/client/v1/competitions/{id}/registrations"))
                .bearer(t)
                .field("competition_id")
        })
        .collect();
    let p = format!("/client/v1/competitions/{}/registrations", world.competition);
    cases.push(Bad::new("not registered", "DELETE", p.clone()).bearer(t).answers(StatusCode::NOT_FOUND, "registration_not_found", None));
    cases.push(
        Bad::new("unknown competition", "DELETE", format!("/client/v1/competitions/{}/registrations", unique("cmp_"))).bearer(t).answers(
            StatusCode::NOT_FOUND,
            "competition_not_found",
            None,
        ),
    );
    cases.push(Bad::new("no token", "DELETE", p.clone()).answers(StatusCode::UNAUTHORIZED, "unauthorized", None));
    cases.push(Bad::new("oversized body", "DELETE", p.clone()).bearer(t).raw("application/json", oversized(&json!({}))).answers(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        Some("body"),
    ));
    table.push((route("DELETE", "/client/v1/competitions/{competition_id}/registrations"), cases));

    // GET /me: nothing to send but the token
    let p = "/client/v1/me";
    let unauthorized = |name: &str, header: Option<String>| {
        let bad = Bad::new(name, "GET", p).answers(StatusCode::UNAUTHORIZED, "unauthorized", None);
        match header {
            Some(h) => bad.auth(&h),
            None => bad,
        }
    };
    let mut cases = vec![
        unauthorized("no token", None),
        unauthorized("Basic auth", Some("Basic dXNlcjpwYXNz".into())),
        unauthorized("empty bearer", Some("Bearer ".into())),
        unauthorized("garbage bearer", Some("Bearer a.b.c".into())),
        unauthorized("10 KB bearer", Some(format!("Bearer {}", "t".repeat(10 * 1024)))),
        unauthorized("bearer without scheme", Some(token.clone())),
        unauthorized(
            "token of another key",
            Some(format!(
                "Bearer {}",
                Tokens::new(b"another-key-another-key-another-key!", "client-api", "client-api", 3600, 7200).issue_access(
                    &user,
                    ClientType::App,
                    "dev_adv",
                    None,
                    clock::now()
                )
            )),
        ),
        unauthorized(
            "session token",
            Some(format!("Bearer {}", tests::tokens().issue_session(&user, ClientType::App, "dev_adv", "ses_x", None, clock::now()).0)),
        ),
        Bad::new("expired", "GET", p)
            .auth(&format!("Bearer {}", tests::tokens().issue_access(&user, ClientType::App, "dev_adv", None, clock::now() - 7200)))
            .answers(StatusCode::UNAUTHORIZED, "token_expired", None),
    ];
    cases.push(get_oversized(p, t));
    table.push((route("GET", p), cases));

    // DELETE /me: never with a code that could delete the account
    let p = "/client/v1/me";
    let base = json!({ "country_code": "86", "mobile": login_mobile, "sms_code": "123456" });
    let mut cases = body_cases("DELETE", p, t, &base, Some("country_code"));
    cases.extend(field_cases(
        "DELETE",
        p,
        t,
        vec![
            ("missing sms_code", without(&base, "sms_code"), "sms_code"),
            ("5-digit sms_code", with(&base, "sms_code", json!("12345")), "sms_code"),
            ("sms_code as number", with(&base, "sms_code", json!(123456)), "sms_code"),
            ("mobile with letters", with(&base, "mobile", json!("1391234567x")), "mobile"),
            ("country not allowed", with(&base, "country_code", json!("1")), "country_code"),
        ],
    ));
    cases.push(Bad::new("a code never sent", "DELETE", p).bearer(t).json(&base).answers(
        StatusCode::UNAUTHORIZED,
        "sms_code_invalid",
        Some("sms_code"),
    ));
    table.push((route("DELETE", p), cases));

    // POST /me/identities/mobile
    let p = "/client/v1/me/identities/mobile";
    let mut cases = body_cases("POST", p, t, &base, Some("country_code"));
    cases.extend(field_cases(
        "POST",
        p,
        t,
        vec![
            ("missing mobile", without(&base, "mobile"), "mobile"),
            ("empty sms_code", with(&base, "sms_code", json!("")), "sms_code"),
            ("full-width digits", with(&base, "mobile", json!("１３９１２３４５６７８")), "mobile"),
            ("country_code as number", with(&base, "country_code", json!(86)), "country_code"),
        ],
    ));
    table.push((route("POST", p), cases));

    // POST /me/identities/wechat: never a code WeChat would be asked about
    let p = "/client/v1/me/identities/wechat";
    let base = json!({ "wechat_login_code": "wx-code" });
    let mut cases = body_cases("POST", p, t, &base, Some("wechat_login_code"));
    cases.extend(field_cases(
        "POST",
        p,
        t,
        vec![
            ("empty code", with(&base, "wechat_login_code", json!("")), "wechat_login_code"),
            ("600-char code", with(&base, "wechat_login_code", json!("c".repeat(600))), "wechat_login_code"),
            ("code with a space", with(&base, "wechat_login_code", json!("a b")), "wechat_login_code"),
            ("code as object", with(&base, "wechat_login_code", json!({ "a": 1 })), "wechat_login_code"),
        ],
    ));
    table.push((route("POST", p), cases));

    // GET /me/registrations
    let p = "/client/v1/me/registrations";
    let q = |name: &str, query: String, field: &'static str| Bad::new(name, "GET", format!("{p}?{query}")).bearer(t).field(field);
    let b64 = |text: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    };
    let mut cases = vec![
        q("limit=0", "limit=0".into(), "limit"),
        q("limit=51", "limit=51".into(), "limit"),
        q("limit=abc", "limit=abc".into(), "limit"),
        q("limit=1.5", "limit=1.5".into(), "limit"),
        q("cursor not base64", "cursor=%21%21".into(), "cursor"),
        q("cursor without a separator", format!("cursor={}", b64("12345")), "cursor"),
        q("cursor with a negative time", format!("cursor={}", b64("-1:cmp_a")), "cursor"),
        q("cursor with a slash in the id", format!("cursor={}", b64("1:a/b")), "cursor"),
        q("10 KB cursor", format!("cursor={}", b64(&"1:".repeat(5000))), "cursor"),
    ];
    cases.push(get_oversized(p, t));
    table.push((route("GET", p), cases));

    // POST /auth/logout
    let p = "/client/v1/auth/logout";
    let base = json!({ "refresh_token": "rt_not_a_token", "all_devices": false });
    let mut cases = body_cases("POST", p, t, &base, Some("refresh_token"));
    cases.extend(field_cases(
        "POST",
        p,
        t,
        vec![
            ("empty refresh_token", with(&base, "refresh_token", json!("")), "refresh_token"),
            ("300-char refresh_token", with(&base, "refresh_token", json!("r".repeat(300))), "refresh_token"),
            ("refresh_token as number", with(&base, "refresh_token", json!(1)), "refresh_token"),
            ("all_devices as string", with(&base, "all_devices", json!("yes")), "all_devices"),
        ],
    ));
    table.push((route("POST", p), cases));

    // the session chain: a running session of its own, written as launch writes it
    let db = tests::db().await;
    let runner = unique("usr_adv_");
    let (run, st) = tests::running_session(&db, &runner, &world.event, &world.release, "route-a", 600).await;
    let (_, other_st) = tests::running_session(&db, &runner, &world.event, &world.release, "route-a", 600).await;
    let st = Some(st.as_str());
    let now_ms = clock::now_ms();
    let sample = json!({ "t": now_ms - 60_000, "lat": 31.04, "lng": 121.21, "accuracy_m": 5.0 });
    let session_auth = |p: &str, method: &'static str, body: &Value| {
        let c = |name: &str| Bad::new(name, method, p.to_string()).json(body);
        vec![
            c("no token").answers(StatusCode::UNAUTHORIZED, "unauthorized", None),
            c("access token").bearer(t).answers(StatusCode::UNAUTHORIZED, "unauthorized", None),
            c("another session's token").bearer(Some(other_st.as_str())).answers(StatusCode::NOT_FOUND, "session_not_found", None),
        ]
    };

    // POST /session-uploads (256 KiB: 17 KB is no longer too large, it is an unknown field)
    let p = "/client/v1/session-uploads";
    let base = json!({ "session_id": run.session_id, "batch_seq": 0, "coord_sys": "wgs84", "samples": [sample] });
    let with_sample = |key: &str, value: Value| {
        let mut b = base.clone();
        b["samples"][0][key] = value;
        b
    };
    let mut cases: Vec<Bad> =
        body_cases("POST", p, st, &base, Some("session_id")).into_iter().filter(|c| c.status != StatusCode::PAYLOAD_TOO_LARGE).collect();
    cases.extend(field_cases(
        "POST",
        p,
        st,
        vec![
            ("no samples", with(&base, "samples", json!([])), "samples"),
            ("batch_seq -1", with(&base, "batch_seq", json!(-1)), "batch_seq"),
            ("batch_seq 2000", with(&base, "batch_seq", json!(2000)), "batch_seq"),
            ("coord_sys bd09", with(&base, "coord_sys", json!("bd09")), "coord_sys"),
            ("t before the launch", with_sample("t", json!(0)), "samples[0].t"),
            ("t an hour ahead", with_sample("t", json!(now_ms + 3_600_000)), "samples[0].t"),
            ("t as string", with_sample("t", json!("now")), "samples[0].t"),
            ("lat 91", with_sample("lat", json!(91)), "samples[0].lat"),
            ("lng -181", with_sample("lng", json!(-181)), "samples[0].lng"),
            ("accuracy -1", with_sample("accuracy_m", json!(-1)), "samples[0].accuracy_m"),
            ("altitude 10 km", with_sample("altitude_m", json!(10_000)), "samples[0].altitude_m"),
            ("heart rate 300", with_sample("heart_rate_bpm", json!(300)), "samples[0].heart_rate_bpm"),
            ("heart rate 1.5", with_sample("heart_rate_bpm", json!(1.5)), "samples[0].heart_rate_bpm"),
            ("unknown sample field", with_sample("speed", json!(3)), "samples[0].speed"),
            ("t not ascending", with(&base, "samples", json!([sample, sample])), "samples[1].t"),
            ("session_id with a slash", with(&base, "session_id", json!("a/b")), "session_id"),
        ],
    ));
    let many: Vec<Value> = (0..1001).map(|i| json!({ "t": now_ms - 500_000 + i, "lat": 31.04, "lng": 121.21, "accuracy_m": 5 })).collect();
    cases.push(Bad::new("1,001 samples", "POST", p).bearer(st).json(&with(&base, "samples", json!(many))).answers(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        Some("samples"),
    ));
    cases.push(
        Bad::new("257 KiB body", "POST", p)
            .bearer(st)
            .raw("application/json", with(&base, "padding", json!("p".repeat(257 * 1024))).to_string())
            .answers(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", Some("body")),
    );
    cases.extend(session_auth(p, "POST", &base));
    table.push((route("POST", p), cases));

    // POST /punches
    let p = "/client/v1/punches";
    let base = json!({ "session_id": run.session_id, "punch_seq": 0, "control_code": "S1", "t": now_ms - 60_000, "lat": 31.04, "lng": 121.21, "accuracy_m": 5, "coord_sys": "wgs84", "method": "gps" });
    let mut cases = body_cases("POST", p, st, &base, Some("session_id"));
    cases.extend(field_cases(
        "POST",
        p,
        st,
        vec![
            ("punch_seq -1", with(&base, "punch_seq", json!(-1)), "punch_seq"),
            ("punch_seq 1000", with(&base, "punch_seq", json!(1000)), "punch_seq"),
            ("empty control_code", with(&base, "control_code", json!("")), "control_code"),
            ("100-char control_code", with(&base, "control_code", json!("3".repeat(100))), "control_code"),
            ("method nfc", with(&base, "method", json!("nfc")), "method"),
            ("t before the launch", with(&base, "t", json!(1)), "t"),
            ("lat NaN as string", with(&base, "lat", json!("NaN")), "lat"),
            ("lat 91", with(&base, "lat", json!(91)), "lat"),
            ("accuracy -1", with(&base, "accuracy_m", json!(-1)), "accuracy_m"),
            ("missing coord_sys", without(&base, "coord_sys"), "coord_sys"),
        ],
    ));
    cases.extend(session_auth(p, "POST", &base));
    table.push((route("POST", p), cases));

    // POST /sessions/{session_id}/finish
    let p = format!("/client/v1/sessions/{}/finish", run.session_id);
    let base = json!({ "last_punch_seq": null, "reason": "completed", "finished_at": now_ms });
    let mut cases = body_cases("POST", &p, st, &base, Some("reason"));
    cases.extend(field_cases(
        "POST",
        &p,
        st,
        vec![
            ("reason quit", with(&base, "reason", json!("quit")), "reason"),
            ("finished_at as string", with(&base, "finished_at", json!("2026-11-29T08:00:00Z")), "finished_at"),
            ("finished_at before the launch", with(&base, "finished_at", json!(0)), "finished_at"),
            ("last_punch_seq -1", with(&base, "last_punch_seq", json!(-1)), "last_punch_seq"),
            ("missing finished_at", without(&base, "finished_at"), "finished_at"),
        ],
    ));
    for (name, id) in bad_ids().into_iter().take(4) {
        cases.push(
            Bad::new(format!("session_id {name}"), "POST", format!("/client/v1/sessions/{id}/finish"))
                .bearer(st)
                .json(&base)
                .field("session_id"),
        );
    }
    cases.extend(session_auth(&p, "POST", &base));
    table.push((route("POST", "/client/v1/sessions/{session_id}/finish"), cases));

    // GET /sessions/{session_id}/result
    let p = format!("/client/v1/sessions/{}/result", run.session_id);
    let mut cases = get_id_cases(|id| format!("/client/v1/sessions/{id}/result"), "session_id", t);
    cases.push(Bad::new("session token", "GET", p.clone()).bearer(st).answers(StatusCode::UNAUTHORIZED, "unauthorized", None));
    cases.push(Bad::new("no token", "GET", p.clone()).answers(StatusCode::UNAUTHORIZED, "unauthorized", None));
    cases.push(Bad::new("another user's session", "GET", p.clone()).bearer(t).answers(StatusCode::NOT_FOUND, "session_not_found", None));
    cases.push(Bad::new("unknown session", "GET", format!("/client/v1/sessions/{}/result", unique("ses_"))).bearer(t).answers(
        StatusCode::NOT_FOUND,
        "session_not_found",
        None,
    ));
    cases.push(get_oversized(&p, t));
    table.push((route("GET", "/client/v1/sessions/{session_id}/result"), cases));

    // GET /me/sessions: sealed cursors only
    let p = "/client/v1/me/sessions";
    let q = |name: &str, query: String, field: &'static str| Bad::new(name, "GET", format!("{p}?{query}")).bearer(t).field(field);
    let sealed_for_another = tests::cursors().seal("me/sessions", &runner, &format!("{}#{}", run.created_at, run.session_id));
    let mut cases = vec![
        q("limit=0", "limit=0".into(), "limit"),
        q("limit=51", "limit=51".into(), "limit"),
        q("limit=abc", "limit=abc".into(), "limit"),
        q("cursor not base64", "cursor=%21%21".into(), "cursor"),
        q("plain base64 cursor", format!("cursor={}", b64("1800000000#ses_1")), "cursor"),
        q("another user's cursor", format!("cursor={sealed_for_another}"), "cursor"),
        q("a registrations cursor", format!("cursor={}", b64("1:cmp_a")), "cursor"),
        q("10 KB cursor", format!("cursor={}", "A".repeat(10 * 1024)), "cursor"),
        Bad::new("session token", "GET", p).bearer(st).answers(StatusCode::UNAUTHORIZED, "unauthorized", None),
        Bad::new("no token", "GET", p).answers(StatusCode::UNAUTHORIZED, "unauthorized", None),
    ];
    cases.push(get_oversized(p, t));
    table.push((route("GET", p), cases));

    // GET /competitions/{competition_id}/leaderboard and …/live: a board's query and its tokens
    let board_reads = |board: &str, not_enabled: &'static str| {
        let p = format!("/client/v1/competitions/{}/{board}", world.competition);
        let full = format!("{p}?event_id={}&route_code=route-a", world.event);
        let q = |name: &str, query: String, field: &'static str| Bad::new(name, "GET", format!("{p}?{query}")).field(field);
        let mut cases = vec![
            q("no event_id", "route_code=route-a".into(), "event_id"),
            q("no route_code", format!("event_id={}", world.event), "route_code"),
            q("event_id with a slash", "event_id=a%2Fb&route_code=route-a".into(), "event_id"),
            q("route_code of 300 chars", format!("event_id={}&route_code={}", world.event, "r".repeat(300)), "route_code"),
            Bad::new("garbage bearer", "GET", full.clone()).auth("Bearer a.b.c").answers(StatusCode::UNAUTHORIZED, "unauthorized", None),
            Bad::new("session token", "GET", full.clone()).bearer(st).answers(StatusCode::UNAUTHORIZED, "unauthorized", None),
            Bad::new("unknown competition", "GET", format!("/client/v1/competitions/{}/{board}?event_id=e&route_code=r", unique("cmp_")))
                .answers(StatusCode::NOT_FOUND, "competition_not_found", None),
            Bad::new("a competition without one", "GET", full.clone()).answers(StatusCode::NOT_FOUND, not_enabled, None),
        ];
        for (name, id) in bad_ids().into_iter().take(4) {
            cases.push(
                Bad::new(format!("competition_id {name}"), "GET", format!("/client/v1/competitions/{id}/{board}?event_id=e&route_code=r"))
                    .field("competition_id"),
            );
        }
        cases.push(get_oversized(&full, t));
        cases
    };
    let mut cases = board_reads("leaderboard", "leaderboard_not_enabled");
    let q = |name: &str, query: &str, field: &'static str| {
        let path = format!("/client/v1/competitions/{}/leaderboard?event_id={}&route_code=route-a&{query}", world.competition, world.event);
        Bad::new(name, "GET", path).field(field)
    };
    cases.extend([
        q("limit=0", "limit=0", "limit"),
        q("limit=101", "limit=101", "limit"),
        q("cursor not sealed", &format!("cursor={}", b64("{\"rank\":1}")), "cursor"),
        q("a sessions cursor", &format!("cursor={sealed_for_another}"), "cursor"),
    ]);
    table.push((route("GET", "/client/v1/competitions/{competition_id}/leaderboard"), cases));
    table.push((route("GET", "/client/v1/competitions/{competition_id}/live"), board_reads("live", "board_not_enabled")));

    // the track, heart rate and replay of a run: the owner's access token only
    for (op, suffix) in [("gps-track", "/gps-track"), ("heart-rate", "/heart-rate"), ("replay-summary", "/replay-summary")] {
        let pattern = format!("/client/v1/sessions/{{session_id}}{suffix}");
        let p = format!("/client/v1/sessions/{}{suffix}", run.session_id);
        let mut cases = get_id_cases(|id| format!("/client/v1/sessions/{id}{suffix}"), "session_id", t);
        cases.push(Bad::new("session token", "GET", p.clone()).bearer(st).answers(StatusCode::UNAUTHORIZED, "unauthorized", None));
        cases.push(Bad::new("no token", "GET", p.clone()).answers(StatusCode::UNAUTHORIZED, "unauthorized", None));
        cases.push(Bad::new("another user's session", "GET", p.clone()).bearer(t).answers(
            StatusCode::NOT_FOUND,
            "session_not_found",
            None,
        ));
        cases.push(get_oversized(&p, t));
        if op == "gps-track" {
            let own = Some(tests::access_token(&runner, ClientType::App));
            for (name, query, field) in [
                ("resolution=ultra", "resolution=ultra", "resolution"),
                ("resolution=LOW", "resolution=LOW", "resolution"),
                ("format=kml", "format=kml", "format"),
                ("format empty", "format=", "format"),
            ] {
                cases.push(Bad::new(name, "GET", format!("{p}?{query}")).bearer(own.as_deref()).field(field));
            }
        }
        table.push((route("GET", Box::leak(pattern.into_boxed_str())), cases));
    }

    // every route but the published OpenAPI file has its table of at least ten
    for r in ROUTES.iter().filter(|r| r.path != "/client/v1/openapi.yaml") {
        let n: usize = table.iter().filter(|(t, _)| *t == r).map(|(_, c)| c.len()).sum();
        assert!(n >= 10, "{} {} has only {n} malformed requests", r.method, r.path);
    }

    // when every malformed request is sent (four at a time)
    let all: Vec<(&'static Route, &Bad)> = table.iter().flat_map(|(r, cases)| cases.iter().map(move |c| (*r, c))).collect();
    let answers: Vec<(StatusCode, Value)> = futures::stream::iter(all.iter().map(|(_, c)| {
        let api = api.clone();
        async move { raw(&api, c.method, &c.path, c.auth.as_deref(), c.content_type, c.body.clone()).await }
    }))
    .buffered(4)
    .collect()
    .await;

    // then each gets exactly its answer: a 4xx naming the problem
    let mut failures = Vec::new();
    for ((r, case), (status, body)) in all.iter().zip(&answers) {
        let field_ok = case.field.is_none_or(|f| body["error"]["details"]["field"] == f);
        if *status != case.status || code(body) != case.code || !field_ok {
            failures.push(format!(
                "{} {} [{}]: want {} {} {:?}, got {status} {body}",
                r.method,
                r.path,
                case.name,
                case.status.as_u16(),
                case.code,
                case.field
            ));
        }
    }
    let server_faults: Vec<_> = all
        .iter()
        .zip(&answers)
        .filter(|(_, (s, _))| s.is_server_error())
        .map(|((r, c), (s, b))| format!("{} {} [{}] → {s} {b}", r.method, r.path, c.name))
        .collect();
    assert!(server_faults.is_empty(), "5xx for bad input:\n{}", server_faults.join("\n"));
    assert!(
        failures.is_empty(),
        "{} of {} malformed requests were not answered as expected:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );

    // and nothing was written by any of them
    let e164 = format!("+86{send_mobile}");
    assert!(tests::sms_to(&e164).await.is_empty(), "an SMS went out for a malformed send");
    assert!(stored(&keys::sms_code(&e164)).await.is_none());
    assert!(
        stored(&keys::sms_cap(keys::SmsCapScope::Device, &send_device, &clock::day(clock::now()))).await.is_none(),
        "a malformed send spent the device's daily cap"
    );
    let login_e164 = format!("+86{login_mobile}");
    assert!(
        stored(&keys::identity(shared::model::identity::IdentityKind::Mobile, &login_e164)).await.is_none(),
        "a malformed login created a user"
    );
    assert!(stored(&keys::sms_guard(&login_e164)).await.is_none(), "a malformed login counted as a wrong code");
    assert!(
        stored(&keys::idempotency(
            shared::store::keys::IdempotencyScope::Login,
            &shared::service::auth::accounts::sms_login_key(&login_e164, &login_key)
        ))
        .await
        .is_none()
    );
    assert!(
        stored(&keys::idempotency(
            shared::store::keys::IdempotencyScope::Login,
            &shared::service::auth::accounts::wechat_login_key("wx-code", &wechat_key)
        ))
        .await
        .is_none()
    );
    assert_eq!(profile_versions(&user).await, versions_before, "a malformed profile update wrote a version");
    assert_eq!(stored(&keys::body_profile(&user)).await.expect("profile"), profile_before);
    assert_eq!(registered_count(&world.competition).await, count_before, "a malformed registration was counted");
    assert!(stored(&keys::registration(&world.competition, &user)).await.is_none());
    assert!(
        stored(&keys::registration(&unknown_competition, &user)).await.is_none(),
        "a registration for a competition that does not exist"
    );
    assert!(stored(&keys::competition(&unknown_competition)).await.is_none(), "counting a registration created a phantom competition");
    assert!(sessions_of(&user).await.is_empty(), "a malformed launch created a session");
    let after = shared::store::session::chain(&db, &run.session_id).await.expect("read").expect("the session");
    assert!(after.punches.is_empty() && after.result.is_none(), "a malformed punch or finish was stored");
    assert!(after.session.batches.is_empty() && after.session.punch_count == 0, "a malformed upload was counted");
    assert!(shared::store::session::batches(&db, &run.session_id).await.expect("read").is_empty(), "a malformed batch was stored");
    assert_eq!(api.get("/client/v1/me", t).await.0, StatusCode::OK, "a malformed request deleted the account");
    assert!(
        stored(&keys::idempotency(
            shared::store::keys::IdempotencyScope::Launch,
            &shared::service::run::launch::launch_key(&user, &launch_key)
        ))
        .await
        .is_none()
    );

    let normal: usize = table.iter().map(|(_, c)| c.len()).sum();
    println!("bad input: {normal} malformed requests over {} routes → all 4xx naming the field or code, 0 written", table.len());
}

// ---------------------------------------------------------------------------------------------
// 2. Tokens

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn hmac_sha256(secret: &[u8], data: &[u8]) -> Vec<u8> {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    aws_lc_rs::hmac::sign(&key, data).as_ref().to_vec()
}

/// A JWT built by hand: any header, any claims, HS256-signed with `secret` (or unsigned).
fn forge(header: Value, claims: &Value, secret: Option<&[u8]>) -> String {
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = secret.map(|s| b64url(&hmac_sha256(s, input.as_bytes()))).unwrap_or_default();
    format!("{input}.{signature}")
}

fn claims_for(user_id: &str) -> Value {
    let now = clock::now();
    json!({ "iss": "client-api", "aud": "client-api", "sub": user_id, "iat": now, "exp": now + 3600, "typ": "access", "client_type": "app", "device_id": "dev_adv" })
}

/// Replaces the character at `at` with another base64url character.
fn flip(token: &str, at: usize) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn input_is_held_to_the_contract_not_to_what_serde_tolerates() {
    let _one_at_a_time = one_at_a_time().await;
    let api = api();
    let mobile = unique_mobile();
    let send = |client_type: Value| json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": client_type, "device_id": unique("dev_") });

    // when an enum arrives in serde's object form
    let (status, answer) = api.post("/client/v1/auth/sms/send", None, send(json!({ "app": null }))).await;
    // then it is a 400 naming the field, in the client's words, and no SMS goes out
    assert_eq!((status, code(&answer)), (StatusCode::BAD_REQUEST, "invalid_request"), "{answer}");
    assert_eq!(
        (answer["error"]["details"]["field"].as_str(), answer["error"]["details"]["reason"].as_str()),
        (Some("client_type"), Some("must be a string"))
    );
    assert!(tests::sms_to(&format!("+86{mobile}")).await.is_empty());

    // when a number comes as a string, and a 15 KB unknown key is sent
    let (_, answer) = api
        .put("/client/v1/me/body-profile", Some(&api.sms_login(&unique_mobile()).await.access_token), json!({ "height_cm": "tall" }))
        .await;
    assert_eq!(answer["error"]["details"]["reason"], "must be a number", "{answer}");
    let mut body = send(json!("app"));
    body["k".repeat(15_000)] = json!(1);
    let (status, answer) = api.post("/client/v1/auth/sms/send", None, body).await;
    // then the answer names it, briefly
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let size = answer.to_string().len();
    assert!(size < 600, "a 15 KB key came back in a {size}-byte answer");
    assert!(answer["error"]["details"]["field"].as_str().unwrap().starts_with("kkk"));

    // when a route is asked for with a trailing slash
    let (status, answer) = api.get("/client/v1/maps/", None).await;
    // then it is not that route
    assert_eq!((status, code(&answer)), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(api.get("/client/v1/maps", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn forged_expired_foreign_and_session_tokens_are_401_and_never_served() {
    let _one_at_a_time = one_at_a_time().await;
    // given a real user X (whose tokens the attacker forges), and a world to act in
    let api = api();
    let world = World::publish(false, true).await;
    let tests::Login { user_id: victim, access_token: real, .. } = api.sms_login(&unique_mobile()).await;
    let secret = tests::TEST_JWT_SECRET.as_bytes();
    let now = clock::now();
    let parts: Vec<&str> = real.split('.').collect();
    let (header_len, payload_len) = (parts[0].len(), parts[1].len());
    let other_tokens = |iss: &str, aud: &str| Tokens::new(secret, iss, aud, 3600, 7200);
    let (session_token, _) = tests::tokens().issue_session(&victim, ClientType::App, "dev_adv", "ses_forged", None, now);
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &serde_json::from_value::<Claims>(claims_for(&victim)).unwrap(),
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap();
    let mut session_typ = claims_for(&victim);
    session_typ["typ"] = "session".into();
    let mut no_exp = claims_for(&victim);
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut other_sub = claims_for(&unique("usr_"));
    other_sub["sub"] = "usr_admin".into();
    let swapped_payload = format!("{}.{}.{}", parts[0], b64url(other_sub.to_string().as_bytes()), parts[2]);
    let mut future_iat = claims_for(&victim);
    future_iat["iat"] = (now + 3600).into();
    let mut future_nbf = claims_for(&victim);
    future_nbf["nbf"] = (now + 3600).into();

    // (name, Authorization header or None, the answer's code; None = no header at all)
    let unauthorized = "unauthorized";
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no token", None, unauthorized),
        ("Basic auth", Some("Basic dXNlcjpwYXNz".into()), unauthorized),
        ("empty bearer", Some("Bearer ".into()), unauthorized),
        ("garbage bearer", Some("Bearer abc.def.ghi".into()), unauthorized),
        ("signature char flipped", Some(format!("Bearer {}", flip(&real, header_len + payload_len + 2 + 5))), unauthorized),
        ("payload char flipped", Some(format!("Bearer {}", flip(&real, header_len + 1 + payload_len / 2))), unauthorized),
        ("payload swapped, signature kept", Some(format!("Bearer {swapped_payload}")), unauthorized),
        ("alg none", Some(format!("Bearer {}", forge(json!({ "alg": "none", "typ": "JWT" }), &claims_for(&victim), None))), unauthorized),
        (
            "HS256 with a wrong key",
            Some(format!(
                "Bearer {}",
                forge(json!({ "alg": "HS256", "typ": "JWT" }), &claims_for(&victim), Some(b"wrong-key-wrong-key-wrong-key-wrong-key"))
            )),
            unauthorized,
        ),
        (
            "RS256 header, HMAC with our key",
            Some(format!("Bearer {}", forge(json!({ "alg": "RS256", "typ": "JWT" }), &claims_for(&victim), Some(secret)))),
            unauthorized,
        ),
        ("HS512 signed with our key", Some(format!("Bearer {hs512}")), unauthorized),
        (
            "expired",
            Some(format!("Bearer {}", tests::tokens().issue_access(&victim, ClientType::App, "dev_adv", None, now - 3600 - 5))),
            "token_expired",
        ),
        (
            "foreign audience",
            Some(format!(
                "Bearer {}",
                other_tokens("client-api", "admin-api").issue_access(&victim, ClientType::App, "dev_adv", None, now)
            )),
            unauthorized,
        ),
        (
            "foreign issuer",
            Some(format!(
                "Bearer {}",
                other_tokens("someone-else", "client-api").issue_access(&victim, ClientType::App, "dev_adv", None, now)
            )),
            unauthorized,
        ),
        ("session token", Some(format!("Bearer {session_token}")), unauthorized),
        (
            "access audience but typ session",
            Some(format!("Bearer {}", forge(json!({ "alg": "HS256", "typ": "JWT" }), &session_typ, Some(secret)))),
            unauthorized,
        ),
        ("no exp", Some(format!("Bearer {}", forge(json!({ "alg": "HS256", "typ": "JWT" }), &no_exp, Some(secret)))), unauthorized),
        (
            "iat an hour ahead",
            Some(format!("Bearer {}", forge(json!({ "alg": "HS256", "typ": "JWT" }), &future_iat, Some(secret)))),
            unauthorized,
        ),
        (
            "nbf an hour ahead",
            Some(format!("Bearer {}", forge(json!({ "alg": "HS256", "typ": "JWT" }), &future_nbf, Some(secret)))),
            unauthorized,
        ),
    ];
    // the control: hand-built and served tokens are alike, so only the defect is refused
    assert!(tests::tokens().verify_access(&forge(json!({ "alg": "HS256", "typ": "JWT" }), &claims_for(&victim), Some(secret))).is_ok());

    let competition = format!("/client/v1/competitions/{}", world.competition);
    let competition_event = format!("/client/v1/competitions/{}/events/{}", world.competition, world.event);
    // (method, path, body; optional auth)
    let routes: Vec<(&str, String, Option<Value>, bool)> = vec![
        ("PUT", "/client/v1/me/body-profile".into(), Some(json!({ "weight_kg": 99 })), false),
        ("POST", format!("{competition}/registrations"), Some(json!({})), false),
        ("POST", format!("{competition_event}/launch"), Some(launch_body(&unique("l_"), &world.release)), false),
        ("POST", format!("/client/v1/events/{}/launch", world.event), Some(launch_body(&unique("l_"), &world.release)), false),
        ("GET", competition.clone(), None, true),
        ("GET", competition_event.clone(), None, true),
    ];

    let versions_before = profile_versions(&victim).await;
    let mut sent = 0;
    for (method, path, body, optional) in &routes {
        for (name, auth, want) in &cases {
            let (status, answer) = raw(
                &api,
                method,
                path,
                auth.as_deref(),
                body.as_ref().map(|_| "application/json"),
                body.as_ref().map(|b| b.to_string().into_bytes()),
            )
            .await;
            sent += 1;
            if auth.is_none() && *optional {
                // anonymous on an optional-auth read: served, without a registration status
                assert_eq!(status, StatusCode::OK, "{method} {path} [{name}]: {answer}");
                let registration_status =
                    answer["data"].get("registration_status").or(answer["data"]["competition_context"].get("registration_status"));
                assert_eq!(registration_status, Some(&Value::Null), "{method} {path} [{name}]: {answer}");
            } else {
                assert_eq!((status, code(&answer)), (StatusCode::UNAUTHORIZED, *want), "{method} {path} [{name}]: {answer}");
                assert!(answer.get("data").is_none());
            }
        }
    }

    // then nothing was served to the forger: X's profile, registration and sessions are untouched
    assert_eq!(profile_versions(&victim).await, versions_before);
    assert!(stored(&keys::registration(&world.competition, &victim)).await.is_none());
    assert!(sessions_of(&victim).await.is_empty());
    assert!(sessions_of("usr_admin").await.is_empty());
    assert_eq!(registered_count(&world.competition).await, 0);

    // and the same requests with X's real token are served
    for (method, path, body, _) in &routes {
        let (status, answer) = api.send(method, path, Some(&real), body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{method} {path} with the real token: {answer}");
    }
    let (_, read) = api.get(&competition, Some(&real)).await;
    assert_eq!(read["data"]["registration_status"], "registered");
    println!(
        "tokens: {sent} requests with missing, forged, tampered, alg-none, HS512/RS256, expired, foreign and session tokens over {} protected routes → all refused (401), 0 served",
        routes.len()
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Ownership

#[tokio::test]
async fn one_user_can_never_read_or_change_anothers_profile_registration_or_session() {
    let _one_at_a_time = one_at_a_time().await;
    // given users A and B, each logged in by SMS, and a world both can play in
    let api = api();
    let world = World::publish(false, true).await;
    let (mobile_a, mobile_b) = (unique_mobile(), unique_mobile());
    ask_code(&api, &mobile_a).await;
    ask_code(&api, &mobile_b).await;
    let (a, token_a) = login_with(&api, &mobile_a, &tests::last_code(&format!("+86{mobile_a}")).await).await;
    let (b, token_b) = login_with(&api, &mobile_b, &tests::last_code(&format!("+86{mobile_b}")).await).await;
    assert_ne!(a, b);
    let mut checks = 0;

    // body profile: there is no user id to send; B's PUT changes B's profile only
    let (status, mine) = api
        .put(
            "/client/v1/me/body-profile",
            Some(&token_a),
            json!({ "gender": "female", "birth_date": "1990-01-02", "height_cm": 168, "weight_kg": 55.5 }),
        )
        .await;
    assert_eq!((status, mine["data"]["user_id"].as_str()), (StatusCode::OK, Some(a.as_str())), "{mine}");
    let a_profile = stored(&keys::body_profile(&a)).await.unwrap();
    let a_versions = profile_versions(&a).await;
    let (status, theirs) =
        api.put("/client/v1/me/body-profile", Some(&token_b), json!({ "gender": "male", "height_cm": 180, "weight_kg": 80 })).await;
    assert_eq!((status, theirs["data"]["user_id"].as_str()), (StatusCode::OK, Some(b.as_str())), "{theirs}");
    assert_eq!(theirs["data"]["body_profile_status"], "pending", "B's answer must not be A's completed profile");
    checks += 2;
    // smuggling A's id into the body is refused outright
    for field in ["user_id", "sub"] {
        let (status, answer) =
            api.put("/client/v1/me/body-profile", Some(&token_b), with(&json!({ "weight_kg": 40 }), field, json!(a))).await;
        assert_eq!((status, answer["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{answer}");
        checks += 1;
    }
    assert_eq!(stored(&keys::body_profile(&a)).await.unwrap(), a_profile, "B changed A's profile");
    assert_eq!(profile_versions(&a).await, a_versions);
    assert_eq!(profile_versions(&b).await, 2);

    // registration: each registers for themselves, and each sees their own status
    let registrations = format!("/client/v1/competitions/{}/registrations", world.competition);
    let competition = format!("/client/v1/competitions/{}", world.competition);
    let competition_event = format!("{competition}/events/{}", world.event);
    let (status, reg_a) = api.post(&registrations, Some(&token_a), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reg_a}");
    let (_, seen_by_b) = api.get(&competition, Some(&token_b)).await;
    assert_eq!(seen_by_b["data"]["registration_status"], Value::Null, "B sees A's registration: {seen_by_b}");
    let (_, seen_by_b) = api.get(&competition_event, Some(&token_b)).await;
    assert_eq!(seen_by_b["data"]["competition_context"]["registration_status"], Value::Null, "{seen_by_b}");
    for field in ["user_id", "sub"] {
        let (status, answer) = api.post(&registrations, Some(&token_b), with(&json!({}), field, json!(a))).await;
        assert_eq!((status, answer["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{answer}");
    }
    let (status, reg_b) = api.post(&registrations, Some(&token_b), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reg_b}");
    assert_ne!(reg_a["data"]["registration_id"], reg_b["data"]["registration_id"]);
    let (_, seen_by_b) = api.get(&competition, Some(&token_b)).await;
    assert_eq!(seen_by_b["data"]["registration_status"], "registered");
    let stored_a = stored(&keys::registration(&world.competition, &a)).await.unwrap();
    let stored_b = stored(&keys::registration(&world.competition, &b)).await.unwrap();
    assert_eq!(
        (stored_a["user_id"].as_str(), stored_a["registration_id"].as_str()),
        (Some(a.as_str()), reg_a["data"]["registration_id"].as_str())
    );
    assert_eq!(
        (stored_b["user_id"].as_str(), stored_b["registration_id"].as_str()),
        (Some(b.as_str()), reg_b["data"]["registration_id"].as_str())
    );
    assert_eq!(registered_count(&world.competition).await, 2);
    let (status, again) = api.post(&registrations, Some(&token_a), json!({})).await;
    assert_eq!((status, code(&again)), (StatusCode::CONFLICT, "registration_exists"));
    assert_eq!(again["error"]["details"]["registration_id"], reg_a["data"]["registration_id"], "A's registration was replaced");
    checks += 9;

    // launch: B reusing A's launch_request_id gets B's own new session, never A's
    let key = unique("l_");
    let launch = format!("/client/v1/events/{}/launch", world.event);
    let (status, session_a) = api.post(&launch, Some(&token_a), launch_body(&key, &world.release)).await;
    assert_eq!(status, StatusCode::OK, "{session_a}");
    let (status, session_b) = api.post(&launch, Some(&token_b), launch_body(&key, &world.release)).await;
    assert_eq!(status, StatusCode::OK, "{session_b}");
    let (sa, sb) = (&session_a["data"], &session_b["data"]);
    assert_ne!(sa["session_id"], sb["session_id"]);
    assert_ne!(sa["session_token"], sb["session_token"]);
    assert_ne!(sa["participant_id"], sb["participant_id"]);
    assert!(!session_b.to_string().contains(sa["session_id"].as_str().unwrap()) && !session_b.to_string().contains(&a));
    let claims = tests::tokens().verify_session(sb["session_token"].as_str().unwrap()).unwrap();
    assert_eq!((claims.sub.as_str(), claims.sid.as_deref()), (b.as_str(), sb["session_id"].as_str()));
    assert_eq!(sessions_of(&a).await.len(), 1);
    let b_sessions = sessions_of(&b).await;
    assert_eq!((b_sessions.len(), Some(b_sessions[0].user_id.as_str())), (1, Some(b.as_str())));
    for field in ["user_id", "sub"] {
        let mut body = launch_body(&unique("l_"), &world.release);
        body[field] = a.clone().into();
        let (status, answer) = api.post(&launch, Some(&token_b), body).await;
        assert_eq!((status, answer["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{answer}");
    }
    checks += 8;

    // the session chain, asked by B about A's session: with B's access token or B's own session
    // token, A's session does not exist (404)
    let sid = sa["session_id"].as_str().unwrap();
    let token_b_session = sb["session_token"].as_str().unwrap();
    let now_ms = clock::now_ms();
    let writes = [
        (
            "/client/v1/session-uploads".to_string(),
            json!({ "session_id": sid, "batch_seq": 0, "coord_sys": "wgs84", "samples": [{ "t": now_ms, "lat": 31.04, "lng": 121.21, "accuracy_m": 5 }] }),
        ),
        (
            "/client/v1/punches".to_string(),
            json!({ "session_id": sid, "punch_seq": 0, "control_code": "S1", "t": now_ms, "lat": 31.04, "lng": 121.21, "accuracy_m": 5, "coord_sys": "wgs84", "method": "gps" }),
        ),
        (format!("/client/v1/sessions/{sid}/finish"), json!({ "last_punch_seq": null, "reason": "abandoned", "finished_at": now_ms })),
    ];
    for (path, body) in writes {
        let (status, answer) = api.post(&path, Some(token_b_session), body).await;
        assert_eq!((status, code(&answer)), (StatusCode::NOT_FOUND, "session_not_found"), "{path}: {answer}");
        checks += 1;
    }
    for path in [format!("/client/v1/sessions/{sid}/result")] {
        let (status, answer) = api.get(&path, Some(&token_b)).await;
        assert_eq!((status, code(&answer)), (StatusCode::NOT_FOUND, "session_not_found"), "{path}: {answer}");
        checks += 1;
    }
    let (_, history_b) = api.get("/client/v1/me/sessions", Some(&token_b)).await;
    assert!(!history_b.to_string().contains(sid), "B's history shows A's session: {history_b}");
    for suffix in ["gps-track", "heart-rate", "replay-summary"] {
        let (status, answer) = api.get(&format!("/client/v1/sessions/{sid}/{suffix}"), Some(&token_b)).await;
        assert_eq!((status, code(&answer)), (StatusCode::NOT_FOUND, "session_not_found"), "{suffix}: {answer}");
        checks += 1;
    }
    let stored_session = stored(&keys::session(sid)).await.unwrap();
    assert_eq!((stored_session["user_id"].as_str(), stored_session["state"].as_str()), (Some(a.as_str()), Some("active")));
    assert_eq!((stored_session["punch_count"].as_i64(), stored_session["batches"].as_object().map(|m| m.len())), (Some(0), Some(0)));
    println!(
        "ownership: {checks} attempts by user B on A's profile, registration, launch key and session → 0 served, A's records unchanged"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. SMS abuse

fn send_body(mobile: &str, device: &str) -> Value {
    json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": device })
}

#[tokio::test]
async fn sms_abuse_meets_the_cooldown_the_daily_device_cap_and_the_lockout() {
    let _one_at_a_time = one_at_a_time().await;
    let api = api();
    let day = clock::day(clock::now());

    // when 12 sends to one mobile come at once, each from another device
    let burst_mobile = unique_mobile();
    let burst_e164 = format!("+86{burst_mobile}");
    let answers = futures::future::join_all((0..12).map(|_| {
        let (api, body) = (api.clone(), send_body(&burst_mobile, &unique("dev_")));
        async move { api.post("/client/v1/auth/sms/send", None, body).await }
    }))
    .await;
    // then one is sent and the others meet the cooldown
    let sent = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let cooled: Vec<i64> = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::TOO_MANY_REQUESTS && code(b) == "sms_cooldown")
        .map(|(_, b)| b["error"]["details"]["retry_after_sec"].as_i64().unwrap())
        .collect();
    assert_eq!((sent, cooled.len()), (1, 11), "{answers:?}");
    assert!(cooled.iter().all(|r| (1..=60).contains(r)), "{cooled:?}");
    assert_eq!(
        stored(&keys::sms_cap(keys::SmsCapScope::Mobile, &burst_e164, &day)).await.unwrap()["sent"],
        1,
        "refused sends spent the mobile's cap"
    );

    // when one device asks for codes for 25 fresh mobiles
    let device = unique("dev_");
    let mobiles: Vec<String> = (0..25).map(|_| unique_mobile()).collect();
    let mut statuses = Vec::new();
    for m in &mobiles {
        let (status, body) = api.post("/client/v1/auth/sms/send", None, send_body(m, &device)).await;
        statuses.push((status, code(&body).to_string()));
    }
    // then the first 20 are sent and the rest meet the device's daily cap
    assert!(statuses[..20].iter().all(|(s, _)| *s == StatusCode::OK), "{statuses:?}");
    assert!(statuses[20..].iter().all(|(s, c)| *s == StatusCode::TOO_MANY_REQUESTS && c == "sms_daily_limit"), "{statuses:?}");
    assert_eq!(stored(&keys::sms_cap(keys::SmsCapScope::Device, &device, &day)).await.unwrap()["sent"], 20);

    // given a code sent to a third mobile (and what the phones received so far)
    let mobile = unique_mobile();
    let e164 = format!("+86{mobile}");
    let (status, _) = api.post("/client/v1/auth/sms/send", None, send_body(&mobile, &unique("dev_"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tests::sms_to(&burst_e164).await.len(), 1, "the burst sent more than one SMS");
    for m in &mobiles[..20] {
        assert_eq!(tests::sms_to(&format!("+86{m}")).await.len(), 1);
    }
    for m in &mobiles[20..] {
        assert!(tests::sms_to(&format!("+86{m}")).await.is_empty(), "an SMS went out past the device cap");
    }
    let right = tests::last_code(&e164).await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let login = |code: &str| json!({ "login_request_id": unique("login_"), "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": "dev_adv" });

    // when five wrong codes are tried in a row
    let mut tries = Vec::new();
    for _ in 0..5 {
        let (status, body) = api.post("/client/v1/auth/login/sms", None, login(wrong)).await;
        tries.push((status.as_u16(), code(&body).to_string(), body["error"]["details"]["attempts_remaining"].as_i64()));
    }
    // then the fifth locks the mobile
    assert_eq!(tries[..4].iter().map(|t| t.2).collect::<Vec<_>>(), vec![Some(4), Some(3), Some(2), Some(1)], "{tries:?}");
    assert!(tries[..4].iter().all(|t| t.0 == 401 && t.1 == "sms_code_invalid"), "{tries:?}");
    assert_eq!((tries[4].0, tries[4].1.as_str()), (429, "sms_code_attempts_exceeded"));
    // and the right code is refused
    let (status, body) = api.post("/client/v1/auth/login/sms", None, login(&right)).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "sms_code_attempts_exceeded"), "the right code got through a lock");
    // and a resend is refused by the cooldown, leaving the code as it was
    let code_item = stored(&keys::sms_code(&e164)).await.unwrap();
    let (status, body) = api.post("/client/v1/auth/sms/send", None, send_body(&mobile, &unique("dev_"))).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "sms_cooldown"), "{body}");
    assert_eq!(stored(&keys::sms_code(&e164)).await.unwrap(), code_item, "a refused resend replaced the code");
    // and the lock still holds
    let (status, body) = api.post("/client/v1/auth/login/sms", None, login(&right)).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "sms_code_attempts_exceeded"));
    assert!(body["error"]["details"]["retry_after_sec"].as_i64().unwrap() > 800);
    assert!(stored(&keys::identity(shared::model::identity::IdentityKind::Mobile, &e164)).await.is_none(), "a locked mobile got a user");

    println!(
        "sms abuse: 12 concurrent sends to one mobile → {sent} sent, {} sms_cooldown; 25 mobiles from one device → 20 sent, 5 sms_daily_limit; 5 wrong codes → locked, then right code 429, resend 429 sms_cooldown, lock holds",
        cooled.len()
    );
}
