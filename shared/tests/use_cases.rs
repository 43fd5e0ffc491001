//! Use cases whose rules are their own — the finish's race and retry, the leaderboard's `me` off
//! the page — against a recorded DynamoDB: the SDK's interceptor answers each request as the
//! table would at that moment (`aws-smithy-mocks`), so no moto is needed and the sequence of
//! requests is itself asserted.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_sdk_dynamodb::types::{CancellationReason, Select};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use shared::model::catalog::course::RouteKind;
use shared::model::leaderboard::{Board, BoardEntry, LeaderboardEntry, display_name};
use shared::model::result::FinishReason;
use shared::model::result::verify::adjudicate;
use shared::model::run::session::{Session, SessionState};
use shared::service::leaderboard;
use shared::service::result::{FinishRequest, finish};
use shared::store::Db;
use shared::store::db::item;
use shared::store::keys;
use shared::support::cursor::Cursors;
use shared::support::tokens::{Claims, Tokens};
use std::collections::HashMap;

const SECRET: &[u8] = b"use-case-test-secret-0123456789abcdef";

fn session(now_ms: i64) -> Session {
    serde_json::from_value(serde_json::json!({
        "session_id": "ses_race",
        "user_id": "usr_runner",
        "participant_id": "par_1",
        "event_id": "evt_1",
        "event_display_name": "Park sprint",
        "event_release_id": "rel_1",
        "playfield_version_id": "pf_1",
        "route_code": "A",
        "course": {
            "controls": [
                { "code": "S1", "kind": "start", "lat": 31.2, "lng": 121.4, "radius_m": 15 },
                { "code": "F1", "kind": "finish", "lat": 31.21, "lng": 121.4, "radius_m": 15 }
            ],
            "routes": [{ "route_code": "A", "kind": "classic", "controls": ["S1", "F1"] }]
        },
        "client_type": "app",
        "device_id": "dev_1",
        "state": "active",
        "created_at": now_ms / 1000 - 600,
    }))
    .expect("a session record")
}

fn session_claims(session: &Session) -> Claims {
    login_claims(session, None)
}

/// The session token of `session`, issued to the login `family`.
fn login_claims(session: &Session, family: Option<&str>) -> Claims {
    let tokens = Tokens::new(SECRET, "client-api", "client-api", 3600, 7200);
    let (token, _) =
        tokens.issue_session(&session.user_id, session.client_type, &session.device_id, &session.session_id, family, session.created_at);
    tokens.verify_session(&token).expect("a session token")
}

fn items(records: Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>) -> QueryOutput {
    QueryOutput::builder().set_items(Some(records)).count(0).scanned_count(0).build()
}

#[tokio::test]
async fn a_finish_that_loses_the_race_answers_the_winners_result_and_writes_nothing_more() {
    // given a running session another finish completes between this finish's read and its write
    let now_ms = shared::support::clock::now_ms();
    let running = session(now_ms);
    let winner = adjudicate(&running, &[], &[], FinishReason::Completed, now_ms - 1_000, None);
    let finished = Session { state: SessionState::Finished, finished_at: Some(now_ms - 500), ..running.clone() };
    let (first, second) = (
        vec![item(&keys::session(&running.session_id), &running)],
        vec![item(&keys::session(&finished.session_id), &finished), item(&keys::session_result(&finished.session_id), &winner)],
    );
    let reads = mock!(Client::query).sequence().output(move || items(first.clone())).output(move || items(second.clone())).build();
    let lost = mock!(Client::transact_write_items).then_error(|| {
        let reason = |code: &str| CancellationReason::builder().code(code).build();
        // The result's put fails (another finish wrote it); the session's update is not judged.
        let cancelled = TransactionCanceledException::builder()
            .cancellation_reasons(reason("ConditionalCheckFailed"))
            .cancellation_reasons(reason("None"))
            .build();
        TransactWriteItemsError::TransactionCanceledException(cancelled)
    });
    let db = Db::with_client(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&reads, &lost]), "table");
    // when this finish, abandoned, arrives
    let request = FinishRequest { last_punch_seq: None, reason: FinishReason::Abandoned, finished_at: now_ms - 200 };
    let answer = finish(&db, &session_claims(&running), &running.session_id, request, now_ms).await.expect("a result");
    // then it answers the winner's result, having read twice and tried to write once
    assert_eq!(answer, winner);
    assert_eq!(answer.reason, FinishReason::Completed);
    assert_eq!((reads.num_calls(), lost.num_calls()), (2, 1));
}

