//! The common crate of client-api: every function is wiring around these modules.
//!
//! `http` is the edge (routes, parsing, the envelope, the Lambda entry); `store` is the only
//! code that speaks DynamoDB; `auth`, `catalog`, `profile` and `session` are the domain, plain
//! rules over plain types that reach the table through `store`.

pub mod account;
pub mod auth;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod http;
pub mod ids;
pub mod profile;
pub mod session;
pub mod store;
pub mod tls;
pub mod types;

pub use http::envelope::Reply;
pub use http::error::{ApiError, ApiResult};
pub use http::handler::Function;
pub use http::request::Call;
