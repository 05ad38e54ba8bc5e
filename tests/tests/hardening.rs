//! A hostile plugin attacks the host itself (issue 11): header bombs,
//! request and log floods, huge receipts and errors, terminal injection,
//! stderr floods, address-space hogs, and hostile plugin files. Each must
//! fail alone, with a clear error, and never panic the host.

use axum::Router;
use axum::extract::Request;
use axum::routing::any;
use serde_json::{Value, json};
use smshost::{
    ConnectorConfig, Error, Limits, OutgoingMessage, PhoneNumber, PluginFailure, Runtime, RuntimeBuilder, UsageType,
};
use smshost_tests::{Journal, MockServer, load, quick_limits, wasm};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CODE: &str = "864213";
const TO: &str = "+14155552671";

fn message() -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse(TO).unwrap(), UsageType::SignIn, CODE)
}

fn limits() -> Limits {
    Limits {
        cpu_time: Duration::from_millis(500),
        ..quick_limits()
    }
}

fn host(limits: Limits) -> Runtime {
    smshost_tests::hardened_test_host(RuntimeBuilder::new().limits(limits))
}

/// A mock that answers 400 with what it received in `Authorization`, as
/// a careless provider echoes a request in its error.
async fn echo_mock() -> MockServer {
    let journal: Journal = Arc::default();
    let recorded = journal.clone();
    let router = Router::new().fallback(any(move |request: Request| {
        let journal = recorded.clone();
        async move {
            let auth = request
                .headers()
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("")
                .to_string();
            journal.lock().unwrap().push(smshost_tests::Recorded {
                method: request.method().to_string(),
                path: request.uri().path().to_string(),
                query: None,
                headers: Vec::new(),
                body: Vec::new(),
            });
            (axum::http::StatusCode::BAD_REQUEST, format!("bad credentials: {auth}"))
        }
    }));
    MockServer::start(router, journal).await
}

async fn hostile(host: &Runtime, config: Value) -> smshost::Result<smshost::Receipt> {
    if host.plugin("hostile").is_none() {
        load(host, "hostile").await;
    }
    host.connector("hostile", ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message())
        .await
}

fn connector_message(error: &Error) -> String {
    match error {
        Error::Connector { error, .. } => error.message.clone(),
        other => panic!("expected a connector error, got {other:?}"),
    }
}

#[tokio::test]
async fn header_bombs_are_refused_and_never_panic_the_host() {
    let mock = echo_mock().await;
    let host = host(limits());
    let endpoint = format!("{}/sms", mock.url());
    let error = hostile(
        &host,
        json!({"mode": "header-bomb", "endpoint": endpoint, "count": 25_000}),
    )
    .await
    .unwrap_err();
    assert!(
        connector_message(&error).contains("25000 headers exceed the limit of 100"),
        "{error}"
    );
    let error = hostile(&host, json!({"mode": "big-header", "endpoint": endpoint}))
        .await
        .unwrap_err();
    assert!(connector_message(&error).contains("over the limit of 65536"), "{error}");
    assert!(mock.requests().is_empty(), "nothing oversized went out");
    let receipt = hostile(&host, json!({"mode": "ok"}))
        .await
        .expect("the host still serves");
    assert_eq!(receipt.provider_message_id.as_deref(), Some("ok"));
}

#[tokio::test]
async fn receipts_are_redacted_and_capped() {
    let host = host(limits());
    let receipt = hostile(&host, json!({"mode": "leaky-receipt", "apiKey": "receipt-secret-1"}))
        .await
        .unwrap();
    let shown = serde_json::to_string(&receipt).unwrap();
    for leaked in [CODE, "4155552671", "receipt-secret-1"] {
        assert!(!shown.contains(leaked), "{leaked} leaked: {shown}");
    }
    assert!(shown.contains("+14*******71"), "{shown}");

    let receipt = hostile(&host, json!({"mode": "huge-receipt", "count": 100_000}))
        .await
        .unwrap();
    assert!(receipt.provider_message_id.unwrap().len() <= 260);
    assert_eq!(receipt.summary.len(), 33, "32 entries and the dropped count");
    assert_eq!(receipt.summary["…dropped"], "99968");
}

#[tokio::test]
async fn echoed_basic_auth_is_masked_in_every_form() {
    let mock = echo_mock().await;
    let host = host(limits());
    let error = hostile(
        &host,
        json!({"mode": "echo-auth", "endpoint": format!("{}/sms", mock.url()), "apiKey": "tok-echoed-77"}),
    )
    .await
    .unwrap_err();
    assert_eq!(mock.requests().len(), 1);
    let text = format!("{error} {error:?}");
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode("ACuser0001:tok-echoed-77");
    for leaked in [basic.as_str(), "tok-echoed-77", "ACuser0001"] {
        assert!(!text.contains(leaked), "{leaked} leaked: {text}");
    }
    assert!(text.contains("bad credentials: ********"), "{text}");
}

