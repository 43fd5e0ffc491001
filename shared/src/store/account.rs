//! The account's items: what `GET /me` reads in one Query, the logins to end, and everything
//! a user owns, found from the user id — their partition (`USER#id`: the user, their logins,
//! the body profile and its versions) and the GSI1 owner index (sessions, registrations,
//! refresh tokens, answered requests); the logins lead to the identities and the mobile's SMS
//! items.

use crate::model::catalog::Registration;
use crate::model::identity::{Account, Deleted, Identity, IdentityItem, IdentityKind, LoginLink, RefreshItem, UserItem};
use crate::model::leaderboard::Board;
use crate::model::profile::ProfileItem;
use crate::model::run::session::Session;
use crate::store::catalog;
use crate::store::db::{CONCURRENT_REQUESTS, Db, Range, Tx, TxError, TxItem, decode, key_of, text};
use crate::store::error::Error;
use crate::store::keys::{self, ENTITY_TYPE, Key, Record};
use futures::{StreamExt, TryStreamExt};

/// The account of `user_id` (one Query of the user's partition, up to the profile), if the user exists.
pub async fn load(db: &Db, user_id: &str) -> Result<Option<Account>, Error> {
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
    Ok(user.map(|user| Account { user, logins, profile }))
}

/// The refresh tokens of the user (every login they hold), with their keys.
pub async fn refresh_tokens(db: &Db, user_id: &str) -> Result<Vec<(Key, RefreshItem)>, Error> {
    let items = db.query_gsi1(&keys::user_pk(user_id), Range::Prefix(keys::USER_REFRESH_PREFIX), None).await?;
    items.into_iter().filter_map(|item| Some((key_of(&item)?, item))).map(|(k, i)| Ok((k, decode(i)?))).collect()
}

/// The writes that make `identity` `user_id`'s: the identity, only if nobody has it
/// ([`TxItem::Identity`] fails otherwise), and the user's login of its kind, only if they have
/// none yet ([`TxItem::Login`] fails otherwise).
pub fn bind(db: &Db, identity: &Identity, user_id: &str, now: i64) -> Tx {
    let owner = IdentityItem { kind: identity.kind, user_id: user_id.to_owned(), created_at: now };
    Tx::new()
        .with(TxItem::Identity, db.put_new(&keys::identity(identity.kind, &identity.value), &owner))
        .with(TxItem::Login, db.put_new(&keys::user_login(user_id, identity.kind.login_kind()), &identity.link(now)))
}

/// The user behind a login identity (strongly consistent).
pub async fn owner_of(db: &Db, identity: &Identity) -> Result<Option<String>, Error> {
    Ok(db.get::<IdentityItem>(&keys::identity(identity.kind, &identity.value)).await?.map(|i| i.user_id))
}

/// A new user's own record.
pub fn create_user(db: &Db, user: &UserItem) -> Tx {
    Tx::new().with(TxItem::User, db.put_new(&keys::user(&user.user_id), user))
}

/// The condition that the user still exists.
pub fn user_exists(db: &Db, user_id: &str) -> Tx {
    Tx::new().with(TxItem::User, db.exists(&keys::user(user_id)))
}

/// Deletes everything the account owns, the account last; places taken by its registrations are
/// given back. Safe to run again after being cut off anywhere: every step finds what is left,
/// and the user's own record and logins go last, so the account can still prove it is itself. A lifetime's sessions (`launch::MAX_SESSIONS_PER_USER`) take a
/// BatchGetItem per 100 (a session's record names every item of its partition) and a
/// BatchWriteItem per 25 items, a few at a time.
pub async fn delete_owned(db: &Db, account: &Account) -> Result<Deleted, Error> {
    let user_id = account.user.user_id.as_str();
    let mut deleted = Deleted { logins: account.logins.len(), ..Deleted::default() };
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
            doomed.push(keys::board_entry(&keys::board_pk(&Board::of(competition_id, &session.event_id, &session.route_code)), user_id));
        }
    }
    // The index may lag the sessions' records: their keys are read from the records themselves.
    let records = db.get_many(&sessions.iter().map(|s| keys::session(&s.session_id)).collect::<Vec<_>>()).await?;
    let mut unknown: Vec<String> = Vec::new();
    for (session, record) in sessions.iter().zip(records) {
        match record.map(decode::<Session>).transpose()?.and_then(|s| keys::session_items(&s)) {
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
        identities.push(keys::identity(login.identity_kind, &login.value));
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
async fn give_back(db: &Db, registration: &Key, competition_id: &str) -> Result<(), Error> {
    let tx = Tx::new()
        .with(TxItem::Registration, db.delete_existing(registration))
        .with(TxItem::Competition, catalog::release_place(db, competition_id));
    match db.transact(tx).await {
        Ok(()) => Ok(()),
        // Deleted by an earlier run (its place given back then).
        Err(e) if e.failed(TxItem::Registration) => Ok(()),
        // A count already at 0 (out of step): the registration goes anyway.
        Err(TxError::Conditions(_)) => db.delete_all(std::slice::from_ref(registration)).await,
        Err(e) => Err(e.into()),
    }
}
