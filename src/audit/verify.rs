//! Verifying the chain: the head's MAC, every row's link and hash, the tail against the head, and each signed
//! checkpoint given against the rows.

use serde::Serialize;

use super::chain::{export, AuditRow, Head};
use super::checkpoint::Checkpoint;
use crate::store::{StoreError, WriteTx};
use crate::vault::ServiceKeys;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The head (last link or retained base) does not carry its MAC: rewritten, re-based or rolled back by
    /// someone without the audit-chain key.
    HeadUnauthenticated,
    /// The row's content does not hash to its stored hash: edited.
    Altered { seq: i64 },
    /// The row does not point at the previous row's hash, or a sequence number is missing: deleted or reordered.
    Unlinked { seq: i64 },
    /// The last row is not the one the head records: the tail was deleted or rewritten.
    HeadMismatch { head_seq: i64, last_seq: i64 },
    /// A checkpoint that is not signed by this service's checkpoint key, or was altered.
    CheckpointUnsigned { count: i64 },
    /// The chain is shorter than a checkpoint says it was: rows deleted, or the database rolled back.
    CheckpointAhead { count: i64, head_seq: i64 },
    /// The row a checkpoint names has another hash: the history up to it was rewritten.
    CheckpointMismatch { count: i64 },
    /// The row a checkpoint names was pruned by retention, so it cannot be checked: use a newer checkpoint.
    CheckpointPruned { count: i64, base_seq: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub rows: usize,
    pub intact: bool,
    pub first_break: Option<ChainBreak>,
    /// The first row under the keyed chain; rows before it are legacy (unkeyed SHA-256, written before upgrade).
    pub keyed_from: i64,
    /// Signed checkpoints checked against the chain.
    pub checkpoints: usize,
}

/// Walks the whole chain and reports the first break.
pub async fn verify(tx: &mut WriteTx) -> Result<ChainReport, StoreError> {
    verify_against(tx, &[]).await
}

/// As `verify`, and checks each checkpoint: signed by this service, and the chain still holds the row it names
/// with the hash it names.
pub async fn verify_against(tx: &mut WriteTx, checkpoints: &[Checkpoint]) -> Result<ChainReport, StoreError> {
    let rows = export(&mut *tx).await?;
    let head = Head::read(&mut *tx).await?;
    let keys = tx.keys();
    let first_break =
        find_break(&rows, &head, keys).or_else(|| checkpoints.iter().find_map(|c| check(c, &rows, &head, keys)));
    Ok(ChainReport {
        rows: rows.len(),
        intact: first_break.is_none(),
        first_break,
        keyed_from: keys.chain_from(),
        checkpoints: checkpoints.len(),
    })
}

fn find_break(rows: &[AuditRow], head: &Head, keys: &ServiceKeys) -> Option<ChainBreak> {
    if !head.authentic(keys) {
        return Some(ChainBreak::HeadUnauthenticated);
    }
    let mut prev_hash = head.base_hash.as_str();
    for (i, row) in rows.iter().enumerate() {
        if row.seq != head.base_seq + i as i64 + 1 || row.prev_hash != prev_hash {
            return Some(ChainBreak::Unlinked { seq: row.seq });
        }
        if row.expected_hash(keys) != row.hash {
            return Some(ChainBreak::Altered { seq: row.seq });
        }
        prev_hash = &row.hash;
    }
    let last_seq = rows.last().map_or(head.base_seq, |r| r.seq);
    (last_seq != head.seq || prev_hash != head.hash)
        .then_some(ChainBreak::HeadMismatch { head_seq: head.seq, last_seq })
}

fn check(checkpoint: &Checkpoint, rows: &[AuditRow], head: &Head, keys: &ServiceKeys) -> Option<ChainBreak> {
    let count = checkpoint.count;
    if !checkpoint.signed_by(keys) {
        return Some(ChainBreak::CheckpointUnsigned { count });
    }
    if count > head.seq {
        return Some(ChainBreak::CheckpointAhead { count, head_seq: head.seq });
    }
    if count < head.base_seq {
        return Some(ChainBreak::CheckpointPruned { count, base_seq: head.base_seq });
    }
    let hash = if count == head.base_seq {
        Some(head.base_hash.as_str())
    } else {
        rows.iter().find(|r| r.seq == count).map(|r| r.hash.as_str())
    };
    (hash != Some(checkpoint.head.as_str())).then_some(ChainBreak::CheckpointMismatch { count })
}
