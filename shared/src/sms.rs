//! SMS verification codes: who may get one (allow-listed country, cooldown, daily caps), how it
//! is delivered (SNS, or a configured test number), and how a try is judged (keyed hash,
//! expiry, single use, lockout after repeated wrong tries).

use crate::clock;
use crate::config::{self, ConfigError};
use crate::crypto;
use crate::db::{self, Db, TxError, n, s};
use crate::error::{ApiError, ApiResult};
use crate::keys::{self, Key};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use aws_sdk_sns::types::MessageAttributeValue;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Clone)]
pub struct SmsConfig {
    pub hash_key: Vec<u8>,
    pub code_ttl_sec: i64,
    pub cooldown_sec: i64,
    pub max_attempts: i64,
    pub lock_sec: i64,
    pub daily_per_mobile: i64,
    pub daily_per_device: i64,
    pub allowed_country_codes: Vec<String>,
    /// The message; `{code}` and `{minutes}` are filled in.
    pub template: String,
    /// E.164 number → fixed code, never sent (app-store review, local work). Empty in production.
    pub test_numbers: HashMap<String, String>,
    pub sender_id: Option<String>,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("cooldown_sec", &self.cooldown_sec)
            .field("test_numbers", &self.test_numbers.len())
            .finish_non_exhaustive()
    }
}

impl SmsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let list = |v: String| v.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect::<Vec<_>>();
        let test_numbers = list(config::or("SMS_TEST_NUMBERS", String::new())?)
            .into_iter()
            .map(|pair| match pair.split_once('=') {
                Some((number, code)) if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok((number.to_string(), code.to_string()))
                }
                _ => Err(ConfigError { var: "SMS_TEST_NUMBERS", problem: "must be a comma list of +E164=6-digit-code".into() }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            hash_key: config::secret("SMS_HASH_KEY")?,
            code_ttl_sec: config::or("SMS_CODE_TTL_SEC", 300)?,
            cooldown_sec: config::or("SMS_COOLDOWN_SEC", 60)?,
            max_attempts: config::or("SMS_MAX_ATTEMPTS", 5)?,
            lock_sec: config::or("SMS_LOCK_SEC", 900)?,
            daily_per_mobile: config::or("SMS_DAILY_LIMIT_PER_MOBILE", 10)?,
            daily_per_device: config::or("SMS_DAILY_LIMIT_PER_DEVICE", 20)?,
            allowed_country_codes: list(config::or("SMS_ALLOWED_COUNTRY_CODES", "86".to_string())?),
            template: config::or("SMS_MESSAGE_TEMPLATE", "Your verification code is {code}. It expires in {minutes} minutes.".to_string())?,
            test_numbers,
            sender_id: config::optional("SMS_SENDER_ID"),
        })
    }

    /// The mobile in E.164, after the country allow-list and that country's number format.
    pub fn e164(&self, country_code: &str, mobile: &str) -> ApiResult<String> {
        if !self.allowed_country_codes.iter().any(|c| c == country_code) {
            return Err(ApiError::invalid("country_code", "country code is not supported"));
        }
        let digits = mobile.bytes().all(|b| b.is_ascii_digit());
        let ok = match country_code {
            "86" => digits && mobile.len() == 11 && mobile.starts_with('1') && mobile.as_bytes()[1] >= b'3',
            _ => digits && (4..=15 - country_code.len()).contains(&mobile.len()),
        };
        if !ok {
            return Err(ApiError::invalid("mobile", "not a valid mobile number for this country code"));
        }
        Ok(format!("+{country_code}{mobile}"))
    }

    fn code_hash(&self, e164: &str, code: &str) -> String {
        crypto::keyed_hash(&self.hash_key, &["sms-code", e164, code])
    }
}

/// What a successful send tells the client.
pub struct Sent {
    pub cooldown_sec: i64,
    pub expires_in_sec: i64,
}

fn daily_cap(db: &Db, key: Key, cap: i64, now: i64) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .update_expression("ADD sent :one SET expires_at = :expires")
        .condition_expression("attribute_not_exists(sent) OR sent < :cap")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":cap", n(cap))
        .expression_attribute_values(":expires", n(now + clock::until_midnight(now) + 3600))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

