//! `catalog`: the catalog reads (cards, competitions, maps, events), each one DynamoDB round trip,
//! and a competition's leaderboards.

mod views;

use shared::auth::tokens::Tokens;
use shared::catalog::{self, Card, CompetitionEvent, CompetitionMeta, EventMeta, EventSummary, MapListing, MapMeta, Registration};
use shared::config::ConfigError;
use shared::http::cursor::Cursors;
use shared::http::error::ErrorCode;
use shared::http::page::Page;
use shared::http::request::check_id;
use shared::http::routes::Operation;
use shared::session::board;
use shared::store::db::Range;
use shared::store::db::{self, Db, Item, decode};
use shared::store::keys;
use shared::{ApiError, ApiResult, Call, Function, Reply};
use views::{CardView, CompetitionEventDetail, CompetitionView, EventDetail, MapDetail, MapListItem};

pub struct Catalog {
    db: Db,
    tokens: Tokens,
    cursors: Cursors,
}

impl Catalog {
    pub fn new(db: Db, tokens: Tokens, cursors: Cursors) -> Self {
        Self { db, tokens, cursors }
    }

    pub async fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(Db::from_env(&db::sdk_config().await)?, Tokens::from_env()?, Cursors::from_env()?))
    }
}

impl Function for Catalog {
    const NAME: &'static str = "catalog";

    async fn warm(&self) {
        self.db.warm().await
    }

