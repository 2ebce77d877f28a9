//! The operator commands (`accounts`, `keys`, `audit`, `vault`, `retention`) run against the store: what each
//! prints, and whether it found nothing wrong.

use zeroize::Zeroizing;

use super::admin;
use super::args::{AccountsCommand, AuditCommand, Command, KeysCommand, RetentionCommand, VaultCommand};
use crate::config::Settings;

/// Runs an operator command; `false` when it found a problem (exit status 1).
pub(super) async fn operate(command: &Command, settings: &Settings) -> anyhow::Result<(String, bool)> {
    Ok(match command {
        Command::Accounts(AccountsCommand::AddService { name }) => (admin::add_service(settings, name).await?, true),
        Command::Accounts(AccountsCommand::AddStaff { username, role }) => {
            let password = read_new_password()?;
            (admin::add_staff(settings, username, *role, &password).await?, true)
        }
        Command::Accounts(AccountsCommand::Revoke { key_id }) => {
            (admin::revoke_key(&admin::open(settings).await?.0, key_id).await?, true)
        }
        Command::Accounts(AccountsCommand::Disable { username }) => {
            (admin::disable_staff(&admin::open(settings).await?.0, username).await?, true)
        }
        Command::Accounts(AccountsCommand::Unlock { username }) => {
            (admin::unlock_staff(&admin::open(settings).await?.0, username).await?, true)
        }
        Command::Keys(KeysCommand::Rotate { new_kek_file }) => {
            (serde_json::to_string_pretty(&admin::rotate(settings, new_kek_file).await?)?, true)
        }
        Command::Audit(AuditCommand::Verify { checkpoint }) => {
            let checkpoints = admin::read_checkpoints(checkpoint)?;
            let (store, _) = admin::open(settings).await?;
            let report = admin::verify_audit_against(&store, &checkpoints).await?;
            (serde_json::to_string_pretty(&report)?, report.intact)
        }
        Command::Audit(AuditCommand::Checkpoint { out }) => {
            let (store, _) = admin::open(settings).await?;
            let json = serde_json::to_string_pretty(&admin::sign_checkpoint(&store).await?)?;
            std::fs::write(out, format!("{json}\n"))?;
            (json, true)
        }
        Command::Audit(AuditCommand::AdoptLegacy) => (admin::adopt_legacy(settings).await?, true),
        Command::Vault(VaultCommand::Check) => {
            let (store, kek) = admin::open(settings).await?;
            let report = admin::check_vault(&store, &kek).await?;
            (serde_json::to_string_pretty(&report)?, report.failed == 0)
        }
        Command::Retention(RetentionCommand::Sweep) => {
            let (store, _) = admin::open(settings).await?;
            let report = crate::retention::sweep(&store, &settings.retention, time::OffsetDateTime::now_utc()).await?;
            (serde_json::to_string_pretty(&report)?, true)
        }
        _ => anyhow::bail!("not an operator command"),
    })
}

/// A new staff password from FACEVERIFY_NEW_PASSWORD or the first line of standard input, only ever in zeroizing
/// buffers (the line buffer is reserved up front, so that growing it leaves no copies behind).
fn read_new_password() -> anyhow::Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var("FACEVERIFY_NEW_PASSWORD") {
        return Ok(Zeroizing::new(p));
    }
    let mut line = Zeroizing::new(String::with_capacity(1024));
    std::io::stdin().read_line(&mut line)?;
    Ok(Zeroizing::new(line.trim_end().to_owned()))
}
