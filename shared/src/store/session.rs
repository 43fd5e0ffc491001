//! The session items: the session's record (indexed under its user for the history), its
//! punches, its sample batches and its result — and the conditional writes that keep a
//! finished session's result equal to the punches it was computed from. A run on a live board
//! places its items there as it writes them (`store::live`).

use crate::model::result::SessionResult;
use crate::model::run::punch::{AcceptedPunch, Punch};
use crate::model::run::samples::SampleBatch;
use crate::model::run::session::{Session, SessionState};
use crate::store::db::{ABSENT, After, Assign, Db, Item, Range, Tx, TxItem, Write, decode, decode_opt, encode, item, n, owner_index, s};
use crate::store::error::Error;
use crate::store::keys;
use crate::store::live::Tag;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

/// Creates the session, with its place in the user's history (GSI1: newest last).
pub fn put_new(db: &Db, session: &Session) -> Write {
    let history = keys::user_session(&session.user_id, session.created_at, &session.session_id);
    db.put_new_owned(&keys::session(&session.session_id), &history, session)
}

/// Counts a launch against the user's allowance of `max` sessions (the launch's transaction).
pub fn count_launch(db: &Db, user_id: &str, max: u32) -> Write {
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::user_session_count(user_id).to_map()))
        .update_expression("ADD launched :one")
        .condition_expression("attribute_not_exists(launched) OR launched < :max")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":max", n(max))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// The user's sessions, oldest first (eventually consistent: read through the index).
pub async fn of_user(db: &Db, user_id: &str) -> Result<Vec<Session>, Error> {
    let items = db.query_gsi1(&keys::user_pk(user_id), Range::Prefix(keys::USER_SESSION_PREFIX), None).await?;
    items.into_iter().map(decode).collect()
}

/// One page of the user's sessions, newest first, after `after`; and whether more follow.
pub async fn page_of_user(db: &Db, user_id: &str, limit: usize, after: Option<(i64, &str)>) -> Result<(Vec<Session>, bool), Error> {
    let after = after.map(|(created_at, session_id)| After {
        key: keys::session(session_id),
        index: keys::user_session(user_id, created_at, session_id),
    });
    let (items, more) = db.owned_page(&keys::user_pk(user_id), keys::USER_SESSION_PREFIX, limit, after).await?;
    Ok((items.into_iter().map(decode).collect::<Result<_, _>>()?, more))
}

/// The session's record (strongly consistent).
pub async fn get(db: &Db, session_id: &str) -> Result<Option<Session>, Error> {
    db.get(&keys::session(session_id)).await
}

/// What a punch or a finish is judged by, read in one Query: the session, its punches in
/// `punch_seq` order, and its result once there is one.
pub struct Chain {
    pub session: Session,
    pub punches: Vec<Punch>,
    pub result: Option<SessionResult>,
}

pub async fn chain(db: &Db, session_id: &str) -> Result<Option<Chain>, Error> {
    let items = db.query(&keys::session_pk(session_id), Range::Between(keys::META, keys::SESSION_RESULT), None).await?;
    Ok(assemble(items)?.map(|(chain, _)| chain))
}

/// Everything the session holds — record, punches, result and track batches — in one Query.
pub async fn whole(db: &Db, session_id: &str) -> Result<Option<(Chain, Vec<SampleBatch>)>, Error> {
    assemble(db.query(&keys::session_pk(session_id), Range::All, None).await?)
}

fn assemble(items: Vec<Item>) -> Result<Option<(Chain, Vec<SampleBatch>)>, Error> {
    let (mut session, mut punches, mut result, mut batches) = (None, Vec::new(), None, Vec::new());
    for item in items {
        match crate::store::db::text(&item, keys::SK) {
            Some(keys::META) => session = Some(decode(item)?),
            Some(keys::SESSION_RESULT) => result = Some(decode(item)?),
            Some(sk) if sk.starts_with(keys::SAMPLE_BATCH_PREFIX) => batches.push(decode(item)?),
            _ => punches.push(decode(item)?),
        }
    }
    Ok(session.map(|session| (Chain { session, punches, result }, batches)))
}

/// Every result of one route of an event (through GSI1, eventually consistent).
pub async fn route_results(db: &Db, event_id: &str, route_code: &str) -> Result<Vec<SessionResult>, Error> {
    let items = db.query_gsi1(&keys::route_results_pk(event_id, route_code), Range::All, None).await?;
    items.into_iter().map(decode).collect()
}

