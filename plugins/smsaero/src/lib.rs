//! SMS Aero API v2: send one SMS.
//!
//! `POST https://gate.smsaero.ru/v2/sms/send` with HTTP Basic auth
//! (`email:apiKey`) and a JSON body `{"number": 79031234567, "sign": …, "text": …}`.
//! SMS Aero answers `{"success": true, "data": {"id": …}, "message": null}`,
//! or `{"success": false, "data": …, "message": "<why>"}` (sometimes with
//! HTTP 200), or one of the legacy bodies `{"result": "reject", "reason": …}`
//! and `{"result": "no credits"}` that its official SDKs still handle.
//!
//! Beyond Logto's connector: the `success` flag is checked (Logto treats any
//! 2xx as sent), SMS Aero's own message reaches the caller, `number` is the
//! JSON integer the official Python SDK sends, and the usage type falls back
//! to the `Generic` template like every other connector.

use serde::Deserialize;
use serde_json::{Value, json};
use smshost_sdk::config::require_non_empty;
use smshost_sdk::error::from_http_status;
use smshost_sdk::http::snippet;
use smshost_sdk::prelude::*;

/// SMS Aero's primary gateway (the SDKs' first choice).
const SEND_URL: &str = "https://gate.smsaero.ru/v2/sms/send";

/// The connector's config: exactly Logto's fields.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Account email: the Basic-auth user.
    pub email: String,
    /// API key from the SMS Aero cabinet: the Basic-auth password.
    pub api_key: String,
    /// Sender name approved in the cabinet, sent as `sign`.
    pub sender_name: String,
}

/// A template entry: `{"usageType": "SignIn", "content": "Your code is {{code}}"}`.
#[derive(Debug, Deserialize)]
struct Template {
    content: String,
}

/// Every body shape SMS Aero answers with, v2 and legacy.
#[derive(Debug, Deserialize)]
struct AeroResponse {
    success: Option<bool>,
    #[serde(default)]
    data: Value,
    message: Option<String>,
    /// Legacy: `"reject"` or `"no credits"`.
    result: Option<String>,
    /// Legacy: why a message was rejected.
    reason: Option<String>,
}

/// The SMS Aero connector.
pub struct SmsAero;

/// Logto's `z.string().email()` rule (zod 3): a dot-atom-ish local part of
/// `A-Z a-z 0-9 _ ' + - .`, not starting with a dot or ending with `.`/`'`,
/// no `..`, then `@` and two or more labels, the last one letters only. It
/// also keeps `:` out, which would split the Basic-auth pair.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    if value.contains("..") || local.is_empty() || local.starts_with('.') {
        return false;
    }
    let local_ok = local.chars().all(|c| c.is_ascii_alphanumeric() || "_'+-.".contains(c));
    let last_ok = local
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || "_+-".contains(c));
    if !local_ok || !last_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((top, rest)) = labels.split_last() else {
        return false;
    };
    !rest.is_empty()
        && top.len() >= 2
        && top.chars().all(|c| c.is_ascii_alphabetic())
        && rest.iter().all(|label| {
            label.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The recipient as the JSON integer SMS Aero's Python SDK sends
/// (`79031234567`). E.164 has at most 15 digits, well inside `u64`.
fn number(message: &Message) -> Result<u64, ConnectorError> {
    message
        .to_digits()
        .parse()
        .map_err(|_| ConnectorError::invalid_request("the recipient is not an E.164 number"))
}

/// The request body, keys in Logto's order.
fn body(number: u64, config: &Config, text: &str) -> Value {
    json!({"number": number, "sign": config.sender_name, "text": text})
}

impl Connector for SmsAero {
    type Config = Config;

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "smsaero-short-message-service".into(),
            name: "SMS Aero".into(),
            description: "SMS Aero sends SMS to Russia and CIS countries through its v2 HTTP API.".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["email", "apiKey", "senderName", "templates"],
                "properties": {
                    "email": {"type": "string", "format": "email", "description": "The SMS Aero account's email (Basic-auth user)."},
                    "apiKey": {"type": "string", "writeOnly": true, "description": "API key from smsaero.ru/cabinet/settings/apikey."},
                    "senderName": {"type": "string", "description": "An approved sender name, sent as `sign` (e.g. SMS Aero)."},
                    "templates": {"type": "array", "items": {"type": "object", "required": ["usageType", "content"],
                        "properties": {"usageType": {"type": "string"}, "content": {"type": "string"}, "locale": {"type": "string"}}}}
                }
            })
            .to_string(),
            network_hosts: vec![NetworkHost::Origin("https://gate.smsaero.ru".into())],
            uses_templates: true,
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        require_non_empty("email", &config.email)?;
        require_non_empty("apiKey", &config.api_key)?;
        require_non_empty("senderName", &config.sender_name)?;
        if !is_email(config.email.trim()) {
            return Err(ConnectorError::invalid_config(
                "invalid config: `email` must be an email address (the SMS Aero account's login)",
            ));
        }
        Ok(())
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: Template = message.template()?;
        let number = number(message)?;
        let response = HttpRequest::post(SEND_URL)
            .basic_auth(config.email.trim(), &config.api_key)
            .header("Accept", "application/json")
            .json(&body(number, &config, &template.content))
            .send()?;
        outcome(response.status, &response.text())
    }
}

