//! `evidence verify`: checks a package offline (crate::evidence::package::check) and reports as JSON.

use super::args::EvidenceCommand;

/// The JSON report and whether every check passed.
pub fn run(command: &EvidenceCommand) -> anyhow::Result<(String, bool)> {
    match command {
        EvidenceCommand::Verify { file, public_key } => {
            let zip = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let report = crate::evidence::package::check(&zip, public_key.as_deref());
            Ok((serde_json::to_string_pretty(&report)?, report.ok))
        }
    }
}
