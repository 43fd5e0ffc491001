//! A release's course: loaded from the catalog file (written out, or from an IOF XML 3.0 file),
//! then checked — every problem at once, each naming its control or route.

use crate::file::{CourseDef, Loaded, RouteDef};
use crate::grid::Grid;
use crate::iof::{self, Causes};
use shared::model::catalog::course::{Control, ControlKind, Course, DEFAULT_RADIUS_M, MapExchange, RADIUS_RANGE_M, Route, RouteKind};
use shared::support::check::check_id;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The course `def` describes, its IOF file (if any) read relative to `base`.
pub fn resolve(def: &CourseDef, base: &Path) -> Result<Loaded, Vec<String>> {
    match &def.iof_xml {
        None => inline(def).map(|course| Loaded { course, map_exchanges: BTreeMap::new() }),
        Some(file) => {
            let path = base.join(file);
            let at = format!("course.iof_xml {file:?}");
            let bytes = std::fs::read(&path).map_err(|e| vec![format!("{at}: cannot read {}: {e}", path.display())])?;
            iof::decode(&bytes)
                .map_err(|problem| vec![problem])
                .and_then(|xml| from_iof(def, &xml))
                .map_err(|problems| problems.into_iter().map(|p| format!("{at}: {p}")).collect())
        }
    }
}

fn inline(def: &CourseDef) -> Result<Course, Vec<String>> {
    let mut problems = Vec::new();
    if def.crs.is_some() {
        problems.push("course.crs: only with course.iof_xml (written-out controls are WGS-84 degrees)".to_string());
    }
    let mut controls = Vec::new();
    for c in &def.controls {
        let kind = ControlKind::parse(&c.kind).unwrap_or_else(|| {
            problems.push(format!("course.controls[{}].kind: {:?} is not one of start, control, finish", c.code, c.kind));
            ControlKind::Control
        });
        controls.push(Control {
            code: c.code.clone(),
            kind,
            lat: c.lat,
            lng: c.lng,
            radius_m: c.radius_m.unwrap_or(DEFAULT_RADIUS_M),
            points: c.points,
        });
    }
    let mut routes = Vec::new();
    for r in &def.routes {
        let at = format!("course.routes[{}]", r.route_code);
        if r.iof_course.is_some() {
            problems.push(format!("{at}.iof_course: only with course.iof_xml"));
        }
        let kind = route_kind(r.kind.as_deref(), RouteKind::Classic, &at, &mut problems).unwrap_or(RouteKind::Classic);
        routes.push(Route {
            route_code: r.route_code.clone(),
            kind,
            controls: r.controls.clone(),
            time_limit_s: r.time_limit_s,
            penalty_points_per_started_minute: r.penalty_points_per_started_minute,
            max_late_s: r.max_late_s,
        });
    }
    let course = Course { controls, routes };
    // Every problem at once: the rest of the course is checked too.
    if problems.is_empty() { Ok(course) } else { Err(problems.into_iter().chain(self::problems(&course)).collect()) }
}

fn route_kind(kind: Option<&str>, default: RouteKind, at: &str, problems: &mut Vec<String>) -> Option<RouteKind> {
    match kind {
        None => Some(default),
        Some(text) => {
            let kind = RouteKind::parse(text);
            if kind.is_none() {
                problems.push(format!("{at}.kind: {text:?} is not one of classic, score"));
            }
            kind
        }
    }
}

/// The route code of an IOF course picked by default: its name, with what an id cannot hold
/// (spaces, `+`, `/`, accents) as `-` — "Light Green" is `Light-Green`.
pub fn route_code_of(name: &str) -> String {
    let mut code = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':') {
            code.push(c);
        } else if !code.ends_with('-') {
            code.push('-');
        }
    }
    code.trim_matches('-').to_string()
}

/// The controls' positions in WGS-84 degrees: as written, or converted from the grid
/// `course.crs` names. Each cause (no position, grid numbers without a grid) is one problem.
fn positions(def: &CourseDef, data: &iof::CourseData) -> Result<Vec<(f64, f64)>, Vec<String>> {
    let mut causes = Causes::default();
    let grid = match def.crs.as_deref().map(Grid::parse) {
        None => None,
        Some(Ok(grid)) => Some(grid),
        Some(Err(problem)) => return Err(vec![format!("course.crs: {problem}")]),
    };
    let mut converted = Vec::new();
    for c in &data.controls {
        let (lat, lng) = match c.position {
            iof::Position::At { lat, lng } => (lat, lng),
            iof::Position::OnlyOnTheMap => {
                causes.add(c.at.clone(), "has no Position (lat/lng), only a MapPosition: the map is not georeferenced", iof::GEOREFERENCE);
                continue;
            }
            iof::Position::None => {
                causes.add(c.at.clone(), "has no Position (lat/lng)", iof::GEOREFERENCE);
                continue;
            }
        };
        match &grid {
            None if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) => converted.push((lat, lng)),
            None => causes.add(
                format!("{} lat=\"{lat}\" lng=\"{lng}\"", c.at),
                "Position is not WGS-84 degrees: it looks like projected grid coordinates (northing and easting in metres, \
                 as Condes 9 writes them)",
                "name the map's grid in course.crs (e.g. crs: EPSG:27700 for the British National Grid), or export the courses \
                 in WGS-84 degrees",
            ),
            // Condes writes the easting as `lng` and the northing as `lat`.
            Some(grid) => match grid.to_wgs84(lng, lat) {
                Some(degrees) => converted.push(degrees),
                None => causes.add(
                    format!("{} lat=\"{lat}\" lng=\"{lng}\"", c.at),
                    format!("Position does not convert from {}", grid.name()),
                    "check that course.crs is the grid of the map the courses were set on",
                ),
            },
        }
    }
    if causes.is_empty() { Ok(converted) } else { Err(causes.into_problems()) }
}

