//! The audit log's lanes: several chains side by side, so that writers on one PostgreSQL database do not queue on
//! one head row (issue 15 item 3; docs/audit-and-erasure.md, "Lanes"). Each lane is a chain of its own, numbered
//! from 1 within it, with its own head (`audit_head` row `id = lane`); lane 1 is the chain as it was before lanes.
//!
//! Who takes what (`Store::begin_write`, `Store::begin_append`): an *append* (a verification, a consent, a liveness
//! attempt: the work that scales with applicants) holds the lane gate shared, its subject's lock and whichever lane
//! is free; every other audited write holds the gate exclusively and appends to lane 1, so it runs alone, as every
//! write did before lanes: an erasure, a withdrawal or a sweep never interleaves with a verification in flight, and
//! two writes about one applicant never interleave with each other. SQLite has one writer at a time and one lane.
//!
//! `audit_lanes` records how many lanes exist, under a MAC from the audit-chain key once there is more than one:
//! deleting a whole lane (its head and rows) is then a break, not a shorter log. Rolling the database back to a
//! state before the lanes were opened is a rollback, which signed checkpoints catch (they name every lane's head).

use sqlx::{AnyConnection, Row};

use super::{SecurityEvent, Severity};
use crate::store::{StoreError, Unaudited, WriteTx};
use crate::vault::ServiceKeys;

/// Lanes on PostgreSQL: more than the appends one database commits at once in any deployment measured
/// (docs/benchmarks.md, "The audit chain"); an unused lane costs one head row.
pub const POSTGRES_LANES: i64 = 16;

/// The lane registry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lanes {
    pub count: i64,
    mac: Option<String>,
}

impl Lanes {
    pub async fn read(conn: &mut AnyConnection) -> Result<Self, StoreError> {
        let r = sqlx::query("SELECT lanes, mac FROM audit_lanes WHERE id = 1").fetch_one(conn).await?;
        Ok(Self { count: r.try_get("lanes")?, mac: r.try_get("mac")? })
    }

    fn expected_mac(count: i64, keys: &ServiceKeys) -> String {
        keys.chain_mac(&[b"faceverify/audit-lanes/v1", count.to_string().as_bytes()])
    }

    /// One lane needs no MAC (every database starts so); more need the registry's MAC.
    pub fn authentic(&self, keys: &ServiceKeys) -> bool {
        (self.count == 1 && self.mac.is_none())
            || self.mac.as_deref() == Some(Self::expected_mac(self.count, keys).as_str())
    }
}

/// Opens lanes up to `wanted` (never fewer than there are) in an exclusive write; a registry without its MAC is
/// left as it is and raises an `audit_chain_break` security event (at every start, until it is dealt with).
/// Returns the lanes there are afterwards. Not an audit row: the registry is the log's own structure, under its
/// MAC, and `audit verify` reports it (`lanes`).
pub async fn open(mut tx: WriteTx, wanted: i64) -> Result<i64, StoreError> {
    let lanes = Lanes::read(&mut tx).await?;
    let keys = tx.shared_keys();
    if !lanes.authentic(&keys) {
        let detail = "the audit lane registry's MAC is wrong: lanes were added or removed outside the service";
        super::raise(&mut tx, SecurityEvent::AuditChainBreak, Severity::Critical, detail).await?;
        tx.commit_unaudited(Unaudited::SecurityEventOnly).await?;
        return Ok(lanes.count);
    }
    if lanes.count >= wanted {
        tx.rollback().await?;
        return Ok(lanes.count);
    }
    for lane in lanes.count + 1..=wanted {
        let head = super::chain::Head::empty(lane);
        head.insert(&mut tx, &keys).await?;
    }
    sqlx::query("UPDATE audit_lanes SET lanes = $1, mac = $2 WHERE id = 1")
        .bind(wanted)
        .bind(Lanes::expected_mac(wanted, &keys))
        .execute(&mut *tx)
        .await?;
    tx.commit_unaudited(Unaudited::AuditLanes).await?;
    tracing::info!(lanes = wanted, "audit lanes opened");
    Ok(wanted)
}
