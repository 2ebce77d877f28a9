//! The transaction of an audited write: it holds the audit-chain lock (taken by `Store::begin_write`) and the
//! service keys the audit row needs (chain MAC, subject pseudonym). It derefs to the connection, so queries run on
//! it as on a plain transaction (`&mut *tx`, or `&mut tx` where a `&mut AnyConnection` is expected).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::AnyConnection;

use super::Tx;
use crate::vault::ServiceKeys;

pub struct WriteTx {
    tx: Tx,
    keys: Arc<ServiceKeys>,
}

impl WriteTx {
    pub(super) fn new(tx: Tx, keys: Arc<ServiceKeys>) -> Self {
        Self { tx, keys }
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

    pub async fn commit(self) -> Result<(), sqlx::Error> {
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
