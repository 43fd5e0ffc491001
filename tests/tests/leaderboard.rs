//! A competition's leaderboard through the `catalog` handler with the `events/` event: ranking,
//! ties, paging with sealed cursors, the caller's own entry, and the conditional write that
//! keeps each user's best run.

use futures::StreamExt;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::catalog::course::RouteKind;
use shared::session::board::LeaderboardEntry;
use shared::session::result::{FinishReason, ResultStatus, RunResult, Score, SessionResult, TrackCheck, TrackStatus, Verification};
use shared::store::db::Tx;
use shared::types::ClientType;
use std::time::Instant;
use tests::{World, invoke, unique, with_bearer};

async fn catalog() -> catalog::Catalog {
    catalog::Catalog::new(tests::db().await, tests::tokens(), tests::cursors())
}

/// A world whose competition shows (or hides) its leaderboard.
async fn world(leaderboard_enabled: bool) -> World {
    let world = World::fresh();
    let mut file = world.file(tests::open_registration(false), true, "rel-1");
    file["competitions"][0]["leaderboard_enabled"] = leaderboard_enabled.into();
    tests::publish(&file).await;
    world
}

/// An `OK` result of `user_id` on the world's `route-a`, `time_s` long (score: `net` points).
fn result(world: &World, user_id: &str, time_s: i64, net: Option<i64>) -> SessionResult {
    let kind = if net.is_some() { RouteKind::Score } else { RouteKind::Classic };
    SessionResult {
        session_id: unique("ses_"),
        user_id: user_id.into(),
        event_id: world.event.clone(),
        competition_id: Some(world.competition.clone()),
        event_release_id: world.release.clone(),
        route_code: "route-a".into(),
        reason: FinishReason::Completed,
        finished_at: 0,
        result: RunResult {
            kind,
            status: ResultStatus::Ok,
            start_time: Some(0),
            finish_time: Some(time_s * 1000),
            time_s: Some(time_s),
            score: net.map(|net| Score { points: net, penalty: 0, net }),
            splits: vec![],
            missing_controls: vec![],
        },
        last_punch_seq: Some(1),
        verification: Verification {
            track: TrackCheck { status: TrackStatus::Verified, ..TrackCheck::default() },
            ..Verification::default()
        },
    }
}

async fn board(f: &catalog::Catalog, world: &World, query: &str, token: Option<&str>) -> (StatusCode, Value) {
    let path = format!("/client/v1/competitions/{}/leaderboard", world.competition);
    invoke(f, "catalog-leaderboard", |e| {
        e["rawPath"] = path.clone().into();
        e["requestContext"]["http"]["path"] = path.into();
        e["pathParameters"]["competition_id"] = world.competition.clone().into();
        e["rawQueryString"] = format!("event_id={}&route_code=route-a&{query}", world.event).into();
        e.as_object_mut().unwrap().remove("queryStringParameters");
        if let Some(token) = token {
            with_bearer(e, token);
        }
    })
    .await
}

