//! `account`: the caller's own account — `GET /client/v1/me`, `DELETE /client/v1/me`,
//! `POST /client/v1/me/identities/{mobile,wechat}`, `GET /client/v1/me/registrations` and
//! `POST /client/v1/auth/logout`.

use serde::Deserialize;
use serde_json::json;
use shared::account::{self, Account as Stored};
use shared::auth::accounts::{Identity, user_of};
use shared::auth::refresh;
use shared::auth::sms::{self, SmsConfig};
use shared::auth::tokens::{Claims, Tokens};
use shared::auth::wechat::{Wechat, WechatConfig};
use shared::catalog::registration;
use shared::http::cursor::Cursors;
use shared::http::error::ErrorCode;
use shared::http::request::check_token;
use shared::http::routes::Operation;
use shared::store::db::{self, Db, Tx};
use shared::store::keys::LoginKind;
use shared::{ApiError, ApiResult, Call, Function, Reply, clock, config};

pub struct Account {
    pub db: Db,
    pub tokens: Tokens,
    pub sms: SmsConfig,
    pub wechat: Wechat,
    pub cursors: Cursors,
}

impl Account {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            db: Db::from_env(&db::sdk_config().await)?,
            tokens: Tokens::from_env()?,
            sms: SmsConfig::from_env()?,
            wechat: Wechat::new(WechatConfig::from_env()?),
            cursors: Cursors::from_env()?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogoutRequest {
    refresh_token: String,
    #[serde(default)]
    all_devices: bool,
}

/// A mobile and the code sent to it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MobileCode {
    country_code: String,
    mobile: String,
    sms_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WechatCode {
    wechat_login_code: String,
}

/// The deletion's confirmation: a fresh SMS code to the account's mobile or, for an account
/// that has only WeChat, a WeChat login code.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteRequest {
    country_code: Option<String>,
    mobile: Option<String>,
    sms_code: Option<String>,
    wechat_login_code: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 50;

impl Function for Account {
    const NAME: &'static str = "account";

    async fn warm(&self) {
        self.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let claims = self.tokens.require(&call)?;
        let now = clock::now();
        match call.route.operation {
            Operation::GetMe => Ok(Reply::ok(Stored::load(&self.db, &claims.sub).await?.view())),
            Operation::Logout => {
                let req: LogoutRequest = call.json()?;
                check_token("refresh_token", &req.refresh_token, 256)?;
                let ended = account::logout(&self.db, &claims.sub, &req.refresh_token, req.all_devices, now).await?;
                Ok(Reply::ok(json!({ "logged_out": true, "ended_logins": ended })))
            }
            Operation::BindMobile => {
                let req: MobileCode = call.json()?;
                let (identity, proof) = self.mobile_proof(&claims, &req, now).await?;
                account::bind(&self.db, &claims.sub, &identity, proof.owner, proof.writes, refresh::login_alive(&self.db, &claims), now)
                    .await?;
                Ok(Reply::ok(Stored::load(&self.db, &claims.sub).await?.view()))
            }
            Operation::BindWechat => {
                let req: WechatCode = call.json()?;
                let (identity, owner) = self.wechat_identity(&claims, &req.wechat_login_code).await?;
                account::bind(&self.db, &claims.sub, &identity, owner, Tx::new(), refresh::login_alive(&self.db, &claims), now).await?;
                Ok(Reply::ok(Stored::load(&self.db, &claims.sub).await?.view()))
            }
            Operation::ListMyRegistrations => {
                let limit = call.query_int("limit", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)? as usize;
                let page = registration::mine(&self.db, &self.cursors, &claims.sub, call.query("cursor").as_deref(), limit).await?;
                let items: Vec<_> = page
                    .registrations
                    .iter()
                    .map(|r| {
                        json!({
                            "registration_id": r.registration_id,
                            "competition_id": r.competition_id,
                            "status": r.status,
                            "group_id": r.group_id,
                            "created_at": clock::rfc3339(r.created_at),
                        })
                    })
                    .collect();
                Ok(Reply::ok(json!({ "items": items, "next_cursor": page.next_cursor })))
            }
            Operation::DeleteMe => {
                let req: DeleteRequest = call.json()?;
                let stored = Stored::load(&self.db, &claims.sub).await?;
                self.confirm_deletion(&claims, &stored, req, now).await?;
                let deleted = account::delete(&self.db, &stored, now).await?;
                Ok(Reply::ok(json!({ "deleted": true, "removed": deleted })))
            }
            _ => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}

/// A code checked against a mobile: the writes that spend it, and who owns the mobile now.
struct Proof {
    writes: Tx,
    owner: Option<String>,
}

impl Account {
    /// Checks the SMS code for the mobile under the login rules (expiry, single use, wrong tries
    /// counted toward the lock) in one read of code, guard and identity.
    async fn mobile_proof(&self, claims: &Claims, req: &MobileCode, now: i64) -> ApiResult<(Identity, Proof)> {
        if req.sms_code.len() != 6 || !req.sms_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid("sms_code", "must be 6 digits"));
        }
        let e164 = self.sms.e164(&req.country_code, &req.mobile)?;
        let identity = Identity::mobile(&req.country_code, &e164);
        let [code_key, guard_key] = sms::verify_keys(&e164);
        let [code, guard, known] = self.db.batch_get([code_key, guard_key, identity.key()]).await?;
        let verified = sms::verify(&self.db, &self.sms, &e164, &req.sms_code, &claims.device_id, code, guard, now).await?;
        Ok((identity, Proof { writes: verified.consume, owner: user_of(known)? }))
    }

