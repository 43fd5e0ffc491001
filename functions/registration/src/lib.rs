//! `registration`: `POST` and `DELETE /client/v1/competitions/{competition_id}/registrations` —
//! one registration per user per competition, within its window and capacity; cancelled while
//! registration is open and the competition has not started.

use serde::Deserialize;
use serde_json::Value;
use shared::http::routes::Operation;
use shared::http::views::{CancelledView, RegisteredView};
use shared::model::catalog::{self, RegistrationStatus};
use shared::service::auth::refresh;
use shared::service::registration;
use shared::store::Db;
use shared::support::check::check_id;
use shared::support::config::ConfigError;
use shared::support::tokens::Tokens;
use shared::support::{clock, ids};
use shared::{ApiError, ApiResult, Call, Function, Reply};

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
        Ok(Self::new(Db::from_env(&shared::store::sdk_config().await)?, Tokens::from_env()?))
    }
}

impl Function for Registration {
    const NAME: &'static str = "registration";

    async fn warm(&self) {
        self.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let claims = call.require(&self.tokens)?;
        let competition_id = call.id("competition_id")?;
        if call.route.operation == Operation::CancelRegistration {
            registration::cancel(&self.db, competition_id, &claims.sub, clock::now(), refresh::login_alive(&self.db, &claims)).await?;
            return Ok(Reply::ok(CancelledView { competition_id, status: "cancelled" }));
        }
        let body: Body = call.json()?;
        if let Some(group_id) = &body.group_id {
            check_id("group_id", group_id)?;
        }
        let form_payload = body.form_payload.filter(|v| !v.is_null()).map(form_payload).transpose()?;

        let registration = catalog::Registration {
            registration_id: ids::mint("reg"),
            competition_id: competition_id.to_owned(),
            user_id: claims.sub.clone(),
            status: RegistrationStatus::Registered,
            group_id: body.group_id,
            form_payload,
            created_at: clock::now(),
        };
        registration::register(&self.db, &registration, refresh::login_alive(&self.db, &claims)).await?;
        Ok(Reply::ok(RegisteredView { registration_id: &registration.registration_id, status: registration.status }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_payload_must_be_a_small_object() {
        assert!(form_payload(json!({ "team": "a" })).is_ok());
        assert_eq!(form_payload(json!([1])).unwrap_err().details["field"], "form_payload");
        let big = json!({ "x": "y".repeat(MAX_FORM_PAYLOAD_BYTES) });
        assert_eq!(form_payload(big).unwrap_err().details["field"], "form_payload");
    }
}
