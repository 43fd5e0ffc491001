//! The catch-all and the published OpenAPI file, through the `sessions` handler with the
//! `events/` events.

use lambda_http::http::StatusCode;
use tests::{invoke, sessions};

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_enveloped_404_and_405() {
    let sessions = sessions().await;
    let (status, body) = invoke(&sessions, "sessions-unknown-route", |_| {}).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

    let (status, body) = invoke(&sessions, "sessions-punches", |e| {
        e["requestContext"]["http"]["method"] = "GET".into();
    })
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["details"]["allowed"], serde_json::json!(["POST"]));
}

#[tokio::test]
async fn the_openapi_file_is_served() {
    let event = std::fs::read_to_string(tests::repo_path("events/sessions-openapi.json")).unwrap();
    let req = lambda_http::request::from_str(&event).unwrap();
    let res = shared::http::handler::handle(&sessions().await, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/yaml");
    let lambda_http::Body::Text(text) = res.body() else { panic!("text body") };
    assert!(text.starts_with("openapi: 3.1"), "{text:.40}");
}
