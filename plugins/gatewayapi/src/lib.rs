//! GatewayAPI REST: send one SMS through `/rest/mtsms`.
//!
//! `POST {endpoint}` (default `https://gatewayapi.com/rest/mtsms`; EU
//! accounts use `https://gatewayapi.eu/rest/mtsms`) with
//! `Authorization: Token <apiToken>` and a JSON body
//! `{"sender": …, "message": …, "recipients": [{"msisdn": 4520123456}]}`.
//! GatewayAPI answers 200 `{"ids": [421332671], "usage": {…}}`, or 4xx/5xx
//! `{"code": "0x0216", "incident_uuid": "…", "message": "Insufficient credit", "variables": […]}`.
//!
//! Beyond Logto's connector: the provider's recommended token header instead
//! of Basic `<token>:`, `msisdn` as the documented integer, the message id in
//! the receipt, and GatewayAPI's error code and message (with its `%1`
//! placeholders filled in) mapped to Logto's codes.

use serde::Deserialize;
use serde_json::{Value, json};
use smshost_sdk::config::require_non_empty;
use smshost_sdk::error::from_http_status;
use smshost_sdk::http::snippet;
use smshost_sdk::prelude::*;

/// GatewayAPI's global platform, what Logto's Console pre-fills.
const DEFAULT_ENDPOINT: &str = "https://gatewayapi.com/rest/mtsms";

/// The connector's config: Logto's fields, with `endpoint` optional.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// The `/rest/mtsms` URL; `https://gatewayapi.eu/rest/mtsms` for EU accounts.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// API token from the GatewayAPI dashboard.
    pub api_token: String,
    /// Sender: up to 11 letters and digits, or up to 15 digits.
    pub sender: String,
}

impl Config {
    fn endpoint(&self) -> &str {
        self.endpoint.as_deref().map(str::trim).unwrap_or(DEFAULT_ENDPOINT)
    }
}

/// A template entry: `{"usageType": "SignIn", "content": "Your code is {{code}}"}`.
#[derive(Debug, Deserialize)]
struct Template {
    content: String,
}

/// GatewayAPI's success body.
#[derive(Debug, Deserialize)]
struct Sent {
    ids: Vec<Value>,
    #[serde(default)]
    usage: Value,
}

/// GatewayAPI's error body; `code` and `variables` are left out when empty.
#[derive(Debug, Deserialize)]
struct ApiError {
    code: Option<String>,
    incident_uuid: Option<String>,
    message: Option<String>,
    #[serde(default)]
    variables: Vec<Value>,
}

/// The GatewayAPI connector.
pub struct GatewayApi;

/// The recipient as the integer GatewayAPI documents (`4520123456`).
fn msisdn(message: &Message) -> Result<u64, ConnectorError> {
    message
        .to_digits()
        .parse()
        .map_err(|_| ConnectorError::invalid_request("the recipient is not an E.164 number"))
}

/// The request body, keys in Logto's order.
fn body(config: &Config, text: &str, msisdn: u64) -> Value {
    json!({"sender": config.sender, "message": text, "recipients": [{"msisdn": msisdn}]})
}

impl Connector for GatewayApi {
    type Config = Config;

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "gatewayapi-sms".into(),
            name: "GatewayAPI SMS".into(),
            description: "GatewayAPI sends SMS worldwide from its global (gatewayapi.com) or EU (gatewayapi.eu) platform.".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["apiToken", "sender", "templates"],
                "properties": {
                    "endpoint": {"type": "string", "format": "uri", "default": DEFAULT_ENDPOINT,
                        "description": "The /rest/mtsms URL: https://gatewayapi.com/rest/mtsms, or https://gatewayapi.eu/rest/mtsms for EU accounts."},
                    "apiToken": {"type": "string", "writeOnly": true, "description": "API token (sent as `Authorization: Token …`)."},
                    "sender": {"type": "string", "description": "Sender: up to 11 letters and digits, or up to 15 digits."},
                    "templates": {"type": "array", "items": {"type": "object", "required": ["usageType", "content"],
                        "properties": {"usageType": {"type": "string"}, "content": {"type": "string"}, "locale": {"type": "string"}}}}
                }
            })
            .to_string(),
            network_hosts: vec![
                NetworkHost::Origin("https://gatewayapi.com".into()),
                NetworkHost::Origin("https://gatewayapi.eu".into()),
                NetworkHost::ConfigUrl("endpoint".into()),
            ],
            uses_templates: true,
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        require_non_empty("apiToken", &config.api_token)?;
        require_non_empty("sender", &config.sender)?;
        if let Some(endpoint) = &config.endpoint {
            require_non_empty("endpoint", endpoint)?;
            let endpoint = endpoint.trim();
            let rest = endpoint
                .strip_prefix("https://")
                .or_else(|| endpoint.strip_prefix("http://"));
            let host = rest.and_then(|rest| rest.split(['/', '?', '#']).next());
            if host.is_none_or(|host| host.is_empty() || host.contains('@')) {
                return Err(ConnectorError::invalid_config(
                    "invalid config: `endpoint` must be an http(s) URL such as https://gatewayapi.com/rest/mtsms",
                ));
            }
        }
        Ok(())
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: Template = message.template()?;
        let msisdn = msisdn(message)?;
        let response = HttpRequest::post(config.endpoint())
            .header("Authorization", format!("Token {}", config.api_token))
            .header("Accept", "application/json")
            .json(&body(&config, &template.content, msisdn))
            .send()?;
        outcome(response.status, &response.text())
    }
}

