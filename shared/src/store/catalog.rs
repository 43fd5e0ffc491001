//! The catalog's items: single reads, the conditions a launch and a registration write under
//! (the release a launch holds, the place a registration takes), registrations, and the catalog
//! tool's upserts (which never touch `registered_count`).

use crate::model::catalog::{Card, CompetitionEvent, CompetitionMeta, EventMeta, EventSummary, MapListing, MapMeta, Registration, Release};
use crate::store::db::{After, Assign, Db, Item, Range, Write, decode, decode_opt, n, s, text};
use crate::store::error::Error;
use crate::store::keys::{self, Key};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};

/// The only attribute of a catalog item that is not the catalog's: registration counts it, and
/// the catalog tool must never overwrite it.
pub const REGISTERED_COUNT: &str = "registered_count";

/// A transaction's condition that `release_id` is still the event's current release.
pub fn release_is_current(db: &Db, event_id: &str, release_id: &str) -> Write {
    let check = ConditionCheck::builder()
        .table_name(&db.table)
        .set_key(Some(keys::event(event_id).to_map()))
        .condition_expression("current_release_id = :release")
        .expression_attribute_values(":release", s(release_id))
        .build()
        .expect("check is complete");
    TransactWriteItem::builder().condition_check(check).build()
}

/// Takes one place of the competition: it exists, registration is enabled and open at `now`,
/// and a capacity, when it has one, is not reached.
pub fn take_place(db: &Db, competition_id: &str, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::competition(competition_id).to_map()))
        .update_expression("ADD #count :one")
        .condition_expression(
            "attribute_exists(#pk) AND #enabled = :true \
             AND (attribute_not_exists(#opens) OR #opens <= :now) \
             AND (attribute_not_exists(#closes) OR :now < #closes) \
             AND (attribute_not_exists(#capacity) OR #count < #capacity)",
        )
        .expression_attribute_names("#pk", keys::PK)
        .expression_attribute_names("#count", REGISTERED_COUNT)
        .expression_attribute_names("#enabled", "registration_enabled")
        .expression_attribute_names("#opens", "registration_opens_at")
        .expression_attribute_names("#closes", "registration_closes_at")
        .expression_attribute_names("#capacity", "capacity")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Gives one place of the competition back: only while registration is open at `now` and the
/// competition has not started.
pub fn free_place(db: &Db, competition_id: &str, now: i64) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::competition(competition_id).to_map()))
        .update_expression("ADD #count :minus")
        .condition_expression(
            "#enabled = :true AND #count > :zero \
             AND (attribute_not_exists(#opens) OR #opens <= :now) \
             AND (attribute_not_exists(#closes) OR :now < #closes) \
             AND (attribute_not_exists(#starts) OR :now < #starts)",
        )
        .expression_attribute_names("#count", REGISTERED_COUNT)
        .expression_attribute_names("#enabled", "registration_enabled")
        .expression_attribute_names("#opens", "registration_opens_at")
        .expression_attribute_names("#closes", "registration_closes_at")
        .expression_attribute_names("#starts", "starts_at")
        .expression_attribute_values(":minus", n(-1))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":now", n(now))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Gives one place back whatever the window: the registration goes with its account.
pub fn release_place(db: &Db, competition_id: &str) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::competition(competition_id).to_map()))
        .update_expression("ADD #count :minus")
        .condition_expression("#count > :zero")
        .expression_attribute_names("#count", REGISTERED_COUNT)
        .expression_attribute_values(":minus", n(-1))
        .expression_attribute_values(":zero", n(0))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// Writes a catalog item's attributes (`set`) and removes those it no longer has, keeping its
/// `registered_count` (and starting it at 0 on a competition that has none).
pub async fn upsert(db: &Db, key: &Key, set: &crate::store::db::Item, remove: &[String], counts_registrations: bool) -> Result<(), String> {
    let mut assign = Assign { remove: remove.to_vec(), ..Assign::default() };
    assign.set = set.iter().filter(|(name, _)| *name != keys::PK && *name != keys::SK).map(|(k, v)| (k.clone(), v.clone())).collect();
    if counts_registrations {
        assign.set_if_absent.insert(REGISTERED_COUNT.into(), n(0));
    }
    let (expression, names, values) = assign.expression();
    db.client
        .update_item()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .update_expression(expression)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .send()
        .await
        .map_err(|e| format!("{} / {}: {}", key.pk, key.sk, DisplayErrorContext(&e)))?;
    Ok(())
}

