//! IOF XML 3.0 `CourseData`, as Purple Pen, OCAD and Condes export it: the controls (with their
//! `Position lat/lng`) and the courses (`CourseControl` sequences, `Score` for score-O) of one race.
//! Only what a course needs is read; the rest of the standard (map positions, leg lengths,
//! class assignments, extensions) is ignored. Every problem names its element and line.

use shared::catalog::course::ControlKind;

/// The IOF XML 3.0 namespace.
pub const NAMESPACE: &str = "http://www.orienteering.org/datastandard/3.0";

#[derive(Debug, Clone, PartialEq)]
pub struct CourseData {
    pub controls: Vec<IofControl>,
    pub courses: Vec<IofCourse>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IofControl {
    pub code: String,
    pub kind: ControlKind,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IofCourse {
    pub name: String,
    pub controls: Vec<IofCourseControl>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IofCourseControl {
    pub code: String,
    /// The `CourseControl`'s own `type`, which overrides the control's.
    pub kind: Option<ControlKind>,
    pub score: Option<f64>,
    /// Where it is, for messages: `Course "Long" CourseControl 3 (line 42)`.
    pub at: String,
}

impl CourseData {
    pub fn control(&self, code: &str) -> Option<&IofControl> {
        self.controls.iter().find(|c| c.code == code)
    }

    pub fn course(&self, name: &str) -> Option<&IofCourse> {
        self.courses.iter().find(|c| c.name == name)
    }
}

/// Reads a `CourseData` document: every problem at once, or the race's controls and courses.
pub fn parse(xml: &str) -> Result<CourseData, Vec<String>> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| vec![format!("not IOF XML: {e}")])?;
    let root = doc.root_element();
    if root.tag_name().name() != "CourseData" || root.tag_name().namespace() != Some(NAMESPACE) {
        let ns = root.tag_name().namespace().map(|n| format!(" in namespace {n:?}")).unwrap_or_default();
        return Err(vec![format!(
            "not IOF XML 3.0 CourseData: the root element is <{}>{ns}, expected <CourseData xmlns=\"{NAMESPACE}\">",
            root.tag_name().name()
        )]);
    }
    let at = |node: roxmltree::Node| doc.text_pos_at(node.range().start).row;
    let races: Vec<_> = children(root, "RaceCourseData").collect();
    let race = match races.as_slice() {
        [race] => *race,
        [] => return Err(vec!["CourseData has no RaceCourseData".into()]),
        more => return Err(vec![format!("CourseData has {} RaceCourseData (one race per file)", more.len())]),
    };

    let mut problems = Vec::new();
    let mut controls = Vec::new();
    for (i, node) in children(race, "Control").enumerate() {
        let here = format!("Control {} (line {})", i + 1, at(node));
        let kind = match node.attribute("type").unwrap_or("Control") {
            "Control" | "CrossingPoint" => ControlKind::Control,
            "Start" => ControlKind::Start,
            "Finish" => ControlKind::Finish,
            // Not a place anyone punches.
            "EndOfMarkedRoute" => continue,
            other => {
                problems.push(format!("{here}: unknown type {other:?}"));
                continue;
            }
        };
        let Some(code) = child_text(node, "Id") else {
            problems.push(format!("{here}: has no Id"));
            continue;
        };
        let here = format!("Control {code:?} (line {})", at(node));
        let Some(position) = children(node, "Position").next() else {
            problems.push(format!("{here}: has no Position (lat/lng): export the course with geographic coordinates"));
            continue;
        };
        let coordinate = |name: &str| position.attribute(name).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite());
        match (coordinate("lat"), coordinate("lng")) {
            (Some(lat), Some(lng)) => controls.push(IofControl { code, kind, lat, lng }),
            _ => problems.push(format!("{here}: Position needs numeric lat and lng attributes")),
        }
    }

