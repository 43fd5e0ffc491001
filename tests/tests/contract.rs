//! The route contract, checked in every direction: the route table (`shared::http::routes::ROUTES`),
//! the deployed routes (`template.yaml`), the local router (`[workspace.metadata.lambda.watch.router]`
//! in `Cargo.toml`), the published OpenAPI file (`docs/openapi.yaml`) and the sample events
//! (`events/*.json`) must name the same routes, each answered by the same function.
//!
//! Pure file checks: no local stack needed (`cargo test -p tests --test contract`).

use serde_json::Value;
use shared::http::routes::{self, FALLBACK_FUNCTION, Matched, ROUTES};
use shared::support::error::ErrorCode;
use std::collections::{BTreeMap, BTreeSet};
use tests::openapi::{deref, documented_errors, openapi, openapi_operations, read, yaml};

/// The catch-all as API Gateway spells it (template.yaml, events) and as `cargo lambda watch` does.
const CATCH_ALL_METHOD: &str = "ANY";
const CATCH_ALL_PATH: &str = "/client/v1/{proxy+}";
const CATCH_ALL_ROUTER_PATH: &str = "/client/v1/{*proxy}";

/// Codes only the catch-all answers (no documented operation returns them).
const CATCH_ALL_CODES: &[(&str, u16)] = &[("not_found", 404), ("method_not_allowed", 405)];

/// `METHOD path` → function.
type RouteMap = BTreeMap<(String, String), String>;

// ------------------------------------------------------------------------------------- sources

fn route_table() -> RouteMap {
    let mut map = RouteMap::new();
    for r in ROUTES {
        let previous = map.insert((r.method.to_string(), r.path.to_string()), r.function.to_string());
        assert!(previous.is_none(), "shared::http::routes::ROUTES lists {} {} twice", r.method, r.path);
    }
    map
}

/// A function of template.yaml: its logical id, the binary it builds and its HttpApi routes.
#[derive(Debug)]
struct TemplateFunction {
    logical_id: String,
    binary: Option<String>,
    routes: Vec<(String, String)>,
}

fn template_functions() -> Vec<TemplateFunction> {
    let template = yaml("template.yaml");
    let resources = template["Resources"].as_object().cloned().unwrap_or_default();
    let mut functions = Vec::new();
    for (logical_id, resource) in resources {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().map(str::to_owned);
        let mut routes = Vec::new();
        for (event_id, event) in resource["Properties"]["Events"].as_object().cloned().unwrap_or_default() {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let (Some(method), Some(path)) = (event["Properties"]["Method"].as_str(), event["Properties"]["Path"].as_str()) else {
                panic!("template.yaml: {logical_id}.Events.{event_id} is an HttpApi event without Path and Method");
            };
            routes.push((method.to_ascii_uppercase(), path.to_string()));
        }
        functions.push(TemplateFunction { logical_id, binary, routes });
    }
    functions
}

/// The HttpApi routes of template.yaml, each with the binary (= function name) it invokes.
fn template_routes() -> RouteMap {
    let mut map = RouteMap::new();
    for f in template_functions() {
        let function = f.binary.clone().unwrap_or_else(|| format!("<{} has no Metadata.BuildProperties.Binary>", f.logical_id));
        for (method, path) in f.routes {
            if let Some(other) = map.insert((method.clone(), path.clone()), function.clone()) {
                panic!("template.yaml routes {method} {path} twice (to {other} and to {function})");
            }
        }
    }
    map
}

