//! The catalog as stored: the items the catalog tool writes, registration adds, and every reader decodes.
//!
//! Each read of the API is served by one item collection, so the tool denormalizes: an event's
//! summary (with its current release) is copied into its map, the event list and every competition
//! that links it. Field names are the contract's, so a reader maps them one to one.

use serde::{Deserialize, Serialize};

pub mod course;

pub use course::Course;

crate::plain_enum! {
    /// The one status a registration has today.
    pub enum RegistrationStatus {
        Registered = "registered",
    }
}

/// A home-page card, in `CARDS#<region>` and `CARDS#*` under `keys::card`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub card_id: String,
    pub card_type: String,
    pub display_name: String,
    /// `None` for cards that link no competition.
    pub competition_id: Option<String>,
    pub html_url: Option<String>,
    pub cover_url: Option<String>,
    pub display_slot: String,
    pub display_priority: i64,
    pub region_code: String,
}

/// A map in the map list, in `MAPS#<region>` and `MAPS#*` under `keys::map_listing`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapListing {
    pub map_id: String,
    pub display_name: String,
    pub cover_url: Option<String>,
    pub scale_text: Option<String>,
    pub region_code: String,
}

/// A map's own record, `keys::map`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapMeta {
    pub map_id: String,
    pub display_name: String,
    pub cover_url: Option<String>,
    pub scale_text: Option<String>,
    /// `YYYY-MM-DD`.
    pub updated_date: Option<String>,
    pub region_code: String,
}

/// An event as lists show it, with its current release: `keys::event_listing` and `keys::map_event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    pub event_id: String,
    pub display_name: String,
    pub map_id: String,
    pub map_display_name: String,
    pub preview_image_url: Option<String>,
    pub control_count: i64,
    pub route_count: i64,
    pub direct_entry_enabled: bool,
    pub current_release_id: String,
    pub manifest_url: String,
    pub manifest_checksum_sha256: String,
    pub playfield_kind: String,
}

/// An event's own record, `keys::event`: everything the event detail and launch need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventMeta {
    pub event_id: String,
    pub display_name: String,
    pub preview_image_url: Option<String>,
    pub direct_entry_enabled: bool,
    pub playfield_kind: String,
    pub map_id: String,
    pub map_display_name: String,
    pub map_cover_url: Option<String>,
    pub map_scale_text: Option<String>,
    // The current release, copied from its `Release` item.
    pub current_release_id: String,
    pub manifest_url: String,
    pub manifest_checksum_sha256: String,
    pub playfield_version_id: String,
    pub control_count: i64,
    pub route_count: i64,
    pub route_codes: Vec<String>,
}

/// One published release of an event, `keys::release`; kept after it is superseded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub event_id: String,
    pub release_id: String,
    /// RFC 3339.
    pub published_at: String,
    pub manifest_url: String,
    pub manifest_checksum_sha256: String,
    pub playfield_version_id: String,
    pub control_count: i64,
    pub route_codes: Vec<String>,
    /// Its controls and routes: `control_count` and `route_codes` are derived from it.
    #[serde(default)]
    pub course: Course,
}

/// A competition's own record, `keys::competition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetitionMeta {
    pub competition_id: String,
    pub display_name: String,
    pub competition_status: CompetitionStatus,
    /// RFC 3339, shown as given.
    pub competition_start_at: String,
    pub competition_end_at: String,
    /// `competition_start_at` in epoch seconds: a cancellation's condition compares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<i64>,
    pub leaderboard_enabled: bool,
    pub realtime_board_enabled: bool,
    /// How far the live board runs behind the race (s): nothing on it before `t + live_delay_s`.
    #[serde(default = "default_live_delay_s")]
    pub live_delay_s: i64,
    pub registration_enabled: bool,
    /// Launching inside the competition needs a registration.
    pub registration_required: bool,
    /// Epoch seconds; absent = no bound. Registration is open while `opens_at <= now < closes_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_opens_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_closes_at: Option<i64>,
    /// The same bounds in RFC 3339, as the catalog file gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_opens_at_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_closes_at_text: Option<String>,
    /// Absent = unlimited (the registration condition relies on the attribute being absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    /// Runtime: maintained by registration only.
    #[serde(default, skip_serializing)]
    pub registered_count: i64,
}

fn default_live_delay_s() -> i64 {
    crate::model::live::DEFAULT_LIVE_DELAY_S
}

crate::plain_enum! {
    /// Where a competition stands: `cancelled` as its organiser publishes it, else by its window.
    pub enum CompetitionStatus {
        Upcoming = "upcoming",
        Ongoing = "ongoing",
        Finished = "finished",
        Cancelled = "cancelled",
    }
}

