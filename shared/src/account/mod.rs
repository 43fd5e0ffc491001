//! The account's whole life: what `GET /me` shows, logging out, binding a second login, and
//! deleting the account with everything it owns.
//!
//! Everything a user owns is findable from the user id: the user's partition (`USER#id`: the
//! user, their logins, the body profile and its versions) and the GSI1 owner index (sessions,
//! registrations, refresh tokens, answered requests); the logins lead to the identities and the
//! mobile's SMS items.

use crate::auth::accounts::{IDENTITY, Identity, IdentityItem, LOGIN, LoginLink, UserItem};
use crate::auth::refresh::{LOGIN_ALIVE, RefreshItem, end_families, logged_out};
use crate::catalog::Registration;
use crate::clock;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::profile::ProfileItem;
use crate::session::launch::Session;
use crate::store;
use crate::store::db::{CONCURRENT_REQUESTS, Db, ENTITY_TYPE, Range, Record, Tx, TxError, decode, key_of, text};
use crate::store::keys::{self, IdentityKind, Key, LoginKind};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

/// The account as one Query reads it: the user, their logins, their body profile.
pub struct Account {
    pub user: UserItem,
    pub logins: Vec<LoginLink>,
    pub profile: Option<ProfileItem>,
}

/// The answer when the token's user no longer exists (the account was deleted).
pub fn gone() -> ApiError {
    ApiError::unauthorized("this account no longer exists")
}

impl Account {
    /// The account of `user_id` (one Query of the user's partition, up to the profile).
    pub async fn load(db: &Db, user_id: &str) -> ApiResult<Self> {
        let items = db.query(&keys::user_pk(user_id), Range::Between(keys::META, keys::ACCOUNT_END), None).await?;
        let (mut user, mut logins, mut profile) = (None, Vec::new(), None);
        for item in items {
            let sk = key_of(&item).map(|k| k.sk).unwrap_or_default();
            match sk.as_str() {
                keys::META => user = Some(decode::<UserItem>(item)?),
                keys::ACCOUNT_END => profile = Some(decode::<ProfileItem>(item)?),
                _ if sk.starts_with(keys::USER_LOGIN_PREFIX) => logins.push(decode::<LoginLink>(item)?),
                _ => {}
            }
        }
        Ok(Self { user: user.ok_or_else(gone)?, logins, profile })
    }

    pub fn login(&self, kind: LoginKind) -> Option<&LoginLink> {
        self.logins.iter().find(|l| l.identity_kind.login_kind() == kind)
    }

    /// `GET /me`: never an identity's value, only a masked mobile and whether WeChat is bound.
    pub fn view(&self) -> Value {
        let profile = self.profile.as_ref();
        json!({
            "user_id": self.user.user_id,
            "created_at": clock::rfc3339(self.user.created_at),
            "logins": {
                "mobile": self.login(LoginKind::Mobile).and_then(LoginLink::masked_mobile),
                "wechat": self.login(LoginKind::Wechat).is_some(),
            },
            "body_profile_status": profile.map(|p| p.status).unwrap_or_default(),
            "body_profile": {
                "gender": profile.and_then(|p| p.gender),
                "birth_date": profile.and_then(|p| p.birth_date.clone()),
                "height_cm": profile.and_then(|p| p.height_cm),
                "weight_kg": profile.and_then(|p| p.weight_kg),
                "resting_heart_rate_bpm": profile.and_then(|p| p.resting_heart_rate_bpm),
                "max_heart_rate_bpm": profile.and_then(|p| p.max_heart_rate_bpm),
                "completed_at": profile.and_then(|p| p.completed_at).map(clock::rfc3339),
            },
        })
    }
}

