//! Dependencies failing under the functions, in-process (each function's handler with the
//! `events/` events) against a moto this suite starts and stops itself: DynamoDB out of reach
//! (refusing, silent, dying in the middle of a request, the process killed and restarted), SNS
//! failing, WeChat timing out.
//!
//! DynamoDB is reached through a small proxy the test controls — the network between the
//! function and the database — so it can go away and come back while moto keeps its state,
//! and the records can be inspected afterwards for anything half-written.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::service::auth::accounts::{Accounts, sms_login_key};
use shared::service::auth::refresh::RefreshConfig;
use shared::service::auth::sms::SmsConfig;
use shared::store::db::Db;
use shared::store::idempotency::Idempotency;
use shared::store::keys::{self, SmsCapScope};
use shared::support::types::ClientType;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::{World, invoke, repo_path, unique, unique_mobile, with_bearer, with_body};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TABLE: &str = "client-api-faults";
/// What the operator was promised: an outage is an enveloped 503 well inside the Lambda timeout.
const BUDGET: Duration = Duration::from_secs(3);
const TEST_NUMBER: &str = "13800000000";
const TEST_CODE: &str = "246810";

// ---------------------------------------------------------------------------------------------
// A private moto

struct Moto {
    child: Child,
    port: u16,
}

fn python() -> String {
    std::env::var("MOTO_PYTHON").unwrap_or_else(|_| {
        panic!("MOTO_PYTHON is not set: the fault suite starts its own moto with the virtualenv's python. Run `make test`, or set MOTO_PYTHON=$PWD/.venv/bin/python")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Moto {
    fn start() -> Self {
        Self::start_on(free_port())
    }

    /// moto on `port`, with the table created as `scripts/local_table.py` creates it.
    fn start_on(port: u16) -> Self {
        let child = Command::new(python())
            .arg(repo_path("scripts/moto_serial.py"))
            .args(["127.0.0.1", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start scripts/moto_serial.py");
        let mut moto = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not come up on port {port} within 30 s");
            if let Ok(Some(exit)) = moto.child.try_wait() {
                panic!("scripts/moto_serial.py exited ({exit}) before listening on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = Command::new(python())
            .arg(repo_path("scripts/local_table.py"))
            .arg(repo_path("template.yaml"))
            .env("TABLE_NAME", TABLE)
            .env("AWS_ENDPOINT_URL", moto.url())
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("run scripts/local_table.py");
        assert!(out.status.success(), "creating the table: {}", String::from_utf8_lossy(&out.stderr));
        moto
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The SDK configuration a deployed function builds, aimed at `endpoint`. The deployed timeouts
/// are set explicitly: the local stack loosens them through the environment
/// (`DYNAMODB_ATTEMPT_TIMEOUT_MS`, `DYNAMODB_TIMEOUT_MS`), and an outage's 503 is only as fast
/// as they are.
async fn sdk_at(endpoint: &str) -> aws_config::SdkConfig {
    use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
    shared::store::db::sdk_config_with(shared::store::db::Timeouts::DEPLOYED)
        .await
        .into_builder()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("local", "local", None, None, "faults")))
        .build()
}

/// A `Db` on the suite's table at `endpoint` (set on the client: the environment's
/// `AWS_ENDPOINT_URL` would otherwise win over the shared config).
async fn db_at(endpoint: &str) -> Db {
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk_at(endpoint).await).endpoint_url(endpoint).build();
    Db::with_client(aws_sdk_dynamodb::Client::from_conf(conf), TABLE)
}

async fn sns_at(endpoint: &str) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::from_conf(aws_sdk_sns::config::Builder::from(&sdk_at(endpoint).await).endpoint_url(endpoint).build())
}

// ---------------------------------------------------------------------------------------------
// The network between the functions and DynamoDB

#[derive(Debug, Clone, Copy, PartialEq)]
enum Link {
    /// Every request reaches moto.
    Up,
    /// Nothing listens: connections are refused.
    Refused,
    /// Connections are accepted and never answered.
    Silent,
    /// Requests reach moto until the first one whose `X-Amz-Target` names this operation; from
    /// that one on (it included), nothing is answered.
    SilentFrom(&'static str),
    /// The next request naming this operation reaches moto, but its answer comes back only
    /// after the delay (then the link is up again): DynamoDB slow, not down.
    SlowOnce(&'static str, Duration),
}

struct Network {
    port: u16,
    upstream: String,
    link: Arc<Mutex<Link>>,
    /// The operations moto actually received, in order (lower case, as `putitem`).
    delivered: Arc<Mutex<Vec<String>>>,
    accepting: Option<tokio::task::JoinHandle<()>>,
}

impl Network {
    async fn start(upstream: &str) -> Self {
        let mut net = Self {
            port: free_port(),
            upstream: upstream.trim_start_matches("http://").to_string(),
            link: Arc::new(Mutex::new(Link::Up)),
            delivered: Arc::default(),
            accepting: None,
        };
        net.listen().await;
        net
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn listen(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("proxy port");
        let (link, delivered, upstream) = (self.link.clone(), self.delivered.clone(), self.upstream.clone());
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(pass(client, upstream.clone(), link.clone(), delivered.clone()));
            }
        }));
    }

    async fn set(&mut self, to: Link) {
        let was = std::mem::replace(&mut *self.link.lock().unwrap(), to);
        match (was == Link::Refused, to == Link::Refused) {
            (false, true) => {
                if let Some(task) = self.accepting.take() {
                    task.abort();
                    let _ = task.await;
                }
            }
            (true, false) => self.listen().await,
            _ => {}
        }
    }

    fn delivered(&self) -> Vec<String> {
        self.delivered.lock().unwrap().clone()
    }
}

/// One request from the SDK to moto and its answer back (moto closes every connection).
async fn pass(mut client: TcpStream, upstream: String, link: Arc<Mutex<Link>>, delivered: Arc<Mutex<Vec<String>>>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let head_end = loop {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let header = |name: &str| head.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()));
    let length: usize = header("content-length:").and_then(|v| v.parse().ok()).unwrap_or(0);
    while request.len() < head_end + length {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let target = header("x-amz-target:").unwrap_or_default();
    let (silent, delay) = {
        let mut link = link.lock().unwrap();
        match *link {
            Link::SilentFrom(op) if target.ends_with(&op.to_ascii_lowercase()) => {
                *link = Link::Silent;
                (true, None)
            }
            Link::SlowOnce(op, delay) if target.ends_with(&op.to_ascii_lowercase()) => {
                *link = Link::Up;
                (false, Some(delay))
            }
            Link::Silent => (true, None),
            _ => (false, None),
        }
    };
    if silent {
        // hold the connection, answer nothing
        tokio::time::sleep(Duration::from_secs(15)).await;
        return;
    }
    let Ok(mut moto) = TcpStream::connect(&upstream).await else { return };
    delivered.lock().unwrap().push(target.rsplit('.').next().unwrap_or_default().to_string());
    if moto.write_all(&request).await.is_err() {
        return;
    }
    let mut answer = Vec::new();
    let _ = moto.read_to_end(&mut answer).await;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The functions, built against an endpoint

fn sms_config() -> SmsConfig {
    let mut sms = tests::sms_config();
    sms.test_numbers.insert(format!("+86{TEST_NUMBER}"), TEST_CODE.into());
    // a fresh code may be asked for at once: the cooldown is not what these tests are about
    sms.cooldown_sec = 0;
    sms
}

struct Functions {
    send: sms_send::SmsSend,
    login: sms_login::SmsLogin,
    profile: body_profile::BodyProfile,
    launch: launch::Launch,
    catalog: catalog::Catalog,
}

fn accounts(db: Db) -> Accounts {
    Accounts {
        db,
        tokens: tests::tokens(),
        refresh: RefreshConfig { ttl_sec: 30 * 86_400, rotation: false },
        idempotency: Idempotency::new(tests::TEST_JWT_SECRET.as_bytes().to_vec(), 86_400),
    }
}

/// Every function as a cold start builds it, with DynamoDB at `dynamodb` (SNS stays on moto).
async fn functions(dynamodb: &str, sns: &str) -> Functions {
    let db = db_at(dynamodb).await;
    Functions {
        send: sms_send::SmsSend { db: db.clone(), sns: sns_at(sns).await, sms: sms_config() },
        login: sms_login::SmsLogin { accounts: accounts(db.clone()), sms: sms_config() },
        profile: body_profile::BodyProfile::new(db.clone(), tests::tokens()),
        launch: launch::Launch {
            launcher: shared::service::run::launch::Launcher {
                db: db.clone(),
                tokens: tests::tokens(),
                idempotency: Idempotency::new(tests::TEST_JWT_SECRET.as_bytes().to_vec(), 86_400),
                realtime_endpoint: "wss://realtime.test.example/ws".into(),
            },
        },
        catalog: catalog::Catalog::new(db, tests::tokens(), tests::cursors()),
    }
}

fn at_path(event: &mut Value, path: &str) {
    event["rawPath"] = path.into();
    event["requestContext"]["http"]["path"] = path.into();
}

impl Functions {
    async fn send(&self, mobile: &str) -> (StatusCode, Value) {
        invoke(&self.send, "sms-send", |e| {
            with_body(e, json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": unique("dev_") }));
            tests::from_ip(e, &tests::unique_ip());
        })
        .await
    }

    /// The test number asks for its code and logs in; returns (user_id, access token).
    async fn log_in(&self) -> (String, String) {
        assert_eq!(self.send(TEST_NUMBER).await.0, StatusCode::OK);
        let (status, login) = self.login(&unique("login_"), TEST_NUMBER, TEST_CODE).await;
        assert_eq!(status, StatusCode::OK, "{login}");
        let field = |name: &str| login["data"][name].as_str().unwrap().to_string();
        (field("user_id"), field("access_token"))
    }

    async fn login(&self, request_id: &str, mobile: &str, code: &str) -> (StatusCode, Value) {
        invoke(&self.login, "sms-login", |e| {
            with_body(e, json!({ "login_request_id": request_id, "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": "dev_faults" }))
        })
        .await
    }

    async fn profile(&self, token: &str, weight: f64) -> (StatusCode, Value) {
        invoke(&self.profile, "body-profile", |e| {
            with_bearer(e, token);
            with_body(e, json!({ "weight_kg": weight }));
        })
        .await
    }

    async fn launch(&self, token: &str, world: &World, request_id: &str) -> (StatusCode, Value) {
        invoke(&self.launch, "launch-direct", |e| {
            at_path(e, &format!("/client/v1/events/{}/launch", world.event));
            with_bearer(e, token);
            with_body(
                e,
                json!({ "launch_request_id": request_id, "device_id": "dev_faults", "client_type": "app", "release_id": world.release }),
            );
        })
        .await
    }

    async fn competition(&self, token: &str, world: &World) -> (StatusCode, Value) {
        invoke(&self.catalog, "catalog-competition", |e| {
            at_path(e, &format!("/client/v1/competitions/{}", world.competition));
            with_bearer(e, token);
        })
        .await
    }
}

async fn timed<F: std::future::Future<Output = (StatusCode, Value)>>(
    name: &'static str,
    call: F,
) -> (&'static str, StatusCode, Value, Duration) {
    let started = Instant::now();
    let (status, body) = call.await;
    (name, status, body, started.elapsed())
}

/// Every answer an enveloped 503 `service_unavailable`; the slowest time.
fn unavailable(phase: &str, answers: &[(&'static str, StatusCode, Value, Duration)]) -> Duration {
    for (name, status, body, _) in answers {
        assert_eq!(
            (*status, body["error"]["code"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("service_unavailable")),
            "{phase}, {name}: {body}"
        );
    }
    answers.iter().map(|a| a.3).max().unwrap_or_default()
}

/// Each answer came within the budget.
fn within_budget(phase: &str, answers: &[(&'static str, StatusCode, Value, Duration)]) {
    let late: Vec<String> =
        answers.iter().filter(|a| a.3 > BUDGET).map(|(name, _, _, took)| format!("{name}: {} ms", took.as_millis())).collect();
    assert!(late.is_empty(), "{phase}: 503s later than the {} ms budget: {}", BUDGET.as_millis(), late.join(", "));
}

/// Every answer an enveloped 503 within the budget; the slowest time.
fn all_unavailable(phase: &str, answers: &[(&'static str, StatusCode, Value, Duration)]) -> Duration {
    let worst = unavailable(phase, answers);
    within_budget(phase, answers);
    worst
}

async fn sessions_of(db: &Db, user_id: &str) -> usize {
    shared::store::session::of_user(db, user_id).await.expect("sessions").len()
}

async fn profile_versions(db: &Db, user_id: &str) -> usize {
    shared::store::profile::versions(db, user_id).await.expect("versions").len()
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// DynamoDB out of reach

/// The four calls of an outage, at once, each timed.
async fn four(
    f: &Functions,
    token: &str,
    world: &World,
    login_key: &str,
    launch_key: &str,
) -> Vec<(&'static str, StatusCode, Value, Duration)> {
    let answers = futures::join!(
        timed("body-profile PUT", f.profile(token, 70.0)),
        timed("sms login", f.login(login_key, TEST_NUMBER, TEST_CODE)),
        timed("launch", f.launch(token, world, launch_key)),
        timed("competition read", f.competition(token, world)),
    );
    vec![answers.0, answers.1, answers.2, answers.3]
}

#[tokio::test]
async fn dynamodb_out_of_reach_is_a_503_within_3_s_and_leaves_nothing_half_written() {
    // given a private moto, reached through a network the test controls
    let moto = Moto::start();
    let direct = db_at(&moto.url()).await;
    let mut net = Network::start(&moto.url()).await;
    let f = functions(&net.url(), &moto.url()).await;
    let world = World::publish_to(&direct, false, true).await;

    // and a user who logged in (test number), launched once and updated the profile once
    let (user, token) = f.log_in().await;
    assert_eq!(f.launch(&token, &world, &unique("l_")).await.0, StatusCode::OK);
    assert_eq!(f.profile(&token, 60.0).await.0, StatusCode::OK);
    assert_eq!(f.competition(&token, &world).await.0, StatusCode::OK);
    // and a fresh code waiting to be spent
    assert_eq!(f.send(TEST_NUMBER).await.0, StatusCode::OK);
    let (login_key, launch_key) = (unique("login_"), unique("l_"));

    // when DynamoDB refuses connections
    net.set(Link::Refused).await;
    let refused = all_unavailable("refused", &four(&f, &token, &world, &login_key, &launch_key).await);

    // when DynamoDB accepts connections but never answers
    net.set(Link::Up).await;
    net.set(Link::Silent).await;
    let silent = all_unavailable("silent", &four(&f, &token, &world, &login_key, &launch_key).await);

    // when DynamoDB goes silent in the middle of a request, at its commit: a launch and a login
    // (each already holding its idempotency claim by then) and a profile update
    let (cut_launch_key, cut_login_key) = (unique("l_"), unique("login_"));
    let mut cut = Vec::new();
    for (name, expected) in [
        ("launch, cut at its commit", ["putitem", "batchgetitem"].as_slice()),
        ("sms login, cut at its commit", &["putitem", "batchgetitem", "getitem"]),
        ("body-profile PUT, cut at its commit", &["getitem"]),
    ] {
        net.set(Link::Up).await;
        let delivered = net.delivered().len();
        net.set(Link::SilentFrom("TransactWriteItems")).await;
        let answer = match cut.len() {
            0 => timed(name, f.launch(&token, &world, &cut_launch_key)).await,
            1 => timed(name, f.login(&cut_login_key, TEST_NUMBER, TEST_CODE)).await,
            _ => timed(name, f.profile(&token, 80.0)).await,
        };
        // (what came before the commit reached DynamoDB; the commit never did)
        assert_eq!(net.delivered()[delivered..], *expected, "{name}");
        cut.push(answer);
    }
    let mid = unavailable("cut mid-request", &cut);

    // then, DynamoDB back: nothing half-written
    net.set(Link::Up).await;
    assert_eq!(profile_versions(&direct, &user).await, 2, "a failed profile update left a version");
    let profile: Value = direct.get(&keys::body_profile(&user)).await.unwrap().unwrap();
    assert_eq!((profile["version"].as_i64(), profile["weight_kg"].as_f64()), (Some(2), Some(60.0)));
    assert_eq!(sessions_of(&direct, &user).await, 1, "a failed launch left a session");
    let test_e164 = format!("+86{TEST_NUMBER}");
    assert!(
        direct
            .get::<Value>(&keys::idempotency(shared::store::keys::IdempotencyScope::Login, &sms_login_key(&test_e164, &login_key)))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        direct
            .get::<Value>(&keys::idempotency(
                shared::store::keys::IdempotencyScope::Launch,
                &shared::service::run::launch::launch_key(&user, &launch_key)
            ))
            .await
            .unwrap()
            .is_none()
    );
    // and the keys of the requests that failed before any write can be retried at once; the
    // code none of the failed logins spent is spent once, by the retry
    let (status, again) = f.login(&login_key, TEST_NUMBER, TEST_CODE).await;
    assert_eq!((status, again["data"]["user_id"].as_str()), (StatusCode::OK, Some(user.as_str())), "{again}");
    let (status, spent) = f.login(&unique("login_"), TEST_NUMBER, TEST_CODE).await;
    assert_eq!((status, code(&spent)), (StatusCode::UNAUTHORIZED, "sms_code_invalid"));
    assert_eq!(f.launch(&token, &world, &launch_key).await.0, StatusCode::OK);
    assert_eq!(f.profile(&token, 70.0).await.0, StatusCode::OK);
    assert_eq!((sessions_of(&direct, &user).await, profile_versions(&direct, &user).await), (2, 3));
    // the requests cut after their claim keep it until its lease ends (30 s): a retry is told
    // to retry, never served an answer that was not committed
    for (scope, key) in [
        (keys::IdempotencyScope::Launch, shared::service::run::launch::launch_key(&user, &cut_launch_key)),
        (keys::IdempotencyScope::Login, sms_login_key(&test_e164, &cut_login_key)),
    ] {
        let claim: Value = direct.get(&keys::idempotency(scope, &key)).await.unwrap().expect("the cut request's claim");
        assert_eq!(claim["status"], "INPROGRESS");
        assert!(claim["lease_until"].as_i64().unwrap() <= shared::support::clock::now() + 30);
    }
    let (status, retry) = f.launch(&token, &world, &cut_launch_key).await;
    assert_eq!((status, code(&retry)), (StatusCode::CONFLICT, "request_in_progress"), "{retry}");
    let (status, retry) = f.login(&cut_login_key, TEST_NUMBER, TEST_CODE).await;
    assert_eq!((status, code(&retry)), (StatusCode::CONFLICT, "request_in_progress"), "{retry}");
    assert_eq!(sessions_of(&direct, &user).await, 2);

    let worst = refused.max(silent).max(mid);
    println!(
        "faults: DynamoDB down → 503 in ≤ {} ms (refused ≤ {} ms, silent ≤ {} ms, cut mid-request ≤ {} ms [{}]); after recovery 0 partial records, failed keys retried",
        worst.as_millis(),
        refused.as_millis(),
        silent.as_millis(),
        mid.as_millis(),
        cut.iter().map(|(name, _, _, took)| format!("{name} {} ms", took.as_millis())).collect::<Vec<_>>().join(", ")
    );
    // and every 503 came within the budget, those of requests cut mid-way too
    within_budget("cut mid-request", &cut);
}

#[tokio::test]
async fn a_slow_claim_write_never_locks_a_client_out_of_its_own_request_id() {
    // given a user, and DynamoDB answering the launch's idempotency claim (a conditional
    // PutItem) after 1.5 s: it is written, but the SDK gives that attempt up at 1 s and retries
    let moto = Moto::start();
    let direct = db_at(&moto.url()).await;
    let mut net = Network::start(&moto.url()).await;
    let f = functions(&net.url(), &moto.url()).await;
    let world = World::publish_to(&direct, false, true).await;
    let (user, token) = f.log_in().await;
    let key = unique("l_");

    // when the client launches once
    net.set(Link::SlowOnce("PutItem", Duration::from_millis(1500))).await;
    let (first_status, first) = f.launch(&token, &world, &key).await;
    let claims_sent = net.delivered().iter().filter(|op| *op == "putitem").count();

    // then it is served, or told the service is unavailable — not that its own request is
    // another one in progress
    assert!(
        first_status == StatusCode::OK || first_status == StatusCode::SERVICE_UNAVAILABLE,
        "one launch, answered {first_status} {first} (claim PutItem sent {claims_sent}×)"
    );
    // and retrying the same launch_request_id at once gets the session, exactly one
    let (status, retry) = f.launch(&token, &world, &key).await;
    assert_eq!(status, StatusCode::OK, "the retry of a launch the client sent once: {retry}");
    assert_eq!(sessions_of(&direct, &user).await, 1);
    println!("faults: DynamoDB slow (claim answered after 1.5 s) → {first_status} (claim PutItem sent {claims_sent}×), the retry served");
}

#[tokio::test]
async fn moto_killed_is_a_503_within_3_s_and_the_same_instances_serve_once_it_is_back() {
    // given the functions pointed straight at a private moto, and a logged-in user
    let mut moto = Moto::start();
    let f = functions(&moto.url(), &moto.url()).await;
    let world = World::publish_to(&db_at(&moto.url()).await, false, true).await;
    let (_, token) = f.log_in().await;
    assert_eq!(f.launch(&token, &world, &unique("l_")).await.0, StatusCode::OK);

    // when the moto process dies
    moto.kill();
    let (login_key, launch_key) = (unique("login_"), unique("l_"));
    // then every call is an enveloped 503 within the budget
    let worst = all_unavailable("moto killed", &four(&f, &token, &world, &login_key, &launch_key).await);

    // when it is back on the same port (moto keeps no state: the table is created anew)
    let port = moto.port;
    let moto = Moto::start_on(port);
    let world = World::publish_to(&db_at(&moto.url()).await, false, true).await;
    // then the very same function instances serve again, without a cold start
    let started = Instant::now();
    assert_eq!(f.send(TEST_NUMBER).await.0, StatusCode::OK);
    let (status, login) = f.login(&login_key, TEST_NUMBER, TEST_CODE).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["data"]["access_token"].as_str().unwrap().to_string();
    assert_eq!(f.launch(&token, &world, &launch_key).await.0, StatusCode::OK);
    assert_eq!(f.competition(&token, &world).await.0, StatusCode::OK);
    assert_eq!(f.profile(&token, 70.0).await.0, StatusCode::OK);
    assert!(started.elapsed() < BUDGET, "recovery took {:?}", started.elapsed());
    println!(
        "faults: DynamoDB down (moto killed) → 503 in ≤ {} ms; restarted on the same port → the same instances serve again",
        worst.as_millis()
    );
}

// ---------------------------------------------------------------------------------------------
// SNS failing

async fn moto_sms_to(moto: &Moto, e164: &str) -> usize {
    let data: Value = reqwest::get(format!("{}/moto-api/data.json", moto.url())).await.expect("moto data").json().await.expect("json");
    data["sns"]["SMS"].as_array().into_iter().flatten().filter(|m| m["phone_number"] == e164).count()
}

#[tokio::test]
async fn sns_failing_is_a_502_and_spends_neither_the_cooldown_nor_the_caps() {
    // given SNS out of reach (DynamoDB fine), and the served defaults (cooldown 60 s)
    let moto = Moto::start();
    let db = db_at(&moto.url()).await;
    let broken = sms_send::SmsSend { db: db.clone(), sns: sns_at("http://127.0.0.1:9").await, sms: tests::sms_config() };
    let working = sms_send::SmsSend { db: db.clone(), sns: sns_at(&moto.url()).await, sms: tests::sms_config() };
    let (mobile, device) = (unique_mobile(), unique("dev_"));
    let e164 = format!("+86{mobile}");
    let body = json!({ "scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": device });

    // when a code is asked for
    let started = Instant::now();
    let (status, answer) = invoke(&broken, "sms-send", |e| with_body(e, body.clone())).await;
    let took = started.elapsed();

    // then 502 sms_send_failed, nothing sent, and nothing of the send left behind
    assert_eq!((status, code(&answer)), (StatusCode::BAD_GATEWAY, "sms_send_failed"), "{answer}");
    assert!(took <= BUDGET, "took {took:?}");
    assert_eq!(moto_sms_to(&moto, &e164).await, 0);
    assert!(db.get::<Value>(&keys::sms_code(&e164)).await.unwrap().is_none(), "the undelivered code is still stored");
    let day = shared::support::clock::day(shared::support::clock::now());
    for (scope, value) in [(SmsCapScope::Mobile, e164.as_str()), (SmsCapScope::Device, device.as_str())] {
        let cap: Option<Value> = db.get(&keys::sms_cap(scope, value, &day)).await.unwrap();
        assert_eq!(cap.map(|c| c["sent"].as_i64().unwrap_or(0)).unwrap_or(0), 0, "the {scope:?} cap was spent");
    }

    // and an immediate retry, SNS working again, is sent despite the 60 s cooldown
    let (status, answer) = invoke(&working, "sms-send", |e| with_body(e, body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(moto_sms_to(&moto, &e164).await, 1);
    let cap: Value = db.get(&keys::sms_cap(SmsCapScope::Mobile, &e164, &day)).await.unwrap().unwrap();
    assert_eq!(cap["sent"], 1);
    // while a second one now meets the cooldown
    let (status, answer) = invoke(&working, "sms-send", |e| with_body(e, body.clone())).await;
    assert_eq!((status, code(&answer)), (StatusCode::TOO_MANY_REQUESTS, "sms_cooldown"));
    println!("faults: SNS down → 502 sms_send_failed in {} ms, cooldown and caps untouched, an immediate retry sent", took.as_millis());
}

// ---------------------------------------------------------------------------------------------
// WeChat timing out

#[tokio::test]
async fn wechat_timing_out_is_a_502_within_its_timeout_and_the_login_can_be_retried() {
    use wiremock::matchers::{path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // given WeChat answering the first exchange after 5 s (timeout 500 ms), the next at once
    let moto = Moto::start();
    let db = db_at(&moto.url()).await;
    let server = MockServer::start().await;
    let unionid = unique("union_");
    Mock::given(path("/sns/jscode2session"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "openid": "o_late", "unionid": unionid })).set_delay(Duration::from_secs(5)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/sns/jscode2session"))
        .and(query_param("js_code", "wx-code-1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(json!({ "openid": "o_fast", "unionid": unionid }).to_string(), "text/plain"))
        .with_priority(2)
        .mount(&server)
        .await;
    let timeout = Duration::from_millis(500);
    let app = || Some(shared::clients::wechat::WechatApp { app_id: "wx_mini_faults".into(), secret: "wx-faults-secret-value".into() });
    let config = shared::clients::wechat::WechatConfig { api_base: server.uri(), mini_program: app(), mobile_app: app(), timeout };
    let f = wechat_login::WechatLogin { accounts: accounts(db.clone()), wechat: shared::clients::wechat::Wechat::new(config) };
    let key = unique("login_");
    let body = json!({ "login_request_id": key, "wechat_login_code": "wx-code-1", "client_type": "wechat", "device_id": "dev_faults" });

    // when the login waits on WeChat
    let started = Instant::now();
    let (status, answer) = invoke(&f, "wechat-login", |e| with_body(e, body.clone())).await;
    let took = started.elapsed();

    // then 502 wechat_unavailable, within the timeout (plus our own two DynamoDB calls)
    assert_eq!((status, code(&answer)), (StatusCode::BAD_GATEWAY, "wechat_unavailable"), "{answer}");
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(1000),
        "took {} ms with a {} ms timeout",
        took.as_millis(),
        timeout.as_millis()
    );
    assert!(!answer.to_string().contains("secret-value"));
    // and nothing was kept: no user, the request id released
    assert!(db.get::<Value>(&keys::identity(shared::model::identity::IdentityKind::WechatUnion, &unionid)).await.unwrap().is_none());
    assert!(
        db.get::<Value>(&keys::idempotency(
            shared::store::keys::IdempotencyScope::Login,
            &shared::service::auth::accounts::wechat_login_key("wx-code-1", &key)
        ))
        .await
        .unwrap()
        .is_none()
    );

    // when the client retries with the same login_request_id, WeChat answering
    let (status, answer) = invoke(&f, "wechat-login", |e| with_body(e, body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["login_method"], "wechat");
    let claims = tests::tokens().verify_access(answer["data"]["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.client_type, ClientType::Wechat);
    println!(
        "faults: WeChat silent → 502 wechat_unavailable in {} ms (timeout {} ms); the same login_request_id then succeeds",
        took.as_millis(),
        timeout.as_millis()
    );
}
