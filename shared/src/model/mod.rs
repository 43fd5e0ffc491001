//! The domain as plain types and pure rules: no async, no storage, no HTTP. Every record the
//! store keeps is one of these types.

pub mod analysis;
pub mod catalog;
pub mod idempotency;
pub mod identity;
pub mod leaderboard;
pub mod live;
pub mod profile;
pub mod result;
pub mod run;
