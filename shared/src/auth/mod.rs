//! Who the caller is: SMS codes and WeChat exchanges, the users behind login identities,
//! access and session tokens, refresh tokens.

pub mod accounts;
pub mod refresh;
pub mod sms;
pub mod tokens;
pub mod wechat;
