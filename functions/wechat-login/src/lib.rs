//! `wechat-login`: `POST /client/v1/auth/login/wechat` — exchange a WeChat login code, get a token pair.

use serde::Deserialize;
use shared::clients::wechat::{Wechat, WechatConfig};
use shared::service::auth::accounts::{Accounts, WechatLogin as Login};
use shared::support::check::check_token;
use shared::support::types::ClientType;
use shared::support::{clock, config};
use shared::{ApiResult, Call, Function, Reply};

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
        let login = Login {
            login_request_id: &req.login_request_id,
            wechat_login_code: &req.wechat_login_code,
            client_type: req.client_type,
            device_id: &req.device_id,
        };
        Ok(Reply::ok(self.accounts.wechat_login(&self.wechat, login, clock::now()).await?))
    }
}
