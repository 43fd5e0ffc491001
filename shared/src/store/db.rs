//! DynamoDB access: the client (built once per cold start, with bounded timeouts and retries),
//! typed records and the generic reads and writes every concern uses, labelled transactions, and
//! the mapping of SDK failures onto the store's [`Error`].

use crate::store::error::Error;
use crate::store::keys::{self, ENTITY_TYPE, Key, Record};
use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, DeleteRequest, KeysAndAttributes, Put, Select, TransactWriteItem, WriteRequest,
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::time::Duration;

/// An item as DynamoDB holds it. Outside the store it is only read (the catalog tool diffs them).
pub type Item = HashMap<String, AttributeValue>;

/// One write of a transaction, built by a named operation of the store.
pub type Write = TransactWriteItem;

/// The item of `record` at `key`.
pub fn item<R: Record>(key: &Key, record: &R) -> Item {
    let mut item = encode(record);
    item.extend(key.to_map());
    item.insert(ENTITY_TYPE.to_string(), s(R::ENTITY));
    item
}

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
        let ms = |var, default: Duration| {
            crate::support::config::or(var, default.as_millis() as u64).map(Duration::from_millis).unwrap_or(default)
        };
        Self { attempt: ms("DYNAMODB_ATTEMPT_TIMEOUT_MS", Self::DEPLOYED.attempt), total: ms("DYNAMODB_TIMEOUT_MS", Self::DEPLOYED.total) }
    }
}

/// One SDK configuration for every AWS client of a function, built once per cold start.
pub async fn sdk_config() -> SdkConfig {
    sdk_config_with(Timeouts::from_env()).await
}

pub async fn sdk_config_with(timeouts: Timeouts) -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(500))
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.total)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .http_client(crate::store::tls::https_client());
    // Lambda puts the role's credentials and the region in the environment: then no profile file
    // is read and no other credential source (web identity, ECS, IMDS) is set up behind them.
    // Elsewhere (the catalog tool on a laptop) the whole default chain applies.
    let from_environment = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"].iter().all(|v| std::env::var_os(v).is_some());
    let loader = if from_environment {
        loader
            .profile_files(EnvConfigFiles::builder().with_contents(EnvConfigFileKind::Config, "").build())
            .credentials_provider(EnvironmentVariableCredentialsProvider::new())
            .region(EnvironmentVariableRegionProvider::new())
    } else {
        loader
    };
    loader.load().await
}

/// How long init may spend opening the DynamoDB connection: DNS, TCP, TLS and one small read.
pub const WARM_WITHIN: Duration = Duration::from_millis(500);

#[derive(Clone, Debug)]
pub struct Db {
    pub(super) client: Client,
    pub(super) table: String,
}

impl Db {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self::with_client(Client::new(sdk), table)
    }

    pub fn with_client(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// The table named by `TABLE_NAME`, through a client built from `sdk`.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, crate::support::config::ConfigError> {
        Ok(Self::new(sdk, crate::support::config::Common::from_env()?.table_name))
    }

    /// Opens the connection to DynamoDB during init, which Lambda runs at full CPU, so the first
    /// request finds it open instead of paying DNS, TCP and TLS (and the SDK's first-use setup)
    /// on a throttled CPU. One GetItem of a key where nothing is stored (the table read every
    /// function may do already), no retry, within `WARM_WITHIN`. A failure only leaves that work
    /// to the first request: it is logged and never stops the cold start.
    pub async fn warm(&self) {
        let started = std::time::Instant::now();
        let once = aws_sdk_dynamodb::Config::builder()
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(WARM_WITHIN).build());
        let get = self.client.get_item().table_name(&self.table).set_key(Some(keys::nothing().to_map()));
        match get.customize().config_override(once).send().await {
            Ok(_) => tracing::debug!(ms = started.elapsed().as_millis() as u64, "DynamoDB connection opened during init"),
            Err(e) => {
                tracing::warn!(error = %DisplayErrorContext(&e), "DynamoDB connection not opened during init; the first request will")
            }
        }
    }

    /// A strongly consistent GetItem, decoded.
    pub async fn get<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, Error> {
        let out =
            self.client.get_item().table_name(&self.table).set_key(Some(key.to_map())).consistent_read(true).send().await.map_err(fault)?;
        out.item.map(|item| decode(item)).transpose()
    }
}