/// Deletes a catalog item the file no longer has.
pub async fn remove(db: &Db, key: &Key) -> Result<(), String> {
    db.client
        .delete_item()
        .table_name(&db.table)
        .set_key(Some(key.to_map()))
        .send()
        .await
        .map_err(|e| format!("{} / {}: {}", key.pk, key.sk, DisplayErrorContext(&e)))?;
    Ok(())
}

// The single-item reads of registration and launch.

pub async fn competition(db: &Db, competition_id: &str) -> Result<Option<CompetitionMeta>, Error> {
    db.get(&keys::competition(competition_id)).await
}

pub async fn competition_event(db: &Db, competition_id: &str, event_id: &str) -> Result<Option<CompetitionEvent>, Error> {
    db.get(&keys::competition_event(competition_id, event_id)).await
}

pub async fn event(db: &Db, event_id: &str) -> Result<Option<EventMeta>, Error> {
    db.get(&keys::event(event_id)).await
}

/// A release of the event, current or superseded, with its course.
pub async fn release(db: &Db, event_id: &str, release_id: &str) -> Result<Option<Release>, Error> {
    db.get(&keys::release(event_id, release_id)).await
}

pub async fn registration(db: &Db, competition_id: &str, user_id: &str) -> Result<Option<Registration>, Error> {
    db.get(&keys::registration(competition_id, user_id)).await
}

/// Writes a new registration, indexed in its user's list.
pub fn put_registration(db: &Db, r: &Registration) -> Write {
    db.put_new_owned(
        &keys::registration(&r.competition_id, &r.user_id),
        &keys::user_registration(&r.user_id, r.created_at, &r.competition_id),
        r,
    )
}

/// Deletes the user's registration, on the condition that it exists.
pub fn delete_registration(db: &Db, competition_id: &str, user_id: &str) -> Write {
    db.delete_existing(&keys::registration(competition_id, user_id))
}

/// One page of the user's registrations, newest first, after the one `after` names (its
/// `created_at` and competition); and whether more follow.
pub async fn registrations_of(
    db: &Db,
    user_id: &str,
    limit: usize,
    after: Option<(i64, &str)>,
) -> Result<(Vec<Registration>, bool), Error> {
    let after = after.map(|(created_at, competition_id)| After {
        key: keys::registration(competition_id, user_id),
        index: keys::user_registration(user_id, created_at, competition_id),
    });
    let (items, more) = db.owned_page(&keys::user_pk(user_id), keys::USER_REGISTRATION_PREFIX, limit, after).await?;
    Ok((items.into_iter().map(decode).collect::<Result<_, _>>()?, more))
}

/// A collection whose first item is the owner's own record (`META`), then what it lists.
fn owner_and_rest<M: serde::de::DeserializeOwned, T: serde::de::DeserializeOwned>(items: Vec<Item>) -> Result<Option<(M, Vec<T>)>, Error> {
    let mut items = items.into_iter();
    let owner = match items.next() {
        Some(item) if text(&item, keys::SK) == Some(keys::META) => decode(item)?,
        _ => return Ok(None),
    };
    Ok(Some((owner, items.map(decode).collect::<Result<_, _>>()?)))
}

/// The home-page cards of a region (`keys::ALL_REGIONS` for all), in display order: one Query.
pub async fn cards(db: &Db, region_code: &str) -> Result<Vec<Card>, Error> {
    db.query(&keys::cards_pk(region_code), Range::All, None).await?.into_iter().map(decode).collect()
}

/// A competition's record and its event links (not its registrations): one Query.
pub async fn competition_with_events(db: &Db, competition_id: &str) -> Result<Option<(CompetitionMeta, Vec<CompetitionEvent>)>, Error> {
    owner_and_rest(competition_items(db, competition_id).await?)
}

