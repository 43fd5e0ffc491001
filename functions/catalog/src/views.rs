//! The contract's response shapes of the catalog reads.

use serde::Serialize;
use shared::model::catalog::{
    Card, CompetitionEvent, CompetitionMeta, CompetitionStatus, EventMeta, EventSummary, MapListing, MapMeta, Registration,
};

/// A list answer: only `items` (page, page_size and total are not echoed).
#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

pub fn items<T: Serialize>(items: Vec<T>) -> Items<T> {
    Items { items }
}

#[derive(Serialize)]
pub struct CardView<'a> {
    card_id: &'a str,
    card_type: &'a str,
    display_name: &'a str,
    competition_id: Option<&'a str>,
    html_url: Option<&'a str>,
    cover_url: Option<&'a str>,
    display_slot: &'a str,
    display_priority: i64,
}

impl<'a> From<&'a Card> for CardView<'a> {
    fn from(c: &'a Card) -> Self {
        Self {
            card_id: &c.card_id,
            card_type: &c.card_type,
            display_name: &c.display_name,
            competition_id: c.competition_id.as_deref().filter(|id| !id.is_empty()),
            html_url: c.html_url.as_deref(),
            cover_url: c.cover_url.as_deref(),
            display_slot: &c.display_slot,
            display_priority: c.display_priority,
        }
    }
}

#[derive(Serialize)]
pub struct CompetitionView<'a> {
    competition_id: &'a str,
    display_name: &'a str,
    competition_status: CompetitionStatus,
    registration_enabled: bool,
    registration_status: Option<&'a str>,
    competition_start_at: &'a str,
    competition_end_at: &'a str,
    leaderboard_enabled: bool,
    realtime_board_enabled: bool,
    events: Vec<CompetitionEventItem<'a>>,
}

impl<'a> CompetitionView<'a> {
    pub fn new(c: &'a CompetitionMeta, registration: Option<&'a Registration>, events: &'a [CompetitionEvent], now: i64) -> Self {
        Self {
            competition_id: &c.competition_id,
            display_name: &c.display_name,
            competition_status: c.status(now),
            registration_enabled: c.registration_enabled,
            registration_status: registration.map(|r| r.status.as_str()),
            competition_start_at: &c.competition_start_at,
            competition_end_at: &c.competition_end_at,
            leaderboard_enabled: c.leaderboard_enabled,
            realtime_board_enabled: c.realtime_board_enabled,
            events: events.iter().map(CompetitionEventItem::from).collect(),
        }
    }
}

#[derive(Serialize)]
struct CompetitionEventItem<'a> {
    event_id: &'a str,
    display_name: &'a str,
    is_default: bool,
    current_release_id: &'a str,
    manifest_url: &'a str,
    manifest_checksum_sha256: &'a str,
    relation_status: &'a str,
}

impl<'a> From<&'a CompetitionEvent> for CompetitionEventItem<'a> {
    fn from(e: &'a CompetitionEvent) -> Self {
        Self {
            event_id: &e.event_id,
            display_name: &e.display_name,
            is_default: e.is_default,
            current_release_id: &e.current_release_id,
            manifest_url: &e.manifest_url,
            manifest_checksum_sha256: &e.manifest_checksum_sha256,
            relation_status: &e.relation_status,
        }
    }
}

#[derive(Serialize)]
pub struct CompetitionEventDetail<'a> {
    competition_id: &'a str,
    event_id: &'a str,
    display_name: &'a str,
    current_release_id: &'a str,
    manifest_url: &'a str,
    manifest_checksum_sha256: &'a str,
    direct_entry_enabled: bool,
    playfield_version_id: &'a str,
    playfield_kind: &'a str,
    competition_context: CompetitionContext<'a>,
    map_summary: MapSummary<'a>,
    preview_summary: PlayfieldSummary<'a>,
}

impl<'a> CompetitionEventDetail<'a> {
    pub fn new(c: &'a CompetitionMeta, e: &'a CompetitionEvent, registration: Option<&'a Registration>, now: i64) -> Self {
        Self {
            competition_id: &c.competition_id,
            event_id: &e.event_id,
            display_name: &e.display_name,
            current_release_id: &e.current_release_id,
            manifest_url: &e.manifest_url,
            manifest_checksum_sha256: &e.manifest_checksum_sha256,
            direct_entry_enabled: e.direct_entry_enabled,
            playfield_version_id: &e.playfield_version_id,
            playfield_kind: &e.playfield_kind,
            competition_context: CompetitionContext {
                competition_id: &c.competition_id,
                display_name: &c.display_name,
                competition_status: c.status(now),
                registration_status: registration.map(|r| r.status.as_str()),
                leaderboard_enabled: c.leaderboard_enabled,
                realtime_board_enabled: c.realtime_board_enabled,
            },
            map_summary: MapSummary {
                map_id: &e.map_id,
                display_name: &e.map_display_name,
                cover_url: e.map_cover_url.as_deref(),
                scale_text: e.map_scale_text.as_deref(),
            },
            preview_summary: PlayfieldSummary {
                control_count: e.control_count,
                route_count: e.route_count,
                playfield_kind: &e.playfield_kind,
            },
        }
    }
}

