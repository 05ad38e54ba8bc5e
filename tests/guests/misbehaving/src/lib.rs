//! A connector that misbehaves on request (`mode` in its config), for the
//! host's isolation tests.

use serde::Deserialize;
use smshost_sdk::prelude::*;

/// What to do on `send`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    mode: String,
    /// A secret the host must never show.
    #[serde(default)]
    api_key: String,
    /// A declared endpoint (config-url).
    #[serde(default)]
    allowed: Option<String>,
    /// A URL the connector did not declare.
    #[serde(default)]
    target: Option<String>,
}

/// The misbehaving connector.
pub struct Misbehaving;

impl Connector for Misbehaving {
    type Config = Config;

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .string("mode", "What to do on send.")
            .optional()
            .secret("apiKey", "A secret the host must never show.")
            .optional()
            .string("allowed", "A declared endpoint.")
            .optional()
            .string("target", "A URL the connector did not declare.")
            .optional();
        Metadata::new("misbehaving", "Misbehaving")
            .description("Fails in the ways a hostile or buggy plugin would.")
            .config_url("allowed")
            .schema(schema)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        match config.mode.as_str() {
            "loop" => {
                let mut counter = 0u64;
                loop {
                    counter = std::hint::black_box(counter.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "flood" => {
                for line in 0..500 {
                    smshost_sdk::log::info(&format!("line {line}\nFAKE host log line"));
                }
                Ok(Receipt::new(None))
            }
            "panic" => panic!("connector bug while using key {}", config.api_key),
            "leak" => {
                smshost_sdk::log::warn(&format!(
                    "about to fail with key {} for {} (code {})",
                    config.api_key, message.to, message.code
                ));
                Err(ConnectorError::general(format!(
                    "provider rejected key {}",
                    config.api_key
                )))
            }
            "undeclared" => {
                let target = config.target.unwrap_or_default();
                HttpRequest::post(target).json(&serde_json::json!({"x": 1})).send()?;
                Ok(Receipt::new(None))
            }
            "declared" => {
                let allowed = config.allowed.unwrap_or_default();
                let response = HttpRequest::post(allowed).json(&serde_json::json!({"x": 1})).send()?;
                Ok(Receipt::new(None).with("status", response.status))
            }
            _ => Ok(Receipt::new(Some("ok".into()))),
        }
    }
}

smshost_sdk::export_connector!(Misbehaving);
