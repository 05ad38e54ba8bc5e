//! The `smshost` CLI built inside the test package, so end-to-end tests can
//! run the real command as a process.

fn main() -> std::process::ExitCode {
    smshost_daemon::main()
}
