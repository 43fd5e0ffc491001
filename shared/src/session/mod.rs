//! Game sessions: the launch that opens one on a frozen release and route.

pub mod launch;
