//! The route table of `/client/v1`: which function answers which method and path.
//!
//! `template.yaml`, the `cargo lambda watch` router in `Cargo.toml` and `docs/openapi.yaml`
//! must list exactly these routes (a test in `tests/` fails when they drift).

use std::collections::HashMap;

crate::plain_enum! {
    /// Each operation of the API, named as its `operationId` in docs/openapi.yaml.
    pub enum Operation {
        SendSmsCode = "sendSmsCode",
        LoginWithSms = "loginWithSms",
        LoginWithWechat = "loginWithWechat",
        RefreshAccessToken = "refreshAccessToken",
        UpdateBodyProfile = "updateBodyProfile",
        ListCards = "listCards",
        GetCompetition = "getCompetition",
        GetCompetitionEvent = "getCompetitionEvent",
        GetCompetitionLeaderboard = "getCompetitionLeaderboard",
        GetCompetitionLive = "getCompetitionLive",
        ListMaps = "listMaps",
        GetMap = "getMap",
        ListEvents = "listEvents",
        GetEvent = "getEvent",
        RegisterForCompetition = "registerForCompetition",
        CancelRegistration = "cancelRegistration",
        LaunchCompetitionEvent = "launchCompetitionEvent",
        LaunchEvent = "launchEvent",
        UploadSession = "uploadSession",
        SubmitPunches = "submitPunches",
        FinishSession = "finishSession",
        GetSessionResult = "getSessionResult",
        GetSessionReplaySummary = "getSessionReplaySummary",
        GetSessionGpsTrack = "getSessionGpsTrack",
        GetSessionHeartRate = "getSessionHeartRate",
        ListMySessions = "listMySessions",
        GetOpenApi = "getOpenApi",
        GetMe = "getMe",
        DeleteMe = "deleteMe",
        BindMobile = "bindMobile",
        BindWechat = "bindWechat",
        ListMyRegistrations = "listMyRegistrations",
        Logout = "logout",
    }
}

/// The largest body a route takes: 16 KiB, and 256 KiB for a batch of track samples.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024;

