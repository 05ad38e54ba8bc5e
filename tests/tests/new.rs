//! `smshost new`: each language's scaffold, untouched, builds with the
//! language's own tools and passes `smshost check`.

use smshost_tests::output_text;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CLI: &str = env!("CARGO_BIN_EXE_smshost-cli");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A fresh folder for one scaffold, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(lang: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("smshost-new-{}-{lang}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("run the command");
    assert!(output.status.success(), "{command:?} failed:\n{}", output_text(&output));
    output
}

fn scaffold(name: &str, lang: &str, dir: &Path, extra: &[&str]) {
    let output = run(Command::new(CLI)
        .args(["new", name, "--lang", lang, "--dir"])
        .arg(dir)
        .args(extra));
    let text = output_text(&output);
    assert!(text.contains("smshost check"), "{text}");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("## Build"), "{readme}");
}

async fn check_passes(wasm: PathBuf) {
    assert!(wasm.is_file(), "{} was not built", wasm.display());
    let output = smshost_tests::run_cli(CLI, vec!["check".into(), wasm.display().to_string()]).await;
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    assert!(text.contains("PASS  readme"), "{text}");
    assert!(
        text.contains("PASS  send with the config to the recording mock"),
        "{text}"
    );
}

#[tokio::test]
async fn a_rust_scaffold_builds_and_passes_check() {
    let scratch = Scratch::new("rust");
    let dir = scratch.0.join("acme-rust");
    scaffold(
        "acme-rust",
        "rust",
        &dir,
        &["--sdk", repo().join("sdk").to_str().unwrap()],
    );
    // The workspace's lock pins the same crate versions (cargo drops the
    // rest), so the build needs no new downloads; its own target folder
    // under target/ keeps repeated runs incremental.
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
        .join("scaffold-rust");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&dir)
        .args(["build", "--release", "--target", "wasm32-wasip2", "--target-dir"])
        .arg(&target);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
    ] {
        build.env_remove(var);
    }
    tokio::task::spawn_blocking(move || run(&mut build)).await.unwrap();
    check_passes(target.join("wasm32-wasip2/release/acme_rust.wasm")).await;
}

#[tokio::test]
async fn a_javascript_scaffold_builds_and_passes_check() {
    let Some(tools) = smshost_tests::built_guest_tools("SMSHOST_JS_TOOLS") else {
        return;
    };
    let scratch = Scratch::new("js");
    let dir = scratch.0.join("acme-js");
    scaffold("acme-js", "js", &dir, &[]);
    // The same packages `npm ci` installs from the scaffold's lock, which
    // is sdk/js's (test.sh installed them from it).
    std::os::unix::fs::symlink(tools.join("node_modules"), dir.join("node_modules")).unwrap();
    let build_dir = dir.clone();
    tokio::task::spawn_blocking(move || run(Command::new("npm").args(["run", "build"]).current_dir(&build_dir)))
        .await
        .unwrap();
    assert!(dir.join("types/interfaces/smshost-connector-types.d.ts").is_file());
    check_passes(dir.join("target/acme-js.wasm")).await;
}

#[tokio::test]
async fn a_python_scaffold_builds_and_passes_check() {
    let Some(componentize_py) = smshost_tests::built_guest_tools("SMSHOST_COMPONENTIZE_PY") else {
        return;
    };
    let scratch = Scratch::new("python");
    let dir = scratch.0.join("acme-py");
    scaffold("acme-py", "python", &dir, &[]);
    let build_dir = dir.clone();
    tokio::task::spawn_blocking(move || {
        run(Command::new("python3")
            .args([
                "build.py",
                "--src",
                ".",
                "--wit",
                "wit",
                "--out",
                "target/acme-py.wasm",
                "--stubs",
                "stubs",
            ])
            .arg("--componentize-py")
            .arg(&componentize_py)
            .current_dir(&build_dir))
    })
    .await
    .unwrap();
    assert!(dir.join("stubs/wit_world").is_dir());
    check_passes(dir.join("target/acme-py.wasm")).await;
}

#[test]
fn new_refuses_a_bad_name_and_a_full_folder() {
    let scratch = Scratch::new("refusals");
    let output = Command::new(CLI)
        .args(["new", "Acme_SMS", "--lang", "js"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    assert!(output_text(&output).contains("invalid connector name `Acme_SMS`"));
    std::fs::create_dir_all(&scratch.0).unwrap();
    std::fs::write(scratch.0.join("keep.txt"), "mine").unwrap();
    let output = Command::new(CLI)
        .args(["new", "acme", "--lang", "python", "--dir"])
        .arg(&scratch.0)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output_text(&output).contains("already exists and is not empty"));
    assert_eq!(std::fs::read_to_string(scratch.0.join("keep.txt")).unwrap(), "mine");
}
