//! The use cases: each reads with the store, decides with the model, writes with the store, and
//! answers typed data or an `ApiError` (store failures are mapped here, once).

pub mod account;
pub mod analysis;
pub mod auth;
pub mod catalog;
pub mod history;
pub mod idempotency;
pub mod import;
pub mod leaderboard;
pub mod live;
pub mod profile;
pub mod registration;
pub mod result;
pub mod run;

use crate::store;
use crate::store::db::TxError;
use crate::support::error::ApiError;

/// A store failure as the client sees it: 503 when worth a retry, else 500. The store logged
/// the cause; nothing of it reaches the answer.
impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Unavailable => ApiError::unavailable(),
            store::Error::Internal => ApiError::internal(),
        }
    }
}

/// A transaction whose failed conditions the use case did not answer itself is a bug of ours.
impl From<TxError> for ApiError {
    fn from(e: TxError) -> Self {
        store::Error::from(e).into()
    }
}