    async fn call(&self, call: Call<'_>) -> ApiResult<Reply> {
        match call.route.operation {
            Operation::ListCards => self.cards(&call).await,
            Operation::GetCompetition => self.competition(&call).await,
            Operation::GetCompetitionEvent => self.competition_event(&call).await,
            Operation::ListMaps => self.maps(&call).await,
            Operation::GetMap => self.map(&call).await,
            Operation::ListEvents => self.events(&call).await,
            Operation::GetEvent => self.event(&call).await,
            Operation::GetCompetitionLeaderboard => self.leaderboard(&call).await,
            _ => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}

impl Catalog {
    async fn cards(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let region = region(call)?;
        let items = self.db.query(&keys::cards_pk(&region), Range::All, None).await?;
        let cards = decode_all::<Card>(items)?;
        Ok(Reply::ok(views::items(cards.iter().map(CardView::from).collect())))
    }

    async fn competition(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let competition_id = call.id("competition_id")?;
        let caller = self.tokens.optional(call)?;
        let below_registrations = catalog::registrations_start(competition_id);
        let pk = keys::competition_pk(competition_id);
        let (collection, registration) = tokio::join!(
            self.db.query(&pk, Range::Below(&below_registrations), None),
            self.registration_of(competition_id, caller.as_ref().map(|c| c.sub.as_str())),
        );
        let mut collection = collection?.into_iter();
        let meta: CompetitionMeta = match collection.next() {
            Some(item) if is_meta(&item) => decode(item)?,
            _ => return Err(competition_not_found()),
        };
        let mut events = decode_all::<CompetitionEvent>(collection.collect())?;
        // The default event first, then by id: what a client shows first is what it opens first.
        events.sort_by_key(|e| !e.is_default);
        Ok(Reply::ok(CompetitionView::new(&meta, registration?.as_ref(), &events)))
    }

    async fn competition_event(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let competition_id = call.id("competition_id")?;
        let event_id = call.id("event_id")?;
        let caller = self.tokens.optional(call)?;
        let (meta, link) = (keys::competition(competition_id), keys::competition_event(competition_id, event_id));
        let (meta, link, registration) = match &caller {
            Some(claims) => {
                let [m, l, r] = self.db.batch_get([meta, link, keys::registration(competition_id, &claims.sub)]).await?;
                (m, l, r)
            }
            None => {
                let [m, l] = self.db.batch_get([meta, link]).await?;
                (m, l, None)
            }
        };
        let meta: CompetitionMeta = shared::store::db::decode_opt(meta)?.ok_or_else(competition_not_found)?;
        let link: CompetitionEvent = shared::store::db::decode_opt(link)?
            .ok_or_else(|| ApiError::of(ErrorCode::EventNotFound).saying("the competition has no event with this event_id"))?;
        let registration: Option<Registration> = shared::store::db::decode_opt(registration)?;
        Ok(Reply::ok(CompetitionEventDetail::new(&meta, &link, registration.as_ref())))
    }

    async fn maps(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let region = region(call)?;
        let page = Page::of(call)?;
        let items = self.db.query(&keys::maps_pk(&region), Range::All, Some(page.end())).await?;
        let maps = decode_all::<MapListing>(page.slice(items))?;
        Ok(Reply::ok(views::items(maps.iter().map(MapListItem::from).collect())))
    }

    async fn map(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let map_id = call.id("map_id")?;
        let (meta, events) = self.map_collection(map_id, None).await?;
        Ok(Reply::ok(MapDetail::new(&meta, &decode_all::<EventSummary>(events)?)))
    }

    async fn events(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let map_id = call.query("map_id").filter(|m| !m.is_empty());
        let page = Page::of(call)?;
        let items = match &map_id {
            Some(map_id) => {
                check_id("map_id", map_id)?;
                self.map_collection(map_id, Some(page.end())).await?.1
            }
            None => self.db.query(keys::EVENTS_PK, Range::All, Some(page.end())).await?,
        };
        let events = decode_all::<EventSummary>(page.slice(items))?;
        // A stored summary is exactly the contract's list item.
        Ok(Reply::ok(views::items(events)))
    }

    async fn event(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let event_id = call.id("event_id")?;
        let meta: EventMeta = catalog::event(&self.db, event_id).await?.ok_or_else(|| ApiError::of(ErrorCode::EventNotFound))?;
        Ok(Reply::ok(EventDetail::from(&meta)))
    }

    /// A map's record and its first `limit` event summaries, in one Query of its collection.
    async fn map_collection(&self, map_id: &str, limit: Option<usize>) -> ApiResult<(MapMeta, Vec<Item>)> {
        let mut items = self.db.query(&keys::map_pk(map_id), Range::All, limit.map(|l| l + 1)).await?.into_iter();
        let meta = match items.next() {
            Some(item) if is_meta(&item) => decode(item)?,
            _ => return Err(ApiError::of(ErrorCode::MapNotFound)),
        };
        Ok((meta, items.collect()))
    }

    /// One page of a competition's board for an event and route, with the caller's own entry.
    async fn leaderboard(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let competition_id = call.id("competition_id")?;
        let caller = self.tokens.optional(call)?;
        let event_id = call.query("event_id").ok_or_else(|| ApiError::invalid("event_id", "is required"))?;
        check_id("event_id", &event_id)?;
        let route_code = call.query("route_code").ok_or_else(|| ApiError::invalid("route_code", "is required"))?;
        check_id("route_code", &route_code)?;
        let limit = call.query_int("limit", board::DEFAULT_LIMIT, board::MAX_LIMIT)?;
        let board_pk = keys::board_pk(competition_id, &event_id, &route_code);
        let caller = caller.as_ref().map(|c| c.sub.as_str());
        let after = call.query("cursor").map(|c| board::open_cursor(&self.cursors, &board_pk, &c)).transpose()?;
        // The board is read beside the competition, and only shown if the competition has one.
        let (checks, page) = tokio::join!(
            self.db.batch_get([keys::competition(competition_id), keys::competition_event(competition_id, &event_id)]),
            board::page(&self.db, &self.cursors, &board_pk, caller, limit, after),
        );
        let [competition, link] = checks?;
        let competition: CompetitionMeta = db::decode_opt(competition)?.ok_or_else(competition_not_found)?;
        if !competition.leaderboard_enabled {
            return Err(ApiError::of(ErrorCode::LeaderboardNotEnabled));
        }
        let _: CompetitionEvent = db::decode_opt(link)?.ok_or_else(|| ApiError::of(ErrorCode::EventNotFound))?;
        Ok(Reply::ok(page?))
    }

    async fn registration_of(&self, competition_id: &str, user_id: Option<&str>) -> ApiResult<Option<Registration>> {
        match user_id {
            Some(user_id) => catalog::registration(&self.db, competition_id, user_id).await,
            None => Ok(None),
        }
    }
}

/// `region_code`: absent or empty means every region.
fn region(call: &Call<'_>) -> ApiResult<String> {
    match call.query("region_code").filter(|r| !r.is_empty()) {
        Some(region) => {
            check_id("region_code", &region)?;
            Ok(region)
        }
        None => Ok(keys::ALL_REGIONS.to_string()),
    }
}

fn is_meta(item: &Item) -> bool {
    item.get(keys::SK).and_then(|v| v.as_s().ok()).is_some_and(|sk| sk == keys::META)
}

fn decode_all<T: serde::de::DeserializeOwned>(items: Vec<Item>) -> ApiResult<Vec<T>> {
    items.into_iter().map(decode).collect()
}

fn competition_not_found() -> ApiError {
    ApiError::of(ErrorCode::CompetitionNotFound)
}
