//! The common crate of client-api: every function is wiring around these layers, and each
//! layer imports only the ones before it (`tests/layers.rs` fails on an import against them):
//!
//! `support` ← `model` ← `store`, `clients` ← `service` ← `http`
//!
//! - `support`: clock, configuration, crypto, ids, the contract's enums, the API error, checks,
//!   cursors, tokens — no I/O.
//! - `model`: the domain as plain types and pure rules (courses, sessions, punches, results,
//!   analysis, leaderboards, profiles, identities): no async, no storage, no HTTP.
//! - `store`: the only code that speaks DynamoDB — keys, every stored record's home, typed reads
//!   and named writes, labelled transactions — with its own error type.
//! - `clients`: the other outbound services (WeChat, SNS).
//! - `service`: the use cases — read with the store, decide with the model, write with the
//!   store — answering typed data or an `ApiError`.
//! - `http`: the edge — routes, the call, views, the envelope and the Lambda entry.

pub mod clients;
pub mod http;
pub mod model;
pub mod service;
pub mod store;
pub mod support;

pub use http::envelope::Reply;
pub use http::handler::Function;
pub use http::request::Call;
pub use support::error::{ApiError, ApiResult};
