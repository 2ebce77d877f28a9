//! Operator commands that act on the store: accounts, key rotation, audit-chain and vault integrity checks.
//! Each one that touches personal data or keys is audited with the operator as actor.

use std::path::Path;

use serde::Serialize;

use crate::audit::{self, Action, AuditEvent, ChainReport, Checkpoint, Outcome, SecurityEvent, Severity};
use crate::config::Settings;
use crate::policy::Role;
use crate::store::{biometrics, lockout, revocation, Adoption, Store, Unaudited, WriteTx};
use crate::vault::{self, open_template, DataKey, Kek, TemplateBinding};

const OPERATOR: &str = "operator";

/// The store, unlocked with the configured KEK (so audited writes and checks have the service keys).
pub async fn open(settings: &Settings) -> anyhow::Result<(Store, Kek)> {
    let (kek, _) = settings.vault.load_kek()?;
    let store = Store::connect(&settings.database.url).await?;
    crate::store::kek_check::verify_or_record(&store, &kek).await?;
    Ok((store.unlock(&kek).await?, kek))
}

fn operator_event(action: Action, result: Outcome) -> AuditEvent<'static> {
    AuditEvent { actor: OPERATOR, role: "operator", action, purpose: None, subject_ref: None, result, request_id: None }
}

async fn record(store: &Store, action: Action) -> anyhow::Result<()> {
    let mut tx = store.begin_write().await?;
    let audited = audit::append(&mut tx, &operator_event(action, Outcome::Success)).await?;
    tx.commit(audited).await?;
    Ok(())
}

/// Creates the onboarding service account; the key is shown once.
pub async fn add_service(settings: &Settings, name: &str) -> anyhow::Result<String> {
    let (store, _) = open(settings).await?;
    let key = crate::auth::create_service_account(&store, name).await?;
    record(&store, Action::CreateAccount).await?;
    Ok(format!("API key for `{name}` (shown once, store it in the onboarding service's secrets):\n{}", *key.plaintext))
}

/// Creates a staff user; prints the TOTP enrolment URI once.
pub async fn add_staff(settings: &Settings, username: &str, role: Role, password: &str) -> anyhow::Result<String> {
    let (store, kek) = open(settings).await?;
    let totp = crate::auth::create_staff(&store, &kek, username, role, password).await?;
    record(&store, Action::CreateAccount).await?;
    Ok(format!("TOTP enrolment for `{username}` (shown once):\n{}", totp.provisioning_uri(username)))
}

/// Commits `action` on the account `target` (`staff:NAME` or `api_key:ID`, the audit row's subject) with its audit
/// row, or rolls back and fails when `changed` says there was nothing to change.
async fn audited_account_change(
    mut tx: WriteTx,
    changed: bool,
    action: Action,
    target: &str,
    missing: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(changed, "{missing}");
    let event =
        AuditEvent { subject_ref: Some(audit::Subject::Account(target)), ..operator_event(action, Outcome::Success) };
    let audited = audit::append(&mut tx, &event).await?;
    tx.commit(audited).await?;
    Ok(())
}

/// Revokes an API key (`fvk_<KEY_ID>_…`): its next request is refused.
pub async fn revoke_key(store: &Store, key_id: &str) -> anyhow::Result<String> {
    let mut tx = store.begin_write().await?;
    let changed = revocation::revoke_key(&mut tx, key_id).await?;
    audited_account_change(
        tx,
        changed,
        Action::RevokeKey,
        &format!("api_key:{key_id}"),
        "no active API key has this id",
    )
    .await?;
    Ok(format!("API key {key_id} revoked"))
}

/// Disables a staff account and ends its sessions at once, in one transaction with the audit row.
pub async fn disable_staff(store: &Store, username: &str) -> anyhow::Result<String> {
    let mut tx = store.begin_write().await?;
    let ended = revocation::disable_staff(&mut tx, username).await?;
    let target = format!("staff:{username}");
    audited_account_change(
        tx,
        ended.is_some(),
        Action::DisableAccount,
        &target,
        "no enabled staff account has this name",
    )
    .await?;
    Ok(format!("staff account {username} disabled; {} session(s) ended", ended.unwrap_or(0)))
}

/// Clears a staff account's lockout and back-off, and its per-username sign-in limit on every replica.
pub async fn unlock_staff(store: &Store, username: &str) -> anyhow::Result<String> {
    let mut tx = store.begin_write().await?;
    let changed = lockout::unlock(&mut tx, username).await?;
    let target = format!("staff:{username}");
    audited_account_change(tx, changed, Action::UnlockAccount, &target, "no enabled staff account has this name")
        .await?;
    Ok(format!("staff account {username} unlocked"))
}

#[derive(Serialize)]
pub struct Rotation {
    pub from_kek: String,
    pub to_kek: String,
    pub data_keys_rewrapped: u64,
    pub totp_seeds_resealed: u64,
    /// The audit-chain, pseudonym and checkpoint-signing keys (unchanged, rewrapped).
    pub service_keys_rewrapped: u64,
}

