//! A routed call and what a handler reads from it: the JSON body, path and query parameters,
//! the bearer token — each failure a 400 that names the field.

use crate::http::routes::{Params, Route};
use crate::support::check::check_id;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::{Claims, Tokens};
use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::json;

pub struct Call<'a> {
    pub route: &'static Route,
    pub params: Params,
    pub req: &'a Request,
    pub request_id: &'a str,
}

impl Call<'_> {
    /// The JSON body as `T`. An empty body reads as `{}`, so a missing field is named as such.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if let Some(ct) = self.req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            if !(ct.starts_with("application/json") || ct.contains("+json")) {
                return Err(ApiError::of(ErrorCode::UnsupportedMediaType).with_details(json!({ "field": "Content-Type" })));
            }
        }
        let body: &[u8] = self.req.body().as_ref();
        let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
        parse_json(body)
    }

    /// A path parameter, checked to be a plausible id (so `/`, NUL or a 10 KB id never reach the database).
    pub fn id(&self, name: &'static str) -> ApiResult<&str> {
        let value = self.params.get(name).map(String::as_str).unwrap_or("");
        check_id(name, value)?;
        Ok(value)
    }

    pub fn query(&self, name: &str) -> Option<String> {
        self.req.query_string_parameters_ref().and_then(|q| q.first(name).map(str::to_owned))
    }

    /// A positive integer query parameter with a default and a maximum.
    pub fn query_int(&self, name: &'static str, default: u32, max: u32) -> ApiResult<u32> {
        match self.query(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(name, format!("must be an integer from 1 to {max}"))),
            },
        }
    }

    /// A query parameter that is one of a plain enum's spellings, or its default when absent.
    pub fn query_enum<E: serde::de::DeserializeOwned>(&self, name: &'static str, default: E) -> ApiResult<E> {
        match self.query(name) {
            None => Ok(default),
            Some(v) => serde_json::from_value(serde_json::Value::String(v)).map_err(|e| ApiError::invalid(name, e.to_string())),
        }
    }

    /// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`): unlike any
    /// field of the body, the caller cannot choose it.
    pub fn source_ip(&self) -> String {
        match self.req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            _ => None,
        }
        .unwrap_or_else(|| "unknown".to_string())
    }

    /// The `Authorization: Bearer …` token, if the header is there at all.
    pub fn bearer(&self) -> Option<ApiResult<&str>> {
        let value = self.req.headers().get(header::AUTHORIZATION)?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        Some(token.ok_or_else(|| ApiError::unauthorized("Authorization must be \"Bearer <access_token>\"")))
    }

    /// A protected route: the caller's verified claims, or 401.
    pub fn require(&self, tokens: &Tokens) -> ApiResult<Claims> {
        match self.bearer() {
            None => Err(ApiError::unauthorized("access token required")),
            Some(token) => tokens.verify_access(token?),
        }
    }

    /// A write of a running session: its session token (an access token is refused), or 401.
    pub fn require_session(&self, tokens: &Tokens) -> ApiResult<Claims> {
        match self.bearer() {
            None => Err(ApiError::unauthorized("session token required")),
            Some(token) => tokens.verify_session(token?),
        }
    }

    /// An optional-auth route: anonymous when no token is sent; a token that is sent must be
    /// valid (an expired one is a 401 so the client refreshes, never a silent downgrade).
    pub fn optional(&self, tokens: &Tokens) -> ApiResult<Option<Claims>> {
        self.bearer().map(|token| tokens.verify_access(token?)).transpose()
    }

    /// A live board's optional auth: a launch's `realtime_token` (the claims, for the runner's own
    /// entry), an access token (a signed-in spectator, served as anyone), or nothing.
    pub fn optional_realtime(&self, tokens: &Tokens) -> ApiResult<Option<Claims>> {
        let Some(token) = self.bearer() else { return Ok(None) };
        let token = token?;
        match tokens.verify_realtime(token) {
            Ok(claims) => Ok(Some(claims)),
            Err(refused) => tokens.verify_access(token).map(|_| None).map_err(|_| refused),
        }
    }
}

/// Parses a JSON object into `T`; malformed JSON, a wrong type, a missing, unknown or
/// out-of-enum field each become a 400 naming it, in the client's words.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| ApiError::invalid("body", format!("malformed JSON ({e})")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde reports a missing field at its parent (and an unknown one at the top level
        // without a path); the name is in the message.
        let quoted = inner.split('`').nth(1).unwrap_or("body").to_string();
        let named = inner.starts_with("missing field");
        let field = match (path.as_str(), named) {
            (".", _) => quoted,
            (_, true) => format!("{path}.{quoted}"),
            (_, false) => path,
        };
        ApiError::invalid(&field, client_reason(&inner))
    })
}

