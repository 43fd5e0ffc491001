//! `launch`: `POST /client/v1/competitions/{competition_id}/events/{event_id}/launch` and
//! `POST /client/v1/events/{event_id}/launch` — start a game session on the release the client holds.

use serde::Deserialize;
use shared::auth::refresh;
use shared::auth::tokens::Tokens;
use shared::http::error::ErrorCode;
use shared::http::request::{check_id, check_token};
use shared::http::routes::Operation;
use shared::session::launch::{self, LaunchReplays, Venue};
use shared::store::db::Db;
use shared::store::idempotency::Idempotency;
use shared::store::keys::IdempotencyScope;
use shared::types::ClientType;
use shared::{ApiError, ApiResult, Call, Function, Reply, clock, config};

pub struct Launch {
    pub db: Db,
    pub tokens: Tokens,
    pub idempotency: Idempotency,
    pub realtime_endpoint: String,
}

impl Launch {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            db: Db::from_env(&shared::store::db::sdk_config().await)?,
            tokens: Tokens::from_env()?,
            idempotency: Idempotency::from_env()?,
            realtime_endpoint: config::required("REALTIME_ENDPOINT")?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LaunchRequest {
    launch_request_id: String,
    device_id: String,
    client_type: ClientType,
    release_id: String,
    #[serde(default)]
    route_code: Option<String>,
}

impl Function for Launch {
    const NAME: &'static str = "launch";

    async fn warm(&self) {
        self.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let claims = self.tokens.require(&call)?;
        let venue = match call.route.operation {
            Operation::LaunchCompetitionEvent => Venue::Competition(call.id("competition_id")?),
            _ => Venue::Direct,
        };
        let event_id = call.id("event_id")?;
        let req: LaunchRequest = call.json()?;
        check_token("launch_request_id", &req.launch_request_id, 128)?;
        check_token("device_id", &req.device_id, 128)?;
        check_id("release_id", &req.release_id)?;
        if let Some(route_code) = &req.route_code {
            check_id("route_code", route_code)?;
        }
        if req.client_type != claims.client_type {
            return Err(ApiError::of(ErrorCode::ClientTypeMismatch));
        }
        let now = clock::now();
        let competition_id = match venue {
            Venue::Competition(id) => id,
            Venue::Direct => "",
        };
        let payload =
            [competition_id, event_id, &req.device_id, req.client_type.as_str(), &req.release_id, req.route_code.as_deref().unwrap_or("")];
        let key = launch::launch_key(&claims.sub, &req.launch_request_id);
        self.idempotency
            .once(
                &self.db,
                IdempotencyScope::Launch,
                &key,
                &payload,
                now,
                &LaunchReplays { db: &self.db, claims: &claims },
                async |claimed| {
                    let cleared =
                        launch::clear(&self.db, venue, event_id, &claims.sub, &req.release_id, req.route_code.as_deref(), now).await?;
                    let session = launch::Session::new(&claims, venue, event_id, &req.device_id, &cleared, now);
                    let reply = Reply::ok(session.view(&self.tokens, &self.realtime_endpoint));
                    let done = claimed.complete(&self.db, &reply, &claims.sub);
                    launch::commit(&self.db, cleared, &session, done, refresh::login_alive(&self.db, &claims)).await?;
                    Ok(reply)
                },
            )
            .await
    }
}
