//! The reserved session-chain routes, the catch-all and the published OpenAPI file, through the
//! `sessions` handler with the `events/` events.

use lambda_http::http::StatusCode;
use sessions::Sessions;
use tests::invoke;

#[tokio::test]
async fn every_reserved_route_answers_501_with_its_contract_code() {
    let expected = [
        ("sessions-session-uploads", "session_upload_not_ready"),
        ("sessions-punches", "session_punch_not_ready"),
        ("sessions-finish", "session_finish_not_ready"),
        ("sessions-result", "session_result_not_ready"),
        ("sessions-replay-summary", "session_replay_summary_not_ready"),
        ("sessions-gps-track", "session_gps_track_not_ready"),
        ("sessions-heart-rate", "session_heart_rate_not_ready"),
        ("sessions-me-sessions", "session_history_not_ready"),
    ];
    for (event, code) in expected {
        // given the route's API Gateway event / when it reaches the function
        let (status, body) = invoke(&Sessions, event, |_| {}).await;
        // then 501 with exactly the contract code, in the envelope
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{event}");
        assert_eq!(body["error"]["code"], code, "{event}");
    }
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_enveloped_404_and_405() {
    let (status, body) = invoke(&Sessions, "sessions-unknown-route", |_| {}).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

    let (status, body) = invoke(&Sessions, "sessions-punches", |e| {
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
    let res = shared::http::handler::handle(&Sessions, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/yaml");
    let lambda_http::Body::Text(text) = res.body() else { panic!("text body") };
    assert!(text.starts_with("openapi: 3.1"), "{text:.40}");
}
