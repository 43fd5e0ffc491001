//! IOF XML 3.0 `ResultList` of one event's route, as WinSplits, Livelox and the federations'
//! systems read it: one `ClassResult` (the class is the route), a `PersonResult` per run.
//!
//! Choices the standard leaves open:
//! - **Names.** Runners are known by their leaderboard pseudonym (`Runner 7F3K`), never a
//!   mobile number. `Person/Name` needs `Family` and `Given`: the last word is `Family`, the
//!   words before it `Given` (`Given` is empty for a one-word name), so tools that print
//!   "Given Family" show the pseudonym as it is. `EntryId` is the run's session id.
//! - **Order and `Position`.** Rankable results first (`OK` and on the runner's own track),
//!   ranked (classic: time; score: net points most first, then time); ties share a position
//!   and keep the order given. Other statuses follow, in the order given, with no `Position`:
//!   an `OK` run whose track did not verify it is `NotCompeting` (it ran, but it does not rank),
//!   a run off its own track `Disqualified`.
//! - **Score.** A score route's result carries `Score type="Score"` (the net points, what the
//!   ranking uses), then `Score type="Points"` (collected) and `Score type="Penalty"` (lost).
//! - **Course.** `Length` is the sum of the straight legs in metres, classic routes only (a
//!   score route has no fixed line); `NumberOfControls` does not count start and finish.

use crate::iof::NAMESPACE;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use shared::model::analysis::replay::rank_with_ties;
use shared::model::catalog::EventMeta;
use shared::model::catalog::course::{Course, Route, RouteKind};
use shared::model::leaderboard::display_name;
use shared::model::result::{ResultStatus, RunResult, SplitStatus};
use shared::model::run::coords::distance_m;
use shared::service::import as table;
use shared::store::Db;
use shared::support::clock::rfc3339_ms;
use std::io;

pub const CREATOR: &str = "client-api catalog-tool";

/// The event the results belong to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultEvent {
    pub event_id: String,
    pub name: String,
}

/// One run on the route.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultEntry {
    /// The leaderboard pseudonym (`shared::model::leaderboard::display_name`).
    pub display_name: String,
    pub session_id: String,
    pub result: RunResult,
    /// `OK` and verified by its track (`SessionResult::rankable`).
    pub rankable: bool,
}

impl ResultEntry {
    /// IOF's `ResultStatus` of the run.
    fn status(&self) -> &'static str {
        match self.result.status {
            ResultStatus::Ok if !self.rankable => "NotCompeting",
            status => status.as_str(),
        }
    }
}

/// The `ResultList` of `route` (of `course`) at `event`, created at `created_at_ms` (epoch ms).
pub fn result_list(event: &ResultEvent, course: &Course, route: &Route, entries: &[ResultEntry], created_at_ms: i64) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut writer, event, course, route, entries, created_at_ms).expect("writing to memory does not fail");
    String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it is given")
}

/// The entries in list order, each with its position (`OK` results only).
pub fn standings(kind: RouteKind, entries: &[ResultEntry]) -> Vec<(&ResultEntry, Option<u32>)> {
    let ok: Vec<&ResultEntry> = entries.iter().filter(|e| e.rankable).collect();
    let keys: Vec<(i64, i64)> = ok
        .iter()
        .map(|e| {
            let time = e.result.time_s.unwrap_or(i64::MAX);
            match kind {
                RouteKind::Classic => (0, time),
                RouteKind::Score => (-e.result.score.map_or(0, |s| s.net), time),
            }
        })
        .collect();
    let mut listed: Vec<_> = rank_with_ties(&keys).into_iter().map(|(i, rank)| (ok[i], Some(rank))).collect();
    listed.extend(entries.iter().filter(|e| !e.rankable).map(|e| (e, None)));
    listed
}