/// A finish that names punches the session never got, from a login that has `ended` or not.
async fn finish_with_punches_missing(ended: bool) -> shared::ApiError {
    let now_ms = shared::support::clock::now_ms();
    let running = session(now_ms);
    let stored = vec![item(&keys::session(&running.session_id), &running)];
    let read = mock!(Client::query).then_output(move || items(stored.clone()));
    let family = mock!(Client::get_item).then_output(move || {
        let revoked = ended.then(|| HashMap::from([("revoked_at".to_string(), aws_sdk_dynamodb::types::AttributeValue::N("1".into()))]));
        aws_sdk_dynamodb::operation::get_item::GetItemOutput::builder().set_item(revoked).build()
    });
    let db = Db::with_client(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&read, &family]), "table");
    let request = FinishRequest { last_punch_seq: Some(1), reason: FinishReason::Completed, finished_at: now_ms - 200 };
    let refused = finish(&db, &login_claims(&running, Some("fam_1")), &running.session_id, request, now_ms).await.expect_err("refused");
    assert_eq!(family.num_calls(), 1, "the login is read on this answer");
    refused
}

#[tokio::test]
async fn punches_missing_after_the_login_ended_is_told_as_the_ended_login() {
    // given a finish naming two punches the session does not hold
    // when its login lives, then the phone is told to send them; when it has ended, that it has
    assert_eq!(finish_with_punches_missing(false).await.code.as_str(), "punches_missing");
    assert_eq!(finish_with_punches_missing(true).await.code.as_str(), "unauthorized");
}

fn entry(user_id: &str, time_s: i64) -> LeaderboardEntry {
    let session_id = format!("ses_{user_id}");
    let order = BoardEntry { kind: RouteKind::Classic, time_s, net: None, finished_at: 1_800_000_000_000, session_id: &session_id };
    LeaderboardEntry {
        competition_id: "cmp_1".into(),
        event_id: "evt_1".into(),
        route_code: "A".into(),
        user_id: user_id.into(),
        session_id: session_id.clone(),
        display_name: display_name(user_id),
        kind: RouteKind::Classic,
        time_s,
        net: None,
        finished_at: 1_800_000_000_000,
        rank_key: order.rank_key(),
        sort_key: order.sort_key(),
    }
}

/// A board whose first page holds `page`, with more after it, and the caller's own entry `mine`
/// with `ahead` entries before it.
fn board(page: Vec<LeaderboardEntry>, mine: Option<LeaderboardEntry>, ahead: i32) -> (Db, [aws_smithy_mocks::Rule; 3]) {
    let board = Board::of("cmp_1", "evt_1", "A");
    let stored: Vec<_> = page.iter().map(|e| item(&keys::board_entry(&keys::board_pk(&board), &e.user_id), e)).collect();
    let last = stored.last().cloned().unwrap_or_default();
    let page_read = mock!(Client::query)
        .match_requests(|q| q.select() != Some(&Select::Count))
        .then_output(move || QueryOutput::builder().set_items(Some(stored.clone())).set_last_evaluated_key(Some(last.clone())).build());
    let count = mock!(Client::query)
        .match_requests(|q| q.select() == Some(&Select::Count))
        .then_output(move || QueryOutput::builder().count(ahead).build());
    let own = mock!(Client::get_item).then_output(move || {
        let found = mine.as_ref().map(|e| item(&keys::board_entry(&keys::board_pk(&board), &e.user_id), e));
        aws_sdk_dynamodb::operation::get_item::GetItemOutput::builder().set_item(found).build()
    });
    let db = Db::with_client(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&page_read, &count, &own]), "table");
    (db, [page_read, count, own])
}

#[tokio::test]
async fn me_off_the_page_is_ranked_by_counting_those_ahead() {
    // given a first page of two runs, and the caller's own run with five entries ahead of it
    let (db, [page_read, count, own]) = board(vec![entry("usr_a", 600), entry("usr_b", 610)], Some(entry("usr_me", 900)), 5);
    let cursors = Cursors::new(SECRET.to_vec());
    // when the caller reads the first page
    let page = leaderboard::page(&db, &cursors, Board::of("cmp_1", "evt_1", "A"), Some("usr_me"), 2, None).await.expect("a page");
    // then the page ranks 1 and 2, `me` is the sixth, counted once, and the next page has a cursor
    assert_eq!(page.items.iter().map(|r| (r.rank, r.entry.user_id.as_str())).collect::<Vec<_>>(), [(1, "usr_a"), (2, "usr_b")]);
    let me = page.me.expect("the caller's own entry");
    assert_eq!((me.rank, me.entry.user_id.as_str()), (6, "usr_me"));
    assert_eq!((page_read.num_calls(), own.num_calls(), count.num_calls()), (1, 1, 1));
    assert!(page.next_cursor.is_some());
}

#[tokio::test]
async fn me_on_the_page_costs_no_count_and_ties_share_a_rank() {
    // given a page where the caller ties with the run before them
    let (db, [_, count, _]) = board(vec![entry("usr_a", 600), entry("usr_me", 600)], Some(entry("usr_me", 600)), 1);
    let cursors = Cursors::new(SECRET.to_vec());
    // when read
    let page = leaderboard::page(&db, &cursors, Board::of("cmp_1", "evt_1", "A"), Some("usr_me"), 2, None).await.expect("a page");
    // then `me` is the page's own entry, at the shared rank, and nothing was counted
    assert_eq!(page.items.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(page.me.map(|m| m.rank), Some(1));
    assert_eq!(count.num_calls(), 0);
}
