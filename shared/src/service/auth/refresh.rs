//! Refresh tokens: opaque 256-bit values stored only as SHA-256, bound to a user and client
//! type, with an absolute expiry; optional rotation with reuse detection that revokes the family.

use crate::model::identity::RefreshItem;
use crate::store::db::{Db, Tx, TxError, TxItem, Write};
use crate::store::refresh as store;
use crate::support::config::{self, ConfigError};
use crate::support::crypto;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::{Claims, Tokens};
use crate::support::types::ClientType;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct RefreshConfig {
    pub ttl_sec: i64,
    /// Off by default: the contract's refresh response has no new refresh_token.
    pub rotation: bool,
}

impl RefreshConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self { ttl_sec: config::or("REFRESH_TOKEN_TTL_SEC", 30 * 86_400)?, rotation: config::or("REFRESH_TOKEN_ROTATION", false)? })
    }
}

/// A new refresh token and the Put that stores its hash (for the caller's transaction).
pub fn issue(
    db: &Db,
    cfg: &RefreshConfig,
    user_id: &str,
    client_type: ClientType,
    device_id: &str,
    family_id: Option<&str>,
    now: i64,
) -> Issued {
    let token = format!("rt_{}", crypto::random_token());
    let item = RefreshItem {
        user_id: user_id.into(),
        client_type,
        device_id: device_id.into(),
        family_id: family_id.map(str::to_owned).unwrap_or_else(|| crate::support::ids::mint("fam")),
        issued_at: now,
        expires_at: now + cfg.ttl_sec,
        used_at: None,
        revoked_at: None,
    };
    let write = store::put_new(db, &token, &item);
    Issued { token, family_id: item.family_id, write }
}

/// A new refresh token, the family it belongs to, and the write that stores it.
pub struct Issued {
    pub token: String,
    pub family_id: String,
    pub write: Write,
}

/// The condition a write by `claims` carries so that a logged-out access token is refused at
/// once: it rides in the write's own transaction, no extra round trip. (Tokens without a
/// family — none are issued since — expire within `ACCESS_TOKEN_TTL_SEC` as before.)
pub fn login_alive(db: &Db, claims: &Claims) -> Tx {
    match &claims.fam {
        Some(family_id) => Tx::new().with(TxItem::LoginAlive, store::family_alive(db, family_id)),
        None => Tx::new(),
    }
}

/// A 401 when `claims`' login has ended: for the few answers that write nothing yet must not
/// outlive a logout (a replayed launch hands out a session token). One GetItem.
pub async fn require_alive(db: &Db, claims: &Claims) -> ApiResult<()> {
    match &claims.fam {
        Some(family_id) if store::family_ended(db, family_id).await? => Err(logged_out()),
        _ => Ok(()),
    }
}

/// The answer to a write whose login has ended.
pub fn logged_out() -> ApiError {
    ApiError::unauthorized("this login has ended; log in again")
}

fn invalid() -> ApiError {
    ApiError::of(ErrorCode::RefreshTokenInvalid)
}

/// What a valid refresh yields: whose token it was and, with rotation, its successor.
pub struct Refreshed {
    pub item: RefreshItem,
    pub rotated: Option<String>,
}

/// The answer of `POST /auth/refresh`: a new access token and, with rotation on (off by default,
/// so the contract's answer is unchanged), the refresh token that replaces the one spent.
#[derive(Debug, Serialize)]
pub struct RefreshAnswer {
    pub access_token: String,
    pub expires_in_sec: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Redeems `token` for a new access token of the same login.
pub async fn refresh(
    db: &Db,
    cfg: &RefreshConfig,
    tokens: &Tokens,
    token: &str,
    client_type: ClientType,
    now: i64,
) -> ApiResult<RefreshAnswer> {
    let redeemed = redeem(db, cfg, token, client_type, now).await?;
    let item = &redeemed.item;
    Ok(RefreshAnswer {
        access_token: tokens.issue_access(&item.user_id, item.client_type, &item.device_id, Some(&item.family_id), now),
        expires_in_sec: tokens.access_ttl_sec,
        refresh_token: redeemed.rotated,
    })
}

/// Checks `token` for `client_type` and, with rotation on, spends it for a successor.
pub async fn redeem(db: &Db, cfg: &RefreshConfig, token: &str, client_type: ClientType, now: i64) -> ApiResult<Refreshed> {
    if token.len() > 256 {
        return Err(invalid());
    }
    let (key, item) = store::token(db, token).await?.ok_or_else(invalid)?;
    if item.revoked_at.is_some() || item.client_type != client_type {
        return Err(invalid());
    }
    if item.expires_at <= now {
        return Err(ApiError::of(ErrorCode::RefreshTokenExpired));
    }
    if !cfg.rotation {
        return Ok(Refreshed { item, rotated: None });
    }
    if item.used_at.is_some() {
        revoke_family(db, &item.family_id, now).await?;
        return Err(reused());
    }
    let successor = issue(
        db,
        &RefreshConfig { ttl_sec: item.expires_at - now, ..cfg.clone() },
        &item.user_id,
        item.client_type,
        &item.device_id,
        Some(&item.family_id),
        now,
    );
    let tx = Tx::new()
        .with(TxItem::RefreshToken, store::spend(db, &key, now))
        .with(TxItem::RefreshFamily, store::family_alive(db, &item.family_id))
        .with(TxItem::Successor, successor.write);
    match db.transact(tx).await {
        Ok(()) => Ok(Refreshed { item, rotated: Some(successor.token) }),
        // Spent concurrently, or its family was revoked: either way a reuse.
        Err(TxError::Conditions(_)) => {
            revoke_family(db, &item.family_id, now).await?;
            Err(reused())
        }
        Err(TxError::Store(e)) => Err(e.into()),
    }
}

fn reused() -> ApiError {
    ApiError::of(ErrorCode::RefreshTokenReused)
}

async fn revoke_family(db: &Db, family_id: &str, now: i64) -> ApiResult<()> {
    end_families(db, [family_id], now).await?;
    tracing::warn!(family_id, "refresh token reuse: family revoked");
    Ok(())
}

/// Ends the logins of `family_ids` at once: every refresh token of each, and the writes of their
/// access tokens (`login_alive`).
pub async fn end_families<'a>(db: &Db, family_ids: impl IntoIterator<Item = &'a str>, now: i64) -> ApiResult<()> {
    let family_ids: Vec<&str> = family_ids.into_iter().collect();
    for chunk in family_ids.chunks(100) {
        let mut tx = Tx::new();
        for family_id in chunk {
            tx.push(TxItem::RefreshFamily, store::end_family(db, family_id, now));
        }
        db.transact(tx).await?;
    }
    Ok(())
}
