//! The one storage layer: every DynamoDB request, key, expression and attribute map of the
//! project lives here; the rest of the code reads and writes typed records through it.

pub mod board;
pub mod catalog;
pub mod db;
pub mod idempotency;
pub mod keys;
pub mod profile;
pub mod refresh;
pub mod session;
pub mod sms;
