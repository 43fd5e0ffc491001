//! The test harness: where the local stack is, and short ways to call it — over HTTP (the API
//! under `cargo lambda watch`) or through a function's handler with an `events/` event.

pub mod openapi;
pub mod phone;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use lambda_http::http::StatusCode;
use serde_json::Value;
use shared::http::handler::{self, Function};
use shared::store::db::Db;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

fn env(var: &str, what: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: {what}. Run the suites with `make test`, which starts the local stack and sets it."))
}

/// The moto server (DynamoDB + SNS). Panics, naming the address, when it is not reachable.
pub fn moto_url() -> String {
    let url = env("MOTO_URL", "the local DynamoDB/SNS endpoint (moto)");
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    if std::net::TcpStream::connect_timeout(&addr.parse().expect("MOTO_URL is http://host:port"), Duration::from_secs(2)).is_err() {
        panic!("moto is not reachable at {url}: start it with `make test` (or `make dev`)");
    }
    url
}

/// The table this suite works on. Suites over HTTP (binaries named `http_*`) share the table
/// the served API uses; every other suite gets a table of its own, created on first use exactly
/// as template.yaml defines it — moto's transactions copy the whole table, so small tables keep
/// the suites fast and independent.
pub fn table_name() -> String {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let served = env("TABLE_NAME", "the local table name");
        let exe = std::env::current_exe().expect("test binary path");
        let stem = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("suite");
        let suite = stem.rsplit_once('-').map_or(stem, |(name, _hash)| name);
        if suite.starts_with("http_") {
            return served;
        }
        let name = format!("{served}-{}", suite.replace('_', "-"));
        let python = env("MOTO_PYTHON", "the virtualenv's python, to create the suite's table");
        let out = std::process::Command::new(python)
            .arg(repo_path("scripts/local_table.py"))
            .arg(repo_path("template.yaml"))
            .env("TABLE_NAME", &name)
            .env("AWS_ENDPOINT_URL", moto_url())
            .output()
            .expect("run scripts/local_table.py");
        assert!(out.status.success(), "creating table {name}: {}", String::from_utf8_lossy(&out.stderr));
        name
    })
    .clone()
}

/// An SDK config aimed at `endpoint` (moto), with throwaway credentials.
pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    let base = shared::store::db::sdk_config().await;
    base.into_builder()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "tests",
        )))
        .behavior_version(BehaviorVersion::latest())
        .build()
}

pub async fn sdk_config() -> SdkConfig {
    sdk_config_for(&moto_url()).await
}

pub async fn db() -> Db {
    Db::new(&sdk_config().await, table_name())
}

/// A `Db` on the table at `endpoint`. The endpoint is set on the client itself: a client reads
/// `AWS_ENDPOINT_URL` from the environment over the shared config's endpoint.
pub async fn db_at(endpoint: &str) -> Db {
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk_config_for(endpoint).await).endpoint_url(endpoint).build();
    Db::with_client(aws_sdk_dynamodb::Client::from_conf(conf), table_name())
}

/// Every item of the suite's table, each as text — a test-only Scan (never on a request path),
/// to show what a deletion left behind.
/// A DynamoDB client of the local table's endpoint, for what only a test does (a Scan, an item
/// written by hand).
pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(aws_sdk_dynamodb::config::Builder::from(&sdk_config().await).endpoint_url(moto_url()).build())
}

/// Writes `items` as they are, 25 to a BatchWriteItem: setting up a large history quickly (moto
/// copies the whole table for every transaction).
pub async fn put_all(items: Vec<shared::store::db::Item>) {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let client = dynamodb().await;
    for chunk in items.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item.clone())).build().unwrap()).build())
            .collect();
        while !requests.is_empty() {
            let out = client.batch_write_item().request_items(table_name(), requests).send().await.expect("batch write");
            requests = out.unprocessed_items.and_then(|mut left| left.remove(&table_name())).unwrap_or_default();
        }
    }
}