/// `[workspace.metadata.lambda.watch.router]` of the root Cargo.toml: path → function. The
/// section is a flat table of `"path" = "function"` lines; anything else in it fails the test.
fn watch_router() -> BTreeMap<String, String> {
    const HEADER: &str = "[workspace.metadata.lambda.watch.router]";
    let text = read("Cargo.toml");
    let mut lines = text.lines().map(str::trim).skip_while(|l| *l != HEADER);
    assert_eq!(lines.next(), Some(HEADER), "Cargo.toml has no {HEADER} section");
    let mut router = BTreeMap::new();
    for line in lines.take_while(|l| !l.starts_with('[')) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line.split_once('=').and_then(|(k, v)| {
            let unquote = |s: &str| s.trim().strip_prefix('"')?.strip_suffix('"').map(str::to_owned);
            Some((unquote(k)?, unquote(v.split(" #").next().unwrap_or(v))?))
        });
        let Some((path, function)) = parsed else {
            panic!("Cargo.toml {HEADER}: cannot read the line `{line}` (expected \"/path\" = \"function\")");
        };
        if let Some(other) = router.insert(path.clone(), function) {
            panic!("Cargo.toml {HEADER}: {path} is listed twice (first → {other})");
        }
    }
    router
}

fn show(route: &(String, String)) -> String {
    format!("{} {}", route.0, route.1)
}

/// Every disagreement between two route maps, one line each, naming the route and where it is missing.
fn route_diff(a_name: &str, a: &RouteMap, b_name: &str, b: &RouteMap) -> Vec<String> {
    let mut problems = Vec::new();
    for (route, function) in a {
        match b.get(route) {
            None => problems.push(format!("{} (→ {function}) is in {a_name} but missing from {b_name}", show(route))),
            Some(other) if other != function => {
                problems.push(format!("{} goes to {function} in {a_name} but to {other} in {b_name}", show(route)))
            }
            Some(_) => {}
        }
    }
    for (route, function) in b {
        if !a.contains_key(route) {
            problems.push(format!("{} (→ {function}) is in {b_name} but missing from {a_name}", show(route)));
        }
    }
    problems
}

fn assert_no_problems(what: &str, problems: Vec<String>) {
    assert!(problems.is_empty(), "{what}:\n  - {}", problems.join("\n  - "));
}

fn with_catch_all(mut routes: RouteMap) -> RouteMap {
    routes.insert((CATCH_ALL_METHOD.into(), CATCH_ALL_PATH.into()), FALLBACK_FUNCTION.into());
    routes
}