pub fn decode<T: DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(|e| {
        tracing::error!(error = %e, "stored item does not decode");
        Error::Internal
    })
}

/// Decodes an item a read may not have found.
pub fn decode_opt<T: DeserializeOwned>(item: Option<Item>) -> Result<Option<T>, Error> {
    item.map(decode).transpose()
}

pub fn encode<T: serde::Serialize>(value: &T) -> Item {
    // Our item structs are plain records; serde_dynamo cannot fail on them.
    serde_dynamo::to_item(value).expect("item encodes")
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The GSI1 attributes that index an item under its owner.
pub(super) fn owner_index(owner: &Key) -> Item {
    use crate::store::keys::{GSI1PK, GSI1SK};
    Item::from([(GSI1PK.to_string(), s(&owner.pk)), (GSI1SK.to_string(), s(&owner.sk))])
}

/// The text of an attribute, if it is one.
pub fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// The key of a stored item.
pub fn key_of(item: &Item) -> Option<Key> {
    Some(Key { pk: text(item, crate::store::keys::PK)?.to_string(), sk: text(item, crate::store::keys::SK)?.to_string() })
}

/// Maps an SDK failure: out of reach, throttled or a server fault → 503; anything else is a bug
/// of ours → 500. Either way the cause is logged here and never shown to the client.
pub(super) fn fault<E>(err: SdkError<E, HttpResponse>) -> Error
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    const THROTTLED: &[&str] = &["ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"];
    let unavailable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => e.raw().status().is_server_error() || e.err().code().is_some_and(|c| THROTTLED.contains(&c)),
        _ => false,
    };
    tracing::error!(error = %DisplayErrorContext(&err), unavailable, "dynamodb call failed");
    if unavailable { Error::Unavailable } else { Error::Internal }
}

/// What an item of a transaction is, so a cancellation is reported by the items whose
/// conditions failed — never by their position in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxItem {
    /// The caller's login (its refresh-token family) is still alive.
    LoginAlive,
    /// The idempotency record this request completes.
    Idempotency,
    User,
    Identity,
    Login,
    RefreshToken,
    RefreshFamily,
    /// The refresh token a rotation issues.
    Successor,
    SmsCode,
    SmsGuard,
    SmsKnownDevice,
    /// An SMS send cap (`keys::sms_cap`).
    SmsCap(crate::store::keys::SmsCapScope),
    Profile,
    ProfileVersion,
    Competition,
    Registration,
    /// The release a launch freezes is still the event's current one.
    CurrentRelease,
    /// The user's count of sessions launched, below the allowance.
    SessionAllowance,
    Session,
    Punch,
    Batch,
    Result,
    BoardEntry,
}

/// A TransactWriteItems request whose items carry their [`TxItem`].
#[derive(Debug, Clone, Default)]
pub struct Tx {
    labels: Vec<TxItem>,
    items: Vec<TransactWriteItem>,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, label: TxItem, item: TransactWriteItem) -> &mut Self {
        self.labels.push(label);
        self.items.push(item);
        self
    }

    pub fn with(mut self, label: TxItem, item: TransactWriteItem) -> Self {
        self.push(label, item);
        self
    }

    pub fn labels(&self) -> impl Iterator<Item = TxItem> + '_ {
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
    /// The items whose conditions failed.
    Conditions(Vec<TxItem>),
    Store(Error),
}

impl TxError {
    /// Whether the item `label` is among those whose condition failed.
    pub fn failed(&self, label: TxItem) -> bool {
        matches!(self, TxError::Conditions(failed) if failed.contains(&label))
    }
}

