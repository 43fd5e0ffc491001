//! The manifest a client downloads for a release: the ids, a summary of the map, the controls
//! and the routes, as deterministic JSON (fixed field order, no maps, the same bytes for the
//! same release every time). Its SHA-256 is the release's `manifest_checksum_sha256`, and it is
//! stored under a key that names that checksum, so an unchanged release keeps its URL and a
//! changed one never overwrites what a client may be downloading.

use crate::file::{EventDef, MapDef, ReleaseDef};
use serde::Serialize;
use shared::model::catalog::course::{Control, MapExchange, Route};

pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
struct Body<'a> {
    manifest_version: u32,
    event_id: &'a str,
    release_id: &'a str,
    playfield_version_id: &'a str,
    published_at: &'a str,
    map: MapSummary<'a>,
    control_count: i64,
    route_codes: Vec<String>,
    controls: &'a [Control],
    routes: Vec<ManifestRoute<'a>>,
}

/// A route as the app reads it: the stored route, and its map exchanges where it has some (a
/// route without any is byte for byte what it was before map exchanges were read).
#[derive(Debug, Clone, Serialize)]
struct ManifestRoute<'a> {
    #[serde(flatten)]
    route: &'a Route,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    map_exchanges: &'a [MapExchange],
}

#[derive(Debug, Clone, Serialize)]
struct MapSummary<'a> {
    map_id: &'a str,
    display_name: &'a str,
    scale_text: Option<&'a str>,
}

/// One release's manifest, ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub event_id: String,
    pub release_id: String,
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lowercase hex.
    pub checksum: String,
}

impl Manifest {
    /// Its object key: `manifests/<event>/<release>/<checksum>.json`.
    pub fn key(&self) -> String {
        format!("manifests/{}/{}/{}.json", self.event_id, self.release_id, self.checksum)
    }

    /// Its URL under the public base URL of the manifest bucket.
    pub fn url(&self, base_url: &str) -> String {
        format!("{}/{}", base_url.trim_end_matches('/'), self.key())
    }
}

