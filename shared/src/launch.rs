//! Launching a game session: the checks that decide whether a caller may start one on an
//! event (inside a competition or by direct entry), and the session record that freezes the
//! release and route for the session chain that follows.

use crate::catalog::{CompetitionEvent, CompetitionMeta, EventMeta, Registration};
use crate::crypto;
use crate::db::{self, Db, TxError, encode};
use crate::error::{ApiError, ApiResult};
use crate::keys;
use crate::types::ClientType;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use lambda_http::http::StatusCode;
use serde::Serialize;
use serde_json::json;

/// Where the launch happens: inside a competition, or on the map by direct entry.
#[derive(Debug, Clone, Copy)]
pub enum Venue<'a> {
    Competition(&'a str),
    Direct,
}

/// What the checks settled: the event as it is now and the route to freeze.
pub struct Cleared {
    pub event: EventMeta,
    pub route_code: String,
    /// Conditions that must still hold when the session is written.
    pub guards: Vec<TransactWriteItem>,
}

fn stale(current_release_id: &str) -> ApiError {
    ApiError::conflict("EVENT_RELEASE_STALE", "the release you hold is no longer current; download the current one")
        .with_details(json!({ "current_release_id": current_release_id }))
}

fn event_not_found() -> ApiError {
    ApiError::not_found("event_not_found", "no such event")
}

fn registration_required() -> ApiError {
    ApiError::forbidden("registration_required", "register for the competition before launching")
}

fn check(db: &Db, key: keys::Key, condition: &str, values: &[(&str, &str)]) -> TransactWriteItem {
    let mut check = ConditionCheck::builder().table_name(&db.table).set_key(Some(key.to_map())).condition_expression(condition);
    for (name, value) in values {
        check = check.expression_attribute_values(*name, db::s(*value));
    }
    TransactWriteItem::builder().condition_check(check.build().expect("check is complete")).build()
}

/// Reads what the launch depends on (one round trip) and applies the contract's rules in order.
pub async fn clear(db: &Db, venue: Venue<'_>, event_id: &str, user_id: &str, release_id: &str, route_code: Option<&str>) -> ApiResult<Cleared> {
    let mut guards = Vec::new();
    let event = match venue {
        Venue::Direct => {
            let [event] = db.batch_get([keys::event(event_id)]).await?;
            let event: EventMeta = event.map(db::decode).transpose()?.ok_or_else(event_not_found)?;
            if !event.direct_entry_enabled {
                return Err(ApiError::forbidden("direct_entry_disabled", "this event cannot be entered directly; enter it through its competition"));
            }
            event
        }
        Venue::Competition(competition_id) => {
            let [competition, link, event, registration] = db
                .batch_get([
                    keys::competition(competition_id),
                    keys::competition_event(competition_id, event_id),
                    keys::event(event_id),
                    keys::registration(competition_id, user_id),
                ])
                .await?;
            let competition: CompetitionMeta =
                competition.map(db::decode).transpose()?.ok_or_else(|| ApiError::not_found("competition_not_found", "no such competition"))?;
            let _: CompetitionEvent = link.map(db::decode).transpose()?.ok_or_else(event_not_found)?;
            let event: EventMeta = event.map(db::decode).transpose()?.ok_or_else(event_not_found)?;
            if competition.registration_required {
                let _: Registration = registration.map(db::decode).transpose()?.ok_or_else(registration_required)?;
                guards.push(check(db, keys::registration(competition_id, user_id), "attribute_exists(PK)", &[]));
            }
            event
        }
    };
    if event.current_release_id != release_id {
        return Err(stale(&event.current_release_id));
    }
    // The contract does not check route_code yet; we do, against the frozen release's routes.
    let route_code = match route_code {
        Some(code) if event.route_codes.iter().any(|c| c == code) => code.to_owned(),
        Some(_) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "route_code_unknown", "route_code is not a route of this release")
                .with_details(json!({ "field": "route_code", "route_codes": event.route_codes })));
        }
        // None given: the release's first (default) route.
        None => event.route_codes.first().cloned().unwrap_or_default(),
    };
    // A release published between this read and the write must still fail the launch.
    guards.push(check(db, keys::event(event_id), "current_release_id = :release", &[(":release", release_id)]));
    Ok(Cleared { event, route_code, guards })
}

/// Stable per user and competition (or per user and event for direct entry), without storage.
pub fn participant_id(user_id: &str, venue: Venue<'_>, event_id: &str) -> String {
    let scope = match venue {
        Venue::Competition(competition_id) => format!("competition:{competition_id}"),
        Venue::Direct => format!("event:{event_id}"),
    };
    format!("par_{}", &crypto::sha256_hex(format!("{user_id}|{scope}").as_bytes())[..24])
}

#[derive(Serialize)]
pub struct SessionItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
    pub entity_type: &'static str,
    pub session_id: String,
    pub user_id: String,
    pub participant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competition_id: Option<String>,
    pub event_id: String,
    pub event_release_id: String,
    pub playfield_version_id: String,
    pub route_code: String,
    pub client_type: ClientType,
    pub device_id: String,
    pub status: &'static str,
    pub created_at: i64,
    pub session_token_expires_at: i64,
}

impl SessionItem {
    pub fn put(&self, db: &Db) -> TransactWriteItem {
        let put = Put::builder()
            .table_name(&db.table)
            .set_item(Some(encode(self)))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .expect("put is complete");
        TransactWriteItem::builder().put(put).build()
    }
}

/// Writes the session with its guards and the idempotency completion; a guard that no longer
/// holds is answered as the rule it protects.
pub async fn commit(db: &Db, items: Vec<TransactWriteItem>, guard_count: usize, event_id: &str) -> ApiResult<()> {
    match db.transact(items).await {
        Ok(()) => Ok(()),
        Err(TxError::Conditions(failed)) => {
            let release_guard = guard_count - 1;
            if failed.get(release_guard) == Some(&true) {
                let event: Option<EventMeta> = db.get(&keys::event(event_id)).await?;
                return Err(event.map(|e| stale(&e.current_release_id)).unwrap_or_else(event_not_found));
            }
            if guard_count > 1 && failed[0] {
                return Err(registration_required());
            }
            Err(TxError::Conditions(failed).into())
        }
        Err(e) => Err(e.into()),
    }
}
