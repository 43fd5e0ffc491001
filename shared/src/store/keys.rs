//! The single-table keys, and every stored record's home: each key builder sits beside the
//! record stored under it (its `entity_type`), so a record type has one place that says where
//! and what it is. Every partition and sort key the code reads or writes is built here.

use crate::model::catalog::{Card, CompetitionEvent, CompetitionMeta, EventMeta, EventSummary, MapListing, MapMeta, Registration, Release};
use crate::model::idempotency::IdempotencyRecord;
use crate::model::identity::{CodeItem, GuardItem, IdentityItem, IdentityKind, KnownDevice, LoginKind, LoginLink, RefreshItem, UserItem};
use crate::model::leaderboard::{Board, LeaderboardEntry};
use crate::model::profile::{ProfileItem, ProfileVersion};
use crate::model::result::SessionResult;
use crate::model::run::punch::Punch;
use crate::model::run::samples::SampleBatch;
use crate::model::run::session::Session;
use aws_sdk_dynamodb::types::AttributeValue;

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A stored record: one Rust type per kind of item, read and written through the same
/// serde mapping. The store adds its key and its `entity_type`; the record never holds them.
pub trait Record: Serialize + DeserializeOwned {
    const ENTITY: &'static str;
}

pub const ENTITY_TYPE: &str = "entity_type";

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// The live index: what feeds a competition's live boards, by time.
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";

/// The sort key of an entity's own record inside its item collection (sorts before the rest).
pub const META: &str = "#META";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: String, sk: impl Into<String>) -> Self {
        Self { pk, sk: sk.into() }
    }

    pub fn to_map(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([(PK.to_string(), AttributeValue::S(self.pk.clone())), (SK.to_string(), AttributeValue::S(self.sk.clone()))])
    }
}

/// Where nothing is ever stored: what init reads to open the connection (`Db::warm`).
pub fn nothing() -> Key {
    Key::new("#NOTHING".to_string(), META)
}

// Users and what hangs off them.
pub fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}
pub fn user(user_id: &str) -> Key {
    Key::new(user_pk(user_id), META)
}
impl Record for UserItem {
    const ENTITY: &'static str = "user";
}
pub fn body_profile(user_id: &str) -> Key {
    Key::new(user_pk(user_id), "PROFILE")
}
impl Record for ProfileItem {
    const ENTITY: &'static str = "body_profile";
}
pub fn body_profile_version(user_id: &str, version: u64) -> Key {
    Key::new(user_pk(user_id), format!("PROFILE#V#{version:010}"))
}
impl Record for ProfileVersion {
    const ENTITY: &'static str = "body_profile_version";
}
pub const PROFILE_VERSION_PREFIX: &str = "PROFILE#V#";
/// How many sessions the user has launched (a counter, bounded at launch).
pub fn user_session_count(user_id: &str) -> Key {
    Key::new(user_pk(user_id), "SESSIONS")
}

/// A login identity: one user each.
pub fn identity(kind: IdentityKind, value: &str) -> Key {
    Key::new(format!("IDENTITY#{}#{value}", kind.as_str()), META)
}
impl Record for IdentityItem {
    const ENTITY: &'static str = "login_identity";
}

/// The user's side of a login identity, in the user's own partition (so the account lists and
/// deletes its identities without an index).
pub fn user_login(user_id: &str, kind: LoginKind) -> Key {
    Key::new(user_pk(user_id), format!("{USER_LOGIN_PREFIX}{}", kind.as_str()))
}
impl Record for LoginLink {
    const ENTITY: &'static str = "user_login";
}
pub const USER_LOGIN_PREFIX: &str = "LOGIN#";

/// The sort keys of the user's partition up to here hold the account (user, logins, profile),
/// after it the profile's versions: `GET /me` reads `META..=ACCOUNT_END` in one Query.
pub const ACCOUNT_END: &str = "PROFILE";

