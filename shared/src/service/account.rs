//! The account's whole life: what `GET /me` reads, logging out, binding a second login, and
//! deleting the account with everything it owns.

use crate::clients::wechat::Wechat;
use crate::model::identity::{Account, Deleted, Identity, LoginKind, RefreshItem};
use crate::service::auth::refresh::{end_families, logged_out};
use crate::service::auth::sms::{self, SmsConfig};
use crate::store;
use crate::store::db::{Db, Tx, TxError, TxItem};
use crate::store::keys::Key;
use crate::support::check::check_token;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::Claims;
use serde_json::json;

/// The answer when the token's user no longer exists (the account was deleted).
pub fn gone() -> ApiError {
    ApiError::unauthorized("this account no longer exists")
}

/// The account of `user_id` (one Query).
pub async fn load(db: &Db, user_id: &str) -> ApiResult<Account> {
    store::account::load(db, user_id).await?.ok_or_else(gone)
}

/// Ends `refresh_token`'s login (its family) or, with `all_devices`, every login of the user,
/// at once. A token that is unknown, already ended or not the caller's changes nothing: logging
/// out twice is not an error. Returns how many logins were ended.
pub async fn logout(db: &Db, user_id: &str, refresh_token: &str, all_devices: bool, now: i64) -> ApiResult<usize> {
    let tokens: Vec<(Key, RefreshItem)> = if all_devices {
        store::account::refresh_tokens(db, user_id).await?
    } else {
        store::refresh::token(db, refresh_token).await?.filter(|(_, t)| t.user_id == user_id).into_iter().collect()
    };
    let live: Vec<&(Key, RefreshItem)> = tokens.iter().filter(|(_, t)| t.revoked_at.is_none()).collect();
    for chunk in live.chunks(50) {
        let mut tx = Tx::new();
        for (key, token) in chunk {
            tx.push(TxItem::RefreshToken, store::refresh::revoke_token(db, key, now));
            tx.push(TxItem::RefreshFamily, store::refresh::end_family(db, &token.family_id, now));
        }
        // A token deleted meanwhile (its account too) has nothing left to end.
        match db.transact(tx).await {
            Ok(()) | Err(TxError::Conditions(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(live.len())
}

/// Makes `identity` a login of `user_id`, in one transaction with the credential's own writes
/// (`credential`, e.g. spending the SMS code) and the caller's login condition (`caller`).
/// Binding what is already the user's is not an error.
pub async fn bind(
    db: &Db,
    user_id: &str,
    identity: &Identity,
    owner: Option<String>,
    credential: Tx,
    caller: Tx,
    now: i64,
) -> ApiResult<()> {
    match owner {
        Some(owner) if owner == user_id => return Ok(()),
        Some(_) => return Err(ApiError::of(ErrorCode::LoginInUse)),
        None => {}
    }
    let mut tx = caller;
    tx.append(credential);
    tx.append(store::account::bind(db, identity, user_id, now));
    tx.append(store::account::user_exists(db, user_id));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(TxItem::LoginAlive) => Err(logged_out()),
        Err(e) if e.failed(TxItem::User) => Err(gone()),
        // Another user bound it in the meantime: one user per identity.
        Err(e) if e.failed(TxItem::Identity) => match store::account::owner_of(db, identity).await? {
            Some(owner) if owner == user_id => Ok(()),
            _ => Err(ApiError::of(ErrorCode::LoginInUse)),
        },
        Err(e) if e.failed(TxItem::Login) => Err(ApiError::of(ErrorCode::LoginAlreadyBound)),
        // Only the credential's own writes are left: the code was spent meanwhile.
        Err(TxError::Conditions(_)) => Err(crate::service::auth::sms::spent_meanwhile()),
        Err(e) => Err(e.into()),
    }
}

/// Deletes the account and everything it owns. First every login of the account ends, so no
/// write of its tokens — access or session, a phone still flushing its queue — commits after;
/// only then is what it owns found, so what was written before is all there is. Safe to run
/// again after being cut off anywhere.
pub async fn delete(db: &Db, account: &Account, now: i64) -> ApiResult<Deleted> {
    let logins = store::account::refresh_tokens(db, &account.user.user_id).await?;
    end_families(db, logins.iter().map(|(_, token)| token.family_id.as_str()), now).await?;
    Ok(store::account::delete_owned(db, account).await?)
}

/// A code checked against a mobile: the writes that spend it, and who owns the mobile now.
pub struct Proof {
    pub identity: Identity,
    pub writes: Tx,
    pub owner: Option<String>,
}

/// Checks the SMS code for the mobile under the login rules (expiry, single use, wrong tries
/// counted toward the lock) in one read of code, guard and identity.
pub async fn mobile_proof(
    db: &Db,
    sms: &SmsConfig,
    claims: &Claims,
    country_code: &str,
    mobile: &str,
    sms_code: &str,
    now: i64,
) -> ApiResult<Proof> {
    if sms_code.len() != 6 || !sms_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid("sms_code", "must be 6 digits"));
    }
    let e164 = sms.e164(country_code, mobile)?;
    let identity = Identity::mobile(country_code, &e164);
    let (code, guard, owner) = store::sms::login_reads(db, &e164, &identity).await?;
    let verified = sms::verify(db, sms, &e164, sms_code, &claims.device_id, code, guard, now).await?;
    Ok(Proof { identity, writes: verified.consume, owner })
}

/// The WeChat identity behind a login code, and who owns it now.
pub async fn wechat_identity(db: &Db, wechat: &Wechat, claims: &Claims, code: &str) -> ApiResult<(Identity, Option<String>)> {
    check_token("wechat_login_code", code, 512)?;
    let person = wechat.exchange(claims.client_type, code).await?;
    let identity = Identity::wechat(person.unionid.as_deref(), &person.app_id, &person.openid);
    let owner = store::account::owner_of(db, &identity).await?;
    Ok((identity, owner))
}

/// How the deletion is confirmed: a fresh SMS code to the account's mobile or, for an account
/// that has only WeChat, a WeChat login code.
pub struct Confirmation<'a> {
    pub country_code: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub sms_code: Option<&'a str>,
    pub wechat_login_code: Option<&'a str>,
}

