use clap::Parser;
use faceverify::cli::{self, args::Cli};

fn main() -> anyhow::Result<std::process::ExitCode> {
    // Before any thread exists: the KEK leaves the environment (children and libraries never see it).
    faceverify::vault::take_env_kek();
    cli::run(Cli::parse())
}
