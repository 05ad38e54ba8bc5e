//! Builds every connector under `plugins/` and every test guest under
//! `tests/guests/` as `wasm32-wasip2` components, as wasmtime's
//! `crates/test-programs` does, so `cargo test` alone is enough.
//!
//! The nested cargo uses its own target dir so it never waits on the lock
//! of the build that runs this script.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_path_buf();
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm");

    for watched in ["wit", "sdk", "plugins", "tests/guests", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args([
            "build",
            "--profile",
            "plugin",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir)
        .args(["-p", "smshost-plugin-*", "-p", "smshost-guest-*"]);
    // The outer build's flags and wrappers (coverage, clippy-driver) are for
    // the host, not for the guests.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    let status = command.status().expect("cannot run cargo to build the plugins");
    if !status.success() {
        panic!(
            "building the wasm32-wasip2 plugins failed ({status}); see the cargo output above (is the target installed? `rustup target add wasm32-wasip2`)"
        );
    }
    let wasm_dir = target_dir.join("wasm32-wasip2").join("plugin");
    println!("cargo:rustc-env=SMSHOST_TEST_WASM_DIR={}", wasm_dir.display());
}
