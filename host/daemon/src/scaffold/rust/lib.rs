//! __NAME__: an smshost SMS connector in Rust.
//!
//! It posts each message as JSON to https://api.example.com/v1/messages
//! with a bearer token: replace the URL, the body and the answer handling
//! with your provider's API, and keep the shape (`Connector`).

use serde::Deserialize;
use serde_json::json;
use smshost_sdk::prelude::*;

const API: &str = "https://api.example.com";

/// The config; a missing or mistyped field is `invalid_config` naming it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    api_key: String,
    sender: String,
}

#[derive(Deserialize)]
struct Template {
    content: String,
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

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "__ID__".into(),
            name: "__NAME__".into(),
            description: "Sends SMS through the Example provider API.".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["apiKey", "sender", "templates"],
                "properties": {
                    "apiKey": {"type": "string", "writeOnly": true, "description": "API key from the provider console."},
                    "sender": {"type": "string", "description": "Sender number (E.164) or alphanumeric id."},
                    "templates": {"type": "array", "items": {"type": "object", "required": ["usageType", "content"],
                        "properties": {"usageType": {"type": "string"}, "content": {"type": "string"}, "locale": {"type": "string"}}}}
                }
            })
            .to_string(),
            network_hosts: vec![NetworkHost::Origin(API.into())],
            uses_templates: true,
            readme: include_str!("../README.md").into(),
            logo: None,
            example_config: include_str!("../example-config.json").into(),
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        smshost_sdk::config::require_non_empty("apiKey", &config.api_key)?;
        smshost_sdk::config::require_non_empty("sender", &config.sender)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: Template = message.template()?;
        let response = HttpRequest::post(format!("{API}/v1/messages"))
            .header("authorization", format!("Bearer {}", config.api_key))
            .json(&json!({"from": config.sender, "to": message.to, "text": template.content}))
            .send()?
            .error_for_status()?;
        let answer: Answer = response.json()?;
        let status = answer.status.unwrap_or_else(|| response.status.to_string());
        Ok(Receipt::new(Some(answer.id)).with("status", status))
    }
}

smshost_sdk::export_connector!(ExampleConnector);
