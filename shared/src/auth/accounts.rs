//! Logins: the user behind a login identity (one user per identity, created in the same
//! transaction as the identity, its body profile and first profile version) and the token
//! pair a login answers with.

use crate::auth::refresh::{self, RefreshConfig};
use crate::auth::sms::Lockout;
use crate::auth::tokens::Tokens;
use crate::auth::wechat::WechatUser;
use crate::http::envelope::Reply;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::profile;
use crate::store::db::{Db, Record, Tx};
use crate::store::idempotency::{Claimed, Idempotency, Replay, Replays, key_reused};
use crate::store::keys::{self, IdentityKind, Key};
use crate::types::{BodyProfileStatus, ClientType, LoginMethod};
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
    pub async fn from_env() -> Result<Self, crate::config::ConfigError> {
        Ok(Self {
            db: Db::from_env(&crate::store::db::sdk_config().await)?,
            tokens: Tokens::from_env()?,
            refresh: RefreshConfig::from_env()?,
            idempotency: Idempotency::from_env()?,
        })
    }
}

/// A login identity: the mobile in E.164, the WeChat unionid, or (without unionid) appid+openid.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    kind: IdentityKind,
    value: String,
    /// Mobiles only: the country code, to show the number as `+86 151****0729`.
    country_code: Option<String>,
}

impl Identity {
    pub fn mobile(country_code: &str, e164: &str) -> Self {
        Self { kind: IdentityKind::Mobile, value: e164.to_owned(), country_code: Some(country_code.to_owned()) }
    }

    /// unionid is the same person across the mini-program and the app; openid only within one appid.
    pub fn wechat(user: &WechatUser) -> Self {
        match &user.unionid {
            Some(unionid) => Self { kind: IdentityKind::WechatUnion, value: unionid.clone(), country_code: None },
            None => Self { kind: IdentityKind::WechatOpen, value: format!("{}:{}", user.app_id, user.openid), country_code: None },
        }
    }

    pub fn key(&self) -> Key {
        keys::identity(self.kind, &self.value)
    }

    /// The writes that make this identity `user_id`'s: the identity, only if nobody has it
    /// ([`IDENTITY`] fails otherwise), and the user's login of its kind, only if they have none
    /// yet ([`LOGIN`] fails otherwise).
    pub fn bind(&self, db: &Db, user_id: &str, now: i64) -> Tx {
        let identity = IdentityItem { kind: self.kind, user_id: user_id.to_owned(), created_at: now };
        let login =
            LoginLink { identity_kind: self.kind, value: self.value.clone(), country_code: self.country_code.clone(), bound_at: now };
        Tx::new()
            .with(IDENTITY, db.put_new(&self.key(), &identity))
            .with(LOGIN, db.put_new(&keys::user_login(user_id, self.kind.login_kind()), &login))
    }
}

/// A user's way to log in (`keys::user_login`), pointing at its identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginLink {
    pub identity_kind: IdentityKind,
    /// The identity's value: a mobile in E.164, a unionid, or appid:openid. Never shown.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    pub bound_at: i64,
}

impl Record for LoginLink {
    const ENTITY: &'static str = "user_login";
}

impl LoginLink {
    pub fn identity_key(&self) -> Key {
        keys::identity(self.identity_kind, &self.value)
    }

    /// A mobile as the account shows it: `+86 151****0729`.
    pub fn masked_mobile(&self) -> Option<String> {
        let cc = self.country_code.as_deref()?;
        let national = self.value.strip_prefix('+')?.strip_prefix(cc)?;
        let (head, tail) = (national.get(..3)?, national.get(national.len().checked_sub(4)?..)?);
        Some(format!("+{cc} {head}****{tail}"))
    }
}

/// A login identity's owner (`keys::identity`): one user per identity.
#[derive(Serialize, Deserialize)]
pub struct IdentityItem {
    pub kind: IdentityKind,
    pub user_id: String,
    pub created_at: i64,
}

impl Record for IdentityItem {
    const ENTITY: &'static str = "login_identity";
}

/// A user's own record (`keys::user`).
#[derive(Serialize, Deserialize)]
pub struct UserItem {
    pub user_id: String,
    pub created_at: i64,
    pub first_login_method: LoginMethod,
}

impl Record for UserItem {
    const ENTITY: &'static str = "user";
}

/// The contract's login answer.
#[derive(Serialize)]
pub struct LoginData {
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub login_method: LoginMethod,
    pub body_profile_status: BodyProfileStatus,
    pub expires_in_sec: i64,
}

