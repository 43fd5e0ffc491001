//! What the catalog tool reads and writes: the items a catalog file would change, as stored,
//! their upserts and deletions, and the results an IOF export reads.

use crate::model::catalog::{EventMeta, Release};
use crate::model::result::SessionResult;
use crate::store;
use crate::store::db::{Db, Item};
use crate::store::keys::Key;
use crate::support::error::ApiResult;

/// The items at `keys`, in order (absent where nothing is stored).
pub async fn stored(db: &Db, keys: &[Key]) -> ApiResult<Vec<Option<Item>>> {
    Ok(store::catalog::items_at(db, keys).await?)
}

/// Every card of every region.
pub async fn cards(db: &Db) -> ApiResult<Vec<Item>> {
    Ok(store::catalog::all_card_items(db).await?)
}

/// A competition's record and event links.
pub async fn competition(db: &Db, competition_id: &str) -> ApiResult<Vec<Item>> {
    Ok(store::catalog::competition_items(db, competition_id).await?)
}

/// Writes a catalog item's attributes and removes those it no longer has (its registrations'
/// count kept); the error names the item and the cause, for the operator.
pub async fn upsert(db: &Db, key: &Key, set: &Item, remove: &[String], counts_registrations: bool) -> Result<(), String> {
    store::catalog::upsert(db, key, set, remove, counts_registrations).await
}

/// Deletes a catalog item the file no longer has.
pub async fn remove(db: &Db, key: &Key) -> Result<(), String> {
    store::catalog::remove(db, key).await
}

pub async fn event(db: &Db, event_id: &str) -> ApiResult<Option<EventMeta>> {
    Ok(store::catalog::event(db, event_id).await?)
}

pub async fn release(db: &Db, event_id: &str, release_id: &str) -> ApiResult<Option<Release>> {
    Ok(store::catalog::release(db, event_id, release_id).await?)
}

/// Every result of one route of an event.
pub async fn route_results(db: &Db, event_id: &str, route_code: &str) -> ApiResult<Vec<SessionResult>> {
    Ok(store::session::route_results(db, event_id, route_code).await?)
}
