//! The `smshost` command; see [`smshost::cli`].

fn main() -> std::process::ExitCode {
    smshost::cli::main()
}