/// The session and its result, in one read.
pub async fn with_result(db: &Db, session_id: &str) -> Result<Option<(Session, Option<SessionResult>)>, Error> {
    let [session, result] = db.batch_get([keys::session(session_id), keys::session_result(session_id)]).await?;
    let Some(session) = decode_opt::<Session>(session)? else { return Ok(None) };
    Ok(Some((session, decode_opt(result)?)))
}

/// The session's sample batches in `batch_seq` order.
pub async fn batches(db: &Db, session_id: &str) -> Result<Vec<SampleBatch>, Error> {
    let items: Vec<Item> = db.query(&keys::session_pk(session_id), Range::Prefix(keys::SAMPLE_BATCH_PREFIX), None).await?;
    items.into_iter().map(decode).collect()
}

/// Stores a batch: new, or the same content again (a `resend`); the session counts it, and its
/// samples while they stay within `max_samples`. Taken while the session runs and until
/// `late_cutoff_ms` once it is finished.
/// A runner who shares their position has the batch on the live board too (`live`).
pub fn add_batch(
    db: &Db,
    session_id: &str,
    batch: &SampleBatch,
    resend: bool,
    max_samples: u32,
    late_cutoff_ms: i64,
    live: Option<&Tag>,
) -> Tx {
    let mut stored = item(&keys::sample_batch(session_id, batch.batch_seq), batch);
    stored.extend(live.and_then(|tag| tag.batch(batch)).unwrap_or_default());
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(stored))
        .condition_expression("attribute_not_exists(PK) OR content_hash = :hash")
        .expression_attribute_values(":hash", s(&batch.content_hash))
        .build()
        .expect("put is complete");
    let open = "attribute_exists(PK) AND (#state = :active OR finished_at > :cutoff)";
    let count = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::session(session_id).to_map()))
        .expression_attribute_names("#seq", batch.batch_seq.to_string())
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":count", n(batch.count))
        .expression_attribute_values(":active", s(SessionState::Active.as_str()))
        .expression_attribute_values(":cutoff", n(late_cutoff_ms));
    // A resend changes nothing; a new batch adds its samples while the session has room for them.
    let count = if resend {
        count.update_expression("SET batches.#seq = :count").condition_expression(format!("{open} AND attribute_exists(batches.#seq)"))
    } else {
        count
            .update_expression("SET batches.#seq = :count ADD sample_count :count")
            .condition_expression(format!(
                "{open} AND attribute_not_exists(batches.#seq) AND (attribute_not_exists(sample_count) OR sample_count <= :room)"
            ))
            .expression_attribute_values(":room", n(max_samples.saturating_sub(batch.count)))
    };
    Tx::new()
        .with(TxItem::Batch, TransactWriteItem::builder().put(put).build())
        .with(TxItem::Session, TransactWriteItem::builder().update(count.build().expect("update is complete")).build())
}

/// What a punch is judged by, in one read: the session and a punch already held under its
/// `punch_seq` (a resend).
pub async fn punch_context(db: &Db, session_id: &str, punch_seq: u32) -> Result<(Option<Session>, Option<Punch>), Error> {
    let [session, held] = db.batch_get([keys::session(session_id), keys::punch(session_id, punch_seq)]).await?;
    Ok((decode_opt(session)?, decode_opt(held)?))
}

/// Stores a judged punch, once per `punch_seq`, on the condition that its session exists, which
/// notes its `punch_seq` (`Session::punch_seqs`). While the session runs the punch is counted
/// (and `noted`, if accepted, for the next punch's judgement), on the condition that it still
/// runs: a finish never misses a punch it was not computed from. An accepted punch of a run on a
/// live board is placed on it (`live`: the board and the control's place on the route).
pub fn add_punch(db: &Db, session_id: &str, punch: &Punch, counted: bool, noted: Option<&AcceptedPunch>, live: Option<(&Tag, u32)>) -> Tx {
    let mut stored = item(&keys::punch(session_id, punch.punch_seq), punch);
    if let Some((tag, control_index)) = live.filter(|_| counted && noted.is_some()) {
        stored.extend(tag.punch(punch, control_index));
    }
    let mut tx = Tx::new().with(TxItem::Punch, db.put_item(stored, Some(ABSENT)));
    let seq = AttributeValue::Ns(vec![punch.punch_seq.to_string()]);
    if !counted {
        let noted = Update::builder()
            .table_name(&db.table)
            .set_key(Some(keys::session(session_id).to_map()))
            .update_expression("ADD punch_seqs :seqs")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":seqs", seq)
            .build()
            .expect("update is complete");
        tx.push(TxItem::Session, TransactWriteItem::builder().update(noted).build());
        return tx;
    }
    let mut count = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::session(session_id).to_map()))
        .update_expression(if noted.is_some() {
            "ADD punch_count :one, punch_seqs :seqs SET accepted_punches.#seq = :punch"
        } else {
            "ADD punch_count :one, punch_seqs :seqs"
        })
        .condition_expression("#state = :active")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":seqs", seq)
        .expression_attribute_values(":active", s(SessionState::Active.as_str()));
    if let Some(noted) = noted {
        count = count
            .expression_attribute_names("#seq", punch.punch_seq.to_string())
            .expression_attribute_values(":punch", AttributeValue::M(encode(noted)));
    }
    tx.push(TxItem::Session, TransactWriteItem::builder().update(count.build().expect("update is complete")).build());
    tx
}

