//! The SMS items: a mobile's code and wrong-try guard, the devices that logged in with it, and
//! the counters of the send caps.

use crate::model::identity::{CodeItem, GuardItem, Identity, IdentityItem, KnownDevice};
use crate::store::db::{Db, Write, decode_opt, fault, item, n, s};
use crate::store::error::Error;
use crate::store::keys::Record;
use crate::store::keys::{self, Key};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue, TransactWriteItem, Update};

/// Replaces the mobile's code unless the last one was sent after `cooled_before`.
pub fn claim_code(db: &Db, e164: &str, code: &CodeItem, cooled_before: i64) -> Write {
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(item(&keys::sms_code(e164), code)))
        .condition_expression("attribute_not_exists(PK) OR sent_at <= :cooled")
        .expression_attribute_values(":cooled", n(cooled_before))
        .build()
        .expect("put is complete");
    TransactWriteItem::builder().put(put).build()
}

/// Takes the code back after a failed delivery — only the code this send stored.
pub fn unclaim_code(db: &Db, e164: &str, code_hash: &str) -> Write {
    let delete = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(keys::sms_code(e164).to_map()))
        .condition_expression("code_hash = :h")
        .expression_attribute_values(":h", s(code_hash))
        .build()
        .expect("delete is complete");
    TransactWriteItem::builder().delete(delete).build()
}

/// Spends the code: only that code, once, before it expires.
pub fn consume_code(db: &Db, e164: &str, code_hash: &str, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::sms_code(e164).to_map()))
        .update_expression("SET consumed_at = :now")
        .condition_expression("code_hash = :h AND attribute_not_exists(consumed_at) AND expires_at > :now")
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":h", s(code_hash))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Ends the wrong-try streak — unless the mobile is locked meanwhile.
pub fn clear_streak(db: &Db, e164: &str, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::sms_guard(e164).to_map()))
        .update_expression("SET failures = :zero REMOVE locked_until")
        .condition_expression("attribute_not_exists(locked_until) OR locked_until <= :now")
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Counts a wrong try (atomically); the streak's length after it.
pub async fn count_failure(db: &Db, e164: &str, expires_at: i64) -> Result<i64, Error> {
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(keys::sms_guard(e164).to_map()))
        .update_expression("ADD failures :one SET entity_type = :t, expires_at = :expires")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":t", s(GuardItem::ENTITY))
        .expression_attribute_values(":expires", n(expires_at))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .map_err(fault)?;
    let guard: GuardItem = out.attributes.map(crate::store::db::decode).transpose()?.unwrap_or_default();
    Ok(guard.failures.max(1))
}

/// Locks the mobile until `until` if the streak reached `max`, starting the next streak from
/// zero. `false` when another wrong try locked it first (same outcome).
pub async fn lock(db: &Db, e164: &str, until: i64, max: i64) -> Result<bool, Error> {
    let result = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(keys::sms_guard(e164).to_map()))
        .update_expression("SET locked_until = :until, failures = :zero")
        .condition_expression("failures >= :max")
        .expression_attribute_values(":until", n(until))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":max", n(max))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => Ok(false),
        Err(e) => Err(fault(e)),
    }
}

/// A transaction's condition that the device has logged in with the mobile.
pub fn known_device(db: &Db, e164: &str, device_id: &str) -> Write {
    db.exists(&keys::sms_known_device(e164, device_id))
}

/// A counter of sends in one time bucket (`keys::sms_cap`), for the cap it belongs to.
pub struct Counter<'a> {
    pub key: &'a Key,
    pub limit: i64,
    pub expires_at: i64,
}

/// Counts one send, on the condition that the counter is below its limit.
pub fn count(db: &Db, counter: &Counter<'_>) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(counter.key.to_map()))
        .update_expression("ADD sent :one SET expires_at = :expires")
        .condition_expression("attribute_not_exists(sent) OR sent < :cap")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":cap", n(counter.limit))
        .expression_attribute_values(":expires", n(counter.expires_at))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Takes one counted send back.
pub fn uncount(db: &Db, key: &Key) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .update_expression("ADD sent :minus")
        .condition_expression("sent > :zero")
        .expression_attribute_values(":minus", n(-1))
        .expression_attribute_values(":zero", n(0))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// What an SMS login judges the code by, in one read: the mobile's code and guard, and the user
/// behind its identity.
pub async fn login_reads(db: &Db, e164: &str, identity: &Identity) -> Result<(Option<CodeItem>, Option<GuardItem>, Option<String>), Error> {
    let [code, guard, owner] =
        db.batch_get([keys::sms_code(e164), keys::sms_guard(e164), keys::identity(identity.kind, &identity.value)]).await?;
    Ok((decode_opt(code)?, decode_opt(guard)?, decode_opt::<IdentityItem>(owner)?.map(|i| i.user_id)))
}

/// The mobile's wrong-try guard (strongly consistent).
pub async fn guard(db: &Db, e164: &str) -> Result<Option<GuardItem>, Error> {
    db.get(&keys::sms_guard(e164)).await
}

/// Remembers that `device_id` logged in with the mobile (it may then draw on the reserve).
pub fn remember_device(db: &Db, e164: &str, device_id: &str, known: &KnownDevice) -> Write {
    db.put(&keys::sms_known_device(e164, device_id), known)
}
