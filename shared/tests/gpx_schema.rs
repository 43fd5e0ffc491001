//! The GPX of a 2-hour run validates against the GPX 1.1 schema and Garmin's TrackPointExtension
//! v1, both shipped in docs/schemas, with scripts/validate_xml.py (xmlschema, from the venv).

use shared::model::analysis::gpx::gpx;
use shared::model::analysis::track::Track;
use shared::model::run::samples::Sample;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// Runs the validator; the venv is part of the test gate, so its absence fails, never skips.
fn validate(document: &Path, schemas: &[&str]) -> Result<String, String> {
    let python = root().join(".venv/bin/python");
    assert!(python.exists(), "{} is missing: run `make venv` (it installs xmlschema from requirements-dev.txt)", python.display());
    let mut command = Command::new(python);
    command.arg(root().join("scripts/validate_xml.py")).arg(root().join(schemas[0])).arg(document);
    for extra in &schemas[1..] {
        command.arg(root().join(extra));
    }
    let out = command.output().expect("the validator runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(said) } else { Err(said) }
}

const SCHEMAS: [&str; 2] = ["docs/schemas/gpx-1.1.xsd", "docs/schemas/TrackPointExtensionv1.xsd"];

fn two_hours() -> Vec<Sample> {
    (0..7_200)
        .map(|t| {
            let angle = t as f64 / 600.0;
            Sample {
                t: 1_800_000_000_000 + t * 1000 + t % 7,
                lat: 31.2304 + 0.01 * angle.sin(),
                lng: 121.4737 + 0.012 * (angle * 1.3).cos(),
                accuracy_m: 4.0 + (t % 5) as f64,
                altitude_m: (t % 11 != 0).then_some(12.0 + (t % 40) as f64 / 4.0),
                heart_rate_bpm: (t % 13 != 0).then_some(120 + t % 60),
            }
        })
        .collect()
}

#[test]
fn a_two_hour_track_is_valid_gpx_with_heart_rate() {
    // given a 2-hour run at 1 Hz with altitude and heart rate (a few fixes without either)
    let track = Track::new(two_hours());
    // when written as GPX
    let started = Instant::now();
    let xml = gpx(&track, "Century Park <Sprint> & more", "client-api");
    let took = started.elapsed();
    let file = std::env::temp_dir().join(format!("client-api-gpx-{}.gpx", std::process::id()));
    std::fs::write(&file, &xml).unwrap();
    // then it validates against GPX 1.1 with the extension's schema imported (so `hr` is checked)
    let verdict = validate(&file, &SCHEMAS);
    std::fs::remove_file(&file).ok();
    assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
    assert_eq!(xml.matches("<trkpt ").count(), 7_200);
    println!("gpx: 7,200 points → {} KB in {} ms, valid GPX 1.1 + TrackPointExtension v1", xml.len() / 1024, took.as_millis());
}

#[test]
fn the_validator_rejects_a_heart_rate_the_extension_forbids() {
    // given a GPX whose heart rate is 0 (the extension wants at least 1)
    let track = Track::new(two_hours().into_iter().take(3));
    let xml = gpx(&track, "x", "client-api").replacen("<gpxtpx:hr>121</gpxtpx:hr>", "<gpxtpx:hr>0</gpxtpx:hr>", 1);
    assert!(xml.contains("<gpxtpx:hr>0</gpxtpx:hr>"));
    let file = std::env::temp_dir().join(format!("client-api-gpx-bad-{}.gpx", std::process::id()));
    std::fs::write(&file, &xml).unwrap();
    // when validated
    let verdict = validate(&file, &SCHEMAS);
    std::fs::remove_file(&file).ok();
    // then it is refused: the check reaches inside the lax `extensions`
    assert!(verdict.is_err(), "accepted: {verdict:?}");
}
