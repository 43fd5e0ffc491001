//! The catalog reads, each one DynamoDB round trip: cards, competitions (with the caller's
//! registration beside them), maps, events.

use crate::model::catalog::{Card, CompetitionEvent, CompetitionMeta, EventMeta, EventSummary, MapListing, MapMeta, Registration};
use crate::store;
use crate::store::db::Db;
use crate::support::error::{ApiError, ApiResult, ErrorCode};

/// Every region's cards and maps.
pub const ALL_REGIONS: &str = store::keys::ALL_REGIONS;

pub fn competition_not_found() -> ApiError {
    ApiError::of(ErrorCode::CompetitionNotFound)
}

pub async fn cards(db: &Db, region_code: &str) -> ApiResult<Vec<Card>> {
    Ok(store::catalog::cards(db, region_code).await?)
}

/// A competition with its events (the default event first, then by id: what a client shows
/// first is what it opens first) and, for a signed-in caller, their registration — read beside it.
pub async fn competition(
    db: &Db,
    competition_id: &str,
    user_id: Option<&str>,
) -> ApiResult<(CompetitionMeta, Vec<CompetitionEvent>, Option<Registration>)> {
    let registration = async {
        match user_id {
            Some(user_id) => store::catalog::registration(db, competition_id, user_id).await,
            None => Ok(None),
        }
    };
    let (collection, registration) = tokio::join!(store::catalog::competition_with_events(db, competition_id), registration);
    let (meta, mut events) = collection?.ok_or_else(competition_not_found)?;
    events.sort_by_key(|e| !e.is_default);
    Ok((meta, events, registration?))
}

/// A competition's event, with the caller's registration when signed in (one BatchGetItem).
pub async fn competition_event(
    db: &Db,
    competition_id: &str,
    event_id: &str,
    user_id: Option<&str>,
) -> ApiResult<(CompetitionMeta, CompetitionEvent, Option<Registration>)> {
    let (meta, link, registration) = store::catalog::competition_event_reads(db, competition_id, event_id, user_id).await?;
    let meta = meta.ok_or_else(competition_not_found)?;
    let link = link.ok_or_else(|| ApiError::of(ErrorCode::EventNotFound).saying("the competition has no event with this event_id"))?;
    Ok((meta, link, registration))
}

/// The first `limit` maps of a region.
pub async fn maps(db: &Db, region_code: &str, limit: usize) -> ApiResult<Vec<MapListing>> {
    Ok(store::catalog::maps(db, region_code, limit).await?)
}

/// A map and its first `limit` events (all without one).
pub async fn map(db: &Db, map_id: &str, limit: Option<usize>) -> ApiResult<(MapMeta, Vec<EventSummary>)> {
    store::catalog::map_with_events(db, map_id, limit).await?.ok_or_else(|| ApiError::of(ErrorCode::MapNotFound))
}

/// The first `limit` events: of one map, or of the whole list.
pub async fn events(db: &Db, map_id: Option<&str>, limit: usize) -> ApiResult<Vec<EventSummary>> {
    match map_id {
        Some(map_id) => Ok(map(db, map_id, Some(limit)).await?.1),
        None => Ok(store::catalog::events(db, limit).await?),
    }
}

pub async fn event(db: &Db, event_id: &str) -> ApiResult<EventMeta> {
    store::catalog::event(db, event_id).await?.ok_or_else(|| ApiError::of(ErrorCode::EventNotFound))
}