    let mut courses = Vec::new();
    for (i, node) in children(race, "Course").enumerate() {
        let Some(name) = child_text(node, "Name") else {
            problems.push(format!("Course {} (line {}): has no Name", i + 1, at(node)));
            continue;
        };
        let mut course = IofCourse { name: name.clone(), controls: Vec::new() };
        for (j, cc) in children(node, "CourseControl").enumerate() {
            let here = format!("Course {name:?} CourseControl {} (line {})", j + 1, at(cc));
            let kind = match cc.attribute("type") {
                None => None,
                Some("Control" | "CrossingPoint") => Some(ControlKind::Control),
                Some("Start") => Some(ControlKind::Start),
                Some("Finish") => Some(ControlKind::Finish),
                Some("EndOfMarkedRoute") => continue,
                Some(other) => {
                    problems.push(format!("{here}: unknown type {other:?}"));
                    continue;
                }
            };
            let codes: Vec<String> = children(cc, "Control").filter_map(|c| c.text()).map(|t| t.trim().to_string()).collect();
            let code = match codes.as_slice() {
                [code] if !code.is_empty() => code.clone(),
                [] | [_] => {
                    problems.push(format!("{here}: names no Control"));
                    continue;
                }
                _ => {
                    problems.push(format!("{here}: names {} alternative Controls (forked courses are not supported)", codes.len()));
                    continue;
                }
            };
            let score = match child_text(cc, "Score") {
                None => None,
                Some(text) => match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        problems.push(format!("{here}: Score {text:?} is not a number"));
                        continue;
                    }
                },
            };
            course.controls.push(IofCourseControl { code, kind, score, at: here });
        }
        courses.push(course);
    }
    if courses.is_empty() && problems.is_empty() {
        problems.push("RaceCourseData has no Course".into());
    }
    if problems.is_empty() { Ok(CourseData { controls, courses }) } else { Err(problems) }
}

fn children<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &'static str) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn child_text(node: roxmltree::Node, name: &'static str) -> Option<String> {
    children(node, name).next().and_then(|c| c.text()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{}/testdata/iof/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn a_course_data_file_gives_its_controls_and_courses() {
        // given an export with start, finish, four controls and three courses
        // when it is parsed
        let data = parse(&fixture("courses.xml")).expect("valid IOF XML");

        // then every control has its kind and WGS-84 position
        let kinds: Vec<(&str, ControlKind)> = data.controls.iter().map(|c| (c.code.as_str(), c.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("S1", ControlKind::Start),
                ("31", ControlKind::Control),
                ("32", ControlKind::Control),
                ("33", ControlKind::Control),
                ("34", ControlKind::Control),
                ("F1", ControlKind::Finish)
            ]
        );
        let c31 = data.control("31").unwrap();
        assert_eq!((c31.lat, c31.lng), (31.0410, 121.2120));

        // and every course its sequence, the score course its scores
        let names: Vec<&str> = data.courses.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Long", "Short", "Score"]);
        let short: Vec<&str> = data.course("Short").unwrap().controls.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(short, ["S1", "31", "33", "F1"]);
        let scores: Vec<Option<f64>> = data.course("Score").unwrap().controls.iter().map(|c| c.score).collect();
        assert_eq!(scores, [None, Some(10.0), Some(20.0), Some(20.0), Some(30.0), None]);
    }

    #[test]
    fn a_file_that_is_not_iof_xml_is_refused_naming_its_root() {
        for (text, mention) in [
            (fixture("not-iof.gpx"), "the root element is <gpx>"),
            (
                "<CourseData><RaceCourseData/></CourseData>".to_string(),
                "expected <CourseData xmlns=\"http://www.orienteering.org/datastandard/3.0\">",
            ),
            ("{\"controls\": []}".to_string(), "not IOF XML"),
            ("<CourseData xmlns=\"http://www.orienteering.org/datastandard/3.0\"><Event>".to_string(), "not IOF XML"),
        ] {
            let problems = parse(&text).expect_err("refused");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains(mention), "{mention:?} not in {problems:?}");
        }
    }

    #[test]
    fn missing_positions_ids_and_alternatives_are_each_named() {
        // given controls without a position or an id, and a forked course control
        let xml = format!(
            r#"<CourseData xmlns="{NAMESPACE}" iofVersion="3.0"><Event><Name>E</Name></Event><RaceCourseData>
<Control><Id>31</Id><MapPosition x="1" y="2"/></Control>
<Control><Position lat="31" lng="121"/></Control>
<Control><Id>32</Id><Position lat="north" lng="121"/></Control>
<Course><Name>A</Name>
<CourseControl type="Start"><Control>31</Control></CourseControl>
<CourseControl><Control>31</Control><Control>32</Control></CourseControl>
<CourseControl type="Turn"><Control>32</Control></CourseControl>
</Course></RaceCourseData></CourseData>"#
        );
        // when it is parsed, then each problem names its element and line
        let problems = parse(&xml).expect_err("refused");
        assert_eq!(
            problems,
            [
                "Control \"31\" (line 2): has no Position (lat/lng): export the course with geographic coordinates",
                "Control 2 (line 3): has no Id",
                "Control \"32\" (line 4): Position needs numeric lat and lng attributes",
                "Course \"A\" CourseControl 2 (line 7): names 2 alternative Controls (forked courses are not supported)",
                "Course \"A\" CourseControl 3 (line 8): unknown type \"Turn\"",
            ]
        );
    }
}
