//! Leaderboard entries: one per user per board, indexed on GSI1 under the board in ranking
//! order. A better run replaces the entry and a worse one does not — decided by the write's
//! condition, so concurrent finishes cannot put a worse run back.

use crate::model::leaderboard::{Board, LeaderboardEntry};
use crate::store::db::{After, Db, Tx, TxError, TxItem, decode, fault, item, owner_index, s};
use crate::store::error::Error;
use crate::store::keys;
use aws_sdk_dynamodb::types::{Delete, Put, Select, TransactWriteItem};

/// Offers a run to its board, in one transaction with `guards` (the runner's login still alive):
/// stored if the user has no entry there yet or this one ranks before it. Whether it was stored;
/// a failed guard is the caller's to answer.
pub async fn offer(db: &Db, entry: &LeaderboardEntry, guards: Tx) -> Result<bool, TxError> {
    let board = keys::board_pk(&entry.board());
    let mut stored = item(&keys::board_entry(&board, &entry.user_id), entry);
    stored.extend(owner_index(&keys::board_rank(&board, &entry.sort_key)));
    let put = Put::builder()
        .table_name(&db.table)
        .set_item(Some(stored))
        .condition_expression("attribute_not_exists(PK) OR sort_key > :new")
        .expression_attribute_values(":new", s(&entry.sort_key))
        .build()
        .expect("put is complete");
    let mut tx = Tx::new().with(TxItem::BoardEntry, TransactWriteItem::builder().put(put).build());
    tx.append(guards);
    match db.transact(tx).await {
        Ok(()) => Ok(true),
        Err(TxError::Conditions(failed)) if failed == [TxItem::BoardEntry] => Ok(false),
        Err(e) => Err(e),
    }
}

/// Takes a run off its board (a judgement that no longer ranks it), if it is the entry there.
pub async fn withdraw(db: &Db, board: Board<'_>, user_id: &str, session_id: &str) -> Result<bool, Error> {
    let delete = Delete::builder()
        .table_name(&db.table)
        .set_key(Some(keys::board_entry(&keys::board_pk(&board), user_id).to_map()))
        .condition_expression("session_id = :session")
        .expression_attribute_values(":session", s(session_id))
        .build()
        .expect("delete is complete");
    match db.transact(Tx::new().with(TxItem::BoardEntry, TransactWriteItem::builder().delete(delete).build())).await {
        Ok(()) => Ok(true),
        Err(e) if e.failed(TxItem::BoardEntry) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One page of a board in ranking order, after the entry with `after` (its user and sort key),
/// in one Query; and whether more follow.
pub async fn page(db: &Db, board: Board<'_>, limit: usize, after: Option<(&str, &str)>) -> Result<(Vec<LeaderboardEntry>, bool), Error> {
    let board = &keys::board_pk(&board);
    let after = after.map(|(user_id, sort_key)| After { key: keys::board_entry(board, user_id), index: keys::board_rank(board, sort_key) });
    let (items, more) = db.gsi1_page(board, None, true, limit, after).await?;
    Ok((items.into_iter().map(decode).collect::<Result<_, _>>()?, more))
}

/// The user's entry on a board (strongly consistent).
pub async fn entry(db: &Db, board: Board<'_>, user_id: &str) -> Result<Option<LeaderboardEntry>, Error> {
    db.get(&keys::board_entry(&keys::board_pk(&board), user_id)).await
}

/// How many entries rank strictly before `rank_key` (a COUNT Query of the index).
pub async fn ahead_of(db: &Db, board: Board<'_>, rank_key: &str) -> Result<u64, Error> {
    let board = keys::board_pk(&board);
    use crate::store::keys::{GSI1, GSI1PK, GSI1SK};
    let mut count = 0u64;
    let mut start = None;
    loop {
        let out = db
            .client
            .query()
            .table_name(&db.table)
            .index_name(GSI1)
            .select(Select::Count)
            .key_condition_expression("#pk = :pk AND #sk < :rank")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_names("#sk", GSI1SK)
            .expression_attribute_values(":pk", s(&board))
            .expression_attribute_values(":rank", s(rank_key))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(fault)?;
        count += out.count.max(0) as u64;
        start = out.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() {
            return Ok(count);
        }
    }
}