/// An account with a mobile confirms with a fresh SMS code to it (spent here); one with only
/// WeChat, with a WeChat login code of it. One whose logins are already gone (a deletion cut off
/// at its very end) has nothing left to confirm with, and finishes.
pub async fn confirm_deletion<'a>(
    db: &Db,
    sms: &SmsConfig,
    wechat: &Wechat,
    claims: &Claims,
    account: &Account,
    confirmation: Confirmation<'a>,
    now: i64,
) -> ApiResult<()> {
    if let Some(mobile) = account.login(LoginKind::Mobile) {
        let field = |name: &'static str, v: Option<&'a str>| -> ApiResult<&'a str> {
            v.ok_or_else(|| ApiError::invalid(name, "is required: confirm with a code sent to your mobile"))
        };
        let (country_code, number, code) = (
            field("country_code", confirmation.country_code)?,
            field("mobile", confirmation.mobile)?,
            field("sms_code", confirmation.sms_code)?,
        );
        let proof = mobile_proof(db, sms, claims, country_code, number, code, now).await?;
        if (proof.identity.kind, proof.identity.value.as_str()) != (mobile.identity_kind, mobile.value.as_str()) {
            return Err(ApiError::of(ErrorCode::ConfirmationMismatch).with_details(json!({ "field": "mobile" })));
        }
        return match db.transact(proof.writes).await {
            Ok(()) => Ok(()),
            Err(TxError::Conditions(_)) => Err(sms::spent_meanwhile()),
            Err(e) => Err(e.into()),
        };
    }
    if let Some(link) = account.login(LoginKind::Wechat) {
        let code =
            confirmation.wechat_login_code.ok_or_else(|| ApiError::invalid("wechat_login_code", "is required: confirm with WeChat"))?;
        let (identity, _) = wechat_identity(db, wechat, claims, code).await?;
        if (identity.kind, identity.value.as_str()) != (link.identity_kind, link.value.as_str()) {
            return Err(ApiError::of(ErrorCode::ConfirmationMismatch).with_details(json!({ "field": "wechat_login_code" })));
        }
    }
    Ok(())
}
