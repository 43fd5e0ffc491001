//! The Lambda entry every function shares: logging, routing, body limits, panics and errors all
//! end in the envelope; nothing a client sends can make the invocation itself fail.

use crate::http::envelope::{self, Reply};
use crate::http::request::Call;
use crate::http::routes::{self, Matched};
use crate::store::db::WARM_WITHIN;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use lambda_http::{Body, Request, Response, service_fn};
use serde_json::json;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// One Lambda function: its name (as in `template.yaml`) and how it answers a routed call.
pub trait Function: Send + Sync + 'static {
    const NAME: &'static str;
    fn call(&self, call: Call<'_>) -> impl Future<Output = ApiResult<Reply>> + Send;

    /// Opens, during init, the connections the first request would open (`Db::warm`). Bounded
    /// and infallible: a function that cannot warm up still starts.
    fn warm(&self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Routes, checks and answers one request. Every outcome is an enveloped response.
pub async fn handle<F: Function>(function: &F, req: Request) -> Response<Body> {
    let request_id = envelope::request_id(&req);
    let span = tracing::info_span!("request", request_id = %request_id, function = F::NAME);
    async {
        let started = Instant::now();
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let result = dispatch(function, &req, &request_id).await;
        let status = match &result {
            Ok(reply) => reply.status,
            Err(err) => err.status,
        };
        let code = result.as_ref().err().map(|e| e.code.to_string());
        tracing::info!(%method, %path, status = status.as_u16(), code, latency_ms = started.elapsed().as_millis() as u64, "answered");
        match result {
            Ok(reply) => envelope::success(&request_id, reply),
            Err(err) => envelope::failure(&request_id, &err),
        }
    }
    .instrument(span)
    .await
}

async fn dispatch<F: Function>(function: &F, req: &Request, request_id: &str) -> ApiResult<Reply> {
    let (route, params) = match routes::find(req.method().as_str(), req.uri().path()) {
        Matched::Route(route, params) if route.function == F::NAME => (route, params),
        // Deployed, API Gateway only sends this function its own routes; under `cargo lambda
        // watch` a path's every method comes here, so the route table decides.
        Matched::Route(..) | Matched::NotFound => {
            return Err(ApiError::of(ErrorCode::NotFound));
        }
        Matched::MethodNotAllowed(allowed) => {
            return Err(ApiError::of(ErrorCode::MethodNotAllowed).with_details(json!({ "allowed": allowed })));
        }
    };
    // API Gateway allows 10 MB; no route of this API needs more than its own limit.
    let max_bytes = route.operation.max_body_bytes();
    if req.body().len() > max_bytes {
        return Err(ApiError::of(ErrorCode::PayloadTooLarge).with_details(json!({ "field": "body", "max_bytes": max_bytes })));
    }
    let result = function.call(Call { route, params, req, request_id }).await;
    if let Err(err) = &result
        && err.is_server_fault()
    {
        tracing::warn!(code = %err.code, "server-side failure answered");
    }
    result
}

/// Starts the Lambda runtime loop for `function`. A panic inside a request is caught and
/// answered as an enveloped 500, so API Gateway never shows its bare "Internal Server Error".
pub async fn run<F: Function>(function: F) -> Result<(), lambda_http::Error> {
    let function = Arc::new(function);
    lambda_http::run(service_fn(move |req: Request| {
        let function = Arc::clone(&function);
        async move {
            let request_id = envelope::request_id(&req);
            // Boxed: the handler's future holds the SDK's, kilobytes of them, which a task would
            // otherwise move by value on every change of state (callgrind: ~10% of a warm request).
            let answered = tokio::spawn(Box::pin(async move { handle(&*function, req).await })).await;
            Ok::<_, Infallible>(answered.unwrap_or_else(|panic| {
                tracing::error!(request_id = %request_id, error = %panic, "handler panicked");
                envelope::failure(&request_id, &ApiError::internal())
            }))
        }
    }))
    .await
}

/// Structured JSON logs (one object per line, request id on each), level from `RUST_LOG`.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .init();
}

/// What every `main.rs` does: logs on, configuration and clients built once, connections
/// opened, then serve.
/// A configuration problem ends the cold start with the variable named.
pub async fn main<F, Fut, E>(build: impl FnOnce() -> Fut) -> Result<(), lambda_http::Error>
where
    F: Function,
    Fut: Future<Output = Result<F, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    init_logging();
    let function = build().await.map_err(|e| {
        tracing::error!(error = %e, function = F::NAME, "cold start failed");
        e
    })?;
    // The warm-up bounds its own requests; this bounds everything else it may wait on (DNS).
    if tokio::time::timeout(WARM_WITHIN, function.warm()).await.is_err() {
        tracing::warn!(function = F::NAME, "connections not opened during init; the first request will");
    }
    run(function).await
}
