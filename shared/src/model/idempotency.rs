//! An idempotent request as stored (`login_request_id`, `launch_request_id`): claimed while it
//! runs, then its sealed answer.

use serde::{Deserialize, Serialize};

crate::plain_enum! {
    /// Where an idempotent request is: claimed and running, or answered.
    pub enum Status {
        InProgress = "INPROGRESS",
        Completed = "COMPLETED",
    }
}

/// An idempotency record (`keys::idempotency`).
#[derive(Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub status: Status,
    pub payload_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<String>,
    /// An in-flight claim blocks retries until then; past it the claimer is presumed dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<i64>,
    pub expires_at: i64,
}
