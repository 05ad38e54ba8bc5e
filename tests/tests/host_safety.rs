//! Broken and hostile plugins: refused at load with a reason, or failing
//! alone at send while the host keeps serving.

use serde_json::json;
use smshost::{
    ConnectorConfig, Error, Limits, NetworkPolicy, OutgoingMessage, PhoneNumber, PluginFailure, RuntimeBuilder,
    UsageType,
};
use smshost_tests::mocks;
use smshost_tests::{load, quick_limits, wasm, wasm_dir};
use std::time::Duration;

fn message() -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse("+14155552671").unwrap(), UsageType::SignIn, "123456")
}

fn limits() -> Limits {
    Limits {
        memory_bytes: 32 << 20,
        cpu_time: Duration::from_millis(500),
        ..quick_limits()
    }
}

async fn misbehave(host: &smshost::Runtime, config: serde_json::Value) -> smshost::Result<smshost::Receipt> {
    host.connector("misbehaving", ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message())
        .await
}

fn load_reason(error: Error) -> String {
    match error {
        Error::Load { reason, .. } => reason,
        other => panic!("expected a load error, got {other:?}"),
    }
}

#[tokio::test]
async fn files_that_are_not_components_are_refused_by_name() {
    let host = RuntimeBuilder::new().build().unwrap();
    let error = host
        .load_bytes("notes.wasm", b"hello world".to_vec())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot load plugin notes.wasm: not a WebAssembly file"),
        "{error}"
    );
    let error = host
        .load_bytes("core.wasm", b"\0asm\x01\0\0\0".to_vec())
        .await
        .unwrap_err();
    assert!(load_reason(error).contains("core WebAssembly module, not a component"));
    let mut truncated = std::fs::read(wasm("twilio")).unwrap();
    truncated.truncate(truncated.len() / 2);
    let error = host.load_bytes("truncated.wasm", truncated).await.unwrap_err();
    assert!(load_reason(error).starts_with("not a valid component"));
    let error = host.load_file(wasm_dir().join("missing.wasm")).await.unwrap_err();
    assert_eq!(error.code(), "io_error");
}