// SMS verification.
/// A mobile's SMS items (its code, guard and known devices) share one partition.
pub fn sms_pk(e164: &str) -> String {
    format!("SMS#{e164}")
}
pub fn sms_code(e164: &str) -> Key {
    Key::new(sms_pk(e164), "CODE")
}
impl Record for CodeItem {
    const ENTITY: &'static str = "sms_code";
}
pub fn sms_guard(e164: &str) -> Key {
    Key::new(sms_pk(e164), "GUARD")
}
impl Record for GuardItem {
    const ENTITY: &'static str = "sms_guard";
}
/// A device that has logged in with this mobile: it may draw on the known-device reserve.
pub fn sms_known_device(e164: &str, device_id: &str) -> Key {
    Key::new(sms_pk(e164), format!("DEVICE#{device_id}"))
}
impl Record for KnownDevice {
    const ENTITY: &'static str = "sms_known_device";
}

/// What an SMS send cap counts, per day or per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsCapScope {
    Mobile,
    Device,
    /// One known (mobile, device) pair's share once the mobile's own cap is spent.
    KnownDevice,
    SourceIp,
    Global,
}

impl SmsCapScope {
    fn as_str(self) -> &'static str {
        match self {
            SmsCapScope::Mobile => "MOBILE",
            SmsCapScope::Device => "DEVICE",
            SmsCapScope::KnownDevice => "KNOWNDEVICE",
            SmsCapScope::SourceIp => "IP",
            SmsCapScope::Global => "GLOBAL",
        }
    }
}

/// The counter of `scope` for `value` in one time `bucket` (`clock::day` or `clock::hour`).
pub fn sms_cap(scope: SmsCapScope, value: &str, bucket: &str) -> Key {
    Key::new(format!("SMSCAP#{}#{value}", scope.as_str()), bucket.to_string())
}

// Tokens and idempotency.
pub fn refresh_token(token_hash: &str) -> Key {
    Key::new(format!("REFRESH#{token_hash}"), META)
}
impl Record for RefreshItem {
    const ENTITY: &'static str = "refresh_token";
}
pub fn refresh_family(family_id: &str) -> Key {
    Key::new(format!("REFRESHFAMILY#{family_id}"), META)
}
crate::plain_enum! {
    /// What an idempotency key belongs to.
    pub enum IdempotencyScope {
        Login = "login",
        Launch = "launch",
    }
}

/// The record of an idempotent request, by its scoped key (`accounts::sms_login_key`, …).
pub fn idempotency(scope: IdempotencyScope, key: &str) -> Key {
    Key::new(format!("IDEM#{}#{key}", scope.as_str()), META)
}
impl Record for IdempotencyRecord {
    const ENTITY: &'static str = "idempotency";
}

// Catalog.
pub fn cards_pk(region_code: &str) -> String {
    format!("CARDS#{region_code}")
}
/// Highest `display_priority` first: the catalog tool keeps priorities within 0..=MAX_PRIORITY.
pub const MAX_PRIORITY: i64 = 999_999;
pub fn card(region_code: &str, priority: i64, card_id: &str) -> Key {
    Key::new(cards_pk(region_code), format!("{:06}#{card_id}", MAX_PRIORITY - priority))
}
impl Record for Card {
    const ENTITY: &'static str = entity::CARD;
}
/// Partition holding every card (and every map), for callers that give no region.
pub const ALL_REGIONS: &str = "*";

pub fn competition_pk(competition_id: &str) -> String {
    format!("COMP#{competition_id}")
}
pub fn competition(competition_id: &str) -> Key {
    Key::new(competition_pk(competition_id), META)
}
impl Record for CompetitionMeta {
    const ENTITY: &'static str = entity::COMPETITION;
}
const COMPETITION_EVENT_PREFIX: &str = "EVENT#";
pub fn competition_event(competition_id: &str, event_id: &str) -> Key {
    Key::new(competition_pk(competition_id), format!("{COMPETITION_EVENT_PREFIX}{event_id}"))
}
impl Record for CompetitionEvent {
    const ENTITY: &'static str = entity::COMPETITION_EVENT;
}
pub fn registration(competition_id: &str, user_id: &str) -> Key {
    Key::new(competition_pk(competition_id), format!("REG#{user_id}"))
}
impl Record for Registration {
    const ENTITY: &'static str = entity::REGISTRATION;
}

