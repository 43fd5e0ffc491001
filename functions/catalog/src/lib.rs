//! `catalog`: the catalog reads (cards, competitions, maps, events), each one DynamoDB round trip,
//! and a competition's leaderboards and live boards.

mod views;

use shared::http::page::Page;
use shared::http::routes::Operation;
use shared::http::views::BoardView;
use shared::model::leaderboard::Board;
use shared::service::{catalog, leaderboard, live};
use shared::store::Db;
use shared::support::check::check_id;
use shared::support::clock;
use shared::support::config::ConfigError;
use shared::support::cursor::Cursors;
use shared::support::error::ErrorCode;
use shared::support::tokens::Tokens;
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
        Ok(Self::new(Db::from_env(&shared::store::sdk_config().await)?, Tokens::from_env()?, Cursors::from_env()?))
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
            Operation::GetCompetitionLive => self.live(&call).await,
            _ => Err(ApiError::of(ErrorCode::NotFound)),
        }
    }
}

impl Catalog {
    async fn cards(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let cards = catalog::cards(&self.db, &region(call)?).await?;
        Ok(Reply::ok(views::items(cards.iter().map(CardView::from).collect())))
    }

    async fn competition(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let competition_id = call.id("competition_id")?;
        let caller = call.optional(&self.tokens)?;
        let (meta, events, registration) = catalog::competition(&self.db, competition_id, caller.as_ref().map(|c| c.sub.as_str())).await?;
        Ok(Reply::ok(CompetitionView::new(&meta, registration.as_ref(), &events, clock::now())))
    }

    async fn competition_event(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let competition_id = call.id("competition_id")?;
        let event_id = call.id("event_id")?;
        let caller = call.optional(&self.tokens)?;
        let (meta, link, registration) =
            catalog::competition_event(&self.db, competition_id, event_id, caller.as_ref().map(|c| c.sub.as_str())).await?;
        Ok(Reply::ok(CompetitionEventDetail::new(&meta, &link, registration.as_ref(), clock::now())))
    }

    async fn maps(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let region = region(call)?;
        let page = Page::of(call)?;
        let maps = page.slice(catalog::maps(&self.db, &region, page.end()).await?);
        Ok(Reply::ok(views::items(maps.iter().map(MapListItem::from).collect())))
    }

    async fn map(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let (meta, events) = catalog::map(&self.db, call.id("map_id")?, None).await?;
        Ok(Reply::ok(MapDetail::new(&meta, &events)))
    }

    async fn events(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let map_id = call.query("map_id").filter(|m| !m.is_empty());
        let page = Page::of(call)?;
        if let Some(map_id) = &map_id {
            check_id("map_id", map_id)?;
        }
        let events = page.slice(catalog::events(&self.db, map_id.as_deref(), page.end()).await?);
        // A stored summary is exactly the contract's list item.
        Ok(Reply::ok(views::items(events)))
    }

    async fn event(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let meta = catalog::event(&self.db, call.id("event_id")?).await?;
        Ok(Reply::ok(EventDetail::from(&meta)))
    }

    /// One page of a competition's board for an event and route, with the caller's own entry.
    async fn leaderboard(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let competition_id = call.id("competition_id")?;
        let caller = call.optional(&self.tokens)?;
        let (event_id, route_code) = board_query(call)?;
        let limit = call.query_int("limit", leaderboard::DEFAULT_LIMIT, leaderboard::MAX_LIMIT)?;
        let board = Board::of(competition_id, &event_id, &route_code);
        let caller = caller.as_ref().map(|c| c.sub.as_str());
        let page = leaderboard::leaderboard(&self.db, &self.cursors, board, caller, limit, call.query("cursor").as_deref()).await?;
        Ok(Reply::ok(BoardView::from(&page)))
    }

    /// A competition's live board for an event and route; the runner's own entry undelayed
    /// with their `realtime_token`. Anyone else's answer is the same for all: a CDN may keep it.
    async fn live(&self, call: &Call<'_>) -> ApiResult<Reply> {
        let competition_id = call.id("competition_id")?;
        let runner = call.optional_realtime(&self.tokens)?;
        let (event_id, route_code) = board_query(call)?;
        let own = runner.as_ref().and_then(|c| c.sid.as_deref());
        let board = live::board(&self.db, Board::of(competition_id, &event_id, &route_code), own, clock::now_ms()).await?;
        Ok(match own {
            Some(_) => Reply::ok(board),
            None => Reply::ok(board).public_for(live::PUBLIC_FOR_S),
        })
    }
}

/// A board's `event_id` and `route_code` (both required).
fn board_query(call: &Call<'_>) -> ApiResult<(String, String)> {
    let event_id = call.query("event_id").ok_or_else(|| ApiError::invalid("event_id", "is required"))?;
    check_id("event_id", &event_id)?;
    let route_code = call.query("route_code").ok_or_else(|| ApiError::invalid("route_code", "is required"))?;
    check_id("route_code", &route_code)?;
    Ok((event_id, route_code))
}

/// `region_code`: absent or empty means every region.
fn region(call: &Call<'_>) -> ApiResult<String> {
    match call.query("region_code").filter(|r| !r.is_empty()) {
        Some(region) => {
            check_id("region_code", &region)?;
            Ok(region)
        }
        None => Ok(catalog::ALL_REGIONS.to_string()),
    }
}