fn undo_daily(db: &Db, key: Key) -> TransactWriteItem {
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

#[derive(Deserialize)]
struct CodeItem {
    code_hash: String,
    sent_at: i64,
    expires_at: i64,
    #[serde(default)]
    consumed_at: Option<i64>,
}

#[derive(Deserialize, Default)]
struct GuardItem {
    #[serde(default)]
    locked_until: Option<i64>,
}

/// Issues a code to `e164`: claims the cooldown and both daily caps in one transaction, then
/// delivers it; if delivery fails, the claim is undone so the client can retry at once.
pub async fn send(db: &Db, sns: &aws_sdk_sns::Client, cfg: &SmsConfig, e164: &str, device_id: &str, now: i64) -> ApiResult<Sent> {
    let test_code = cfg.test_numbers.get(e164);
    let code = test_code.cloned().unwrap_or_else(|| crypto::random_digits(6));
    let code_hash = cfg.code_hash(e164, &code);
    let day = clock::day(now);
    let code_key = keys::sms_code(e164);
    let mut item = code_key.to_map();
    item.extend([
        ("entity_type".into(), s("sms_code")),
        ("code_hash".into(), s(&code_hash)),
        ("sent_at".into(), n(now)),
        (keys::TTL.into(), n(now + cfg.code_ttl_sec)),
    ]);
    let claim_code = Put::builder()
        .table_name(&db.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK) OR sent_at <= :cooled")
        .expression_attribute_values(":cooled", n(now - cfg.cooldown_sec))
        .build()
        .expect("put is complete");
    let items = vec![
        TransactWriteItem::builder().put(claim_code).build(),
        daily_cap(db, keys::sms_daily("MOBILE", e164, &day), cfg.daily_per_mobile, now),
        daily_cap(db, keys::sms_daily("DEVICE", device_id, &day), cfg.daily_per_device, now),
    ];
    match db.transact(items).await {
        Ok(()) => {}
        Err(TxError::Conditions(failed)) if failed.first() == Some(&true) => {
            let sent_at = db.get::<CodeItem>(&code_key).await?.map(|c| c.sent_at).unwrap_or(now);
            return Err(ApiError::too_many(
                "sms_cooldown",
                "a code was sent moments ago; wait before asking again",
                sent_at + cfg.cooldown_sec - now,
            ));
        }
        Err(TxError::Conditions(_)) => {
            return Err(ApiError::too_many("sms_daily_limit", "daily SMS limit reached", clock::until_midnight(now)));
        }
        Err(TxError::Api(e)) => return Err(e),
    }
    if test_code.is_none()
        && let Err(e) = deliver(sns, cfg, e164, &code).await
    {
        tracing::error!(error = %aws_sdk_sns::error::DisplayErrorContext(&e), "SMS delivery failed; undoing the send");
        let undo_code = Delete::builder()
            .table_name(&db.table)
            .set_key(Some(code_key.to_map()))
            .condition_expression("code_hash = :h")
            .expression_attribute_values(":h", s(&code_hash))
            .build()
            .expect("delete is complete");
        let undo = vec![
            TransactWriteItem::builder().delete(undo_code).build(),
            undo_daily(db, keys::sms_daily("MOBILE", e164, &day)),
            undo_daily(db, keys::sms_daily("DEVICE", device_id, &day)),
        ];
        if let Err(e) = db.transact(undo).await {
            tracing::error!(?e, "could not undo a failed SMS send");
        }
        return Err(ApiError::new(StatusCode::BAD_GATEWAY, "sms_send_failed", "the SMS could not be sent; try again"));
    }
    Ok(Sent { cooldown_sec: cfg.cooldown_sec, expires_in_sec: cfg.code_ttl_sec })
}

async fn deliver(
    sns: &aws_sdk_sns::Client,
    cfg: &SmsConfig,
    e164: &str,
    code: &str,
) -> Result<(), aws_sdk_sns::error::SdkError<aws_sdk_sns::operation::publish::PublishError>> {
    let message = cfg.template.replace("{code}", code).replace("{minutes}", &(cfg.code_ttl_sec / 60).to_string());
    let attr = |v: &str| MessageAttributeValue::builder().data_type("String").string_value(v).build().expect("attribute is complete");
    let mut publish = sns.publish().phone_number(e164).message(message).message_attributes("AWS.SNS.SMS.SMSType", attr("Transactional"));
    if let Some(sender) = &cfg.sender_id {
        publish = publish.message_attributes("AWS.SNS.SMS.SenderID", attr(sender));
    }
    publish.send().await.map(|_| ())
}

/// A code the caller may spend: the writes that consume it (and clear the failure streak),
/// for the login transaction.
pub struct Verified {
    pub consume: Vec<TransactWriteItem>,
}

/// The keys a login must read before judging a code (fetched with the identity in one batch).
pub fn verify_keys(e164: &str) -> [Key; 2] {
    [keys::sms_code(e164), keys::sms_guard(e164)]
}

/// Judges `code` against what was read. A wrong code counts toward the lockout, whatever the
/// state of the stored code, so guessing across resends gains nothing.
pub async fn verify(
    db: &Db,
    cfg: &SmsConfig,
    e164: &str,
    code: &str,
    stored: Option<db::Item>,
    guard: Option<db::Item>,
    now: i64,
) -> ApiResult<Verified> {
    let guard: GuardItem = db::decode_opt(guard)?.unwrap_or_default();
    if let Some(until) = guard.locked_until.filter(|&t| t > now) {
        return Err(locked(until - now));
    }
    let stored: Option<CodeItem> = db::decode_opt(stored)?;
    let hash = cfg.code_hash(e164, code);
    let matches = stored.as_ref().is_some_and(|c| crypto::equal(&c.code_hash, &hash));
    if !matches {
        return Err(record_failure(db, cfg, e164, now).await?);
    }
    let stored = stored.expect("matched");
    if stored.consumed_at.is_some() {
        return Err(code_invalid(None));
    }
    if stored.expires_at <= now {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "sms_code_expired", "the code has expired; ask for a new one"));
    }
    let consume = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::sms_code(e164).to_map()))
        .update_expression("SET consumed_at = :now")
        .condition_expression("code_hash = :h AND attribute_not_exists(consumed_at) AND expires_at > :now")
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":h", s(&hash))
        .build()
        .expect("update is complete");
    let clear_streak = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::sms_guard(e164).to_map()))
        .update_expression("SET failures = :zero REMOVE locked_until")
        .condition_expression("attribute_not_exists(locked_until) OR locked_until <= :now")
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    Ok(Verified {
        consume: vec![TransactWriteItem::builder().update(consume).build(), TransactWriteItem::builder().update(clear_streak).build()],
    })
}