fn lowercase_alnum(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The template's routes against the route table plus the catch-all.
fn template_problems(deployed: &RouteMap) -> Vec<String> {
    let expected = with_catch_all(route_table());
    route_diff("shared::http::routes::ROUTES (+ catch-all)", &expected, "template.yaml HttpApi events", deployed)
}

/// The watch router against the route table's paths plus the catch-all.
fn router_problems(router: &BTreeMap<String, String>) -> Vec<String> {
    let mut expected: BTreeMap<String, String> = ROUTES.iter().map(|r| (r.path.to_string(), r.function.to_string())).collect();
    expected.insert(CATCH_ALL_ROUTER_PATH.into(), FALLBACK_FUNCTION.into());
    let mut problems = Vec::new();
    for (path, function) in &expected {
        match router.get(path) {
            None => problems
                .push(format!("{path} (→ {function}) is in shared::http::routes::ROUTES but missing from the Cargo.toml watch router")),
            Some(other) if other != function => problems
                .push(format!("{path} goes to {function} in shared::http::routes::ROUTES but to {other} in the Cargo.toml watch router")),
            Some(_) => {}
        }
    }
    for (path, function) in router {
        if !expected.contains_key(path) {
            problems.push(format!("{path} (→ {function}) is in the Cargo.toml watch router but missing from shared::http::routes::ROUTES"));
        }
    }
    problems
}

// --------------------------------------------------------------------------------------- tests

#[test]
fn route_table_paths_each_belong_to_one_function_and_every_function_is_a_crate() {
    // given the route table
    let mut by_path: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in ROUTES {
        by_path.entry(r.path).or_default().insert(r.function);
    }
    // when each path and function is looked at
    let mut problems = Vec::new();
    for (path, functions) in &by_path {
        if functions.len() > 1 {
            problems.push(format!("{path} is split between functions {functions:?}: the watch router maps a path to one function"));
        }
    }
    let functions: BTreeSet<&str> = ROUTES.iter().map(|r| r.function).chain([FALLBACK_FUNCTION]).collect();
    for f in functions {
        if !tests::repo_path(&format!("functions/{f}/Cargo.toml")).exists() {
            problems.push(format!("function {f} has no crate at functions/{f}/"));
        }
    }
    // then a path never needs two functions, and each function is a crate of the workspace
    assert_no_problems("shared::http::routes::ROUTES", problems);
}

#[test]
fn template_routes_are_exactly_the_route_table_plus_the_catch_all() {
    // given the route table plus the catch-all, and the HttpApi events of template.yaml
    let deployed = template_routes();
    // when they are compared route by route
    let problems = template_problems(&deployed);
    // then each route is deployed, to the function (binary) the route table names, and nothing else is
    assert_no_problems("template.yaml disagrees with the route table", problems);
}

#[test]
fn template_functions_build_the_binary_their_logical_id_names() {
    // given the Lambda functions of template.yaml
    let functions = template_functions();
    assert!(!functions.is_empty(), "template.yaml has no AWS::Serverless::Function resource");
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for f in &functions {
        // when each one's logical id and Metadata.BuildProperties.Binary are read
        let Some(binary) = &f.binary else {
            problems.push(format!("{} has no Metadata.BuildProperties.Binary", f.logical_id));
            continue;
        };
        // then the binary is a function crate, built by one resource only, whose logical id names it
        if !tests::repo_path(&format!("functions/{binary}/Cargo.toml")).exists() {
            problems.push(format!("{} builds binary {binary}, which is not a crate under functions/", f.logical_id));
        }
        if !lowercase_alnum(&f.logical_id).contains(&lowercase_alnum(binary)) {
            problems.push(format!("{} builds binary {binary}: its logical id does not name it", f.logical_id));
        }
        if let Some(other) = seen.insert(binary.clone(), f.logical_id.clone()) {
            problems.push(format!("binary {binary} is built by both {other} and {}", f.logical_id));
        }
    }
    // and every function of the route table is deployed
    for function in ROUTES.iter().map(|r| r.function).chain([FALLBACK_FUNCTION]).collect::<BTreeSet<_>>() {
        if !seen.contains_key(function) {
            problems.push(format!("function {function} of shared::http::routes::ROUTES has no AWS::Serverless::Function in template.yaml"));
        }
    }
    assert_no_problems("template.yaml functions", problems);
}

#[test]
fn watch_router_serves_every_route_path_with_its_function_and_nothing_else() {
    // given the route table's paths and the `cargo lambda watch` router
    let router = watch_router();
    // when they are compared path by path
    let problems = router_problems(&router);
    // then every path is served locally by the function that serves it deployed
    assert_no_problems("the watch router disagrees with the route table", problems);
}

#[test]
fn a_drifted_route_is_reported_by_name() {
    // given the real template and router, each with one route dropped and one sent elsewhere
    let mut deployed = template_routes();
    deployed.remove(&("GET".to_string(), "/client/v1/maps/{map_id}".to_string()));
    deployed.insert(("POST".into(), "/client/v1/punches".into()), "launch".into());
    let mut router = watch_router();
    router.remove("/client/v1/events/{event_id}/launch");
    router.insert("/client/v1/cards".into(), "sessions".into());
    // when they are checked
    let template = template_problems(&deployed).join("\n");
    let local = router_problems(&router).join("\n");
    // then each drift is named, with the route and where it is missing or differs
    assert!(
        template.contains(
            "GET /client/v1/maps/{map_id} (→ catalog) is in shared::http::routes::ROUTES (+ catch-all) but missing from template.yaml"
        ),
        "{template}"
    );
    assert!(
        template.contains(
            "POST /client/v1/punches goes to sessions in shared::http::routes::ROUTES (+ catch-all) but to launch in template.yaml"
        ),
        "{template}"
    );
    assert!(
        local.contains(
            "/client/v1/events/{event_id}/launch (→ launch) is in shared::http::routes::ROUTES but missing from the Cargo.toml watch router"
        ),
        "{local}"
    );
    assert!(
        local.contains("/client/v1/cards goes to catalog in shared::http::routes::ROUTES but to sessions in the Cargo.toml watch router"),
        "{local}"
    );
}

#[test]
fn the_catch_all_goes_to_the_fallback_function_and_is_not_an_openapi_path() {
    // given the three places that know the catch-all
    let deployed = template_routes();
    let router = watch_router();
    let doc = openapi();
    let mut problems = Vec::new();
    // when it is looked up in each
    match deployed.get(&(CATCH_ALL_METHOD.to_string(), CATCH_ALL_PATH.to_string())) {
        Some(f) if f == FALLBACK_FUNCTION => {}
        Some(f) => problems.push(format!("template.yaml routes {CATCH_ALL_METHOD} {CATCH_ALL_PATH} to {f}, not {FALLBACK_FUNCTION}")),
        None => problems.push(format!("template.yaml has no {CATCH_ALL_METHOD} {CATCH_ALL_PATH} (→ {FALLBACK_FUNCTION})")),
    }
    match router.get(CATCH_ALL_ROUTER_PATH) {
        Some(f) if f == FALLBACK_FUNCTION => {}
        Some(f) => problems.push(format!("the Cargo.toml watch router sends {CATCH_ALL_ROUTER_PATH} to {f}, not {FALLBACK_FUNCTION}")),
        None => problems.push(format!("the Cargo.toml watch router has no {CATCH_ALL_ROUTER_PATH} (→ {FALLBACK_FUNCTION})")),
    }
    for path in doc["paths"].as_object().into_iter().flatten().map(|(p, _)| p) {
        if path.contains("proxy") || path.contains('+') || path.contains('*') {
            problems.push(format!("docs/openapi.yaml documents the catch-all as a path ({path}); describe it in info.description"));
        }
    }
    // then it is deployed and served locally by the fallback function, and documented only in prose
    let description = doc["info"]["description"].as_str().unwrap_or_default();
    if !description.contains(CATCH_ALL_PATH) {
        problems.push(format!("docs/openapi.yaml info.description does not describe the catch-all {CATCH_ALL_PATH}"));
    }
    assert_no_problems("the catch-all", problems);
}

#[test]
fn openapi_documents_exactly_the_route_table() {
    // given the route table and the OpenAPI document
    let doc = openapi();
    let documented: BTreeSet<(String, String)> = openapi_operations(&doc).into_keys().collect();
    let routed: BTreeSet<(String, String)> = route_table().into_keys().collect();
    // when their operations are compared
    let mut problems = Vec::new();
    for route in routed.difference(&documented) {
        problems.push(format!("{} is in shared::http::routes::ROUTES but missing from docs/openapi.yaml", show(route)));
    }
    for route in documented.difference(&routed) {
        problems.push(format!("{} is in docs/openapi.yaml but missing from shared::http::routes::ROUTES", show(route)));
    }
    // then every route is documented and nothing else is
    assert_no_problems("docs/openapi.yaml disagrees with the route table", problems);
}

#[test]
fn openapi_operations_are_complete() {
    // given every documented operation
    let doc = openapi();
    let mut problems = Vec::new();
    let mut operation_ids = BTreeMap::new();
    for (route, op) in openapi_operations(&doc) {
        let at = show(&route);
        // when its identity, security and responses are read
        match op["operationId"].as_str() {
            Some(id) => {
                if let Some(other) = operation_ids.insert(id.to_string(), at.clone()) {
                    problems.push(format!("{at}: operationId {id} is also used by {other}"));
                }
            }
            None => problems.push(format!("{at}: no operationId")),
        }
        if op["summary"].as_str().is_none_or(str::is_empty) || op["tags"].as_array().is_none_or(Vec::is_empty) {
            problems.push(format!("{at}: needs a summary and a tag"));
        }
        if !op["security"].is_array() {
            problems.push(format!("{at}: security is not declared (bearer, optional or none)"));
        }
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        if !responses.keys().any(|s| s.starts_with('2') || s == "501") {
            problems.push(format!("{at}: no success (or 501) response"));
        }
        // then every error response names the codes it can carry
        for (status, codes) in documented_errors(&doc, &op) {
            if codes.is_empty() {
                problems.push(format!("{at}: response {status} does not constrain error.code with an enum"));
            }
        }
        if op.get("requestBody").is_some() {
            let schema = op.pointer("/requestBody/content/application~1json/schema").map(|s| deref(&doc, s));
            if schema.is_none_or(|s| s["additionalProperties"] != Value::Bool(false)) {
                problems.push(format!("{at}: the JSON request body must be an object schema with additionalProperties: false"));
            }
        }
    }
    assert_no_problems("docs/openapi.yaml operations", problems);
}

#[test]
fn the_published_error_code_table_matches_the_operations() {
    // given the error codes every operation documents, per status
    let doc = openapi();
    let mut used: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for (_, op) in openapi_operations(&doc) {
        for (status, codes) in documented_errors(&doc, &op) {
            for code in codes {
                used.entry(code).or_default().insert(status);
            }
        }
    }
    // and the published table, both as x-error-codes and as the `errors` tag's markdown table
    let mut table: BTreeMap<String, u16> = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in doc["x-error-codes"].as_array().into_iter().flatten() {
        let (Some(code), Some(status)) = (entry["code"].as_str(), entry["status"].as_u64()) else {
            problems.push(format!("x-error-codes entry without code and status: {entry}"));
            continue;
        };
        if entry["meaning"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("x-error-codes: {code} has no meaning"));
        }
        if table.insert(code.to_string(), status as u16).is_some() {
            problems.push(format!("x-error-codes lists {code} twice"));
        }
    }
    let tag = doc["tags"].as_array().into_iter().flatten().find(|t| t["name"] == "errors");
    let markdown = tag.and_then(|t| t["description"].as_str()).unwrap_or_default();
    let mut markdown_table: BTreeMap<String, u16> = BTreeMap::new();
    for row in markdown.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if let (Some(code), Some(Ok(status))) = (cells.get(1), cells.get(2).map(|s| s.parse::<u16>())) {
            markdown_table.insert(code.trim_matches('`').to_string(), status);
        }
    }
    // when they are compared
    for (code, statuses) in &used {
        for status in statuses {
            if table.get(code) != Some(status) {
                problems.push(format!("{code} ({status}) is returned by an operation but x-error-codes says {:?}", table.get(code)));
            }
        }
    }
    for (code, status) in &table {
        let catch_all = CATCH_ALL_CODES.contains(&(code.as_str(), *status));
        if !used.contains_key(code) && !catch_all {
            problems.push(format!("x-error-codes lists {code} ({status}) but no operation returns it"));
        }
        if markdown_table.get(code) != Some(status) {
            problems.push(format!(
                "{code} ({status}) of x-error-codes is not in the `errors` tag table as such (found {:?})",
                markdown_table.get(code)
            ));
        }
    }
    for (code, status) in &markdown_table {
        if !table.contains_key(code) {
            problems.push(format!("{code} ({status}) is in the `errors` tag table but not in x-error-codes"));
        }
    }
    for (code, status) in CATCH_ALL_CODES {
        if table.get(*code) != Some(status) {
            problems.push(format!("the catch-all's {code} ({status}) is missing from x-error-codes"));
        }
    }
    // then the table is exactly the codes clients can see, each with one status
    assert_no_problems("the published error-code table", problems);
}

