//! Verifying the log: the lane registry, each lane's head MAC, every row's link and hash, each lane's tail against
//! its head, and each signed checkpoint given against the rows.

use std::collections::BTreeMap;

use serde::Serialize;

use super::chain::{export, AuditRow, Head};
use super::checkpoint::{Checkpoint, LaneMark};
use super::Lanes;
use crate::store::{StoreError, WriteTx};
use crate::vault::ServiceKeys;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The lane registry does not carry its MAC: lanes were added or removed by someone without the key.
    LanesUnauthenticated,
    /// A lane the registry counts has no head: the lane was removed.
    LaneMissing { lane: i64 },
    /// A head or rows of a lane the registry does not count.
    UnknownLane { lane: i64 },
    /// The head (last link or retained base) does not carry its MAC: rewritten, re-based or rolled back by
    /// someone without the audit-chain key.
    HeadUnauthenticated { lane: i64 },
    /// The row's content does not hash to its stored hash: edited.
    Altered { lane: i64, seq: i64 },
    /// The row does not point at the previous row's hash, or a sequence number is missing: deleted or reordered.
    Unlinked { lane: i64, seq: i64 },
    /// The last row is not the one the head records: the tail was deleted or rewritten.
    HeadMismatch { lane: i64, head_seq: i64, last_seq: i64 },
    /// A checkpoint that is not signed by this service's checkpoint key, or was altered.
    CheckpointUnsigned { count: i64 },
    /// The lane is shorter than a checkpoint says it was: rows deleted, or the database rolled back.
    CheckpointAhead { lane: i64, count: i64, head_seq: i64 },
    /// The row a checkpoint names has another hash: the history up to it was rewritten.
    CheckpointMismatch { lane: i64, count: i64 },
    /// The row a checkpoint names was pruned by retention, so it cannot be checked: use a newer checkpoint.
    CheckpointPruned { lane: i64, count: i64, base_seq: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub rows: usize,
    /// Chains the log is kept as (1 on SQLite).
    pub lanes: i64,
    pub intact: bool,
    pub first_break: Option<ChainBreak>,
    /// The first row of lane 1 under the keyed chain; rows before it are legacy (unkeyed SHA-256, written before
    /// upgrade).
    pub keyed_from: i64,
    /// Signed checkpoints checked against the chain.
    pub checkpoints: usize,
}

/// Walks every lane and reports the first break.
pub async fn verify(tx: &mut WriteTx) -> Result<ChainReport, StoreError> {
    verify_against(tx, &[]).await
}

/// As `verify`, and checks each checkpoint: signed by this service, and each lane still holds the row it names
/// with the hash it names.
pub async fn verify_against(tx: &mut WriteTx, checkpoints: &[Checkpoint]) -> Result<ChainReport, StoreError> {
    let rows = export(&mut *tx).await?;
    let heads = Head::read_all(&mut *tx).await?;
    let lanes = Lanes::read(&mut *tx).await?;
    let keys = tx.keys();
    let log = Log::new(&rows, heads);
    let first_break = log.find_break(&lanes, keys).or_else(|| checkpoints.iter().find_map(|c| log.check(c, keys)));
    Ok(ChainReport {
        rows: rows.len(),
        lanes: lanes.count,
        intact: first_break.is_none(),
        first_break,
        keyed_from: keys.chain_from(),
        checkpoints: checkpoints.len(),
    })
}

/// The rows and heads, by lane (rows in sequence order).
struct Log<'a> {
    lanes: BTreeMap<i64, (Option<Head>, Vec<&'a AuditRow>)>,
}

impl<'a> Log<'a> {
    fn new(rows: &'a [AuditRow], heads: Vec<Head>) -> Self {
        let mut lanes: BTreeMap<i64, (Option<Head>, Vec<&AuditRow>)> = BTreeMap::new();
        for head in heads {
            let lane = head.lane;
            lanes.entry(lane).or_default().0 = Some(head);
        }
        for row in rows {
            lanes.entry(row.lane).or_default().1.push(row);
        }
        for (_, rows) in lanes.values_mut() {
            rows.sort_by_key(|r| r.seq);
        }
        Self { lanes }
    }

    fn find_break(&self, lanes: &Lanes, keys: &ServiceKeys) -> Option<ChainBreak> {
        if !lanes.authentic(keys) {
            return Some(ChainBreak::LanesUnauthenticated);
        }
        if let Some(lane) = (1..=lanes.count).find(|l| self.lanes.get(l).is_none_or(|(head, _)| head.is_none())) {
            return Some(ChainBreak::LaneMissing { lane });
        }
        if let Some(&lane) = self.lanes.keys().find(|&&l| l < 1 || l > lanes.count) {
            return Some(ChainBreak::UnknownLane { lane });
        }
        self.lanes.values().find_map(|(head, rows)| head.as_ref().and_then(|h| lane_break(rows, h, keys)))
    }

    fn check(&self, checkpoint: &Checkpoint, keys: &ServiceKeys) -> Option<ChainBreak> {
        if !checkpoint.signed_by(keys) {
            return Some(ChainBreak::CheckpointUnsigned { count: checkpoint.count });
        }
        checkpoint.marks().find_map(|mark| match self.lanes.get(&mark.lane) {
            Some((Some(head), rows)) => mark_break(&mark, rows, head),
            // The lane is gone with its head and the registry rolled back before it: a rollback.
            _ => (mark.count > 0).then_some(ChainBreak::CheckpointAhead {
                lane: mark.lane,
                count: mark.count,
                head_seq: 0,
            }),
        })
    }
}

fn lane_break(rows: &[&AuditRow], head: &Head, keys: &ServiceKeys) -> Option<ChainBreak> {
    let lane = head.lane;
    if !head.authentic(keys) {
        return Some(ChainBreak::HeadUnauthenticated { lane });
    }
    let mut prev_hash = head.base_hash.as_str();
    for (i, row) in rows.iter().enumerate() {
        if row.seq != head.base_seq + i as i64 + 1 || row.prev_hash != prev_hash {
            return Some(ChainBreak::Unlinked { lane, seq: row.seq });
        }
        if row.expected_hash(keys) != row.hash {
            return Some(ChainBreak::Altered { lane, seq: row.seq });
        }
        prev_hash = &row.hash;
    }
    let last_seq = rows.last().map_or(head.base_seq, |r| r.seq);
    (last_seq != head.seq || prev_hash != head.hash).then_some(ChainBreak::HeadMismatch {
        lane,
        head_seq: head.seq,
        last_seq,
    })
}

fn mark_break(mark: &LaneMark, rows: &[&AuditRow], head: &Head) -> Option<ChainBreak> {
    let (lane, count) = (mark.lane, mark.count);
    if count > head.seq {
        return Some(ChainBreak::CheckpointAhead { lane, count, head_seq: head.seq });
    }
    if count < head.base_seq {
        return Some(ChainBreak::CheckpointPruned { lane, count, base_seq: head.base_seq });
    }
    let hash = if count == head.base_seq {
        Some(head.base_hash.as_str())
    } else {
        rows.iter().find(|r| r.seq == count).map(|r| r.hash.as_str())
    };
    (hash != Some(mark.head.as_str())).then_some(ChainBreak::CheckpointMismatch { lane, count })
}