/// The course of an IOF `CourseData` document: its controls, and its courses as routes — all of
/// them, named as they are, or those `def.routes` picks, named and ruled as it says. A `Start`
/// in the middle of a course is a map exchange of its route, not one of its controls.
pub fn from_iof(def: &CourseDef, xml: &str) -> Result<Loaded, Vec<String>> {
    let data = iof::parse(xml)?;
    let mut problems = Vec::new();
    if !def.controls.is_empty() {
        problems.push("course.controls: give the controls in the IOF file or here, not both".to_string());
    }
    // Without positions the courses are still read, so every cause is told at once.
    let (positions, unplaced) = match positions(def, &data) {
        Ok(positions) => (positions, Vec::new()),
        Err(problems) => (vec![(0.0, 0.0); data.controls.len()], problems),
    };
    problems.extend(unplaced);
    let mut controls: Vec<Control> = data
        .controls
        .iter()
        .zip(positions)
        .map(|(c, (lat, lng))| Control { code: c.code.clone(), kind: c.kind, lat, lng, radius_m: DEFAULT_RADIUS_M, points: None })
        .collect();
    let picked: Vec<(String, &iof::IofCourse, Option<&RouteDef>)> = if def.routes.is_empty() {
        let picked: Vec<_> = data.courses.iter().map(|c| (route_code_of(&c.name), c, None)).collect();
        let mut named: HashMap<&str, &str> = HashMap::new();
        for (code, course, _) in &picked {
            if let Some(other) = named.insert(code, &course.name) {
                problems.push(format!(
                    "{}: Courses {other:?} and {:?} would both be route {code:?}: name the routes in course.routes (route_code, iof_course)",
                    course.at, course.name
                ));
            }
        }
        picked
    } else {
        let mut picked = Vec::new();
        for r in &def.routes {
            let name = r.iof_course.as_deref().unwrap_or(&r.route_code);
            if !r.controls.is_empty() {
                problems.push(format!("course.routes[{}].controls: the IOF course gives them", r.route_code));
            }
            match data.course(name) {
                Some(course) => picked.push((r.route_code.clone(), course, Some(r))),
                None => problems.push(format!(
                    "course.routes[{}].iof_course: the file has no Course named {name:?} (it has: {})",
                    r.route_code,
                    data.courses.iter().map(|c| format!("{:?}", c.name)).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        picked
    };

    let mut causes = Causes::default();
    let mut undeclared: Vec<(&iof::IofCourseControl, &str)> = Vec::new();
    let mut points: HashMap<String, (i64, String)> = HashMap::new();
    let mut routes = Vec::new();
    let mut map_exchanges = BTreeMap::new();
    for (route_code, course, rules) in picked {
        let scored = course.controls.iter().any(|cc| cc.score.is_some());
        let at = format!("course.routes[{route_code}]");
        let default = if scored { RouteKind::Score } else { RouteKind::Classic };
        let Some(kind) = route_kind(rules.and_then(|r| r.kind.as_deref()), default, &at, &mut problems) else { continue };
        if kind == RouteKind::Score && !scored {
            problems.push(format!(
                "{at}: {} carries no Score, so its controls are worth nothing: give them their points in the course-setting \
                 software (Purple Pen: the score course's control points) and export again, or make it kind: classic",
                course.at
            ));
        }
        let mut codes = Vec::new();
        let mut exchanges = Vec::new();
        let last = course.controls.len().saturating_sub(1);
        for (i, cc) in course.controls.iter().enumerate() {
            let Some(index) = controls.iter().position(|c| c.code == cc.code) else {
                undeclared.push((cc, &course.name));
                continue;
            };
            let declared = data.control(&cc.code).map(|c| c.kind);
            if i > 0 && i < last && cc.kind.or(declared) == Some(ControlKind::Start) {
                let control = &controls[index];
                exchanges.push(MapExchange { after: codes.len(), code: cc.code.clone(), lat: control.lat, lng: control.lng });
                continue;
            }
            let control = &mut controls[index];
            if let Some(kind) = cc.kind
                && kind != control.kind
            {
                // An export may type every control `Control` and mark start and finish on the course.
                if control.kind == ControlKind::Control && declared == Some(ControlKind::Control) {
                    control.kind = kind;
                } else {
                    problems.push(format!(
                        "{}: type {} contradicts control {:?}, a {}",
                        cc.at,
                        kind.as_str(),
                        cc.code,
                        control.kind.as_str()
                    ));
                }
            }
            if let Some(score) = cc.score {
                if score.fract() != 0.0 || score.abs() > 1e9 {
                    problems.push(format!("{}: Score {score} is not a whole number of points", cc.at));
                } else {
                    let score = score as i64;
                    match points.get(&cc.code) {
                        Some((other, other_at)) if *other != score => problems.push(format!(
                            "{}: Score {score} for control {:?}, but {other_at} gives it {other} (a control has one value)",
                            cc.at, cc.code
                        )),
                        _ => {
                            points.insert(cc.code.clone(), (score, cc.at.clone()));
                        }
                    }
                }
            }
            codes.push(cc.code.clone());
        }
        if course.controls.len() == 2 {
            causes.add(
                course.at.clone(),
                "has only a start and a finish, no controls between them (a relay whose legs were not exported?)",
                "export each leg variation as a course with its controls; each becomes a route",
            );
        }
        if !exchanges.is_empty() {
            map_exchanges.insert(route_code.clone(), exchanges);
        }
        routes.push(Route {
            route_code,
            kind,
            controls: codes,
            time_limit_s: rules.and_then(|r| r.time_limit_s),
            penalty_points_per_started_minute: rules.and_then(|r| r.penalty_points_per_started_minute),
            max_late_s: rules.and_then(|r| r.max_late_s),
        });
    }
    problems.extend(undeclared_problem(&undeclared));
    problems.extend(causes.into_problems());
    for control in &mut controls {
        control.points = points.get(&control.code).map(|(p, _)| *p);
    }
    // A control that is only ever a map exchange is not one to punch.
    let punched: HashSet<&str> = routes.iter().flat_map(|r| r.controls.iter().map(String::as_str)).collect();
    let exchanged: HashSet<String> = map_exchanges.values().flatten().map(|x| x.code.clone()).collect();
    controls.retain(|c| punched.contains(c.code.as_str()) || !exchanged.contains(&c.code));
    if problems.is_empty() { Ok(Loaded { course: Course { controls, routes }, map_exchanges }) } else { Err(problems) }
}

/// The course controls that name a control the file does not declare, as one problem.
fn undeclared_problem(undeclared: &[(&iof::IofCourseControl, &str)]) -> Option<String> {
    let (first, _) = undeclared.first()?;
    let advice = "export the courses with their controls (Purple Pen, OCAD and Condes write a Control, with its Position, for each)";
    if undeclared.len() == 1 {
        return Some(format!("{}: control {:?} does not exist (not among the file's Control elements): {advice}", first.at, first.code));
    }
    let mut codes: Vec<&str> = Vec::new();
    for (cc, _) in undeclared {
        if !codes.contains(&cc.code.as_str()) {
            codes.push(&cc.code);
        }
    }
    let courses: HashSet<&str> = undeclared.iter().map(|(_, course)| *course).collect();
    Some(format!(
        "{} and {} more in {} course(s): name controls that do not exist (not among the file's Control elements: {}): {advice}",
        first.at,
        undeclared.len() - 1,
        courses.len(),
        codes.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")
    ))
}

/// The problems of a course; empty when it can be published. Each starts `course.`.
pub fn problems(course: &Course) -> Vec<String> {
    let mut p = Vec::new();
    if course.controls.is_empty() {
        p.push("course.controls: a course needs controls".to_string());
    }
    if course.routes.is_empty() {
        p.push("course.routes: a course needs at least one route".to_string());
    }
    let mut seen = HashSet::new();
    for c in &course.controls {
        let at = format!("course.controls[{}]", c.code);
        if !seen.insert(c.code.as_str()) {
            p.push(format!("course.controls: duplicate code {:?}", c.code));
        }
        if let Err(e) = check_id("code", &c.code) {
            p.push(format!("{at}.code: {:?} {}", c.code, e.details["reason"].as_str().unwrap_or("is not a valid code")));
        }
        if !(c.lat.is_finite() && (-90.0..=90.0).contains(&c.lat)) {
            p.push(format!("{at}.lat: {} is outside -90..=90", c.lat));
        }
        if !(c.lng.is_finite() && (-180.0..=180.0).contains(&c.lng)) {
            p.push(format!("{at}.lng: {} is outside -180..=180", c.lng));
        }
        if !RADIUS_RANGE_M.contains(&c.radius_m) {
            p.push(format!("{at}.radius_m: {} is outside {}..={} m", c.radius_m, RADIUS_RANGE_M.start(), RADIUS_RANGE_M.end()));
        }
        if c.points.is_some_and(|points| points <= 0) {
            p.push(format!("{at}.points: must be positive"));
        }
    }
    let mut route_codes = HashSet::new();
    for r in &course.routes {
        let at = format!("course.routes[{}]", r.route_code);
        if !route_codes.insert(r.route_code.as_str()) {
            p.push(format!("course.routes: duplicate route_code {:?}", r.route_code));
        }
        if let Err(e) = check_id("route_code", &r.route_code) {
            p.push(format!("{at}.route_code: {:?} {}", r.route_code, e.details["reason"].as_str().unwrap_or("is not a valid id")));
        }
        let kinds: Vec<Option<&Control>> = r.controls.iter().map(|code| course.control(code)).collect();
        for (code, control) in r.controls.iter().zip(&kinds) {
            if control.is_none() {
                p.push(format!("{at}.controls: {code:?} is not a control of this course"));
            }
        }
        let kind_at = |i: usize| kinds.get(i).copied().flatten().map(|c| c.kind);
        match r.controls.first() {
            Some(first) if kind_at(0).is_some_and(|k| k != ControlKind::Start) => {
                p.push(format!("{at}.controls: must start with a start control ({first:?} is not one)"))
            }
            None => p.push(format!("{at}.controls: must list start, controls and finish")),
            _ => {}
        }
        match r.controls.last() {
            Some(last) if r.controls.len() < 2 || kind_at(r.controls.len() - 1).is_some_and(|k| k != ControlKind::Finish) => {
                p.push(format!("{at}.controls: must end with a finish control ({last:?} is not one)"))
            }
            _ => {}
        }
        let between = if r.controls.len() >= 2 { 1..r.controls.len() - 1 } else { 0..0 };
        for i in between.clone() {
            if let Some(kind) = kind_at(i).filter(|k| *k != ControlKind::Control) {
                p.push(format!("{at}.controls: {:?} is a {} control in the middle of the route", r.controls[i], kind.as_str()));
            }
        }
        match r.kind {
            RouteKind::Classic => {
                for (field, value) in [
                    ("time_limit_s", r.time_limit_s),
                    ("penalty_points_per_started_minute", r.penalty_points_per_started_minute),
                    ("max_late_s", r.max_late_s),
                ] {
                    if value.is_some() {
                        p.push(format!("{at}.{field}: only score routes have one"));
                    }
                }
            }
            RouteKind::Score => {
                if r.time_limit_s.is_none_or(|t| t <= 0) {
                    p.push(format!("{at}.time_limit_s: a score route needs a positive time limit"));
                }
                if r.penalty_points_per_started_minute.is_some_and(|v| v < 0) {
                    p.push(format!("{at}.penalty_points_per_started_minute: must not be negative"));
                }
                if r.max_late_s.is_some_and(|v| v < 0) {
                    p.push(format!("{at}.max_late_s: must not be negative"));
                }
                let mut counted = HashSet::new();
                for i in between {
                    let code = &r.controls[i];
                    if !counted.insert(code.as_str()) {
                        p.push(format!("{at}.controls: {code:?} is listed twice (each control counts once)"));
                    }
                    if let Some(control) = kinds[i]
                        && control.kind == ControlKind::Control
                        && control.points.is_none_or(|points| points <= 0)
                    {
                        p.push(format!("{at}.controls: {code:?} has no points (a score route's controls need positive points)"));
                    }
                }
                if counted.is_empty() {
                    p.push(format!("{at}.controls: a score route needs controls that count"));
                }
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::{ControlDef, RouteDef};
    use shared::model::result::{FinishReason, ResultStatus, Visit, compute};

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{}/testdata/iof/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn route(code: &str, iof_course: Option<&str>) -> RouteDef {
        RouteDef {
            route_code: code.into(),
            iof_course: iof_course.map(str::to_owned),
            kind: None,
            controls: Vec::new(),
            time_limit_s: None,
            penalty_points_per_started_minute: None,
            max_late_s: None,
        }
    }

    fn score_rules(mut r: RouteDef) -> RouteDef {
        r.time_limit_s = Some(3600);
        r.penalty_points_per_started_minute = Some(10);
        r.max_late_s = Some(900);
        r
    }

    fn control(code: &str, kind: &str) -> ControlDef {
        ControlDef { code: code.into(), kind: kind.into(), lat: 31.04, lng: 121.21, radius_m: None, points: None }
    }

    #[test]
    fn every_iof_course_becomes_a_route_named_as_it_is() {
        // given an IOF file and no routes of our own: the score course has no time limit
        let course = from_iof(&CourseDef::default(), &fixture("courses.xml"));

        // then its courses are routes, its controls the course's (15 m, points from <Score>)
        let course = course.expect("loaded").course;
        assert_eq!(course.route_codes(), ["Long", "Short", "Score"]);
        assert_eq!(course.control_count(), 4);
        assert_eq!(course.route("Short").unwrap().controls, ["S1", "31", "33", "F1"]);
        assert_eq!(course.route("Long").unwrap().kind, RouteKind::Classic);
        assert_eq!(course.route("Score").unwrap().kind, RouteKind::Score);
        assert!(course.controls.iter().all(|c| c.radius_m == DEFAULT_RADIUS_M));
        assert_eq!(course.control("34").unwrap().points, Some(30));
        assert_eq!(course.control("S1").unwrap().points, None);

        // and validation asks the score route for its time limit, which IOF does not carry
        assert_eq!(problems(&course), ["course.routes[Score].time_limit_s: a score route needs a positive time limit"]);
    }

    #[test]
    fn routes_pick_name_and_rule_iof_courses() {
        // given routes naming two of the three IOF courses, the score one with its rules
        let def = CourseDef {
            iof_xml: Some("courses.xml".into()),
            crs: None,
            controls: Vec::new(),
            routes: vec![route("sprint-long", Some("Long")), score_rules(route("score-60", Some("Score")))],
        };

        // when it is loaded, then those two are the routes, in that order, and the course is valid
        let course = from_iof(&def, &fixture("courses.xml")).expect("loaded").course;
        assert_eq!(course.route_codes(), ["sprint-long", "score-60"]);
        let score = course.route("score-60").unwrap();
        assert_eq!((score.kind, score.time_limit_s, score.max_late_s), (RouteKind::Score, Some(3600), Some(900)));
        assert_eq!(problems(&course), Vec::<String>::new());
        // control 31 and 33 are shared by the courses: each is one control of the release
        assert_eq!(course.controls.iter().filter(|c| c.code == "33").count(), 1);
    }

    #[test]
    fn a_course_naming_a_missing_control_is_refused_naming_the_course_control() {
        let problems = from_iof(&CourseDef::default(), &fixture("unknown-control.xml")).expect_err("refused");
        assert_eq!(
            problems,
            ["Course \"Short\" CourseControl 3 (line 80): control \"99\" does not exist (not among the file's Control elements): \
             export the courses with their controls (Purple Pen, OCAD and Condes write a Control, with its Position, for each)"]
        );
    }

    #[test]
    fn a_route_naming_no_iof_course_lists_those_there_are() {
        let def =
            CourseDef { iof_xml: Some("courses.xml".into()), crs: None, controls: Vec::new(), routes: vec![route("x", Some("Medium"))] };
        let problems = from_iof(&def, &fixture("courses.xml")).expect_err("refused");
        assert_eq!(
            problems,
            ["course.routes[x].iof_course: the file has no Course named \"Medium\" (it has: \"Long\", \"Short\", \"Score\")"]
        );
    }

    #[test]
    fn a_classic_course_without_a_finish_is_refused_naming_the_route() {
        // given an IOF file whose course Short stops at control 33
        let course = from_iof(&CourseDef::default(), &fixture("no-finish.xml")).expect("parses").course;

        // then validation names the route and what it ends with
        let found = problems(&course);
        assert!(
            found.contains(&"course.routes[Short].controls: must end with a finish control (\"33\" is not one)".to_string()),
            "{found:?}"
        );
    }

    #[test]
    fn validation_reports_every_problem_of_a_course_at_once() {
        // given a written-out course with a problem of every kind
        let mut far = control("31", "control");
        far.lat = -91.0;
        far.radius_m = Some(101);
        let mut east = control("32", "control");
        east.lng = 180.5;
        east.points = Some(-5);
        let def = CourseDef {
            iof_xml: None,
            crs: None,
            controls: vec![
                control("S1", "start"),
                far,
                east,
                control("32", "control"),
                control("F1", "finish"),
                control("bad code", "control"),
            ],
            routes: vec![
                RouteDef { controls: vec!["31".into(), "S1".into(), "F1".into()], ..route("c-1", None) },
                RouteDef {
                    controls: vec!["S1".into(), "32".into(), "32".into(), "F1".into()],
                    kind: Some("score".into()),
                    ..route("s-1", None)
                },
                RouteDef { controls: vec!["S1".into(), "F1".into()], time_limit_s: Some(60), ..route("c-1", None) },
                RouteDef { controls: vec!["S1".into(), "F1".into()], kind: Some("relay".into()), ..route("r-1", None) },
            ],
        };

        // when it is loaded and checked
        let found = resolve(&def, std::path::Path::new(".")).expect_err("refused");

        // then each problem is there, naming its control or route
        for expected in [
            "course.routes[r-1].kind: \"relay\" is not one of classic, score",
            "course.controls: duplicate code \"32\"",
            "course.controls[31].lat: -91 is outside -90..=90",
            "course.controls[31].radius_m: 101 is outside 5..=100 m",
            "course.controls[32].lng: 180.5 is outside -180..=180",
            "course.controls[32].points: must be positive",
            "course.controls[bad code].code: \"bad code\" must be 1-128 characters of letters, digits, '_', '-', '.', ':'",
            "course.routes[c-1].controls: must start with a start control (\"31\" is not one)",
            "course.routes[c-1].controls: \"S1\" is a start control in the middle of the route",
            "course.routes[s-1].time_limit_s: a score route needs a positive time limit",
            "course.routes[s-1].controls: \"32\" is listed twice (each control counts once)",
            "course.routes[s-1].controls: \"32\" has no points (a score route's controls need positive points)",
            "course.routes: duplicate route_code \"c-1\"",
            "course.routes[c-1].time_limit_s: only score routes have one",
        ] {
            assert!(found.iter().any(|p| p == expected), "missing {expected:?} in {found:#?}");
        }
    }

    #[test]
    fn an_iof_file_and_written_out_controls_do_not_mix() {
        let def = CourseDef { iof_xml: Some("courses.xml".into()), crs: None, controls: vec![control("S1", "start")], routes: Vec::new() };
        let problems = from_iof(&def, &fixture("courses.xml")).expect_err("refused");
        assert_eq!(problems, ["course.controls: give the controls in the IOF file or here, not both"]);
    }

    #[test]
    fn an_unreadable_iof_file_is_named() {
        let def = CourseDef { iof_xml: Some("no-such.xml".into()), ..CourseDef::default() };
        let problems = resolve(&def, std::path::Path::new("/nonexistent")).expect_err("refused");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("course.iof_xml \"no-such.xml\": cannot read /nonexistent/no-such.xml"), "{problems:?}");
    }

    /// A file of the corpus of real exports (`testdata/iof/real/README.md` says where each is from).
    fn real(name: &str) -> String {
        let bytes = std::fs::read(format!("{}/testdata/iof/real/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        iof::decode(&bytes).unwrap()
    }

    const OCAD_SPRINT: &str = "splittimes__src__lib__o-utils__ocad__parsers__mocks__iof-xml-3-course.xml";
    const CONDES_ELLENBROOK: &str = "rg2__cypress__fixtures__data__ellenbrookIOFV3courses.xml";
    const OCAD_ELLENBROOK: &str = "rg2__cypress__fixtures__data__ellenbrookIOFV3OCADcourses.xml";

    fn with_crs(crs: &str) -> CourseDef {
        CourseDef { crs: Some(crs.into()), ..CourseDef::default() }
    }

    #[test]
    fn a_two_sided_ocad_sprint_has_a_map_exchange_on_each_route_not_a_control_to_punch() {
        // given OCAD's export of a two-sided sprint map: each of its 3 courses has a second
        // Start, S2 (LegLength 0), after control 46; its event name has an é
        let loaded = from_iof(&CourseDef::default(), &real(OCAD_SPRINT)).expect("accepted");

        // then each course is a route whose controls skip S2, and S2 is its map exchange
        let course = &loaded.course;
        assert_eq!(course.route_codes(), ["Homme", "Loggator", "Femme"]);
        assert_eq!(problems(course), Vec::<String>::new());
        for route in &course.routes {
            assert!(!route.controls.contains(&"S2".to_string()), "{route:?}");
            assert_eq!(route.controls.first().map(String::as_str), Some("S1"));
            let exchanges = &loaded.map_exchanges[&route.route_code];
            assert_eq!(exchanges.len(), 1, "{}", route.route_code);
            let exchange = &exchanges[0];
            assert_eq!((exchange.code.as_str(), route.controls[exchange.after - 1].as_str()), ("S2", "46"));
            assert_eq!((exchange.lat, exchange.lng), (45.213300, 5.786125));
        }
        assert_eq!(course.route("Homme").unwrap().controls.len(), 24);
        // and S2, only ever an exchange, is no control of the release (nor counted as one)
        assert!(course.control("S2").is_none());
        assert_eq!(course.control_count(), 22);
    }

    #[test]
    fn a_run_across_a_map_exchange_is_timed_as_one_leg_and_is_ok() {
        // given a runner who punches every control of Homme, a minute apart, and turns the map at S2
        let loaded = from_iof(&CourseDef::default(), &real(OCAD_SPRINT)).expect("accepted");
        let course = loaded.course.of_route("Homme").unwrap();
        let route = &course.routes[0];
        let t0 = 1_800_000_000_000;
        let visits: Vec<Visit> =
            route.controls.iter().enumerate().map(|(i, code)| Visit { control_code: code, t: t0 + 60_000 * i as i64 }).collect();

        // when its result is computed
        let result = compute(&course, route, &visits, FinishReason::Completed);

        // then it is OK, with one split per control and none for the exchange
        assert_eq!(result.status, ResultStatus::Ok);
        assert_eq!(result.missing_controls, Vec::<String>::new());
        assert_eq!(result.splits.len(), route.controls.len() - 2);
        assert!(result.splits.iter().all(|s| s.control_code != "S2"));
        // and the leg from 46 across the exchange to the next control is one leg of a minute
        let after = loaded.map_exchanges["Homme"][0].after;
        let across = &result.splits[after - 1];
        assert_eq!((across.control_code.as_str(), across.leg_s), (route.controls[after].as_str(), Some(60)));
        assert_eq!(result.time_s, Some(60 * (route.controls.len() as i64 - 1)));
    }

    #[test]
    fn condes_grid_positions_convert_to_the_park_ocad_gives_in_degrees() {
        // given Condes 9's Ellenbrook courses, British National Grid metres in lat/lng, and the
        // catalog naming that grid
        let condes = from_iof(&with_crs("EPSG:27700"), &real(CONDES_ELLENBROOK)).expect("accepted").course;
        let ocad = from_iof(&CourseDef::default(), &real(OCAD_ELLENBROOK)).expect("accepted").course;

        // then its 4 courses are routes, valid, their controls in degrees
        assert_eq!(condes.route_codes(), ["Extension", "Light-Green", "Orange", "Yellow"]);
        assert_eq!(problems(&condes), Vec::<String>::new());

        // and they lie in the park of OCAD's export of the same area (another event there, given
        // in degrees): the two courses' centres 216 m apart, half the controls within 125 m of
        // one of OCAD's, none farther than 543 m (as measured)
        let metres = |a: &Control, b: &Control| {
            use geo::{Distance, Haversine, Point};
            Haversine.distance(Point::new(a.lng, a.lat), Point::new(b.lng, b.lat))
        };
        let centre = |c: &Course| {
            let n = c.controls.len() as f64;
            let (lat, lng) = c.controls.iter().fold((0.0, 0.0), |(a, b), x| (a + x.lat / n, b + x.lng / n));
            Control { lat, lng, ..c.controls[0].clone() }
        };
        assert!(metres(&centre(&condes), &centre(&ocad)) < 300.0);
        let mut nearest: Vec<f64> =
            condes.controls.iter().map(|c| ocad.controls.iter().map(|o| metres(c, o)).fold(f64::INFINITY, f64::min)).collect();
        nearest.sort_by(f64::total_cmp);
        assert!(nearest[nearest.len() / 2] < 200.0 && nearest[nearest.len() - 1] < 600.0, "{nearest:?}");
        // and the start is where the corpus's notes put it (51.7568, -0.2673, to 4 decimals)
        let start = condes.control("S").unwrap();
        assert!(metres(start, &Control { lat: 51.7568, lng: -0.2673, ..start.clone() }) < 10.0, "{start:?}");
    }

    #[test]
    fn grid_positions_without_course_crs_are_one_problem_naming_course_crs() {
        // given Condes 9's 35 controls in grid metres and no course.crs
        let problems = from_iof(&CourseDef::default(), &real(CONDES_ELLENBROOK)).expect_err("refused");

        // then one problem says they look projected and what to name
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].starts_with("Control \"170\" (line 20) lat=\"208075.66\" lng=\"519575.41\" and 34 more:"), "{problems:?}");
        assert!(problems[0].contains("looks like projected grid coordinates") && problems[0].contains("course.crs"), "{problems:?}");
    }

    #[test]
    fn a_mandatory_crossing_point_is_a_control_of_its_route_to_pass() {
        // given Condes' Ellenbrook Orange, which crosses at C1 (CourseControl type CrossingPoint)
        let course = from_iof(&with_crs("EPSG:27700"), &real(CONDES_ELLENBROOK)).expect("accepted").course;

        // then C1 is a control of the route, punched (proved by GPS) like the others
        let orange = course.route("Orange").unwrap();
        assert!(orange.controls.contains(&"C1".to_string()), "{orange:?}");
        assert_eq!(course.control("C1").unwrap().kind, ControlKind::Control);

        // and Purple Pen's MandatoryCrossingPoint legs read the same way
        let marymoor = iof::parse(&real("PurplePen__src__TestFiles__exportxml__marymoor_expected_v3.xml")).expect("parses");
        let course_2: Vec<(&str, Option<ControlKind>)> =
            marymoor.course("Course 2").unwrap().controls.iter().map(|c| (c.code.as_str(), c.kind)).collect();
        assert_eq!(course_2[2], ("CROSS1", Some(ControlKind::Control)));
        assert_eq!(marymoor.control("CROSS1").unwrap().kind, ControlKind::Control);
    }

    #[test]
    fn typeless_controls_take_start_and_finish_from_the_course() {
        // given OCAD's Ellenbrook export: no Control has a type; CourseControl/@type says which is which
        let course = from_iof(&CourseDef::default(), &real(OCAD_ELLENBROOK)).expect("accepted").course;

        // then S1 is a start, F1 a finish, and both routes are valid
        assert_eq!((course.control("S1").unwrap().kind, course.control("F1").unwrap().kind), (ControlKind::Start, ControlKind::Finish));
        assert_eq!(course.route_codes(), ["Orange", "Yellow"]);
        assert_eq!(problems(&course), Vec::<String>::new());
    }

    #[test]
    fn a_bom_and_a_course_family_of_forked_variations_import_as_one_route_each() {
        // given the IOF's example: a UTF-8 BOM, comments, butterfly variations A and B of the
        // course family "Open long"
        let bytes = std::fs::read(format!(
            "{}/testdata/iof/real/datastandard-v3__examples__CourseData_Individual_Step4.xml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        let course = from_iof(&CourseDef::default(), &iof::decode(&bytes).unwrap()).expect("accepted").course;

        // then each variation is a route of its own
        assert_eq!(course.route_codes(), ["A", "B"]);
        assert_eq!(problems(&course), Vec::<String>::new());
    }

    #[test]
    fn crlf_and_course_names_that_are_no_ids_import_as_route_codes() {
        // given Purple Pen's CRLF export with courses "Course 1" and "Course 2"
        let text = real("PurplePen__src__TestFiles__routegadget__GRC_XML.baseline-netcore.xml");
        assert!(text.contains("\r\n"));
        let course = from_iof(&CourseDef::default(), &text).expect("accepted").course;

        // then the routes are Course-1 and Course-2, valid ids
        assert_eq!(course.route_codes(), ["Course-1", "Course-2"]);
        assert_eq!(problems(&course), Vec::<String>::new());
        assert_eq!(route_code_of("A: JK Trophy"), "A:-JK-Trophy");
        assert_eq!(route_code_of("Lt Green +"), "Lt-Green");
    }

    #[test]
    fn courses_whose_route_codes_collide_are_named_in_the_catalog() {
        // given Condes' Heartwood courses "Lt Green" and "Lt Green +" (both Lt-Green by default)
        let xml = real("rg2__cypress__fixtures__data__heartwoodIOFV3Georefcourses.xml");
        let refused = from_iof(&with_crs("EPSG:27700"), &xml).expect_err("refused");
        assert_eq!(refused.len(), 1);
        assert!(refused[0].contains("would both be route \"Lt-Green\": name the routes in course.routes"), "{refused:?}");

        // when the catalog names them, then all four import, each course with its own start
        let def = CourseDef {
            routes: vec![
                route("lt-green", Some("Lt Green")),
                route("lt-green-plus", Some("Lt Green +")),
                route("orange", Some("Orange")),
                route("yellow", Some("Yellow")),
            ],
            ..with_crs("EPSG:27700")
        };
        let course = from_iof(&def, &xml).expect("accepted").course;
        assert_eq!(course.route_codes(), ["lt-green", "lt-green-plus", "orange", "yellow"]);
        assert_eq!(problems(&course), Vec::<String>::new());
        assert_eq!(course.controls.iter().filter(|c| c.kind == ControlKind::Start).count(), 2);
    }

    #[test]
    fn a_score_course_without_score_is_refused_as_score_once_with_the_unplaced_map_once() {
        // given Purple Pen's Marymoor: only MapPositions, and "ScoreNoPoints", a score course
        // whose controls carry no Score, which the catalog says is a score route
        let def = CourseDef {
            routes: vec![score_rules(RouteDef { kind: Some("score".into()), ..route("score", Some("ScoreNoPoints")) })],
            ..CourseDef::default()
        };
        let problems = from_iof(&def, &real("PurplePen__src__TestFiles__exportxml__marymoor_expected_v3.xml")).expect_err("refused");

        // then there are two problems: the map, once for 43 controls, and the missing points
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with("Control \"STA1\" (line 12) and 42 more: has no Position (lat/lng), only a MapPosition"));
        assert!(problems[0].ends_with(iof::GEOREFERENCE));
        assert!(problems[1].starts_with("course.routes[score]: Course \"ScoreNoPoints\" (line 357) carries no Score"), "{problems:?}");

        // and without the catalog's say it is what the file shows, a classic course
        let loaded = iof::parse(&real("PurplePen__src__TestFiles__exportxml__marymoor_expected_v3.xml")).unwrap();
        assert!(loaded.course("ScoreNoPoints").unwrap().controls.iter().all(|c| c.score.is_none()));
    }

    #[test]
    fn a_relay_file_without_legs_says_so_once_for_all_its_courses() {
        let problems = from_iof(&CourseDef::default(), &real("rg2__cypress__fixtures__data__pwlldduIOFV3relay.xml")).expect_err("refused");
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[1].starts_with("Course \"A: JK Trophy\" (line 434) and 13 more: has only a start and a finish"), "{problems:?}");
    }
}
