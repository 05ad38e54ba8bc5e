//! The `smshost` command; see [`smshost_daemon::main`].

fn main() -> std::process::ExitCode {
    smshost_daemon::main()
}
