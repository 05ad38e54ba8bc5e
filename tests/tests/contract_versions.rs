//! Contract versions side by side: a component built against a frozen copy
//! of contract 0.1 and one built against 0.2 both load and send through one
//! host; 0.2's README, logo and example config come through; a component
//! for an unknown version, or importing what the host does not link, is
//! refused before it is compiled (the compile cache stays empty).

use serde_json::{Value, json};
use smshost::{ConnectorConfig, Error, OutgoingMessage, PhoneNumber, RuntimeBuilder, UsageType};
use smshost_tests::daemon::TempDir;
use smshost_tests::{MockServer, mocks, quick_limits, wasm};

const README: &str = include_str!("../guests/contract-v0-2/README.md");
const LOGO: &str = include_str!("../guests/contract-v0-2/logo.svg");
const EXAMPLE_CONFIG: &str = include_str!("../guests/contract-v0-2/example-config.json");

fn host() -> smshost::Runtime {
    // The endpoint is a plain-HTTP mock on loopback: granted.
    smshost_tests::hardened_test_host(RuntimeBuilder::new().limits(quick_limits()))
}

fn endpoint(mock: &MockServer) -> String {
    format!("{}/sms", mock.url())
}

fn sign_in() -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse("+4520123456").unwrap(), UsageType::SignIn, "123456").with_locale("en")
}

/// The 0.2 fixture's example config, sending to `mock`.
fn v0_2_config(mock: &MockServer) -> Value {
    let mut config: Value = serde_json::from_str(EXAMPLE_CONFIG).unwrap();
    config["endpoint"] = json!(endpoint(mock));
    config["authorization"] = json!("Bearer fixture-secret");
    config
}

fn load_reason(error: Error) -> String {
    match error {
        Error::Load { reason, .. } => reason,
        other => panic!("expected a load error, got {other:?}"),
    }
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_0_1_component_still_loads_and_sends() {
    let (mock, _) = mocks::http_sms(Some("Bearer v01-secret".into())).await;
    let host = host();
    let plugin = host
        .load_file(wasm("contract_v0_1"))
        .await
        .expect("the 0.1 fixture loads");
    assert_eq!(plugin.contract(), "smshost:connector@0.1.0");
    let meta = plugin.metadata();
    assert_eq!(meta.id, "contract-v0-1");
    assert_eq!((&meta.readme, &meta.logo, &meta.example_config), (&None, &None, &None));
    assert_eq!(plugin.secret_fields(), ["authorization"]);

    let config = json!({"endpoint": endpoint(&mock), "authorization": "Bearer v01-secret"});
    let connector = host
        .connector("contract-v0-1", ConnectorConfig::from_value(config).unwrap())
        .await
        .expect("the config validates");
    let receipt = connector.send(&sign_in()).await.expect("sent");
    assert_eq!(receipt.summary.get("contract").map(String::as_str), Some("0.1"));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), Some("Bearer v01-secret"));
    assert_eq!(
        requests[0].json(),
        json!({"to": "+4520123456", "type": "SignIn", "payload": {"code": "123456", "locale": "en"}})
    );

    // Its connector errors convert like 0.2's: a refused authorization.
    let wrong = json!({"endpoint": endpoint(&mock), "authorization": "Bearer wrong"});
    let error = host
        .connector("contract-v0-1", ConnectorConfig::from_value(wrong).unwrap())
        .await
        .unwrap()
        .send(&sign_in())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "authorization_failed", "{error}");
    let refused = host
        .validate_config(&plugin, &ConnectorConfig::from_value(json!({})).unwrap())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "invalid_config");
    assert!(refused.to_string().contains("`endpoint` is required"), "{refused}");
}

