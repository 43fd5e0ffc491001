//! `wechat-login`: `POST /client/v1/auth/login/wechat` — exchange a WeChat login code, get a token pair.

use serde::Deserialize;
use shared::auth::accounts::{Accounts, Attempt, Identity, LoginReplays, user_of, wechat_login_key};
use shared::auth::wechat::{Wechat, WechatConfig};
use shared::http::request::check_token;
use shared::store::db::Tx;
use shared::store::keys::IdempotencyScope;
use shared::types::{ClientType, LoginMethod};
use shared::{ApiError, ApiResult, Call, Function, Reply, clock, config};

pub struct WechatLogin {
    pub accounts: Accounts,
    pub wechat: Wechat,
}

impl WechatLogin {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self { accounts: Accounts::from_env().await?, wechat: Wechat::new(WechatConfig::from_env()?) })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    login_request_id: String,
    wechat_login_code: String,
    client_type: ClientType,
    device_id: String,
}

/// A WeChat code is spent by WeChat itself; nothing of ours to consume.
fn no_credential_writes() -> ApiError {
    ApiError::internal()
}

impl Function for WechatLogin {
    const NAME: &'static str = "wechat-login";

    async fn warm(&self) {
        self.accounts.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let req: LoginRequest = call.json()?;
        check_token("login_request_id", &req.login_request_id, 128)?;
        check_token("wechat_login_code", &req.wechat_login_code, 512)?;
        check_token("device_id", &req.device_id, 128)?;
        let now = clock::now();
        let db = &self.accounts.db;
        let payload = [req.wechat_login_code.as_str(), req.client_type.as_str(), &req.device_id];
        let key = wechat_login_key(&req.wechat_login_code, &req.login_request_id);
        self.accounts
            .idempotency
            .once(db, IdempotencyScope::Login, &key, &payload, now, &LoginReplays { lockout: None }, async |claimed| {
                let person = self.wechat.exchange(req.client_type, &req.wechat_login_code).await?;
                let identity = Identity::wechat(&person);
                let [known] = db.batch_get([identity.key()]).await?;
                let attempt = Attempt {
                    identity: &identity,
                    existing_user: user_of(known)?,
                    method: LoginMethod::Wechat,
                    client_type: req.client_type,
                    device_id: &req.device_id,
                    credential_writes: Tx::new(),
                    credential_spent: no_credential_writes,
                };
                self.accounts.login(claimed, attempt, now).await
            })
            .await
    }
}