pub async fn scan_table() -> Vec<String> {
    let client = dynamodb().await;
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client.scan().table_name(table_name()).set_exclusive_start_key(start).send().await.expect("scan");
        items.extend(out.items.unwrap_or_default().into_iter().map(|item| format!("{item:?}")));
        start = out.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() {
            return items;
        }
    }
}

/// Waits out the last `margin_sec` seconds of the hour, so an hourly cap cannot reset under a test.
pub async fn clear_of_the_hour(margin_sec: i64) {
    let left = shared::support::clock::until_next_hour(shared::support::clock::now());
    if left <= margin_sec {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
}

/// A unique suffix, so tests sharing one table never see each other's data.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A fresh, valid mainland-China mobile number (11 digits, 139…).
pub fn unique_mobile() -> String {
    let n = u64::from_str_radix(&ulid::Ulid::new().to_string()[18..26], 32).unwrap_or(0) ^ rand_u64();
    format!("139{:08}", n % 100_000_000)
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).expect("rng");
    u64::from_le_bytes(b)
}

/// Every SMS moto has "sent" to `e164`, oldest first — what the phone would have received.
pub async fn sms_to(e164: &str) -> Vec<String> {
    let data: Value = reqwest::get(format!("{}/moto-api/data.json", moto_url())).await.expect("moto data").json().await.expect("json");
    data["sns"]["SMS"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["phone_number"] == e164)
        .map(|m| m["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The 6-digit code in the last SMS to `e164`.
pub async fn last_code(e164: &str) -> String {
    let messages = sms_to(e164).await;
    let last = messages.last().unwrap_or_else(|| panic!("no SMS was sent to {e164}"));
    last.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a 6-digit code in the SMS").to_string()
}

/// The API under `cargo lambda watch`, over HTTP.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

pub fn api() -> Api {
    let base = env("API_URL", "the API served by `cargo lambda watch`");
    Api { base, http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client") }
}

impl Api {
    /// Sends a request and returns (status, parsed body). Asserts the envelope shape on the way.
    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method.parse().expect("method"), format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        let (status, body) = self.finish(req).await;
        assert_documented(method, path, status, &body);
        (status, body)
    }

    pub async fn finish(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let res = req.send().await.unwrap_or_else(|e| panic!("the API at {} did not answer: {e}", self.base));
        let status = StatusCode::from_u16(res.status().as_u16()).expect("status");
        let text = res.text().await.expect("body");
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        assert_enveloped(status, &body);
        (status, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send("POST", path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send("PUT", path, token, Some(body)).await
    }

    /// Asks for a code for `mobile` and reads it, as the phone would.
    pub async fn ask_code(&self, mobile: &str) -> String {
        let send = serde_json::json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": unique("dev_") });
        let (status, body) = self.post("/client/v1/auth/sms/send", None, send).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        last_code(&format!("+86{mobile}")).await
    }

    /// Logs a fresh mobile in through SMS the way the app does, reading the code as the phone would.
    pub async fn sms_login(&self, mobile: &str) -> Login {
        let code = self.ask_code(mobile).await;
        let login = serde_json::json!({ "login_request_id": unique("login_"), "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": "dev_http" });
        let (status, body) = self.post("/client/v1/auth/login/sms", None, login).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let field = |name: &str| body["data"][name].as_str().expect("login field").to_string();
        Login { user_id: field("user_id"), access_token: field("access_token"), refresh_token: field("refresh_token") }
    }
}

/// What a login answers, as a client keeps it.
pub struct Login {
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// Every answer carries a `request_id` and exactly one of `data` / `error{code,message,details}`.
pub fn assert_enveloped(status: StatusCode, body: &Value) {
    assert!(body["request_id"].as_str().is_some_and(|id| id.starts_with("req_")), "no request_id: {body}");
    if status.is_success() {
        assert!(body.get("data").is_some() && body.get("error").is_none(), "success without data: {body}");
    } else {
        let err = &body["error"];
        assert!(err["code"].is_string() && err["message"].is_string() && err["details"].is_object(), "bad error envelope: {body}");
        assert!(body.get("data").is_none(), "error with data: {body}");
    }
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Loads `events/<name>.json`, lets the test adjust it, and feeds it through `function`'s handler
/// exactly as the Lambda runtime would.
pub async fn invoke<F: Function>(function: &F, name: &str, adjust: impl FnOnce(&mut Value)) -> (StatusCode, Value) {
    let path = repo_path(&format!("events/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut event: Value = serde_json::from_str(&text).expect("event JSON");
    adjust(&mut event);
    invoke_event(function, &event).await
}

pub async fn invoke_event<F: Function>(function: &F, event: &Value) -> (StatusCode, Value) {
    init_logs();
    let req = lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event");
    let res = handler::handle(function, req).await;
    let status = res.status();
    let body: Value = match res.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).expect("JSON body"),
        other => panic!("unexpected body {other:?}"),
    };
    assert_enveloped(status, &body);
    let method = event["requestContext"]["http"]["method"].as_str().unwrap_or("GET");
    assert_documented(method, event["rawPath"].as_str().unwrap_or("/"), status, &body);
    (status, body)
}

/// An error answer carries a code the operation documents for that status in docs/openapi.yaml
/// (unknown paths and methods: the catch-all's codes). Checked on every answer of every suite.
pub fn assert_documented(method: &str, path: &str, status: StatusCode, body: &Value) {
    if status.is_success() {
        return;
    }
    let code = body["error"]["code"].as_str().unwrap_or_default();
    let path = path.split('?').next().unwrap_or(path);
    let documented = match shared::http::routes::find(method, path) {
        shared::http::routes::Matched::Route(route, _) => openapi::documented(method, route.path, status.as_u16()),
        _ => Some(["not_found", "method_not_allowed"].map(String::from).into()),
    };
    match documented {
        Some(codes) => assert!(
            codes.contains(code),
            "{method} {path} answered {status} {code}, which docs/openapi.yaml does not list for it ({codes:?})"
        ),
        None => panic!("{method} {path} answered {status} {code}, a status docs/openapi.yaml does not document for it"),
    }
}

/// Sets the JSON body of an event.
pub fn with_body(event: &mut Value, body: Value) {
    event["body"] = Value::String(body.to_string());
    event["isBase64Encoded"] = Value::Bool(false);
}

/// Sets the caller's address as API Gateway reports it.
pub fn from_ip(event: &mut Value, ip: &str) {
    event["requestContext"]["http"]["sourceIp"] = Value::String(ip.to_string());
}

/// A fresh address in 198.18.0.0/15 (benchmarking range): one caller nobody else shares.
pub fn unique_ip() -> String {
    let n = rand_u64();
    format!("198.{}.{}.{}", 18 + (n & 1), (n >> 8) & 0xff, (n >> 16) & 0xff)
}

pub fn with_bearer(event: &mut Value, token: &str) {
    event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
}

/// The secrets the test stack runs with (scripts/stack.sh sets the same for the served API).
pub const TEST_JWT_SECRET: &str = "dev-only-jwt-secret-NOT-FOR-PRODUCTION-0123456789";
pub const TEST_SMS_HASH_KEY: &str = "dev-only-sms-hash-key-NOT-FOR-PRODUCTION-0123456789";

pub fn tokens() -> shared::support::tokens::Tokens {
    shared::support::tokens::Tokens::new(
        TEST_JWT_SECRET.as_bytes(),
        "client-api",
        "client-api",
        3600,
        shared::support::tokens::SESSION_TOKEN_TTL_SEC,
    )
}

/// Validates `document` against the schema at `xsd` (paths in the repository) with
/// scripts/validate_xml.py in the project virtualenv; its absence fails, never skips.
pub fn validate_xml(xsd: &str, document: &std::path::Path) -> Result<(), String> {
    let python = repo_path(".venv/bin/python");
    assert!(python.exists(), "{} is missing: run `make venv` (it installs xmlschema)", python.display());
    let out = std::process::Command::new(python)
        .arg(repo_path("scripts/validate_xml.py"))
        .arg(repo_path(xsd))
        .arg(document)
        .output()
        .expect("the validator runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// Page cursors sealed as the served API seals them.
pub fn cursors() -> shared::support::cursor::Cursors {
    shared::support::cursor::Cursors::new(TEST_JWT_SECRET.as_bytes().to_vec())
}

/// The `sessions` function on the suite's table, as its cold start builds it.
pub async fn sessions() -> sessions::Sessions {
    sessions::Sessions { db: db().await, tokens: tokens(), cursors: cursors() }
}

/// A session of `user_id` on `route_code` of a published release, launched `ago_sec` ago, as a
/// launch would have written it (a run of hours cannot wait for the clock). Not yet stored.
pub async fn session_record(
    db: &Db,
    user_id: &str,
    event_id: &str,
    release_id: &str,
    route_code: &str,
    ago_sec: i64,
) -> shared::model::run::session::Session {
    use shared::model::run::session::{Session, SessionState};
    let release = shared::store::catalog::release(db, event_id, release_id).await.expect("read").expect("a published release");
    Session {
        session_id: shared::support::ids::mint("ses"),
        user_id: user_id.to_owned(),
        participant_id: unique("par_"),
        competition_id: None,
        event_id: event_id.to_owned(),
        event_display_name: "Test event".into(),
        event_release_id: release_id.to_owned(),
        playfield_version_id: release.playfield_version_id.clone(),
        route_code: route_code.to_owned(),
        course: release.course.of_route(route_code).expect("a route of the release"),
        client_type: shared::support::types::ClientType::App,
        device_id: "dev_run".into(),
        state: SessionState::Active,
        created_at: shared::support::clock::now() - ago_sec,
        login_family: None,
        batches: Default::default(),
        sample_count: 0,
        punch_count: 0,
        punch_seqs: Default::default(),
        item_keys_known: true,
        accepted: Default::default(),
        accepted_codes: Default::default(),
        finished_at: None,
        result_status: None,
        time_s: None,
        net: None,
        track_status: None,
        live: None,
    }
}

/// Stores `session` with the launch's own write, and returns the session token the launch issued.
pub async fn write_session(db: &Db, session: &shared::model::run::session::Session) -> String {
    let tx = shared::store::db::Tx::new().with(shared::store::db::TxItem::Session, shared::store::session::put_new(db, session));
    db.transact(tx).await.expect("session written");
    tokens()
        .issue_session(
            &session.user_id,
            session.client_type,
            &session.device_id,
            &session.session_id,
            session.login_family.as_deref(),
            session.created_at,
        )
        .0
}

/// `session_record`, stored: the session and its token.
pub async fn running_session(
    db: &Db,
    user_id: &str,
    event_id: &str,
    release_id: &str,
    route_code: &str,
    ago_sec: i64,
) -> (shared::model::run::session::Session, String) {
    let session = session_record(db, user_id, event_id, release_id, route_code, ago_sec).await;
    let token = write_session(db, &session).await;
    (session, token)
}

/// SMS settings as deployed by default (tests adjust fields they exercise).
pub fn sms_config() -> shared::service::auth::sms::SmsConfig {
    shared::service::auth::sms::SmsConfig::defaults(TEST_SMS_HASH_KEY.as_bytes().to_vec())
}

pub async fn accounts() -> shared::service::auth::accounts::Accounts {
    shared::service::auth::accounts::Accounts {
        db: db().await,
        tokens: tokens(),
        refresh: shared::service::auth::refresh::RefreshConfig { ttl_sec: 30 * 86_400, rotation: false },
        idempotency: shared::store::idempotency::Idempotency::new(TEST_JWT_SECRET.as_bytes().to_vec(), 86_400),
    }
}

/// The functions' JSON logs in the test output (shown for failing tests), level from RUST_LOG.
pub fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
    });
}

/// Publishes a catalog file (given as JSON) into the suite's table with the catalog tool.
pub async fn publish(file: &Value) {
    publish_to(&db().await, file).await
}

pub async fn publish_to(db: &Db, file: &Value) {
    catalog_tool::import(db, &manifest_store().await, &catalog_file(file), false).await.expect("imported");
}

/// A catalog file given as JSON, parsed and validated by the catalog tool; IOF files it names
/// are read relative to the repository's `catalog/`, as `catalog/demo.yaml` names them.
pub fn catalog_file(file: &Value) -> catalog_tool::CatalogFile {
    catalog_tool::parse_in(&serde_norway::to_string(file).expect("yaml"), &repo_path("catalog")).expect("a valid catalog")
}

/// The local manifest bucket (moto's S3) that `scripts/stack.sh` creates: `MANIFEST_BUCKET`,
/// read at `MANIFEST_BASE_URL`.
pub async fn manifest_store() -> catalog_tool::ManifestStore {
    moto_url();
    let bucket = env("MANIFEST_BUCKET", "the local manifest bucket (scripts/stack.sh creates it)");
    let base_url = env("MANIFEST_BASE_URL", "where the local manifest bucket is read");
    catalog_tool::ManifestStore::new(&sdk_config().await, bucket, base_url).expect("a manifest store")
}

/// The manifest the catalog tool publishes for `release_id` of `file` (given as JSON).
pub fn manifest_of(file: &Value, release_id: &str) -> catalog_tool::manifest::Manifest {
    catalog_tool::manifests(&catalog_file(file)).into_iter().find(|m| m.release_id == release_id).expect("a release of the file")
}

/// The public URL of that manifest.
pub fn manifest_url_of(file: &Value, release_id: &str) -> String {
    manifest_of(file, release_id).url(&env("MANIFEST_BASE_URL", "where the local manifest bucket is read"))
}

/// A course written out in a catalog file: start `S1`, `controls` controls (`31`, `32`, …) and
/// finish `F1` around one park, and one classic route over all of them per route code.
pub fn course(controls: usize, route_codes: &[&str]) -> Value {
    let codes: Vec<String> = (0..controls).map(|i| (31 + i).to_string()).collect();
    let mut list = vec![
        serde_json::json!({ "code": "S1", "kind": "start", "lat": 31.0400, "lng": 121.2100 }),
        serde_json::json!({ "code": "F1", "kind": "finish", "lat": 31.0405, "lng": 121.2105 }),
    ];
    for (i, code) in codes.iter().enumerate() {
        list.push(serde_json::json!({ "code": code, "lat": 31.0410 + 0.0005 * i as f64, "lng": 121.2110 + 0.0004 * i as f64 }));
    }
    let route = |code: &&str| {
        let mut order = vec!["S1".to_string()];
        order.extend(codes.iter().cloned());
        order.push("F1".into());
        serde_json::json!({ "route_code": code, "kind": "classic", "controls": order })
    };
    serde_json::json!({ "controls": list, "routes": route_codes.iter().map(route).collect::<Vec<_>>() })
}

/// Ids of a small published world: one map, one event (two routes, release `<event>-rel-1`)
/// inside one competition.
#[derive(Clone)]
pub struct World {
    pub map: String,
    pub event: String,
    pub competition: String,
    pub release: String,
}

impl World {
    /// The catalog file of this world; `registration` is the competition's registration block,
    /// `current` the event's current release (`-rel-1`, 8 controls, or `-rel-2`, 9 controls).
    pub fn file(&self, registration: Value, direct_entry: bool, current: &str) -> Value {
        let release = |n: u32| {
            serde_json::json!({
                "release_id": format!("{}-rel-{n}", self.event), "published_at": "2026-03-01T00:00:00Z",
                "playfield_version_id": format!("pfv_{n}"), "course": course(7 + n as usize, &["route-a", "route-b"]),
            })
        };
        serde_json::json!({
            "maps": [{ "map_id": self.map, "region_code": "999999", "display_name": "Test park" }],
            "events": [{
                "event_id": self.event, "map_id": self.map, "display_name": "Test event", "playfield_kind": "course",
                "direct_entry_enabled": direct_entry, "current_release_id": format!("{}-{current}", self.event),
                "releases": [release(1), release(2)],
            }],
            "competitions": [{
                "competition_id": self.competition, "display_name": "Test cup", "competition_status": "ongoing",
                "competition_start_at": "2026-01-01T00:00:00Z", "competition_end_at": "2030-12-31T00:00:00Z",
                "registration": registration,
                "events": [{ "event_id": self.event, "is_default": true }],
            }],
        })
    }

    /// Fresh ids, not yet published.
    pub fn fresh() -> Self {
        let tag = unique("");
        World {
            map: format!("map-{tag}"),
            event: format!("ev-{tag}"),
            competition: format!("cmp_{tag}"),
            release: format!("ev-{tag}-rel-1"),
        }
    }

    /// A fresh world, published with open registration (`required` as given) and direct entry.
    pub async fn publish(required: bool, direct_entry: bool) -> Self {
        Self::publish_to(&db().await, required, direct_entry).await
    }

    pub async fn publish_to(db: &Db, required: bool, direct_entry: bool) -> Self {
        let world = Self::fresh();
        publish_to(db, &world.file(open_registration(required), direct_entry, "rel-1")).await;
        world
    }
}

/// A registration block open from a year ago to a year ahead.
pub fn open_registration(required: bool) -> Value {
    let at = |offset: i64| shared::support::clock::rfc3339(shared::support::clock::now() + offset);
    serde_json::json!({ "enabled": true, "required": required, "opens_at": at(-31_536_000), "closes_at": at(31_536_000) })
}

/// An access token for `user_id` as a login would issue it.
pub fn access_token(user_id: &str, client_type: shared::support::types::ClientType) -> String {
    tokens().issue_access(user_id, client_type, "dev_test", None, shared::support::clock::now())
}

/// An honest run: the punches of a runner over `codes` of `course` at `speed_m_s` from
/// `start_ms` (each 3 m north of its control, as a phone standing by it), and the phone's track
/// along the straight legs, a fix every `every_ms` (WGS-84).
pub struct HonestRun {
    /// `(control_code, t, lat, lng)` in punch order.
    pub punches: Vec<(String, i64, f64, f64)>,
    pub samples: Vec<Value>,
}

/// Metres north of a control a phone punches from.
pub const PUNCH_OFFSET_DEG: f64 = 0.000027;

pub fn honest_run(
    course: &shared::model::catalog::course::Course,
    codes: &[String],
    start_ms: i64,
    speed_m_s: f64,
    every_ms: i64,
) -> HonestRun {
    use shared::model::run::coords::distance_m;
    let at = |code: &String| course.control(code).map(|c| (c.lat, c.lng)).unwrap_or_else(|| panic!("{code} is on the course"));
    let mut t = start_ms as f64;
    let mut punches = Vec::new();
    let mut legs = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let here = at(code);
        if i > 0 {
            let from = at(&codes[i - 1]);
            let leg_ms = distance_m(from.0, from.1, here.0, here.1) / speed_m_s * 1000.0;
            legs.push((t as i64, (t + leg_ms) as i64, from, here));
            t += leg_ms;
        }
        punches.push((code.clone(), t as i64, here.0 + PUNCH_OFFSET_DEG, here.1));
    }
    let end = t as i64;
    let samples = (start_ms..=end)
        .step_by(every_ms as usize)
        .map(|st| {
            let (lat, lng) = legs
                .iter()
                .find(|(from_t, to_t, _, _)| (*from_t..=*to_t).contains(&st))
                .map(|&(from_t, to_t, a, b)| {
                    let f = if to_t > from_t { (st - from_t) as f64 / (to_t - from_t) as f64 } else { 0.0 };
                    (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
                })
                .unwrap_or_else(|| at(&codes[0]));
            serde_json::json!({ "t": st, "lat": lat, "lng": lng, "accuracy_m": 4.0 })
        })
        .collect();
    HonestRun { punches, samples }
}

/// Upload bodies of `samples` for `session_id`, 1,000 to a batch, from `batch_seq` 0.
pub fn batches_of(session_id: &str, samples: &[Value]) -> Vec<Value> {
    samples
        .chunks(1000)
        .enumerate()
        .map(|(seq, chunk)| serde_json::json!({ "session_id": session_id, "batch_seq": seq, "coord_sys": "wgs84", "samples": chunk }))
        .collect()
}
