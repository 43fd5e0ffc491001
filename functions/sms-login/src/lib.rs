//! `sms-login`: `POST /client/v1/auth/login/sms` — spend an SMS code, get a token pair.

use serde::Deserialize;
use shared::auth::accounts::{Accounts, Attempt, Identity, LoginReplays, sms_login_key, user_of};
use shared::auth::sms::{self, Lockout, SmsConfig};
use shared::http::request::check_token;
use shared::store::keys::IdempotencyScope;
use shared::types::{ClientType, LoginMethod};
use shared::{ApiError, ApiResult, Call, Function, Reply, clock, config};

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
        let now = clock::now();
        let db = &self.accounts.db;
        let payload = [e164.as_str(), &req.sms_code, req.client_type.as_str(), &req.device_id];
        let key = sms_login_key(&e164, &req.login_request_id);
        let replays = LoginReplays { lockout: Some(Lockout { db, cfg: &self.sms, e164: &e164 }) };
        self.accounts
            .idempotency
            .once(db, IdempotencyScope::Login, &key, &payload, now, &replays, async |claimed| {
                let identity = Identity::mobile(&req.country_code, &e164);
                let [code_key, guard_key] = sms::verify_keys(&e164);
                let [code, guard, known] = db.batch_get([code_key, guard_key, identity.key()]).await?;
                let verified = sms::verify(db, &self.sms, &e164, &req.sms_code, &req.device_id, code, guard, now).await?;
                let attempt = Attempt {
                    identity: &identity,
                    existing_user: user_of(known)?,
                    method: LoginMethod::Sms,
                    client_type: req.client_type,
                    device_id: &req.device_id,
                    credential_writes: verified.consume,
                    credential_spent: sms::spent_meanwhile,
                };
                self.accounts.login(claimed, attempt, now).await
            })
            .await
    }
}