#[test]
fn every_event_file_is_a_route_and_every_route_has_an_event() {
    // given the sample events of events/
    let dir = tests::repo_path("events");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "events/ has no *.json");
    let table = with_catch_all(route_table());
    let mut covered = BTreeSet::new();
    let mut problems = Vec::new();
    for file in files {
        let name = format!("events/{}", file.file_name().unwrap_or_default().to_string_lossy());
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("readable")).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        // when its routeKey and rawPath are read
        let route_key = event["routeKey"].as_str().unwrap_or_default();
        let raw_path = event["rawPath"].as_str().unwrap_or_default();
        let Some((method, path)) = route_key.split_once(' ') else {
            problems.push(format!("{name}: routeKey {route_key:?} is not \"METHOD /path\""));
            continue;
        };
        let route = (method.to_string(), path.to_string());
        // then the routeKey is a route of the table (or the catch-all), consistently spelled…
        if !table.contains_key(&route) {
            problems.push(format!("{name}: routeKey {route_key} is not a route of shared::http::routes::ROUTES"));
            continue;
        }
        covered.insert(route.clone());
        if event["requestContext"]["routeKey"] != route_key {
            problems.push(format!("{name}: requestContext.routeKey differs from routeKey {route_key}"));
        }
        if event["requestContext"]["http"]["path"] != raw_path {
            problems.push(format!("{name}: requestContext.http.path differs from rawPath {raw_path}"));
        }
        let http_method = event["requestContext"]["http"]["method"].as_str().unwrap_or_default();
        // …and the rawPath is what the router sends to that route
        if method == CATCH_ALL_METHOD {
            if let Matched::Route(r, _) = routes::find(http_method, raw_path) {
                problems.push(format!("{name}: catch-all event's rawPath {raw_path} is the route {} {}", r.method, r.path));
            }
            continue;
        }
        if http_method != method {
            problems.push(format!("{name}: requestContext.http.method {http_method} differs from routeKey {route_key}"));
        }
        match routes::find(method, raw_path) {
            Matched::Route(r, params) if r.method == method && r.path == path => {
                let declared: BTreeSet<String> =
                    event["pathParameters"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
                let expected: BTreeSet<String> = params.keys().map(|k| k.to_string()).collect();
                if declared != expected {
                    problems.push(format!("{name}: pathParameters {declared:?}, the route has {expected:?}"));
                }
            }
            Matched::Route(r, _) => problems.push(format!("{name}: rawPath {raw_path} routes to {} {}, not {route_key}", r.method, r.path)),
            _ => problems.push(format!("{name}: rawPath {raw_path} does not route to {route_key}")),
        }
    }
    for route in table.keys() {
        if !covered.contains(route) {
            problems.push(format!("{} has no event in events/", show(route)));
        }
    }
    assert_no_problems("events/", problems);
}

