//! The body-profile items: the current profile, updated under optimistic concurrency, and one
//! immutable version item per accepted write.

use crate::model::profile::{ProfileItem, ProfileVersion};
use crate::store::db::{Assign, Db, Range, Tx, TxItem, Write, decode, encode, n};
use crate::store::error::Error;
use crate::store::keys;
use crate::support::types::BodyProfileStatus;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// The user's profile (strongly consistent).
pub async fn get(db: &Db, user_id: &str) -> Result<Option<ProfileItem>, Error> {
    db.get(&keys::body_profile(user_id)).await
}

/// The profile's status alone.
pub async fn status(db: &Db, user_id: &str) -> Result<Option<BodyProfileStatus>, Error> {
    #[derive(serde::Deserialize)]
    struct StatusOnly {
        status: BodyProfileStatus,
    }
    Ok(db.get::<StatusOnly>(&keys::body_profile(user_id)).await?.map(|item| item.status))
}

/// What the login transaction adds when it creates a user: the `pending` profile (version 1)
/// and its first version item. Both are conditional on not existing yet.
pub fn initial_items(db: &Db, user_id: &str, now: i64) -> Tx {
    let profile = ProfileItem::initial(user_id, now);
    Tx::new()
        .with(TxItem::Profile, db.put_new(&keys::body_profile(user_id), &profile))
        .with(TxItem::ProfileVersion, put_version(db, &profile))
}

/// The writes of an accepted change: the profile moved from `read_version` to `next`
/// ([`TxItem::Profile`] fails if another write moved it meanwhile), and `next`'s version item.
pub fn write_next(db: &Db, next: &ProfileItem, read_version: u64) -> Tx {
    Tx::new().with(TxItem::Profile, update_from(db, next, read_version)).with(TxItem::ProfileVersion, put_version(db, next))
}

/// The version item of `profile` (which already carries its new `version`).
fn put_version(db: &Db, profile: &ProfileItem) -> Write {
    let snapshot = ProfileVersion(ProfileItem { created_at: None, ..profile.clone() });
    db.put_new(&keys::body_profile_version(&profile.user_id, profile.version), &snapshot)
}

/// Moves the `PROFILE` item from `read_version` to `merged`: fails if another write moved the
/// version meanwhile. A stored `completed_at` is never overwritten.
fn update_from(db: &Db, merged: &ProfileItem, read_version: u64) -> Write {
    let mut assign = Assign { set: encode(merged), ..Assign::default() };
    if let Some(completed_at) = assign.set.remove("completed_at") {
        assign.set_if_absent.insert("completed_at".into(), completed_at);
    }
    assign.set.remove("created_at");
    let (expression, mut names, mut values) = assign.expression();
    names.insert("#read_version".into(), "version".into());
    values.insert(":read_version".into(), n(read_version));
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::body_profile(&merged.user_id).to_map()))
        .update_expression(expression)
        .condition_expression("#read_version = :read_version")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("table, key and expression are set");
    TransactWriteItem::builder().update(update).build()
}

/// Every version of the user's profile, oldest first.
pub async fn versions(db: &Db, user_id: &str) -> Result<Vec<ProfileVersion>, Error> {
    let items = db.query(&keys::user_pk(user_id), Range::Prefix(keys::PROFILE_VERSION_PREFIX), None).await?;
    items.into_iter().map(decode).collect()
}