impl From<TxError> for Error {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Store(e) => e,
            TxError::Conditions(failed) => {
                tracing::error!(?failed, "transaction condition failed where none was expected");
                Error::Internal
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
                _ => return Err(TxError::Store(fault(err))),
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
    pub async fn batch_get<const N: usize>(&self, keys: [Key; N]) -> Result<[Option<Item>; N], Error> {
        let mut found = self.get_many(&keys).await?.into_iter();
        Ok(std::array::from_fn(|_| found.next().flatten()))
    }

    /// Reads any number of items (strongly consistent, 100 a request), answered in the order
    /// asked. Unprocessed keys come back under throttling: a few quick retries, then a 503.
    pub async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, Error> {
        self.get_many_within(keys, 4).await
    }

    /// The same with `attempts` tries per 100 keys, backing off up to a second between them: for
    /// bulk reads (the catalog tool), where waiting out throttling beats failing.
    pub async fn get_many_within(&self, keys: &[Key], attempts: u64) -> Result<Vec<Option<Item>>, Error> {
        let mut found: HashMap<Key, Item> = HashMap::new();
        for chunk in keys.chunks(100) {
            let mut pending: Vec<Item> = chunk.iter().map(Key::to_map).collect();
            for attempt in 0..attempts {
                if pending.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(jitter((20 * attempt).min(1000)))).await;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .expect("keys are set");
                let out = self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(fault)?;
                for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    if let Some(key) = key_of(&item) {
                        found.insert(key, item);
                    }
                }
                pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(Error::Unavailable);
            }
        }
        Ok(keys.iter().map(|k| found.remove(k)).collect())
    }

    /// A strongly consistent Query of one partition in sort-key order, up to `limit` items. One
    /// round trip unless the partition's answer exceeds DynamoDB's 1 MB page.
    pub async fn query(&self, pk: &str, range: Range<'_>, limit: Option<usize>) -> Result<Vec<Item>, Error> {
        self.query_on(None, pk, range, limit).await
    }

    /// The same on the GSI1 index (eventually consistent, as every GSI read).
    pub async fn query_gsi1(&self, pk: &str, range: Range<'_>, limit: Option<usize>) -> Result<Vec<Item>, Error> {
        self.query_on(Some(crate::store::keys::GSI1), pk, range, limit).await
    }

    /// The same on the live index, GSI2.
    pub async fn query_gsi2(&self, pk: &str, range: Range<'_>) -> Result<Vec<Item>, Error> {
        self.query_on(Some(crate::store::keys::GSI2), pk, range, None).await
    }

    async fn query_on(&self, index: Option<&str>, pk: &str, range: Range<'_>, limit: Option<usize>) -> Result<Vec<Item>, Error> {
        use crate::store::keys::{GSI1, GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK};
        let (pk_name, sk_name) = match index {
            None => (PK, SK),
            Some(GSI1) => (GSI1PK, GSI1SK),
            Some(_) => (GSI2PK, GSI2SK),
        };
        let (condition, sk) = match range {
            Range::All => ("#pk = :pk", None),
            Range::Below(sk) => ("#pk = :pk AND #sk < :sk", Some(sk)),
            Range::Prefix(sk) => ("#pk = :pk AND begins_with(#sk, :sk)", Some(sk)),
            Range::Between(from, _) => ("#pk = :pk AND #sk BETWEEN :sk AND :to", Some(from)),
        };
        let to = match range {
            Range::Between(_, to) => Some(s(to)),
            _ => None,
        };
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .consistent_read(index.is_none())
                .select(Select::AllAttributes)
                .key_condition_expression(condition)
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start);
            if let Some(to) = &to {
                q = q.expression_attribute_values(":to", to.clone());
            }
            if let Some(sk) = sk {
                q = q.expression_attribute_names("#sk", sk_name).expression_attribute_values(":sk", s(sk));
            }
            if let Some(limit) = limit {
                q = q.limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX));
            }
            let out = q.send().await.map_err(fault)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() || limit.is_some_and(|l| items.len() >= l) {
                return Ok(items);
            }
        }
    }
}