/// serde's message as a client reads it: no Rust type names, nothing of what was sent echoed.
fn client_reason(serde_message: &str) -> String {
    let message = serde_message.split(" at line ").next().unwrap_or(serde_message);
    if message.starts_with("missing field") {
        return "is required".into();
    }
    if message.starts_with("unknown field") {
        return "is not a field of this request".into();
    }
    let (wrong_value, expected) = match (message.strip_prefix("invalid type: "), message.strip_prefix("invalid value: ")) {
        (Some(rest), _) => (false, rest.rsplit(", expected ").next().unwrap_or("")),
        (_, Some(rest)) => (true, rest.rsplit(", expected ").next().unwrap_or("")),
        // Our own deserializers speak the client's language already.
        _ => return message.to_string(),
    };
    let integer = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize", "isize"].contains(&expected);
    match expected {
        _ if integer && wrong_value => "is out of range".into(),
        _ if integer => "must be an integer".into(),
        "f32" | "f64" => "must be a number".into(),
        "a string" | "a borrowed string" => "must be a string".into(),
        "a boolean" => "must be true or false".into(),
        "a sequence" => "must be an array".into(),
        e if e.starts_with("struct ") || e == "a map" => "must be an object".into(),
        _ => "has the wrong type".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        count: u32,
        name: String,
        client_type: crate::support::types::ClientType,
        #[serde(default)]
        ratio: Option<f64>,
    }

    fn refusal(body: &str) -> (String, String) {
        let err = parse_json::<Sample>(body.as_bytes()).unwrap_err();
        (err.details["field"].as_str().unwrap().to_string(), err.details["reason"].as_str().unwrap().to_string())
    }

    #[test]
    fn each_refusal_names_the_field_in_the_clients_words() {
        let ok = r#"{"count": 1, "name": "a", "client_type": "app"}"#;
        assert_eq!(parse_json::<Sample>(ok.as_bytes()).unwrap().count, 1);
        let cases = [
            (r#"{"count": "1", "name": "a", "client_type": "app"}"#, "count", "must be an integer"),
            (r#"{"count": -1, "name": "a", "client_type": "app"}"#, "count", "is out of range"),
            (r#"{"count": 1, "name": 5, "client_type": "app"}"#, "name", "must be a string"),
            (r#"{"count": 1, "name": "a", "client_type": "app", "ratio": "x"}"#, "ratio", "must be a number"),
            (r#"{"count": 1, "name": "a", "client_type": {"app": null}}"#, "client_type", "must be a string"),
            (r#"{"count": 1, "name": "a", "client_type": "web"}"#, "client_type", "must be one of: app, wechat"),
            (r#"{"name": "a", "client_type": "app"}"#, "count", "is required"),
            (r#"{"count": 1, "name": "a", "client_type": "app", "debug": 1}"#, "debug", "is not a field of this request"),
            (r#"[1]"#, "body", "must be a JSON object"),
        ];
        for (body, field, reason) in cases {
            assert_eq!(refusal(body), (field.to_string(), reason.to_string()), "{body}");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Batch {
        samples: Vec<Point>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Point {
        t: i64,
    }

    #[test]
    fn a_field_inside_a_list_is_named_by_its_path() {
        let refuse = |body: &str| parse_json::<Batch>(body.as_bytes()).unwrap_err().details["field"].as_str().unwrap().to_string();
        assert_eq!(refuse(r#"{"samples": [{"t": 1}, {}]}"#), "samples[1].t");
        assert_eq!(refuse(r#"{"samples": [{"t": 1, "speed": 2}]}"#), "samples[0].speed");
        assert_eq!(refuse(r#"{"samples": [{"t": "x"}]}"#), "samples[0].t");
    }

    #[test]
    fn echoed_input_is_bounded() {
        let key = "k".repeat(15_000);
        let body = format!(r#"{{"count": 1, "name": "a", "client_type": "app", "{key}": 1}}"#);
        let err = parse_json::<Sample>(body.as_bytes()).unwrap_err();
        assert!(serde_json::to_string(&err.details).unwrap().len() < 300, "{}", err.details);
        assert!(err.message.len() < 300);
        assert!(err.details["field"].as_str().unwrap().starts_with("kkkk"));
    }
}