pub fn maps_pk(region_code: &str) -> String {
    format!("MAPS#{region_code}")
}
pub fn map_listing(region_code: &str, map_id: &str) -> Key {
    Key::new(maps_pk(region_code), format!("MAP#{map_id}"))
}
impl Record for MapListing {
    const ENTITY: &'static str = entity::MAP_LISTING;
}
pub fn map_pk(map_id: &str) -> String {
    format!("MAP#{map_id}")
}
pub fn map(map_id: &str) -> Key {
    Key::new(map_pk(map_id), META)
}
impl Record for MapMeta {
    const ENTITY: &'static str = entity::MAP;
}
const MAP_EVENT_PREFIX: &str = "EVENT#";
pub fn map_event(map_id: &str, event_id: &str) -> Key {
    Key::new(map_pk(map_id), format!("{MAP_EVENT_PREFIX}{event_id}"))
}

pub const EVENTS_PK: &str = "EVENTS";
pub fn event_listing(event_id: &str) -> Key {
    Key::new(EVENTS_PK.to_string(), format!("EVENT#{event_id}"))
}
impl Record for EventSummary {
    const ENTITY: &'static str = entity::EVENT_SUMMARY;
}
pub fn event_pk(event_id: &str) -> String {
    format!("EVENT#{event_id}")
}
pub fn event(event_id: &str) -> Key {
    Key::new(event_pk(event_id), META)
}
impl Record for EventMeta {
    const ENTITY: &'static str = entity::EVENT;
}
pub fn release(event_id: &str, release_id: &str) -> Key {
    Key::new(event_pk(event_id), format!("RELEASE#{release_id}"))
}
impl Record for Release {
    const ENTITY: &'static str = entity::RELEASE;
}

// Game sessions.
pub fn session_pk(session_id: &str) -> String {
    format!("SESSION#{session_id}")
}
/// A session's own record; what the session chain stores lives in the same partition.
pub fn session(session_id: &str) -> Key {
    Key::new(session_pk(session_id), META)
}
impl Record for Session {
    const ENTITY: &'static str = "session";
}
/// A punch of the session. Punches sort between the session's record and its result, so one
/// Query (`#META..=#RESULT`) reads all a punch or a finish is judged by.
pub fn punch(session_id: &str, punch_seq: u32) -> Key {
    Key::new(session_pk(session_id), format!("#PUNCH#{punch_seq:06}"))
}
impl Record for Punch {
    const ENTITY: &'static str = "punch";
}
pub fn session_result(session_id: &str) -> Key {
    Key::new(session_pk(session_id), SESSION_RESULT)
}
impl Record for SessionResult {
    const ENTITY: &'static str = "session_result";
}
pub const SESSION_RESULT: &str = "#RESULT";
/// A batch of track samples (after `#RESULT`, so the Query above never reads them).
pub fn sample_batch(session_id: &str, batch_seq: u32) -> Key {
    Key::new(session_pk(session_id), format!("{SAMPLE_BATCH_PREFIX}{batch_seq:06}"))
}
impl Record for SampleBatch {
    const ENTITY: &'static str = "sample_batch";
}
pub const SAMPLE_BATCH_PREFIX: &str = "BATCH#";

/// The keys of every item of the session's partition (its record, punches, batches, result),
/// when it keeps them (`item_keys_known`).
pub fn session_items(record: &Session) -> Option<Vec<Key>> {
    if !record.item_keys_known {
        return None;
    }
    let id = &record.session_id;
    let mut all = vec![session(id), session_result(id)];
    all.extend(record.punch_seqs.iter().map(|&seq| punch(id, seq)));
    all.extend(record.batches.keys().filter_map(|seq| seq.parse().ok()).map(|seq| sample_batch(id, seq)));
    Some(all)
}

