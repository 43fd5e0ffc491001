//! `sessions`: the session chain after the launch — track uploads, punches, the finish and its
//! result, the track, heart rate and replay of a run, the caller's history — the published
//! OpenAPI file, and the catch-all that answers every other `/client/v1` path with 404 or 405.

use shared::auth::tokens::Tokens;
use shared::http::cursor::Cursors;
use shared::http::error::ErrorCode;
use shared::http::routes::Operation;
use shared::session::review::{self, TrackFormat};
use shared::session::track::Resolution;
use shared::session::{finish, history, punch, upload};
use shared::store::db::{self, Db};
use shared::{ApiError, ApiResult, Call, Function, Reply, clock, config};

pub struct Sessions {
    pub db: Db,
    pub tokens: Tokens,
    pub cursors: Cursors,
}

impl Sessions {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self { db: Db::from_env(&db::sdk_config().await)?, tokens: Tokens::from_env()?, cursors: Cursors::from_env()? })
    }
}

pub const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

impl Function for Sessions {
    const NAME: &'static str = "sessions";

    async fn warm(&self) {
        self.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let db = &self.db;
        match call.route.operation {
            Operation::GetOpenApi => Ok(Reply::file("application/yaml", OPENAPI)),
            // Writes of a running session: its session token.
            Operation::UploadSession => {
                let claims = self.tokens.require_session(&call)?;
                Ok(Reply::ok(upload::upload(db, &claims, call.json()?, clock::now_ms()).await?))
            }
            Operation::SubmitPunches => {
                let claims = self.tokens.require_session(&call)?;
                Ok(Reply::ok(punch::submit(db, &claims, call.json()?, clock::now_ms()).await?))
            }
            Operation::FinishSession => {
                let claims = self.tokens.require_session(&call)?;
                let session_id = call.id("session_id")?;
                Ok(Reply::ok(finish::finish(db, &claims, session_id, call.json()?, clock::now_ms()).await?.view()))
            }
            // Reads: the owner's access token.
            Operation::GetSessionResult => {
                let claims = self.tokens.require(&call)?;
                Ok(Reply::ok(finish::result(db, &claims, call.id("session_id")?).await?.view()))
            }
            Operation::ListMySessions => {
                let claims = self.tokens.require(&call)?;
                let limit = call.query_int("limit", history::DEFAULT_LIMIT, history::MAX_LIMIT)?;
                Ok(Reply::ok(history::page(db, &self.cursors, &claims.sub, limit, call.query("cursor").as_deref()).await?))
            }
            Operation::GetSessionGpsTrack => {
                let claims = self.tokens.require(&call)?;
                let resolution = call.query_enum("resolution", Resolution::Full)?;
                let format = call.query_enum("format", TrackFormat::Json)?;
                review::gps_track(db, &claims, call.id("session_id")?, resolution, format).await
            }
            Operation::GetSessionHeartRate => {
                let claims = self.tokens.require(&call)?;
                Ok(Reply::ok(review::heart_rate(db, &claims, call.id("session_id")?).await?))
            }
            Operation::GetSessionReplaySummary => {
                let claims = self.tokens.require(&call)?;
                Ok(Reply::ok(review::replay_summary(db, &claims, call.id("session_id")?).await?))
            }
            _ => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}
