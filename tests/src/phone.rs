//! A phone running a session over HTTP, as the app does: launch (or a session written as a
//! launch writes it, backdated, for runs longer than the clock allows), uploads, punches, finish,
//! on the demo catalog.

use crate::{Api, api, unique};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::model::catalog::course::Course;

pub const CLASSIC: (&str, &str, &str) = ("sample-classic-001", "sample-classic-001-rel-1", "classic-001");
pub const SCORE: (&str, &str, &str) = ("sample-score-001", "sample-score-001-rel-2", "score-45min");
pub const COMPETITION: &str = "cmp_classic_demo_001";
/// The demo competition with the live board on (10 s behind) and no registration.
pub const LIVE_COMPETITION: &str = "cmp_live_demo_003";

pub async fn demo_catalog() {
    let demo = std::fs::read_to_string(crate::repo_path("catalog/demo.yaml")).unwrap();
    crate::publish(&serde_norway::from_str::<Value>(&demo).unwrap()).await;
}

/// A phone on one session: its token, the course it was launched on, and what it sends.
pub struct Phone {
    pub api: Api,
    pub session_id: String,
    pub token: String,
    pub course: Course,
}

impl Phone {
    /// Launches through HTTP by direct entry, as the app does.
    pub async fn launch(api: &Api, access_token: &str, course: (&str, &str, &str)) -> Self {
        Self::launch_at(api, access_token, &format!("/client/v1/events/{}/launch", course.0), course).await
    }

    /// Launches inside the demo competition.
    pub async fn launch_in_competition(api: &Api, access_token: &str, course: (&str, &str, &str)) -> Self {
        Self::launch_at(api, access_token, &format!("/client/v1/competitions/{COMPETITION}/events/{}/launch", course.0), course).await
    }

    pub async fn launch_at(api: &Api, access_token: &str, path: &str, course: (&str, &str, &str)) -> Self {
        Self::launch_with(api, access_token, path, course, json!({})).await.0
    }

    /// Launches at `path` with `extra` fields in the body (v1.2's `live_position_sharing`): the
    /// phone and the launch's answer.
    pub async fn launch_with(
        api: &Api,
        access_token: &str,
        path: &str,
        (_, release, route): (&str, &str, &str),
        extra: Value,
    ) -> (Self, Value) {
        let mut body = json!({ "launch_request_id": unique("l_"), "device_id": "dev_run", "client_type": "app", "release_id": release, "route_code": route });
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        let (status, launched) = api.post(path, Some(access_token), body).await;
        assert_eq!(status, StatusCode::OK, "{launched}");
        let session_id = launched["data"]["session_id"].as_str().unwrap().to_string();
        let session = shared::store::session::get(&crate::db().await, &session_id).await.unwrap().expect("the launched session");
        let phone = Phone {
            api: api.clone(),
            token: launched["data"]["session_token"].as_str().unwrap().into(),
            session_id,
            course: session.course,
        };
        (phone, launched["data"].clone())
    }

    /// A session launched `ago_sec` ago (written as the launch writes it).
    pub async fn backdated(user_id: &str, (event, release, route): (&str, &str, &str), ago_sec: i64) -> (Self, i64) {
        let (session, token) = crate::running_session(&crate::db().await, user_id, event, release, route, ago_sec).await;
        let phone = Phone { api: api(), session_id: session.session_id, token, course: session.course };
        (phone, session.created_at * 1000)
    }

    /// The route's controls, start first and finish last.
    pub fn route(&self) -> Vec<String> {
        self.course.routes[0].controls.clone()
    }

    /// Punch `punch_seq` at `code`, standing 3 m north of it.
    pub fn punch_body(&self, punch_seq: u32, code: &str, t: i64) -> Value {
        let c = self.course.control(code).unwrap_or_else(|| panic!("{code} is on the course"));
        json!({ "session_id": self.session_id, "punch_seq": punch_seq, "control_code": code, "t": t, "lat": c.lat + 0.000027, "lng": c.lng, "accuracy_m": 6.0, "coord_sys": "wgs84", "method": "gps" })
    }

    pub async fn punch(&self, punch_seq: u32, code: &str, t: i64) -> Value {
        self.send_punch(self.punch_body(punch_seq, code, t)).await
    }

    pub async fn send_punch(&self, body: Value) -> Value {
        let (status, answer) = self.api.post("/client/v1/punches", Some(&self.token), body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["data"].clone()
    }

    pub async fn upload(&self, batch: &Value) -> (StatusCode, Value) {
        self.api.post("/client/v1/session-uploads", Some(&self.token), batch.clone()).await
    }

    pub async fn finish(&self, last_punch_seq: Option<u32>, reason: &str, finished_at: i64) -> (StatusCode, Value) {
        let body = json!({ "last_punch_seq": last_punch_seq, "reason": reason, "finished_at": finished_at });
        self.api.post(&format!("/client/v1/sessions/{}/finish", self.session_id), Some(&self.token), body).await
    }

    /// A backdated session inside the demo competition, as a competition launch writes it.
    pub async fn backdated_in_competition(user_id: &str, (event, release, route): (&str, &str, &str), ago_sec: i64) -> (Self, i64) {
        let db = crate::db().await;
        let mut session = crate::session_record(&db, user_id, event, release, route, ago_sec).await;
        session.competition_id = Some(COMPETITION.into());
        let token = crate::write_session(&db, &session).await;
        let phone = Phone { api: api(), session_id: session.session_id, token, course: session.course };
        (phone, session.created_at * 1000)
    }

    /// Runs `codes` as a runner does at `speed_m_s` from `start_ms`: uploads the track (a fix every
    /// 2 s), then punches each control, every punch accepted. The last punch_seq and the punch times.
    pub async fn run(&self, codes: &[String], start_ms: i64, speed_m_s: f64) -> (u32, Vec<i64>) {
        let run = crate::honest_run(&self.course, codes, start_ms, speed_m_s, 2_000);
        for batch in crate::batches_of(&self.session_id, &run.samples) {
            let (status, held) = self.upload(&batch).await;
            assert_eq!(status, StatusCode::OK, "{held}");
        }
        for (i, (code, t, _, _)) in run.punches.iter().enumerate() {
            let verdict = self.punch(i as u32, code, *t).await;
            assert_eq!(verdict["verdict"], "accepted", "{code}: {verdict}");
        }
        (codes.len() as u32 - 1, run.punches.iter().map(|p| p.1).collect())
    }
}
