//! Signed checkpoints: `{count, head, at}` (and every other lane's `{lane, count, head}`) signed with the service's
//! Ed25519 checkpoint key. Exported and kept outside the database (WORM storage, a ticket, an e-mail to the DPO),
//! they catch what the keyed chain cannot: a rewrite by someone holding the KEK, or the database rolled back to an
//! earlier, self-consistent state. A database with one lane signs the format it always did (`v1`); one with lanes
//! signs `v2`, which names them all.

use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};

use super::chain::Head;
use crate::store::{StoreError, WriteTx};
use crate::vault::ServiceKeys;

pub const CHECKPOINT_FORMAT: &str = "faceverify-audit-checkpoint/v1";
pub const CHECKPOINT_FORMAT_LANES: &str = "faceverify-audit-checkpoint/v2";

/// As written to the checkpoint file. `count` is the sequence number of lane 1's last row covered (rows are
/// numbered from 1, so it is also how many rows that lane had), `head` that row's hash; `lanes` the same for every
/// other lane (empty, and absent from the file, with one lane).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub format: String,
    pub count: i64,
    pub head: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<LaneMark>,
    pub at: String,
    /// Hex Ed25519 public key of the service that signed it.
    pub public_key: String,
    /// Hex Ed25519 signature over `signed_message(count, head, lanes, at)`.
    pub signature: String,
}

/// One lane's last row as a checkpoint saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneMark {
    pub lane: i64,
    pub count: i64,
    pub head: String,
}

/// What is signed: a domain-separation line (the format), then the canonical JSON `{"at":..,"count":..,"head":..}`
/// (keys sorted, no spaces), with `"lanes":[{"count":..,"head":..,"lane":..},..]` after `head` in `v2`.
pub fn signed_message(count: i64, head: &str, lanes: &[LaneMark], at: &str) -> Result<Vec<u8>, StoreError> {
    #[derive(Serialize)]
    struct Canonical<'a> {
        at: &'a str,
        count: i64,
        head: &'a str,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        lanes: Vec<CanonicalLane<'a>>,
    }
    #[derive(Serialize)]
    struct CanonicalLane<'a> {
        count: i64,
        head: &'a str,
        lane: i64,
    }
    let format = format_for(lanes.len());
    let lanes = lanes.iter().map(|l| CanonicalLane { count: l.count, head: &l.head, lane: l.lane }).collect();
    let json =
        serde_json::to_vec(&Canonical { at, count, head, lanes }).map_err(|_| StoreError::Corrupt("checkpoint"))?;
    let mut message = format!("{format}\n").into_bytes();
    message.extend(json);
    Ok(message)
}

fn format_for(other_lanes: usize) -> &'static str {
    if other_lanes == 0 {
        CHECKPOINT_FORMAT
    } else {
        CHECKPOINT_FORMAT_LANES
    }
}

/// A signed checkpoint of every lane as it stands in `tx` (an exclusive write: no lane moves meanwhile). The
/// caller verifies the chain first: signing a broken chain would vouch for it.
pub async fn checkpoint(tx: &mut WriteTx) -> Result<Checkpoint, StoreError> {
    let heads = Head::read_all(&mut *tx).await?;
    let (first, others) = heads.split_first().ok_or(StoreError::Corrupt("audit_head"))?;
    let lanes: Vec<LaneMark> =
        others.iter().map(|h| LaneMark { lane: h.lane, count: h.seq, head: h.hash.clone() }).collect();
    let at = crate::store::now_rfc3339()?;
    let keys = tx.keys();
    let signature = keys.sign(&signed_message(first.seq, &first.hash, &lanes, &at)?);
    Ok(Checkpoint {
        format: format_for(lanes.len()).to_owned(),
        count: first.seq,
        head: first.hash.clone(),
        lanes,
        at,
        public_key: hex::encode(keys.verifying_key().as_bytes()),
        signature: hex::encode(signature),
    })
}

impl Checkpoint {
    /// Whether this checkpoint was signed, unaltered, by this service's checkpoint key.
    pub fn signed_by(&self, keys: &ServiceKeys) -> bool {
        let ours = keys.verifying_key();
        if self.format != format_for(self.lanes.len()) || self.public_key != hex::encode(ours.as_bytes()) {
            return false;
        }
        let Ok(message) = signed_message(self.count, &self.head, &self.lanes, &self.at) else { return false };
        let mut raw = [0u8; 64];
        if hex::decode_to_slice(&self.signature, &mut raw).is_err() {
            return false;
        }
        ours.verify_strict(&message, &Signature::from_bytes(&raw)).is_ok()
    }

    /// Every lane's mark: lane 1's, then the others.
    pub fn marks(&self) -> impl Iterator<Item = LaneMark> + '_ {
        let first = LaneMark { lane: 1, count: self.count, head: self.head.clone() };
        std::iter::once(first).chain(self.lanes.iter().cloned())
    }
}