#[derive(Serialize)]
struct CompetitionContext<'a> {
    competition_id: &'a str,
    display_name: &'a str,
    competition_status: CompetitionStatus,
    registration_status: Option<&'a str>,
    leaderboard_enabled: bool,
    realtime_board_enabled: bool,
}

#[derive(Serialize)]
struct MapSummary<'a> {
    map_id: &'a str,
    display_name: &'a str,
    cover_url: Option<&'a str>,
    scale_text: Option<&'a str>,
}

/// `preview_summary` of an event in a competition, `event_summary` of an event.
#[derive(Serialize)]
struct PlayfieldSummary<'a> {
    control_count: i64,
    route_count: i64,
    playfield_kind: &'a str,
}

#[derive(Serialize)]
pub struct MapListItem<'a> {
    map_id: &'a str,
    display_name: &'a str,
    cover_url: Option<&'a str>,
    scale_text: Option<&'a str>,
    /// We do not know where the user is (the contract has no location parameter): always null.
    distance_from_user_km: Option<f64>,
}

impl<'a> From<&'a MapListing> for MapListItem<'a> {
    fn from(m: &'a MapListing) -> Self {
        Self {
            map_id: &m.map_id,
            display_name: &m.display_name,
            cover_url: m.cover_url.as_deref(),
            scale_text: m.scale_text.as_deref(),
            distance_from_user_km: None,
        }
    }
}

#[derive(Serialize)]
pub struct MapDetail<'a> {
    map_id: &'a str,
    display_name: &'a str,
    map_summary: MapDetailSummary<'a>,
    events: Vec<MapEventItem<'a>>,
}

impl<'a> MapDetail<'a> {
    pub fn new(m: &'a MapMeta, events: &'a [EventSummary]) -> Self {
        Self {
            map_id: &m.map_id,
            display_name: &m.display_name,
            map_summary: MapDetailSummary {
                cover_url: m.cover_url.as_deref(),
                scale_text: m.scale_text.as_deref(),
                updated_date: m.updated_date.as_deref(),
            },
            events: events.iter().map(MapEventItem::from).collect(),
        }
    }
}

#[derive(Serialize)]
struct MapDetailSummary<'a> {
    cover_url: Option<&'a str>,
    scale_text: Option<&'a str>,
    updated_date: Option<&'a str>,
}

#[derive(Serialize)]
struct MapEventItem<'a> {
    event_id: &'a str,
    display_name: &'a str,
    preview_image_url: Option<&'a str>,
    control_count: i64,
    route_count: i64,
    direct_entry_enabled: bool,
    current_release_id: &'a str,
    manifest_url: &'a str,
    manifest_checksum_sha256: &'a str,
    playfield_kind: &'a str,
}

impl<'a> From<&'a EventSummary> for MapEventItem<'a> {
    fn from(e: &'a EventSummary) -> Self {
        Self {
            event_id: &e.event_id,
            display_name: &e.display_name,
            preview_image_url: e.preview_image_url.as_deref(),
            control_count: e.control_count,
            route_count: e.route_count,
            direct_entry_enabled: e.direct_entry_enabled,
            current_release_id: &e.current_release_id,
            manifest_url: &e.manifest_url,
            manifest_checksum_sha256: &e.manifest_checksum_sha256,
            playfield_kind: &e.playfield_kind,
        }
    }
}

#[derive(Serialize)]
pub struct EventDetail<'a> {
    event_id: &'a str,
    display_name: &'a str,
    direct_entry_enabled: bool,
    current_release_id: &'a str,
    manifest_url: &'a str,
    manifest_checksum_sha256: &'a str,
    playfield_version_id: &'a str,
    playfield_kind: &'a str,
    map_summary: MapSummary<'a>,
    event_summary: PlayfieldSummary<'a>,
}

impl<'a> From<&'a EventMeta> for EventDetail<'a> {
    fn from(e: &'a EventMeta) -> Self {
        Self {
            event_id: &e.event_id,
            display_name: &e.display_name,
            direct_entry_enabled: e.direct_entry_enabled,
            current_release_id: &e.current_release_id,
            manifest_url: &e.manifest_url,
            manifest_checksum_sha256: &e.manifest_checksum_sha256,
            playfield_version_id: &e.playfield_version_id,
            playfield_kind: &e.playfield_kind,
            map_summary: MapSummary {
                map_id: &e.map_id,
                display_name: &e.map_display_name,
                cover_url: e.map_cover_url.as_deref(),
                scale_text: e.map_scale_text.as_deref(),
            },
            event_summary: PlayfieldSummary {
                control_count: e.control_count,
                route_count: e.route_count,
                playfield_kind: &e.playfield_kind,
            },
        }
    }
}
