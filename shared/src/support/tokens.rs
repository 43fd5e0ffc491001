//! Signed tokens: the access token (JWT, HS256 pinned) every protected route checks, and the
//! launch session token — a different kind (`typ`, `aud`) that is never accepted in its place.

use crate::support::config::{self, ConfigError};
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::types::ClientType;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

crate::plain_enum! {
    /// What a token is for (its `typ` claim): one kind is never accepted in place of the other.
    pub enum TokenKind {
        Access = "access",
        Session = "session",
        /// v1.2: a launch's `realtime_token`: reads its own session's live entry, writes nothing.
        Realtime = "realtime",
    }
}

/// How far in the future `iat` / `nbf` may be: the clock skew between two of our own hosts.
pub const CLOCK_SKEW_SEC: i64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// Never set by us; honoured when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub typ: TokenKind,
    pub client_type: ClientType,
    pub device_id: String,
    /// The refresh-token family of the login the token was issued under (for a session token:
    /// the login that launched it), whose revocation (logout, account deletion) makes writes
    /// refuse the token at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
    /// Session tokens only: the session they open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// The session token bounds a session's writes: a 12-hour run, then the 72 hours after its
/// finish in which a phone that was offline still uploads its track.
pub const SESSION_TOKEN_TTL_SEC: i64 = (12 + 72) * 3600;

