//! The bench's baseline: an SDK-free `lambda_http` hello world that answers in the envelope.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_req: Request| async {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"request_id":"req_baseline","data":{"hello":"world"}}"#))
            .map_err(Error::from)
    }))
    .await
}
