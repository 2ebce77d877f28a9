//! Appending to the chain. Each row's hash is HMAC-SHA256 under the audit-chain key (a service key, held wrapped
//! by the KEK) over the previous row's hash and the row's fields; rows written before the service keys existed
//! (sequence numbers below `ServiceKeys::chain_from`) keep their unkeyed SHA-256 hashes: the legacy chain.
//! Each lane (`lanes.rs`) is such a chain; its `audit_head` row holds the last link and the retained chain's base,
//! authenticated by a MAC under the same key, so neither a deleted tail nor a moved base can be passed off without
//! the key. A write that finds the head's MAC wrong raises a security event and keeps it wrong
//! (`UNAUTHENTICATED`): the service never re-seals a head it did not write, so the next write cannot launder a
//! tampered head.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::Action;
use crate::domain::Purpose;
use crate::store::{StoreError, WriteTx};
use crate::vault::ServiceKeys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Denied,
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// The subject of an audited action. Stored as its keyed pseudonym, never in clear.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// The lender's applicant reference; pseudonymised when the row is written.
    Clear(&'a str),
    /// Already a pseudonym (`ServiceKeys::pseudonym`), e.g. read from a consent.
    Pseudonym(&'a str),
    /// A staff account or API key an operator acted on (`staff:NAME`, `api_key:ID`): no applicant, stored as is,
    /// like the actor column.
    Account(&'a str),
}

impl std::fmt::Debug for Subject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subject(<redacted>)")
    }
}

/// One audited action. Never biometric data; the subject is stored pseudonymised.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor: &'a str,
    pub role: &'a str,
    pub action: Action,
    pub purpose: Option<Purpose>,
    pub subject_ref: Option<Subject<'a>>,
    pub result: Outcome,
    pub request_id: Option<&'a str>,
}

