//! Page cursors: a position in one caller's list, sealed (AES-GCM) so a client can neither read,
//! forge nor alter one, nor use it on another list or another caller's list.

use crate::support::config::{self, ConfigError};
use crate::support::error::{ApiError, ApiResult};

#[derive(Clone)]
pub struct Cursors {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cursors")
    }
}

impl Cursors {
    /// Sealed under the token secret, in a context of their own.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(config::secret("JWT_SECRET")?))
    }

    pub fn new(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    fn context(list: &str, owner: &str) -> String {
        format!("cursor:{list}:{owner}")
    }

    pub fn seal(&self, list: &str, owner: &str, position: &str) -> String {
        crate::support::crypto::seal(&self.secret, &Self::context(list, owner), position.as_bytes())
    }

    /// The position a cursor of `list` for `owner` holds; anything else is a 400 naming `cursor`.
    pub fn open(&self, list: &str, owner: &str, cursor: &str) -> ApiResult<String> {
        crate::support::crypto::open(&self.secret, &Self::context(list, owner), cursor)
            .and_then(|plain| String::from_utf8(plain).ok())
            .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this API returned for this list"))
    }
}

impl Cursors {
    /// A position in a list ordered by creation: after the item `id` created at `created_at`.
    pub fn seal_created(&self, list: &str, owner: &str, created_at: i64, id: &str) -> String {
        self.seal(list, owner, &format!("{created_at}#{id}"))
    }

    pub fn open_created(&self, list: &str, owner: &str, cursor: &str) -> ApiResult<(i64, String)> {
        let position = self.open(list, owner, cursor)?;
        // Sealed by us: a position that does not parse is a cursor of another shape.
        let parsed = position.split_once('#').and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())));
        parsed.ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this API returned for this list"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_opens_only_for_its_list_and_owner_and_unaltered() {
        let cursors = Cursors::new(b"unit-test-secret-0123456789abcdef".to_vec());
        let cursor = cursors.seal("sessions", "usr_a", "1800000000#ses_1");
        assert_eq!(cursors.open("sessions", "usr_a", &cursor).unwrap(), "1800000000#ses_1");
        assert_eq!(cursors.open("sessions", "usr_b", &cursor).unwrap_err().details["field"], "cursor", "foreign");
        assert!(cursors.open("registrations", "usr_a", &cursor).is_err(), "another list");
        let mut altered = cursor.into_bytes();
        altered[20] = if altered[20] == b'A' { b'B' } else { b'A' };
        assert!(cursors.open("sessions", "usr_a", &String::from_utf8(altered).unwrap()).is_err(), "altered");
        for forged in ["", "MTIz", "not a cursor!", "MTgwMDAwMDAwMCNzZXNfMQ"] {
            assert!(cursors.open("sessions", "usr_a", forged).is_err(), "{forged}");
        }
    }
}
