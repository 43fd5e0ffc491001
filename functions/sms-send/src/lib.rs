//! `sms-send`: `POST /client/v1/auth/sms/send` — a login code to a mobile, through SNS.

use serde::Deserialize;
use shared::clients::sns;
use shared::service::auth::sms::{self, SmsConfig};
use shared::store::Db;
use shared::store::db::WARM_WITHIN;
use shared::support::check::check_token;
use shared::support::types::ClientType;
use shared::support::{clock, config};
use shared::{ApiResult, Call, Function, Reply};

pub struct SmsSend {
    pub db: Db,
    pub sns: aws_sdk_sns::Client,
    pub sms: SmsConfig,
}

impl SmsSend {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let sdk = shared::store::sdk_config().await;
        Ok(Self { db: Db::from_env(&sdk)?, sns: aws_sdk_sns::Client::new(&sdk), sms: SmsConfig::from_env()? })
    }
}

shared::plain_enum! {
    enum Scene {
        ClientLogin = "client_login",
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    #[allow(dead_code)]
    scene: Scene,
    country_code: String,
    mobile: String,
    #[allow(dead_code)]
    client_type: ClientType,
    device_id: String,
}

impl Function for SmsSend {
    const NAME: &'static str = "sms-send";

    async fn warm(&self) {
        tokio::join!(self.db.warm(), sns::warm(&self.sns, WARM_WITHIN));
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        let req: SendRequest = call.json()?;
        check_token("device_id", &req.device_id, 128)?;
        let e164 = self.sms.e164(&req.country_code, &req.mobile)?;
        // The same answer whether or not the mobile has an account.
        let who = sms::Requester { device_id: &req.device_id, source_ip: &call.source_ip() };
        Ok(Reply::ok(sms::send(&self.db, &self.sns, &self.sms, &e164, &who, clock::now()).await?))
    }
}
