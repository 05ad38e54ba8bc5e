//! HTTP SMS: hands each message to the operator's own HTTP endpoint, which
//! delivers it however it likes. Compatible with Logto's `http-sms` connector.
//!
//! `POST {endpoint}` with JSON `{"to", "type", "payload", "ip"?}` and, when
//! configured, the `Authorization` header value verbatim. Any 2xx is success.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use smshost_sdk::config::require_non_empty;
use smshost_sdk::prelude::*;

/// The connector's config (Logto's fields).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Where messages are posted.
    pub endpoint: String,
    /// Sent as the `Authorization` header, verbatim (e.g. `Bearer abc`).
    #[serde(default)]
    pub authorization: Option<String>,
    /// How `to` is written: `e164` (`+4520123456`, the default) or `digits`
    /// (`4520123456`, what Logto's connector sends).
    #[serde(default)]
    pub phone_format: PhoneFormat,
}

/// How the recipient is written in the body.
#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PhoneFormat {
    /// `+` and digits.
    #[default]
    E164,
    /// Digits only, country code first.
    Digits,
}

/// The JSON body the endpoint receives, in Logto's key order.
#[derive(Debug, Serialize)]
struct Body<'a> {
    to: &'a str,
    #[serde(rename = "type")]
    usage: &'a str,
    payload: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'a str>,
}

/// The HTTP SMS connector.
pub struct HttpSms;

impl Connector for HttpSms {
    type Config = Config;

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "http-sms".into(),
            name: "HTTP SMS".into(),
            description: "Send SMS via an HTTP call to your own endpoint.".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["endpoint"],
                "properties": {
                    "endpoint": {"type": "string", "format": "uri", "description": "URL that receives the message as JSON."},
                    "authorization": {"type": "string", "writeOnly": true, "description": "Authorization header value, sent verbatim."},
                    "phoneFormat": {"enum": ["e164", "digits"], "default": "e164", "description": "`to` as +4520123456 (e164) or 4520123456 (digits, as Logto sends it)."}
                }
            })
            .to_string(),
            network_hosts: vec![NetworkHost::ConfigUrl("endpoint".into())],
            uses_templates: false,
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        require_non_empty("endpoint", &config.endpoint)?;
        if !(config.endpoint.starts_with("https://") || config.endpoint.starts_with("http://")) {
            return Err(ConnectorError::invalid_config(
                "invalid config: `endpoint` must be an http:// or https:// URL",
            ));
        }
        Ok(())
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let to = match config.phone_format {
            PhoneFormat::E164 => message.to.as_str(),
            PhoneFormat::Digits => message.to_digits(),
        };
        let body = Body {
            to,
            usage: message.usage.as_logto_str(),
            payload: message.payload_object(),
            ip: message.client_ip.as_deref().filter(|ip| !ip.is_empty()),
        };
        let mut request = HttpRequest::post(&config.endpoint);
        if let Some(authorization) = config.authorization.as_deref().filter(|value| !value.is_empty()) {
            request = request.header("Authorization", authorization);
        }
        let response = request.json(&body).send()?.error_for_status()?;
        Ok(Receipt::new(None).with("status", response.status))
    }
}

smshost_sdk::export_connector!(HttpSms);
