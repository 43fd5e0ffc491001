//! Publishing: what a file changes in the table (create / update / unchanged / delete), then only those writes.
//!
//! Items are written with UpdateItem SET of the catalog's own attributes, never a whole-item Put,
//! so a competition's runtime `registered_count` survives every import.

use crate::file::CatalogFile;
use crate::items::{self, Desired};
use shared::service::import as table;
use shared::store::Db;
use shared::store::catalog::REGISTERED_COUNT;
use shared::store::db::{Item, text};
use shared::store::keys::ENTITY_TYPE;
use shared::store::keys::{self, ALL_REGIONS, Key, entity};
use std::collections::{HashMap, HashSet};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Update,
    Unchanged,
    Delete,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Delete => "delete",
        })
    }
}

/// What importing does to one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub action: Action,
    pub key: Key,
    pub entity_type: String,
    /// Attributes to set (create/update).
    set: Item,
    /// Catalog attributes the item has and the file no longer gives.
    remove: Vec<String>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<9}  {:<17}  {} / {}", self.action, self.entity_type, self.key.pk, self.key.sk)
    }
}

/// A table failure, with the SDK's cause (this is an operator's tool: the cause is the point).
#[derive(Debug, Clone, PartialEq)]
pub struct TableError(pub String);

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table access failed: {}", self.0)
    }
}

impl From<shared::ApiError> for TableError {
    fn from(e: shared::ApiError) -> Self {
        Self(e.to_string())
    }
}

/// The changes `file` makes to the table, in the order they are to be written.
pub async fn plan(db: &Db, file: &CatalogFile, published: &HashMap<String, items::Published>) -> Result<Vec<Change>, TableError> {
    let desired = items::desired(file, published);
    let existing = get_all(db, desired.iter().map(|d| d.key.clone()).collect()).await?;
    let mut changes: Vec<Change> = desired.iter().zip(&existing).map(|(d, old)| change(d, old.as_ref())).collect();

    let wanted: HashSet<(String, String)> = desired.iter().map(|d| pair(&d.key)).collect();
    let mut stale: Vec<Key> = Vec::new();
    for (d, old) in desired.iter().zip(&existing) {
        stale.extend(moved(d, old.as_ref()));
    }
    stale.extend(stale_cards(db, file).await?);
    stale.extend(stale_links(db, file).await?);
    stale.retain(|k| !wanted.contains(&pair(k)));
    stale.sort_by_key(pair);
    stale.dedup();
    for (key, old) in stale.iter().zip(get_all(db, stale.clone()).await?) {
        if let Some(old) = old {
            let entity_type = text(&old, ENTITY_TYPE).unwrap_or_default().to_string();
            changes.push(Change { action: Action::Delete, key: key.clone(), entity_type, set: Item::new(), remove: Vec::new() });
        }
    }
    Ok(changes)
}

/// Writes the changes that are not `Unchanged`, in order.
pub async fn apply(db: &Db, changes: &[Change]) -> Result<(), TableError> {
    for c in changes {
        match c.action {
            Action::Unchanged => {}
            Action::Delete => table::remove(db, &c.key).await.map_err(TableError)?,
            Action::Create | Action::Update => {
                table::upsert(db, &c.key, &c.set, &c.remove, c.entity_type == entity::COMPETITION).await.map_err(TableError)?
            }
        }
    }
    Ok(())
}

fn change(d: &Desired, old: Option<&Item>) -> Change {
    let (action, remove) = match old {
        None => (Action::Create, Vec::new()),
        Some(old) => {
            let mut old = old.clone();
            old.remove(REGISTERED_COUNT);
            let mut remove: Vec<String> = old.keys().filter(|name| !d.item.contains_key(*name)).cloned().collect();
            remove.sort();
            if old == d.item { (Action::Unchanged, remove) } else { (Action::Update, remove) }
        }
    };
    Change { action, key: d.key.clone(), entity_type: d.entity_type.to_string(), set: d.item.clone(), remove }
}

/// The copy an item leaves behind when its map or region changes (its key elsewhere names the old one).
fn moved(d: &Desired, old: Option<&Item>) -> Option<Key> {
    let old = old?;
    match d.entity_type {
        entity::EVENT => {
            let (was, now) = (text(old, "map_id")?, text(&d.item, "map_id")?);
            (was != now).then(|| keys::map_event(was, text(&d.item, "event_id").unwrap_or_default()))
        }
        entity::MAP_LISTING if d.key.pk == keys::maps_pk(ALL_REGIONS) => {
            let (was, now) = (text(old, "region_code")?, text(&d.item, "region_code")?);
            (was != now).then(|| keys::map_listing(was, text(&d.item, "map_id").unwrap_or_default()))
        }
        _ => None,
    }
}

/// Cards of this file stored under another priority or region: their key has changed.
async fn stale_cards(db: &Db, file: &CatalogFile) -> Result<Vec<Key>, TableError> {
    if file.cards.is_empty() {
        return Ok(Vec::new());
    }
    let ids: HashSet<&str> = file.cards.iter().map(|c| c.card_id.as_str()).collect();
    let all = table::cards(db).await?;
    let mut keys_found = Vec::new();
    for item in all.iter().filter(|i| text(i, "card_id").is_some_and(|id| ids.contains(id))) {
        let (pk, sk) = (text(item, keys::PK).unwrap_or_default(), text(item, keys::SK).unwrap_or_default());
        keys_found.push(Key { pk: pk.to_string(), sk: sk.to_string() });
        if let Some(region) = text(item, "region_code") {
            keys_found.push(Key { pk: keys::cards_pk(region), sk: sk.to_string() });
        }
    }
    Ok(keys_found)
}

/// Event links of this file's competitions that the file no longer lists.
async fn stale_links(db: &Db, file: &CatalogFile) -> Result<Vec<Key>, TableError> {
    let mut found = Vec::new();
    for c in &file.competitions {
        for item in table::competition(db, &c.competition_id).await? {
            if let Some(event_id) = text(&item, "event_id").filter(|_| text(&item, ENTITY_TYPE) == Some(entity::COMPETITION_EVENT)) {
                found.push(keys::competition_event(&c.competition_id, event_id));
            }
        }
    }
    Ok(found)
}

/// The stored items at `wanted`, in order; patient under throttling (an import is not a request).
async fn get_all(db: &Db, wanted: Vec<Key>) -> Result<Vec<Option<Item>>, TableError> {
    Ok(table::stored(db, &wanted).await?)
}

fn pair(k: &Key) -> (String, String) {
    (k.pk.clone(), k.sk.clone())
}