/// Reads SMS Aero's answer: a receipt only for HTTP 2xx with `success: true`.
fn outcome(status: u16, body: &str) -> Result<Receipt, ConnectorError> {
    let Ok(parsed) = serde_json::from_str::<AeroResponse>(body) else {
        let text = format!("SMS Aero answered HTTP {status}: {}", snippet(body));
        return Err(if (200..300).contains(&status) {
            ConnectorError::invalid_response(text).http_status(status)
        } else {
            from_http_status(status, text)
        });
    };
    if (200..300).contains(&status) && parsed.success == Some(true) {
        let data = &parsed.data;
        let id = match data.get("id") {
            Some(Value::Number(id)) => id.to_string(),
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => {
                return Err(ConnectorError::invalid_response(format!(
                    "SMS Aero reported success without a message id: {}",
                    snippet(body)
                ))
                .http_status(status));
            }
        };
        let mut receipt = Receipt::new(Some(id));
        for key in ["extendStatus", "status", "cost", "channel"] {
            match data.get(key) {
                Some(Value::String(value)) => receipt = receipt.with(key, value),
                Some(value @ Value::Number(_)) => receipt = receipt.with(key, value),
                _ => {}
            }
        }
        return Ok(receipt);
    }
    Err(aero_error(status, parsed))
}

/// Maps a refusal to a connector error carrying SMS Aero's own words.
fn aero_error(status: u16, response: AeroResponse) -> ConnectorError {
    let no_credits = response.result.as_deref() == Some("no credits");
    let mut text = response
        .message
        .filter(|message| !message.trim().is_empty())
        .or(response.reason)
        .or(response.result)
        .unwrap_or_else(|| format!("SMS Aero refused the message (HTTP {status})"));
    // Validation failures list the offending fields: {"number": ["…"]}.
    if let Value::Object(fields) = &response.data {
        let details: Vec<String> = fields
            .iter()
            .filter_map(|(field, problems)| {
                let problems: Vec<&str> = match problems {
                    Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                    Value::String(one) => vec![one.as_str()],
                    _ => return None,
                };
                (!problems.is_empty()).then(|| format!("{field}: {}", problems.join(" ")))
            })
            .collect();
        if !details.is_empty() {
            text = format!("{text} ({})", details.join("; "));
        }
    }
    let error = match status {
        _ if no_credits => ConnectorError::usage_limited(text),
        401 | 403 => ConnectorError::unauthorized(text),
        429 => ConnectorError::rate_limited(text),
        500..=599 => ConnectorError::general(text).retryable(true),
        400 | 422 => ConnectorError::invalid_request(text),
        _ => ConnectorError::general(text),
    };
    error.http_status(status)
}

smshost_sdk::export_connector!(SmsAero);

#[cfg(test)]
mod tests {
    use super::*;

    fn message(to: &str) -> Message {
        Message {
            to: to.into(),
            usage: UsageType::SignIn,
            template: None,
            code: "123456".into(),
            locale: None,
            payload: "{}".into(),
            client_ip: None,
        }
    }

