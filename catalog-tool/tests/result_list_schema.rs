//! The IOF XML 3.0 `ResultList` export validates against the official IOF.xsd (shipped in
//! catalog-tool/schemas) with scripts/validate_xml.py, and docs/examples holds what the code
//! writes: a classic and a score route. `UPDATE_EXAMPLES=1 cargo test -p catalog-tool --test
//! result_list_schema` rewrites them after a deliberate change.

use catalog_tool::results::{ResultEntry, ResultEvent, result_list};
use shared::model::catalog::course::{Control, ControlKind, Course, Route, RouteKind};
use shared::model::leaderboard::display_name;
use shared::model::result::{ResultStatus, RunResult, Score, Split, SplitStatus};
use std::path::{Path, PathBuf};
use std::process::Command;

const IOF_XSD: &str = "catalog-tool/schemas/IOF.xsd";
const START: i64 = 1_800_000_000_000; // 2027-01-15T08:00:00Z
const CREATED: i64 = 1_800_010_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// Runs the validator; the venv is part of the test gate, so its absence fails, never skips.
fn validate(document: &Path) -> Result<String, String> {
    let python = root().join(".venv/bin/python");
    assert!(python.exists(), "{} is missing: run `make venv` (it installs xmlschema from requirements-dev.txt)", python.display());
    let out = Command::new(python)
        .arg(root().join("scripts/validate_xml.py"))
        .arg(root().join(IOF_XSD))
        .arg(document)
        .output()
        .expect("the validator runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(said) } else { Err(said) }
}

fn control(code: &str, kind: ControlKind, lat: f64, lng: f64, points: Option<i64>) -> Control {
    Control { code: code.into(), kind, lat, lng, radius_m: 15, points }
}

fn course(kind: RouteKind) -> Course {
    let controls = vec![
        control("S1", ControlKind::Start, 31.21950, 121.54520, None),
        control("31", ControlKind::Control, 31.22110, 121.54610, Some(10)),
        control("32", ControlKind::Control, 31.22240, 121.54380, Some(20)),
        control("33", ControlKind::Control, 31.22060, 121.54250, Some(30)),
        control("F1", ControlKind::Finish, 31.21980, 121.54470, None),
    ];
    let (route_code, time_limit_s, penalty, max_late_s) = match kind {
        RouteKind::Classic => ("Long", None, None, None),
        RouteKind::Score => ("Score-30", Some(1_800), Some(2), Some(600)),
    };
    let route = Route {
        route_code: route_code.into(),
        kind,
        controls: ["S1", "31", "32", "33", "F1"].map(String::from).to_vec(),
        time_limit_s,
        penalty_points_per_started_minute: penalty,
        max_late_s,
    };
    Course { controls, routes: vec![route] }
}

fn split(code: &str, time_s: Option<i64>, status: SplitStatus) -> Split {
    Split { control_code: code.into(), time_s, leg_s: None, status }
}

fn run(
    user: &str,
    n: i64,
    kind: RouteKind,
    status: ResultStatus,
    time_s: Option<i64>,
    score: Option<Score>,
    splits: Vec<Split>,
) -> ResultEntry {
    let start = START + n * 120_000;
    ResultEntry {
        display_name: display_name(user),
        session_id: format!("01KA{n:022}"),
        rankable: status == ResultStatus::Ok,
        result: RunResult {
            kind,
            status,
            start_time: Some(start),
            finish_time: time_s.map(|s| start + s * 1000 + 250),
            time_s,
            score,
            splits,
            missing_controls: vec![],
        },
    }
}

fn classic() -> String {
    use {ResultStatus as R, SplitStatus as S};
    let c = RouteKind::Classic;
    let ok = |a, b, d| vec![split("31", Some(a), S::Ok), split("32", Some(b), S::Ok), split("33", Some(d), S::Ok)];
    let entries = vec![
        run("user-1", 1, c, R::Ok, Some(1_312), None, ok(301, 702, 1_105)),
        run("user-2", 2, c, R::Ok, Some(1_187), None, ok(255, 640, 998)),
        run("user-3", 3, c, R::Ok, Some(1_312), None, ok(320, 690, 1_120)),
        run(
            "user-4",
            4,
            c,
            R::MissingPunch,
            Some(1_050),
            None,
            vec![
                split("31", Some(240), S::Ok),
                split("32", None, S::Missing),
                split("34", Some(610), S::Additional),
                split("33", Some(870), S::Ok),
            ],
        ),
        run(
            "user-5",
            5,
            c,
            R::DidNotFinish,
            None,
            None,
            vec![split("31", Some(410), S::Ok), split("32", None, S::Missing), split("33", None, S::Missing)],
        ),
    ];
    let course = course(c);
    let event = ResultEvent { event_id: "EV-CENTURY-PARK".into(), name: "Century Park Sprint & Score".into() };
    result_list(&event, &course, &course.routes[0], &entries, CREATED)
}

fn score() -> String {
    use {ResultStatus as R, SplitStatus as S};
    let k = RouteKind::Score;
    let score = |points, penalty| Some(Score { points, penalty, net: points - penalty });
    let entries = vec![
        run(
            "user-1",
            1,
            k,
            R::Ok,
            Some(1_750),
            score(60, 0),
            vec![split("32", Some(420), S::Ok), split("31", Some(800), S::Ok), split("33", Some(1_400), S::Ok)],
        ),
        run("user-2", 2, k, R::Ok, Some(1_690), score(50, 0), vec![split("33", Some(500), S::Ok), split("32", Some(1_100), S::Ok)]),
        run(
            "user-3",
            3,
            k,
            R::Ok,
            Some(1_925),
            score(60, 4),
            vec![split("31", Some(300), S::Ok), split("32", Some(900), S::Ok), split("33", Some(1_600), S::Ok)],
        ),
        run(
            "user-4",
            4,
            k,
            R::Ok,
            Some(1_500),
            score(50, 0),
            vec![split("32", Some(600), S::Ok), split("33", Some(1_200), S::Ok), split("33", Some(1_300), S::Additional)],
        ),
        run(
            "user-5",
            5,
            k,
            R::OverTime,
            Some(2_520),
            score(60, 26),
            vec![split("31", Some(700), S::Ok), split("32", Some(1_500), S::Ok), split("33", Some(2_200), S::Ok)],
        ),
    ];
    let course = course(k);
    let event = ResultEvent { event_id: "EV-CENTURY-PARK".into(), name: "Century Park Sprint & Score".into() };
    result_list(&event, &course, &course.routes[0], &entries, CREATED)
}

/// The example file is what the code writes (rewritten on `UPDATE_EXAMPLES=1`), and is valid.
fn check_example(name: &str, xml: &str) {
    let path = root().join("docs/examples").join(name);
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, xml).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(shipped == xml, "{} differs from what the export writes now: UPDATE_EXAMPLES=1 rewrites it", path.display());
    let verdict = validate(&path);
    assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
    println!("iof export: {name} → valid IOF XML 3.0 ResultList ({} bytes)", xml.len());
}

#[test]
fn a_classic_result_list_is_valid_iof_xml() {
    // given five runs on a classic route: a tie, a missing punch with an extra control, a DNF
    // when exported, then it is the shipped example and valid against IOF.xsd
    check_example("results-classic.xml", &classic());
}

#[test]
fn a_score_result_list_is_valid_iof_xml() {
    // given five runs on a score route: equal nets told apart by time, a penalty, an over-time
    // when exported, then it is the shipped example and valid against IOF.xsd
    check_example("results-score.xml", &score());
}

#[test]
fn the_validator_rejects_what_iof_does_not_allow() {
    // given the classic export with a status IOF does not define
    let xml = classic().replacen("<Status>OK</Status>", "<Status>Fine</Status>", 1);
    let file = std::env::temp_dir().join(format!("client-api-iof-bad-{}.xml", std::process::id()));
    std::fs::write(&file, xml).unwrap();
    // when validated
    let verdict = validate(&file);
    std::fs::remove_file(&file).ok();
    // then it is refused, so an accepted export means something
    assert!(verdict.is_err(), "accepted: {verdict:?}");
}
