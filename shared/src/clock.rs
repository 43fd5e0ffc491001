//! Wall-clock time as the API speaks it: epoch seconds inside, RFC 3339 UTC outside.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub fn rfc3339(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// Parses RFC 3339 to epoch seconds (catalog windows and timestamps).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

/// `YYYYMMDD` in UTC, the bucket of the daily SMS caps.
pub fn day(epoch: i64) -> String {
    let d = OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH).date();
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Seconds until the next UTC midnight, when the daily caps reset.
pub fn until_midnight(epoch: i64) -> i64 {
    86_400 - epoch.rem_euclid(86_400)
}
