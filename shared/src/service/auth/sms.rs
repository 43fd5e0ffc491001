//! SMS verification codes: who may get one (allow-listed country, cooldown, daily caps), how it
//! is delivered (SNS, or a configured test number), and how a try is judged (keyed hash,
//! expiry, single use, lockout after repeated wrong tries).

use crate::clients::sns;
use crate::model::identity::{CodeItem, GuardItem, KnownDevice};
use crate::store::db::{Db, Tx, TxError, TxItem, Write};
use crate::store::keys::{self, Key, SmsCapScope};
use crate::store::sms::{self as store, Counter};
use crate::support::clock;
use crate::support::config::{self, ConfigError};
use crate::support::crypto;
use crate::support::error::{ApiError, ApiResult, ErrorCode};
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
    /// What a device that has logged in with the mobile may still get once the mobile's cap is spent.
    pub daily_reserve_per_known_device: i64,
    pub hourly_per_ip: i64,
    /// Every send of the deployment in one hour: past it sends are refused and an alarm line logged.
    pub hourly_global: i64,
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
    /// The deployed defaults (template.yaml's), with `hash_key`: no test number, +86 only.
    pub fn defaults(hash_key: Vec<u8>) -> Self {
        Self {
            hash_key,
            code_ttl_sec: 300,
            cooldown_sec: 60,
            max_attempts: 5,
            lock_sec: 900,
            daily_per_mobile: 10,
            daily_per_device: 20,
            daily_reserve_per_known_device: 3,
            hourly_per_ip: 20,
            hourly_global: 1000,
            allowed_country_codes: vec!["86".into()],
            template: "Your verification code is {code}. It expires in {minutes} minutes.".into(),
            test_numbers: HashMap::new(),
            sender_id: None,
        }
    }

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
        let d = Self::defaults(config::secret("SMS_HASH_KEY")?);
        Ok(Self {
            code_ttl_sec: config::or("SMS_CODE_TTL_SEC", d.code_ttl_sec)?,
            cooldown_sec: config::or("SMS_COOLDOWN_SEC", d.cooldown_sec)?,
            max_attempts: config::or("SMS_MAX_ATTEMPTS", d.max_attempts)?,
            lock_sec: config::or("SMS_LOCK_SEC", d.lock_sec)?,
            daily_per_mobile: config::or("SMS_DAILY_LIMIT_PER_MOBILE", d.daily_per_mobile)?,
            daily_per_device: config::or("SMS_DAILY_LIMIT_PER_DEVICE", d.daily_per_device)?,
            daily_reserve_per_known_device: config::or("SMS_DAILY_RESERVE_PER_KNOWN_DEVICE", d.daily_reserve_per_known_device)?,
            hourly_per_ip: config::or("SMS_HOURLY_LIMIT_PER_IP", d.hourly_per_ip)?,
            hourly_global: config::or("SMS_HOURLY_LIMIT_GLOBAL", d.hourly_global)?,
            allowed_country_codes: list(config::or("SMS_ALLOWED_COUNTRY_CODES", d.allowed_country_codes.join(","))?),
            template: config::or("SMS_MESSAGE_TEMPLATE", d.template.clone())?,
            test_numbers,
            sender_id: config::optional("SMS_SENDER_ID"),
            ..d
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

    /// The text of the SMS that carries `code`.
    fn message(&self, code: &str) -> String {
        self.template.replace("{code}", code).replace("{minutes}", &(self.code_ttl_sec / 60).to_string())
    }

    fn code_hash(&self, e164: &str, code: &str) -> String {
        crypto::keyed_hash(&self.hash_key, &["sms-code", e164, code])
    }
}

/// What a successful send tells the client.
#[derive(Debug, serde::Serialize)]
pub struct Sent {
    pub cooldown_sec: i64,
    pub expires_in_sec: i64,
}

/// Who asks for a code: the caller-chosen device and the source address API Gateway saw.
pub struct Requester<'a> {
    pub device_id: &'a str,
    pub source_ip: &'a str,
}

/// One counter a send must stay under, claimed in the send's transaction and undone with it.
struct Cap {
    label: TxItem,
    key: Key,
    limit: i64,
    expires_at: i64,
}

