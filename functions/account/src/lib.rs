//! `account`: the caller's own account — `GET /client/v1/me`, `DELETE /client/v1/me`,
//! `POST /client/v1/me/identities/{mobile,wechat}`, `GET /client/v1/me/registrations` and
//! `POST /client/v1/auth/logout`.

use serde::Deserialize;
use shared::clients::wechat::{Wechat, WechatConfig};
use shared::http::routes::Operation;
use shared::http::views::{DeletedView, LoggedOutView, MeView, Paged, RegistrationItem};
use shared::service::account::{self, Confirmation};
use shared::service::auth::refresh;
use shared::service::auth::sms::SmsConfig;
use shared::service::registration;
use shared::store::Db;
use shared::store::db::Tx;
use shared::support::check::check_token;
use shared::support::cursor::Cursors;
use shared::support::error::ErrorCode;
use shared::support::tokens::Tokens;
use shared::support::{clock, config};
use shared::{ApiError, ApiResult, Call, Function, Reply};

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
            db: Db::from_env(&shared::store::sdk_config().await)?,
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
        let claims = call.require(&self.tokens)?;
        let now = clock::now();
        let db = &self.db;
        match call.route.operation {
            Operation::GetMe => Ok(Reply::ok(MeView::from(&account::load(db, &claims.sub).await?))),
            Operation::Logout => {
                let req: LogoutRequest = call.json()?;
                check_token("refresh_token", &req.refresh_token, 256)?;
                let ended_logins = account::logout(db, &claims.sub, &req.refresh_token, req.all_devices, now).await?;
                Ok(Reply::ok(LoggedOutView { logged_out: true, ended_logins }))
            }
            Operation::BindMobile => {
                let req: MobileCode = call.json()?;
                let proof = account::mobile_proof(db, &self.sms, &claims, &req.country_code, &req.mobile, &req.sms_code, now).await?;
                account::bind(db, &claims.sub, &proof.identity, proof.owner, proof.writes, refresh::login_alive(db, &claims), now).await?;
                Ok(Reply::ok(MeView::from(&account::load(db, &claims.sub).await?)))
            }
            Operation::BindWechat => {
                let req: WechatCode = call.json()?;
                let (identity, owner) = account::wechat_identity(db, &self.wechat, &claims, &req.wechat_login_code).await?;
                account::bind(db, &claims.sub, &identity, owner, Tx::new(), refresh::login_alive(db, &claims), now).await?;
                Ok(Reply::ok(MeView::from(&account::load(db, &claims.sub).await?)))
            }
            Operation::ListMyRegistrations => {
                let limit = call.query_int("limit", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)? as usize;
                let page = registration::mine(db, &self.cursors, &claims.sub, call.query("cursor").as_deref(), limit).await?;
                Ok(Reply::ok(Paged {
                    items: page.registrations.iter().map(RegistrationItem::from).collect(),
                    next_cursor: page.next_cursor,
                }))
            }
            Operation::DeleteMe => {
                let req: DeleteRequest = call.json()?;
                let stored = account::load(db, &claims.sub).await?;
                let confirmation = Confirmation {
                    country_code: req.country_code.as_deref(),
                    mobile: req.mobile.as_deref(),
                    sms_code: req.sms_code.as_deref(),
                    wechat_login_code: req.wechat_login_code.as_deref(),
                };
                account::confirm_deletion(db, &self.sms, &self.wechat, &claims, &stored, confirmation, now).await?;
                let removed = account::delete(db, &stored, now).await?;
                Ok(Reply::ok(DeletedView { deleted: true, removed: &removed }))
            }
            _ => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}