/// A stored row, as exported to auditors. `subject_ref` is the subject's pseudonym (in clear in legacy rows).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AuditRow {
    /// The chain the row belongs to (1 before lanes, and on SQLite).
    pub lane: i64,
    /// The row's number within its lane, from 1.
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub purpose: Option<String>,
    pub subject_ref: Option<String>,
    pub result: String,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    fn fields(&self) -> [String; 10] {
        [
            self.prev_hash.clone(),
            self.seq.to_string(),
            self.at.clone(),
            self.actor.clone(),
            self.role.clone(),
            self.action.clone(),
            self.purpose.clone().unwrap_or_default(),
            self.subject_ref.clone().unwrap_or_default(),
            self.result.clone(),
            self.request_id.clone().unwrap_or_default(),
        ]
    }

    /// The hash this row must carry: keyed from `keys.chain_from()` on, unkeyed SHA-256 before (lane 1 only: later
    /// lanes were opened under the keys, and their rows' MAC binds the lane).
    pub fn expected_hash(&self, keys: &ServiceKeys) -> String {
        let fields = self.fields();
        if self.lane != 1 {
            let lane = self.lane.to_string();
            let mut parts: Vec<&[u8]> = vec![b"faceverify/audit-row/v3", lane.as_bytes()];
            parts.extend(fields.iter().map(|f| f.as_bytes()));
            return keys.chain_mac(&parts);
        }
        if self.seq >= keys.chain_from() {
            let mut parts: Vec<&[u8]> = vec![b"faceverify/audit-row/v2"];
            parts.extend(fields.iter().map(|f| f.as_bytes()));
            return keys.chain_mac(&parts);
        }
        Self::unkeyed(&fields)
    }

    /// The unkeyed SHA-256 of the rows before the keyed chain: anyone with the database can compute it.
    pub fn legacy_hash(&self) -> String {
        Self::unkeyed(&self.fields())
    }

    fn unkeyed(fields: &[String]) -> String {
        let mut h = Sha256::new();
        for field in fields {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Stored as the head's MAC once a write found it wrong: stays wrong for every later write.
const UNAUTHENTICATED: &str = "unauthenticated";

/// A lane's head as stored: last link, retained chain's base, and the MAC over both (and the lane, from lane 2).
pub(super) struct Head {
    pub lane: i64,
    pub seq: i64,
    pub hash: String,
    pub base_seq: i64,
    pub base_hash: String,
    pub mac: Option<String>,
}

/// The hash before a chain's first row.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl Head {
    /// A new lane's head: no rows yet.
    pub(super) fn empty(lane: i64) -> Self {
        let genesis = GENESIS.to_owned();
        Self { lane, seq: 0, hash: genesis.clone(), base_seq: 0, base_hash: genesis, mac: None }
    }

    fn from_row(r: &sqlx::any::AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            lane: r.try_get("id")?,
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
            base_seq: r.try_get("base_seq")?,
            base_hash: r.try_get("base_hash")?,
            mac: r.try_get("mac")?,
        })
    }

    pub(super) async fn read(conn: &mut AnyConnection, lane: i64) -> Result<Self, StoreError> {
        let r = sqlx::query("SELECT id, seq, hash, base_seq, base_hash, mac FROM audit_head WHERE id = $1")
            .bind(lane)
            .fetch_one(conn)
            .await?;
        Self::from_row(&r)
    }

    /// Every lane's head, by lane.
    pub(super) async fn read_all(conn: &mut AnyConnection) -> Result<Vec<Self>, StoreError> {
        let rows = sqlx::query("SELECT id, seq, hash, base_seq, base_hash, mac FROM audit_head ORDER BY id")
            .fetch_all(conn)
            .await?;
        rows.iter().map(Self::from_row).collect()
    }

    pub(super) fn expected_mac(&self, keys: &ServiceKeys) -> String {
        let (lane, seq, base_seq) = (self.lane.to_string(), self.seq.to_string(), self.base_seq.to_string());
        let fields = [seq.as_bytes(), self.hash.as_bytes(), base_seq.as_bytes(), self.base_hash.as_bytes()];
        let mut parts: Vec<&[u8]> = match self.lane {
            1 => vec![b"faceverify/audit-head/v1"],
            _ => vec![b"faceverify/audit-head/v2", lane.as_bytes()],
        };
        parts.extend(fields);
        keys.chain_mac(&parts)
    }

    pub(super) fn authentic(&self, keys: &ServiceKeys) -> bool {
        self.mac.as_deref() == Some(self.expected_mac(keys).as_str())
    }

    /// Reads the head for a write. A head whose MAC is wrong (rewritten outside the service) raises an
    /// `audit_chain_break` security event the first time a write finds it. Returns the head and whether it is
    /// authentic.
    async fn read_for_write(
        conn: &mut AnyConnection,
        keys: &ServiceKeys,
        lane: i64,
    ) -> Result<(Self, bool), StoreError> {
        let head = Self::read(&mut *conn, lane).await?;
        let authentic = head.authentic(keys);
        if !authentic && head.mac.as_deref() != Some(UNAUTHENTICATED) {
            let detail =
                format!("the MAC of audit lane {lane}'s head is wrong: the head was rewritten outside the service");
            super::raise(conn, super::SecurityEvent::AuditChainBreak, super::Severity::Critical, &detail).await?;
        }
        Ok((head, authentic))
    }

    /// Stores this head, with its MAC when the head it replaces was authentic.
    async fn write(&self, conn: &mut AnyConnection, keys: &ServiceKeys, authentic: bool) -> Result<(), StoreError> {
        let mac = if authentic { self.expected_mac(keys) } else { UNAUTHENTICATED.to_owned() };
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, base_seq = $3, base_hash = $4, mac = $5 WHERE id = $6")
            .bind(self.seq)
            .bind(&self.hash)
            .bind(self.base_seq)
            .bind(&self.base_hash)
            .bind(mac)
            .bind(self.lane)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Stores a new lane's head, sealed; a head already there for the lane is left as it is.
    pub(super) async fn insert(&self, conn: &mut AnyConnection, keys: &ServiceKeys) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_head (id, seq, hash, base_seq, base_hash, mac) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(self.lane)
        .bind(self.seq)
        .bind(&self.hash)
        .bind(self.base_seq)
        .bind(&self.base_hash)
        .bind(self.expected_mac(keys))
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Writes lane 1's head MAC for the head as it stands: only when the service keys are created (the head then has
/// no MAC yet, and there is no other lane), or by someone holding the keys.
pub async fn seal_head(conn: &mut AnyConnection, keys: &ServiceKeys) -> Result<(), StoreError> {
    Head::read(&mut *conn, 1).await?.write(conn, keys, true).await
}

/// Proof that a write transaction carries the audit row of its action: only `append` makes one, and
/// `WriteTx::commit` takes one, so an action cannot commit without its audit row.
#[must_use = "commit the transaction with this proof (WriteTx::commit)"]
pub struct Audited {
    _made_by_append: (),
}

/// Appends `event` to the lane of the caller's `begin_write` or `begin_append` transaction (which holds that lane's
/// head row lock, so the previous link cannot change under it).
pub async fn append(tx: &mut WriteTx, event: &AuditEvent<'_>) -> Result<Audited, StoreError> {
    let keys = tx.shared_keys();
    let lane = tx.lane();
    let (mut head, authentic) = Head::read_for_write(&mut *tx, &keys, lane).await?;
    let mut row = AuditRow {
        lane: head.lane,
        seq: head.seq + 1,
        at: crate::store::now_rfc3339()?,
        actor: event.actor.to_owned(),
        role: event.role.to_owned(),
        action: event.action.as_str().to_owned(),
        purpose: event.purpose.map(|p| p.as_str().to_owned()),
        subject_ref: event.subject_ref.map(|s| match s {
            Subject::Clear(subject) => keys.pseudonym(subject),
            Subject::Pseudonym(pseudonym) | Subject::Account(pseudonym) => pseudonym.to_owned(),
        }),
        result: event.result.as_str().to_owned(),
        request_id: event.request_id.map(str::to_owned),
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    row.hash = row.expected_hash(&keys);
    sqlx::query(
        "INSERT INTO audit_log (lane, seq, at, actor, role, action, purpose, subject_ref, result, request_id, prev_hash,
         hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(row.lane)
    .bind(row.seq)
    .bind(&row.at)
    .bind(&row.actor)
    .bind(&row.role)
    .bind(&row.action)
    .bind(&row.purpose)
    .bind(&row.subject_ref)
    .bind(&row.result)
    .bind(&row.request_id)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut **tx)
    .await?;
    (head.seq, head.hash) = (row.seq, row.hash);
    head.write(&mut *tx, &keys, authentic).await?;
    Ok(Audited { _made_by_append: () })
}

/// Every row, in time order (rows of one instant by lane and number).
pub async fn export(conn: &mut AnyConnection) -> Result<Vec<AuditRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT lane, seq, at, actor, role, action, purpose, subject_ref, result, request_id, prev_hash, hash
         FROM audit_log ORDER BY at, lane, seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                lane: r.try_get("lane")?,
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                role: r.try_get("role")?,
                action: r.try_get("action")?,
                purpose: r.try_get("purpose")?,
                subject_ref: r.try_get("subject_ref")?,
                result: r.try_get("result")?,
                request_id: r.try_get("request_id")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect()
}

/// Removes audit rows recorded before `cutoff` (RFC 3339), lane by lane, and moves each lane's starting point past
/// them, so the retained rows still verify. Inside a `begin_write` transaction (which holds every lane). Returns
/// the rows removed.
pub async fn prune(tx: &mut WriteTx, cutoff: &str) -> Result<u64, StoreError> {
    let lanes = super::Lanes::read(&mut *tx).await?.count;
    let mut removed = 0;
    for lane in 1..=lanes {
        let last = sqlx::query("SELECT seq, hash FROM audit_log WHERE lane = $1 AND at < $2 ORDER BY seq DESC LIMIT 1")
            .bind(lane)
            .bind(cutoff)
            .fetch_optional(&mut **tx)
            .await?;
        let Some(last) = last else { continue };
        let (seq, hash): (i64, String) = (last.try_get("seq")?, last.try_get("hash")?);
        let done = sqlx::query("DELETE FROM audit_log WHERE lane = $1 AND seq <= $2")
            .bind(lane)
            .bind(seq)
            .execute(&mut **tx)
            .await?;
        let keys = tx.shared_keys();
        let (mut head, authentic) = Head::read_for_write(&mut *tx, &keys, lane).await?;
        (head.base_seq, head.base_hash) = (seq, hash);
        head.write(&mut *tx, &keys, authentic).await?;
        removed += done.rows_affected();
    }
    Ok(removed)
}
