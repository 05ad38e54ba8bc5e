//! `smshost check` as a process: it passes on every shipped connector and
//! fails, with a line saying why, on plugins that break the contract.

use serde_json::json;
use smshost_tests::{built_guest, output_text, wasm, write_config};
use std::path::PathBuf;
use std::process::Output;

async fn check(plugin: PathBuf, extra: &[&str]) -> Output {
    let mut args = vec!["check".to_string(), plugin.display().to_string()];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    smshost_tests::run_cli(env!("CARGO_BIN_EXE_smshost-cli"), args).await
}

fn lines_with<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|line| line.starts_with(prefix)).collect()
}

/// The Rust plugins tests/build.rs builds, and the JavaScript and Python
/// ones `./test.sh` builds.
fn shipped() -> Vec<PathBuf> {
    let mut plugins: Vec<PathBuf> = [
        "twilio",
        "vonage",
        "aliyun",
        "tencent",
        "gatewayapi",
        "smsaero",
        "http_sms",
    ]
    .into_iter()
    .map(wasm)
    .collect();
    plugins.extend(built_guest("SMSHOST_PLIVO_GUEST"));
    plugins.extend(built_guest("SMSHOST_SINCH_GUEST"));
    plugins
}

#[tokio::test]
async fn every_shipped_connector_passes() {
    let runs = shipped()
        .into_iter()
        .map(|plugin| async move { (plugin.clone(), check(plugin, &[]).await) });
    for (plugin, output) in futures_join(runs).await {
        let text = output_text(&output);
        assert!(output.status.success(), "{}:\n{text}", plugin.display());
        assert!(lines_with(&text, "FAIL").is_empty(), "{}:\n{text}", plugin.display());
        for line in [
            "PASS  loads",
            "PASS  readme",
            "PASS  config schema is valid JSON Schema",
            "PASS  secret-looking fields are writeOnly",
            "PASS  validate-config refuses",
            "PASS  send with the config to the recording mock",
            "PASS  requests only to declared hosts",
            "PASS  error path: HTTP 401",
            "PASS  error path: HTTP 429",
            "PASS  error path: HTTP 500",
            "PASS  error path: HTTP 200 with an unreadable body",
            "PASS  error path: no answer",
        ] {
            assert!(text.contains(line), "{}: no `{line}` in\n{text}", plugin.display());
        }
        assert!(text.contains(" 0 failed"), "{text}");
    }
}

/// Runs the checks two at a time (the machine has two cores; each check
/// waits ~2 s on its hang test).
async fn futures_join<F: std::future::Future>(runs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut results = Vec::new();
    let mut runs = runs.peekable();
    while runs.peek().is_some() {
        let first = runs.next().expect("peeked");
        match runs.next() {
            Some(second) => {
                let (a, b) = tokio::join!(first, second);
                results.extend([a, b]);
            }
            None => results.push(first.await),
        }
    }
    results
}

#[tokio::test]
async fn a_component_with_a_forbidden_import_fails_at_load() {
    let output = check(wasm("extra_import"), &[]).await;
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    let failed = lines_with(&text, "FAIL");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(failed[0].starts_with("FAIL  loads"), "{text}");
    assert!(failed[0].contains("which this host does not provide"), "{text}");
    assert!(text.contains("smshost: error: check failed: 0 passed"), "{text}");
}

#[tokio::test]
async fn a_future_contract_fails_naming_the_supported_versions() {
    let output = check(wasm("future_contract"), &[]).await;
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    let failed = lines_with(&text, "FAIL");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(failed[0].starts_with("FAIL  loads"), "{text}");
    assert!(failed[0].contains("smshost:connector@9.0.0"), "{text}");
    assert!(failed[0].contains("which this host does not support"), "{text}");
    assert!(
        failed[0].contains("supported contract versions: 0.1.x, 0.2.x"),
        "{text}"
    );
}

#[tokio::test]
async fn a_trapping_send_fails_the_send_and_every_error_path() {
    let config = write_config(
        "check-panic.json",
        &json!({"mode": "panic", "apiKey": "check-secret-key-9", "allowed": "https://sms.example.com/send"}),
    );
    let output = check(wasm("misbehaving"), &["--config", config.to_str().unwrap()]).await;
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    let failed = lines_with(&text, "FAIL");
    assert!(
        failed[0].starts_with(
            "FAIL  send with the config to the recording mock: the plugin failed instead of returning an error"
        ),
        "{text}"
    );
    assert!(
        failed.iter().any(|line| line.starts_with("FAIL  error path: HTTP 429")),
        "{text}"
    );
    assert!(!text.contains("check-secret-key-9"), "secret printed: {text}");
    // What the plugin does right still passes.
    assert!(
        text.contains("PASS  validate-config refuses {}, naming a field"),
        "{text}"
    );
}

#[tokio::test]
async fn a_request_to_an_undeclared_origin_fails() {
    let config = write_config(
        "check-undeclared.json",
        &json!({"mode": "undeclared", "allowed": "https://sms.example.com/send", "target": "https://elsewhere.example.org/x"}),
    );
    let output = check(wasm("misbehaving"), &["--config", config.to_str().unwrap()]).await;
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    let line = lines_with(&text, "FAIL  requests only to declared hosts");
    assert_eq!(line.len(), 1, "{text}");
    assert!(line[0].contains("https://elsewhere.example.org"), "{text}");
}

#[tokio::test]
async fn a_declared_request_is_recorded_with_its_host() {
    let config = write_config(
        "check-declared.json",
        &json!({"mode": "declared", "allowed": "https://sms.example.com/send"}),
    );
    let output = check(wasm("misbehaving"), &["--config", config.to_str().unwrap()]).await;
    let text = output_text(&output);
    assert!(
        text.contains("PASS  requests only to declared hosts: 1 request(s): POST sms.example.com/send"),
        "{text}"
    );
    // It answers success to a 401: the checklist says so.
    assert!(
        text.contains("FAIL  error path: HTTP 401: reported success for a failed send"),
        "{text}"
    );
}