/// A competition, its link to one event, and the user's registration when a user is given: one
/// BatchGetItem.
pub async fn competition_event_reads(
    db: &Db,
    competition_id: &str,
    event_id: &str,
    user_id: Option<&str>,
) -> Result<(Option<CompetitionMeta>, Option<CompetitionEvent>, Option<Registration>), Error> {
    let (meta, link) = (keys::competition(competition_id), keys::competition_event(competition_id, event_id));
    let (meta, link, registration) = match user_id {
        Some(user_id) => {
            let [m, l, r] = db.batch_get([meta, link, keys::registration(competition_id, user_id)]).await?;
            (m, l, r)
        }
        None => {
            let [m, l] = db.batch_get([meta, link]).await?;
            (m, l, None)
        }
    };
    Ok((decode_opt(meta)?, decode_opt(link)?, decode_opt(registration)?))
}

/// The first `limit` map listings of a region: one Query.
pub async fn maps(db: &Db, region_code: &str, limit: usize) -> Result<Vec<MapListing>, Error> {
    db.query(&keys::maps_pk(region_code), Range::All, Some(limit)).await?.into_iter().map(decode).collect()
}

/// A map's record and its first `limit` event summaries (all without one): one Query.
pub async fn map_with_events(db: &Db, map_id: &str, limit: Option<usize>) -> Result<Option<(MapMeta, Vec<EventSummary>)>, Error> {
    owner_and_rest(db.query(&keys::map_pk(map_id), Range::All, limit.map(|l| l + 1)).await?)
}

/// The first `limit` event summaries of the event list: one Query.
pub async fn events(db: &Db, limit: usize) -> Result<Vec<EventSummary>, Error> {
    db.query(keys::EVENTS_PK, Range::All, Some(limit)).await?.into_iter().map(decode).collect()
}

/// What a launch depends on, in one BatchGetItem: the event and the release the caller holds,
/// and inside a competition also the competition, its link to the event and the user's
/// registration.
pub struct LaunchReads {
    pub competition: Option<CompetitionMeta>,
    pub link: Option<CompetitionEvent>,
    pub registration: Option<Registration>,
    pub event: Option<EventMeta>,
    pub release: Option<Release>,
}

pub async fn launch_reads(
    db: &Db,
    competition_id: Option<&str>,
    event_id: &str,
    user_id: &str,
    release_id: &str,
) -> Result<LaunchReads, Error> {
    Ok(match competition_id {
        None => {
            let [event, release] = db.batch_get([keys::event(event_id), keys::release(event_id, release_id)]).await?;
            LaunchReads { competition: None, link: None, registration: None, event: decode_opt(event)?, release: decode_opt(release)? }
        }
        Some(competition_id) => {
            let [competition, link, event, registration, release] = db
                .batch_get([
                    keys::competition(competition_id),
                    keys::competition_event(competition_id, event_id),
                    keys::event(event_id),
                    keys::registration(competition_id, user_id),
                    keys::release(event_id, release_id),
                ])
                .await?;
            LaunchReads {
                competition: decode_opt(competition)?,
                link: decode_opt(link)?,
                registration: decode_opt(registration)?,
                event: decode_opt(event)?,
                release: decode_opt(release)?,
            }
        }
    })
}

/// A transaction's condition that the user's registration still exists.
pub fn registration_exists(db: &Db, competition_id: &str, user_id: &str) -> Write {
    db.exists(&keys::registration(competition_id, user_id))
}

/// The items at `wanted`, in order, as stored; patient under throttling (an import is not a request).
pub async fn items_at(db: &Db, wanted: &[Key]) -> Result<Vec<Option<Item>>, Error> {
    db.get_many_within(wanted, 30).await
}

/// Every card of every region, as stored.
pub async fn all_card_items(db: &Db) -> Result<Vec<Item>, Error> {
    db.query(&keys::cards_pk(keys::ALL_REGIONS), Range::All, None).await
}

/// A competition's record and event links, as stored: a Query below its registrations' sort
/// keys, however many registrations there are.
pub async fn competition_items(db: &Db, competition_id: &str) -> Result<Vec<Item>, Error> {
    let below_registrations = keys::registration(competition_id, "").sk;
    db.query(&keys::competition_pk(competition_id), Range::Below(&below_registrations), None).await
}
