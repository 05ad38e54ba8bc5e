//! Builds every connector under `plugins/` and every test guest under
//! `tests/guests/` as `wasm32-wasip2` components, as wasmtime's
//! `crates/test-programs` does, so `cargo test` alone is enough.
//!
//! The nested cargo uses its own target dir so it never waits on the lock
//! of the build that runs this script.

use std::env;
use std::path::{Path, PathBuf};
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

    let all = ["smshost-plugin-*".to_string(), "smshost-guest-*".to_string()];
    if !build(&root, &target_dir, &all) {
        // Build one package at a time so one broken plugin does not hide the
        // others; its own tests then fail with "was not built".
        for package in packages(&root) {
            if !build(&root, &target_dir, std::slice::from_ref(&package)) {
                println!(
                    "cargo:warning=building {package} for wasm32-wasip2 failed; its tests will fail (is the target installed? `rustup target add wasm32-wasip2`)"
                );
            }
        }
    }
    let wasm_dir = target_dir.join("wasm32-wasip2").join("plugin");
    println!("cargo:rustc-env=SMSHOST_TEST_WASM_DIR={}", wasm_dir.display());
}

/// Runs the nested `cargo build` for `packages`; true on success.
fn build(root: &Path, target_dir: &Path, packages: &[String]) -> bool {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "--profile",
            "plugin",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    for package in packages {
        command.args(["-p", package]);
    }
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
    command.status().is_ok_and(|status| status.success())
}

/// The package names of every plugin and test guest.
fn packages(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for folder in ["plugins", "tests/guests"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(manifest) = std::fs::read_to_string(entry.path().join("Cargo.toml")) else {
                continue;
            };
            let name = manifest.lines().find_map(|line| {
                line.trim()
                    .strip_prefix("name = \"")?
                    .strip_suffix('"')
                    .map(str::to_string)
            });
            names.extend(name);
        }
    }
    names.sort();
    names
}
