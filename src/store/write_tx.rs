//! The transaction of an audited write: it holds an audit lane's lock (taken by `Store::begin_write` or
//! `Store::begin_append`, see `audit::lanes`) and the service keys the audit row needs (chain MAC, subject
//! pseudonym). It derefs to the connection, so queries run on
//! it as on a plain transaction (`&mut *tx`, or `&mut tx` where a `&mut AnyConnection` is expected).
//!
//! It commits only with the proof that its action's audit row was appended (`audit::append` returns it), or with a
//! named reason why the write is no one's action (`Unaudited`): forgetting the audit row does not compile.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::AnyConnection;

use super::Tx;
use crate::audit::Audited;
use crate::vault::ServiceKeys;

/// The writes under the audit lock that record no action, each for its reason.
#[derive(Debug, Clone, Copy)]
pub enum Unaudited {
    /// Sealed templates opened into memory only (the gallery loading or synchronising, `vault check`); a template
    /// failing its integrity check raises a security event in the same transaction.
    IntegrityScan,
    /// Security events copied into the webhook outbox.
    AlertQueue,
    /// An action that failed before it happened: its only record is the security event it raised.
    SecurityEventOnly,
    /// The audit log's lanes opened (`audit::lanes`): the log's own structure, under its own MAC.
    AuditLanes,
}

pub struct WriteTx {
    tx: Tx,
    keys: Arc<ServiceKeys>,
    /// The audit lane whose head this transaction holds.
    lane: i64,
}

impl WriteTx {
    /// A transaction holding lane 1 (every write before lanes, and the exclusive ones since).
    pub(super) fn new(tx: Tx, keys: Arc<ServiceKeys>) -> Self {
        Self::on_lane(tx, keys, 1)
    }

    pub(super) fn on_lane(tx: Tx, keys: Arc<ServiceKeys>, lane: i64) -> Self {
        Self { tx, keys, lane }
    }

    /// The audit lane this transaction appends to.
    pub fn lane(&self) -> i64 {
        self.lane
    }

    pub fn keys(&self) -> &ServiceKeys {
        &self.keys
    }

    /// The service keys, detached from the borrow of the transaction.
    pub(crate) fn shared_keys(&self) -> Arc<ServiceKeys> {
        self.keys.clone()
    }

    /// The subject's keyed pseudonym (see `ServiceKeys::pseudonym`).
    pub fn pseudonym(&self, subject: &str) -> String {
        self.keys.pseudonym(subject)
    }

    /// Commits an action together with its audit row.
    pub async fn commit(self, _audited: Audited) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Ends the transaction without writing anything.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }

    /// Commits a write that is no one's action on personal data; `why` names which.
    pub async fn commit_unaudited(self, why: Unaudited) -> Result<(), sqlx::Error> {
        tracing::trace!(why = ?why, "unaudited write");
        self.tx.commit().await
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
