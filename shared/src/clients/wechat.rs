//! The WeChat login exchange: a mini-program code (`sns/jscode2session`) or a mobile-app OAuth
//! code (`sns/oauth2/access_token`) becomes an openid (and unionid when WeChat gives one).
//! `session_key` and WeChat's access token are read and dropped, never stored or returned.

use crate::support::config::{self, ConfigError};
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::types::ClientType;
use serde::Deserialize;
use std::time::Duration;

#[derive(Clone)]
pub struct WechatApp {
    pub app_id: String,
    pub secret: String,
}

#[derive(Clone)]
pub struct WechatConfig {
    pub api_base: String,
    /// For client_type `wechat` (the mini-program).
    pub mini_program: Option<WechatApp>,
    /// For client_type `app` (mobile-app WeChat OAuth).
    pub mobile_app: Option<WechatApp>,
    pub timeout: Duration,
}

impl WechatConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let app = |id: &'static str, secret: &'static str| match (config::optional(id), config::optional(secret)) {
            (Some(app_id), Some(secret)) => Some(WechatApp { app_id, secret }),
            _ => None,
        };
        Ok(Self {
            api_base: config::or("WECHAT_API_BASE", "https://api.weixin.qq.com".to_string())?.trim_end_matches('/').to_string(),
            mini_program: app("WECHAT_MINI_APP_ID", "WECHAT_MINI_APP_SECRET"),
            mobile_app: app("WECHAT_APP_ID", "WECHAT_APP_SECRET"),
            timeout: Duration::from_millis(config::or("WECHAT_TIMEOUT_MS", 3000)?),
        })
    }
}

/// Who WeChat says the person is.
#[derive(Debug, Clone, PartialEq)]
pub struct WechatUser {
    pub app_id: String,
    pub openid: String,
    pub unionid: Option<String>,
}

#[derive(Clone)]
pub struct Wechat {
    http: reqwest::Client,
    pub config: WechatConfig,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    openid: Option<String>,
    #[serde(default)]
    unionid: Option<String>,
}

fn unavailable() -> ApiError {
    ApiError::of(ErrorCode::WechatUnavailable)
}

impl Wechat {
    pub fn new(config: WechatConfig) -> Self {
        // The roots the SDK trusts too: reqwest's own would read the system's store at init.
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::support::trust::client_config())
            .timeout(config.timeout)
            .build()
            .expect("HTTP client with rustls");
        Self { http, config }
    }

    pub async fn exchange(&self, client_type: ClientType, code: &str) -> ApiResult<WechatUser> {
        let (app, path, code_param) = match client_type {
            ClientType::Wechat => (&self.config.mini_program, "/sns/jscode2session", "js_code"),
            ClientType::App => (&self.config.mobile_app, "/sns/oauth2/access_token", "code"),
        };
        let Some(app) = app else {
            return Err(ApiError::of(ErrorCode::WechatNotConfigured));
        };
        let res = self
            .http
            .get(format!("{}{path}", self.config.api_base))
            .query(&[
                ("appid", app.app_id.as_str()),
                ("secret", app.secret.as_str()),
                (code_param, code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            // The URL carries the app secret: never let it into a log line.
            .map_err(|e| {
                let timeout = e.is_timeout();
                tracing::error!(error = %e.without_url(), timeout, "WeChat request failed");
                unavailable()
            })?;
        if !res.status().is_success() {
            tracing::error!(status = res.status().as_u16(), "WeChat answered with an HTTP error");
            return Err(unavailable());
        }
        // WeChat labels its JSON text/plain: read text, then parse.
        let text = res.text().await.map_err(|e| {
            tracing::error!(error = %e.without_url(), "WeChat answer unreadable");
            unavailable()
        })?;
        let answer: Answer = serde_json::from_str(&text).map_err(|_| {
            tracing::error!("WeChat answer is not JSON");
            unavailable()
        })?;
        match answer.errcode {
            0 => {}
            40029 | 40163 => {
                return Err(ApiError::of(ErrorCode::WechatCodeInvalid));
            }
            45011 => return Err(ApiError::too_many(ErrorCode::WechatRateLimited, 1)),
            other => {
                tracing::error!(errcode = other, "WeChat refused the exchange");
                return Err(unavailable());
            }
        }
        let openid = answer.openid.filter(|o| !o.is_empty()).ok_or_else(|| {
            tracing::error!("WeChat answer has no openid");
            unavailable()
        })?;
        Ok(WechatUser { app_id: app.app_id.clone(), openid, unionid: answer.unionid.filter(|u| !u.is_empty()) })
    }
}
