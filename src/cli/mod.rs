//! The `faceverify` command line. `args` is what clap parses; `run` gives each subcommand its logging, runtime,
//! output and exit status. `admin` holds the operator commands' actions on the store (`operate` dispatches them),
//! `bench` the in-process load tests, `eval` the accuracy evaluations, `pair_timing` faceverify's side of the peer
//! benchmark.

pub mod admin;
pub mod args;
pub mod bench;
pub mod eval;
mod evidence;
mod operate;
pub mod pair_timing;

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;
use tokio::runtime::{Builder, Runtime};

use crate::config::Settings;
use crate::startup::Application;
use crate::telemetry;
use args::{Cli, Command};

/// Runs the parsed command: the service, or one tool whose result goes to standard output. Exit status 1 when an
/// operator check (`audit verify`, `vault check`) finds a problem; errors are the caller's to report.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve => telemetry::init("info", std::io::stdout),
        // Thousands of refused sign-ins a second would each log a line: the report is the output.
        Command::BenchLogin { .. } => telemetry::init("warn", std::io::sink),
        // Standard output carries the result.
        _ => telemetry::init("warn", std::io::stderr),
    }
    // Offline: no settings, database or KEK.
    if let Command::Evidence(command) = &cli.command {
        let (output, ok) = evidence::run(command)?;
        println!("{output}");
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let settings = cli.settings()?;
    match cli.command {
        Command::Serve => multi_thread()?.block_on(async move {
            Application::build(settings).await?.run_until_stopped().await?;
            anyhow::Ok(ExitCode::SUCCESS)
        }),
        Command::Verify { selfie, document } => print_line(&verify(&settings, &selfie, &document)?),
        command @ (Command::Accounts(_)
        | Command::Keys(_)
        | Command::Audit(_)
        | Command::Vault(_)
        | Command::Retention(_)
        | Command::Evidence(_)) => {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let (output, ok) = runtime.block_on(operate::operate(&command, &settings))?;
            println!("{output}");
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Bench { selfie, document, concurrency, seconds, json, svg, postgres } => {
            let opts = bench::load::BenchOptions {
                selfie,
                document,
                concurrency,
                seconds,
                json_out: json,
                svg_out: svg,
                postgres,
            };
            print_json(&multi_thread()?.block_on(bench::load::run(settings, &opts))?)
        }
        Command::BenchAudit { postgres, writers, seconds } => {
            let opts = bench::audit_chain::AuditBenchOptions { postgres, writers, seconds };
            print_json(&multi_thread()?.block_on(bench::audit_chain::run(&opts))?)
        }
        Command::BenchLogin { concurrency, seconds, no_limits } => {
            let opts = bench::login_flood::LoginFloodOptions { concurrency, seconds, no_limits };
            print_json(&multi_thread()?.block_on(bench::login_flood::run(settings, &opts))?)
        }
        Command::RelayoutModel { out, scale } => {
            let space = crate::pipeline::testing::write_relayout_models(&settings.models.dir, &out, scale)?;
            let report = serde_json::json!({
                "models_dir": out,
                "recognition_sha256": space.model_sha256,
                "embedding_dim": space.dim,
            });
            print_json(&report)
        }
        Command::TimePairs { pairs, n, parallel } => {
            print_json(&pair_timing::time_pairs(&settings, &pairs, n, parallel)?)
        }
        Command::Calibrate { pairs, target_fmr, folds, source, document_cards } => {
            let opts = eval::CalibrateOptions { pairs, target_fmr, folds, sources: source, document_cards };
            print_line(&eval::calibrate(&settings, opts)?)
        }
        Command::CalibrateIdentification { pairs, target_fpir, tail_fraction, gallery_sizes, resamples } => {
            let opts = eval::identification::IdentificationOptions {
                pairs,
                target_fpir,
                tail_fraction,
                gallery_sizes,
                resamples,
            };
            print_line(&eval::calibrate_identification(&settings, &opts)?)
        }
        Command::EvalAcquisition { pairs } => print_line(&eval::eval_acquisition(&settings, &pairs)?),
        Command::EvalDocuments { faces_dir } => print_line(&eval::eval_documents(settings, &faces_dir)?),
        Command::EvalLiveness { sessions, faces_dir } => {
            print_line(&eval::eval_liveness(&settings, &sessions, faces_dir.as_deref())?)
        }
        Command::EvalSamePicture { pairs, fit_source } => {
            print_line(&eval::eval_same_picture(&settings, &pairs, &fit_source)?)
        }
        Command::Eval { pairs, source, json, report_dir, liveness, document_cards, scores } => {
            let opts = eval::EvalOptions { pairs, sources: source, json, report_dir, liveness, document_cards, scores };
            // The table ends in a newline of its own; the JSON has none.
            print!("{}", eval::eval(&settings, opts)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn multi_thread() -> std::io::Result<Runtime> {
    Builder::new_multi_thread().enable_all().build()
}

fn print_line(output: &str) -> anyhow::Result<ExitCode> {
    println!("{output}");
    Ok(ExitCode::SUCCESS)
}

fn print_json(report: &impl Serialize) -> anyhow::Result<ExitCode> {
    print_line(&serde_json::to_string_pretty(report)?)
}

/// `verify`: the decision on one selfie and one document photo, as JSON.
fn verify(settings: &Settings, selfie: &Path, document: &Path) -> anyhow::Result<String> {
    let selfie = std::fs::read(selfie).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", selfie.display()))?;
    let document = std::fs::read(document).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", document.display()))?;
    let pool = crate::engine::start(settings)?;
    let evidence = pool.run_blocking(move |p| p.verify(&selfie, &document))??;
    Ok(serde_json::to_string_pretty(&crate::decision::decide(&evidence, &settings.thresholds))?)
}
