//! Logins: the user behind a login identity (one user per identity, created in the same
//! transaction as the identity, its body profile and first profile version), the token pair a
//! login answers with, and the two ways in — an SMS code and a WeChat exchange — each at most
//! once per `login_request_id`.

use crate::clients::wechat::Wechat;
use crate::model::identity::{Identity, UserItem};
use crate::service::auth::refresh::{self, RefreshConfig};
use crate::service::auth::sms::{self, Lockout, SmsConfig};
use crate::service::idempotency::{self, Replays, key_reused};
use crate::service::profile;
use crate::store;
use crate::store::db::{Db, Tx, TxItem};
use crate::store::idempotency::{Claimed, Idempotency};
use crate::store::keys::IdempotencyScope;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::Tokens;
use crate::support::types::{BodyProfileStatus, ClientType, LoginMethod};
use serde::{Deserialize, Serialize};

/// What every login function needs besides its own credential check.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub db: Db,
    pub tokens: Tokens,
    pub refresh: RefreshConfig,
    pub idempotency: Idempotency,
}

impl Accounts {
    pub async fn from_env() -> Result<Self, crate::support::config::ConfigError> {
        Ok(Self {
            db: Db::from_env(&crate::store::db::sdk_config().await)?,
            tokens: Tokens::from_env()?,
            refresh: RefreshConfig::from_env()?,
            idempotency: Idempotency::from_env()?,
        })
    }
}

/// The contract's login answer (stored as the login's answer, so a replay gives the same tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginData {
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub login_method: LoginMethod,
    pub body_profile_status: BodyProfileStatus,
    pub expires_in_sec: i64,
}

/// One login attempt, after its credential was checked.
pub struct Attempt<'a> {
    pub identity: &'a Identity,
    pub existing_user: Option<String>,
    pub method: LoginMethod,
    pub client_type: ClientType,
    pub device_id: &'a str,
    /// Writes the credential check needs committed with the login (e.g. spending the SMS code).
    pub credential_writes: Tx,
    /// The answer when those writes' conditions no longer hold at commit time.
    pub credential_spent: fn() -> ApiError,
}

/// An SMS login as the client asks for it, its fields checked.
pub struct SmsLogin<'a> {
    pub login_request_id: &'a str,
    pub country_code: &'a str,
    pub e164: &'a str,
    pub sms_code: &'a str,
    pub client_type: ClientType,
    pub device_id: &'a str,
}

/// A WeChat login as the client asks for it, its fields checked.
pub struct WechatLogin<'a> {
    pub login_request_id: &'a str,
    pub wechat_login_code: &'a str,
    pub client_type: ClientType,
    pub device_id: &'a str,
}

/// A WeChat code is spent by WeChat itself; nothing of ours to consume.
fn no_credential_writes() -> ApiError {
    ApiError::internal()
}

impl Accounts {
    /// Spends the SMS code and logs its mobile in: one read (code, guard, identity), one
    /// transaction; a repeat of the request answers the first answer.
    pub async fn sms_login(&self, sms: &SmsConfig, req: SmsLogin<'_>, now: i64) -> ApiResult<LoginData> {
        let db = &self.db;
        let payload = [req.e164, req.sms_code, req.client_type.as_str(), req.device_id];
        let key = sms_login_key(req.e164, req.login_request_id);
        let replays = LoginReplays { lockout: Some(Lockout { db, cfg: sms, e164: req.e164 }) };
        idempotency::once(&self.idempotency, db, IdempotencyScope::Login, &key, &payload, now, &replays, async |claimed| {
            let identity = Identity::mobile(req.country_code, req.e164);
            let (code, guard, owner) = store::sms::login_reads(db, req.e164, &identity).await?;
            let verified = sms::verify(db, sms, req.e164, req.sms_code, req.device_id, code, guard, now).await?;
            let attempt = Attempt {
                identity: &identity,
                existing_user: owner,
                method: LoginMethod::Sms,
                client_type: req.client_type,
                device_id: req.device_id,
                credential_writes: verified.consume,
                credential_spent: sms::spent_meanwhile,
            };
            self.login(claimed, attempt, now).await
        })
        .await
    }

    /// Exchanges the WeChat code and logs its person in; a repeat of the request answers the
    /// first answer.
    pub async fn wechat_login(&self, wechat: &Wechat, req: WechatLogin<'_>, now: i64) -> ApiResult<LoginData> {
        let db = &self.db;
        let payload = [req.wechat_login_code, req.client_type.as_str(), req.device_id];
        let key = wechat_login_key(req.wechat_login_code, req.login_request_id);
        idempotency::once(
            &self.idempotency,
            db,
            IdempotencyScope::Login,
            &key,
            &payload,
            now,
            &LoginReplays { lockout: None },
            async |claimed| {
                let person = wechat.exchange(req.client_type, req.wechat_login_code).await?;
                let identity = Identity::wechat(person.unionid.as_deref(), &person.app_id, &person.openid);
                let attempt = Attempt {
                    identity: &identity,
                    existing_user: store::account::owner_of(db, &identity).await?,
                    method: LoginMethod::Wechat,
                    client_type: req.client_type,
                    device_id: req.device_id,
                    credential_writes: Tx::new(),
                    credential_spent: no_credential_writes,
                };
                self.login(claimed, attempt, now).await
            },
        )
        .await
    }

