//! Every problem of a catalog file at once, each naming where it is, so one edit fixes them all.

use crate::file::CatalogFile;
use shared::model::catalog::CompetitionStatus;
use shared::model::live::MAX_LIVE_DELAY_S;
use shared::store::keys::MAX_PRIORITY;
use shared::support::check::check_id;
use shared::support::clock::parse_rfc3339;
use std::collections::HashSet;

/// The problems of `file`; empty when it can be imported.
pub fn problems(file: &CatalogFile) -> Vec<String> {
    let mut p = Problems::default();
    let map_ids = p.unique("maps", file.maps.iter().map(|m| m.map_id.as_str()));
    let event_ids = p.unique("events", file.events.iter().map(|e| e.event_id.as_str()));
    let competition_ids = p.unique("competitions", file.competitions.iter().map(|c| c.competition_id.as_str()));
    p.unique("cards", file.cards.iter().map(|c| c.card_id.as_str()));
    p.unique("releases", file.events.iter().flat_map(|e| e.releases.iter().map(|r| r.release_id.as_str())));

    for m in &file.maps {
        let at = format!("maps[{}]", m.map_id);
        p.id(&at, "map_id", &m.map_id);
        p.id(&at, "region_code", &m.region_code);
        p.text(&at, "display_name", &m.display_name);
        p.url(&at, "cover_url", m.cover_url.as_deref());
        p.text_opt(&at, "scale_text", m.scale_text.as_deref());
        if let Some(date) = &m.updated_date
            && (date.len() != 10 || parse_rfc3339(&format!("{date}T00:00:00Z")).is_none())
        {
            p.add(&at, "updated_date", format!("{date:?} is not a YYYY-MM-DD date"));
        }
    }

    for e in &file.events {
        let at = format!("events[{}]", e.event_id);
        p.id(&at, "event_id", &e.event_id);
        p.text(&at, "display_name", &e.display_name);
        p.text(&at, "playfield_kind", &e.playfield_kind);
        p.url(&at, "preview_image_url", e.preview_image_url.as_deref());
        if !map_ids.contains(e.map_id.as_str()) {
            p.add(&at, "map_id", format!("unknown map {:?}", e.map_id));
        }
        if e.current_release().is_none() {
            p.add(&at, "current_release_id", format!("{:?} is not one of this event's releases", e.current_release_id));
        }
        for r in &e.releases {
            let at = format!("{at}.releases[{}]", r.release_id);
            p.id(&at, "release_id", &r.release_id);
            p.time(&at, "published_at", &r.published_at);
            p.id(&at, "playfield_version_id", &r.playfield_version_id);
            match &r.loaded {
                None => p.add(&at, "course", "not loaded (read the file with catalog_tool::parse or load)"),
                Some(Err(problems)) => p.0.extend(problems.iter().map(|problem| format!("{at}.{problem}"))),
                Some(Ok(loaded)) => p.0.extend(crate::course::problems(&loaded.course).iter().map(|problem| format!("{at}.{problem}"))),
            }
        }
    }

    for c in &file.competitions {
        let at = format!("competitions[{}]", c.competition_id);
        p.id(&at, "competition_id", &c.competition_id);
        p.text(&at, "display_name", &c.display_name);
        if CompetitionStatus::parse(&c.competition_status).is_none() {
            let known: Vec<_> = CompetitionStatus::ALL.iter().map(|s| s.as_str()).collect();
            p.add(&at, "competition_status", format!("{:?} is not one of {}", c.competition_status, known.join(", ")));
        }
        let start = p.time(&at, "competition_start_at", &c.competition_start_at);
        let end = p.time(&at, "competition_end_at", &c.competition_end_at);
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            p.add(&at, "competition_end_at", "is before competition_start_at");
        }
        if c.live_delay_s.is_some_and(|d| !(0..=MAX_LIVE_DELAY_S).contains(&d)) {
            p.add(&at, "live_delay_s", format!("must be within 0..={MAX_LIVE_DELAY_S} seconds"));
        }
        let r = &c.registration;
        let opens = r.opens_at.as_deref().and_then(|t| p.time(&at, "registration.opens_at", t));
        let closes = r.closes_at.as_deref().and_then(|t| p.time(&at, "registration.closes_at", t));
        if let (Some(opens), Some(closes)) = (opens, closes)
            && closes <= opens
        {
            p.add(&at, "registration.closes_at", "is not after registration.opens_at");
        }
        if r.capacity.is_some_and(|c| c < 1) {
            p.add(&at, "registration.capacity", "must be at least 1 (leave it out for no limit)");
        }
        for link in &c.events {
            if !event_ids.contains(link.event_id.as_str()) {
                p.add(&at, "events", format!("unknown event {:?}", link.event_id));
            }
            p.text(&at, "events.relation_status", &link.relation_status);
        }
        p.unique(&format!("{at}.events"), c.events.iter().map(|l| l.event_id.as_str()));
        if c.events.iter().filter(|l| l.is_default).count() > 1 {
            p.add(&at, "events", "more than one event is_default");
        }
    }

    for card in &file.cards {
        let at = format!("cards[{}]", card.card_id);
        p.id(&at, "card_id", &card.card_id);
        p.id(&at, "region_code", &card.region_code);
        p.text(&at, "card_type", &card.card_type);
        p.text(&at, "display_name", &card.display_name);
        p.text(&at, "display_slot", &card.display_slot);
        p.url(&at, "html_url", card.html_url.as_deref());
        p.url(&at, "cover_url", card.cover_url.as_deref());
        if !(0..=MAX_PRIORITY).contains(&card.display_priority) {
            p.add(&at, "display_priority", format!("{} is outside 0..={MAX_PRIORITY}", card.display_priority));
        }
        if let Some(id) = card.competition()
            && !competition_ids.contains(id)
        {
            p.add(&at, "competition_id", format!("unknown competition {id:?}"));
        }
    }
    p.0
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, at: &str, field: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{at}.{field}: {problem}"));
    }

    /// The set of `ids`, each repeated one reported.
    fn unique<'a>(&mut self, at: &str, ids: impl Iterator<Item = &'a str>) -> HashSet<&'a str> {
        let mut seen = HashSet::new();
        let mut reported = HashSet::new();
        for id in ids {
            if !seen.insert(id) && reported.insert(id) {
                self.0.push(format!("{at}: duplicate id {id:?}"));
            }
        }
        seen
    }

    fn id(&mut self, at: &str, field: &str, value: &str) {
        if let Err(e) = check_id(field, value) {
            self.add(at, field, format!("{value:?} {}", e.details["reason"].as_str().unwrap_or("is not a valid id")));
        }
    }

    fn text(&mut self, at: &str, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.add(at, field, "must not be empty");
        }
    }

    fn text_opt(&mut self, at: &str, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.text(at, field, value);
        }
    }

    fn url(&mut self, at: &str, field: &str, value: Option<&str>) {
        if let Some(url) = value
            && (!url.starts_with("https://") || url.len() <= "https://".len() || url.contains(char::is_whitespace))
        {
            self.add(at, field, format!("{url:?} is not an https:// URL"));
        }
    }

    fn time(&mut self, at: &str, field: &str, value: &str) -> Option<i64> {
        let parsed = parse_rfc3339(value);
        if parsed.is_none() {
            self.add(at, field, format!("{value:?} is not an RFC 3339 time (e.g. 2026-05-01T09:00:00+08:00)"));
        }
        parsed
    }
}
