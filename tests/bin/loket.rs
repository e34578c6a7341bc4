//! The `loket` program for tests that run it as a real process (`CARGO_BIN_EXE_loket-under-test`): the
//! same code as the `loket` binary, which only calls `loket_server::cli::main` too.

fn main() -> std::process::ExitCode {
    loket_server::cli::main()
}