/// The user id behind an identity item, as read in a login's first batch.
pub fn user_of(item: Option<crate::store::db::Item>) -> ApiResult<Option<String>> {
    Ok(crate::store::db::decode_opt::<IdentityItem>(item)?.map(|i| i.user_id))
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

// The items of a transaction that binds an identity, by name.
pub const IDENTITY: &str = "identity";
pub const LOGIN: &str = "user_login";

impl Accounts {
    /// Logs the identity in (creating the user on first login) and completes the idempotency
    /// claim, all in one transaction; the reply is what a replay will answer.
    pub async fn login(&self, claimed: &Claimed, attempt: Attempt<'_>, now: i64) -> ApiResult<Reply> {
        let mut existing = attempt.existing_user.clone();
        // Twice at most: a first login that loses the race for its identity joins the winner's user.
        for _ in 0..2 {
            let user_id = existing.clone().unwrap_or_else(|| crate::ids::mint("usr"));
            let refresh = refresh::issue(&self.db, &self.refresh, &user_id, attempt.client_type, attempt.device_id, None, now);
            let status_read = async {
                match &existing {
                    Some(id) => profile::status(&self.db, id).await,
                    None => Ok(BodyProfileStatus::Pending),
                }
            };
            let data = |body_profile_status| LoginData {
                user_id: user_id.clone(),
                access_token: self.tokens.issue_access(&user_id, attempt.client_type, attempt.device_id, Some(&refresh.family_id), now),
                refresh_token: refresh.token.clone(),
                login_method: attempt.method,
                body_profile_status,
                expires_in_sec: self.tokens.access_ttl_sec,
            };
            // The profile status of an existing user is read before the write so the reply
            // (sealed into the idempotency record by the same transaction) is final.
            let reply = Reply::ok(data(status_read.await?));
            let mut tx = attempt.credential_writes.clone();
            tx.push("refresh_token", refresh.write);
            tx.push("idempotency", claimed.complete(&self.db, &reply, &user_id));
            if existing.is_none() {
                tx.append(attempt.identity.bind(&self.db, &user_id, now));
                let user = UserItem { user_id: user_id.clone(), created_at: now, first_login_method: attempt.method };
                tx.push("user", self.db.put_new(&keys::user(&user_id), &user));
                tx.append(profile::initial_items(&self.db, &user_id, now));
            }
            match self.db.transact(tx).await {
                Ok(()) => return Ok(reply),
                Err(e) if attempt.credential_writes.labels().any(|label| e.failed(label)) => {
                    return Err((attempt.credential_spent)());
                }
                Err(e) if existing.is_none() && e.failed(IDENTITY) => {
                    existing = self.db.get::<IdentityItem>(&attempt.identity.key()).await?.map(|i| i.user_id);
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
    format!("{}:{login_request_id}", &crate::crypto::sha256_hex(wechat_login_code.as_bytes())[..32])
}

/// How a login answers its `login_request_id` coming back: the record holds live tokens, so a
/// replay is told their real remaining lifetime, and for SMS it is a code check like a login —
/// no replay while the mobile is locked, and another payload counts as a wrong code.
pub struct LoginReplays<'a> {
    pub lockout: Option<Lockout<'a>>,
}

impl Replays for LoginReplays<'_> {
    async fn replay(&self, replay: Replay, now: i64) -> ApiResult<Reply> {
        if let Some(lockout) = &self.lockout {
            lockout.ensure_unlocked(now).await?;
        }
        let mut reply = replay.reply;
        if let Some(issued) = reply.data["expires_in_sec"].as_i64() {
            reply.data["expires_in_sec"] = (issued - (now - replay.completed_at)).max(0).into();
        }
        Ok(reply)
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
    use serde_json::json;

    fn replay_of(expires_in_sec: i64, completed_at: i64) -> Replay {
        Replay { reply: Reply::ok(json!({ "access_token": "t", "expires_in_sec": expires_in_sec })), completed_at }
    }

    #[tokio::test]
    async fn a_replay_tells_the_tokens_real_remaining_lifetime_never_less_than_zero() {
        let replays = LoginReplays { lockout: None };
        let now = 1_800_000_000;
        let five_minutes_later = replays.replay(replay_of(3600, now - 300), now).await.unwrap();
        assert_eq!(five_minutes_later.data["expires_in_sec"], 3300);
        let two_hours_later = replays.replay(replay_of(3600, now - 7200), now).await.unwrap();
        assert_eq!(two_hours_later.data["expires_in_sec"], 0);
        assert_eq!(two_hours_later.data["access_token"], "t");
    }

    #[test]
    fn login_keys_are_scoped_to_their_credential() {
        assert_ne!(sms_login_key("+8613900000001", "k"), sms_login_key("+8613900000002", "k"));
        assert_ne!(wechat_login_key("code-a", "k"), wechat_login_key("code-b", "k"));
        assert!(!wechat_login_key("secret-code", "k").contains("secret-code"));
    }
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    #[test]
    fn a_mobile_is_shown_masked_and_a_wechat_never() {
        let link = |kind, value: &str, cc: Option<&str>| LoginLink {
            identity_kind: kind,
            value: value.into(),
            country_code: cc.map(String::from),
            bound_at: 0,
        };
        assert_eq!(link(IdentityKind::Mobile, "+8615168870729", Some("86")).masked_mobile().as_deref(), Some("+86 151****0729"));
        assert_eq!(link(IdentityKind::Mobile, "+85291234567", Some("852")).masked_mobile().as_deref(), Some("+852 912****4567"));
        assert_eq!(link(IdentityKind::WechatUnion, "union-secret", None).masked_mobile(), None);
    }
}
