//! The body-profile items: the current profile, updated under optimistic concurrency.

use crate::profile::{ProfileItem, ProfileVersion};
use crate::store::db::{Assign, Db, Range, Write, decode, encode, n};
use crate::store::keys;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// Moves the `PROFILE` item from `read_version` to `merged`: fails if another write moved the
/// version meanwhile. A stored `completed_at` is never overwritten.
pub fn update_from(db: &Db, merged: &ProfileItem, read_version: u64) -> Write {
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
pub async fn versions(db: &Db, user_id: &str) -> Result<Vec<ProfileVersion>, crate::ApiError> {
    let items = db.query(&keys::user_pk(user_id), Range::Prefix(keys::PROFILE_VERSION_PREFIX), None).await?;
    items.into_iter().map(decode).collect()
}