/// The session's headline of its result, for the history and for a late upload to know whether
/// the run waits for its track (`track_status`).
fn headline(result: &SessionResult) -> Item {
    let r = &result.result;
    let mut set = Item::from([
        ("result_status".to_string(), s(r.status.as_str())),
        ("track_status".to_string(), s(result.verification.track.status.as_str())),
    ]);
    set.extend(r.time_s.map(|t| ("time_s".to_string(), n(t))));
    set.extend(r.score.map(|score| ("net".to_string(), n(score.net))));
    set
}

/// The session's result as stored: indexed under its event's route (`owner`, for exports) and,
/// on a live board, at the time the run ended.
fn result_item(session: &Session, result: &SessionResult, owner: &keys::Key) -> Item {
    let mut stored = item(&keys::session_result(&session.session_id), result);
    stored.extend(owner_index(owner));
    stored.extend(Tag::of(session).map(|tag| tag.result(result)).unwrap_or_default());
    stored
}

/// Finishes the session with its result: only while it runs and holds exactly the punches
/// the result was computed from. The result is indexed under its event's route for exports.
pub fn finish(db: &Db, session: &Session, result: &SessionResult, punches_seen: u32, now_ms: i64) -> Tx {
    let owner = keys::route_result(&session.event_id, &session.route_code, now_ms, &session.session_id);
    let mut set = headline(result);
    set.insert("state".to_string(), s(SessionState::Finished.as_str()));
    set.insert("finished_at".to_string(), n(now_ms));
    let (expression, mut names, mut values) = Assign { set, ..Assign::default() }.expression();
    names.insert("#state".into(), "state".into());
    values.insert(":active".into(), s(SessionState::Active.as_str()));
    values.insert(":seen".into(), n(punches_seen));
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::session(&session.session_id).to_map()))
        .update_expression(expression)
        .condition_expression("#state = :active AND punch_count = :seen")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("update is complete");
    Tx::new()
        .with(TxItem::Result, db.put_item(result_item(session, result, &owner), Some(ABSENT)))
        .with(TxItem::Session, TransactWriteItem::builder().update(update).build())
}

/// Replaces a finished session's result with a judgement made again (`result`). Given the result
/// it replaces (`stored`), only if that is still the judgement of fewer samples, so two late
/// uploads judging at once keep the later knowledge. The result keeps its place in the index.
pub fn rejudge(db: &Db, session: &Session, result: &SessionResult, stored: Option<&SessionResult>) -> Tx {
    let owner = keys::route_result(&session.event_id, &session.route_code, session.finished_at.unwrap_or(0), &session.session_id);
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(result_item(session, result, &owner)))
        .condition_expression("attribute_exists(PK)");
    let put = match stored {
        Some(stored) => put
            .condition_expression("#v.#t.#n = :stored AND #v.#t.#n < :samples")
            .expression_attribute_names("#v", "verification")
            .expression_attribute_names("#t", "track")
            .expression_attribute_names("#n", "samples")
            .expression_attribute_values(":stored", n(stored.verification.track.samples))
            .expression_attribute_values(":samples", n(result.verification.track.samples)),
        None => put,
    };
    let put = put.build().expect("put is complete");
    let (expression, names, values) = Assign { set: headline(result), ..Assign::default() }.expression();
    let update = Update::builder()
        .table_name(&db.table)
        .set_key(Some(keys::session(&session.session_id).to_map()))
        .update_expression(expression)
        .condition_expression("attribute_exists(PK)")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("update is complete");
    Tx::new()
        .with(TxItem::Result, TransactWriteItem::builder().put(put).build())
        .with(TxItem::Session, TransactWriteItem::builder().update(update).build())
}
