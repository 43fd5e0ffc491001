//! `POST /punches`: a punch judged at once against the session's frozen course and stored with
//! its verdict, exactly once per `punch_seq`.

use crate::model::run::coords::{CoordSys, to_wgs84};
use crate::model::run::punch::{AcceptedPunch, Fix, Judgement, MAX_PUNCH_SEQ, Punch, PunchMethod, RejectReason, Verdict, judge};
use crate::model::run::session::{self, SessionState, Window};
use crate::service::auth::refresh::{logged_out, login_alive};
use crate::store;
use crate::store::db::{Db, TxItem};
use crate::support::check::{check_id, check_range, check_token};
use crate::support::error::{ApiError, ApiResult, ErrorCode};
use crate::support::tokens::Claims;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PunchRequest {
    pub session_id: String,
    pub punch_seq: u32,
    pub control_code: String,
    pub t: i64,
    pub lat: f64,
    pub lng: f64,
    pub accuracy_m: f64,
    pub coord_sys: CoordSys,
    pub method: PunchMethod,
}

/// The answer to a punch: the verdict the phone buzzes on.
#[derive(Debug, Serialize)]
pub struct PunchAnswer {
    pub session_id: String,
    pub punch_seq: u32,
    pub control_code: String,
    pub verdict: Verdict,
    pub reason: Option<RejectReason>,
    pub distance_m: Option<f64>,
}

impl PunchAnswer {
    fn of(session_id: &str, punch: &Punch) -> Self {
        Self {
            session_id: session_id.to_owned(),
            punch_seq: punch.punch_seq,
            control_code: punch.control_code.clone(),
            verdict: punch.verdict,
            reason: punch.reason,
            distance_m: punch.distance_m,
        }
    }
}

fn check(request: &PunchRequest, window: Window) -> ApiResult<()> {
    check_range("punch_seq", Some(request.punch_seq), (0, MAX_PUNCH_SEQ))?;
    check_token("control_code", &request.control_code, 16)?;
    window.check("t", request.t)?;
    session::check_fix("", request.lat, request.lng, request.accuracy_m)
}

/// Judges and stores a punch: one read (the session, and a punch held under this `punch_seq`),
/// one transaction. A resend of a `punch_seq` answers what the first one got.
pub async fn submit(db: &Db, claims: &Claims, request: PunchRequest, now_ms: i64) -> ApiResult<PunchAnswer> {
    check_id("session_id", &request.session_id)?;
    let content_hash = crate::support::crypto::sha256_hex(&serde_json::to_vec(&request).expect("request encodes"));
    // A finish or a twin of this punch may land between the read and the write: read again.
    for _ in 0..3 {
        let (session, held) = store::session::punch_context(db, &request.session_id, request.punch_seq).await?;
        let session = session::writable(claims, &request.session_id, session)?;
        if let Some(held) = held {
            return if held.content_hash == content_hash {
                Ok(PunchAnswer::of(&request.session_id, &held))
            } else {
                Err(ApiError::of(ErrorCode::PunchSeqReused).with_details(json!({ "field": "punch_seq" })))
            };
        }
        check(&request, Window::of(&session, now_ms))?;
        let (lat, lng) = to_wgs84(request.coord_sys, request.lat, request.lng);
        let fix = Fix { control_code: &request.control_code, t: request.t, lat, lng, accuracy_m: request.accuracy_m };
        let running = session.state == SessionState::Active;
        let judgement = if running {
            judge(&session.course, &session.course.routes[0], &session.accepted_before(request.punch_seq), &fix)
        } else {
            Judgement::rejected(RejectReason::AfterFinish, None)
        };
        let noted = judgement.accepted().then(|| AcceptedPunch::from(&fix));
        let punch = Punch {
            punch_seq: request.punch_seq,
            control_code: request.control_code.clone(),
            t: request.t,
            lat,
            lng,
            accuracy_m: request.accuracy_m,
            content_hash: content_hash.clone(),
            verdict: judgement.verdict,
            reason: judgement.reason,
            distance_m: judgement.distance_m,
        };
        let live = store::live::Tag::of(&session);
        let on_board = live.as_ref().zip(session.control_index(&punch.control_code));
        let mut tx = store::session::add_punch(db, &request.session_id, &punch, running, noted.as_ref(), on_board);
        tx.append(login_alive(db, claims));
        match db.transact(tx).await {
            Ok(()) => return Ok(PunchAnswer::of(&request.session_id, &punch)),
            Err(e) if e.failed(TxItem::LoginAlive) => return Err(logged_out()),
            Err(e) if e.failed(TxItem::Punch) || e.failed(TxItem::Session) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable())
}