/// Ends `refresh_token`'s login (its family) or, with `all_devices`, every login of the user,
/// at once. A token that is unknown, already ended or not the caller's changes nothing: logging
/// out twice is not an error. Returns how many logins were ended.
pub async fn logout(db: &Db, user_id: &str, refresh_token: &str, all_devices: bool, now: i64) -> ApiResult<usize> {
    let tokens: Vec<(Key, RefreshItem)> = if all_devices {
        let items = db.query_gsi1(&keys::user_pk(user_id), Range::Prefix(keys::USER_REFRESH_PREFIX), None).await?;
        items.into_iter().filter_map(|item| Some((key_of(&item)?, item))).map(|(k, i)| Ok((k, decode(i)?))).collect::<ApiResult<_>>()?
    } else {
        let key = crate::auth::refresh::key_of_token(refresh_token);
        db.get::<RefreshItem>(&key).await?.filter(|t| t.user_id == user_id).map(|t| vec![(key, t)]).unwrap_or_default()
    };
    let live: Vec<&(Key, RefreshItem)> = tokens.iter().filter(|(_, t)| t.revoked_at.is_none()).collect();
    for chunk in live.chunks(50) {
        let mut tx = Tx::new();
        for (key, token) in chunk {
            tx.push("refresh_token", store::refresh::revoke_token(db, key, now));
            tx.push("refresh_family", store::refresh::end_family(db, &token.family_id, now));
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
    tx.append(identity.bind(db, user_id, now));
    tx.push(USER, db.exists(&keys::user(user_id)));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if e.failed(LOGIN_ALIVE) => Err(logged_out()),
        Err(e) if e.failed(USER) => Err(gone()),
        // Another user bound it in the meantime: one user per identity.
        Err(e) if e.failed(IDENTITY) => match db.get::<IdentityItem>(&identity.key()).await? {
            Some(item) if item.user_id == user_id => Ok(()),
            _ => Err(ApiError::of(ErrorCode::LoginInUse)),
        },
        Err(e) if e.failed(LOGIN) => Err(ApiError::of(ErrorCode::LoginAlreadyBound)),
        // Only the credential's own writes are left: the code was spent meanwhile.
        Err(TxError::Conditions(_)) => Err(crate::auth::sms::spent_meanwhile()),
        Err(e) => Err(e.into()),
    }
}

/// The bind transaction's condition that the account still exists.
const USER: &str = "user";

/// What a deletion removed.
#[derive(Debug, Default, serde::Serialize)]
pub struct Deleted {
    pub sessions: usize,
    pub registrations: usize,
    pub logins: usize,
}

/// Deletes the account and everything it owns; places taken by its registrations are given
/// back. First every login of the account ends, so no write of its tokens — access or session,
/// a phone still flushing its queue — commits after; only then is what it owns found, so what
/// was written before is all there is. Safe to run again after being cut off anywhere: every
/// step finds what is left, and the user's own record and logins go last, so the account can
/// still prove it is itself. A lifetime's sessions (`launch::MAX_SESSIONS_PER_USER`) take a
/// BatchGetItem per 100 (a session's record names every item of its partition) and a
/// BatchWriteItem per 25 items, a few at a time.
pub async fn delete(db: &Db, account: &Account, now: i64) -> ApiResult<Deleted> {
    let user_id = account.user.user_id.as_str();
    let mut deleted = Deleted { logins: account.logins.len(), ..Deleted::default() };
    let logins = db.query_gsi1(&keys::user_pk(user_id), Range::Prefix(keys::USER_REFRESH_PREFIX), None).await?;
    let families: Vec<String> = logins.into_iter().map(|item| Ok(decode::<RefreshItem>(item)?.family_id)).collect::<ApiResult<_>>()?;
    end_families(db, families.iter().map(String::as_str), now).await?;
    let owned = db.query_gsi1(&keys::user_pk(user_id), Range::All, None).await?;
    let (mut doomed, mut sessions): (Vec<Key>, Vec<Session>) = (Vec::new(), Vec::new());
    for item in owned {
        let Some(key) = key_of(&item) else { continue };
        match text(&item, ENTITY_TYPE) {
            Some(Registration::ENTITY) => {
                let registration: Registration = decode(item)?;
                give_back(db, &key, &registration.competition_id).await?;
                deleted.registrations += 1;
            }
            Some(Session::ENTITY) => sessions.push(decode(item)?),
            _ => doomed.push(key),
        }
    }
    // The session chain's items live in the session's own partition; a run in a competition may
    // also be the user's entry on its leaderboard.
    deleted.sessions = sessions.len();
    for session in &sessions {
        if let Some(competition_id) = &session.competition_id {
            doomed.push(keys::board_entry(&keys::board_pk(competition_id, &session.event_id, &session.route_code), user_id));
        }
    }
    // The index may lag the sessions' records: their keys are read from the records themselves.
    let records = db.get_many(&sessions.iter().map(|s| keys::session(&s.session_id)).collect::<Vec<_>>()).await?;
    let mut unknown: Vec<String> = Vec::new();
    for (session, record) in sessions.iter().zip(records) {
        match record.map(decode::<Session>).transpose()?.and_then(|s| s.item_keys()) {
            Some(item_keys) => doomed.extend(item_keys),
            None => unknown.push(keys::session_pk(&session.session_id)),
        }
    }
    let partitions: Vec<Vec<Key>> =
        futures::stream::iter(unknown).map(|pk| db.keys_in(pk)).buffer_unordered(CONCURRENT_REQUESTS).try_collect().await?;
    doomed.extend(partitions.into_iter().flatten());
    // The sessions' records go after their items: a deletion cut off in between still finds them.
    let records: std::collections::HashSet<Key> = sessions.iter().map(|s| keys::session(&s.session_id)).collect();
    let (records, items): (Vec<Key>, Vec<Key>) = doomed.into_iter().partition(|k| records.contains(k));
    db.delete_all(&items).await?;
    db.delete_all(&records).await?;
    let mut identities: Vec<Key> = Vec::new();
    for login in &account.logins {
        if login.identity_kind == IdentityKind::Mobile {
            identities.extend(db.keys_of(&keys::sms_pk(&login.value)).await?);
        }
        identities.push(login.identity_key());
    }
    db.delete_all(&identities).await?;
    let own: Vec<Key> = db.keys_of(&keys::user_pk(user_id)).await?;
    let (last, first): (Vec<Key>, Vec<Key>) =
        own.into_iter().partition(|k| k.sk == keys::META || k.sk.starts_with(keys::USER_LOGIN_PREFIX));
    db.delete_all(&first).await?;
    db.delete_all(&last).await?;
    Ok(deleted)
}

/// Deletes a registration and gives its place back, once.
async fn give_back(db: &Db, registration: &Key, competition_id: &str) -> ApiResult<()> {
    let tx = Tx::new()
        .with("registration", db.delete_existing(registration))
        .with("competition", store::catalog::release_place(db, competition_id));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        // Deleted by an earlier run (its place given back then).
        Err(e) if e.failed("registration") => Ok(()),
        // A count already at 0 (out of step): the registration goes anyway.
        Err(TxError::Conditions(_)) => db.delete_all(std::slice::from_ref(registration)).await,
        Err(e) => Err(e.into()),
    }
}
