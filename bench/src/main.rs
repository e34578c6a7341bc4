//! The `loadgen` binary: parses the command line, raises the open-file limit and runs the scenario.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a load generator: a broken run should stop loudly rather than report numbers"
)]

use std::process::ExitCode;

use clap::Parser;
use loket_bench::cli::{Cli, Scenario};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("loadgen: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Scenario::ServeFanout { bind } = cli.scenario {
        loket_bench::raise_fd_limit();
        return match runtime.block_on(loket_bench::scenario::fanout::serve(bind)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("loadgen: {err}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(loket_bench::run(&cli)) {
        Ok(bundle) => {
            print!("{}", bundle.table());
            if bundle.runs.iter().any(|r| r.errors.count > 0) {
                eprintln!("loadgen: the run had errors (see above)");
                return ExitCode::from(3);
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("loadgen: {err}");
            ExitCode::FAILURE
        }
    }
}
