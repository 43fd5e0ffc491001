//! Who logs in: login identities and the users behind them, the logins a user holds, refresh
//! tokens, and the SMS items (a mobile's code, its wrong-try guard, the devices that used it).

use crate::support::types::{ClientType, LoginMethod};
use serde::{Deserialize, Serialize};

crate::plain_enum! {
    /// What a login identity is: a mobile in E.164, a WeChat unionid, or a WeChat appid+openid.
    pub enum IdentityKind {
        Mobile = "mobile",
        WechatUnion = "wechat_union",
        WechatOpen = "wechat_open",
    }
}

crate::plain_enum! {
    /// The ways a user can log in: one of each at most.
    pub enum LoginKind {
        Mobile = "mobile",
        Wechat = "wechat",
    }
}

impl IdentityKind {
    pub fn login_kind(self) -> LoginKind {
        match self {
            IdentityKind::Mobile => LoginKind::Mobile,
            IdentityKind::WechatUnion | IdentityKind::WechatOpen => LoginKind::Wechat,
        }
    }
}

/// A login identity: the mobile in E.164, the WeChat unionid, or (without unionid) appid+openid.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
    /// Mobiles only: the country code, to show the number as `+86 151****0729`.
    pub country_code: Option<String>,
}

impl Identity {
    pub fn mobile(country_code: &str, e164: &str) -> Self {
        Self { kind: IdentityKind::Mobile, value: e164.to_owned(), country_code: Some(country_code.to_owned()) }
    }

    /// unionid is the same person across the mini-program and the app; openid only within one appid.
    pub fn wechat(unionid: Option<&str>, app_id: &str, openid: &str) -> Self {
        match unionid {
            Some(unionid) => Self { kind: IdentityKind::WechatUnion, value: unionid.to_owned(), country_code: None },
            None => Self { kind: IdentityKind::WechatOpen, value: format!("{app_id}:{openid}"), country_code: None },
        }
    }

    /// The user's side of this identity, as bound at `now`.
    pub fn link(&self, now: i64) -> LoginLink {
        LoginLink { identity_kind: self.kind, value: self.value.clone(), country_code: self.country_code.clone(), bound_at: now }
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

impl LoginLink {
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

/// A user's own record (`keys::user`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserItem {
    pub user_id: String,
    pub created_at: i64,
    pub first_login_method: LoginMethod,
}

/// A refresh token as stored, under `keys::refresh_token` of its hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshItem {
    pub user_id: String,
    pub client_type: ClientType,
    pub device_id: String,
    pub family_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// The mobile's current code, as a keyed hash (`keys::sms_code`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeItem {
    pub code_hash: String,
    pub sent_at: i64,
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_at: Option<i64>,
}

/// The mobile's wrong-try streak and lock (`keys::sms_guard`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GuardItem {
    #[serde(default)]
    pub failures: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<i64>,
}

/// A device that logged in with the mobile (`keys::sms_known_device`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KnownDevice {
    pub logged_in_at: i64,
    pub expires_at: i64,
}

/// The account as `GET /me` reads it: the user, their logins, their body profile.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: UserItem,
    pub logins: Vec<LoginLink>,
    pub profile: Option<crate::model::profile::ProfileItem>,
}

impl Account {
    pub fn login(&self, kind: LoginKind) -> Option<&LoginLink> {
        self.logins.iter().find(|l| l.identity_kind.login_kind() == kind)
    }
}

/// What a deletion removed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Deleted {
    pub sessions: usize,
    pub registrations: usize,
    pub logins: usize,
}

#[cfg(test)]
mod tests {
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
