use clap::Parser;
use faceverify::cli::{self, Cli, Command};
use faceverify::startup::Application;
use faceverify::telemetry;

fn main() -> anyhow::Result<()> {
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
        Command::Eval { pairs, source, json } => {
            telemetry::init("warn", std::io::stderr);
            print!("{}", cli::eval(&cli.settings()?, pairs.clone(), source, *json)?);
            Ok(())
        }
    }
}
