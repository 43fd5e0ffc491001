//! The catalog file (YAML): what an operator edits to publish maps, events, releases, competitions and cards.

use serde::{Deserialize, Serialize};
use shared::model::catalog::Course;
use shared::model::catalog::course::MapExchange;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    #[serde(default)]
    pub maps: Vec<MapDef>,
    #[serde(default)]
    pub events: Vec<EventDef>,
    #[serde(default)]
    pub competitions: Vec<CompetitionDef>,
    #[serde(default)]
    pub cards: Vec<CardDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapDef {
    pub map_id: String,
    pub region_code: String,
    pub display_name: String,
    #[serde(default)]
    pub cover_url: Option<String>,
    #[serde(default)]
    pub scale_text: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub updated_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    pub event_id: String,
    pub map_id: String,
    pub display_name: String,
    #[serde(default)]
    pub preview_image_url: Option<String>,
    /// e.g. `course`.
    pub playfield_kind: String,
    /// Whether the event can be launched straight from its map, outside any competition.
    pub direct_entry_enabled: bool,
    /// Publishing a new release = adding it here and pointing this at it.
    pub current_release_id: String,
    pub releases: Vec<ReleaseDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseDef {
    pub release_id: String,
    /// RFC 3339.
    pub published_at: String,
    pub playfield_version_id: String,
    /// Its controls and routes. `control_count`, `route_codes`, the manifest, its URL and its
    /// checksum are all derived from it: none is typed.
    pub course: CourseDef,
    /// The course as loaded from `course` (and its IOF file, if it names one), or why it could
    /// not be: set by `catalog_tool::parse` / `load`, never read from the file.
    #[serde(skip)]
    pub loaded: Option<Result<Loaded, Vec<String>>>,
}

impl ReleaseDef {
    /// The loaded course of a validated file.
    pub fn course(&self) -> &Course {
        &self.loaded().course
    }

    /// The map exchanges of its route `route_code` (none for most).
    pub fn map_exchanges(&self, route_code: &str) -> &[MapExchange] {
        self.loaded().map_exchanges.get(route_code).map(Vec::as_slice).unwrap_or_default()
    }

    fn loaded(&self) -> &Loaded {
        match &self.loaded {
            Some(Ok(loaded)) => loaded,
            _ => panic!("release {}: the course of a validated file is loaded", self.release_id),
        }
    }
}

/// A release's course as loaded, with its routes' map exchanges: the manifest carries them for
/// the app to show; the stored course needs none (a leg across an exchange is timed as one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub course: Course,
    pub map_exchanges: BTreeMap<String, Vec<MapExchange>>,
}

/// A release's course: written out here, or read from an IOF XML 3.0 `CourseData` file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseDef {
    /// An IOF XML 3.0 `CourseData` file (Purple Pen, OCAD, Condes export), relative to the
    /// catalog file. Its controls are the release's; its courses become routes (`routes` below
    /// picks and names them, and gives score courses their time rules, which IOF does not carry).
    #[serde(default)]
    pub iof_xml: Option<String>,
    /// With `iof_xml`: the grid its `Position`s are in when they are not WGS-84 degrees, as an
    /// EPSG code (`EPSG:27700`, the British National Grid, for Condes 9 exports): converted to
    /// WGS-84, `lng` read as the easting and `lat` as the northing.
    #[serde(default)]
    pub crs: Option<String>,
    /// Without `iof_xml`: the controls.
    #[serde(default)]
    pub controls: Vec<ControlDef>,
    #[serde(default)]
    pub routes: Vec<RouteDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlDef {
    pub code: String,
    /// `start`, `control` (default) or `finish`.
    #[serde(default = "control")]
    pub kind: String,
    /// WGS-84 degrees.
    pub lat: f64,
    pub lng: f64,
    /// Punch radius, 5–100 m; default 15.
    #[serde(default)]
    pub radius_m: Option<i64>,
    /// Score courses: what the control is worth.
    #[serde(default)]
    pub points: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteDef {
    pub route_code: String,
    /// With `iof_xml`: the IOF `Course` (by `Name`) this route is; default: `route_code`.
    #[serde(default)]
    pub iof_course: Option<String>,
    /// `classic` or `score`. From an IOF file: `score` when its course controls carry a `Score`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Without `iof_xml`: control codes, start first and finish last.
    #[serde(default)]
    pub controls: Vec<String>,
    #[serde(default)]
    pub time_limit_s: Option<i64>,
    #[serde(default)]
    pub penalty_points_per_started_minute: Option<i64>,
    #[serde(default)]
    pub max_late_s: Option<i64>,
}

fn control() -> String {
    "control".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitionDef {
    pub competition_id: String,
    pub display_name: String,
    /// `upcoming`, `ongoing`, `finished` or `cancelled`.
    pub competition_status: String,
    /// RFC 3339.
    pub competition_start_at: String,
    pub competition_end_at: String,
    #[serde(default)]
    pub leaderboard_enabled: bool,
    #[serde(default)]
    pub realtime_board_enabled: bool,
    /// Seconds the live board runs behind the race, 0..=900 (default 30).
    #[serde(default)]
    pub live_delay_s: Option<i64>,
    pub registration: RegistrationDef,
    #[serde(default)]
    pub events: Vec<CompetitionEventDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationDef {
    pub enabled: bool,
    /// Launching inside the competition needs a registration.
    #[serde(default)]
    pub required: bool,
    /// RFC 3339; absent = no bound.
    #[serde(default)]
    pub opens_at: Option<String>,
    #[serde(default)]
    pub closes_at: Option<String>,
    /// Absent = unlimited.
    #[serde(default)]
    pub capacity: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitionEventDef {
    pub event_id: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default = "active")]
    pub relation_status: String,
}

fn active() -> String {
    "active".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardDef {
    pub card_id: String,
    pub card_type: String,
    pub display_name: String,
    pub region_code: String,
    /// Empty or absent for cards that link no competition.
    #[serde(default)]
    pub competition_id: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub cover_url: Option<String>,
    pub display_slot: String,
    /// `0..=MAX_PRIORITY`, highest shown first.
    pub display_priority: i64,
}

impl CardDef {
    pub fn competition(&self) -> Option<&str> {
        self.competition_id.as_deref().filter(|id| !id.is_empty())
    }
}

impl EventDef {
    pub fn current_release(&self) -> Option<&ReleaseDef> {
        self.releases.iter().find(|r| r.release_id == self.current_release_id)
    }
}