#[tokio::test]
async fn provider_text_cannot_forge_lines_or_flood() {
    let host = host(limits());
    let error = hostile(&host, json!({"mode": "inject"})).await.unwrap_err();
    let text = error.to_string();
    assert!(
        !text.contains('\n') && !text.contains('\r') && !text.contains('\x1b'),
        "{text:?}"
    );
    assert!(
        text.contains("provider said no\\nsmshost: error: \\u{1b}[31mforged"),
        "{text}"
    );
    let error = hostile(&host, json!({"mode": "huge-error"})).await.unwrap_err();
    let text = error.to_string();
    assert!(text.len() < 4096, "a 20 MiB message became {} bytes", text.len());
}

/// Collects what the host logs, to count lines.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn request_floods_are_capped_with_a_bounded_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mock = echo_mock().await;
    let host = host(limits());
    let started = Instant::now();
    let error = hostile(&host, json!({"mode": "deny-loop", "count": 20_000}))
        .await
        .unwrap_err();
    assert!(connector_message(&error).contains("denied loop finished"), "{error}");
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    let lines = log.lines().count();
    assert!(lines <= 110, "{lines} log lines for one send");
    assert!(log.contains("more than 16 HTTP requests in one call"), "{log}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let error = hostile(
        &host,
        json!({"mode": "request-loop", "endpoint": format!("{}/x", mock.url()), "count": 1000}),
    )
    .await
    .unwrap_err();
    assert!(
        connector_message(&error).contains("more than 16 HTTP requests in one call"),
        "{error}"
    );
    assert_eq!(mock.requests().len(), 16);
}

#[tokio::test]
async fn the_end_of_a_stderr_flood_explains_the_trap() {
    let host = host(limits());
    let error = hostile(&host, json!({"mode": "stderr-flood"})).await.unwrap_err();
    let Error::Plugin {
        failure: PluginFailure::Trap(reason),
        ..
    } = &error
    else {
        panic!("expected a trap, got {error:?}");
    };
    assert!(reason.contains("the real reason comes last"), "{reason}");
    assert!(reason.len() <= 2100, "{}", reason.len());
}

#[tokio::test]
async fn a_non_trap_error_names_its_root_cause() {
    let host = host(limits());
    let error = hostile(&host, json!({"mode": "exit"})).await.unwrap_err();
    let text = error.to_string();
    // wasip2 carries only ok/err, so `exit(3)` arrives as status 1.
    assert!(text.contains("Exited with i32 exit status 1"), "{text}");
    assert!(!text.contains("wasm backtrace"), "{text}");
}