/// The manifest of `release` (its course loaded) of `event` on `map`.
pub fn build(event: &EventDef, release: &ReleaseDef, map: &MapDef) -> Manifest {
    let course = release.course();
    let body = Body {
        manifest_version: MANIFEST_VERSION,
        event_id: &event.event_id,
        release_id: &release.release_id,
        playfield_version_id: &release.playfield_version_id,
        published_at: &release.published_at,
        map: MapSummary { map_id: &map.map_id, display_name: &map.display_name, scale_text: map.scale_text.as_deref() },
        control_count: course.control_count(),
        route_codes: course.route_codes(),
        controls: &course.controls,
        routes: course
            .routes
            .iter()
            .map(|route| ManifestRoute { route, map_exchanges: release.map_exchanges(&route.route_code) })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&body).expect("a manifest encodes");
    bytes.push(b'\n');
    let checksum = shared::support::crypto::sha256_hex(&bytes);
    Manifest { event_id: event.event_id.clone(), release_id: release.release_id.clone(), bytes, checksum }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::CatalogFile;

    const FILE: &str = r#"
maps:
  - { map_id: park, region_code: "310000", display_name: Park, scale_text: "1:4000" }
events:
  - event_id: ev-1
    map_id: park
    display_name: Sprint
    playfield_kind: course
    direct_entry_enabled: true
    current_release_id: ev-1-rel-1
    releases:
      - release_id: ev-1-rel-1
        published_at: "2026-03-01T08:00:00+08:00"
        playfield_version_id: pfv_1
        course:
          iof_xml: courses.xml
          routes:
            - { route_code: long, iof_course: Long }
            - { route_code: score-60, iof_course: Score, time_limit_s: 3600, penalty_points_per_started_minute: 10, max_late_s: 900 }
"#;

    fn file(text: &str) -> CatalogFile {
        crate::parse_in(text, std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/iof"))).expect("valid")
    }

    fn manifest(text: &str) -> Manifest {
        let file = file(text);
        build(&file.events[0], &file.events[0].releases[0], &file.maps[0])
    }

    #[test]
    fn the_same_release_gives_the_same_bytes_checksum_and_key() {
        // given the same release loaded twice
        let (a, b) = (manifest(FILE), manifest(FILE));

        // then the manifests are byte for byte the same, and the checksum is their SHA-256
        assert_eq!(a, b);
        assert_eq!(a.checksum, shared::support::crypto::sha256_hex(&a.bytes));
        assert_eq!(a.checksum.len(), 64);
        assert_eq!(a.key(), format!("manifests/ev-1/ev-1-rel-1/{}.json", a.checksum));
        assert_eq!(a.url("https://cdn.example.com/"), format!("https://cdn.example.com/{}", a.key()));
    }

    #[test]
    fn the_manifest_holds_ids_map_controls_and_routes_in_a_fixed_order() {
        let m = manifest(FILE);
        let text = String::from_utf8(m.bytes.clone()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["manifest_version"], 1);
        assert_eq!((json["event_id"].as_str(), json["release_id"].as_str()), (Some("ev-1"), Some("ev-1-rel-1")));
        assert_eq!(json["map"], serde_json::json!({ "map_id": "park", "display_name": "Park", "scale_text": "1:4000" }));
        assert_eq!((json["control_count"].as_i64(), json["route_codes"].clone()), (Some(4), serde_json::json!(["long", "score-60"])));
        assert_eq!(
            json["controls"][1],
            serde_json::json!({ "code": "31", "kind": "control", "lat": 31.041, "lng": 121.212, "radius_m": 15, "points": 10 })
        );
        assert_eq!(json["routes"][0]["controls"], serde_json::json!(["S1", "31", "32", "33", "34", "F1"]));
        assert_eq!(json["routes"][1]["time_limit_s"], 3600);
        // the order of the fields is the order written, so the bytes never depend on a map's order
        let order: Vec<usize> = ["\"manifest_version\"", "\"event_id\"", "\"release_id\"", "\"map\"", "\"controls\"", "\"routes\""]
            .iter()
            .map(|k| text.find(k).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn any_change_to_the_course_changes_the_checksum() {
        let before = manifest(FILE);
        let moved = manifest(&FILE.replace("score-60", "score-61"));
        let renamed_map = manifest(&FILE.replace("display_name: Park,", "display_name: Park North,"));
        assert_ne!(before.checksum, moved.checksum);
        assert_ne!(before.checksum, renamed_map.checksum);
        assert_ne!(before.key(), moved.key());
    }

    #[test]
    fn a_route_with_a_map_exchange_carries_it_and_other_routes_are_as_before() {
        // given OCAD's two-sided sprint, each course with its map exchange at S2
        let sprint = FILE.replace(
            "          iof_xml: courses.xml\n          routes:\n            - { route_code: long, iof_course: Long }\n            - { route_code: score-60, iof_course: Score, time_limit_s: 3600, penalty_points_per_started_minute: 10, max_late_s: 900 }\n",
            "          iof_xml: real/splittimes__src__lib__o-utils__ocad__parsers__mocks__iof-xml-3-course.xml\n",
        );
        let json: serde_json::Value = serde_json::from_slice(&manifest(&sprint).bytes).unwrap();

        // then the manifest's route says where the runner turns the map
        assert_eq!(json["routes"][0]["route_code"], "Homme");
        assert_eq!(json["routes"][0]["map_exchanges"], serde_json::json!([{ "after": 10, "code": "S2", "lat": 45.2133, "lng": 5.786125 }]));
        assert_eq!(json["routes"][0]["controls"][9], "46");

        // and a route without one has no such field
        let plain: serde_json::Value = serde_json::from_slice(&manifest(FILE).bytes).unwrap();
        assert!(plain["routes"].as_array().unwrap().iter().all(|r| r.get("map_exchanges").is_none()));
    }

    #[test]
    fn the_demo_releases_keep_their_manifests_byte_for_byte() {
        // given the demo catalog, whose manifests were published before map exchanges and grids
        let demo = crate::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog/demo.yaml"))).expect("valid");

        // then every manifest has the checksum it had (so the same URL: nothing to upload again)
        let checksums: Vec<(String, String)> = crate::manifests(&demo).into_iter().map(|m| (m.release_id, m.checksum)).collect();
        assert_eq!(
            checksums,
            [
                ("sample-classic-001-rel-1", "8115e4e6ad0d418105676721bd2460b14a3ffcd13dd93bda11179c34fb653033"),
                ("sample-score-001-rel-1", "5b1bba13c664b967cbecb75a12cf1788a2f2782283f32c78b274f58db23a977a"),
                ("sample-score-001-rel-2", "2d84892983b16776872a867271f58bf4594914517a6de82a9e97c48dd2d4ab7c"),
                ("hz-night-sprint-001-rel-1", "6af1b45479bf0e2447ed6f22f89051ff2d7b5216939961eb0559f4802947a4fe"),
            ]
            .map(|(r, c)| (r.to_string(), c.to_string()))
        );
    }
}