impl Cap {
    fn daily(label: TxItem, scope: SmsCapScope, value: &str, limit: i64, now: i64) -> Self {
        let expires_at = now + clock::until_midnight(now) + 3600;
        Self { label, key: keys::sms_cap(scope, value, &clock::day(now)), limit, expires_at }
    }

    fn hourly(label: TxItem, scope: SmsCapScope, value: &str, limit: i64, now: i64) -> Self {
        let expires_at = now + clock::until_next_hour(now) + 3600;
        Self { label, key: keys::sms_cap(scope, value, &clock::hour(now)), limit, expires_at }
    }

    fn claim(&self, db: &Db) -> Write {
        store::count(db, &Counter { key: &self.key, limit: self.limit, expires_at: self.expires_at })
    }
}

// The items of a send's transaction.
const COOLDOWN: TxItem = TxItem::SmsCode;
const MOBILE_DAY: TxItem = TxItem::SmsCap(SmsCapScope::Mobile);
const DEVICE_DAY: TxItem = TxItem::SmsCap(SmsCapScope::Device);
const KNOWN_DEVICE: TxItem = TxItem::SmsKnownDevice;
const KNOWN_DEVICE_DAY: TxItem = TxItem::SmsCap(SmsCapScope::KnownDevice);
const IP_HOUR: TxItem = TxItem::SmsCap(SmsCapScope::SourceIp);
const GLOBAL_HOUR: TxItem = TxItem::SmsCap(SmsCapScope::Global);

fn active(code: &CodeItem, now: i64) -> bool {
    code.consumed_at.is_none() && code.expires_at > now
}

/// Issues a code to `e164`: claims the cooldown and every cap in one transaction, then delivers
/// it; if delivery fails, the claim is undone so the client can retry at once.
///
/// The mobile's daily cap is shared by every device, so a stranger rotating `device_id` could
/// spend it; a device that has logged in with this mobile before then draws on a reserve of its
/// own (a second transaction, only on that path). The source IP and global caps cannot be
/// rotated by the caller at all.
pub async fn send(db: &Db, sns: &aws_sdk_sns::Client, cfg: &SmsConfig, e164: &str, who: &Requester<'_>, now: i64) -> ApiResult<Sent> {
    let test_code = cfg.test_numbers.get(e164);
    let code = test_code.cloned().unwrap_or_else(|| crypto::random_digits(6));
    let code_hash = cfg.code_hash(e164, &code);
    let code_key = keys::sms_code(e164);
    let stored = CodeItem { code_hash: code_hash.clone(), sent_at: now, expires_at: now + cfg.code_ttl_sec, consumed_at: None };
    let claim_code = store::claim_code(db, e164, &stored, now - cfg.cooldown_sec);
    let always = [
        Cap::daily(DEVICE_DAY, SmsCapScope::Device, who.device_id, cfg.daily_per_device, now),
        Cap::hourly(IP_HOUR, SmsCapScope::SourceIp, who.source_ip, cfg.hourly_per_ip, now),
        Cap::hourly(GLOBAL_HOUR, SmsCapScope::Global, "*", cfg.hourly_global, now),
    ];
    let mobile = Cap::daily(MOBILE_DAY, SmsCapScope::Mobile, e164, cfg.daily_per_mobile, now);
    let pair = format!("{e164}#{}", who.device_id);
    let reserve = Cap::daily(KNOWN_DEVICE_DAY, SmsCapScope::KnownDevice, &pair, cfg.daily_reserve_per_known_device, now);
    let mut claimed = Vec::new();
    for pool in [mobile, reserve] {
        let mut tx = Tx::new().with(COOLDOWN, claim_code.clone());
        if pool.label == KNOWN_DEVICE_DAY {
            tx.push(KNOWN_DEVICE, store::known_device(db, e164, who.device_id));
        }
        for cap in always.iter().chain([&pool]) {
            tx.push(cap.label, cap.claim(db));
        }
        match db.transact(tx).await {
            Ok(()) => {
                claimed = always.iter().chain([&pool]).map(|cap| (cap.label, store::uncount(db, &cap.key))).collect();
                break;
            }
            Err(TxError::Conditions(failed)) if failed == [MOBILE_DAY] => continue,
            Err(TxError::Conditions(failed)) => return Err(refusal(db, cfg, &code_key, &failed, now).await),
            Err(TxError::Store(e)) => return Err(e.into()),
        }
    }
    if test_code.is_none()
        && let Err(e) = sns::deliver(sns, &cfg.message(&code), e164, cfg.sender_id.as_deref()).await
    {
        tracing::error!(error = %e, "SMS delivery failed; undoing the send");
        let mut undo = Tx::new().with(COOLDOWN, store::unclaim_code(db, e164, &code_hash));
        for (label, item) in claimed {
            undo.push(label, item);
        }
        if let Err(e) = db.transact(undo).await {
            tracing::error!(?e, "could not undo a failed SMS send");
        }
        return Err(ApiError::of(ErrorCode::SmsSendFailed));
    }
    Ok(Sent { cooldown_sec: cfg.cooldown_sec, expires_in_sec: cfg.code_ttl_sec })
}