/// The results of one route of an event, in the order they were finished (on GSI1): what an
/// IOF `ResultList` export reads.
pub fn route_result(event_id: &str, route_code: &str, finished_at_ms: i64, session_id: &str) -> Key {
    Key::new(route_results_pk(event_id, route_code), format!("{finished_at_ms:013}#{session_id}"))
}
pub fn route_results_pk(event_id: &str, route_code: &str) -> String {
    format!("RESULTS#{event_id}#{route_code}")
}
// Leaderboards.
/// One board: a competition's event and route.
pub fn board_pk(board: &Board<'_>) -> String {
    format!("BOARD#{}#{}#{}", board.competition_id, board.event_id, board.route_code)
}
/// A user's one entry on a board (its best run); on GSI1 it sorts under the board in ranking
/// order (`board_rank`).
pub fn board_entry(board_pk: &str, user_id: &str) -> Key {
    Key::new(board_pk.to_owned(), format!("USER#{user_id}"))
}
impl Record for LeaderboardEntry {
    const ENTITY: &'static str = "leaderboard_entry";
}
pub fn board_rank(board_pk: &str, sort_key: &str) -> Key {
    Key::new(board_pk.to_owned(), sort_key.to_owned())
}

// Live boards (on GSI2, by time: a board read is a range of it, whatever the runners' tracks).
/// A board's accepted punches and results, each at its time (epoch ms).
pub fn live_pk(board: &Board<'_>) -> String {
    format!("LIVE#{}#{}#{}", board.competition_id, board.event_id, board.route_code)
}
/// The track batches of the board's runners who share their position, at their last sample.
pub fn live_positions_pk(board: &Board<'_>) -> String {
    format!("LIVEPOS#{}#{}#{}", board.competition_id, board.event_id, board.route_code)
}
/// Where an item sits on the live index: at `t`, then whose it is (`part` tells a session's
/// items at one time apart).
pub fn live_at(pk: String, t: i64, session_id: &str, part: &str) -> Key {
    Key::new(pk, format!("{}#{session_id}#{part}", live_time(t)))
}
/// A time as the live index orders it (fixed width, so the strings sort as the times).
pub fn live_time(t: i64) -> String {
    format!("{:013}", t.clamp(0, 9_999_999_999_999))
}

// What a user owns outside their own partition is indexed under them on GSI1 (these keys), so
// it can be listed and deleted with the account.

/// A session's place in its user's history: oldest first.
pub fn user_session(user_id: &str, created_at: i64, session_id: &str) -> Key {
    Key::new(user_pk(user_id), format!("{USER_SESSION_PREFIX}{created_at:012}#{session_id}"))
}
pub const USER_SESSION_PREFIX: &str = "SESSION#";

/// A registration in its user's list: oldest first.
pub fn user_registration(user_id: &str, created_at: i64, competition_id: &str) -> Key {
    Key::new(user_pk(user_id), format!("{USER_REGISTRATION_PREFIX}{created_at:012}#{competition_id}"))
}
pub const USER_REGISTRATION_PREFIX: &str = "REG#";

/// A refresh token of the user.
pub fn user_refresh_token(user_id: &str, token_hash: &str) -> Key {
    Key::new(user_pk(user_id), format!("{USER_REFRESH_PREFIX}{token_hash}"))
}
pub const USER_REFRESH_PREFIX: &str = "REFRESH#";

/// An answered request of the user (its idempotency record holds the user's answer).
pub fn user_request(user_id: &str, record: &Key) -> Key {
    Key::new(user_pk(user_id), format!("{USER_REQUEST_PREFIX}{}", record.pk))
}
pub const USER_REQUEST_PREFIX: &str = "IDEM#";

/// The `entity_type` attribute of each kind of item.
pub mod entity {
    pub const CARD: &str = "card";
    pub const MAP_LISTING: &str = "map_listing";
    pub const MAP: &str = "map";
    pub const EVENT_SUMMARY: &str = "event_summary";
    pub const EVENT: &str = "event";
    pub const RELEASE: &str = "release";
    pub const COMPETITION: &str = "competition";
    pub const COMPETITION_EVENT: &str = "competition_event";
    pub const REGISTRATION: &str = "registration";
}