/// How many requests a bulk operation (an account's deletion) keeps in flight.
pub const CONCURRENT_REQUESTS: usize = 8;

impl Db {
    /// `keys_of`, for a stream of partitions.
    pub async fn keys_in(&self, pk: String) -> Result<Vec<Key>, Error> {
        self.keys_of(&pk).await
    }

    /// The keys of every item of one partition (a Query projecting only them: what a deletion
    /// needs of a session's hours of track), strongly consistent.
    pub async fn keys_of(&self, pk: &str) -> Result<Vec<Key>, Error> {
        use crate::store::keys::{PK, SK};
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk")
                .projection_expression("#pk, #sk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(fault)?;
            found.extend(out.items.unwrap_or_default().iter().filter_map(key_of));
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(found);
            }
        }
    }
}

/// Which part of an item collection a Query reads.
#[derive(Debug, Clone, Copy)]
pub enum Range<'a> {
    All,
    /// Sort keys below this one (a competition's own record and links, not its registrations).
    Below(&'a str),
    Prefix(&'a str),
    /// Sort keys from the first to the second, both included.
    Between(&'a str, &'a str),
}

/// Where a page of GSI1 starts: after the item at `key`, indexed at `index` (its GSI1 key).
#[derive(Debug, Clone)]
pub struct After {
    pub key: Key,
    pub index: Key,
}

impl Db {
    /// One page (one Query) of what `owner_pk` owns under `prefix` on GSI1, newest first,
    /// after `after`; and whether more follow.
    pub async fn owned_page(&self, owner_pk: &str, prefix: &str, limit: usize, after: Option<After>) -> Result<(Vec<Item>, bool), Error> {
        self.gsi1_page(owner_pk, Some(prefix), false, limit, after).await
    }

    /// One page (one Query) of GSI1 under `pk` (and `prefix`), in sort-key order or its reverse,
    /// after `after`; and whether more follow.
    pub(super) async fn gsi1_page(
        &self,
        pk: &str,
        prefix: Option<&str>,
        ascending: bool,
        limit: usize,
        after: Option<After>,
    ) -> Result<(Vec<Item>, bool), Error> {
        use crate::store::keys::{GSI1, GSI1PK, GSI1SK};
        let start = after.map(|a| {
            let mut start = a.key.to_map();
            start.extend(owner_index(&a.index));
            start
        });
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_values(":pk", s(pk));
        if let Some(prefix) = prefix {
            query = query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", GSI1SK)
                .expression_attribute_values(":prefix", s(prefix));
        }
        let out = query
            .scan_index_forward(ascending)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(fault)?;
        let more = out.last_evaluated_key.is_some_and(|k| !k.is_empty());
        Ok((out.items.unwrap_or_default(), more))
    }
}

/// The condition of a write that only creates.
pub(super) const ABSENT: &str = "attribute_not_exists(PK)";

// The writes every concern uses, each written once.
impl Db {
    /// Creates `record` at `key`; the condition fails if an item is there already.
    pub fn put_new<R: Record>(&self, key: &Key, record: &R) -> Write {
        self.put_item(item(key, record), Some(ABSENT))
    }

    /// Creates `record` at `key`, indexed under its owner (`owner`: a `keys::user_*` key) on GSI1.
    pub fn put_new_owned<R: Record>(&self, key: &Key, owner: &Key, record: &R) -> Write {
        let mut item = item(key, record);
        item.extend(owner_index(owner));
        self.put_item(item, Some(ABSENT))
    }

    /// Writes `record` at `key`, whatever was there.
    pub fn put<R: Record>(&self, key: &Key, record: &R) -> Write {
        self.put_item(item(key, record), None)
    }

    pub(super) fn put_item(&self, item: Item, condition: Option<&str>) -> Write {
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).set_condition_expression(condition.map(str::to_owned));
        TransactWriteItem::builder().put(put.build().expect("table and item are set")).build()
    }

    /// A transaction's condition that an item exists at `key`.
    pub fn exists(&self, key: &Key) -> Write {
        let check =
            ConditionCheck::builder().table_name(&self.table).set_key(Some(key.to_map())).condition_expression("attribute_exists(PK)");
        TransactWriteItem::builder().condition_check(check.build().expect("table, key and condition are set")).build()
    }

    /// A transaction's delete of the item at `key`, on the condition that it exists.
    pub fn delete_existing(&self, key: &Key) -> Write {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key.to_map()))
            .condition_expression("attribute_exists(PK)")
            .build()
            .expect("delete is complete");
        TransactWriteItem::builder().delete(delete).build()
    }

    /// Deletes every item at `keys` (those already gone included), 25 to a BatchWriteItem, a few
    /// requests at once. Not a transaction: nothing across the items must hold together, and a
    /// transaction would cost twice the writes.
    pub async fn delete_all(&self, keys: &[Key]) -> Result<(), Error> {
        use futures::{StreamExt, TryStreamExt};
        let mut unique: Vec<Key> = keys.to_vec();
        unique.sort();
        unique.dedup();
        let chunks: Vec<Vec<Key>> = unique.chunks(25).map(<[Key]>::to_vec).collect();
        futures::stream::iter(chunks).map(|chunk| self.delete_batch(chunk)).buffer_unordered(CONCURRENT_REQUESTS).try_collect().await
    }

    /// Deletes the items at `keys` (at most 25) in one BatchWriteItem, sending again what
    /// DynamoDB leaves unprocessed (throttling) after a growing pause.
    async fn delete_batch(&self, keys: Vec<Key>) -> Result<(), Error> {
        let delete = |key: &Key| {
            let request = DeleteRequest::builder().set_key(Some(key.to_map())).build().expect("key is set");
            WriteRequest::builder().delete_request(request).build()
        };
        let mut requests: Vec<WriteRequest> = keys.iter().map(delete).collect();
        for attempt in 0..8 {
            let out = self.client.batch_write_item().request_items(&self.table, requests).send().await.map_err(fault)?;
            requests = out.unprocessed_items.and_then(|mut left| left.remove(&self.table)).unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(jitter(20 << attempt))).await;
        }
        Err(Error::Unavailable)
    }
}

