//! Catalog writes with conditions: the release a launch holds, the place a registration takes,
//! and the catalog tool's upserts (which never touch `registered_count`).

use crate::store::db::{Assign, Db, Write, n, s};
use crate::store::keys::{self, Key};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};

/// The only attribute of a catalog item that is not the catalog's: registration counts it, and
/// the catalog tool must never overwrite it.
pub const REGISTERED_COUNT: &str = "registered_count";

/// A transaction's condition that `release_id` is still the event's current release.
pub fn release_is_current(db: &Db, event_id: &str, release_id: &str) -> Write {
    let check = ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(keys::event(event_id).to_map()))
        .condition_expression("current_release_id = :release")
        .expression_attribute_values(":release", s(release_id))
        .build()
        .expect("check is complete");
    TransactWriteItem::builder().condition_check(check).build()
}

/// Takes one place of the competition: it exists, registration is enabled and open at `now`,
/// and a capacity, when it has one, is not reached.
pub fn take_place(db: &Db, competition_id: &str, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::competition(competition_id).to_map()))
        .update_expression("ADD #count :one")
        .condition_expression(
            "attribute_exists(#pk) AND #enabled = :true \
             AND (attribute_not_exists(#opens) OR #opens <= :now) \
             AND (attribute_not_exists(#closes) OR :now < #closes) \
             AND (attribute_not_exists(#capacity) OR #count < #capacity)",
        )
        .expression_attribute_names("#pk", keys::PK)
        .expression_attribute_names("#count", REGISTERED_COUNT)
        .expression_attribute_names("#enabled", "registration_enabled")
        .expression_attribute_names("#opens", "registration_opens_at")
        .expression_attribute_names("#closes", "registration_closes_at")
        .expression_attribute_names("#capacity", "capacity")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Gives one place of the competition back: only while registration is open at `now` and the
/// competition has not started.
pub fn free_place(db: &Db, competition_id: &str, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::competition(competition_id).to_map()))
        .update_expression("ADD #count :minus")
        .condition_expression(
            "#enabled = :true AND #count > :zero \
             AND (attribute_not_exists(#opens) OR #opens <= :now) \
             AND (attribute_not_exists(#closes) OR :now < #closes) \
             AND (attribute_not_exists(#starts) OR :now < #starts)",
        )
        .expression_attribute_names("#count", REGISTERED_COUNT)
        .expression_attribute_names("#enabled", "registration_enabled")
        .expression_attribute_names("#opens", "registration_opens_at")
        .expression_attribute_names("#closes", "registration_closes_at")
        .expression_attribute_names("#starts", "starts_at")
        .expression_attribute_values(":minus", n(-1))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Gives one place back whatever the window: the registration goes with its account.
pub fn release_place(db: &Db, competition_id: &str) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::competition(competition_id).to_map()))
        .update_expression("ADD #count :minus")
        .condition_expression("#count > :zero")
        .expression_attribute_names("#count", REGISTERED_COUNT)
        .expression_attribute_values(":minus", n(-1))
        .expression_attribute_values(":zero", n(0))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Writes a catalog item's attributes (`set`) and removes those it no longer has, keeping its
/// `registered_count` (and starting it at 0 on a competition that has none).
pub async fn upsert(db: &Db, key: &Key, set: &crate::store::db::Item, remove: &[String], counts_registrations: bool) -> Result<(), String> {
    let mut assign = Assign { remove: remove.to_vec(), ..Assign::default() };
    assign.set = set.iter().filter(|(name, _)| *name != keys::PK && *name != keys::SK).map(|(k, v)| (k.clone(), v.clone())).collect();
    if counts_registrations {
        assign.set_if_absent.insert(REGISTERED_COUNT.into(), n(0));
    }
    let (expression, names, values) = assign.expression();
    db.client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .update_expression(expression)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .send()
        .await
        .map_err(|e| format!("{} / {}: {}", key.pk, key.sk, DisplayErrorContext(&e)))?;
    Ok(())
}

/// Deletes a catalog item the file no longer has.
pub async fn remove(db: &Db, key: &Key) -> Result<(), String> {
    db.client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .send()
        .await
        .map_err(|e| format!("{} / {}: {}", key.pk, key.sk, DisplayErrorContext(&e)))?;
    Ok(())
}
