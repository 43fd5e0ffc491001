//! The response envelope: `request_id` plus `data` or `error{code,message,details}`.

use crate::support::error::ApiError;
use lambda_http::http::{StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::json;
use std::borrow::Cow;

/// What a handler answers on success: a status (200 unless said otherwise) and the `data` object.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub data: serde_json::Value,
    /// A document served as is (content type, body) instead of the JSON envelope.
    pub file: Option<(&'static str, Cow<'static, str>)>,
    /// Seconds a shared cache (a CDN) may keep the answer: only for answers that are the same
    /// for every caller. Else `no-store`.
    pub public_for_s: Option<u32>,
}

impl Reply {
    /// 200 with `data` (every success of the contract is a 200).
    pub fn ok(data: impl Serialize) -> Self {
        // Serializing our own response structs cannot fail (string keys, no non-finite floats reach them).
        let data = serde_json::to_value(data).unwrap_or_else(|_| json!({}));
        Self { status: StatusCode::OK, data, file: None, public_for_s: None }
    }

    /// The same answer for anyone for `seconds`: a CDN in front may serve it that long.
    pub fn public_for(mut self, seconds: u32) -> Self {
        self.public_for_s = Some(seconds);
        self
    }

    pub fn file(content_type: &'static str, body: impl Into<Cow<'static, str>>) -> Self {
        Self { status: StatusCode::OK, data: serde_json::Value::Null, file: Some((content_type, body.into())), public_for_s: None }
    }
}

/// API Gateway's request id when there is one (so logs and client reports meet), else a fresh one.
pub fn request_id(req: &Request) -> String {
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
        match ctx.request_id.as_deref() {
            Some(id) if !id.is_empty() => return format!("req_{id}"),
            _ => {}
        }
    }
    crate::support::ids::mint("req")
}

pub fn success(request_id: &str, reply: Reply) -> Response<Body> {
    if let Some((content_type, body)) = reply.file {
        let mut res = Response::new(Body::Text(body.into_owned()));
        res.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
        return res;
    }
    let mut res = respond(reply.status, &json!({ "request_id": request_id, "data": reply.data }));
    if let Some(value) = reply.public_for_s.and_then(|s| header::HeaderValue::from_str(&format!("public, max-age={s}")).ok()) {
        res.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    res
}

pub fn failure(request_id: &str, err: &ApiError) -> Response<Body> {
    let body = json!({
        "request_id": request_id,
        "error": { "code": err.code, "message": err.message, "details": err.details },
    });
    let mut res = respond(err.status, &body);
    // RFC 9110: a 405 names the methods the resource does have.
    if let Some(allowed) = err.details["allowed"].as_array().filter(|_| err.status == StatusCode::METHOD_NOT_ALLOWED) {
        let allow = allowed.iter().filter_map(|m| m.as_str()).collect::<Vec<_>>().join(", ");
        if let Ok(value) = header::HeaderValue::from_str(&allow) {
            res.headers_mut().insert(header::ALLOW, value);
        }
    }
    res
}

/// A JSON body with its status; never cached, since answers carry tokens and per-user state.
fn respond(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut res = Response::new(Body::Text(body.to_string()));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}