/// An update of named attributes: SET these, SET those only where absent, REMOVE others. The
/// one place attribute names become expression placeholders.
#[derive(Debug, Clone, Default)]
pub struct Assign {
    pub set: Item,
    pub set_if_absent: Item,
    pub remove: Vec<String>,
}

impl Assign {
    /// The update expression with its names and values (placeholders `#aN`, `:aN`).
    pub(super) fn expression(&self) -> (String, HashMap<String, String>, Item) {
        let (mut names, mut values, mut sets) = (HashMap::new(), Item::new(), Vec::new());
        let mut sorted: Vec<(&String, &AttributeValue, bool)> =
            self.set.iter().map(|(k, v)| (k, v, false)).chain(self.set_if_absent.iter().map(|(k, v)| (k, v, true))).collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (i, (name, value, if_absent)) in sorted.into_iter().enumerate() {
            names.insert(format!("#a{i}"), name.clone());
            values.insert(format!(":a{i}"), value.clone());
            sets.push(if if_absent { format!("#a{i} = if_not_exists(#a{i}, :a{i})") } else { format!("#a{i} = :a{i}") });
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !self.remove.is_empty() {
            let removes: Vec<String> = self
                .remove
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    names.insert(format!("#r{i}"), name.clone());
                    format!("#r{i}")
                })
                .collect();
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        (expression, names, values)
    }
}
