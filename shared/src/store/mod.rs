//! The one storage layer: every DynamoDB request, key, expression and attribute map of the
//! project lives here, and every stored record's home (`keys`); the layers above read and write
//! typed records through named operations and see failures as [`Error`].

pub mod account;
pub mod board;
pub mod catalog;
pub mod db;
pub mod error;
pub mod idempotency;
pub mod keys;
pub mod live;
pub mod profile;
pub mod refresh;
pub mod session;
pub mod sms;
pub mod tls;

pub use db::{Db, Timeouts, sdk_config};
pub use error::{Error, Result};
