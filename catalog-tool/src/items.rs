//! A validated catalog file as the table items that serve it, denormalized for one-round-trip reads.

use crate::file::{CatalogFile, EventDef, MapDef, ReleaseDef};
use shared::model::catalog::{
    Card, CompetitionEvent, CompetitionMeta, CompetitionStatus, EventMeta, EventSummary, MapListing, MapMeta, Release,
};
use shared::model::live::DEFAULT_LIVE_DELAY_S;
use shared::store::db::{Item, item};
use shared::store::keys::Record;
use shared::store::keys::{self, ALL_REGIONS, Key};
use shared::support::clock::parse_rfc3339;
use std::collections::HashMap;

/// Where a release's manifest is published, and its checksum.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub url: String,
    pub checksum: String,
}

/// One item the file asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub key: Key,
    pub entity_type: &'static str,
    pub item: Item,
}

impl Desired {
    fn new<R: Record>(key: Key, record: &R) -> Self {
        Self { item: item(&key, record), key, entity_type: R::ENTITY }
    }
}

/// Every item of `file`, in the order they are best written: what is referenced before what
/// references it (maps, releases, events, competitions, then the cards that point at them).
/// `file` must have passed validation; `published` has every release's manifest.
pub fn desired(file: &CatalogFile, published: &HashMap<String, Published>) -> Vec<Desired> {
    let maps: HashMap<&str, &MapDef> = file.maps.iter().map(|m| (m.map_id.as_str(), m)).collect();
    let events: HashMap<&str, (&EventDef, &ReleaseDef)> =
        file.events.iter().map(|e| (e.event_id.as_str(), (e, e.current_release().expect("validated: current release exists")))).collect();
    let mut out = Vec::new();

    for m in &file.maps {
        out.push(Desired::new(keys::map(&m.map_id), &map_meta(m)));
        let listing = map_listing(m);
        for region in [m.region_code.as_str(), ALL_REGIONS] {
            out.push(Desired::new(keys::map_listing(region, &m.map_id), &listing));
        }
    }
    for e in &file.events {
        for r in &e.releases {
            out.push(Desired::new(keys::release(&e.event_id, &r.release_id), &release(e, r, &published[&r.release_id])));
        }
    }
    for e in &file.events {
        let (_, current) = events[e.event_id.as_str()];
        let map = maps[e.map_id.as_str()];
        let manifest = &published[&current.release_id];
        out.push(Desired::new(keys::event(&e.event_id), &event_meta(e, current, map, manifest)));
        let summary = event_summary(e, current, map, manifest);
        out.push(Desired::new(keys::event_listing(&e.event_id), &summary));
        out.push(Desired::new(keys::map_event(&e.map_id, &e.event_id), &summary));
    }
    for c in &file.competitions {
        let r = &c.registration;
        let meta = CompetitionMeta {
            competition_id: c.competition_id.clone(),
            display_name: c.display_name.clone(),
            competition_status: CompetitionStatus::parse(&c.competition_status).expect("validated"),
            competition_start_at: c.competition_start_at.clone(),
            competition_end_at: c.competition_end_at.clone(),
            starts_at: parse_rfc3339(&c.competition_start_at),
            leaderboard_enabled: c.leaderboard_enabled,
            realtime_board_enabled: c.realtime_board_enabled,
            live_delay_s: c.live_delay_s.unwrap_or(DEFAULT_LIVE_DELAY_S),
            registration_enabled: r.enabled,
            registration_required: r.required,
            registration_opens_at: r.opens_at.as_deref().and_then(parse_rfc3339),
            registration_closes_at: r.closes_at.as_deref().and_then(parse_rfc3339),
            registration_opens_at_text: r.opens_at.clone(),
            registration_closes_at_text: r.closes_at.clone(),
            capacity: r.capacity,
            // Never written from here: `registered_count` is not serialized.
            registered_count: 0,
        };
        out.push(Desired::new(keys::competition(&c.competition_id), &meta));
        for link in &c.events {
            let (e, current) = events[link.event_id.as_str()];
            let map = maps[e.map_id.as_str()];
            let manifest = &published[&current.release_id];
            let record = CompetitionEvent {
                competition_id: c.competition_id.clone(),
                event_id: e.event_id.clone(),
                is_default: link.is_default,
                relation_status: link.relation_status.clone(),
                display_name: e.display_name.clone(),
                direct_entry_enabled: e.direct_entry_enabled,
                playfield_kind: e.playfield_kind.clone(),
                current_release_id: current.release_id.clone(),
                manifest_url: manifest.url.clone(),
                manifest_checksum_sha256: manifest.checksum.clone(),
                playfield_version_id: current.playfield_version_id.clone(),
                control_count: current.course().control_count(),
                route_count: current.course().routes.len() as i64,
                map_id: map.map_id.clone(),
                map_display_name: map.display_name.clone(),
                map_cover_url: map.cover_url.clone(),
                map_scale_text: map.scale_text.clone(),
            };
            out.push(Desired::new(keys::competition_event(&c.competition_id, &e.event_id), &record));
        }
    }
    for c in &file.cards {
        let card = Card {
            card_id: c.card_id.clone(),
            card_type: c.card_type.clone(),
            display_name: c.display_name.clone(),
            competition_id: c.competition().map(str::to_owned),
            html_url: c.html_url.clone(),
            cover_url: c.cover_url.clone(),
            display_slot: c.display_slot.clone(),
            display_priority: c.display_priority,
            region_code: c.region_code.clone(),
        };
        for region in [c.region_code.as_str(), ALL_REGIONS] {
            out.push(Desired::new(keys::card(region, c.display_priority, &c.card_id), &card));
        }
    }
    out
}

