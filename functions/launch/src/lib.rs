//! `launch`: `POST /client/v1/competitions/{competition_id}/events/{event_id}/launch` and
//! `POST /client/v1/events/{event_id}/launch` — start a game session on the release the client holds.

use serde::Deserialize;
use shared::http::routes::Operation;
use shared::model::run::session::Venue;
use shared::service::run::launch::{LaunchRequest, Launcher};
use shared::store::Db;
use shared::store::idempotency::Idempotency;
use shared::support::check::{check_id, check_token};
use shared::support::error::ErrorCode;
use shared::support::tokens::Tokens;
use shared::support::types::ClientType;
use shared::support::{clock, config};
use shared::{ApiError, ApiResult, Call, Function, Reply};

pub struct Launch {
    pub launcher: Launcher,
}

impl Launch {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            launcher: Launcher {
                db: Db::from_env(&shared::store::sdk_config().await)?,
                tokens: Tokens::from_env()?,
                idempotency: Idempotency::from_env()?,
                realtime_endpoint: config::required("REALTIME_ENDPOINT")?,
            },
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    launch_request_id: String,
    device_id: String,
    client_type: ClientType,
    release_id: String,
    #[serde(default)]
    route_code: Option<String>,
    /// v1.2: show the runner's position on the live board (default: never).
    #[serde(default)]
    live_position_sharing: bool,
}

impl Function for Launch {
    const NAME: &'static str = "launch";

    async fn warm(&self) {
        self.launcher.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let claims = call.require(&self.launcher.tokens)?;
        let venue = match call.route.operation {
            Operation::LaunchCompetitionEvent => Venue::Competition(call.id("competition_id")?),
            _ => Venue::Direct,
        };
        let event_id = call.id("event_id")?;
        let body: Body = call.json()?;
        check_token("launch_request_id", &body.launch_request_id, 128)?;
        check_token("device_id", &body.device_id, 128)?;
        check_id("release_id", &body.release_id)?;
        if let Some(route_code) = &body.route_code {
            check_id("route_code", route_code)?;
        }
        if body.client_type != claims.client_type {
            return Err(ApiError::of(ErrorCode::ClientTypeMismatch));
        }
        let request = LaunchRequest {
            launch_request_id: &body.launch_request_id,
            venue,
            event_id,
            device_id: &body.device_id,
            release_id: &body.release_id,
            route_code: body.route_code.as_deref(),
            live_position_sharing: body.live_position_sharing,
        };
        Ok(Reply::ok(self.launcher.launch(&claims, request, clock::now()).await?))
    }
}
