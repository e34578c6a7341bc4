//! Loket's agent web client (filled in by the web client issue).

fn main() {}