/// The answer to a send whose transaction was refused, most specific rule first.
async fn refusal(db: &Db, cfg: &SmsConfig, code_key: &Key, failed: &[TxItem], now: i64) -> ApiError {
    if failed.contains(&GLOBAL_HOUR) {
        // Alarm-ready: a metric filter on this line pages the operator (see template.yaml).
        tracing::error!(alarm = "sms_global_hourly_ceiling", limit = cfg.hourly_global, "SMS sends refused: global hourly ceiling reached");
    }
    if failed.contains(&COOLDOWN) {
        let sent_at = match db.get::<CodeItem>(code_key).await {
            Ok(code) => code.map(|c| c.sent_at).unwrap_or(now),
            Err(e) => return e.into(),
        };
        ApiError::too_many(ErrorCode::SmsCooldown, sent_at + cfg.cooldown_sec - now)
    } else if [MOBILE_DAY, DEVICE_DAY, KNOWN_DEVICE, KNOWN_DEVICE_DAY].iter().any(|l| failed.contains(l)) {
        ApiError::too_many(ErrorCode::SmsDailyLimit, clock::until_midnight(now))
    } else if failed.contains(&IP_HOUR) {
        ApiError::too_many(ErrorCode::SmsIpLimit, clock::until_next_hour(now))
    } else {
        ApiError::too_many(ErrorCode::SmsGlobalLimit, clock::until_next_hour(now))
    }
}

/// A code the caller may spend: the writes that consume it, clear the failure streak and
/// remember the device, for the login transaction.
pub struct Verified {
    pub consume: Tx,
}

/// How long a device that logged in with a mobile counts as known to it.
const KNOWN_DEVICE_TTL_SEC: i64 = 180 * 86_400;

/// Judges `code` against what was read. A wrong code counts toward the lockout while a code is
/// active (sent, unspent, unexpired) — across resends, so guessing gains nothing; with no active
/// code no guess can succeed, so a stranger's wrong codes cannot lock the owner out.
#[allow(clippy::too_many_arguments)]
pub async fn verify(
    db: &Db,
    cfg: &SmsConfig,
    e164: &str,
    code: &str,
    device_id: &str,
    stored: Option<CodeItem>,
    guard: Option<GuardItem>,
    now: i64,
) -> ApiResult<Verified> {
    let guard = guard.unwrap_or_default();
    if let Some(until) = guard.locked_until.filter(|&t| t > now) {
        return Err(locked(until - now));
    }
    let hash = cfg.code_hash(e164, code);
    let matches = stored.as_ref().is_some_and(|c| crypto::equal(&c.code_hash, &hash));
    if !matches {
        return Err(match stored.is_some_and(|c| active(&c, now)) {
            true => record_failure(db, cfg, e164, now).await?,
            false => code_invalid(None),
        });
    }
    let stored = stored.expect("matched");
    if stored.consumed_at.is_some() {
        return Err(code_invalid(None));
    }
    if stored.expires_at <= now {
        return Err(ApiError::of(ErrorCode::SmsCodeExpired));
    }
    let known = KnownDevice { logged_in_at: now, expires_at: now + KNOWN_DEVICE_TTL_SEC };
    let consume = Tx::new()
        .with(TxItem::SmsCode, store::consume_code(db, e164, &hash, now))
        .with(TxItem::SmsGuard, store::clear_streak(db, e164, now))
        .with(TxItem::SmsKnownDevice, store::remember_device(db, e164, device_id, &known));
    Ok(Verified { consume })
}