impl Operation {
    pub fn max_body_bytes(self) -> usize {
        match self {
            Operation::UploadSession => MAX_UPLOAD_BYTES,
            _ => MAX_BODY_BYTES,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: &'static str,
    pub operation: Operation,
}

const fn r(method: &'static str, path: &'static str, function: &'static str, operation: Operation) -> Route {
    Route { method, path, function, operation }
}

pub const ROUTES: &[Route] = &[
    r("POST", "/client/v1/auth/sms/send", "sms-send", Operation::SendSmsCode),
    r("POST", "/client/v1/auth/login/sms", "sms-login", Operation::LoginWithSms),
    r("POST", "/client/v1/auth/login/wechat", "wechat-login", Operation::LoginWithWechat),
    r("POST", "/client/v1/auth/refresh", "token-refresh", Operation::RefreshAccessToken),
    r("PUT", "/client/v1/me/body-profile", "body-profile", Operation::UpdateBodyProfile),
    r("GET", "/client/v1/cards", "catalog", Operation::ListCards),
    r("GET", "/client/v1/competitions/{competition_id}", "catalog", Operation::GetCompetition),
    r("GET", "/client/v1/competitions/{competition_id}/events/{event_id}", "catalog", Operation::GetCompetitionEvent),
    r("GET", "/client/v1/competitions/{competition_id}/leaderboard", "catalog", Operation::GetCompetitionLeaderboard),
    r("GET", "/client/v1/competitions/{competition_id}/live", "catalog", Operation::GetCompetitionLive),
    r("GET", "/client/v1/maps", "catalog", Operation::ListMaps),
    r("GET", "/client/v1/maps/{map_id}", "catalog", Operation::GetMap),
    r("GET", "/client/v1/events", "catalog", Operation::ListEvents),
    r("GET", "/client/v1/events/{event_id}", "catalog", Operation::GetEvent),
    r("POST", "/client/v1/competitions/{competition_id}/registrations", "registration", Operation::RegisterForCompetition),
    r("DELETE", "/client/v1/competitions/{competition_id}/registrations", "registration", Operation::CancelRegistration),
    r("POST", "/client/v1/competitions/{competition_id}/events/{event_id}/launch", "launch", Operation::LaunchCompetitionEvent),
    r("POST", "/client/v1/events/{event_id}/launch", "launch", Operation::LaunchEvent),
    r("POST", "/client/v1/session-uploads", "sessions", Operation::UploadSession),
    r("POST", "/client/v1/punches", "sessions", Operation::SubmitPunches),
    r("POST", "/client/v1/sessions/{session_id}/finish", "sessions", Operation::FinishSession),
    r("GET", "/client/v1/sessions/{session_id}/result", "sessions", Operation::GetSessionResult),
    r("GET", "/client/v1/sessions/{session_id}/replay-summary", "sessions", Operation::GetSessionReplaySummary),
    r("GET", "/client/v1/sessions/{session_id}/gps-track", "sessions", Operation::GetSessionGpsTrack),
    r("GET", "/client/v1/sessions/{session_id}/heart-rate", "sessions", Operation::GetSessionHeartRate),
    r("GET", "/client/v1/me/sessions", "sessions", Operation::ListMySessions),
    r("GET", "/client/v1/openapi.yaml", "sessions", Operation::GetOpenApi),
    r("GET", "/client/v1/me", "account", Operation::GetMe),
    r("DELETE", "/client/v1/me", "account", Operation::DeleteMe),
    r("POST", "/client/v1/me/identities/mobile", "account", Operation::BindMobile),
    r("POST", "/client/v1/me/identities/wechat", "account", Operation::BindWechat),
    r("GET", "/client/v1/me/registrations", "account", Operation::ListMyRegistrations),
    r("POST", "/client/v1/auth/logout", "account", Operation::Logout),
];

/// The catch-all (`ANY /client/v1/{proxy+}` deployed) that turns every other path into an
/// enveloped 404 or 405; it belongs to the sessions function.
pub const FALLBACK_FUNCTION: &str = "sessions";

/// Path parameters by name, percent-decoded.
pub type Params = HashMap<&'static str, String>;

#[derive(Debug, PartialEq)]
pub enum Matched {
    Route(&'static Route, Params),
    /// The path exists, but not with this method: these are the ones it has.
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

pub fn find(method: &str, path: &str) -> Matched {
    let mut allowed = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_path(route.path, path) {
            if route.method == method {
                return Matched::Route(route, params);
            }
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() { Matched::NotFound } else { Matched::MethodNotAllowed(allowed) }
}

/// Exact: `/maps/` is not `/maps` (API Gateway and `cargo lambda watch` route them apart too).
fn match_path(pattern: &'static str, path: &str) -> Option<Params> {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    let mut params = Params::new();
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) => match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(name) if !g.is_empty() => {
                    params.insert(name, percent_decode(g));
                }
                Some(_) => return None,
                None if w == g => {}
                None => return None,
            },
            _ => return None,
        }
    }
}

/// Decodes `%XX` so an id such as `a%2Fb` reaches validation as `a/b` (and is refused there).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_params_methods_and_unknown_paths() {
        let Matched::Route(route, params) = find("GET", "/client/v1/competitions/cmp_1/events/ev%2F1") else {
            panic!("no match");
        };
        assert_eq!(route.function, "catalog");
        assert_eq!(params["competition_id"], "cmp_1");
        assert_eq!(params["event_id"], "ev/1");
        assert_eq!(find("GET", "/client/v1/auth/sms/send"), Matched::MethodNotAllowed(vec!["POST"]));
        assert_eq!(find("GET", "/client/v1/nope"), Matched::NotFound);
        let maps = ROUTES.iter().find(|r| r.operation == Operation::ListMaps).unwrap();
        assert_eq!(find("GET", "/client/v1/maps"), Matched::Route(maps, Params::new()));
        assert_eq!(find("GET", "/client/v1/maps/"), Matched::NotFound);
        assert_eq!(find("GET", "/client/v1/maps//x"), Matched::NotFound);
    }
}
