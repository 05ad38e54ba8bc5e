//! The `smshost` command as a process: receipts on stdout, one error line
//! on stderr, distinct exit codes, no secrets anywhere.

use serde_json::{Value, json};
use smshost_tests::mocks::{self, Mode, TWILIO_MESSAGE_SID, TwilioCreds};
use smshost_tests::write_config;
use smshost_tests::{route, text_templates, wasm};
use std::path::{Path, PathBuf};
use std::process::Output;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "cli-secret-token-77";

fn twilio_config() -> Value {
    json!({"accountSID": SID, "authToken": TOKEN, "fromMessagingServiceSID": "MG1", "templates": text_templates()})
}

async fn smshost(args: Vec<String>) -> Output {
    smshost_tests::run_cli(env!("CARGO_BIN_EXE_smshost-cli"), args).await
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|arg| arg.to_string()).collect()
}

fn twilio_send(config: &Path, mock: &str, to: &str, usage: &str) -> Vec<String> {
    let config = config.display().to_string();
    let route = format!("https://api.twilio.com={mock}");
    args(&[
        "send",
        "--plugin",
        "twilio-short-message-service",
        "--config",
        &config,
        "--to",
        to,
        "--usage",
        usage,
        "--code",
        "123456",
        "--locale",
        "en",
        "--override-origin",
        &route,
    ])
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_no_secret(output: &Output) {
    let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(output));
    assert!(!all.contains(TOKEN), "secret printed: {all}");
}

#[tokio::test]
async fn twilio_send_prints_a_receipt() {
    let (mock, _) = mocks::twilio(TwilioCreds {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
    })
    .await;
    let config = write_config("twilio-ok.json", &twilio_config());
    let output = smshost(twilio_send(&config, &mock.url(), "+4520123456", "SignIn")).await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let receipt: Value = serde_json::from_slice(&output.stdout).expect("JSON receipt");
    assert_eq!(receipt["provider_message_id"], TWILIO_MESSAGE_SID);
    assert_eq!(receipt["connector"], "twilio-short-message-service");
    assert_eq!(mock.requests().len(), 1);
    assert_no_secret(&output);

    // An absurd timeout means "no limit", not a crash.
    let mut forever = twilio_send(&config, &mock.url(), "+4520123456", "SignIn");
    forever.extend(["--timeout".to_string(), "1e19".to_string()]);
    let output = smshost(forever).await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
}

