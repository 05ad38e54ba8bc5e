//! A connector built with wit-bindgen against a frozen copy of contract 0.2
//! (this guest's own `wit/`), with the README, logo and example config 0.2
//! adds. It posts `{to, type, payload, text}` as JSON to the `endpoint` of
//! its config, `text` being the template the host selected and rendered.

wit_bindgen::generate!({ world: "sms-connector", path: "wit" });

use exports::smshost::connector::connector::Guest;
use serde_json::{Value, json};
use smshost::connector::http::{self, Request};
use smshost::connector::log::{self, Level};
use smshost::connector::types::{
    ConnectorError, ConnectorMetadata, ErrorCode, Message, NetworkHost, Receipt, UsageType,
};

struct ContractV02;

fn refusal(code: ErrorCode, message: String, http_status: Option<u16>) -> ConnectorError {
    ConnectorError {
        code,
        message,
        provider_code: None,
        http_status,
        retryable: matches!(http_status, Some(429 | 500..=599)),
    }
}

struct Config {
    endpoint: String,
    authorization: Option<String>,
}

impl Config {
    fn parse(text: &str) -> Result<Config, ConnectorError> {
        let invalid = |reason: &str| refusal(ErrorCode::InvalidConfig, reason.to_string(), None);
        let value: Value = serde_json::from_str(text).map_err(|_| invalid("the config is not JSON"))?;
        let Some(endpoint) = value.get("endpoint").and_then(Value::as_str) else {
            return Err(invalid("`endpoint` is required"));
        };
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(invalid("`endpoint` must be an http(s) URL"));
        }
        Ok(Config {
            endpoint: endpoint.to_string(),
            authorization: value.get("authorization").and_then(Value::as_str).map(String::from),
        })
    }
}

impl Guest for ContractV02 {
    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "contract-v0-2".into(),
            name: "Contract 0.2 fixture".into(),
            description: "Posts the rendered template as JSON to an endpoint; built against contract 0.2.".into(),
            version: "0.2.0".into(),
            config_schema: json!({
                "type": "object",
                "required": ["endpoint", "templates"],
                "properties": {
                    "endpoint": {"type": "string", "format": "uri"},
                    "authorization": {"type": "string", "writeOnly": true},
                    "templates": {"type": "array"}
                }
            })
            .to_string(),
            network_hosts: vec![NetworkHost::ConfigUrl("endpoint".into())],
            uses_templates: true,
            readme: include_str!("../README.md").into(),
            logo: Some(include_str!("../logo.svg").into()),
            example_config: include_str!("../example-config.json").into(),
        }
    }

    fn validate_config(config: String) -> Result<(), ConnectorError> {
        Config::parse(&config).map(drop)
    }

    fn send(config: String, message: Message) -> Result<Receipt, ConnectorError> {
        let config = Config::parse(&config)?;
        let template: Value = message
            .template
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Value::Null);
        let Some(text) = template.get("content").and_then(Value::as_str) else {
            return Err(refusal(
                ErrorCode::TemplateNotFound,
                "the template has no `content`".into(),
                None,
            ));
        };
        let payload: Value = serde_json::from_str(&message.payload).unwrap_or(Value::Null);
        let kind = match message.usage {
            UsageType::SignIn => "SignIn",
            UsageType::Register => "Register",
            UsageType::ForgotPassword => "ForgotPassword",
            UsageType::Generic => "Generic",
            // The rest are sent as Generic: this fixture needs no more.
            _ => "Generic",
        };
        let body = json!({"to": message.to, "type": kind, "payload": payload, "text": text});
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(value) = config.authorization {
            headers.push(("authorization".to_string(), value));
        }
        log::write(Level::Debug, "contract 0.2 fixture: posting one message");
        let request = Request {
            method: "POST".into(),
            url: config.endpoint,
            headers,
            body: body.to_string().into_bytes(),
        };
        let response = http::send(&request)
            .map_err(|failure| refusal(ErrorCode::General, format!("no answer: {failure:?}"), None))?;
        if !(200..300).contains(&response.status) {
            let code = match response.status {
                401 | 403 => ErrorCode::AuthorizationFailed,
                429 => ErrorCode::RateLimitExceeded,
                _ => ErrorCode::General,
            };
            return Err(refusal(
                code,
                format!("the endpoint answered {}", response.status),
                Some(response.status),
            ));
        }
        Ok(Receipt {
            provider_message_id: None,
            summary: vec![
                ("status".into(), response.status.to_string()),
                ("contract".into(), "0.2".into()),
            ],
        })
    }
}

#[cfg(target_arch = "wasm32")]
export!(ContractV02);