    /// Logs the identity in (creating the user on first login) and completes the idempotency
    /// claim, all in one transaction; the answer is what a replay will answer.
    pub async fn login(&self, claimed: &Claimed, attempt: Attempt<'_>, now: i64) -> ApiResult<LoginData> {
        let mut existing = attempt.existing_user.clone();
        // Twice at most: a first login that loses the race for its identity joins the winner's user.
        for _ in 0..2 {
            let user_id = existing.clone().unwrap_or_else(|| crate::support::ids::mint("usr"));
            let refresh = refresh::issue(&self.db, &self.refresh, &user_id, attempt.client_type, attempt.device_id, None, now);
            // The profile status of an existing user is read before the write so the answer
            // (sealed into the idempotency record by the same transaction) is final.
            let body_profile_status = match &existing {
                Some(id) => profile::status(&self.db, id).await?,
                None => BodyProfileStatus::Pending,
            };
            let data = LoginData {
                user_id: user_id.clone(),
                access_token: self.tokens.issue_access(&user_id, attempt.client_type, attempt.device_id, Some(&refresh.family_id), now),
                refresh_token: refresh.token.clone(),
                login_method: attempt.method,
                body_profile_status,
                expires_in_sec: self.tokens.access_ttl_sec,
            };
            let mut tx = attempt.credential_writes.clone();
            tx.push(TxItem::RefreshToken, refresh.write);
            tx.push(TxItem::Idempotency, claimed.complete(&self.db, &data, &user_id));
            if existing.is_none() {
                tx.append(store::account::bind(&self.db, attempt.identity, &user_id, now));
                let user = UserItem { user_id: user_id.clone(), created_at: now, first_login_method: attempt.method };
                tx.append(store::account::create_user(&self.db, &user));
                tx.append(store::profile::initial_items(&self.db, &user_id, now));
            }
            match self.db.transact(tx).await {
                Ok(()) => return Ok(data),
                Err(e) if attempt.credential_writes.labels().any(|label| e.failed(label)) => {
                    return Err((attempt.credential_spent)());
                }
                Err(e) if existing.is_none() && e.failed(TxItem::Identity) => {
                    existing = store::account::owner_of(&self.db, attempt.identity).await?;
                    if existing.is_none() {
                        return Err(ApiError::internal());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApiError::of(ErrorCode::RequestInProgress).saying("another login for this account is in progress; retry"))
    }
}

/// The idempotency key of an SMS login: scoped to the mobile, so a stranger can neither probe
/// nor block another number's `login_request_id`.
pub fn sms_login_key(e164: &str, login_request_id: &str) -> String {
    format!("{e164}:{login_request_id}")
}

/// The idempotency key of a WeChat login: scoped to the one-time WeChat code (the identity is
/// only known after WeChat has spent it), so only the holder of that code can replay it.
pub fn wechat_login_key(wechat_login_code: &str, login_request_id: &str) -> String {
    format!("{}:{login_request_id}", &crate::support::crypto::sha256_hex(wechat_login_code.as_bytes())[..32])
}

/// How a login answers its `login_request_id` coming back: the record holds live tokens, so a
/// replay is told their real remaining lifetime, and for SMS it is a code check like a login —
/// no replay while the mobile is locked, and another payload counts as a wrong code.
pub struct LoginReplays<'a> {
    pub lockout: Option<Lockout<'a>>,
}

impl Replays<LoginData> for LoginReplays<'_> {
    async fn replay(&self, mut answer: LoginData, completed_at: i64, now: i64) -> ApiResult<LoginData> {
        if let Some(lockout) = &self.lockout {
            lockout.ensure_unlocked(now).await?;
        }
        answer.expires_in_sec = (answer.expires_in_sec - (now - completed_at)).max(0);
        Ok(answer)
    }

    async fn reused(&self, now: i64) -> ApiError {
        match &self.lockout {
            Some(lockout) => lockout.count_reused_key(now).await,
            None => key_reused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(expires_in_sec: i64) -> LoginData {
        LoginData {
            user_id: "usr_1".into(),
            access_token: "t".into(),
            refresh_token: "rt_1".into(),
            login_method: LoginMethod::Sms,
            body_profile_status: BodyProfileStatus::Pending,
            expires_in_sec,
        }
    }

    #[tokio::test]
    async fn a_replay_tells_the_tokens_real_remaining_lifetime_never_less_than_zero() {
        let replays = LoginReplays { lockout: None };
        let now = 1_800_000_000;
        let five_minutes_later = replays.replay(answer(3600), now - 300, now).await.unwrap();
        assert_eq!(five_minutes_later.expires_in_sec, 3300);
        let two_hours_later = replays.replay(answer(3600), now - 7200, now).await.unwrap();
        assert_eq!(two_hours_later.expires_in_sec, 0);
        assert_eq!(two_hours_later.access_token, "t");
    }

    #[test]
    fn login_keys_are_scoped_to_their_credential() {
        assert_ne!(sms_login_key("+8613900000001", "k"), sms_login_key("+8613900000002", "k"));
        assert_ne!(wechat_login_key("code-a", "k"), wechat_login_key("code-b", "k"));
        assert!(!wechat_login_key("secret-code", "k").contains("secret-code"));
    }
}
