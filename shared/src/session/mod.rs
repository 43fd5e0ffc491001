//! Game sessions: the launch that opens one on a frozen release and route, the run's samples
//! and punches, and the result computed from them.

pub mod access;
pub mod coords;
pub mod finish;
pub mod history;
pub mod launch;
pub mod punch;
pub mod result;
pub mod samples;
pub mod upload;
