//! `catalog-tool validate` on every real export of `testdata/iof/real/`: each file's verdict, in
//! a line or two, accepted with its routes or refused for its stated cause.

use std::process::Command;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/iof/real");

/// What `catalog-tool validate FILE [--crs CRS]` prints, and whether it accepted the file.
fn validate(file: &str, crs: Option<&str>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_catalog-tool"));
    command.arg("validate").arg(format!("{CORPUS}/{file}"));
    if let Some(crs) = crs {
        command.args(["--crs", crs]);
    }
    let out = command.output().expect("catalog-tool runs");
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

const REEXPORT: &str = "re-export the courses as IOF XML 3.0";
const GEOREFERENCE: &str = "only a MapPosition: the map is not georeferenced: georeference the map in Purple Pen / OCAD / Condes";

#[test]
fn every_real_export_gets_its_verdict_in_a_line_or_two() {
    // given each file of the corpus, with the grid the catalog would name for Condes 9's
    let verdicts: &[(&str, Option<&str>, &str, &[&str])] = &[
        (
            "PurplePen__src__TestFiles__exportxml__mapexchange1_expected_v3.xml",
            None,
            "refused",
            &["Control \"STA1\" (line 12) and 42 more", GEOREFERENCE],
        ),
        ("PurplePen__src__TestFiles__exportxml__marymoor_expected_v3.xml", None, "refused", &["and 42 more", GEOREFERENCE]),
        (
            "PurplePen__src__TestFiles__routegadget__GRC_XML.baseline-netcore.xml",
            None,
            "accepted",
            &["2 route(s): Course-1 (classic, 4 controls), Course-2 (classic, 3 controls)"],
        ),
        (
            "datastandard-v3__examples__CourseData_Individual_Step4.xml",
            None,
            "accepted",
            &["2 route(s): A (classic, 8 controls), B (classic, 8 controls)"],
        ),
        (
            "ooresults__webtests__tests__data__CourseData.xml",
            None,
            "refused",
            &["name controls that do not exist", "\"S1\", \"121\", \"124\", \"122\", \"123\", \"F1\""],
        ),
        ("rg2__cypress__fixtures__data__Highfield-2022-06-04-v7.xml", None, "refused", &["IOF XML 2.0.3, a format before 3.0", REEXPORT]),
        ("rg2__cypress__fixtures__data__ellenbrookIOFV1courses.xml", None, "refused", &["IOF XML 1.0.0, a format before 3.0", REEXPORT]),
        (
            "rg2__cypress__fixtures__data__ellenbrookIOFV2Georefcourses.xml",
            None,
            "refused",
            &["IOF XML 2.0.3, a format before 3.0", REEXPORT],
        ),
        (
            "rg2__cypress__fixtures__data__ellenbrookIOFV3OCADcourses.xml",
            None,
            "accepted",
            &["2 route(s): Orange (classic, 7 controls), Yellow (classic, 6 controls)"],
        ),
        (
            "rg2__cypress__fixtures__data__ellenbrookIOFV3courses.xml",
            None,
            "refused",
            &["and 34 more", "looks like projected grid coordinates", "course.crs"],
        ),
        (
            "rg2__cypress__fixtures__data__ellenbrookIOFV3courses.xml",
            Some("EPSG:27700"),
            "accepted",
            &["4 route(s): Extension (classic, 21 controls), Light-Green (classic, 12 controls), Orange (classic, 13 controls), Yellow"],
        ),
        (
            "rg2__cypress__fixtures__data__heartwoodIOFV3Georefcourses.xml",
            None,
            "refused",
            &["and 35 more", "looks like projected grid coordinates", "course.crs"],
        ),
        (
            "rg2__cypress__fixtures__data__heartwoodIOFV3Georefcourses.xml",
            Some("EPSG:27700"),
            "refused",
            &["Courses \"Lt Green\" and \"Lt Green +\" would both be route \"Lt-Green\": name the routes in course.routes"],
        ),
        (
            "rg2__cypress__fixtures__data__miltonriggIOFV3coursesnogeoref.xml",
            None,
            "refused",
            &["Control \"170\" (line 20) and 34 more", GEOREFERENCE],
        ),
        (
            "rg2__cypress__fixtures__data__pwlldduIOFV3relay.xml",
            None,
            "refused",
            &["has no Position (lat/lng)", "and 13 more: has only a start and a finish", "export each leg variation as a course"],
        ),
        ("rg2__cypress__fixtures__data__pwlldduenrichable.xml", None, "refused", &["Control \"STA1\" (line 12) and 11 more", GEOREFERENCE]),
        (
            "splittimes__src__lib__o-utils__ocad__parsers__mocks__iof-xml-3-course.xml",
            None,
            "accepted",
            &["3 route(s): Homme (classic, 22 controls)", "Homme has map exchange S2 after 46"],
        ),
    ];
    // (every file of the corpus has its verdict here)
    let mut files: Vec<String> =
        std::fs::read_dir(CORPUS).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|f| f.ends_with(".xml")).collect();
    files.sort();
    let mut judged: Vec<String> = verdicts.iter().map(|(f, ..)| f.to_string()).collect();
    judged.dedup();
    assert_eq!(files, judged);

    for (file, crs, verdict, mentions) in verdicts {
        // when it is validated on its own
        let (accepted, out) = validate(file, *crs);

        // then it says so in a line or two, on the file, for its stated cause
        assert_eq!(accepted, *verdict == "accepted", "{file} {crs:?}: {out}");
        assert!(out.starts_with(&format!("{file}: {verdict}")), "{file} {crs:?}: {out}");
        assert!(out.lines().count() <= 2, "{file} {crs:?}: more than two lines: {out}");
        for mention in *mentions {
            assert!(out.contains(mention), "{file} {crs:?}: {mention:?} not in {out}");
        }
    }
}
