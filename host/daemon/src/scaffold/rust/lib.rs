//! __NAME__: an smshost SMS connector in Rust.
//!
//! It posts each message as JSON to https://api.example.com/v1/messages
//! with a bearer token: replace the URL, the body and the answer handling
//! with your provider's API, and keep the shape (`Connector`).

use serde::Deserialize;
use serde_json::json;
use smshost_sdk::prelude::*;

const API: &str = "https://api.example.com";

/// The config; a missing, empty or mistyped field is `invalid_config` naming it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    api_key: String,
    sender: String,
}

#[derive(Deserialize)]
struct Answer {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

/// The connector.
pub struct ExampleConnector;

impl Connector for ExampleConnector {
    type Config = Config;

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .secret("apiKey", "API key from the provider console.")
            .string("sender", "Sender number (E.164) or alphanumeric id.")
            .templates(Templates::text());
        Metadata::new("__ID__", "__NAME__").origin(API).schema(schema)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: TextTemplate = message.template()?;
        let response = HttpRequest::post(format!("{API}/v1/messages"))
            .header("authorization", format!("Bearer {}", config.api_key))
            .json(&json!({"from": config.sender, "to": message.to, "text": template.content}))
            .send()?
            .error_for_status()?;
        let answer: Answer = response.read_json()?;
        let status = answer.status.unwrap_or_else(|| response.status.to_string());
        Ok(Receipt::new(Some(answer.id)).with("status", status))
    }
}

// Embeds README.md and example-config.json; `logo = "logo.svg"` adds an SVG logo.
smshost_sdk::export_connector!(ExampleConnector);