/// Rewraps every data key and the service keys from the configured KEK to `new_kek_file`, in one transaction.
/// Ciphertexts, audit hashes and pseudonyms are untouched; afterwards point `vault.kek_file` at the new file.
pub async fn rotate(settings: &Settings, new_kek_file: &Path) -> anyhow::Result<Rotation> {
    let (store, old) = open(settings).await?;
    let new = vault::load(new_kek_file)?;
    anyhow::ensure!(new.id() != old.id(), "the new key file must have another name (its stem is the key id)");
    let mut tx = store.begin_write().await?;
    let (keys, seeds) = biometrics::rewrap_all(&mut tx, &old, &new).await?;
    crate::store::kek_check::record(&mut tx, &new).await?;
    let service_keys = crate::store::rewrap_service_keys(&mut tx, &old, &new).await?;
    let audited = audit::append(&mut tx, &operator_event(Action::RotateKeys, Outcome::Success)).await?;
    tx.commit(audited).await?;
    Ok(Rotation {
        from_kek: old.id().into(),
        to_kek: new.id().into(),
        data_keys_rewrapped: keys,
        totp_seeds_resealed: seeds,
        service_keys_rewrapped: service_keys,
    })
}

/// `audit adopt-legacy`: creates the service keys for a database whose audit chain was written before keyed chains
/// (the service refuses to start on it until then), accepting every existing row as the legacy, unkeyed chain.
/// Audited, with a Critical `service_keys_created` security event. An error when there is nothing to adopt.
pub async fn adopt_legacy(settings: &Settings) -> anyhow::Result<String> {
    let (kek, _) = settings.vault.load_kek()?;
    let store = Store::connect(&settings.database.url).await?;
    crate::store::kek_check::verify_or_record(&store, &kek).await?;
    match store.adopt_legacy(&kek, &operator_event(Action::AdoptLegacyAudit, Outcome::Success)).await? {
        Adoption::Adopted { legacy_rows, head_had_mac } => {
            let warning = if head_had_mac {
                "\nWARNING: the audit head carried a MAC: this database had service keys, which were removed. \
                 Checkpoints taken before no longer verify (checkpoint_unsigned)."
            } else {
                ""
            };
            Ok(format!(
                "service keys created under KEK `{}`; audit rows 1 to {legacy_rows} are the legacy (unkeyed) chain, \
                 recorded as a critical service_keys_created security event{warning}",
                kek.id()
            ))
        }
        Adoption::AlreadyKeyed => anyhow::bail!("this database already has its service keys: nothing to adopt"),
        Adoption::NoChain => {
            anyhow::bail!("this database has no audit rows: the service creates its keys itself on its first start")
        }
    }
}

pub async fn verify_audit(store: &Store) -> anyhow::Result<ChainReport> {
    verify_audit_against(store, &[]).await
}

/// Verifies the chain and checks it against signed checkpoints (`audit checkpoint` files kept elsewhere).
pub async fn verify_audit_against(store: &Store, checkpoints: &[Checkpoint]) -> anyhow::Result<ChainReport> {
    let mut tx = store.begin_write().await?;
    let report = verified(&mut tx, checkpoints).await?;
    let audited = audit::append(&mut tx, &operator_event(Action::VerifyAudit, Outcome::Success)).await?;
    tx.commit(audited).await?;
    Ok(report)
}

async fn verified(tx: &mut WriteTx, checkpoints: &[Checkpoint]) -> anyhow::Result<ChainReport> {
    let report = audit::verify_against(tx, checkpoints).await?;
    if !report.intact {
        audit::raise(tx, SecurityEvent::AuditChainBreak, Severity::Critical, "audit chain verification failed").await?;
    }
    Ok(report)
}

/// Verifies the chain and, when intact, signs a checkpoint of it (count and head before this command's own audit
/// row). A broken chain gets no checkpoint: an error.
pub async fn sign_checkpoint(store: &Store) -> anyhow::Result<Checkpoint> {
    let mut tx = store.begin_write().await?;
    let report = verified(&mut tx, &[]).await?;
    if !report.intact {
        tx.commit_unaudited(Unaudited::SecurityEventOnly).await?;
        anyhow::bail!("the audit chain does not verify ({:?}): no checkpoint signed", report.first_break);
    }
    let checkpoint = audit::checkpoint(&mut tx).await?;
    let audited = audit::append(&mut tx, &operator_event(Action::SignCheckpoint, Outcome::Success)).await?;
    tx.commit(audited).await?;
    Ok(checkpoint)
}

/// Reads checkpoint files written by `audit checkpoint`.
pub fn read_checkpoints(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<Checkpoint>> {
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read checkpoint {}: {e}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not an audit checkpoint: {e}", path.display()))
        })
        .collect()
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct VaultReport {
    pub templates: usize,
    pub intact: usize,
    /// Templates whose AEAD check failed, or whose subject key no longer opens.
    pub failed: usize,
}

/// Opens every sealed template; each failure raises an `aead_failure` security event (policy §11).
pub async fn check_vault(store: &Store, kek: &Kek) -> anyhow::Result<VaultReport> {
    let mut tx = store.begin_write().await?;
    let rows = biometrics::all_templates(&mut tx).await?;
    let mut failed = 0;
    for row in &rows {
        let opened = match biometrics::wrapped_key(&mut tx, &row.subject_ref).await? {
            Some(wrapped) => DataKey::unwrap(&wrapped, kek, &row.subject_ref).and_then(|key| {
                let binding = TemplateBinding {
                    record_id: row.id,
                    verification_id: row.verification_id,
                    subject: &row.subject_ref,
                    purpose: row.purpose,
                    model: &row.model,
                };
                open_template(&key, &row.sealed, &binding)
            }),
            None => Err(vault::VaultError::Integrity),
        };
        if opened.is_err() {
            failed += 1;
            let detail = format!("template {} failed its integrity check", row.id);
            audit::raise(&mut tx, SecurityEvent::AeadFailure, Severity::Critical, &detail).await?;
        }
    }
    tx.commit_unaudited(Unaudited::IntegrityScan).await?;
    Ok(VaultReport { templates: rows.len(), intact: rows.len() - failed, failed })
}
