//! Refresh tokens through the `token-refresh` handler, against moto.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::service::auth::refresh::{self, RefreshConfig};
use shared::support::types::ClientType;
use tests::{db, invoke, tokens, unique, with_body};
use token_refresh::TokenRefresh;

async fn function(rotation: bool) -> TokenRefresh {
    TokenRefresh { db: db().await, tokens: tokens(), refresh: RefreshConfig { ttl_sec: 30 * 86_400, rotation } }
}

/// A stored refresh token for a fresh user, issued `ttl_sec` from now.
async fn stored_token(client_type: ClientType, ttl_sec: i64) -> (String, String) {
    let db = db().await;
    let user = unique("usr_");
    let issued =
        refresh::issue(&db, &RefreshConfig { ttl_sec, rotation: false }, &user, client_type, "dev_1", None, shared::support::clock::now());
    db.transact(shared::store::db::Tx::new().with(shared::store::db::TxItem::RefreshToken, issued.write)).await.unwrap();
    (issued.token, user)
}

async fn redeem(f: &TokenRefresh, token: &str, client_type: &str) -> (StatusCode, Value) {
    invoke(f, "token-refresh", |e| with_body(e, json!({ "refresh_token": token, "client_type": client_type }))).await
}

#[tokio::test]
async fn a_valid_refresh_token_gets_a_new_access_token_and_nothing_else() {
    let (token, user) = stored_token(ClientType::App, 3600).await;

    let (status, body) = redeem(&function(false).await, &token, "app").await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_object().unwrap().keys().collect::<Vec<_>>(), ["access_token", "expires_in_sec"]);
    let claims = tokens().verify_access(body["data"]["access_token"].as_str().unwrap()).unwrap();
    assert_eq!((claims.sub, claims.device_id), (user, "dev_1".to_string()));
    // and only its hash is stored
    let stored: Value = db()
        .await
        .get(&shared::store::keys::refresh_token(&shared::support::crypto::sha256_hex(token.as_bytes())))
        .await
        .unwrap()
        .expect("stored by hash");
    assert!(!stored.to_string().contains(&token));
}

#[tokio::test]
async fn another_client_type_an_unknown_or_an_expired_token_is_401() {
    let f = function(false).await;
    let (token, _) = stored_token(ClientType::Wechat, 3600).await;
    let (expired, _) = stored_token(ClientType::App, -1).await;
    let cases = [
        (token.as_str(), "app", "refresh_token_invalid"),
        ("rt_unknown_token_value", "app", "refresh_token_invalid"),
        (expired.as_str(), "app", "refresh_token_expired"),
    ];
    for (token, client_type, code) in cases {
        let (status, body) = redeem(&f, token, client_type).await;
        assert_eq!((status, body["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, code));
    }
    let (status, body) = redeem(&f, "", "app").await;
    assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("refresh_token")));
}

#[tokio::test]
async fn with_rotation_a_reused_token_revokes_its_whole_family() {
    let f = function(true).await;
    let (first, _) = stored_token(ClientType::App, 3600).await;

    // when the token is rotated, then the old one comes back
    let (status, body) = redeem(&f, &first, "app").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["data"]["refresh_token"].as_str().expect("rotation returns refresh_token").to_string();
    let (status, body) = redeem(&f, &first, "app").await;
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "refresh_token_reused"));

    // then its successor is dead too
    let (status, body) = redeem(&f, &second, "app").await;
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "refresh_token_reused"));
}
