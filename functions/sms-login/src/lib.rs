//! `sms-login`: `POST /client/v1/auth/login/sms` — spend an SMS code, get a token pair.

use serde::Deserialize;
use shared::service::auth::accounts::{Accounts, SmsLogin as Login};
use shared::service::auth::sms::SmsConfig;
use shared::support::check::check_token;
use shared::support::types::ClientType;
use shared::support::{clock, config};
use shared::{ApiError, ApiResult, Call, Function, Reply};

pub struct SmsLogin {
    pub accounts: Accounts,
    pub sms: SmsConfig,
}

impl SmsLogin {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self { accounts: Accounts::from_env().await?, sms: SmsConfig::from_env()? })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    login_request_id: String,
    country_code: String,
    mobile: String,
    sms_code: String,
    client_type: ClientType,
    device_id: String,
}

impl Function for SmsLogin {
    const NAME: &'static str = "sms-login";

    async fn warm(&self) {
        self.accounts.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let req: LoginRequest = call.json()?;
        check_token("login_request_id", &req.login_request_id, 128)?;
        check_token("device_id", &req.device_id, 128)?;
        if req.sms_code.len() != 6 || !req.sms_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid("sms_code", "must be 6 digits"));
        }
        let e164 = self.sms.e164(&req.country_code, &req.mobile)?;
        let login = Login {
            login_request_id: &req.login_request_id,
            country_code: &req.country_code,
            e164: &e164,
            sms_code: &req.sms_code,
            client_type: req.client_type,
            device_id: &req.device_id,
        };
        Ok(Reply::ok(self.accounts.sms_login(&self.sms, login, clock::now()).await?))
    }
}