/// The answer when the login transaction finds the code spent (or the mobile locked) after all.
pub fn spent_meanwhile() -> ApiError {
    code_invalid(None)
}

fn code_invalid(attempts_remaining: Option<i64>) -> ApiError {
    let err = ApiError::of(ErrorCode::SmsCodeInvalid);
    match attempts_remaining {
        Some(left) => err.with_details(json!({ "field": "sms_code", "attempts_remaining": left })),
        None => err.with_details(json!({ "field": "sms_code" })),
    }
}

fn locked(retry_after: i64) -> ApiError {
    ApiError::too_many(ErrorCode::SmsCodeAttemptsExceeded, retry_after)
}

/// A mobile's wrong-code lock, as seen by a login whose `login_request_id` comes back: a login's
/// idempotency record holds live tokens, so replaying it is a code check like any other.
pub struct Lockout<'a> {
    pub db: &'a Db,
    pub cfg: &'a SmsConfig,
    pub e164: &'a str,
}

impl Lockout<'_> {
    /// A locked mobile gets no replay.
    pub async fn ensure_unlocked(&self, now: i64) -> ApiResult<()> {
        let guard = store::guard(self.db, self.e164).await?.unwrap_or_default();
        match guard.locked_until.filter(|&t| t > now) {
            Some(until) => Err(locked(until - now)),
            None => Ok(()),
        }
    }

    /// The key came back with another payload (another code, most likely): a wrong try.
    pub async fn count_reused_key(&self, now: i64) -> ApiError {
        if let Err(e) = self.ensure_unlocked(now).await {
            return e;
        }
        match record_failure(self.db, self.cfg, self.e164, now).await {
            Ok(err) if err.code == ErrorCode::SmsCodeAttemptsExceeded => err,
            Ok(err) => ApiError::of(ErrorCode::IdempotencyKeyReused)
                .with_details(json!({ "attempts_remaining": err.details["attempts_remaining"] })),
            Err(e) => e,
        }
    }
}

/// Counts a wrong try; the try that reaches the limit starts the lock window.
async fn record_failure(db: &Db, cfg: &SmsConfig, e164: &str, now: i64) -> ApiResult<ApiError> {
    let failures = store::count_failure(db, e164, now + cfg.lock_sec + 86_400).await?;
    if failures < cfg.max_attempts {
        return Ok(code_invalid(Some(cfg.max_attempts - failures)));
    }
    // Whether this try or a concurrent one set the lock, the mobile is locked.
    store::lock(db, e164, now + cfg.lock_sec, cfg.max_attempts).await?;
    Ok(locked(cfg.lock_sec))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(countries: &[&str]) -> SmsConfig {
        SmsConfig {
            allowed_country_codes: countries.iter().map(|c| c.to_string()).collect(),
            ..SmsConfig::defaults(b"unit-test-key".to_vec())
        }
    }

    #[test]
    fn mobiles_become_e164_only_for_allowed_countries_and_their_formats() {
        let cfg = config(&["86", "852"]);
        assert_eq!(cfg.e164("86", "15168870729").unwrap(), "+8615168870729");
        assert_eq!(cfg.e164("852", "91234567").unwrap(), "+85291234567");
        let field = |r: ApiResult<String>| r.unwrap_err().details["field"].as_str().unwrap().to_string();
        assert_eq!(field(cfg.e164("1", "2025550123")), "country_code");
        for bad in ["1516887072", "151688707290", "12168870729", "1516887072x", "+8615168870"] {
            assert_eq!(field(cfg.e164("86", bad)), "mobile", "{bad}");
        }
        assert_eq!(field(cfg.e164("852", "123")), "mobile");
    }

    #[test]
    fn codes_are_keyed_hashes_bound_to_the_mobile() {
        let cfg = config(&["86"]);
        assert_ne!(cfg.code_hash("+8615168870729", "123456"), cfg.code_hash("+8615168870728", "123456"));
        assert!(!cfg.code_hash("+8615168870729", "123456").contains("123456"));
    }
}
