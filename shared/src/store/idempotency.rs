//! Idempotency records (`login_request_id`, `launch_request_id`): claimed with a conditional
//! write (INPROGRESS), completed inside the request's own transaction (COMPLETED, response
//! sealed), replayed for the same key and payload, refused for another payload.

use crate::model::idempotency::{IdempotencyRecord, Status};
use crate::store::db::{self, Db, item, n, s};
use crate::store::error::Error;
use crate::store::keys::{self, IdempotencyScope, Key};
use crate::support::config::{self, ConfigError};
use crate::support::crypto;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use serde::Serialize;

/// How long an in-flight claim blocks a retry before it is presumed dead (the Lambda timeout
/// is shorter), after which the same key may be claimed again.
const LEASE_SEC: i64 = 30;

#[derive(Clone)]
pub struct Idempotency {
    secret: Vec<u8>,
    pub ttl_sec: i64,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency").field("ttl_sec", &self.ttl_sec).finish_non_exhaustive()
    }
}

/// The outcome of a claim: go ahead, answer what the first request answered, the key was used
/// with another payload, or the first request is still running.
pub enum Claim {
    Fresh(Claimed),
    Replay(Replay),
    Reused,
    InProgress,
}

/// A stored answer, and when it was first given.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub data: serde_json::Value,
    pub completed_at: i64,
}

/// A claim this request holds; only its holder can complete or release it.
pub struct Claimed {
    key: Key,
    claim_id: String,
    context: String,
    secret: Vec<u8>,
    claimed_at: i64,
}

impl Idempotency {
    /// Responses are sealed with a key derived from the token secret: a record holds tokens.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(config::secret("JWT_SECRET")?, config::or("IDEMPOTENCY_TTL_SEC", 86_400)?))
    }

    pub fn new(secret: Vec<u8>, ttl_sec: i64) -> Self {
        Self { secret, ttl_sec }
    }

    /// Claims `key` within `scope` for a request whose meaningful fields are `payload`.
    pub async fn claim(&self, db: &Db, scope: IdempotencyScope, key: &str, payload: &[&str], now: i64) -> Result<Claim, Error> {
        let record_key = keys::idempotency(scope, key);
        let mut parts = vec![scope.as_str()];
        parts.extend_from_slice(payload);
        let payload_hash = crypto::keyed_hash(&self.secret, &parts);
        let claim_id = crypto::random_token();
        let record = IdempotencyRecord {
            status: Status::InProgress,
            payload_hash: payload_hash.clone(),
            claim_id: Some(claim_id.clone()),
            lease_until: Some(now + LEASE_SEC),
            response_status: None,
            sealed_response: None,
            completed_at: None,
            expires_at: now + self.ttl_sec,
        };
        let put = db
            .client
            .put_item()
            .table_name(&db.table)
            .set_item(Some(item(&record_key, &record)))
            .condition_expression("attribute_not_exists(PK) OR expires_at <= :now OR (#s = :inprogress AND lease_until <= :now)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":inprogress", s(Status::InProgress.as_str()))
            .send()
            .await;
        match put {
            Ok(_) => {
                let context = format!("{}|{}", record_key.pk, payload_hash);
                Ok(Claim::Fresh(Claimed { key: record_key, claim_id, context, secret: self.secret.clone(), claimed_at: now }))
            }
            Err(e) if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) => {
                self.existing(db, record_key, &payload_hash, claim_id, now).await
            }
            Err(e) => Err(db::fault(e)),
        }
    }

    async fn existing(&self, db: &Db, key: Key, payload_hash: &str, claim_id: String, now: i64) -> Result<Claim, Error> {
        let Some(record) = db.get::<IdempotencyRecord>(&key).await? else {
            // Released between our write and this read: the client may simply retry.
            return Ok(Claim::InProgress);
        };
        // An SDK retry of our own claim (the first attempt landed, its answer was lost) is ours.
        if record.claim_id.as_deref() == Some(claim_id.as_str()) {
            let context = format!("{}|{}", key.pk, payload_hash);
            return Ok(Claim::Fresh(Claimed { key, claim_id, context, secret: self.secret.clone(), claimed_at: now }));
        }
        if !crypto::equal(&record.payload_hash, payload_hash) {
            return Ok(Claim::Reused);
        }
        if record.status != Status::Completed {
            return Ok(Claim::InProgress);
        }
        let context = format!("{}|{}", key.pk, payload_hash);
        let data = record
            .sealed_response
            .and_then(|sealed| crypto::open(&self.secret, &context, &sealed))
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .ok_or_else(|| {
                tracing::error!("idempotency record does not open");
                Error::Internal
            })?;
        Ok(Claim::Replay(Replay { data, completed_at: record.completed_at.unwrap_or(now) }))
    }
}

impl Claimed {
    /// The write that marks the claim COMPLETED with the answer `data`, to go into the request's own
    /// transaction so the effect and its record commit together. The record holds the answer
    /// of `user_id`, so it is indexed under them (and deleted with the account).
    pub fn complete(&self, db: &Db, data: &impl Serialize, user_id: &str) -> TransactWriteItem {
        let sealed = crypto::seal(&self.secret, &self.context, &serde_json::to_vec(data).expect("an answer encodes"));
        let owner = keys::user_request(user_id, &self.key);
        let update = Update::builder()
            .table_name(&db.table)
            .set_key(Some(self.key.to_map()))
            .update_expression(
                "SET #s = :completed, sealed_response = :response, response_status = :code, completed_at = :at, \
                 GSI1PK = :owner_pk, GSI1SK = :owner_sk REMOVE lease_until, claim_id",
            )
            .expression_attribute_values(":owner_pk", s(&owner.pk))
            .expression_attribute_values(":owner_sk", s(&owner.sk))
            .condition_expression("claim_id = :claim")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":completed", s(Status::Completed.as_str()))
            .expression_attribute_values(":response", s(sealed))
            .expression_attribute_values(":code", n(200))
            .expression_attribute_values(":claim", s(&self.claim_id))
            .expression_attribute_values(":at", n(self.claimed_at))
            .build()
            .expect("update has key, table and expression");
        TransactWriteItem::builder().update(update).build()
    }

    /// Gives the key back after a failure, so the client can retry with it.
    pub async fn release(self, db: &Db) {
        let result = db
            .client
            .delete_item()
            .table_name(&db.table)
            .set_key(Some(self.key.to_map()))
            .condition_expression("claim_id = :claim")
            .expression_attribute_values(":claim", s(&self.claim_id))
            .send()
            .await;
        if let Err(e) = result {
            // The lease expires on its own; the client sees request_in_progress until then.
            tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "idempotency claim not released");
        }
    }
}