#[tokio::test]
async fn twilio_error_exits_non_zero_with_twilios_code_and_message() {
    let (mock, mode) = mocks::twilio(TwilioCreds {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
    })
    .await;
    *mode.lock().unwrap() = Mode::Answer(
        400,
        json!({"code": 21211, "message": "The 'To' number +4520123456 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}),
    );
    let config = write_config("twilio-21211.json", &twilio_config());
    let output = smshost(twilio_send(&config, &mock.url(), "+4520123456", "SignIn")).await;
    assert_eq!(output.status.code(), Some(5));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("invalid_request_parameters"), "{err}");
    assert!(err.contains("21211"), "{err}");
    assert!(err.contains("is not a valid phone number"), "{err}");
    assert!(output.stdout.is_empty());
    assert_no_secret(&output);
}

#[tokio::test]
async fn usage_errors_and_config_errors_have_their_own_exit_codes() {
    let (mock, _) = mocks::twilio(TwilioCreds {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
    })
    .await;
    let config = write_config("twilio-usage.json", &twilio_config());

    let bad_phone = smshost(twilio_send(&config, &mock.url(), "+4512345678", "SignIn")).await;
    assert_eq!(bad_phone.status.code(), Some(2));
    assert!(
        stderr(&bad_phone).contains("invalid_request_parameters: the phone number is not a valid number"),
        "{}",
        stderr(&bad_phone)
    );

    let bad_usage = smshost(twilio_send(&config, &mock.url(), "+4520123456", "Login")).await;
    assert_eq!(bad_usage.status.code(), Some(2));
    assert!(
        stderr(&bad_usage).contains("unknown usage type `Login`"),
        "{}",
        stderr(&bad_usage)
    );

    let missing = PathBuf::from("/nonexistent/config.json");
    let unreadable = smshost(twilio_send(&missing, &mock.url(), "+4520123456", "SignIn")).await;
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(
        stderr(&unreadable).contains("cannot read config"),
        "{}",
        stderr(&unreadable)
    );

    let missing_plugin = smshost(args(&[
        "send",
        "--plugin",
        "/nonexistent/plugin.wasm",
        "--config",
        "/nonexistent/c.json",
        "--to",
        "+4520123456",
        "--usage",
        "SignIn",
        "--code",
        "123456",
    ]))
    .await;
    assert_eq!(
        missing_plugin.status.code(),
        Some(2),
        "the unreadable config is found first"
    );
    let config_arg = config.display().to_string();
    let missing_plugin = smshost(args(&[
        "send",
        "--plugin",
        "/nonexistent/plugin.wasm",
        "--config",
        &config_arg,
        "--to",
        "+4520123456",
        "--usage",
        "SignIn",
        "--code",
        "123456",
    ]))
    .await;
    assert_eq!(missing_plugin.status.code(), Some(4));
    assert!(
        stderr(&missing_plugin).contains("plugin_not_found"),
        "{}",
        stderr(&missing_plugin)
    );

    let no_flags = smshost(args(&["send", "--plugin", "twilio-short-message-service"])).await;
    assert_eq!(no_flags.status.code(), Some(2));

    let mut broken = twilio_config();
    broken.as_object_mut().unwrap().remove("accountSID");
    let broken = write_config("twilio-broken.json", &broken);
    let invalid = smshost(twilio_send(&broken, &mock.url(), "+4520123456", "SignIn")).await;
    assert_eq!(invalid.status.code(), Some(3));
    assert!(stderr(&invalid).contains("invalid_config"), "{}", stderr(&invalid));
    assert!(stderr(&invalid).contains("accountSID"), "{}", stderr(&invalid));

    let malformed = write_config("malformed.json", &json!("not an object"));
    let malformed = smshost(twilio_send(&malformed, &mock.url(), "+4520123456", "SignIn")).await;
    assert_eq!(malformed.status.code(), Some(3));
    assert!(
        stderr(&malformed).contains("config must be a JSON object"),
        "{}",
        stderr(&malformed)
    );

    assert!(mock.requests().is_empty(), "no refused send may reach the provider");
}

#[tokio::test]
async fn http_sms_send_and_failure() {
    let (mock, mode) = mocks::http_sms(Some("Bearer cli-secret-token-77".into())).await;
    let config = write_config(
        "http-sms.json",
        &json!({"endpoint": "https://sms.example.test/sms", "authorization": format!("Bearer {TOKEN}")}),
    );
    // The endpoint reaches the loopback mock through an override, the
    // operator's grant for its own target.
    let routed = route("https://sms.example.test", &mock);
    let send = || {
        let config = config.display().to_string();
        let plugin = wasm("http_sms").display().to_string();
        smshost(args(&[
            "send",
            "--override-origin",
            &routed,
            "--plugin",
            &plugin,
            "--config",
            &config,
            "--to",
            "4520123456",
            "--usage",
            "Register",
            "--code",
            "654321",
        ]))
    };
    let output = send().await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(mock.requests()[0].json()["payload"]["code"], "654321");

    *mode.lock().unwrap() = Mode::Answer(503, json!({"error": "gateway down"}));
    let output = send().await;
    assert_eq!(output.status.code(), Some(5));
    assert!(stderr(&output).contains("gateway down"), "{}", stderr(&output));
    assert_no_secret(&output);
}

#[tokio::test]
async fn plugins_and_inspect() {
    let output = smshost(args(&["plugins"])).await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let listing = String::from_utf8_lossy(&output.stdout);
    let twilio = listing
        .lines()
        .find(|line| line.starts_with("twilio-short-message-service\t"))
        .expect("twilio listed");
    assert!(
        twilio.contains("Twilio SMS\t0.1.0\t") && twilio.ends_with("twilio.wasm"),
        "{twilio}"
    );
    assert!(
        listing.lines().any(|line| line.starts_with("http-sms\tHTTP SMS\t")),
        "{listing}"
    );

    let output = smshost(args(&["inspect", "twilio-short-message-service"])).await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["contract"], "smshost:connector@0.2.0");
    assert_eq!(shown["network_hosts"][0], json!({"origin": "https://api.twilio.com"}));
    assert_eq!(shown["secret_fields"], json!(["authToken"]));
    assert_eq!(shown["config_schema"]["properties"]["authToken"]["writeOnly"], true);

    let output = smshost(args(&["inspect", "no-such-connector"])).await;
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("plugin_not_found"), "{}", stderr(&output));
}

#[tokio::test]
async fn verbose_logs_mask_secrets_codes_and_numbers() {
    let output = misbehave_verbosely(json!({"mode": "leak", "apiKey": "log-secret-31"}), "leak.json").await;
    assert_eq!(output.status.code(), Some(5));
    let err = stderr(&output);
    assert!(
        err.contains("about to fail with key ******** for +45******56 (code ********)"),
        "{err}"
    );
    assert!(err.contains("+45******56"), "{err}");
    for leaked in ["log-secret-31", "987654", "4520123456"] {
        assert!(!err.contains(leaked), "{leaked} leaked: {err}");
    }
}