fn release(e: &EventDef, r: &ReleaseDef, manifest: &Published) -> Release {
    let course = r.course();
    Release {
        event_id: e.event_id.clone(),
        release_id: r.release_id.clone(),
        published_at: r.published_at.clone(),
        manifest_url: manifest.url.clone(),
        manifest_checksum_sha256: manifest.checksum.clone(),
        playfield_version_id: r.playfield_version_id.clone(),
        control_count: course.control_count(),
        route_codes: course.route_codes(),
        course: course.clone(),
    }
}

fn event_meta(e: &EventDef, current: &ReleaseDef, map: &MapDef, manifest: &Published) -> EventMeta {
    EventMeta {
        event_id: e.event_id.clone(),
        display_name: e.display_name.clone(),
        preview_image_url: e.preview_image_url.clone(),
        direct_entry_enabled: e.direct_entry_enabled,
        playfield_kind: e.playfield_kind.clone(),
        map_id: map.map_id.clone(),
        map_display_name: map.display_name.clone(),
        map_cover_url: map.cover_url.clone(),
        map_scale_text: map.scale_text.clone(),
        current_release_id: current.release_id.clone(),
        manifest_url: manifest.url.clone(),
        manifest_checksum_sha256: manifest.checksum.clone(),
        playfield_version_id: current.playfield_version_id.clone(),
        control_count: current.course().control_count(),
        route_count: current.course().routes.len() as i64,
        route_codes: current.course().route_codes(),
    }
}

fn event_summary(e: &EventDef, current: &ReleaseDef, map: &MapDef, manifest: &Published) -> EventSummary {
    EventSummary {
        event_id: e.event_id.clone(),
        display_name: e.display_name.clone(),
        map_id: map.map_id.clone(),
        map_display_name: map.display_name.clone(),
        preview_image_url: e.preview_image_url.clone(),
        control_count: current.course().control_count(),
        route_count: current.course().routes.len() as i64,
        direct_entry_enabled: e.direct_entry_enabled,
        current_release_id: current.release_id.clone(),
        manifest_url: manifest.url.clone(),
        manifest_checksum_sha256: manifest.checksum.clone(),
        playfield_kind: e.playfield_kind.clone(),
    }
}

fn map_meta(m: &MapDef) -> MapMeta {
    MapMeta {
        map_id: m.map_id.clone(),
        display_name: m.display_name.clone(),
        cover_url: m.cover_url.clone(),
        scale_text: m.scale_text.clone(),
        updated_date: m.updated_date.clone(),
        region_code: m.region_code.clone(),
    }
}

fn map_listing(m: &MapDef) -> MapListing {
    MapListing {
        map_id: m.map_id.clone(),
        display_name: m.display_name.clone(),
        cover_url: m.cover_url.clone(),
        scale_text: m.scale_text.clone(),
        region_code: m.region_code.clone(),
    }
}