/// The answer when the login transaction finds the code spent (or the mobile locked) after all.
pub fn spent_meanwhile() -> ApiError {
    code_invalid(None)
}

fn code_invalid(attempts_remaining: Option<i64>) -> ApiError {
    let err = ApiError::new(StatusCode::UNAUTHORIZED, "sms_code_invalid", "the code is not valid");
    match attempts_remaining {
        Some(left) => err.with_details(json!({ "field": "sms_code", "attempts_remaining": left })),
        None => err.with_details(json!({ "field": "sms_code" })),
    }
}

fn locked(retry_after: i64) -> ApiError {
    ApiError::too_many("sms_code_attempts_exceeded", "too many wrong codes; try again later", retry_after)
}

/// Counts a wrong try (atomically); the try that reaches the limit starts the lock window.
async fn record_failure(db: &Db, cfg: &SmsConfig, e164: &str, now: i64) -> ApiResult<ApiError> {
    let key = keys::sms_guard(e164);
    let out = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .update_expression("ADD failures :one SET entity_type = :t, expires_at = :expires")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":t", s("sms_guard"))
        .expression_attribute_values(":expires", n(now + cfg.lock_sec + 86_400))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
        .send()
        .await
        .map_err(db::fault)?;
    let failures = out
        .attributes
        .as_ref()
        .and_then(|a| a.get("failures"))
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1);
    if failures < cfg.max_attempts {
        return Ok(code_invalid(Some(cfg.max_attempts - failures)));
    }
    // Lock, and start the next streak from zero once the window is over.
    let lock = db
        .client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .update_expression("SET locked_until = :until, failures = :zero")
        .condition_expression("failures >= :max")
        .expression_attribute_values(":until", n(now + cfg.lock_sec))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":max", n(cfg.max_attempts))
        .send()
        .await;
    match lock {
        Ok(_) => {}
        // Another wrong try locked it first: same outcome.
        Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {}
        Err(e) => return Err(db::fault(e)),
    }
    Ok(locked(cfg.lock_sec))
}