#[tokio::test]
async fn cache_dir_keeps_compiled_plugins() {
    let cache = std::env::temp_dir().join(format!("smshost-cli-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let cache_arg = cache.display().to_string();
    let plugin = wasm("twilio").display().to_string();
    for _ in 0..2 {
        let output = smshost(args(&["--cache-dir", &cache_arg, "inspect", &plugin])).await;
        assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    }
    let cached = std::fs::read_dir(&cache)
        .expect("cache written")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|ext| ext == "cwasm"))
        })
        .count();
    assert!(cached > 0, "no compiled artifact in {}", cache.display());
    let _ = std::fs::remove_dir_all(&cache);
}

#[tokio::test]
async fn a_relative_cache_dir_is_taken_from_the_current_folder() {
    let dir = smshost_tests::daemon::TempDir::new("smshost-cli-relative-cache");
    let plugin = wasm("twilio").display().to_string();
    let cwd = dir.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_smshost-cli"))
            .args(["--cache-dir", "relative/cache", "inspect", &plugin])
            .current_dir(&cwd)
            .env_remove("SMSHOST_CACHE_DIR")
            .env_remove("SMSHOST_LOG")
            .output()
            .expect("run smshost")
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let cached: Vec<_> = std::fs::read_dir(dir.path().join("relative/cache"))
        .expect("the cache is under the current folder")
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "cwasm"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
}

#[tokio::test]
async fn load_errors_say_what_is_wrong_without_the_engines_wording() {
    let dir = smshost_tests::daemon::TempDir::new("smshost-cli-load-errors");
    // A component that parses but does not validate: a function that
    // returns nothing where it promises an i32.
    let invalid = wat::parse_str(
        r#"(component
            (core module (func (result i32)))
            (instance $i)
            (export "smshost:connector/connector@0.2.0" (instance $i)))"#,
    )
    .unwrap();
    let mut truncated = std::fs::read(wasm("twilio")).unwrap();
    truncated.truncate(truncated.len() / 3);
    for (name, bytes, reason) in [
        ("invalid.wasm", invalid, "not a valid component: it failed validation ("),
        (
            "truncated.wasm",
            truncated,
            "not a valid component: it is malformed at byte ",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = smshost(args(&["inspect", &path.display().to_string()])).await;
        assert_eq!(output.status.code(), Some(4), "stderr: {}", stderr(&output));
        let err = stderr(&output);
        assert!(err.contains(reason), "{err}");
        for engine_wording in [
            "wasmtime",
            "failed to parse WebAssembly module",
            "Caused by",
            "backtrace",
        ] {
            assert!(!err.contains(engine_wording), "`{engine_wording}` in: {err}");
        }
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    }
}

#[tokio::test]
async fn guest_log_floods_are_cut_and_cannot_forge_lines() {
    let output = misbehave_verbosely(json!({"mode": "flood"}), "flood.json").await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("dropping the rest"), "{err}");
    assert!(
        err.lines().filter(|line| line.contains("line ")).count() <= 101,
        "{err}"
    );
    assert!(
        !err.lines().any(|line| line.starts_with("FAKE")),
        "a guest forged a log line: {err}"
    );
}

/// `smshost -v send` through the misbehaving test guest with `config`.
async fn misbehave_verbosely(config: Value, name: &str) -> Output {
    let config = write_config(name, &config);
    let plugin = wasm("misbehaving").display().to_string();
    let mut send = smshost_tests::send_args(&plugin, &config, "+4520123456", "SignIn", "987654", &[]);
    send.insert(0, "-v".to_string());
    smshost(send).await
}

#[tokio::test]
async fn serve_refuses_a_preset_admin_token_that_could_never_sign_in() {
    let dir = smshost_tests::daemon::TempDir::new("smshost-cli-bad-preset");
    let root = dir.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_smshost-cli"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(root.join("data"))
            .arg("--plugin-dir")
            .arg(root.join("plugins"))
            .env_remove("SMSHOST_LOG")
            .env_remove("SMSHOST_STORE")
            .env("SMSHOST_ADMIN_TOKEN", "my-own-admin-password-without-the-prefix")
            .output()
            .expect("run smshost")
    })
    .await
    .unwrap();
    let text = stderr(&output);
    assert_ne!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("SMSHOST_ADMIN_TOKEN must be `smsh_`"), "{text}");
    assert!(!text.contains("my-own-admin-password"), "the token is echoed: {text}");
    assert!(!text.contains("stored the admin token"), "{text}");
    assert!(!dir.path().join("data").exists(), "refused before the store is created");
}
