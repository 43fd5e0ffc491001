//! IOF XML 3.0 `CourseData`, as Purple Pen, OCAD and Condes export it: the controls (with their
//! `Position lat/lng`) and the courses (`CourseControl` sequences, `Score` for score-O) of one race.
//! Only what a course needs is read; the rest of the standard (leg lengths, class assignments,
//! course families, extensions) is ignored. Every problem names its element and line, and is
//! reported once per cause with what the organiser does next.

use shared::model::catalog::course::ControlKind;

/// The IOF XML 3.0 namespace.
pub const NAMESPACE: &str = "http://www.orienteering.org/datastandard/3.0";

/// What an organiser does with a file in a format before 3.0.
pub const REEXPORT: &str =
    "re-export the courses as IOF XML 3.0 from the course-setting software (Purple Pen, OCAD and Condes all export it) and name that file";
/// What an organiser does with a file whose map is not georeferenced.
pub const GEOREFERENCE: &str = "georeference the map in Purple Pen / OCAD / Condes, then export the courses as IOF XML 3.0 again";

#[derive(Debug, Clone, PartialEq)]
pub struct CourseData {
    pub controls: Vec<IofControl>,
    pub courses: Vec<IofCourse>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IofControl {
    pub code: String,
    /// `Control/@type`; without one, `Control` (the course's `CourseControl/@type` may say more).
    pub kind: ControlKind,
    pub position: Position,
    /// Where it is, for messages: `Control "31" (line 20)`.
    pub at: String,
}

/// Where a control is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Position {
    /// `Position`'s `lat` and `lng` as written: WGS-84 degrees, or (Condes 9) a grid's northing
    /// and easting in metres.
    At {
        lat: f64,
        lng: f64,
    },
    /// Only a `MapPosition` (millimetres on the paper): the map is not georeferenced.
    OnlyOnTheMap,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IofCourse {
    pub name: String,
    pub controls: Vec<IofCourseControl>,
    /// Where it is, for messages: `Course "Long" (line 40)`.
    pub at: String,
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

/// Problems by cause: each cause is one problem, at its first place, counting the others, with
/// what to do about it — a file with seventy unplaced controls has one problem, not seventy.
#[derive(Debug, Default)]
pub struct Causes(Vec<(String, String, Vec<String>)>);

impl Causes {
    pub fn add(&mut self, place: impl Into<String>, cause: impl Into<String>, advice: &str) {
        let (cause, place) = (cause.into(), place.into());
        match self.0.iter_mut().find(|(c, a, _)| *c == cause && a == advice) {
            Some((_, _, places)) => places.push(place),
            None => self.0.push((cause, advice.to_string(), vec![place])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_problems(self) -> Vec<String> {
        self.0
            .into_iter()
            .map(|(cause, advice, places)| {
                let more = match places.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                };
                let advice = if advice.is_empty() { String::new() } else { format!(": {advice}") };
                format!("{}{more}: {cause}{advice}", places[0])
            })
            .collect()
    }
}

/// A file's text: UTF-8 (a BOM is dropped), or why it is refused. Exports before IOF XML 3.0
/// were often Latin-1; those are named as the old format they are.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(_) => match old_version(&String::from_utf8_lossy(bytes)) {
            Some(version) => Err(format!("IOF XML {version}, a format before 3.0: {REEXPORT}")),
            None => Err("not UTF-8 text, as IOF XML 3.0 files are: export the courses as IOF XML 3.0 again".into()),
        },
    }
}

/// The `<IOFVersion version="…">` of an IOF XML 1.0 / 2.0.3 file (3.0 has none).
fn old_version(text: &str) -> Option<&str> {
    let rest = &text[text.find("<IOFVersion")?..];
    let rest = &rest[rest.find("version=")? + "version=".len()..];
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    rest[1..].split(quote).next()
}

/// Reads a `CourseData` document: every problem at once, or the race's controls and courses.
pub fn parse(xml: &str) -> Result<CourseData, Vec<String>> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    if let Some(version) = old_version(xml) {
        return Err(vec![format!("IOF XML {version}, a format before 3.0: {REEXPORT}")]);
    }
    let doc = roxmltree::Document::parse(xml).map_err(|e| {
        vec![match e {
            // A DTD is never fetched or expanded: IOF XML 3.0 files have none.
            roxmltree::Error::DtdDetected => {
                format!("not IOF XML 3.0: the file declares a DTD (<!DOCTYPE …>), as only older formats do: {REEXPORT}")
            }
            e => format!("not IOF XML: {e}"),
        }]
    })?;
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
        more => {
            return Err(vec![format!(
                "CourseData has {} RaceCourseData (one race per file): export each race to a file of its own",
                more.len()
            )]);
        }
    };

    let mut causes = Causes::default();
    let again = "export the courses as IOF XML 3.0 again";
    let mut controls = Vec::new();
    for (i, node) in children(race, "Control").enumerate() {
        let here = format!("Control {} (line {})", i + 1, at(node));
        let kind = match node.attribute("type").map(control_kind) {
            None => ControlKind::Control,
            Some(Ok(Some(kind))) => kind,
            // Not a place anyone punches.
            Some(Ok(None)) => continue,
            Some(Err(other)) => {
                causes.add(here, format!("unknown type {other:?} (IOF XML 3.0 has {TYPES})"), again);
                continue;
            }
        };
        let Some(code) = child_text(node, "Id") else {
            causes.add(here, "has no Id", "give every control its code in the course-setting software, then export again");
            continue;
        };
        let here = format!("Control {code:?} (line {})", at(node));
        let position = match children(node, "Position").next() {
            Some(position) => {
                let coordinate = |name: &str| position.attribute(name).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite());
                match (coordinate("lat"), coordinate("lng")) {
                    (Some(lat), Some(lng)) => Position::At { lat, lng },
                    _ => {
                        causes.add(here, "Position needs numeric lat and lng attributes", again);
                        continue;
                    }
                }
            }
            None if children(node, "MapPosition").next().is_some() => Position::OnlyOnTheMap,
            None => Position::None,
        };
        controls.push(IofControl { code, kind, position, at: here });
    }

    let mut courses = Vec::new();
    for (i, node) in children(race, "Course").enumerate() {
        let Some(name) = child_text(node, "Name") else {
            causes.add(format!("Course {} (line {})", i + 1, at(node)), "has no Name", "name every course in the course-setting software");
            continue;
        };
        let mut course = IofCourse { name: name.clone(), controls: Vec::new(), at: format!("Course {name:?} (line {})", at(node)) };
        for (j, cc) in children(node, "CourseControl").enumerate() {
            let here = format!("Course {name:?} CourseControl {} (line {})", j + 1, at(cc));
            let kind = match cc.attribute("type").map(control_kind) {
                None => None,
                Some(Ok(Some(kind))) => Some(kind),
                Some(Ok(None)) => continue,
                Some(Err(other)) => {
                    causes.add(here, format!("unknown type {other:?} (IOF XML 3.0 has {TYPES})"), again);
                    continue;
                }
            };
            let codes: Vec<String> = children(cc, "Control").filter_map(|c| c.text()).map(|t| t.trim().to_string()).collect();
            let code = match codes.as_slice() {
                [code] if !code.is_empty() => code.clone(),
                [] | [_] => {
                    causes.add(here, "names no Control", again);
                    continue;
                }
                more => {
                    causes.add(
                        here,
                        format!("names {} alternative Controls: a forked course", more.len()),
                        "export each variation (forking) as a course of its own; each becomes a route",
                    );
                    continue;
                }
            };
            let score = match child_text(cc, "Score") {
                None => None,
                Some(text) => match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        causes.add(here, format!("Score {text:?} is not a number"), "give the control its points as a number");
                        continue;
                    }
                },
            };
            course.controls.push(IofCourseControl { code, kind, score, at: here });
        }
        courses.push(course);
    }
    if courses.is_empty() && causes.is_empty() {
        causes.add("RaceCourseData", "has no Course", "export the courses, not only the controls");
    }
    if causes.is_empty() { Ok(CourseData { controls, courses }) } else { Err(causes.into_problems()) }
}

