//! Signed checkpoints: `{count, head, at}` signed with the service's Ed25519 checkpoint key. Exported and kept
//! outside the database (WORM storage, a ticket, an e-mail to the DPO), they catch what the keyed chain cannot: a
//! rewrite by someone holding the KEK, or the database rolled back to an earlier, self-consistent state.

use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};

use super::chain::Head;
use crate::store::{StoreError, WriteTx};
use crate::vault::ServiceKeys;

pub const CHECKPOINT_FORMAT: &str = "faceverify-audit-checkpoint/v1";

/// As written to the checkpoint file. `count` is the sequence number of the last row covered (rows are numbered
/// from 1, so it is also how many rows the chain had), `head` that row's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub format: String,
    pub count: i64,
    pub head: String,
    pub at: String,
    /// Hex Ed25519 public key of the service that signed it.
    pub public_key: String,
    /// Hex Ed25519 signature over `signed_message(count, head, at)`.
    pub signature: String,
}

/// What is signed: a domain-separation line, then the canonical JSON `{"at":..,"count":..,"head":..}` (keys
/// sorted, no spaces).
pub fn signed_message(count: i64, head: &str, at: &str) -> Result<Vec<u8>, StoreError> {
    #[derive(Serialize)]
    struct Canonical<'a> {
        at: &'a str,
        count: i64,
        head: &'a str,
    }
    let json = serde_json::to_vec(&Canonical { at, count, head }).map_err(|_| StoreError::Corrupt("checkpoint"))?;
    let mut message = format!("{CHECKPOINT_FORMAT}\n").into_bytes();
    message.extend(json);
    Ok(message)
}

/// A signed checkpoint of the chain as it stands in `tx`. The caller verifies the chain first: signing a broken
/// chain would vouch for it.
pub async fn checkpoint(tx: &mut WriteTx) -> Result<Checkpoint, StoreError> {
    let head = Head::read(&mut *tx).await?;
    let at = crate::store::now_rfc3339()?;
    let keys = tx.keys();
    let signature = keys.sign(&signed_message(head.seq, &head.hash, &at)?);
    Ok(Checkpoint {
        format: CHECKPOINT_FORMAT.to_owned(),
        count: head.seq,
        head: head.hash,
        at,
        public_key: hex::encode(keys.verifying_key().as_bytes()),
        signature: hex::encode(signature),
    })
}

impl Checkpoint {
    /// Whether this checkpoint was signed, unaltered, by this service's checkpoint key.
    pub fn signed_by(&self, keys: &ServiceKeys) -> bool {
        let ours = keys.verifying_key();
        if self.format != CHECKPOINT_FORMAT || self.public_key != hex::encode(ours.as_bytes()) {
            return false;
        }
        let Ok(message) = signed_message(self.count, &self.head, &self.at) else { return false };
        let mut raw = [0u8; 64];
        if hex::decode_to_slice(&self.signature, &mut raw).is_err() {
            return false;
        }
        ours.verify_strict(&message, &Signature::from_bytes(&raw)).is_ok()
    }
}
