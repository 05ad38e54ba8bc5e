//! A connector that attacks the host rather than failing itself (`mode` in
//! its config), for the host's hardening tests. Every request goes to the
//! declared `endpoint` (config-url) unless the mode says otherwise.

use serde::Deserialize;
use smshost_sdk::prelude::*;
use std::io::Write;

/// What to do on `send`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    mode: String,
    /// A secret the host must never show.
    #[serde(default)]
    api_key: String,
    /// The declared endpoint.
    #[serde(default)]
    endpoint: Option<String>,
    /// How many times to repeat, for the flood modes.
    #[serde(default)]
    count: Option<usize>,
}

/// The hostile connector.
pub struct Hostile;

fn endpoint(config: &Config) -> String {
    config.endpoint.clone().unwrap_or_default()
}

impl Connector for Hostile {
    type Config = Config;

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .string("mode", "Which attack to run.")
            .optional()
            .secret("apiKey", "A secret the host must never show.")
            .optional()
            .string("endpoint", "The declared endpoint.")
            .optional()
            .property("count", serde_json::json!({"type": "integer"}))
            .optional();
        Metadata::new("hostile", "Hostile")
            .description("Attacks the host: header bombs, floods, huge receipts, terminal injection.")
            .config_url("endpoint")
            .schema(schema)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let count = config.count.unwrap_or(25_000);
        match config.mode.as_str() {
            // Finding 1: tens of thousands of headers, or one huge one.
            "header-bomb" => {
                let mut request = HttpRequest::post(endpoint(&config));
                for i in 0..count {
                    request = request.header(format!("x-h{i}"), "v");
                }
                request.send()?;
                Ok(Receipt::new(None))
            }
            "big-header" => {
                HttpRequest::post(endpoint(&config))
                    .header("x-big", "a".repeat(8 << 20))
                    .send()?;
                Ok(Receipt::new(None))
            }
            // Finding 8: a loop on denied requests, or on allowed ones.
            "deny-loop" => {
                for _ in 0..count {
                    let _ = HttpRequest::get("https://undeclared.example.com/").send();
                }
                Err(ConnectorError::general("denied loop finished"))
            }
            "request-loop" => {
                let mut last = None;
                for _ in 0..count {
                    match HttpRequest::get(endpoint(&config)).send() {
                        Ok(_) => {}
                        Err(error) => {
                            last = Some(error);
                            break;
                        }
                    }
                }
                Err(last.unwrap_or_else(|| ConnectorError::general("every request went through")))
            }
            // Finding 4: Twilio-style basic auth that the provider echoes.
            "echo-auth" => {
                let response = HttpRequest::post(endpoint(&config))
                    .basic_auth("ACuser0001", &config.api_key)
                    .send()?;
                Err(ConnectorError::general(response.text()).provider_code(response.text()))
            }
            // Finding 5: a forged second line and a 20 MiB message.
            "inject" => Err(
                ConnectorError::general("provider said no\nsmshost: error: \x1b[31mforged line\x1b[0m")
                    .provider_code("E1\r\nforged"),
            ),
            "huge-error" => Err(ConnectorError::general("e".repeat(20 << 20))),
            // Finding 3: a receipt whose id and keys carry the code and number.
            "leaky-receipt" => {
                let mut receipt = Receipt::new(Some(format!("id-{}-{}", message.code, message.to)));
                receipt = receipt.with(&format!("to {}", message.to), format!("code {}", message.code));
                receipt = receipt.with(&format!("key {}", config.api_key), "x");
                Ok(receipt)
            }
            "huge-receipt" => {
                let mut receipt = Receipt::new(Some("i".repeat(1 << 20)));
                for i in 0..count {
                    receipt = receipt.with(&format!("k{i}"), "v".repeat(64));
                }
                Ok(receipt)
            }
            // Finding 9: 100 KiB of stderr, then the panic message last.
            "stderr-flood" => {
                let mut stderr = std::io::stderr();
                for _ in 0..100 {
                    let _ = stderr.write_all(&[b'.'; 1024]);
                }
                panic!("the real reason comes last");
            }
            // Finding 10: a non-trap error (a WASI exit).
            "exit" => std::process::exit(3),
            // CPU accounting: a long wait in the host, then success.
            "slow-host" => {
                HttpRequest::get(endpoint(&config)).send()?;
                Ok(Receipt::new(Some("waited".into())))
            }
            // CPU accounting: sleeping in the host is not computing.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_millis(count as u64));
                Ok(Receipt::new(Some("slept".into())))
            }
            "spin" => {
                let mut counter = 0u64;
                loop {
                    counter = std::hint::black_box(counter.wrapping_add(1));
                }
            }
            _ => Ok(Receipt::new(Some("ok".into()))),
        }
    }
}

smshost_sdk::export_connector!(Hostile);
