//! The common crate of client-api: every function is wiring around these modules.

pub mod accounts;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod envelope;
pub mod error;
pub mod handler;
pub mod idempotency;
pub mod keys;
pub mod launch;
pub mod profile;
pub mod refresh;
pub mod request;
pub mod routes;
pub mod sms;
pub mod tokens;
pub mod types;
pub mod wechat;

pub use envelope::Reply;
pub use error::{ApiError, ApiResult};
pub use handler::Function;
pub use request::Call;
