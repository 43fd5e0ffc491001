//! The refresh-token items: one per token (by its hash), and the family a rotation chain shares.

use crate::model::identity::RefreshItem;
use crate::store::db::{Db, Write, n, s};
use crate::store::error::Error;
use crate::store::keys::{self, Key};
use crate::support::crypto;

/// Where a refresh token is stored: under its hash, never the token itself.
fn key_of(token: &str) -> Key {
    keys::refresh_token(&crypto::sha256_hex(token.as_bytes()))
}

/// Stores a new refresh token (by its hash), indexed under its user.
pub fn put_new(db: &Db, token: &str, item: &RefreshItem) -> Write {
    let hash = crypto::sha256_hex(token.as_bytes());
    db.put_new_owned(&keys::refresh_token(&hash), &keys::user_refresh_token(&item.user_id, &hash), item)
}

/// The stored item of `token`, with its key (strongly consistent).
pub async fn token(db: &Db, token: &str) -> Result<Option<(Key, RefreshItem)>, Error> {
    let key = key_of(token);
    Ok(db.get::<RefreshItem>(&key).await?.map(|item| (key, item)))
}
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem, Update};

/// Marks the token spent — once, and only while it is not revoked.
pub fn spend(db: &Db, token: &Key, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(token.to_map()))
        .update_expression("SET used_at = :now")
        .condition_expression("attribute_not_exists(used_at) AND attribute_not_exists(revoked_at)")
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// A transaction's condition that the family is not revoked.
pub fn family_alive(db: &Db, family_id: &str) -> Write {
    let check = ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(keys::refresh_family(family_id).to_map()))
        .condition_expression("attribute_not_exists(revoked_at)")
        .build()
        .expect("check is complete");
    TransactWriteItem::builder().condition_check(check).build()
}

/// Whether the family's login has ended (one GetItem, strongly consistent).
pub async fn family_ended(db: &Db, family_id: &str) -> Result<bool, Error> {
    #[derive(serde::Deserialize)]
    struct Family {
        revoked_at: Option<i64>,
    }
    Ok(db.get::<Family>(&keys::refresh_family(family_id)).await?.is_some_and(|f| f.revoked_at.is_some()))
}

/// Revokes one token (the first revocation time stays).
pub fn revoke_token(db: &Db, token: &Key, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(token.to_map()))
        .update_expression("SET revoked_at = if_not_exists(revoked_at, :now)")
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// How long a revoked family stays: past the life of every token of it.
const REVOKED_FAMILY_TTL_SEC: i64 = 31 * 86_400;

/// Revokes every token of a family (the first revocation time stays), in a transaction. The
/// revoked family stays past the life of any token of it, so access tokens of the login are
/// refused; it holds no user id.
pub fn end_family(db: &Db, family_id: &str, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::refresh_family(family_id).to_map()))
        .update_expression("SET revoked_at = if_not_exists(revoked_at, :now), entity_type = :t, expires_at = :expires")
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":t", s("refresh_family"))
        .expression_attribute_values(":expires", n(now + REVOKED_FAMILY_TTL_SEC))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}
