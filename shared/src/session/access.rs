//! Who may touch a session, and when: its session token writes to it while it runs, its owner's
//! access token reads it; anyone else is told it does not exist. And the window a run's times
//! must fall in.

use crate::auth::tokens::Claims;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::request::check_range;
use crate::session::launch::Session;

/// How long before the launch a sample or punch may be stamped (a phone's clock runs off).
pub const EARLY_MS: i64 = 5 * 60_000;
/// How far ahead of the server's clock.
pub const AHEAD_MS: i64 = 2 * 60_000;
/// How long after the finish track batches are still taken (a phone that was offline catches up).
pub const LATE_UPLOAD_MS: i64 = 72 * 3_600_000;

pub fn not_found() -> ApiError {
    ApiError::of(ErrorCode::SessionNotFound)
}

/// The session a session token writes to: the one it was issued for, and only that one.
pub fn writable(claims: &Claims, session_id: &str, session: Option<Session>) -> ApiResult<Session> {
    session.filter(|s| claims.sid.as_deref() == Some(session_id) && s.user_id == claims.sub).ok_or_else(not_found)
}

/// The session an access token reads: the caller's own.
pub fn readable(claims: &Claims, session: Option<Session>) -> ApiResult<Session> {
    session.filter(|s| s.user_id == claims.sub).ok_or_else(not_found)
}

/// The times (epoch ms) a run's samples, punches and finish may carry.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Window {
    pub fn of(session: &Session, now_ms: i64) -> Self {
        Self { from_ms: session.created_at * 1000 - EARLY_MS, to_ms: now_ms + AHEAD_MS }
    }

    /// `t` inside the window, or a 400 naming `field`.
    pub fn check(&self, field: &str, t: i64) -> ApiResult<()> {
        if (self.from_ms..=self.to_ms).contains(&t) {
            Ok(())
        } else {
            let mut err = ApiError::invalid(
                field,
                "must be inside the session: from 5 minutes before the launch to 2 minutes ahead of now (epoch ms)",
            );
            err.details["from_ms"] = self.from_ms.into();
            err.details["to_ms"] = self.to_ms.into();
            Err(err)
        }
    }
}

/// The largest `accuracy_m` a phone may report (a punch needs far better: `punch::MAX_ACCURACY_M`).
pub const MAX_REPORTED_ACCURACY_M: f64 = 10_000.0;

/// A fix as the phone reports it (a sample's or a punch's), in range; else a 400 naming the
/// field (`prefix` + `lat` / `lng` / `accuracy_m`).
pub fn check_fix(prefix: &str, lat: f64, lng: f64, accuracy_m: f64) -> ApiResult<()> {
    check_range(&format!("{prefix}lat"), Some(lat), (-90.0, 90.0))?;
    check_range(&format!("{prefix}lng"), Some(lng), (-180.0, 180.0))?;
    check_range(&format!("{prefix}accuracy_m"), Some(accuracy_m), (0.0, MAX_REPORTED_ACCURACY_M))
}
