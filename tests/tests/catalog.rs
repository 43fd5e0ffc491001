//! The seven catalog reads through the `catalog` handler with the `events/catalog-*.json` events,
//! against catalogs each test publishes with the catalog tool into the real local table.

use catalog::Catalog;
use lambda_http::http::StatusCode;
use registration::Registration;
use serde_json::{Value, json};
use shared::support::types::ClientType;
use tests::{invoke, publish, tokens, unique, with_bearer, with_body};

fn token_for(user_id: &str) -> String {
    tests::access_token(user_id, ClientType::App)
}

async fn catalog() -> Catalog {
    Catalog::new(tests::db().await, tokens(), tests::cursors())
}

/// GET `path?query` through `event` (the `events/` file of that route), optionally signed in.
async fn get(event: &str, path: &str, query: &str, token: Option<&str>) -> (StatusCode, Value) {
    invoke(&catalog().await, event, |e| {
        e["rawPath"] = path.into();
        e["requestContext"]["http"]["path"] = path.into();
        e["rawQueryString"] = query.into();
        e.as_object_mut().unwrap().remove("queryStringParameters");
        if let Some(token) = token {
            with_bearer(e, token);
        }
    })
    .await
}

/// Ids of one test's catalog, unique so tests never see each other's data.
struct Ids {
    r1: String,
    r2: String,
    m1: String,
    m2: String,
    m3: String,
    e1: String,
    e2: String,
    e3: String,
    c1: String,
    k1: String,
    k2: String,
    k3: String,
    k4: String,
}

impl Ids {
    fn new() -> Self {
        let t = unique("");
        Self {
            r1: format!("ra{t}"),
            r2: format!("rb{t}"),
            m1: format!("m1-{t}"),
            m2: format!("m2-{t}"),
            m3: format!("m3-{t}"),
            e1: format!("e1-{t}"),
            e2: format!("e2-{t}"),
            e3: format!("e3-{t}"),
            c1: format!("cmp_{t}"),
            k1: format!("crd_1_{t}"),
            k2: format!("crd_2_{t}"),
            k3: format!("crd_3_{t}"),
            k4: format!("crd_4_{t}"),
        }
    }

    /// Region 1: maps m1 (every field) and m2 (only the required ones), events e1 (two releases,
    /// the second current) and e2 (no direct entry, no preview) on m1, competition c1 linking both
    /// (e2 the default), and cards k1..k3 of every priority extreme. Region 2: m3, e3, k4.
    fn file(&self) -> Value {
        let release = |id: &str, controls: usize, routes: &[&str]| {
            json!({
                "release_id": id, "published_at": "2026-03-01T08:00:00+08:00",
                "playfield_version_id": format!("pfv_{id}"), "course": tests::course(controls, routes),
            })
        };
        json!({
            "maps": [
                { "map_id": self.m1, "region_code": self.r1, "display_name": "Park One",
                  "cover_url": "https://cdn.example.com/m1.jpg", "scale_text": "1:4000", "updated_date": "2026-03-15" },
                { "map_id": self.m2, "region_code": self.r1, "display_name": "Park Two" },
                { "map_id": self.m3, "region_code": self.r2, "display_name": "Park Three" },
            ],
            "events": [
                { "event_id": self.e1, "map_id": self.m1, "display_name": "Classic", "playfield_kind": "course",
                  "preview_image_url": "https://cdn.example.com/e1.png", "direct_entry_enabled": true,
                  "current_release_id": format!("{}-rel-2", self.e1),
                  "releases": [release(&format!("{}-rel-1", self.e1), 10, &["a-1"]),
                               release(&format!("{}-rel-2", self.e1), 12, &["a-1", "a-2"])] },
                { "event_id": self.e2, "map_id": self.m1, "display_name": "Score", "playfield_kind": "score",
                  "direct_entry_enabled": false, "current_release_id": format!("{}-rel-1", self.e2),
                  "releases": [release(&format!("{}-rel-1", self.e2), 20, &["s-60"])] },
                { "event_id": self.e3, "map_id": self.m3, "display_name": "Night", "playfield_kind": "course",
                  "direct_entry_enabled": true, "current_release_id": format!("{}-rel-1", self.e3),
                  "releases": [release(&format!("{}-rel-1", self.e3), 15, &["n-1"])] },
            ],
            "competitions": [
                { "competition_id": self.c1, "display_name": "Cup", "competition_status": "ongoing",
                  "competition_start_at": "2026-05-01T09:00:00+08:00", "competition_end_at": "2099-05-01T17:00:00+08:00",
                  "leaderboard_enabled": true, "realtime_board_enabled": false,
                  "registration": { "enabled": true, "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z" },
                  "events": [{ "event_id": self.e1, "relation_status": "active" },
                             { "event_id": self.e2, "is_default": true, "relation_status": "preview" }] },
            ],
            "cards": [
                { "card_id": self.k1, "card_type": "competition_card", "display_name": "Cup card", "region_code": self.r1,
                  "competition_id": self.c1, "html_url": "https://h5.example.com/c1", "cover_url": "https://cdn.example.com/k1.jpg",
                  "display_slot": "home_banner", "display_priority": 500 },
                { "card_id": self.k2, "card_type": "article_card", "display_name": "Guide", "region_code": self.r1,
                  "competition_id": "", "display_slot": "home_feed", "display_priority": 999_999 },
                { "card_id": self.k3, "card_type": "article_card", "display_name": "Last", "region_code": self.r1,
                  "display_slot": "home_feed", "display_priority": 0 },
                { "card_id": self.k4, "card_type": "competition_card", "display_name": "Elsewhere", "region_code": self.r2,
                  "competition_id": self.c1, "display_slot": "home_banner", "display_priority": 700 },
            ],
        })
    }
}

