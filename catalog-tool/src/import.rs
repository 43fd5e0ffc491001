//! Publishing: what a file changes in the table (create / update / unchanged / delete), then only those writes.
//!
//! Items are written with UpdateItem SET of the catalog's own attributes, never a whole-item Put,
//! so a competition's runtime `registered_count` survives every import.

use crate::file::CatalogFile;
use crate::items::{self, Desired};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use shared::catalog::{self, ENTITY_TYPE, REGISTERED_COUNT, Range, entity};
use shared::store::db::{Db, Item, jitter, n};
use shared::store::keys::{self, ALL_REGIONS, Key};
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
pub async fn plan(db: &Db, file: &CatalogFile) -> Result<Vec<Change>, TableError> {
    let desired = items::desired(file);
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
            Action::Delete => {
                db.client
                    .delete_item()
                    .table_name(&db.table)
                    .set_key(Some(c.key.to_map()))
                    .send()
                    .await
                    .map_err(|e| TableError(format!("{}: {}", c.key.pk, DisplayErrorContext(&e))))?;
            }
            Action::Create | Action::Update => upsert(db, c).await?,
        }
    }
    Ok(())
}

async fn upsert(db: &Db, c: &Change) -> Result<(), TableError> {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut sets = Vec::new();
    for (i, (name, value)) in c.set.iter().filter(|(name, _)| !is_key(name)).enumerate() {
        names.insert(format!("#a{i}"), name.clone());
        values.insert(format!(":v{i}"), value.clone());
        sets.push(format!("#a{i} = :v{i}"));
    }
    if c.entity_type == entity::COMPETITION {
        // Present from the start so the capacity condition can compare it; never overwritten.
        names.insert("#count".into(), REGISTERED_COUNT.into());
        values.insert(":zero".into(), n(0));
        sets.push("#count = if_not_exists(#count, :zero)".into());
    }
    let mut expression = format!("SET {}", sets.join(", "));
    if !c.remove.is_empty() {
        let removes: Vec<String> = c
            .remove
            .iter()
            .enumerate()
            .map(|(i, name)| {
                names.insert(format!("#r{i}"), name.clone());
                format!("#r{i}")
            })
            .collect();
        expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    db.client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(c.key.to_map()))
        .update_expression(expression)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .send()
        .await
        .map_err(|e| TableError(format!("{} / {}: {}", c.key.pk, c.key.sk, DisplayErrorContext(&e))))?;
    Ok(())
}

/// Create, update or unchanged: the item compared with what is stored, runtime attributes aside.
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
    let all = catalog::query(db, &keys::cards_pk(ALL_REGIONS), Range::All, None).await?;
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
        let below = catalog::registrations_start(&c.competition_id);
        for item in catalog::query(db, &keys::competition_pk(&c.competition_id), Range::Below(&below), None).await? {
            if let Some(event_id) = text(&item, "event_id").filter(|_| text(&item, ENTITY_TYPE) == Some(entity::COMPETITION_EVENT)) {
                found.push(keys::competition_event(&c.competition_id, event_id));
            }
        }
    }
    Ok(found)
}

/// The stored items at `wanted`, in order (strongly consistent BatchGetItem, 100 keys at a time).
async fn get_all(db: &Db, wanted: Vec<Key>) -> Result<Vec<Option<Item>>, TableError> {
    let mut found: HashMap<(String, String), Item> = HashMap::new();
    for chunk in wanted.chunks(100) {
        let mut pending: Vec<Item> = chunk.iter().map(Key::to_map).collect();
        for attempt in 0u64..=30 {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                // Unprocessed keys come back under throttling.
                tokio::time::sleep(std::time::Duration::from_millis(jitter(50 * attempt.min(20)))).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(|e| TableError(e.to_string()))?;
            let out = db
                .client
                .batch_get_item()
                .request_items(&db.table, request)
                .send()
                .await
                .map_err(|e| TableError(DisplayErrorContext(&e).to_string()))?;
            for item in out.responses.and_then(|mut r| r.remove(&db.table)).unwrap_or_default() {
                let at = (text(&item, keys::PK).unwrap_or_default().to_string(), text(&item, keys::SK).unwrap_or_default().to_string());
                found.insert(at, item);
            }
            pending = out.unprocessed_keys.and_then(|mut u| u.remove(&db.table)).map(|k| k.keys).unwrap_or_default();
        }
        if !pending.is_empty() {
            return Err(TableError("reads still throttled after 30 retries".into()));
        }
    }
    Ok(wanted.iter().map(|k| found.remove(&pair(k))).collect())
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn is_key(name: &str) -> bool {
    name == keys::PK || name == keys::SK
}

fn pair(k: &Key) -> (String, String) {
    (k.pk.clone(), k.sk.clone())
}
