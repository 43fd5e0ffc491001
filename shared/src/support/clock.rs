//! Wall-clock time as the API speaks it: epoch seconds inside, RFC 3339 UTC outside.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub fn rfc3339(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// Epoch milliseconds now: the unit of the session chain's times (`t`, `finished_at`).
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Epoch milliseconds as RFC 3339 UTC with milliseconds (`2026-11-29T08:00:00.250Z`).
pub fn rfc3339_ms(epoch_ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(epoch_ms as i128 * 1_000_000).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
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

/// `YYYYMMDDHH` in UTC, the bucket of the hourly SMS caps.
pub fn hour(epoch: i64) -> String {
    format!("{}{:02}", day(epoch), epoch.rem_euclid(86_400) / 3600)
}

/// Seconds until the next full hour, when the hourly caps reset.
pub fn until_next_hour(epoch: i64) -> i64 {
    3600 - epoch.rem_euclid(3600)
}

/// Seconds until the next UTC midnight, when the daily caps reset.
pub fn until_midnight(epoch: i64) -> i64 {
    86_400 - epoch.rem_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_their_resets() {
        // 2026-11-29T23:59:59Z
        let t = 1_795_996_799;
        assert_eq!((day(t), hour(t)), ("20261129".to_string(), "2026112923".to_string()));
        assert_eq!((until_midnight(t), until_next_hour(t)), (1, 1));
        assert_eq!((hour(t + 1), until_next_hour(t + 1)), ("2026113000".to_string(), 3600));
        assert_eq!(parse_rfc3339("2026-11-30T07:59:59+08:00"), Some(t));
    }
}
