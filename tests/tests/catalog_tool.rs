//! The catalog tool (the `catalog-tool` library the CLI wraps): validation, dry runs and
//! idempotent imports into the real local table, seen through the catalog reads.

use catalog::Catalog;
use catalog_tool::{Action, CatalogFile, ImportError, Report};
use lambda_http::http::StatusCode;
use registration::Registration;
use serde_json::{Value, json};
use shared::store::keys;
use shared::support::types::ClientType;
use tests::{invoke, tokens, unique, with_bearer, with_body};

fn parse(file: &Value) -> CatalogFile {
    tests::catalog_file(file)
}

async fn import(file: &Value, dry_run: bool) -> Report {
    catalog_tool::import(&tests::db().await, &tests::manifest_store().await, &parse(file), dry_run).await.expect("imported")
}

fn release(id: &str, routes: &[&str]) -> Value {
    json!({
        "release_id": id, "published_at": "2026-03-01T08:00:00+08:00",
        "playfield_version_id": format!("pfv_{id}"), "course": tests::course(9, routes),
    })
}

/// One map, one event, one competition with a capacity, one card; ids unique to the test.
struct Small {
    region: String,
    map: String,
    event: String,
    competition: String,
    card: String,
}

impl Small {
    fn new() -> Self {
        let t = unique("");
        Self {
            region: format!("r{t}"),
            map: format!("map-{t}"),
            event: format!("ev-{t}"),
            competition: format!("cmp_{t}"),
            card: format!("crd_{t}"),
        }
    }

    fn file(&self) -> Value {
        json!({
            "maps": [{ "map_id": self.map, "region_code": self.region, "display_name": "Park" }],
            "events": [{
                "event_id": self.event, "map_id": self.map, "display_name": "Classic", "playfield_kind": "course",
                "direct_entry_enabled": true, "current_release_id": format!("{}-rel-1", self.event),
                "releases": [release(&format!("{}-rel-1", self.event), &["r-1"])],
            }],
            "competitions": [{
                "competition_id": self.competition, "display_name": "Cup", "competition_status": "ongoing",
                "competition_start_at": "2026-01-01T00:00:00Z", "competition_end_at": "2030-12-31T00:00:00Z",
                "registration": { "enabled": true, "required": true, "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z", "capacity": 50 },
                "events": [{ "event_id": self.event, "is_default": true }],
            }],
            "cards": [{
                "card_id": self.card, "card_type": "competition_card", "display_name": "Cup card", "region_code": self.region,
                "competition_id": self.competition, "display_slot": "home_banner", "display_priority": 10,
            }],
        })
    }
}

/// Everything the table holds under `pk`.
async fn partition(pk: &str) -> Vec<shared::store::db::Item> {
    tests::db().await.query(pk, shared::store::db::Range::All, None).await.unwrap()
}

