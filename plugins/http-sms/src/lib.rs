#![doc = include_str!("../README.md")]

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

    fn metadata() -> Metadata {
        Metadata::new("http-sms", "HTTP SMS").config_url("endpoint").schema(
            Schema::object()
                .string("endpoint", "URL that receives the message as JSON.")
                .format(Format::Uri)
                .secret("authorization", "Authorization header value, sent verbatim.")
                .optional()
                .choice(
                    "phoneFormat",
                    &["e164", "digits"],
                    "`to` as +4520123456 (e164) or 4520123456 (digits, as Logto sends it).",
                ),
        )
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

smshost_sdk::export_connector!(HttpSms, logo = "logo.svg");