/// Reads GatewayAPI's answer: the first message id, or its error.
fn outcome(status: u16, body: &str) -> Result<Receipt, ConnectorError> {
    if !(200..300).contains(&status) {
        return Err(api_error(status, body));
    }
    let sent: Sent = serde_json::from_str(body).map_err(|error| {
        ConnectorError::invalid_response(format!("unreadable GatewayAPI answer: {error}: {}", snippet(body)))
            .http_status(status)
    })?;
    let id = match sent.ids.first() {
        Some(Value::Number(id)) => id.to_string(),
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => {
            return Err(ConnectorError::invalid_response(format!(
                "GatewayAPI accepted the message but returned no id: {}",
                snippet(body)
            ))
            .http_status(status));
        }
    };
    let mut receipt = Receipt::new(Some(id));
    let usage = &sent.usage;
    if let Some(cost) = usage.get("total_cost").filter(|cost| cost.is_number()) {
        receipt = receipt.with("total_cost", cost);
    }
    if let Some(currency) = usage.get("currency").and_then(Value::as_str) {
        receipt = receipt.with("currency", currency);
    }
    if let Some(Value::Object(countries)) = usage.get("countries") {
        let list: Vec<&str> = countries.keys().map(String::as_str).collect();
        if !list.is_empty() {
            receipt = receipt.with("countries", list.join(","));
        }
    }
    Ok(receipt)
}

/// Fills GatewayAPI's `%1`, `%2`… placeholders with `variables`.
fn fill(template: &str, variables: &[Value]) -> String {
    let mut text = template.to_string();
    // Highest index first, so `%1` does not eat the start of `%10`.
    for (index, value) in variables.iter().enumerate().rev() {
        let value = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        text = text.replace(&format!("%{}", index + 1), &value);
    }
    text
}

/// Maps a GatewayAPI error response to a connector error carrying its code.
fn api_error(status: u16, body: &str) -> ConnectorError {
    let parsed = serde_json::from_str::<ApiError>(body)
        .ok()
        .filter(|error| error.code.is_some() || error.message.is_some());
    let Some(ApiError {
        code,
        incident_uuid,
        message,
        variables,
    }) = parsed
    else {
        return from_http_status(status, format!("GatewayAPI answered HTTP {status}: {}", snippet(body)));
    };
    let mut text = message
        .map(|message| fill(&message, &variables))
        .unwrap_or_else(|| format!("GatewayAPI answered HTTP {status}"));
    if let Some(incident) = incident_uuid.filter(|uuid| !uuid.is_empty()) {
        text = format!("{text} (incident {incident})");
    }
    let error = match (status, code.as_deref().map(str::to_ascii_uppercase).as_deref()) {
        (_, Some("0X0216")) => ConnectorError::usage_limited(text),
        // Blacklisted recipient, a destination country the account may not
        // reach, duplicate recipients, filtered content: the request, not
        // the credentials, is at fault.
        (_, Some("0X0215" | "0X0217" | "0X0310" | "0X0312" | "0X0220" | "0X0222")) => {
            ConnectorError::invalid_request(text)
        }
        (429, _) => ConnectorError::rate_limited(text),
        (401 | 403, _) => ConnectorError::unauthorized(text),
        (400 | 422, _) => ConnectorError::invalid_request(text),
        (500..=599, _) => ConnectorError::general(text).retryable(true),
        _ => ConnectorError::general(text),
    };
    let error = error.http_status(status);
    match code {
        Some(code) => error.provider_code(code),
        None => error,
    }
}