#[tokio::test]
async fn cpu_budget_charges_computing_not_waiting() {
    let host = host(limits());
    let receipt = hostile(&host, json!({"mode": "sleep", "count": 1500}))
        .await
        .expect("1.5 s asleep in the host is not 1.5 s of CPU");
    assert_eq!(receipt.provider_message_id.as_deref(), Some("slept"));
    let error = hostile(&host, json!({"mode": "spin"})).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Plugin {
                failure: PluginFailure::CpuBudgetExceeded(_),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn instance_memory_and_table_counts_are_capped() {
    // A real connector with a limit below what it needs fails alone, with
    // the limiter's reason.
    let host = host(Limits {
        max_instances: 1,
        ..limits()
    });
    let error = host.load_file(wasm("hostile")).await.unwrap_err();
    assert!(error.to_string().contains("instance"), "{error}");

    // A component declaring thousands of zero-page memories is refused
    // before it compiles.
    let memories = "(memory 0) ".repeat(5000);
    let component = wat::parse_str(format!(
        "(component (core module $m {memories}) (core instance (instantiate $m)))"
    ))
    .unwrap();
    let host = host_with(limits());
    let error = host.load_bytes("memories.wasm", component).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("declares 5000 linear memories; a plugin may have at most 16"),
        "{error}"
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smshost-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn hostile_files_fail_alone() {
    let dir = temp_dir("fifo");
    std::fs::copy(wasm("twilio"), dir.join("twilio.wasm")).unwrap();
    let fifo = dir.join("x.wasm");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    std::fs::create_dir(dir.join("folder.wasm")).unwrap();
    let host = host(limits());
    let report = tokio::time::timeout(Duration::from_secs(60), host.load_dir(&dir))
        .await
        .expect("a FIFO must not hang the folder load")
        .unwrap();
    assert_eq!(report.loaded.len(), 1);
    let reasons: Vec<String> = report.failed.iter().map(ToString::to_string).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("x.wasm") && r.contains("not a regular file")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("a directory")), "{reasons:?}");

    let small = host_with(Limits {
        max_plugin_bytes: 1000,
        ..limits()
    });
    let error = small.load_file(wasm("twilio")).await.unwrap_err();
    assert!(
        error.to_string().contains("over the plugin size limit of 1000"),
        "{error}"
    );

    let hurried = host_with(Limits {
        compile_timeout: Duration::from_millis(1),
        ..limits()
    });
    let error = hurried.load_file(wasm("twilio")).await.unwrap_err();
    assert!(error.to_string().contains("compiling took longer than 1ms"), "{error}");
}

fn host_with(limits: Limits) -> Runtime {
    host(limits)
}

#[tokio::test]
async fn private_networks_and_plain_http_need_the_operators_grant() {
    let mock = echo_mock().await;
    let strict = |policy: smshost::NetworkPolicy| {
        RuntimeBuilder::new()
            .limits(limits())
            .network_policy(policy)
            .build()
            .unwrap()
    };
    let endpoint = format!("{}/sms", mock.url());
    let config = json!({"mode": "echo-auth", "endpoint": endpoint});

    let host = strict(smshost::NetworkPolicy::strict());
    let error = hostile(&host, config.clone()).await.unwrap_err();
    assert!(connector_message(&error).contains("plain HTTP"), "{error}");

    let http_only = smshost::NetworkPolicy {
        allow_http: true,
        ..smshost::NetworkPolicy::strict()
    };
    let host = strict(http_only);
    let error = hostile(&host, config.clone()).await.unwrap_err();
    assert!(
        connector_message(&error).contains("private or reserved address"),
        "{error}"
    );
    // A name resolving to loopback is refused when it resolves.
    let by_name = json!({"mode": "echo-auth", "endpoint": format!("http://localhost:{}/sms", mock.addr.port())});
    let error = hostile(&host, by_name).await.unwrap_err();
    assert!(
        connector_message(&error).contains("private or reserved addresses"),
        "{error}"
    );
    // The metadata service in IPv4-mapped IPv6 form.
    let metadata = json!({"mode": "echo-auth", "endpoint": "http://[::ffff:169.254.169.254]/latest"});
    let error = hostile(&host, metadata).await.unwrap_err();
    assert!(
        connector_message(&error).contains("private or reserved address"),
        "{error}"
    );
    assert!(mock.requests().is_empty(), "nothing reached the private address");

    // An origin override is the operator's grant for its own target.
    let routed = RuntimeBuilder::new()
        .limits(limits())
        .override_origin(smshost::OriginOverride::new("https://sms.example.test", &mock.url()).unwrap())
        .build()
        .unwrap();
    let error = hostile(
        &routed,
        json!({"mode": "echo-auth", "endpoint": "https://sms.example.test/sms"}),
    )
    .await
    .unwrap_err();
    assert!(connector_message(&error).contains("bad credentials"), "{error}");
    assert_eq!(mock.requests().len(), 1);

    // With the grant, the loopback endpoint is reached directly.
    let host = strict(smshost::NetworkPolicy::permissive());
    hostile(&host, config).await.unwrap_err();
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn a_swapped_cache_entry_is_recompiled_never_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("cache");
    let cache = dir.join("cache");
    let cached = || {
        RuntimeBuilder::new()
            .limits(limits())
            .cache_dir(&cache)
            .build()
            .unwrap()
    };
    let host = cached();
    load(&host, "twilio").await;
    load(&host, "http_sms").await;
    let mut entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "cwasm"))
        .collect();
    entries.sort();
    assert_eq!(entries.len(), 2, "{entries:?}");
    // Swap the two entries, artifacts and sidecars together.
    let sidecar = |path: &std::path::Path| path.with_extension("sha256");
    let parked = dir.join("parked");
    for rename in [
        (&entries[0], &parked),
        (&entries[1], &entries[0]),
        (&parked, &entries[1]),
    ] {
        std::fs::rename(rename.0, rename.1).unwrap();
    }
    let (first, second) = (sidecar(&entries[0]), sidecar(&entries[1]));
    std::fs::rename(&first, &parked).unwrap();
    std::fs::rename(&second, &first).unwrap();
    std::fs::rename(&parked, &second).unwrap();

    let host = cached();
    let twilio = host.load_file(wasm("twilio")).await.unwrap();
    assert_eq!(
        twilio.id(),
        "twilio-short-message-service",
        "the host ran the wrong plugin"
    );
    let http_sms = host.load_file(wasm("http_sms")).await.unwrap();
    assert_eq!(http_sms.id(), "http-sms");

    // A folder others can write is refused with the reason.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let error = RuntimeBuilder::new().cache_dir(&cache).build().expect_err("refused");
    assert!(error.to_string().contains("writable by group or others"), "{error}");
}