#[tokio::test]
async fn a_board_of_1000_results_pages_in_ranking_order_with_ties_and_me() {
    // given 1,000 runners on one board, their times in steps of 5 s (so every fifth ties)
    let f = catalog().await;
    let db = tests::db().await;
    let world = world(true).await;
    let users: Vec<String> = (0..1000).map(|i| format!("usr_board_{i:04}_{}", unique(""))).collect();
    let offered: Vec<bool> = futures::stream::iter(users.iter().enumerate().map(|(i, user)| {
        let entry = LeaderboardEntry::of(&result(&world, user, 600 + (i as i64 / 5) * 5, None), 1_800_000_000_000 + i as i64).unwrap();
        let db = db.clone();
        async move { shared::store::board::offer(&db, &entry, Tx::new()).await.unwrap() }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    assert!(offered.iter().all(|o| *o));
    let me = &users[637];
    let token = tests::access_token(me, ClientType::App);

    // when the board is read 100 at a time by runner 637
    let mut seen: Vec<(u64, i64, String)> = Vec::new();
    let mut cursor = String::new();
    let mut page_ms = Vec::new();
    let mut mine = Vec::new();
    loop {
        let began = Instant::now();
        let (status, page) = board(&f, &world, &format!("limit=100{cursor}"), Some(&token)).await;
        page_ms.push(began.elapsed().as_millis());
        assert_eq!(status, StatusCode::OK, "{page}");
        mine.push(page["data"]["me"].clone());
        for item in page["data"]["items"].as_array().unwrap() {
            assert!(item["display_name"].as_str().unwrap().starts_with("Runner "), "{item}");
            assert!(!item.to_string().contains("usr_board_"), "a user id is shown: {item}");
            seen.push((item["rank"].as_u64().unwrap(), item["time_s"].as_i64().unwrap(), item["session_id"].as_str().unwrap().into()));
        }
        match page["data"]["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }

    // then all 1,000 in ten pages, by time, ties sharing a rank (1,1,1,1,1,6,…)
    assert_eq!((seen.len(), page_ms.len()), (1000, 10));
    for (i, (rank, time_s, _)) in seen.iter().enumerate() {
        assert_eq!(*time_s, 600 + (i as i64 / 5) * 5);
        assert_eq!(*rank, (i as u64 / 5) * 5 + 1, "position {i}");
    }
    // and runner 637 is `me` on every page, with the rank it has on the board
    assert!(mine.iter().all(|m| m["rank"] == 636 && m["time_s"] == 600 + 127 * 5), "{mine:?}");
    // and an anonymous reader gets no `me`; an altered cursor is refused
    let (_, anonymous) = board(&f, &world, "limit=5", None).await;
    assert_eq!(anonymous["data"]["me"], Value::Null);
    let mut altered = anonymous["data"]["next_cursor"].as_str().unwrap().to_string().into_bytes();
    altered[12] = if altered[12] == b'a' { b'b' } else { b'a' };
    let (status, refused) = board(&f, &world, &format!("limit=5&cursor={}", String::from_utf8(altered).unwrap()), None).await;
    assert_eq!((status, refused["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("cursor")));
    page_ms.sort();
    println!(
        "leaderboard: 1,000 results on one board → 10 pages of 100 in ranking order (ties share a rank), page {}–{} ms (median {} ms), 1 Query per page, `me` off the page: 1 GetItem + 1 COUNT Query",
        page_ms[0], page_ms[9], page_ms[5]
    );
}

#[tokio::test]
async fn a_better_run_replaces_the_entry_and_a_worse_one_never_does_even_at_once() {
    let db = tests::db().await;
    let world = world(true).await;
    let user = unique("usr_best_");
    // when twenty runs of one user are offered at once, in no order
    let times: Vec<i64> = (0..20).map(|i| 900 - (i * 37) % 400).collect();
    let best = *times.iter().min().unwrap();
    let stored: Vec<bool> = futures::stream::iter(times.iter().map(|&t| {
        let entry = LeaderboardEntry::of(&result(&world, &user, t, None), 1_800_000_000_000).unwrap();
        let db = db.clone();
        async move { shared::store::board::offer(&db, &entry, Tx::new()).await.unwrap() }
    }))
    .buffer_unordered(20)
    .collect()
    .await;
    // then the entry is the best of them, and later a worse run leaves it
    let board_pk = shared::store::keys::board_pk(&world.competition, &world.event, "route-a");
    let entry = shared::store::board::entry(&db, &board_pk, &user).await.unwrap().unwrap();
    assert_eq!(entry.time_s, best, "{stored:?}");
    let worse = LeaderboardEntry::of(&result(&world, &user, best + 1, None), 1_700_000_000_000).unwrap();
    assert!(!shared::store::board::offer(&db, &worse, Tx::new()).await.unwrap());
    assert_eq!(shared::store::board::entry(&db, &board_pk, &user).await.unwrap().unwrap().time_s, best);
    // and a score board ranks by net points first, then time
    let score = |net, t| LeaderboardEntry::of(&result(&world, &unique("usr_s_"), t, Some(net)), 1_800_000_000_000).unwrap();
    let (a, b, c) = (score(90, 2000), score(120, 2500), score(90, 1900));
    assert!(b.sort_key < c.sort_key && c.sort_key < a.sort_key);
}

#[tokio::test]
async fn only_where_the_competition_shows_one() {
    let f = catalog().await;
    let hidden = world(false).await;
    let (status, body) = board(&f, &hidden, "", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("leaderboard_not_enabled")));
    let shown = world(true).await;
    let mut elsewhere = shown.clone();
    elsewhere.event = unique("ev-");
    let (status, body) = board(&f, &elsewhere, "", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("event_not_found")));
    let (status, body) = board(&f, &shown, "", None).await;
    assert_eq!((status, body["data"]["items"].clone()), (StatusCode::OK, json!([])));
}