const TYPES: &str = "Start, Control, CrossingPoint, EndOfMarkedRoute, Finish";

/// A `type` attribute: a kind of control, none for a place nobody punches, or unknown.
fn control_kind(value: &str) -> Result<Option<ControlKind>, &str> {
    match value {
        // A crossing point is a place the runner must pass: GPS proves it as it proves a control.
        "Control" | "CrossingPoint" => Ok(Some(ControlKind::Control)),
        "Start" => Ok(Some(ControlKind::Start)),
        "Finish" => Ok(Some(ControlKind::Finish)),
        "EndOfMarkedRoute" => Ok(None),
        other => Err(other),
    }
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
        assert_eq!(c31.position, Position::At { lat: 31.0410, lng: 121.2120 });

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
    fn each_cause_is_one_problem_naming_its_first_element_and_what_to_do() {
        // given controls without an id or with a broken position, and course controls that fork
        // or have a type IOF does not know, two of each
        let xml = format!(
            r#"<CourseData xmlns="{NAMESPACE}" iofVersion="3.0"><Event><Name>E</Name></Event><RaceCourseData>
<Control><Id>31</Id><MapPosition x="1" y="2"/></Control>
<Control><Position lat="31" lng="121"/></Control>
<Control><Position lat="31" lng="121"/></Control>
<Control><Id>32</Id><Position lat="north" lng="121"/></Control>
<Course><Name>A</Name>
<CourseControl type="Start"><Control>31</Control></CourseControl>
<CourseControl><Control>31</Control><Control>32</Control></CourseControl>
<CourseControl><Control>31</Control><Control>32</Control></CourseControl>
<CourseControl type="Turn"><Control>32</Control></CourseControl>
</Course></RaceCourseData></CourseData>"#
        );
        // when it is parsed, then each cause is told once, at its first element
        let problems = parse(&xml).expect_err("refused");
        assert_eq!(
            problems,
            [
                "Control 2 (line 3) and 1 more: has no Id: give every control its code in the course-setting software, then export again",
                "Control \"32\" (line 5): Position needs numeric lat and lng attributes: export the courses as IOF XML 3.0 again",
                "Course \"A\" CourseControl 2 (line 8) and 1 more: names 2 alternative Controls: a forked course: \
                 export each variation (forking) as a course of its own; each becomes a route",
                "Course \"A\" CourseControl 4 (line 10): unknown type \"Turn\" (IOF XML 3.0 has Start, Control, CrossingPoint, \
                 EndOfMarkedRoute, Finish): export the courses as IOF XML 3.0 again",
            ]
        );
    }

    #[test]
    fn old_formats_are_named_with_what_to_export_instead() {
        // given IOF XML 2.0.3 (no namespace), 1.0 with a DOCTYPE, and a Latin-1 2.0.3 file
        let real = |name: &str| std::fs::read(format!("{}/testdata/iof/real/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let highfield = decode(&real("rg2__cypress__fixtures__data__Highfield-2022-06-04-v7.xml")).unwrap();
        let v1 = decode(&real("rg2__cypress__fixtures__data__ellenbrookIOFV1courses.xml")).unwrap();
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<CourseData><IOFVersion version=\"2.0.3\"/><Name>S\xf6dra</Name></CourseData>";

        // then each is one problem naming its version and saying to re-export as IOF XML 3.0
        assert_eq!(parse(&highfield).unwrap_err(), [format!("IOF XML 2.0.3, a format before 3.0: {REEXPORT}")]);
        assert_eq!(parse(&v1).unwrap_err(), [format!("IOF XML 1.0.0, a format before 3.0: {REEXPORT}")]);
        assert_eq!(decode(latin1).unwrap_err(), format!("IOF XML 2.0.3, a format before 3.0: {REEXPORT}"));
        // and a DTD is never read, whatever the file claims to be
        let dtd = format!("<!DOCTYPE CourseData SYSTEM \"iofData.dtd\"><CourseData xmlns=\"{NAMESPACE}\"/>");
        assert!(parse(&dtd).unwrap_err()[0].starts_with("not IOF XML 3.0: the file declares a DTD"));
    }
}