smshost_sdk::export_connector!(GatewayApi);

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: Option<&str>) -> Config {
        Config {
            endpoint: endpoint.map(str::to_string),
            api_token: "token".into(),
            sender: "ExampleSMS".into(),
        }
    }

    #[test]
    fn body_matches_the_documented_example() {
        let message = Message {
            to: "+4512345678".into(),
            usage: UsageType::SignIn,
            template: None,
            code: "1".into(),
            locale: None,
            payload: "{}".into(),
            client_ip: None,
        };
        assert_eq!(
            body(&config(None), "Hello World", msisdn(&message).unwrap()).to_string(),
            r#"{"sender":"ExampleSMS","message":"Hello World","recipients":[{"msisdn":4512345678}]}"#
        );
    }

    #[test]
    fn endpoints() {
        assert_eq!(config(None).endpoint(), DEFAULT_ENDPOINT);
        assert_eq!(
            config(Some(" https://gatewayapi.eu/rest/mtsms ")).endpoint(),
            "https://gatewayapi.eu/rest/mtsms"
        );
        assert!(GatewayApi::validate(&config(Some("https://gatewayapi.eu/rest/mtsms"))).is_ok());
        assert!(GatewayApi::validate(&config(Some("http://127.0.0.1:8080/rest/mtsms"))).is_ok());
        for bad in [
            "",
            "gatewayapi.com/rest/mtsms",
            "ftp://gatewayapi.com",
            "https://",
            "https://u:p@gatewayapi.com/",
        ] {
            let error = GatewayApi::validate(&config(Some(bad))).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig, "{bad}");
            assert!(error.message.contains("`endpoint`"), "{bad}: {}", error.message);
        }
    }

    #[test]
    fn success_returns_the_first_id() {
        let receipt = outcome(
            200,
            r#"{"ids":[421332671],"usage":{"countries":{"DK":1},"currency":"DKK","total_cost":0.15}}"#,
        )
        .unwrap();
        assert_eq!(receipt.provider_message_id.as_deref(), Some("421332671"));
        assert_eq!(
            receipt.summary,
            vec![
                ("total_cost".to_string(), "0.15".to_string()),
                ("currency".to_string(), "DKK".to_string()),
                ("countries".to_string(), "DK".to_string()),
            ]
        );
        assert_eq!(
            outcome(200, r#"{"ids":[]}"#).unwrap_err().code,
            ErrorCode::InvalidResponse
        );
        assert_eq!(outcome(200, "OK").unwrap_err().code, ErrorCode::InvalidResponse);
    }

    #[test]
    fn errors_carry_gatewayapi_codes() {
        let error = api_error(
            403,
            r#"{"code":"0x0216","incident_uuid":"d8127429-fa0c-4316-b1f2-f9a2a0a1a3d5","message":"Insufficient credit"}"#,
        );
        assert_eq!(error.code, ErrorCode::UsageLimitExceeded);
        assert_eq!(error.provider_code.as_deref(), Some("0x0216"));
        assert_eq!(error.http_status, Some(403));
        assert_eq!(
            error.message,
            "Insufficient credit (incident d8127429-fa0c-4316-b1f2-f9a2a0a1a3d5)"
        );

        let error = api_error(
            403,
            r#"{"code":"0x0213","incident_uuid":"u","message":"Unauthorized IP-address: %1","variables":["1.2.3.4"]}"#,
        );
        assert_eq!(error.code, ErrorCode::AuthorizationFailed);
        assert!(error.message.starts_with("Unauthorized IP-address: 1.2.3.4"));

        let error = api_error(
            401,
            r#"{"code":"0x0229","incident_uuid":"u","message":"Invalid token"}"#,
        );
        assert_eq!(error.code, ErrorCode::AuthorizationFailed);
        let error = api_error(
            403,
            r#"{"code":"0x0217","incident_uuid":"u","message":"Unauthorized destination: country %1","variables":["RU"]}"#,
        );
        assert_eq!(error.code, ErrorCode::InvalidRequestParameters);
        assert!(error.message.contains("country RU"));
        let error = api_error(
            400,
            r#"{"code":"0x0222","incident_uuid":"u","message":"Missing required parameter %1","variables":["message"]}"#,
        );
        assert_eq!(error.code, ErrorCode::InvalidRequestParameters);

        let error = api_error(429, r#"{"incident_uuid":"u","message":"Too many requests"}"#);
        assert_eq!(error.code, ErrorCode::RateLimitExceeded);
        assert!(error.retryable);
        assert_eq!(error.provider_code, None);

        let error = api_error(500, r#"{"incident_uuid":"u","message":"Internal server error"}"#);
        assert!(error.retryable);
        let error = api_error(502, "<html>Bad gateway</html>");
        assert_eq!(error.code, ErrorCode::General);
        assert!(error.retryable);
        assert!(error.message.contains("Bad gateway"));
    }

    #[test]
    fn placeholders() {
        assert_eq!(fill("a %1 b %2", &[json!("x"), json!(7)]), "a x b 7");
        let many: Vec<Value> = (1..=10).map(|n| json!(format!("v{n}"))).collect();
        assert_eq!(fill("%1 %10", &many), "v1 v10");
        assert_eq!(fill("no vars %1", &[]), "no vars %1");
    }
}
