//! The one storage layer: every DynamoDB request, key, expression and attribute map of the
//! project lives here, and every stored record's home (`keys`); the layers above read and write
//! typed records through named operations and see failures as [`Error`].

pub mod account;
pub mod board;
pub mod catalog;
pub mod db;
pub mod idempotency;
pub mod keys;
pub mod profile;
pub mod refresh;
pub mod session;
pub mod sms;

pub use db::{Db, Timeouts, sdk_config};

/// Why a store call failed. The cause was logged where it happened; the caller only decides
/// what to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// DynamoDB out of reach, throttled or failing on its side: worth a retry later.
    #[error("the table is unavailable")]
    Unavailable,
    /// A request DynamoDB refused, or an item that does not decode: a bug of ours.
    #[error("internal store error")]
    Internal,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
