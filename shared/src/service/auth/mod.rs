//! Who the caller is: SMS codes, WeChat exchanges, the users behind login identities, refresh
//! tokens and the logins they keep alive.

pub mod accounts;
pub mod refresh;
pub mod sms;
