use clap::Parser;
use faceverify::admin;
use faceverify::cli::{self, AccountsCommand, AuditCommand, Cli, Command, KeysCommand, RetentionCommand, VaultCommand};
use faceverify::startup::Application;
use faceverify::telemetry;

fn main() -> anyhow::Result<()> {
    // Before any thread exists: the KEK leaves the environment (children and libraries never see it).
    faceverify::vault::take_env_kek();
    let cli = Cli::parse();
    match &cli.command {
        Command::Serve => {
            telemetry::init("info", std::io::stdout);
            let settings = cli.settings()?;
            tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async move {
                Application::build(settings).await?.run_until_stopped().await?;
                Ok(())
            })
        }
        Command::Verify { selfie, document } => {
            telemetry::init("warn", std::io::stderr);
            println!("{}", cli::verify(&cli.settings()?, selfie.clone(), document.clone())?);
            Ok(())
        }
        Command::Accounts(_) | Command::Keys(_) | Command::Audit(_) | Command::Vault(_) | Command::Retention(_) => {
            telemetry::init("warn", std::io::stderr);
            let settings = cli.settings()?;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (output, ok) = runtime.block_on(operate(&cli.command, &settings))?;
            println!("{output}");
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Bench { selfie, document, concurrency, seconds, json, svg } => {
            telemetry::init("warn", std::io::stderr);
            let settings = cli.settings()?;
            let opts = faceverify::bench::BenchOptions {
                selfie: selfie.clone(),
                document: document.clone(),
                concurrency: concurrency.clone(),
                seconds: *seconds,
                json_out: json.clone(),
                svg_out: svg.clone(),
            };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let report = runtime.block_on(faceverify::bench::run(settings, &opts))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::BenchLogin { concurrency, seconds, no_limits } => {
            // Thousands of refused sign-ins a second would each log a line: the report is the output.
            telemetry::init("warn", std::io::sink);
            let opts = faceverify::bench::LoginFloodOptions {
                concurrency: *concurrency,
                seconds: *seconds,
                no_limits: *no_limits,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let report = runtime.block_on(faceverify::bench::run_login_flood(cli.settings()?, &opts))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::TimePairs { pairs, n } => {
            telemetry::init("warn", std::io::stderr);
            let report = faceverify::pair_timing::time_pairs(&cli.settings()?, pairs, *n)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Calibrate { pairs, target_fmr, folds, source, document_cards } => {
            telemetry::init("warn", std::io::stderr);
            let opts = cli::CalibrateOptions {
                pairs: pairs.clone(),
                target_fmr: *target_fmr,
                folds: *folds,
                sources: source.clone(),
                document_cards: *document_cards,
            };
            println!("{}", cli::calibrate(&cli.settings()?, opts)?);
            Ok(())
        }
        Command::EvalAcquisition { pairs } => {
            telemetry::init("warn", std::io::stderr);
            let settings = cli.settings()?;
            let pool = faceverify::engine::start(&settings)?;
            let d = &settings.pipeline.detection;
            let report = faceverify::eval_acquisition::run(
                &pool,
                pairs,
                &settings.pipeline.limits,
                d.selfie_min_score,
                d.document_min_score,
            )?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::EvalDocuments { faces_dir } => {
            telemetry::init("warn", std::io::stderr);
            let mut settings = cli.settings()?;
            settings.pipeline.document.required = true;
            settings.pipeline.document.read_mrz = true;
            let pool = faceverify::engine::start(&settings)?;
            let report = faceverify::document::eval_documents::run(
                &pool,
                faces_dir,
                &settings.pipeline.limits,
                settings.pipeline.document.min_text_lines,
            )?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::EvalSamePicture { pairs, fit_source } => {
            telemetry::init("warn", std::io::stderr);
            let settings = cli.settings()?;
            let pool = faceverify::engine::start(&settings)?;
            let report = faceverify::document::eval::run(
                &pool,
                pairs,
                fit_source,
                &settings.pipeline.limits,
                settings.pipeline.detection.document_min_score,
                settings.thresholds.same_picture_min,
            )?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Eval { pairs, source, json, report_dir, liveness, document_cards, scores } => {
            telemetry::init("warn", std::io::stderr);
            let opts = cli::EvalOptions {
                pairs: pairs.clone(),
                sources: source.clone(),
                json: *json,
                report_dir: report_dir.clone(),
                liveness: liveness.clone(),
                document_cards: *document_cards,
                scores: scores.clone(),
            };
            print!("{}", cli::eval(&cli.settings()?, opts)?);
            Ok(())
        }
    }
}

/// Runs an operator command; `false` when it found a problem (exit status 1).
async fn operate(command: &Command, settings: &faceverify::config::Settings) -> anyhow::Result<(String, bool)> {
    Ok(match command {
        Command::Accounts(AccountsCommand::AddService { name }) => (admin::add_service(settings, name).await?, true),
        Command::Accounts(AccountsCommand::AddStaff { username, role }) => {
            let password = cli::read_new_password()?;
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
            let report =
                faceverify::retention::sweep(&store, &settings.retention, time::OffsetDateTime::now_utc()).await?;
            (serde_json::to_string_pretty(&report)?, true)
        }
        _ => anyhow::bail!("not an operator command"),
    })
}
