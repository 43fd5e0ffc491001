//! `token-refresh`: `POST /client/v1/auth/refresh` — a new access token for a refresh token.

use serde::Deserialize;
use serde_json::json;
use shared::auth::refresh::{self, RefreshConfig};
use shared::auth::tokens::Tokens;
use shared::store::db::Db;
use shared::types::ClientType;
use shared::{ApiError, ApiResult, Call, Function, Reply, clock, config};

pub struct TokenRefresh {
    pub db: Db,
    pub tokens: Tokens,
    pub refresh: RefreshConfig,
}

impl TokenRefresh {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            db: Db::from_env(&shared::store::db::sdk_config().await)?,
            tokens: Tokens::from_env()?,
            refresh: RefreshConfig::from_env()?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
    client_type: ClientType,
}

impl Function for TokenRefresh {
    const NAME: &'static str = "token-refresh";

    async fn warm(&self) {
        self.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let req: RefreshRequest = call.json()?;
        if req.refresh_token.is_empty() {
            return Err(ApiError::invalid("refresh_token", "must not be empty"));
        }
        let now = clock::now();
        let redeemed = refresh::redeem(&self.db, &self.refresh, &req.refresh_token, req.client_type, now).await?;
        let item = &redeemed.item;
        let mut data = json!({
            "access_token": self.tokens.issue_access(&item.user_id, item.client_type, &item.device_id, Some(&item.family_id), now),
            "expires_in_sec": self.tokens.access_ttl_sec,
        });
        // Only with rotation on (off by default, so the contract's response is unchanged).
        if let Some(successor) = redeemed.rotated {
            data["refresh_token"] = successor.into();
        }
        Ok(Reply::ok(data))
    }
}
