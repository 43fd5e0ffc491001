//! The run: the session a launch opens, the samples and punches it takes, and the rules each
//! punch is judged by on arrival.

pub mod coords;
pub mod punch;
pub mod samples;
pub mod session;