#[test]
fn the_error_codes_in_code_are_exactly_the_published_table() {
    // given the one error-code type of the code, and the published table
    let doc = openapi();
    let published: BTreeMap<String, u16> = doc["x-error-codes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["code"].as_str().unwrap_or_default().to_string(), e["status"].as_u64().unwrap_or(0) as u16))
        .collect();
    let in_code: BTreeMap<String, u16> = ErrorCode::ALL.iter().map(|c| (c.as_str().to_string(), c.status().as_u16())).collect();

    // when they are compared, then they are the same codes with the same statuses
    let mut problems = Vec::new();
    for (code, status) in &in_code {
        if published.get(code) != Some(status) {
            problems.push(format!("ErrorCode {code} ({status}) is published as {:?}", published.get(code)));
        }
    }
    for (code, status) in &published {
        if !in_code.contains_key(code) {
            problems.push(format!("x-error-codes lists {code} ({status}), which no ErrorCode is"));
        }
    }
    assert_no_problems("error codes in code vs x-error-codes", problems);
}

#[test]
fn each_route_names_its_operation_as_openapi_does() {
    // given the operations of docs/openapi.yaml and the route table
    let doc = openapi();
    let ops = openapi_operations(&doc);
    // when each route's operation is compared with the operationId of its path and method
    let problems: Vec<String> = ROUTES
        .iter()
        .filter_map(|r| {
            let id = ops.get(&(r.method.to_string(), r.path.to_string())).and_then(|op| op["operationId"].as_str());
            (id != Some(r.operation.as_str()))
                .then(|| format!("{} {}: route says {}, openapi says {id:?}", r.method, r.path, r.operation.as_str()))
        })
        .collect();
    // then they agree
    assert_no_problems("operation names", problems);
}