    fn config(email: &str) -> Config {
        Config {
            email: email.into(),
            api_key: "key".into(),
            sender_name: "SMS Aero".into(),
        }
    }

    #[test]
    fn emails_follow_logtos_rule() {
        for good in [
            "user@example.com",
            "first.last+otp@mail.example.ru",
            "o'neil@x-y.io",
            "a_b-c@d.co",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "user",
            "user@",
            "@example.com",
            "user@example",
            "user@example.c",
            "us er@example.com",
            ".user@example.com",
            "user.@example.com",
            "a..b@example.com",
            "a@b@example.com",
            "user:x@example.com",
            "user@-example.com",
            "user@example.c0m",
            "ü@example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        let error = SmsAero::validate(&config("not-an-email")).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidConfig);
        assert!(error.message.contains("`email`"), "{}", error.message);
        assert!(SmsAero::validate(&config("admin@smsaero.ru")).is_ok());
        let mut blank = config("admin@smsaero.ru");
        blank.sender_name = " ".into();
        assert!(SmsAero::validate(&blank).unwrap_err().message.contains("senderName"));
    }

    #[test]
    fn body_sends_number_as_an_integer() {
        let number = number(&message("+79031234567")).unwrap();
        assert_eq!(
            body(number, &config("a@b.ru"), "Код 123456").to_string(),
            r#"{"number":79031234567,"sign":"SMS Aero","text":"Код 123456"}"#
        );
    }

    #[test]
    fn success_needs_the_flag_and_an_id() {
        let receipt = outcome(
            200,
            r#"{"success":true,"data":{"id":12345,"from":"SMS Aero","number":"79031234567","text":"x","status":0,"extendStatus":"queue","channel":"FREE SIGN","cost":5.49,"dateCreate":1719119523,"dateSend":1719119523},"message":null}"#,
        )
        .unwrap();
        assert_eq!(receipt.provider_message_id.as_deref(), Some("12345"));
        assert_eq!(
            receipt.summary,
            vec![
                ("extendStatus".to_string(), "queue".to_string()),
                ("status".to_string(), "0".to_string()),
                ("cost".to_string(), "5.49".to_string()),
                ("channel".to_string(), "FREE SIGN".to_string()),
            ]
        );
        let error = outcome(200, r#"{"success":true,"data":null,"message":null}"#).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidResponse);
        let error = outcome(200, "<html>").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidResponse);
    }

    #[test]
    fn refusals_carry_smsaeros_message() {
        let error = outcome(200, r#"{"success":false,"data":null,"message":"Sign is not approved"}"#).unwrap_err();
        assert_eq!(error.code, ErrorCode::General);
        assert_eq!(error.message, "Sign is not approved");
        assert_eq!(error.http_status, Some(200));
        assert!(!error.retryable);

        let error = outcome(
            400,
            r#"{"success":false,"data":{"number":["Invalid number."]},"message":"Validation error."}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequestParameters);
        assert_eq!(error.message, "Validation error. (number: Invalid number.)");

        let error = outcome(
            401,
            r#"{"success":false,"data":null,"message":"Your request was made with invalid credentials."}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::AuthorizationFailed);

        let error = outcome(429, r#"{"success":false,"data":null,"message":"Too many requests"}"#).unwrap_err();
        assert_eq!(error.code, ErrorCode::RateLimitExceeded);
        assert!(error.retryable);

        let error = outcome(503, "Service Unavailable").unwrap_err();
        assert_eq!(error.code, ErrorCode::General);
        assert!(error.retryable);
        assert!(error.message.contains("Service Unavailable"));

        let error = outcome(200, r#"{"result":"no credits"}"#).unwrap_err();
        assert_eq!(error.code, ErrorCode::UsageLimitExceeded);
        let error = outcome(200, r#"{"result":"reject","reason":"empty field. number"}"#).unwrap_err();
        assert_eq!(error.message, "empty field. number");
        // A 2xx without `success: true` is not a send, whatever Logto thinks.
        assert!(outcome(200, "{}").is_err());
    }
}