impl CompetitionMeta {
    /// Whether runs may start inside the competition now: between its start and end, and not
    /// finished or cancelled by its organiser (the dates decide when `upcoming` becomes playable).
    pub fn in_play(&self, now: i64) -> bool {
        self.status(now) == CompetitionStatus::Ongoing
    }

    /// The status at `now` (epoch s): a cancelled competition stays cancelled, an organiser's
    /// `finished` ends it early; otherwise its window says (a status written in a file goes
    /// stale as the days pass, the dates do not).
    pub fn status(&self, now: i64) -> CompetitionStatus {
        let start = crate::support::clock::parse_rfc3339(&self.competition_start_at);
        let end = crate::support::clock::parse_rfc3339(&self.competition_end_at);
        match self.competition_status {
            CompetitionStatus::Cancelled | CompetitionStatus::Finished => self.competition_status,
            _ if end.is_none_or(|t| t <= now) => CompetitionStatus::Finished,
            _ if start.is_none_or(|t| now < t) => CompetitionStatus::Upcoming,
            _ => CompetitionStatus::Ongoing,
        }
    }

    pub fn registration_window_open(&self, now: i64) -> bool {
        self.registration_enabled
            && self.registration_opens_at.is_none_or(|t| t <= now)
            && self.registration_closes_at.is_none_or(|t| now < t)
    }
}

/// The link of an event into a competition, `keys::competition_event`: the event as the
/// competition shows it, with its current release and map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetitionEvent {
    pub competition_id: String,
    pub event_id: String,
    pub is_default: bool,
    pub relation_status: String,
    pub display_name: String,
    pub direct_entry_enabled: bool,
    pub playfield_kind: String,
    pub current_release_id: String,
    pub manifest_url: String,
    pub manifest_checksum_sha256: String,
    pub playfield_version_id: String,
    pub control_count: i64,
    pub route_count: i64,
    pub map_id: String,
    pub map_display_name: String,
    pub map_cover_url: Option<String>,
    pub map_scale_text: Option<String>,
}

/// A user's registration for a competition, `keys::registration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub registration_id: String,
    pub competition_id: String,
    pub user_id: String,
    pub status: RegistrationStatus,
    pub group_id: Option<String>,
    /// The client's form, as the JSON text it sent (opaque to us, and no nesting limits to hit).
    pub form_payload: Option<String>,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn competition(status: CompetitionStatus, start: &str, end: &str) -> CompetitionMeta {
        CompetitionMeta {
            competition_id: "cmp_1".into(),
            display_name: "Cup".into(),
            competition_status: status,
            competition_start_at: start.into(),
            competition_end_at: end.into(),
            starts_at: None,
            leaderboard_enabled: true,
            realtime_board_enabled: false,
            live_delay_s: 30,
            registration_enabled: false,
            registration_required: false,
            registration_opens_at: None,
            registration_closes_at: None,
            registration_opens_at_text: None,
            registration_closes_at_text: None,
            capacity: None,
            registered_count: 0,
        }
    }

    #[test]
    fn the_window_decides_the_status_unless_the_organiser_cancelled_or_ended_it() {
        let june_evening = |status| competition(status, "2026-06-06T19:00:00+08:00", "2026-06-06T22:00:00+08:00");
        let at = |text: &str| crate::support::clock::parse_rfc3339(text).unwrap();
        // a file that said `upcoming` for an evening now over
        assert_eq!(june_evening(CompetitionStatus::Upcoming).status(at("2026-12-02T00:00:00Z")), CompetitionStatus::Finished);
        assert_eq!(june_evening(CompetitionStatus::Upcoming).status(at("2026-06-06T12:00:00Z")), CompetitionStatus::Ongoing);
        assert_eq!(june_evening(CompetitionStatus::Ongoing).status(at("2026-06-01T00:00:00Z")), CompetitionStatus::Upcoming);
        assert!(june_evening(CompetitionStatus::Upcoming).in_play(at("2026-06-06T12:00:00Z")));
        // what the organiser decides stands
        assert_eq!(june_evening(CompetitionStatus::Cancelled).status(at("2026-06-06T12:00:00Z")), CompetitionStatus::Cancelled);
        assert_eq!(june_evening(CompetitionStatus::Finished).status(at("2026-06-06T12:00:00Z")), CompetitionStatus::Finished);
        assert!(!june_evening(CompetitionStatus::Finished).in_play(at("2026-06-06T12:00:00Z")));
    }
}
