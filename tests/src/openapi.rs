//! The published contract, `docs/openapi.yaml`, as the suites read it: its operations and the
//! error codes each documents per status — so every answer of every suite can be checked
//! against it, and the contract suite can compare it with the code.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const OPENAPI_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

pub fn read(rel: &str) -> String {
    let path = crate::repo_path(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A YAML document as JSON. CloudFormation short tags (`!Ref X`, `!Sub "…"`, `!GetAtt A.B`) are
/// dropped, keeping the value they tag: only the structure matters here.
pub fn yaml(rel: &str) -> Value {
    let doc: serde_norway::Value = serde_norway::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"));
    to_json(doc)
}

pub fn to_json(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

/// docs/openapi.yaml, as JSON.
pub fn openapi() -> Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| yaml("docs/openapi.yaml")).clone()
}

/// The operations of docs/openapi.yaml: `METHOD path` → the operation object.
pub fn openapi_operations(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
        for (key, op) in item.as_object().cloned().unwrap_or_default() {
            if OPENAPI_METHODS.contains(&key.as_str()) {
                ops.insert((key.to_ascii_uppercase(), path.clone()), op);
            }
        }
    }
    ops
}

/// Follows a local `$ref` (`#/components/...`) until a non-reference object.
pub fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(reference) = v.get("$ref").and_then(Value::as_str) else { return v };
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("openapi: only local $ref are used, found {reference}"));
        v = doc.pointer(pointer).unwrap_or_else(|| panic!("openapi: $ref {reference} points nowhere"));
    }
    panic!("openapi: $ref chain too deep")
}

/// The `error.code` values a response schema allows: the union of every `enum`/`const` found
/// on an `error.code` property anywhere in the schema (through `$ref` and `allOf`/`oneOf`/`anyOf`).
pub fn error_codes_of(doc: &Value, schema: &Value, codes: &mut BTreeSet<String>) {
    let schema = deref(doc, schema);
    if let Some(code) = schema.pointer("/properties/error/properties/code") {
        let code = deref(doc, code);
        for c in code["enum"].as_array().into_iter().flatten().chain(code.get("const")) {
            codes.insert(c.as_str().expect("error codes are strings").to_string());
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for sub in schema[key].as_array().into_iter().flatten() {
            error_codes_of(doc, sub, codes);
        }
    }
}

/// For one operation: status → the error codes its response documents.
pub fn documented_errors(doc: &Value, op: &Value) -> BTreeMap<u16, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (status, response) in op["responses"].as_object().cloned().unwrap_or_default() {
        let Ok(status) = status.parse::<u16>() else { continue };
        if status < 400 {
            continue;
        }
        let response = deref(doc, &response);
        let mut codes = BTreeSet::new();
        if let Some(schema) = response.pointer("/content/application~1json/schema") {
            error_codes_of(doc, schema, &mut codes);
        }
        out.insert(status, codes);
    }
    out
}

/// The error codes an operation documents for `status`, by the route table's path pattern:
/// `None` when the operation does not document that status at all.
pub fn documented(method: &str, route_path: &str, status: u16) -> Option<BTreeSet<String>> {
    type ByStatus = BTreeMap<u16, BTreeSet<String>>;
    static ERRORS: OnceLock<BTreeMap<(String, String), ByStatus>> = OnceLock::new();
    let errors = ERRORS.get_or_init(|| {
        let doc = openapi();
        openapi_operations(&doc).into_iter().map(|(route, op)| (route, documented_errors(&doc, &op))).collect()
    });
    errors.get(&(method.to_string(), route_path.to_string()))?.get(&status).cloned()
}
