//! `registration`: one registration per user per competition, within its window and capacity.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::tokens::Tokens;
use shared::catalog::{self, REGISTERED};
use shared::config::ConfigError;
use shared::http::error::ErrorCode;
use shared::http::request::check_id;
use shared::store::db::{self, Db, Tx, TxError, n};
use shared::store::keys;
use shared::{ApiError, ApiResult, Call, Function, Reply, clock};

/// The largest `form_payload` we keep, as serialized JSON.
pub const MAX_FORM_PAYLOAD_BYTES: usize = 8 * 1024;

pub struct Registration {
    db: Db,
    tokens: Tokens,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    group_id: Option<String>,
    form_payload: Option<Value>,
}

impl Registration {
    pub fn new(db: Db, tokens: Tokens) -> Self {
        Self { db, tokens }
    }

    pub async fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(Db::from_env(&db::sdk_config().await)?, Tokens::from_env()?))
    }
}

impl Function for Registration {
    const NAME: &'static str = "registration";

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let claims = self.tokens.require(&call)?;
        let competition_id = call.id("competition_id")?;
        let body: Body = call.json()?;
        if let Some(group_id) = &body.group_id {
            check_id("group_id", group_id)?;
        }
        let form_payload = body.form_payload.filter(|v| !v.is_null()).map(form_payload).transpose()?;

        let registration = catalog::Registration {
            registration_id: shared::ids::mint("reg"),
            competition_id: competition_id.to_owned(),
            user_id: claims.sub,
            status: REGISTERED.to_owned(),
            group_id: body.group_id,
            form_payload,
            created_at: clock::now(),
        };
        self.register(&registration).await?;
        Ok(Reply::ok(json!({ "registration_id": registration.registration_id, "status": registration.status })))
    }
}

/// The form as the JSON text we store: an object, at most `MAX_FORM_PAYLOAD_BYTES`.
fn form_payload(value: Value) -> ApiResult<String> {
    if !value.is_object() {
        return Err(ApiError::invalid("form_payload", "must be a JSON object"));
    }
    let text = value.to_string();
    if text.len() > MAX_FORM_PAYLOAD_BYTES {
        return Err(ApiError::invalid("form_payload", format!("must be at most {MAX_FORM_PAYLOAD_BYTES} bytes as JSON")));
    }
    Ok(text)
}

impl Registration {
    /// Writes the registration and counts it in one transaction, so a duplicate, a closed window
    /// or a full competition leaves nothing behind, and concurrent callers can never overfill it.
    async fn register(&self, r: &catalog::Registration) -> ApiResult<()> {
        let now = r.created_at;
        let put = Put::builder()
            .table_name(&self.db.table)
            .set_item(Some(catalog::item(&keys::registration(&r.competition_id, &r.user_id), catalog::entity::REGISTRATION, r)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .build()
            .map_err(build_fault)?;
        let count = Update::builder()
            .table_name(&self.db.table)
            .set_key(Some(keys::competition(&r.competition_id).to_map()))
            .update_expression("ADD #count :one")
            .condition_expression(
                "attribute_exists(#pk) AND #enabled = :true \
                 AND (attribute_not_exists(#opens) OR #opens <= :now) \
                 AND (attribute_not_exists(#closes) OR :now < #closes) \
                 AND (attribute_not_exists(#capacity) OR #count < #capacity)",
            )
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#count", catalog::REGISTERED_COUNT)
            .expression_attribute_names("#enabled", "registration_enabled")
            .expression_attribute_names("#opens", "registration_opens_at")
            .expression_attribute_names("#closes", "registration_closes_at")
            .expression_attribute_names("#capacity", "capacity")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_fault)?;
        let tx = Tx::new()
            .with("registration", TransactWriteItem::builder().put(put).build())
            .with("competition", TransactWriteItem::builder().update(count).build());
        match self.db.transact(tx).await {
            Ok(()) => Ok(()),
            Err(e) if e.failed("registration") => Err(self.already_registered(r).await),
            Err(TxError::Conditions(_)) => Err(self.refused(&r.competition_id, now).await),
            Err(e) => Err(e.into()),
        }
    }

    async fn already_registered(&self, r: &catalog::Registration) -> ApiError {
        match catalog::registration(&self.db, &r.competition_id, &r.user_id).await {
            Ok(Some(existing)) => {
                ApiError::of(ErrorCode::RegistrationExists).with_details(json!({ "registration_id": existing.registration_id }))
            }
            Ok(None) => ApiError::internal(),
            Err(e) => e,
        }
    }

    /// Why the competition refused the registration, read back only on this error path.
    async fn refused(&self, competition_id: &str, now: i64) -> ApiError {
        match catalog::competition(&self.db, competition_id).await {
            Ok(None) => ApiError::of(ErrorCode::CompetitionNotFound),
            Ok(Some(c)) if !c.registration_window_open(now) => ApiError::of(ErrorCode::RegistrationClosed),
            // Full, or it filled up and was re-read after: either way there is no place left.
            Ok(Some(_)) => ApiError::of(ErrorCode::RegistrationFull),
            Err(e) => e,
        }
    }
}

fn build_fault(e: aws_sdk_dynamodb::error::BuildError) -> ApiError {
    tracing::error!(error = %e, "transaction request");
    ApiError::internal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_payload_must_be_a_small_object() {
        assert!(form_payload(json!({ "team": "a" })).is_ok());
        assert_eq!(form_payload(json!([1])).unwrap_err().details["field"], "form_payload");
        let big = json!({ "x": "y".repeat(MAX_FORM_PAYLOAD_BYTES) });
        assert_eq!(form_payload(big).unwrap_err().details["field"], "form_payload");
    }
}
