//! `body-profile`: `PUT /client/v1/me/body-profile` — the caller completes or updates their own body profile.

use shared::http::views::ProfileView;
use shared::model::profile::ProfileChange;
use shared::service::auth::refresh;
use shared::service::profile;
use shared::store::Db;
use shared::support::config::ConfigError;
use shared::support::{clock, tokens::Tokens};
use shared::{ApiResult, Call, Function, Reply};

pub struct BodyProfile {
    db: Db,
    tokens: Tokens,
}

impl BodyProfile {
    pub fn new(db: Db, tokens: Tokens) -> Self {
        Self { db, tokens }
    }

    pub async fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(Db::from_env(&shared::store::sdk_config().await)?, Tokens::from_env()?))
    }
}

impl Function for BodyProfile {
    const NAME: &'static str = "body-profile";

    async fn warm(&self) {
        self.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        // The user is the token's subject: there is no user id in the request to tamper with.
        let claims = call.require(&self.tokens)?;
        let change: ProfileChange = call.json()?;
        let now = clock::now();
        change.validate(now)?;
        let profile = profile::update(&self.db, &claims.sub, &change, now, &refresh::login_alive(&self.db, &claims)).await?;
        Ok(Reply::ok(ProfileView::from(&profile)))
    }
}