#[tokio::test]
async fn a_0_2_component_loads_sends_and_carries_its_docs() {
    let (mock, _) = mocks::http_sms(Some("Bearer fixture-secret".into())).await;
    let host = host();
    let plugin = host
        .load_file(wasm("contract_v0_2"))
        .await
        .expect("the 0.2 fixture loads");
    assert_eq!(plugin.contract(), "smshost:connector@0.2.0");
    let meta = plugin.metadata();
    assert_eq!(meta.readme.as_deref(), Some(README));
    assert_eq!(meta.logo.as_deref(), Some(LOGO));
    assert_eq!(
        meta.example_config.as_ref(),
        Some(&serde_json::from_str::<Value>(EXAMPLE_CONFIG).unwrap())
    );
    // The example config passes the plugin's own validation, as the WIT asks.
    let example = ConnectorConfig::from_value(meta.example_config.clone().unwrap()).unwrap();
    host.validate_config(&plugin, &example)
        .await
        .expect("the example config validates");

    let connector = host
        .connector(
            "contract-v0-2",
            ConnectorConfig::from_value(v0_2_config(&mock)).unwrap(),
        )
        .await
        .expect("the config validates");
    let receipt = connector.send(&sign_in()).await.expect("sent");
    assert_eq!(receipt.summary.get("contract").map(String::as_str), Some("0.2"));
    let request = &mock.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer fixture-secret"));
    assert_eq!(
        request.json(),
        json!({
            "to": "+4520123456",
            "type": "SignIn",
            "payload": {"code": "123456", "locale": "en"},
            "text": "Your sign-in code is 123456."
        })
    );
}

#[tokio::test]
async fn both_versions_serve_side_by_side_in_one_host() {
    let (mock, _) = mocks::http_sms(None).await;
    let host = host();
    host.load_file(wasm("contract_v0_1")).await.unwrap();
    host.load_file(wasm("contract_v0_2")).await.unwrap();
    let old = host
        .connector(
            "contract-v0-1",
            ConnectorConfig::from_value(json!({"endpoint": endpoint(&mock)})).unwrap(),
        )
        .await
        .unwrap();
    let mut config = v0_2_config(&mock);
    config.as_object_mut().unwrap().remove("authorization");
    let new = host
        .connector("contract-v0-2", ConnectorConfig::from_value(config).unwrap())
        .await
        .unwrap();
    for round in 0..3 {
        let message = sign_in();
        let (a, b) = tokio::join!(old.send(&message), new.send(&message));
        assert_eq!(a.unwrap().summary["contract"], "0.1", "round {round}");
        assert_eq!(b.unwrap().summary["contract"], "0.2", "round {round}");
    }
    assert_eq!(mock.requests().len(), 6);
}

#[tokio::test]
async fn an_unknown_contract_version_is_refused_before_compiling() {
    let dir = TempDir::new("smshost-contract-cache");
    let cache = dir.path().join("cache");
    let host = RuntimeBuilder::new().cache_dir(&cache).build().unwrap();
    let error = load_reason(host.load_file(wasm("future_contract")).await.unwrap_err());
    assert_eq!(
        error,
        "it was built for contract smshost:connector@9.0.0, which this host does not support; supported contract versions: 0.1.x, 0.2.x"
    );
    // Nothing was compiled: a compiled file lands in the cache.
    assert_eq!(entries(&cache), Vec::<String>::new());
    host.load_file(wasm("contract_v0_2")).await.unwrap();
    assert!(
        entries(&cache).iter().any(|name| name.ends_with(".cwasm")),
        "the cache records compiles: {:?}",
        entries(&cache)
    );
}

#[tokio::test]
async fn an_import_the_host_lacks_is_refused_before_compiling_listing_what_is_allowed() {
    let dir = TempDir::new("smshost-contract-cache");
    let cache = dir.path().join("cache");
    let host = RuntimeBuilder::new().cache_dir(&cache).build().unwrap();
    let error = load_reason(host.load_file(wasm("extra_import")).await.unwrap_err());
    assert!(
        error.starts_with("it imports `test:evil/raw-socket`, which this host does not provide; "),
        "{error}"
    );
    for allowed in [
        "smshost:connector/http and smshost:connector/log",
        "0.1.x, 0.2.x",
        "wasi:io/{error,poll,streams}",
        "wasi:cli/{",
        "deny-all",
    ] {
        assert!(error.contains(allowed), "`{allowed}` missing from: {error}");
    }
    assert_eq!(entries(&cache), Vec::<String>::new());
}