#[tokio::test]
async fn unknown_imports_and_other_contract_versions_are_refused() {
    let host = RuntimeBuilder::new().build().unwrap();
    let error = host.load_file(wasm("extra_import")).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("extra_import.wasm"), "{text}");
    assert!(
        text.contains("imports `test:evil/raw-socket`, which this host does not provide"),
        "{text}"
    );

    let error = host.load_file(wasm("future_contract")).await.unwrap_err();
    let reason = load_reason(error);
    assert!(
        reason.contains("built for contract smshost:connector@9.0.0, which this host does not support")
            && reason.contains("supported contract versions: 0.1.x, 0.2.x"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_folder_with_broken_files_still_loads_the_good_ones() {
    let dir = std::env::temp_dir().join(format!("smshost-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(wasm("twilio"), dir.join("twilio.wasm")).unwrap();
    std::fs::copy(wasm("twilio"), dir.join("twilio-copy.wasm")).unwrap();
    std::fs::write(dir.join("broken.wasm"), b"\0asm garbage").unwrap();
    std::fs::write(dir.join("README.txt"), b"not a plugin").unwrap();
    let host = RuntimeBuilder::new().build().unwrap();
    let report = host.load_dir(&dir).await.unwrap();
    assert_eq!(report.loaded.len(), 1);
    assert_eq!(report.failed.len(), 2, "{:?}", report.failed);
    let reasons: Vec<String> = report.failed.iter().map(ToString::to_string).collect();
    assert!(reasons.iter().any(|r| r.contains("broken.wasm")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("is already taken")), "{reasons:?}");
    // Files compile in parallel but register in name order: the first name
    // keeps a contested id, and the report lists failures in name order.
    assert!(
        report.loaded[0].file().ends_with("twilio-copy.wasm"),
        "{:?}",
        report.loaded[0].file()
    );
    assert!(
        reasons[0].contains("broken.wasm") && reasons[1].contains("twilio.wasm"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn undeclared_hosts_are_refused_and_never_reached() {
    let (mock, _) = mocks::http_sms(None).await;
    let host = RuntimeBuilder::new()
        .limits(limits())
        .network_policy(NetworkPolicy::permissive())
        .build()
        .unwrap();
    load(&host, "misbehaving").await;
    let error = misbehave(
        &host,
        json!({"mode": "undeclared", "target": format!("{}/sms", mock.url())}),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("is not among the plugin's network hosts"),
        "{error}"
    );
    assert!(mock.requests().is_empty(), "the mock must never see a denied request");

    // The same URL declared through config-url goes through.
    let receipt = misbehave(
        &host,
        json!({"mode": "declared", "allowed": format!("{}/sms", mock.url())}),
    )
    .await
    .expect("a declared host is reachable");
    // The endpoint answered (it rejects the body's shape, which is not an SMS).
    assert_eq!(receipt.summary.get("status").map(String::as_str), Some("400"));
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn runaway_plugins_fail_alone() {
    let host = RuntimeBuilder::new()
        .limits(limits())
        .network_policy(NetworkPolicy::permissive())
        .build()
        .unwrap();
    load(&host, "misbehaving").await;

    let error = misbehave(&host, json!({"mode": "loop"})).await.unwrap_err();
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
    assert_eq!(error.code(), "plugin_failed");

    let error = misbehave(&host, json!({"mode": "alloc"})).await.unwrap_err();
    assert!(
        matches!(&error, Error::Plugin { failure: PluginFailure::MemoryLimitExceeded(limit), .. } if *limit == 32 << 20),
        "{error:?}"
    );

    let error = misbehave(&host, json!({"mode": "panic", "apiKey": "panic-secret-99"}))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(
            &error,
            Error::Plugin {
                failure: PluginFailure::Trap(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(text.contains("connector bug while using key ********"), "{text}");
    assert!(!text.contains("panic-secret-99"), "{text}");

    // The host keeps serving, the same plugin included.
    let receipt = misbehave(&host, json!({"mode": "ok"}))
        .await
        .expect("the host still works");
    assert_eq!(receipt.provider_message_id.as_deref(), Some("ok"));
}

#[tokio::test]
async fn connector_errors_never_show_secrets() {
    let host = RuntimeBuilder::new()
        .limits(limits())
        .network_policy(NetworkPolicy::permissive())
        .build()
        .unwrap();
    load(&host, "misbehaving").await;
    let error = misbehave(&host, json!({"mode": "leak", "apiKey": "leaky-secret-55"}))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(text.contains("provider rejected key ********"), "{text}");
    assert!(!text.contains("leaky-secret-55"), "{text}");
}

#[tokio::test]
async fn connector_handles_keep_their_plugin_and_config() {
    let (mock, _) = mocks::http_sms(None).await;
    let host = RuntimeBuilder::new()
        .limits(limits())
        .network_policy(NetworkPolicy::permissive())
        .build()
        .unwrap();
    load(&host, "http_sms").await;
    load(&host, "misbehaving").await;

    let http_config = ConnectorConfig::from_value(json!({"endpoint": format!("{}/sms", mock.url())})).unwrap();
    let http = host.connector("http-sms", http_config).await.unwrap();
    assert_eq!(http.plugin().id(), "http-sms");

    // A refused config makes no handle; the existing one keeps sending.
    let bad = ConnectorConfig::from_value(json!({"mode": 7})).unwrap();
    assert_eq!(
        host.connector("misbehaving", bad).await.unwrap_err().code(),
        "invalid_config"
    );
    http.send(&message()).await.expect("http-sms still sends");

    let ok = ConnectorConfig::from_value(json!({"mode": "ok"})).unwrap();
    let other = host.connector("misbehaving", ok).await.unwrap();
    other.send(&message()).await.unwrap();
    assert_eq!(mock.requests().len(), 1, "only the first send went to http-sms");

    // Unloading a plugin (hot reload) leaves existing handles working.
    assert!(host.unload("http-sms").is_some());
    assert!(host.plugin("http-sms").is_none());
    http.send(&message())
        .await
        .expect("a handle outlives its registry entry");
    assert_eq!(mock.requests().len(), 2);

    assert_eq!(
        host.connector("nope", ConnectorConfig::from_value(json!({})).unwrap())
            .await
            .unwrap_err()
            .code(),
        "plugin_not_found"
    );
}

// Two workers: on one, a spinning guest (which yields every epoch tick)
// would delay the timer of the queue timeout until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sandboxes_are_capped() {
    let host = RuntimeBuilder::new()
        .limits(Limits {
            max_concurrent_sends: 1,
            queue_timeout: Duration::from_millis(200),
            ..limits()
        })
        .build()
        .unwrap();
    load(&host, "misbehaving").await;
    let config = ConnectorConfig::from_value(json!({"mode": "loop"})).unwrap();
    let spinning = host.connector("misbehaving", config).await.unwrap();
    let busy = {
        let spinning = spinning.clone();
        tokio::spawn(async move { spinning.send(&message()).await })
    };
    let waiting = std::time::Instant::now();
    while host.sandboxes_in_use() == 0 {
        assert!(
            !busy.is_finished() && waiting.elapsed() < Duration::from_secs(10),
            "the spinning send never held the sandbox"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The only sandbox is taken by the spinning guest: the next send waits
    // for the queue timeout, then is refused as busy and retryable.
    let error = spinning.send(&message()).await.unwrap_err();
    assert_eq!(error.code(), "busy", "{error}");
    assert!(error.is_retryable());
    assert_eq!(busy.await.unwrap().unwrap_err().code(), "plugin_failed");
}
