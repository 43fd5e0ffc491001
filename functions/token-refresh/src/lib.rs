//! `token-refresh`: `POST /client/v1/auth/refresh` — a new access token for a refresh token.

use serde::Deserialize;
use shared::service::auth::refresh::{self, RefreshConfig};
use shared::store::Db;
use shared::support::tokens::Tokens;
use shared::support::types::ClientType;
use shared::support::{clock, config};
use shared::{ApiError, ApiResult, Call, Function, Reply};

pub struct TokenRefresh {
    pub db: Db,
    pub tokens: Tokens,
    pub refresh: RefreshConfig,
}

impl TokenRefresh {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self { db: Db::from_env(&shared::store::sdk_config().await)?, tokens: Tokens::from_env()?, refresh: RefreshConfig::from_env()? })
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
        Ok(Reply::ok(refresh::refresh(&self.db, &self.refresh, &self.tokens, &req.refresh_token, req.client_type, clock::now()).await?))
    }
}
