//! `sessions`: the session chain after the launch — track uploads, punches, the finish and its
//! result, the track, heart rate and replay of a run, the caller's history — the published
//! OpenAPI file, and the catch-all that answers every other `/client/v1` path with 404 or 405.

use shared::http::routes::Operation;
use shared::http::views::{HistoryItem, Paged, ResultView};
use shared::model::analysis::{gpx, track::Resolution};
use shared::service::analysis::{self, TrackAnswer, TrackFormat};
use shared::service::run::{punch, upload};
use shared::service::{history, result};
use shared::store::Db;
use shared::support::cursor::Cursors;
use shared::support::error::ErrorCode;
use shared::support::tokens::Tokens;
use shared::support::{clock, config};
use shared::{ApiError, ApiResult, Call, Function, Reply};

pub struct Sessions {
    pub db: Db,
    pub tokens: Tokens,
    pub cursors: Cursors,
}

impl Sessions {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self { db: Db::from_env(&shared::store::sdk_config().await)?, tokens: Tokens::from_env()?, cursors: Cursors::from_env()? })
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
                let claims = call.require_session(&self.tokens)?;
                Ok(Reply::ok(upload::upload(db, &claims, call.json()?, clock::now_ms()).await?))
            }
            Operation::SubmitPunches => {
                let claims = call.require_session(&self.tokens)?;
                Ok(Reply::ok(punch::submit(db, &claims, call.json()?, clock::now_ms()).await?))
            }
            Operation::FinishSession => {
                let claims = call.require_session(&self.tokens)?;
                let session_id = call.id("session_id")?;
                let finished = result::finish(db, &claims, session_id, call.json()?, clock::now_ms()).await?;
                Ok(Reply::ok(ResultView::from(&finished)))
            }
            // Reads: the owner's access token.
            Operation::GetSessionResult => {
                let claims = call.require(&self.tokens)?;
                Ok(Reply::ok(ResultView::from(&result::result(db, &claims, call.id("session_id")?).await?)))
            }
            Operation::ListMySessions => {
                let claims = call.require(&self.tokens)?;
                let limit = call.query_int("limit", history::DEFAULT_LIMIT, history::MAX_LIMIT)?;
                let page = history::page(db, &self.cursors, &claims.sub, limit, call.query("cursor").as_deref()).await?;
                Ok(Reply::ok(Paged { items: page.sessions.iter().map(HistoryItem::from).collect(), next_cursor: page.next_cursor }))
            }
            Operation::GetSessionGpsTrack => {
                let claims = call.require(&self.tokens)?;
                let resolution = call.query_enum("resolution", Resolution::Full)?;
                let format = call.query_enum("format", TrackFormat::Json)?;
                Ok(match analysis::gps_track(db, &claims, call.id("session_id")?, resolution, format).await? {
                    TrackAnswer::Gpx(file) => Reply::file(gpx::CONTENT_TYPE, file),
                    TrackAnswer::Streams(streams) => Reply::ok(streams),
                })
            }
            Operation::GetSessionHeartRate => {
                let claims = call.require(&self.tokens)?;
                Ok(Reply::ok(analysis::heart_rate(db, &claims, call.id("session_id")?).await?))
            }
            Operation::GetSessionReplaySummary => {
                let claims = call.require(&self.tokens)?;
                Ok(Reply::ok(analysis::replay_summary(db, &claims, call.id("session_id")?).await?))
            }
            _ => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}