    async fn wechat_identity(&self, claims: &Claims, code: &str) -> ApiResult<(Identity, Option<String>)> {
        check_token("wechat_login_code", code, 512)?;
        let person = self.wechat.exchange(claims.client_type, code).await?;
        let identity = Identity::wechat(&person);
        let [known] = self.db.batch_get([identity.key()]).await?;
        Ok((identity, user_of(known)?))
    }

    /// An account with a mobile confirms with a fresh SMS code to it; one with only WeChat,
    /// with a WeChat login code of it. One whose logins are already gone (a deletion cut off
    /// at its very end) has nothing left to confirm with, and finishes.
    async fn confirm_deletion(&self, claims: &Claims, stored: &Stored, req: DeleteRequest, now: i64) -> ApiResult<()> {
        if let Some(mobile) = stored.login(LoginKind::Mobile) {
            let field = |name: &'static str, v: Option<String>| {
                v.ok_or_else(|| ApiError::invalid(name, "is required: confirm with a code sent to your mobile"))
            };
            let req = MobileCode {
                country_code: field("country_code", req.country_code)?,
                mobile: field("mobile", req.mobile)?,
                sms_code: field("sms_code", req.sms_code)?,
            };
            let (identity, proof) = self.mobile_proof(claims, &req, now).await?;
            if identity.key() != mobile.identity_key() {
                return Err(ApiError::of(ErrorCode::ConfirmationMismatch).with_details(json!({ "field": "mobile" })));
            }
            return match self.db.transact(proof.writes).await {
                Ok(()) => Ok(()),
                Err(db::TxError::Conditions(_)) => Err(sms::spent_meanwhile()),
                Err(e) => Err(e.into()),
            };
        }
        if let Some(wechat) = stored.login(LoginKind::Wechat) {
            let code = req.wechat_login_code.ok_or_else(|| ApiError::invalid("wechat_login_code", "is required: confirm with WeChat"))?;
            let (identity, _) = self.wechat_identity(claims, &code).await?;
            if identity.key() != wechat.identity_key() {
                return Err(ApiError::of(ErrorCode::ConfirmationMismatch).with_details(json!({ "field": "wechat_login_code" })));
            }
        }
        Ok(())
    }
}