#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_sec: i64,
    pub session_ttl_sec: i64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("issuer", &self.issuer).field("audience", &self.audience).finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn from_env() -> Result<Self, ConfigError> {
        let secret = config::secret("JWT_SECRET")?;
        Ok(Self::new(
            &secret,
            config::or("JWT_ISSUER", "client-api".to_string())?,
            config::or("JWT_AUDIENCE", "client-api".to_string())?,
            config::or("ACCESS_TOKEN_TTL_SEC", 3600)?,
            config::or("SESSION_TOKEN_TTL_SEC", SESSION_TOKEN_TTL_SEC)?,
        ))
    }

    /// Built from explicit values (tests, tools); `from_env` is the deployed path.
    pub fn new(secret: &[u8], issuer: impl Into<String>, audience: impl Into<String>, access_ttl_sec: i64, session_ttl_sec: i64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            issuer: issuer.into(),
            audience: audience.into(),
            access_ttl_sec,
            session_ttl_sec,
        }
    }

    /// The audience of session tokens: derived, so an access token can never pass as one.
    pub fn session_audience(&self) -> String {
        format!("{}:session", self.audience)
    }

    pub fn issue_access(&self, user_id: &str, client_type: ClientType, device_id: &str, family_id: Option<&str>, now: i64) -> String {
        self.sign(&Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            iat: now,
            exp: now + self.access_ttl_sec,
            nbf: None,
            typ: TokenKind::Access,
            client_type,
            device_id: device_id.to_owned(),
            fam: family_id.map(str::to_owned),
            sid: None,
        })
    }

    /// A session token, bound to the login that launched it (`family_id`): ending that login ends
    /// the session's writes too.
    pub fn issue_session(
        &self,
        user_id: &str,
        client_type: ClientType,
        device_id: &str,
        session_id: &str,
        family_id: Option<&str>,
        now: i64,
    ) -> (String, i64) {
        let exp = now + self.session_ttl_sec;
        let token = self.sign(&Claims {
            iss: self.issuer.clone(),
            aud: self.session_audience(),
            sub: user_id.to_owned(),
            iat: now,
            exp,
            nbf: None,
            typ: TokenKind::Session,
            client_type,
            device_id: device_id.to_owned(),
            fam: family_id.map(str::to_owned),
            sid: Some(session_id.to_owned()),
        });
        (token, exp)
    }

    /// The audience of realtime tokens: neither an access nor a session token passes as one.
    pub fn realtime_audience(&self) -> String {
        format!("{}:realtime", self.audience)
    }

    /// A launch's realtime token: bound to its session and expiring with its session token. It
    /// carries no login family: it only shows the runner their own entry on a public board.
    pub fn issue_realtime(&self, user_id: &str, client_type: ClientType, device_id: &str, session_id: &str, now: i64) -> String {
        self.sign(&Claims {
            iss: self.issuer.clone(),
            aud: self.realtime_audience(),
            sub: user_id.to_owned(),
            iat: now,
            exp: now + self.session_ttl_sec,
            nbf: None,
            typ: TokenKind::Realtime,
            client_type,
            device_id: device_id.to_owned(),
            fam: None,
            sid: Some(session_id.to_owned()),
        })
    }

    pub fn verify_realtime(&self, token: &str) -> ApiResult<Claims> {
        self.verify(token, &self.realtime_audience(), TokenKind::Realtime)
    }

    fn sign(&self, claims: &Claims) -> String {
        // HMAC signing of a small struct has no failure mode.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).expect("HS256 signing")
    }

    /// Verifies an access token: HS256 only (so `alg: none` or a swapped algorithm fails),
    /// our issuer and audience, not expired, `typ` = access.
    pub fn verify_access(&self, token: &str) -> ApiResult<Claims> {
        self.verify(token, &self.audience, TokenKind::Access)
    }

    pub fn verify_session(&self, token: &str) -> ApiResult<Claims> {
        self.verify(token, &self.session_audience(), TokenKind::Session)
    }

    fn verify(&self, token: &str, audience: &str, typ: TokenKind) -> ApiResult<Claims> {
        self.verify_at(token, audience, typ, crate::support::clock::now())
    }

    fn verify_at(&self, token: &str, audience: &str, typ: TokenKind, now: i64) -> ApiResult<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::of(ErrorCode::TokenExpired),
                _ => ApiError::unauthorized("access token is not valid"),
            })?
            .claims;
        // A token from the future was not issued by this clock: forged, or signed by a skewed host.
        let from_the_future = claims.iat > now + CLOCK_SKEW_SEC || claims.nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SEC);
        if claims.typ != typ || from_the_future {
            return Err(ApiError::unauthorized("access token is not valid"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(b"unit-test-secret-0123456789abcdef", "client-api", "client-api", 3600, 7200)
    }

    fn claims(now: i64) -> Claims {
        Claims {
            iss: "client-api".into(),
            aud: "client-api".into(),
            sub: "usr_1".into(),
            iat: now,
            exp: now + 3600,
            nbf: None,
            typ: TokenKind::Access,
            client_type: ClientType::App,
            device_id: "dev_1".into(),
            fam: None,
            sid: None,
        }
    }

    #[test]
    fn access_tokens_round_trip_and_are_not_session_tokens() {
        let t = tokens();
        let now = crate::support::clock::now();
        let token = t.issue_access("usr_1", ClientType::App, "dev_1", Some("fam_1"), now);
        assert_eq!(t.verify_access(&token).unwrap().fam.as_deref(), Some("fam_1"));
        assert_eq!(t.verify_access(&token).unwrap().sub, "usr_1");
        assert_eq!(t.verify_session(&token).unwrap_err().code, ErrorCode::Unauthorized);
        let (session, _) = t.issue_session("usr_1", ClientType::App, "dev_1", "ses_1", Some("fam_1"), now);
        assert_eq!(t.verify_session(&session).unwrap().sid.as_deref(), Some("ses_1"));
        assert_eq!(t.verify_session(&session).unwrap().fam.as_deref(), Some("fam_1"), "a session ends with its login");
        assert_eq!(t.verify_access(&session).unwrap_err().code, ErrorCode::Unauthorized);
        let realtime = t.issue_realtime("usr_1", ClientType::App, "dev_1", "ses_1", now);
        assert_eq!(t.verify_realtime(&realtime).unwrap().sid.as_deref(), Some("ses_1"));
        assert_eq!(t.verify_access(&realtime).unwrap_err().code, ErrorCode::Unauthorized, "a realtime token is no access token");
        assert_eq!(t.verify_session(&realtime).unwrap_err().code, ErrorCode::Unauthorized, "nor a session token");
        assert_eq!(t.verify_realtime(&session).unwrap_err().code, ErrorCode::Unauthorized);
        assert_eq!(t.verify_realtime(&token).unwrap_err().code, ErrorCode::Unauthorized);
    }

    #[test]
    fn future_dated_tokens_are_refused_beyond_the_skew() {
        let t = tokens();
        let now = crate::support::clock::now();
        let at = |c: Claims| t.verify_at(&t.sign(&c), &t.audience, TokenKind::Access, now);
        assert!(at(Claims { iat: now + CLOCK_SKEW_SEC, ..claims(now) }).is_ok());
        assert_eq!(at(Claims { iat: now + CLOCK_SKEW_SEC + 1, ..claims(now) }).unwrap_err().code, ErrorCode::Unauthorized);
        assert_eq!(at(Claims { nbf: Some(now + 600), ..claims(now) }).unwrap_err().code, ErrorCode::Unauthorized);
        assert!(at(Claims { nbf: Some(now - 10), ..claims(now) }).is_ok());
        assert_eq!(at(Claims { exp: now - 1, ..claims(now) }).unwrap_err().code, ErrorCode::TokenExpired);
    }
}