impl Ids {
    /// Where the catalog tool publishes the manifest of `release_id`, and its checksum.
    fn manifest_url(&self, release_id: &str) -> String {
        tests::manifest_url_of(&self.file(), release_id)
    }

    fn checksum(&self, release_id: &str) -> String {
        tests::manifest_of(&self.file(), release_id).checksum
    }
}

/// A catalog published for this test.
async fn published() -> Ids {
    let ids = Ids::new();
    publish(&ids.file()).await;
    ids
}

fn ids_of<'a>(items: &'a Value, field: &str) -> Vec<&'a str> {
    items.as_array().expect("an array").iter().map(|i| i[field].as_str().expect("an id")).collect()
}

fn keys_of(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object.as_object().expect("an object").keys().map(String::as_str).collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn the_demo_catalog_serves_the_spec_ids_end_to_end() {
    // given the repository's demo catalog, imported as every local stack does
    catalog_tool::import_file(&tests::db().await, &tests::manifest_store().await, &tests::repo_path("catalog/demo.yaml"), false)
        .await
        .expect("demo imported");
    let catalog = catalog().await;

    // when the untouched events/ events are sent, then each demo id leads to the next
    let (status, cards) = invoke(&catalog, "catalog-cards", |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    let card = cards["data"]["items"].as_array().unwrap().iter().find(|c| c["card_id"] == "crd_classic_demo_001").expect("demo card");
    assert_eq!(card["competition_id"], "cmp_classic_demo_001");

    let (status, competition) = invoke(&catalog, "catalog-competition", |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{competition}");
    assert_eq!(competition["data"]["registration_enabled"], true);
    let default = &competition["data"]["events"][0];
    assert_eq!((default["event_id"].as_str(), default["is_default"].as_bool()), (Some("sample-classic-001"), Some(true)));
    assert_eq!(default["current_release_id"], "sample-classic-001-rel-1");

    let (status, event) = invoke(&catalog, "catalog-competition-event", |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    assert_eq!(event["data"]["map_summary"]["map_id"], "lxcb-001");
    assert_eq!(event["data"]["current_release_id"], "sample-classic-001-rel-1");

    let (status, map) = invoke(&catalog, "catalog-map", |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{map}");
    assert!(ids_of(&map["data"]["events"], "event_id").contains(&"sample-classic-001"));

    let (status, events) = invoke(&catalog, "catalog-events", |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert!(ids_of(&events["data"]["items"], "event_id").contains(&"sample-classic-001"));

    let (status, maps) = invoke(&catalog, "catalog-maps", |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{maps}");
    assert!(ids_of(&maps["data"]["items"], "map_id").contains(&"lxcb-001"));

    let (status, detail) = invoke(&catalog, "catalog-event", |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["data"]["direct_entry_enabled"], true);

    // and launch finds the route and an open, launchable competition
    let db = tests::db().await;
    let meta = shared::store::catalog::event(&db, "sample-classic-001").await.unwrap().expect("event meta");
    assert_eq!(meta.current_release_id, "sample-classic-001-rel-1");
    assert_eq!(meta.route_codes, vec!["classic-001"]);
    let competition = shared::store::catalog::competition(&db, "cmp_classic_demo_001").await.unwrap().expect("competition meta");
    assert!(competition.registration_window_open(shared::support::clock::parse_rfc3339("2026-01-02T00:00:00Z").unwrap()));
    assert!(competition.registration_window_open(shared::support::clock::parse_rfc3339("2030-12-01T00:00:00Z").unwrap()));
    assert!(shared::store::catalog::competition_event(&db, "cmp_classic_demo_001", "sample-classic-001").await.unwrap().is_some());
}

#[tokio::test]
async fn cards_are_filtered_by_region_and_highest_priority_comes_first() {
    // given cards of priority 500, 999999 and 0 in region 1 and one in region 2
    let ids = published().await;

    // when region 1's cards are asked for
    let (status, body) = get("catalog-cards", "/client/v1/cards", &format!("region_code={}", ids.r1), None).await;

    // then exactly region 1's, highest priority first, with the contract's fields
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys_of(&body["data"]), ["items"]);
    let items = &body["data"]["items"];
    assert_eq!(ids_of(items, "card_id"), [ids.k2.as_str(), &ids.k1, &ids.k3]);
    assert_eq!(
        items[1],
        json!({
            "card_id": ids.k1, "card_type": "competition_card", "display_name": "Cup card", "competition_id": ids.c1,
            "html_url": "https://h5.example.com/c1", "cover_url": "https://cdn.example.com/k1.jpg",
            "display_slot": "home_banner", "display_priority": 500,
        })
    );
    // a card that links no competition: competition_id and the missing URLs are null, never absent
    assert_eq!(
        keys_of(&items[0]),
        ["card_id", "card_type", "competition_id", "cover_url", "display_name", "display_priority", "display_slot", "html_url"]
    );
    assert_eq!((&items[0]["competition_id"], &items[0]["html_url"], &items[0]["cover_url"]), (&Value::Null, &Value::Null, &Value::Null));

    // and region 2 has only its own card
    let (_, other) = get("catalog-cards", "/client/v1/cards", &format!("region_code={}", ids.r2), None).await;
    assert_eq!(ids_of(&other["data"]["items"], "card_id"), [ids.k4.as_str()]);
}

#[tokio::test]
async fn cards_without_a_region_come_from_every_region_in_priority_order() {
    let ids = published().await;
    for query in ["", "region_code="] {
        // when no (or an empty) region is given
        let (status, body) = get("catalog-cards", "/client/v1/cards", query, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // then both regions' cards are there, ours in priority order among everyone's
        let all = ids_of(&body["data"]["items"], "card_id");
        let mine = [ids.k1.as_str(), &ids.k2, &ids.k3, &ids.k4];
        let ours: Vec<&str> = all.iter().copied().filter(|id| mine.contains(id)).collect();
        assert_eq!(ours, [ids.k2.as_str(), &ids.k4, &ids.k1, &ids.k3], "query {query:?}");
        let priorities: Vec<i64> =
            body["data"]["items"].as_array().unwrap().iter().map(|c| c["display_priority"].as_i64().unwrap()).collect();
        assert!(priorities.windows(2).all(|w| w[0] >= w[1]), "not highest first: {priorities:?}");
    }
    let (status, body) = get("catalog-cards", "/client/v1/cards", "region_code=a*b", None).await;
    assert_eq!((status, &body["error"]["details"]["field"]), (StatusCode::BAD_REQUEST, &json!("region_code")));
}

#[tokio::test]
async fn maps_are_listed_by_region_a_page_at_a_time() {
    // given a region with five maps
    let t = unique("");
    let region = format!("rm{t}");
    let map_ids: Vec<String> = (1..=5).map(|i| format!("map{i}-{t}")).collect();
    let maps: Vec<Value> =
        map_ids.iter().map(|m| json!({ "map_id": m, "region_code": region, "display_name": format!("Map {m}") })).collect();
    publish(&json!({ "maps": maps })).await;

    // when it is read two at a time
    let mut pages = Vec::new();
    for page in 1..=4 {
        let (status, body) = get("catalog-maps", "/client/v1/maps", &format!("region_code={region}&page={page}&page_size=2"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(keys_of(&body["data"]), ["items"], "no page, page_size or total");
        pages.push(ids_of(&body["data"]["items"], "map_id").iter().map(|s| s.to_string()).collect::<Vec<_>>());
    }

    // then the pages are 2, 2, 1 and 0 maps, in map_id order, each map once
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1, 0]);
    assert_eq!(pages.concat(), map_ids);

    // and a map without cover, scale or location has those fields null
    let (_, body) = get("catalog-maps", "/client/v1/maps", &format!("region_code={region}"), None).await;
    assert_eq!(
        body["data"]["items"][0],
        json!({ "map_id": map_ids[0], "display_name": format!("Map {}", map_ids[0]), "cover_url": null, "scale_text": null, "distance_from_user_km": null })
    );
    // the default page size is 20: all five
    assert_eq!(body["data"]["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn list_paging_out_of_bounds_is_400_naming_the_parameter() {
    for (event, path) in [("catalog-maps", "/client/v1/maps"), ("catalog-events", "/client/v1/events")] {
        for (query, field) in [
            ("page_size=51", "page_size"),
            ("page_size=0", "page_size"),
            ("page_size=-1", "page_size"),
            ("page_size=ten", "page_size"),
            ("page=0", "page"),
            ("page=x", "page"),
            ("page=21&page_size=50", "page"),
            ("page=1001", "page"),
        ] {
            let (status, body) = get(event, path, query, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{query}: {body}");
            assert_eq!(body["error"]["code"], "invalid_request");
            assert_eq!(body["error"]["details"]["field"], field, "{path}?{query}");
        }
        // the deepest page allowed still answers
        let (status, body) = get(event, path, "page=20&page_size=50", None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

#[tokio::test]
async fn map_detail_lists_its_events_with_their_current_release() {
    let ids = published().await;

    // when a map is read
    let (status, body) = get("catalog-map", &format!("/client/v1/maps/{}", ids.m1), "", None).await;

    // then its summary and both its events, each with its current release
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!((data["map_id"].as_str(), data["display_name"].as_str()), (Some(ids.m1.as_str()), Some("Park One")));
    assert_eq!(
        data["map_summary"],
        json!({ "cover_url": "https://cdn.example.com/m1.jpg", "scale_text": "1:4000", "updated_date": "2026-03-15" })
    );
    assert_eq!(ids_of(&data["events"], "event_id"), [ids.e1.as_str(), &ids.e2]);
    assert_eq!(
        data["events"][0],
        json!({
            "event_id": ids.e1, "display_name": "Classic", "preview_image_url": "https://cdn.example.com/e1.png",
            "control_count": 12, "route_count": 2, "direct_entry_enabled": true,
            "current_release_id": format!("{}-rel-2", ids.e1),
            "manifest_url": ids.manifest_url(&format!("{}-rel-2", ids.e1)),
            "manifest_checksum_sha256": ids.checksum(&format!("{}-rel-2", ids.e1)), "playfield_kind": "course",
        })
    );
    assert_eq!(data["events"][1]["preview_image_url"], Value::Null);

    // and a map with only required fields has a null summary; an unknown map is 404
    let (_, bare) = get("catalog-map", &format!("/client/v1/maps/{}", ids.m2), "", None).await;
    assert_eq!(bare["data"]["map_summary"], json!({ "cover_url": null, "scale_text": null, "updated_date": null }));
    assert_eq!(bare["data"]["events"], json!([]));
    let (status, missing) = get("catalog-map", &format!("/client/v1/maps/{}-x", ids.m1), "", None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("map_not_found")));
    let (status, bad) = get("catalog-map", "/client/v1/maps/a%20b", "", None).await;
    assert_eq!((status, bad["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("map_id")));
}

#[tokio::test]
async fn events_are_listed_by_map_a_page_at_a_time() {
    let ids = published().await;

    // when one map's events are listed, one per page
    let (status, first) = get("catalog-events", "/client/v1/events", &format!("map_id={}&page_size=1", ids.m1), None).await;
    let (_, second) = get("catalog-events", "/client/v1/events", &format!("map_id={}&page=2&page_size=1", ids.m1), None).await;
    let (_, third) = get("catalog-events", "/client/v1/events", &format!("map_id={}&page=3&page_size=1", ids.m1), None).await;

    // then that map's two events, one per page, with the list's fields
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(keys_of(&first["data"]), ["items"]);
    assert_eq!(ids_of(&first["data"]["items"], "event_id"), [ids.e1.as_str()]);
    assert_eq!(ids_of(&second["data"]["items"], "event_id"), [ids.e2.as_str()]);
    assert_eq!(third["data"]["items"], json!([]));
    assert_eq!(
        second["data"]["items"][0],
        json!({
            "event_id": ids.e2, "display_name": "Score", "map_id": ids.m1, "map_display_name": "Park One",
            "preview_image_url": null, "control_count": 20, "route_count": 1, "direct_entry_enabled": false,
            "current_release_id": format!("{}-rel-1", ids.e2),
            "manifest_url": ids.manifest_url(&format!("{}-rel-1", ids.e2)),
            "manifest_checksum_sha256": ids.checksum(&format!("{}-rel-1", ids.e2)), "playfield_kind": "score",
        })
    );

    // and without a map every event is listed (ours among them); an unknown map is 404
    let (status, all) = get("catalog-events", "/client/v1/events", "page_size=50", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!ids_of(&all["data"]["items"], "event_id").is_empty());
    let (status, missing) = get("catalog-events", "/client/v1/events", &format!("map_id={}-x", ids.m1), None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("map_not_found")));
}

#[tokio::test]
async fn event_detail_has_its_current_release_map_and_summary() {
    let ids = published().await;

    // when an event is read
    let (status, body) = get("catalog-event", &format!("/client/v1/events/{}", ids.e1), "", None).await;

    // then exactly the contract's fields, from the current release
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({
            "event_id": ids.e1, "display_name": "Classic", "direct_entry_enabled": true,
            "current_release_id": format!("{}-rel-2", ids.e1),
            "manifest_url": ids.manifest_url(&format!("{}-rel-2", ids.e1)),
            "manifest_checksum_sha256": ids.checksum(&format!("{}-rel-2", ids.e1)), "playfield_version_id": format!("pfv_{}-rel-2", ids.e1),
            "playfield_kind": "course",
            "map_summary": { "map_id": ids.m1, "display_name": "Park One", "cover_url": "https://cdn.example.com/m1.jpg", "scale_text": "1:4000" },
            "event_summary": { "control_count": 12, "route_count": 2, "playfield_kind": "course" },
        })
    );

    // an event on a bare map has a null cover and scale
    let (_, bare) = get("catalog-event", &format!("/client/v1/events/{}", ids.e3), "", None).await;
    assert_eq!((&bare["data"]["map_summary"]["cover_url"], &bare["data"]["map_summary"]["scale_text"]), (&Value::Null, &Value::Null));

    // an unknown event is 404, a malformed id 400
    let (status, missing) = get("catalog-event", &format!("/client/v1/events/{}-x", ids.e1), "", None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("event_not_found")));
    let (status, bad) = get("catalog-event", "/client/v1/events/%00", "", None).await;
    assert_eq!((status, bad["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("event_id")));
}

/// Registers `user` for `competition` through the registration handler.
async fn register(competition: &str, user: &str) {
    let function = Registration::new(tests::db().await, tokens());
    let path = format!("/client/v1/competitions/{competition}/registrations");
    let (status, body) = invoke(&function, "registration", |e| {
        e["rawPath"] = path.clone().into();
        with_bearer(e, &token_for(user));
        with_body(e, json!({}));
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn competition_detail_shows_its_events_and_the_callers_registration() {
    let ids = published().await;
    let path = format!("/client/v1/competitions/{}", ids.c1);

    // when read anonymously
    let (status, body) = get("catalog-competition", &path, "", None).await;

    // then the competition, registration_status null (present), the default event first
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(
        keys_of(data),
        [
            "competition_end_at",
            "competition_id",
            "competition_start_at",
            "competition_status",
            "display_name",
            "events",
            "leaderboard_enabled",
            "realtime_board_enabled",
            "registration_enabled",
            "registration_status",
        ]
    );
    assert_eq!(data["registration_status"], Value::Null);
    assert_eq!(
        (data["competition_id"].as_str(), data["competition_status"].as_str(), data["competition_start_at"].as_str()),
        (Some(ids.c1.as_str()), Some("ongoing"), Some("2026-05-01T09:00:00+08:00"))
    );
    assert_eq!(
        (data["registration_enabled"].as_bool(), data["leaderboard_enabled"].as_bool(), data["realtime_board_enabled"].as_bool()),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(ids_of(&data["events"], "event_id"), [ids.e2.as_str(), &ids.e1]);
    assert_eq!(
        data["events"][1],
        json!({
            "event_id": ids.e1, "display_name": "Classic", "is_default": false,
            "current_release_id": format!("{}-rel-2", ids.e1),
            "manifest_url": ids.manifest_url(&format!("{}-rel-2", ids.e1)),
            "manifest_checksum_sha256": ids.checksum(&format!("{}-rel-2", ids.e1)), "relation_status": "active",
        })
    );
    assert_eq!((data["events"][0]["is_default"].as_bool(), data["events"][0]["relation_status"].as_str()), (Some(true), Some("preview")));

    // when a signed-in user who has not registered reads it: still null
    let user = unique("usr_");
    let (status, body) = get("catalog-competition", &path, "", Some(&token_for(&user))).await;
    assert_eq!((status, &body["data"]["registration_status"]), (StatusCode::OK, &Value::Null));

    // when they have registered: "registered"; another user still sees null
    register(&ids.c1, &user).await;
    let (_, body) = get("catalog-competition", &path, "", Some(&token_for(&user))).await;
    assert_eq!(body["data"]["registration_status"], "registered");
    let (_, other) = get("catalog-competition", &path, "", Some(&token_for(&unique("usr_")))).await;
    assert_eq!(other["data"]["registration_status"], Value::Null);

    // a sent token that is expired or invalid is 401, never read as anonymous
    let expired = tokens().issue_access(&user, ClientType::App, "dev_test", None, shared::support::clock::now() - 7200);
    let (status, body) = get("catalog-competition", &path, "", Some(&expired)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_expired")));
    let (status, _) = get("catalog-competition", &path, "", Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // an unknown competition is 404
    let (status, body) = get("catalog-competition", &format!("{path}-x"), "", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("competition_not_found")));
}

#[tokio::test]
async fn an_event_in_a_competition_has_its_context_map_and_preview() {
    let ids = published().await;
    let path = format!("/client/v1/competitions/{}/events/{}", ids.c1, ids.e1);

    // when read anonymously
    let (status, body) = get("catalog-competition-event", &path, "", None).await;

    // then exactly the contract's fields
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({
            "competition_id": ids.c1, "event_id": ids.e1, "display_name": "Classic",
            "current_release_id": format!("{}-rel-2", ids.e1),
            "manifest_url": ids.manifest_url(&format!("{}-rel-2", ids.e1)),
            "manifest_checksum_sha256": ids.checksum(&format!("{}-rel-2", ids.e1)), "direct_entry_enabled": true,
            "playfield_version_id": format!("pfv_{}-rel-2", ids.e1), "playfield_kind": "course",
            "competition_context": {
                "competition_id": ids.c1, "display_name": "Cup", "competition_status": "ongoing",
                "registration_status": null, "leaderboard_enabled": true, "realtime_board_enabled": false,
            },
            "map_summary": { "map_id": ids.m1, "display_name": "Park One", "cover_url": "https://cdn.example.com/m1.jpg", "scale_text": "1:4000" },
            "preview_summary": { "control_count": 12, "route_count": 2, "playfield_kind": "course" },
        })
    );

    // when a registered user reads it: their status is filled in
    let user = unique("usr_");
    register(&ids.c1, &user).await;
    let (_, body) = get("catalog-competition-event", &path, "", Some(&token_for(&user))).await;
    assert_eq!(body["data"]["competition_context"]["registration_status"], "registered");

    // an expired token is 401
    let expired = tokens().issue_access(&user, ClientType::App, "dev_test", None, shared::support::clock::now() - 7200);
    let (status, _) = get("catalog-competition-event", &path, "", Some(&expired)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // an event that exists but is not linked to the competition is 404 event_not_found
    let unlinked = format!("/client/v1/competitions/{}/events/{}", ids.c1, ids.e3);
    let (status, body) = get("catalog-competition-event", &unlinked, "", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("event_not_found")));
    // an unknown competition is 404 competition_not_found
    let unknown = format!("/client/v1/competitions/{}-x/events/{}", ids.c1, ids.e1);
    let (status, body) = get("catalog-competition-event", &unknown, "", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("competition_not_found")));
    // malformed ids are 400 naming the parameter
    let (status, body) = get("catalog-competition-event", &format!("/client/v1/competitions/{}/events/a%2Fb", ids.c1), "", None).await;
    assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("event_id")));
}