/// Course length: the straight legs between the route's controls, in whole metres.
fn length_m(course: &Course, route: &Route) -> Option<i64> {
    let points: Option<Vec<_>> = route.controls.iter().map(|code| course.control(code).map(|c| (c.lat, c.lng))).collect();
    let points = points?;
    Some(points.windows(2).map(|w| distance_m(w[0].0, w[0].1, w[1].0, w[1].1)).sum::<f64>().round() as i64)
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn write(
    w: &mut Writer<Vec<u8>>,
    event: &ResultEvent,
    course: &Course,
    route: &Route,
    entries: &[ResultEntry],
    created_at_ms: i64,
) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let created = rfc3339_ms(created_at_ms);
    w.create_element("ResultList")
        .with_attributes([
            ("xmlns", NAMESPACE),
            ("iofVersion", "3.0"),
            ("createTime", created.as_str()),
            ("creator", CREATOR),
            ("status", "Complete"),
        ])
        .write_inner_content(|w| {
            w.create_element("Event").write_inner_content(|w| {
                text(w, "Id", &event.event_id)?;
                text(w, "Name", &event.name)
            })?;
            w.create_element("ClassResult").write_inner_content(|w| {
                w.create_element("Class").write_inner_content(|w| text(w, "Name", &route.route_code))?;
                w.create_element("Course").write_inner_content(|w| {
                    text(w, "Name", &route.route_code)?;
                    if route.kind == RouteKind::Classic
                        && let Some(length) = length_m(course, route)
                    {
                        text(w, "Length", &length.to_string())?;
                    }
                    text(w, "NumberOfControls", &route.controls.len().saturating_sub(2).to_string())
                })?;
                for (entry, position) in standings(route.kind, entries) {
                    person_result(w, route, entry, position)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn person_result(w: &mut Writer<Vec<u8>>, route: &Route, entry: &ResultEntry, position: Option<u32>) -> io::Result<()> {
    let (given, family) = entry.display_name.trim().rsplit_once(' ').unwrap_or(("", entry.display_name.trim()));
    let r = &entry.result;
    w.create_element("PersonResult").write_inner_content(|w| {
        text(w, "EntryId", &entry.session_id)?;
        w.create_element("Person").write_inner_content(|w| {
            w.create_element("Name").write_inner_content(|w| {
                text(w, "Family", family)?;
                text(w, "Given", given.trim())
            })?;
            Ok(())
        })?;
        w.create_element("Result").write_inner_content(|w| {
            if let Some(t) = r.start_time {
                text(w, "StartTime", &rfc3339_ms(t))?;
            }
            if let Some(t) = r.finish_time {
                text(w, "FinishTime", &rfc3339_ms(t))?;
            }
            if let Some(s) = r.time_s {
                text(w, "Time", &s.to_string())?;
            }
            if let Some(p) = position {
                text(w, "Position", &p.to_string())?;
            }
            text(w, "Status", entry.status())?;
            if route.kind == RouteKind::Score
                && let Some(score) = r.score
            {
                for (kind, value) in [("Score", score.net), ("Points", score.points), ("Penalty", score.penalty)] {
                    w.create_element("Score").with_attribute(("type", kind)).write_text_content(BytesText::new(&value.to_string()))?;
                }
            }
            for split in &r.splits {
                let element = w.create_element("SplitTime");
                // `OK` is the schema's default: only the exceptions are written.
                let element = match split.status {
                    SplitStatus::Ok => element,
                    other => element.with_attribute(("status", other.as_str())),
                };
                element.write_inner_content(|w| {
                    text(w, "ControlCode", &split.control_code)?;
                    match (split.status, split.time_s) {
                        (SplitStatus::Missing, _) | (_, None) => Ok(()),
                        (_, Some(s)) => text(w, "Time", &s.to_string()),
                    }
                })?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

/// The `ResultList` of an event's route as stored: every result of that route on `release_id`
/// (the event's current release when `None`), read through the route's results index.
pub async fn export(db: &Db, event_id: &str, route_code: &str, release_id: Option<&str>, now_ms: i64) -> Result<String, ExportError> {
    let event: EventMeta = table::event(db, event_id).await?.ok_or(ExportError::NoEvent)?;
    let release_id = release_id.unwrap_or(&event.current_release_id);
    let release = table::release(db, event_id, release_id).await?.ok_or(ExportError::NoRelease)?;
    let route = release.course.route(route_code).ok_or(ExportError::NoRoute)?;
    let entries: Vec<ResultEntry> = table::route_results(db, event_id, route_code)
        .await?
        .into_iter()
        .filter(|r| r.event_release_id == release_id)
        .map(|r| ResultEntry { display_name: display_name(&r.user_id), rankable: r.rankable(), session_id: r.session_id, result: r.result })
        .collect();
    let event = ResultEvent { event_id: event_id.to_owned(), name: event.display_name };
    Ok(result_list(&event, &release.course, route, &entries, now_ms))
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no such event")]
    NoEvent,
    #[error("no such release of the event")]
    NoRelease,
    #[error("the release has no such route")]
    NoRoute,
    #[error("reading the table failed ({})", .0.code)]
    Store(shared::ApiError),
}

impl From<shared::ApiError> for ExportError {
    fn from(e: shared::ApiError) -> Self {
        ExportError::Store(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::model::catalog::course::{Control, ControlKind};
    use shared::model::result::{Score, Split};

    fn control(code: &str, kind: ControlKind, lat: f64, lng: f64) -> Control {
        Control { code: code.into(), kind, lat, lng, radius_m: 15, points: None }
    }

    fn course() -> Course {
        Course {
            controls: vec![
                control("S1", ControlKind::Start, 31.0, 121.0),
                control("31", ControlKind::Control, 31.001, 121.0),
                control("F1", ControlKind::Finish, 31.001, 121.0012),
            ],
            routes: vec![Route {
                route_code: "A".into(),
                kind: RouteKind::Classic,
                controls: vec!["S1".into(), "31".into(), "F1".into()],
                time_limit_s: None,
                penalty_points_per_started_minute: None,
                max_late_s: None,
            }],
        }
    }

    fn entry(name: &str, status: ResultStatus, time_s: Option<i64>, splits: Vec<Split>) -> ResultEntry {
        let start = 1_800_000_000_000;
        ResultEntry {
            display_name: name.into(),
            session_id: format!("S-{name}"),
            rankable: status == ResultStatus::Ok,
            result: RunResult {
                kind: RouteKind::Classic,
                status,
                start_time: Some(start),
                finish_time: time_s.map(|s| start + s * 1000),
                time_s,
                score: None,
                splits,
                missing_controls: vec![],
            },
        }
    }

    fn split(code: &str, time_s: Option<i64>, status: SplitStatus) -> Split {
        Split { control_code: code.into(), time_s, leg_s: time_s, status }
    }

    fn event() -> ResultEvent {
        ResultEvent { event_id: "EV1".into(), name: "Park & <Ride> sprint".into() }
    }

    #[test]
    fn ok_results_are_ranked_ties_sharing_and_others_have_no_position() {
        // given a DNF listed first, two tied OK runs and a faster one
        let course = course();
        let entries = vec![
            entry("Runner DNF1", ResultStatus::DidNotFinish, None, vec![]),
            entry("Runner AAAA", ResultStatus::Ok, Some(600), vec![split("31", Some(200), SplitStatus::Ok)]),
            entry("Runner BBBB", ResultStatus::Ok, Some(600), vec![split("31", Some(250), SplitStatus::Ok)]),
            entry("Runner CCCC", ResultStatus::Ok, Some(500), vec![split("31", Some(150), SplitStatus::Ok)]),
        ];
        // when exported
        let xml = result_list(&event(), &course, &course.routes[0], &entries, 1_800_000_999_000);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        // then the persons list fastest first, the tie shares 2nd in the order given, the DNF last without position
        let rows: Vec<(String, Option<String>, String)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("PersonResult"))
            .map(|p| {
                let get = |name: &str| p.descendants().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).map(str::to_string);
                (get("Family").unwrap(), get("Position"), get("Status").unwrap())
            })
            .collect();
        let expect = [("CCCC", Some("1"), "OK"), ("AAAA", Some("2"), "OK"), ("BBBB", Some("2"), "OK"), ("DNF1", None, "DidNotFinish")];
        assert_eq!(rows, expect.map(|(f, p, s)| (f.to_string(), p.map(str::to_string), s.to_string())).to_vec());
        // and the root is IOF 3.0, the event name escaped, the course's length its straight legs
        let root = doc.root_element();
        assert_eq!((root.tag_name().namespace(), root.attribute("iofVersion")), (Some(NAMESPACE), Some("3.0")));
        assert_eq!(root.attribute("createTime"), Some("2027-01-15T08:16:39.000Z"));
        assert!(xml.contains("<Name>Park &amp; &lt;Ride&gt; sprint</Name>"));
        assert!(xml.contains("<Length>226</Length>") && xml.contains("<NumberOfControls>1</NumberOfControls>"), "{xml}");
    }

    #[test]
    fn split_times_mark_missing_and_additional_and_missing_has_no_time() {
        // given a run that missed 31 and punched 99
        let course = course();
        let splits = vec![split("31", None, SplitStatus::Missing), split("99", Some(90), SplitStatus::Additional)];
        let entries = vec![entry("Solo", ResultStatus::MissingPunch, Some(700), splits)];
        // when exported
        let xml = result_list(&event(), &course, &course.routes[0], &entries, 0);
        // then the statuses are attributes, a missing control has no Time, a one-word name is Family
        assert!(xml.contains("<SplitTime status=\"Missing\">\n          <ControlCode>31</ControlCode>\n        </SplitTime>"), "{xml}");
        assert!(
            xml.contains("<SplitTime status=\"Additional\">\n          <ControlCode>99</ControlCode>\n          <Time>90</Time>"),
            "{xml}"
        );
        assert!(xml.contains("<Family>Solo</Family>") && xml.contains("<Given></Given>"), "{xml}");
        assert!(!xml.contains("<Position>"));
    }

    #[test]
    fn score_routes_rank_by_net_then_time_and_carry_scores() {
        // given a score route: 120 net slow, 120 net fast, 200 net
        let mut course = course();
        course.routes[0].kind = RouteKind::Score;
        let scored = |name: &str, net: i64, time_s: i64| {
            let mut e = entry(name, ResultStatus::Ok, Some(time_s), vec![]);
            e.result.kind = RouteKind::Score;
            e.result.score = Some(Score { points: net + 10, penalty: 10, net });
            e
        };
        let entries = vec![scored("Runner SLOW", 120, 1_800), scored("Runner FAST", 120, 1_500), scored("Runner MOST", 200, 2_000)];
        // when exported
        let order: Vec<_> = standings(RouteKind::Score, &entries).iter().map(|(e, p)| (e.display_name.clone(), *p)).collect();
        let xml = result_list(&event(), &course, &course.routes[0], &entries, 0);
        // then most points first, faster first among equal points, and the three scores written
        assert_eq!(order, [("Runner MOST", Some(1)), ("Runner FAST", Some(2)), ("Runner SLOW", Some(3))].map(|(n, p)| (n.to_string(), p)));
        assert!(xml.contains("<Score type=\"Score\">200</Score>") && xml.contains("<Score type=\"Points\">210</Score>"), "{xml}");
        assert!(!xml.contains("<Length>"));
    }
}
