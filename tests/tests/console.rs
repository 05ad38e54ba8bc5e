//! The web console in a real browser: headless Chromium from Debian's
//! packages, driven by Playwright for Python (`tests/console/`), against
//! the real `smshost serve` with the Twilio and Aliyun plugins routed to
//! their mock providers. This test starts the daemon and the mocks, runs
//! the browser suite as a process with the URLs, tokens and credentials in
//! its environment, fails when it fails, then checks what reached the
//! providers and that no secret reached the daemon's log.
//!
//! Without Chromium it prints `skipped: …`, unless
//! `SMSHOST_TEST_CONSOLE_REQUIRED=1` (CI), where that fails. Screenshots of
//! every step go to `target/console-screenshots/`.

use smshost_tests::daemon::{
    Daemon, TWILIO_AUTH_TOKEN, TWILIO_ORIGIN, TWILIO_SERVICE, TWILIO_SID, create_token, form_field, twilio_mock,
};
use smshost_tests::mocks::aliyun::{AliyunCreds, aliyun};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_smshost-cli");
const ALIYUN_ORIGIN: &str = "https://dysmsapi.aliyuncs.com";
const ALIYUN_KEY_ID: &str = "LTAI5tConsoleTestKey01";
const ALIYUN_SECRET: &str = "aliyun-console-secret-7c1d0e";
const ALIYUN_SIGN_NAME: &str = "阿里云短信测试";
/// The tenant the tenant-scoped token belongs to.
const SOLO_TENANT: &str = "solo";

/// Debian's Chromium, or the one `SMSHOST_TEST_CHROMIUM` names.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("SMSHOST_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    path.is_file().then_some(path)
}

fn screenshots_dir() -> PathBuf {
    // `CARGO_TARGET_TMPDIR` is `<target>/tmp`.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("console-screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        if std::env::var("SMSHOST_TEST_CONSOLE_REQUIRED").as_deref() == Ok("1") {
            panic!("no Chromium at /usr/bin/chromium and SMSHOST_TEST_CONSOLE_REQUIRED=1 (apt-get install chromium)");
        }
        println!("skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)");
        return;
    };
    let (twilio, _) = twilio_mock().await;
    let (aliyun, _) = aliyun(AliyunCreds {
        access_key_id: ALIYUN_KEY_ID.into(),
        access_key_secret: ALIYUN_SECRET.into(),
    })
    .await;
    let daemon = Daemon::builder(BIN)
        .plugins(&["twilio", "aliyun", "http_sms"])
        .route(TWILIO_ORIGIN, &twilio)
        .route(ALIYUN_ORIGIN, &aliyun)
        .start()
        .await;
    let solo_token = create_token(&daemon, Some(SOLO_TENANT)).await;
    let screenshots = screenshots_dir();
    std::fs::create_dir_all(&screenshots).expect("create the screenshot folder");

    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("console/browser.sh");
    let env: Vec<(&str, String)> = vec![
        ("SMSHOST_CONSOLE_URL", daemon.url().to_string()),
        ("SMSHOST_CONSOLE_ADMIN_TOKEN", daemon.token().to_string()),
        ("SMSHOST_CONSOLE_TENANT_TOKEN", solo_token),
        ("SMSHOST_CONSOLE_TENANT", SOLO_TENANT.into()),
        ("SMSHOST_CONSOLE_CHROMIUM", chromium.display().to_string()),
        ("SMSHOST_CONSOLE_SCREENSHOTS", screenshots.display().to_string()),
        ("SMSHOST_CONSOLE_TWILIO_SID", TWILIO_SID.into()),
        ("SMSHOST_CONSOLE_TWILIO_TOKEN", TWILIO_AUTH_TOKEN.into()),
        ("SMSHOST_CONSOLE_TWILIO_SERVICE", TWILIO_SERVICE.into()),
        ("SMSHOST_CONSOLE_ALIYUN_KEY_ID", ALIYUN_KEY_ID.into()),
        ("SMSHOST_CONSOLE_ALIYUN_SECRET", ALIYUN_SECRET.into()),
        ("SMSHOST_CONSOLE_ALIYUN_SIGN_NAME", ALIYUN_SIGN_NAME.into()),
    ];
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new("bash");
        command.arg(suite);
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("run tests/console/browser.sh")
    })
    .await
    .expect("the browser suite task");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the browser suite failed ({}):\n{stdout}\n{stderr}\n--- daemon log ---\n{}",
        output.status,
        daemon.logs()
    );
    assert!(stdout.contains(" passed"), "pytest ran no test:\n{stdout}\n{stderr}");

    // The console's test sends reached the providers as real requests: the
    // Generic template with code 000000, through the unsaved config.
    for (mock, field) in [(&twilio, "Body"), (&aliyun, "TemplateParam")] {
        let sent: Vec<String> = mock
            .requests()
            .iter()
            .filter_map(|request| form_field(request, field))
            .collect();
        assert!(
            sent.iter().any(|text| text.contains("000000")),
            "no test send reached {}: {sent:?}",
            mock.url()
        );
    }
    let logs = daemon.logs();
    for secret in [TWILIO_AUTH_TOKEN, ALIYUN_SECRET, daemon.token()] {
        assert!(!logs.contains(secret), "a secret reached the daemon's log");
    }
}