async fn read(event: &str, path: &str, query: &str) -> Value {
    let catalog = Catalog::new(tests::db().await, tokens(), tests::cursors());
    let (status, body) = invoke(&catalog, event, |e| {
        e["rawPath"] = path.into();
        e["rawQueryString"] = query.into();
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["data"].clone()
}

#[tokio::test]
async fn an_invalid_file_is_reported_whole_and_nothing_is_written() {
    // given a file with a good map and a dozen different mistakes
    let t = unique("");
    let good_map = format!("map-{t}");
    let file = json!({
        "maps": [{ "map_id": good_map, "region_code": "r1", "display_name": "Park", "updated_date": "2026-02-30" }],
        "events": [
            { "event_id": format!("ev-{t}"), "map_id": "no-such-map", "display_name": "E", "playfield_kind": "course",
              "direct_entry_enabled": true, "current_release_id": "no-such-release",
              "releases": [
                  { "release_id": format!("rel-{t}"), "published_at": "2026-13-01T00:00:00Z",
                    "playfield_version_id": "pfv_1", "course": tests::course(3, &["r-1"]) },
                  { "release_id": format!("rel-{t}"), "published_at": "2026-03-01T00:00:00Z",
                    "playfield_version_id": "pfv_1", "course": {
                        "controls": [
                            { "code": "S1", "kind": "start", "lat": 31.04, "lng": 121.21 },
                            { "code": "31", "lat": 91.0, "lng": 121.21, "radius_m": 2 },
                            { "code": "32", "lat": 31.05, "lng": 181.0, "points": 0 },
                            { "code": "32", "kind": "checkpoint", "lat": 31.05, "lng": 121.22 },
                            { "code": "F1", "kind": "finish", "lat": 31.04, "lng": 121.21 },
                        ],
                        "routes": [
                            { "route_code": "c-1", "controls": ["S1", "31", "99", "32"] },
                            { "route_code": "s-1", "kind": "score", "controls": ["31", "32", "F1"] },
                        ],
                    } },
              ] },
        ],
        "competitions": [{
            "competition_id": format!("cmp_{t}"), "display_name": "Cup", "competition_status": "ongoing",
            "competition_start_at": "yesterday", "competition_end_at": "2030-01-01T00:00:00Z", "live_delay_s": 901,
            "registration": { "enabled": true, "opens_at": "2027-01-01T00:00:00Z", "closes_at": "2026-01-01T00:00:00Z", "capacity": 0 },
            "events": [{ "event_id": "no-such-event" }],
        }],
        "cards": [
            { "card_id": format!("crd_{t}"), "card_type": "c", "display_name": "A", "region_code": "r1",
              "competition_id": "no-such-competition", "display_slot": "s", "display_priority": -1 },
            { "card_id": format!("crd_{t}"), "card_type": "c", "display_name": "B", "region_code": "r1",
              "display_slot": "s", "display_priority": 1_000_000 },
        ],
    });
    let text = serde_norway::to_string(&file).unwrap();

    // when it is validated
    let invalid = catalog_tool::parse(&text).expect_err("invalid");

    // then every problem is listed, each naming where it is
    let expected = [
        "maps[".to_string() + &good_map + "].updated_date",
        "].map_id: unknown map \"no-such-map\"".into(),
        "].current_release_id: \"no-such-release\" is not one of this event's releases".into(),
        "releases: duplicate id".into(),
        "].published_at: \"2026-13-01T00:00:00Z\" is not an RFC 3339 time".into(),
        "].course.controls[31].lat: 91 is outside -90..=90".into(),
        "].course.controls[31].radius_m: 2 is outside 5..=100 m".into(),
        "].course.controls[32].lng: 181 is outside -180..=180".into(),
        "].course.controls[32].points: must be positive".into(),
        "].course.controls[32].kind: \"checkpoint\" is not one of start, control, finish".into(),
        "].course.routes[c-1].controls: \"99\" is not a control of this course".into(),
        "].course.routes[c-1].controls: must end with a finish control (\"32\" is not one)".into(),
        "].course.routes[s-1].controls: must start with a start control (\"31\" is not one)".into(),
        "].course.routes[s-1].time_limit_s: a score route needs a positive time limit".into(),
        "].competition_start_at: \"yesterday\" is not an RFC 3339 time".into(),
        "].live_delay_s: must be within 0..=900 seconds".into(),
        "registration.closes_at: is not after registration.opens_at".into(),
        "registration.capacity: must be at least 1".into(),
        "].events: unknown event \"no-such-event\"".into(),
        "].competition_id: unknown competition \"no-such-competition\"".into(),
        "cards: duplicate id".into(),
        "].display_priority: -1 is outside 0..=999999".into(),
        "].display_priority: 1000000 is outside 0..=999999".into(),
    ];
    for problem in &expected {
        assert!(invalid.problems.iter().any(|p| p.contains(problem.as_str())), "missing {problem:?} in {:#?}", invalid.problems);
    }
    assert!(invalid.to_string().contains("nothing was written"));

    // and importing it (from a file, as the CLI does) fails the same way and writes nothing
    let path = std::env::temp_dir().join(format!("catalog-{t}.yaml"));
    std::fs::write(&path, &text).unwrap();
    let err = catalog_tool::import_file(&tests::db().await, &tests::manifest_store().await, &path, false).await.expect_err("refused");
    std::fs::remove_file(&path).ok();
    assert!(matches!(&err, ImportError::Invalid(i) if i.problems == invalid.problems), "{err}");
    assert!(partition(&keys::map_pk(&good_map)).await.is_empty(), "the valid map must not be written");
}

#[tokio::test]
async fn a_file_that_is_not_a_catalog_names_the_problem() {
    for (text, mention) in [
        ("maps:\n  - map_id: m1\n    region_code: r1\n    display_name: P\n    colour: red\n", "colour"),
        ("cards: 5\n", "cards"),
        ("maps: [\n", "not a catalog file"),
    ] {
        let invalid = catalog_tool::parse(text).expect_err("refused");
        assert_eq!(invalid.problems.len(), 1, "{invalid}");
        assert!(invalid.problems[0].contains(mention), "{mention:?} not in {invalid}");
    }
}

#[tokio::test]
async fn a_dry_run_says_what_would_change_and_writes_nothing() {
    let small = Small::new();

    // when a new file is dry-run
    let report = import(&small.file(), true).await;

    // then every item would be created (map, 2 map listings, release, event, 2 event summaries,
    // competition, link, 2 cards), and the table has none of them
    assert_eq!((report.count(Action::Create), report.changes.len()), (11, 11), "{report}");
    assert!(report.to_string().contains("dry run, nothing written: 11 create"), "{report}");
    for pk in
        [keys::map_pk(&small.map), keys::event_pk(&small.event), keys::competition_pk(&small.competition), keys::cards_pk(&small.region)]
    {
        assert!(partition(&pk).await.is_empty(), "{pk} was written by a dry run");
    }

    // when it is imported, then a dry run finds everything unchanged
    let imported = import(&small.file(), false).await;
    assert_eq!(imported.count(Action::Create), 11);
    let again = import(&small.file(), true).await;
    assert_eq!((again.count(Action::Unchanged), again.changed()), (11, false), "{again}");

    // when a card is renamed, a dry run shows exactly its two copies as updates, and writes nothing
    let mut renamed = small.file();
    renamed["cards"][0]["display_name"] = "New name".into();
    let report = import(&renamed, true).await;
    let updated: Vec<&str> = report.changes.iter().filter(|c| c.action == Action::Update).map(|c| c.entity_type.as_str()).collect();
    assert_eq!(updated, ["card", "card"], "{report}");
    let cards = read("catalog-cards", "/client/v1/cards", &format!("region_code={}", small.region)).await;
    assert_eq!(cards["items"][0]["display_name"], "Cup card");
}

#[tokio::test]
async fn reimporting_changes_nothing_and_never_resets_registered_count() {
    // given an imported competition with two registrations
    let small = Small::new();
    import(&small.file(), false).await;
    let function = Registration::new(tests::db().await, tokens());
    for _ in 0..2 {
        let path = format!("/client/v1/competitions/{}/registrations", small.competition);
        let token = tests::access_token(&unique("usr_"), ClientType::App);
        let (status, body) = invoke(&function, "registration", |e| {
            e["rawPath"] = path.clone().into();
            with_bearer(e, &token);
            with_body(e, json!({}));
        })
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // when the same file is imported again
    let report = import(&small.file(), false).await;

    // then nothing is written and the count is intact
    assert!(!report.changed(), "{report}");
    let db = tests::db().await;
    let meta = shared::store::catalog::competition(&db, &small.competition).await.unwrap().unwrap();
    assert_eq!(meta.registered_count, 2);

    // when the competition itself is edited (name, capacity removed) and imported
    let mut edited = small.file();
    edited["competitions"][0]["display_name"] = "Cup (renamed)".into();
    edited["competitions"][0]["registration"].as_object_mut().unwrap().remove("capacity");
    let report = import(&edited, false).await;

    // then only the competition is updated, the edit shows, and the count is still 2
    let updated: Vec<String> =
        report.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| format!("{} {}", c.action, c.entity_type)).collect();
    assert_eq!(updated, ["update competition"], "{report}");
    let meta = shared::store::catalog::competition(&db, &small.competition).await.unwrap().unwrap();
    assert_eq!((meta.display_name.as_str(), meta.capacity, meta.registered_count), ("Cup (renamed)", None, 2));
    let competition = read("catalog-competition", &format!("/client/v1/competitions/{}", small.competition), "").await;
    assert_eq!(competition["display_name"], "Cup (renamed)");
}

#[tokio::test]
async fn a_new_current_release_is_what_every_read_serves() {
    // given an event published with release 1
    let small = Small::new();
    import(&small.file(), false).await;
    let rel1 = format!("{}-rel-1", small.event);
    let rel2 = format!("{}-rel-2", small.event);

    // when release 2 is added, made current, and the file imported again
    let mut next = small.file();
    next["events"][0]["releases"].as_array_mut().unwrap().push(release(&rel2, &["r-1", "r-2", "r-3"]));
    next["events"][0]["current_release_id"] = rel2.clone().into();
    let report = import(&next, false).await;
    assert_eq!(report.count(Action::Create), 1, "only the new release is created: {report}");

    // then every read that names the current release serves release 2
    let event = read("catalog-event", &format!("/client/v1/events/{}", small.event), "").await;
    assert_eq!(
        (event["current_release_id"].as_str(), event["manifest_checksum_sha256"].as_str()),
        (Some(rel2.as_str()), Some(tests::manifest_of(&next, &rel2).checksum.as_str()))
    );
    assert_eq!(
        (event["playfield_version_id"].as_str(), event["event_summary"]["route_count"].as_i64()),
        (Some(format!("pfv_{rel2}").as_str()), Some(3))
    );
    let competition = read("catalog-competition", &format!("/client/v1/competitions/{}", small.competition), "").await;
    assert_eq!(competition["events"][0]["current_release_id"], rel2.as_str());
    let in_competition =
        read("catalog-competition-event", &format!("/client/v1/competitions/{}/events/{}", small.competition, small.event), "").await;
    assert_eq!(
        (in_competition["current_release_id"].as_str(), in_competition["manifest_url"].as_str()),
        (Some(rel2.as_str()), Some(tests::manifest_url_of(&next, &rel2).as_str()))
    );
    let map = read("catalog-map", &format!("/client/v1/maps/{}", small.map), "").await;
    assert_eq!(map["events"][0]["current_release_id"], rel2.as_str());
    let events = read("catalog-events", "/client/v1/events", &format!("map_id={}", small.map)).await;
    assert_eq!(events["items"][0]["current_release_id"], rel2.as_str());

    // and launch sees its routes; the superseded release is kept
    let db = tests::db().await;
    let meta = shared::store::catalog::event(&db, &small.event).await.unwrap().unwrap();
    assert_eq!(
        (meta.current_release_id.as_str(), meta.route_codes.as_slice()),
        (rel2.as_str(), ["r-1", "r-2", "r-3"].map(String::from).as_slice())
    );
    assert!(db.get::<shared::model::catalog::Release>(&keys::release(&small.event, &rel1)).await.unwrap().is_some());
}

#[tokio::test]
async fn moved_items_leave_no_copy_behind() {
    // given a published catalog
    let small = Small::new();
    import(&small.file(), false).await;
    let t = unique("");
    let (other_region, other_map, second_event) = (format!("r2{t}"), format!("map2-{t}"), format!("ev2-{t}"));

    // when the card's priority changes, the map moves region, and the event moves to a new map
    // while the competition's link now points at a second event instead
    let mut moved = small.file();
    moved["cards"][0]["display_priority"] = 999_000.into();
    moved["maps"][0]["region_code"] = other_region.clone().into();
    moved["maps"].as_array_mut().unwrap().push(json!({ "map_id": other_map, "region_code": other_region, "display_name": "Park 2" }));
    moved["events"][0]["map_id"] = other_map.clone().into();
    let mut second = moved["events"][0].clone();
    second["event_id"] = second_event.clone().into();
    second["current_release_id"] = format!("{second_event}-rel-1").into();
    second["releases"] = json!([release(&format!("{second_event}-rel-1"), &["r-9"])]);
    moved["events"].as_array_mut().unwrap().push(second);
    moved["competitions"][0]["events"] = json!([{ "event_id": second_event, "is_default": true }]);
    let report = import(&moved, false).await;
    assert_eq!(report.count(Action::Delete), 5, "old card ×2, old map listing, old map event, old link: {report}");

    // then each is listed once, where it now is
    let cards = read("catalog-cards", "/client/v1/cards", &format!("region_code={}", small.region)).await;
    assert_eq!(cards["items"].as_array().unwrap().len(), 1);
    assert_eq!(cards["items"][0]["display_priority"], 999_000);
    let all_cards = read("catalog-cards", "/client/v1/cards", "").await;
    assert_eq!(all_cards["items"].as_array().unwrap().iter().filter(|c| c["card_id"] == small.card.as_str()).count(), 1);
    let old_region = read("catalog-maps", "/client/v1/maps", &format!("region_code={}", small.region)).await;
    assert_eq!(old_region["items"], json!([]));
    let new_region = read("catalog-maps", "/client/v1/maps", &format!("region_code={other_region}")).await;
    assert_eq!(new_region["items"].as_array().unwrap().len(), 2);
    let old_map = read("catalog-map", &format!("/client/v1/maps/{}", small.map), "").await;
    assert_eq!(old_map["events"], json!([]));
    let new_map = read("catalog-map", &format!("/client/v1/maps/{other_map}"), "").await;
    assert_eq!(new_map["events"].as_array().unwrap().len(), 2);
    let competition = read("catalog-competition", &format!("/client/v1/competitions/{}", small.competition), "").await;
    assert_eq!(
        competition["events"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap()).collect::<Vec<_>>(),
        [second_event.as_str()]
    );

    // and importing the moved file again changes nothing
    assert!(!import(&moved, false).await.changed());
}

/// `Small`'s file with its release's course read from an IOF XML fixture of the catalog tool.
fn with_iof(small: &Small, fixture: &str, routes: Value) -> Value {
    let mut file = small.file();
    file["events"][0]["releases"][0]["course"] = json!({ "iof_xml": format!("../catalog-tool/testdata/iof/{fixture}"), "routes": routes });
    file
}

/// What moto's S3 holds under `prefix` of the manifest bucket (a ListObjectsV2 of keys).
async fn stored_keys(prefix: &str) -> Vec<String> {
    let base = std::env::var("MANIFEST_BASE_URL").expect("MANIFEST_BASE_URL");
    let listing = reqwest::get(format!("{base}?list-type=2&prefix={prefix}")).await.unwrap().text().await.unwrap();
    listing.split("<Key>").skip(1).filter_map(|k| k.split("</Key>").next()).map(str::to_owned).collect()
}

/// Checks `value` has every field the schema `name` (`Schema` or `Schema/property`) of
/// docs/openapi.yaml requires, and none it does not document.
fn documented(name: &str, value: &Value) {
    let doc = tests::openapi::openapi();
    let mut schema = &doc["components"]["schemas"];
    for part in name.split('/') {
        schema = if schema.get("properties").is_some() { &schema["properties"][part] } else { &schema[part] };
    }
    let fields: Vec<&str> = value.as_object().unwrap_or_else(|| panic!("{name}: {value}")).keys().map(String::as_str).collect();
    let properties = schema["properties"].as_object().unwrap_or_else(|| panic!("{name} is not documented"));
    for field in &fields {
        assert!(properties.contains_key(*field), "{name}: {field} is not documented");
    }
    for required in schema["required"].as_array().unwrap() {
        assert!(fields.contains(&required.as_str().unwrap()), "{name}: {required} is missing from {value}");
    }
}

#[tokio::test]
async fn an_iof_course_is_published_with_a_manifest_that_downloads_and_matches_its_checksum() {
    // given a release whose course is an IOF XML 3.0 export: two classic courses sharing
    // controls, a score course, start and finish
    let small = Small::new();
    let routes = json!([
        { "route_code": "long", "iof_course": "Long" },
        { "route_code": "short", "iof_course": "Short" },
        { "route_code": "score-60", "iof_course": "Score", "time_limit_s": 3600, "penalty_points_per_started_minute": 10, "max_late_s": 900 },
    ]);
    let file = with_iof(&small, "courses.xml", routes);

    // when it is imported
    let report = import(&file, false).await;
    assert_eq!((report.uploads(), report.manifests.len()), (1, 1), "{report}");

    // then the release holds the course, and the counts the contract shows are derived from it
    let db = tests::db().await;
    let rel = format!("{}-rel-1", small.event);
    let release = shared::store::catalog::release(&db, &small.event, &rel).await.unwrap().expect("the release");
    assert_eq!((release.control_count, release.route_codes.clone()), (4, vec!["long".to_string(), "short".into(), "score-60".into()]));
    assert_eq!(release.course.route("short").unwrap().controls, ["S1", "31", "33", "F1"]);
    assert_eq!(release.course.control("32").unwrap().points, Some(20));
    let event = read("catalog-event", &format!("/client/v1/events/{}", small.event), "").await;
    assert_eq!((event["event_summary"]["control_count"].as_i64(), event["event_summary"]["route_count"].as_i64()), (Some(4), Some(3)));

    // and the manifest_url the client is given downloads, its bytes hashing to the checksum
    let (url, checksum) =
        (event["manifest_url"].as_str().unwrap().to_string(), event["manifest_checksum_sha256"].as_str().unwrap().to_string());
    assert_eq!(url, tests::manifest_url_of(&file, &rel));
    let download = reqwest::get(&url).await.unwrap();
    assert_eq!(download.status(), 200, "{url}");
    let bytes = download.bytes().await.unwrap();
    assert_eq!(shared::support::crypto::sha256_hex(&bytes), checksum);
    let manifest: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!((manifest["event_id"].as_str(), manifest["release_id"].as_str()), (Some(small.event.as_str()), Some(rel.as_str())));
    assert_eq!(manifest["routes"][2]["time_limit_s"], 3600);
    // exactly as docs/openapi.yaml documents it (ReleaseManifest)
    documented("ReleaseManifest", &manifest);
    documented("ReleaseManifest/map", &manifest["map"]);
    manifest["controls"].as_array().unwrap().iter().for_each(|c| documented("CourseControl", c));
    manifest["routes"].as_array().unwrap().iter().for_each(|r| documented("CourseRoute", r));

    // when the unchanged file is imported again, then nothing changes: not the table, not the
    // bucket, not the URL or the checksum
    let again = import(&file, false).await;
    assert!(!again.changed(), "{again}");
    assert_eq!(again.uploads(), 0);
    let event = read("catalog-event", &format!("/client/v1/events/{}", small.event), "").await;
    assert_eq!((event["manifest_url"].as_str(), event["manifest_checksum_sha256"].as_str()), (Some(url.as_str()), Some(checksum.as_str())));
    assert_eq!(stored_keys(&format!("manifests/{}/", small.event)).await.len(), 1);
}

#[tokio::test]
async fn a_broken_iof_file_is_refused_naming_the_element_and_nothing_is_written() {
    for (fixture, routes, mention) in [
        ("unknown-control.xml", json!([]), "Course \"Short\" CourseControl 3 (line 80): control \"99\" does not exist"),
        ("not-iof.gpx", json!([]), "not IOF XML 3.0 CourseData: the root element is <gpx>"),
        (
            "no-finish.xml",
            json!([{ "route_code": "short", "iof_course": "Short" }]),
            "course.routes[short].controls: must end with a finish control (\"33\" is not one)",
        ),
    ] {
        // given a catalog whose release names a broken IOF file
        let small = Small::new();
        let text = serde_norway::to_string(&with_iof(&small, fixture, routes)).unwrap();

        // when it is imported from a catalog file in the repository's catalog/ (as an operator would)
        let path = tests::repo_path("catalog").join(format!("test-{}.yaml", small.event));
        std::fs::write(&path, &text).unwrap();
        let result = catalog_tool::import_file(&tests::db().await, &tests::manifest_store().await, &path, false).await;
        std::fs::remove_file(&path).ok();

        // then it is refused with the problem named, under the release it belongs to
        let Err(ImportError::Invalid(invalid)) = result else { panic!("{fixture}: not refused as invalid: {result:?}") };
        assert!(invalid.problems.iter().any(|p| p.contains(mention)), "{fixture}: {mention:?} not in {invalid}");
        assert!(invalid.problems.iter().all(|p| p.contains(&format!("releases[{}-rel-1]", small.event))), "{invalid}");

        // and nothing is written: no item, no manifest
        assert!(partition(&keys::map_pk(&small.map)).await.is_empty(), "{fixture}: the map was written");
        assert!(partition(&keys::event_pk(&small.event)).await.is_empty(), "{fixture}: the event was written");
        assert_eq!(stored_keys(&format!("manifests/{}/", small.event)).await, Vec::<String>::new(), "{fixture}");
    }
}
