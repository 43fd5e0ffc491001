//! The contract's enumerations, spelled as clients send and receive them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    App,
    Wechat,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::App => "app",
            ClientType::Wechat => "wechat",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BodyProfileStatus {
    #[default]
    Pending,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    Sms,
    Wechat,
}
