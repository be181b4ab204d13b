//! `magnetcast`: the command-line edge. Parses arguments, sets up paths and logging, and hands
//! over to the library; errors become one readable line and a non-zero exit.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
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
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("magnetcast: {e:#}");
            ExitCode::FAILURE
        }
    }
}
