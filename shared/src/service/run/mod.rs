//! The run's use cases: the launch, track uploads and punches.

pub mod launch;
pub mod punch;
pub mod upload;
