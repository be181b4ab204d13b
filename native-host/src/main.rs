//! `magnetcast`: the command-line edge. Parses arguments, sets up paths and logging, and hands
//! over to the library; errors become one readable line and a non-zero exit.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if magnetcast::relay::is_browser_launch(&argv) {
        return run(cli::relay());
    }
    run(cli::run(cli::Cli::parse()))
}

fn run(job: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("magnetcast: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(job) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("magnetcast: {e:#}");
            ExitCode::FAILURE
        }
    }
}
