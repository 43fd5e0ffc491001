//! DynamoDB access: the client (built once per cold start, with bounded timeouts and retries)
//! and the mapping of SDK failures onto API errors.

use crate::http::error::ApiError;
use crate::store::keys::Key;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, TransactWriteItem};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::time::Duration;

pub type Item = HashMap<String, AttributeValue>;

/// How long a DynamoDB call may take: per attempt, and in all (two attempts at most).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub attempt: Duration,
    pub total: Duration,
}

impl Timeouts {
    /// Tight, so a DynamoDB outage becomes an enveloped 503 in well under 3 s, not a Lambda timeout.
    pub const DEPLOYED: Timeouts = Timeouts { attempt: Duration::from_millis(1_000), total: Duration::from_millis(2_500) };

    /// `DYNAMODB_ATTEMPT_TIMEOUT_MS` / `DYNAMODB_TIMEOUT_MS` loosen them for the local stack only:
    /// moto answers one request at a time, far slower than DynamoDB under a concurrency test.
    pub fn from_env() -> Self {
        let ms = |var, default: Duration| crate::config::or(var, default.as_millis() as u64).map(Duration::from_millis).unwrap_or(default);
        Self { attempt: ms("DYNAMODB_ATTEMPT_TIMEOUT_MS", Self::DEPLOYED.attempt), total: ms("DYNAMODB_TIMEOUT_MS", Self::DEPLOYED.total) }
    }
}

/// One SDK configuration for every AWS client of a function, built once per cold start.
pub async fn sdk_config() -> SdkConfig {
    sdk_config_with(Timeouts::from_env()).await
}

pub async fn sdk_config_with(timeouts: Timeouts) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(500))
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.total)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await
}

#[derive(Clone, Debug)]
pub struct Db {
    pub client: Client,
    pub table: String,
}

impl Db {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self { client: Client::new(sdk), table: table.into() }
    }

    /// The table named by `TABLE_NAME`, through a client built from `sdk`.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, crate::config::ConfigError> {
        Ok(Self::new(sdk, crate::config::Common::from_env()?.table_name))
    }

    /// A strongly consistent GetItem, decoded.
    pub async fn get<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, ApiError> {
        let out =
            self.client.get_item().table_name(&self.table).set_key(Some(key.to_map())).consistent_read(true).send().await.map_err(fault)?;
        out.item.map(|item| decode(item)).transpose()
    }
}

pub fn decode<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(|e| {
        tracing::error!(error = %e, "stored item does not decode");
        ApiError::internal()
    })
}

/// Decodes an item a read may not have found.
pub fn decode_opt<T: DeserializeOwned>(item: Option<Item>) -> Result<Option<T>, ApiError> {
    item.map(decode).transpose()
}

pub fn encode<T: serde::Serialize>(value: &T) -> Item {
    // Our item structs are plain records; serde_dynamo cannot fail on them.
    serde_dynamo::to_item(value).expect("item encodes")
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Maps an SDK failure: out of reach, throttled or a server fault → 503; anything else is a bug
/// of ours → 500. Either way the cause is logged here and never shown to the client.
pub fn fault<E>(err: SdkError<E, HttpResponse>) -> ApiError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let unavailable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => {
            let text = format!("{:?}", e.err());
            e.raw().status().is_server_error() || text.contains("Throttl") || text.contains("RequestLimitExceeded")
        }
        _ => false,
    };
    tracing::error!(error = %DisplayErrorContext(&err), unavailable, "dynamodb call failed");
    if unavailable { ApiError::unavailable() } else { ApiError::internal() }
}

/// A TransactWriteItems request whose items carry names, so a cancellation is reported by the
/// names of the items whose conditions failed — never by their position in the request.
#[derive(Debug, Clone, Default)]
pub struct Tx {
    labels: Vec<&'static str>,
    items: Vec<TransactWriteItem>,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, label: &'static str, item: TransactWriteItem) -> &mut Self {
        self.labels.push(label);
        self.items.push(item);
        self
    }

    pub fn with(mut self, label: &'static str, item: TransactWriteItem) -> Self {
        self.push(label, item);
        self
    }

    pub fn labels(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.labels.iter().copied()
    }

    pub fn append(&mut self, other: Tx) -> &mut Self {
        self.labels.extend(other.labels);
        self.items.extend(other.items);
        self
    }
}

/// Why a transaction did not commit.
#[derive(Debug)]
pub enum TxError {
    /// The names of the items whose conditions failed.
    Conditions(Vec<&'static str>),
    Api(ApiError),
}

impl TxError {
    /// Whether the item named `label` is among those whose condition failed.
    pub fn failed(&self, label: &str) -> bool {
        matches!(self, TxError::Conditions(failed) if failed.contains(&label))
    }
}

impl From<TxError> for ApiError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Api(e) => e,
            TxError::Conditions(failed) => {
                tracing::error!(?failed, "transaction condition failed where none was expected");
                ApiError::internal()
            }
        }
    }
}

impl Db {
    /// TransactWriteItems. A `TransactionConflict` (another transaction on the same item right
    /// now) is retried with jitter: under load it is contention, not the caller's fault.
    pub async fn transact(&self, tx: Tx) -> Result<(), TxError> {
        let mut attempt = 0;
        loop {
            let err = match self.client.transact_write_items().set_transact_items(Some(tx.items.clone())).send().await {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            let codes: Option<Vec<String>> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                    Some(e.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_string()).collect())
                }
                _ => None,
            };
            match codes {
                Some(codes) if codes.iter().any(|c| c == "TransactionConflict") && attempt < 8 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(jitter(10 * attempt))).await;
                }
                Some(codes) if codes.iter().all(|c| c == "None" || c == "ConditionalCheckFailed") => {
                    let failed = tx.labels.iter().zip(&codes).filter(|(_, c)| *c == "ConditionalCheckFailed").map(|(l, _)| *l);
                    return Err(TxError::Conditions(failed.collect()));
                }
                _ => return Err(TxError::Api(fault(err))),
            }
        }
    }
}

/// A random delay in `0..=max_ms`, to spread retries of contended writes.
pub fn jitter(max_ms: u64) -> u64 {
    let mut b = [0u8; 8];
    // A failing system RNG only makes the delay predictable, never wrong.
    let _ = aws_lc_rs::rand::fill(&mut b);
    u64::from_le_bytes(b) % (max_ms + 1)
}

impl Db {
    /// Reads several items in one round trip (strongly consistent), answered in the order asked.
    pub async fn batch_get<const N: usize>(&self, keys: [Key; N]) -> Result<[Option<Item>; N], ApiError> {
        let mut found: [Option<Item>; N] = std::array::from_fn(|_| None);
        let mut pending: Vec<HashMap<String, AttributeValue>> = keys.iter().map(Key::to_map).collect();
        // Unprocessed keys come back under throttling; a few quick retries, then a 503.
        for attempt in 0..4 {
            if pending.is_empty() {
                return Ok(found);
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(jitter(20 * attempt))).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .expect("keys are set");
            let out = self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(fault)?;
            for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                let at = keys.iter().position(|k| {
                    item.get(crate::store::keys::PK).and_then(|v| v.as_s().ok()) == Some(&k.pk)
                        && item.get(crate::store::keys::SK).and_then(|v| v.as_s().ok()) == Some(&k.sk)
                });
                if let Some(at) = at {
                    found[at] = Some(item);
                }
            }
            pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
        }
        if pending.is_empty() { Ok(found) } else { Err(ApiError::unavailable()) }
    }
}
