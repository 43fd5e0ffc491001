//! A competition's leaderboard through the `catalog` handler with the `events/` event: ranking,
//! ties, paging with sealed cursors, the caller's own entry, and the conditional write that
//! keeps each user's best run.

use futures::StreamExt;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::model::catalog::course::RouteKind;
use shared::model::leaderboard::LeaderboardEntry;
use shared::model::result::{FinishReason, ResultStatus, RunResult, Score, SessionResult, TrackCheck, TrackStatus, Verification};
use shared::store::db::Tx;
use shared::support::types::ClientType;
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
    let board_pk = shared::model::leaderboard::Board::of(&world.competition, &world.event, "route-a");
    let entry = shared::store::board::entry(&db, board_pk, &user).await.unwrap().unwrap();
    assert_eq!(entry.time_s, best, "{stored:?}");
    let worse = LeaderboardEntry::of(&result(&world, &user, best + 1, None), 1_700_000_000_000).unwrap();
    assert!(!shared::store::board::offer(&db, &worse, Tx::new()).await.unwrap());
    assert_eq!(shared::store::board::entry(&db, board_pk, &user).await.unwrap().unwrap().time_s, best);
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

/// A run stored as the finish stored it before results were judged for time, speed and track:
/// accepted punches at `times` (each 3 m from its control), an `OK` result without checks, its
/// track (`samples`), and the board entry it made. Its session id.
async fn stored_before_the_rules(db: &shared::store::db::Db, world: &World, times: &[i64], samples: &[Value]) -> String {
    use shared::model::run::punch::{Punch, Verdict};
    use shared::model::run::samples::Sample;
    use shared::model::run::samples::SampleBatch;
    use shared::store::keys;
    let user = unique("usr_old_");
    let mut session = tests::session_record(db, &user, &world.event, &world.release, "route-a", 3600).await;
    session.competition_id = Some(world.competition.clone());
    session.state = shared::model::run::session::SessionState::Finished;
    session.finished_at = Some(times[times.len() - 1]);
    let route = session.course.routes[0].controls.clone();
    session.punch_count = route.len() as u32;
    tests::write_session(db, &session).await;
    let mut items = Vec::new();
    for (seq, (code, t)) in route.iter().zip(times).enumerate() {
        let c = session.course.control(code).unwrap();
        let punch = Punch {
            punch_seq: seq as u32,
            control_code: code.clone(),
            t: *t,
            lat: c.lat + tests::PUNCH_OFFSET_DEG,
            lng: c.lng,
            accuracy_m: 5.0,
            content_hash: "h".into(),
            verdict: Verdict::Accepted,
            reason: None,
            distance_m: Some(3.0),
        };
        items.push(shared::store::db::item(&keys::punch(&session.session_id, seq as u32), &punch));
    }
    let samples: Vec<Sample> = samples.iter().map(|s| serde_json::from_value(s.clone()).unwrap()).collect();
    for (seq, chunk) in samples.chunks(1000).enumerate() {
        items.push(shared::store::db::item(
            &keys::sample_batch(&session.session_id, seq as u32),
            &SampleBatch::new(seq as u32, "h".into(), chunk),
        ));
    }
    let time_s = (times[times.len() - 1] - times[0]) / 1000;
    let mut stored = result(world, &user, time_s, None);
    stored.session_id = session.session_id.clone();
    (stored.last_punch_seq, stored.verification) = (None, Default::default());
    items.push(shared::store::db::item(&keys::session_result(&session.session_id), &stored));
    tests::put_all(items).await;
    // the entry the finish offered then, when an `OK` was all a board asked
    let ranked = SessionResult { verification: result(world, &user, time_s, None).verification, ..stored };
    assert!(shared::store::board::offer(db, &LeaderboardEntry::of(&ranked, 1_800_000_000_000).unwrap(), Tx::new()).await.unwrap());
    session.session_id
}

#[tokio::test]
async fn a_board_judged_again_keeps_honest_runs_and_withdraws_the_cheats() {
    // given a board that took, before results were judged, a run of −13 s and an honest one
    let db = tests::db().await;
    let world = world(true).await;
    let course =
        shared::store::catalog::release(&db, &world.event, &world.release).await.unwrap().unwrap().course.of_route("route-a").unwrap();
    let route = course.routes[0].controls.clone();
    let start = shared::support::clock::now_ms() - 3_000_000;
    let honest = tests::honest_run(&course, &route, start, 4.0, 2_000);
    let honest_times: Vec<i64> = honest.punches.iter().map(|p| p.1).collect();
    let mut cheat_times = honest_times.clone();
    *cheat_times.last_mut().unwrap() = start - 13_000;
    let kept = stored_before_the_rules(&db, &world, &honest_times, &honest.samples).await;
    let cheat = stored_before_the_rules(&db, &world, &cheat_times, &[]).await;

    // when the operator judges the board again (`catalog-tool rejudge`)
    let (judged, withdrawn) = shared::service::result::rejudge_board(&db, &world.competition, &world.event, "route-a").await.unwrap();

    // then both were judged and the cheat withdrawn; its result says why, the honest run still ranks
    assert_eq!((judged, withdrawn), (2, 1));
    let board_pk = shared::model::leaderboard::Board::of(&world.competition, &world.event, "route-a");
    let (entries, _) = shared::store::board::page(&db, board_pk, 10, None).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.session_id.as_str()).collect::<Vec<_>>(), [kept.as_str()]);
    let (_, rejudged) = shared::store::session::with_result(&db, &cheat).await.unwrap().unwrap();
    let rejudged = rejudged.unwrap();
    assert_eq!((rejudged.result.status, rejudged.verification.time_order.passed), (ResultStatus::MissingPunch, false));
    let (_, honest_result) = shared::store::session::with_result(&db, &kept).await.unwrap().unwrap();
    assert!(honest_result.unwrap().rankable());
    // and judging it again changes nothing more
    assert_eq!(shared::service::result::rejudge_board(&db, &world.competition, &world.event, "route-a").await.unwrap(), (1, 0));
}
