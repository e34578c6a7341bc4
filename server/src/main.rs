//! The `loket` binary: everything it does is in the library ([`loket_server::cli`]), so tests run the same
//! program.

fn main() -> std::process::ExitCode {
    loket_server::cli::main()
}
