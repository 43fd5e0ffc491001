//! Game sessions: the launch that opens one on a frozen release and route, the run's samples
//! and punches, the result computed from them, and what is shown after the run (track, heart
//! rate, replay, leaderboard).

pub mod access;
pub mod board;
pub mod coords;
pub mod finish;
pub mod gpx;
pub mod heart;
pub mod history;
pub mod launch;
pub mod punch;
pub mod replay;
pub mod result;
pub mod review;
pub mod samples;
pub mod track;
pub mod upload;
pub mod verify;
