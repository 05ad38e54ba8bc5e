#![doc = include_str!("../README.md")]

use serde::Deserialize;
use serde_json::{Value, json};
use smshost_sdk::json::scalar_text;
use smshost_sdk::prelude::*;

/// SMS Aero's primary gateway (the SDKs' first choice).
const SEND_URL: &str = "https://gate.smsaero.ru/v2/sms/send";

/// The config: exactly Logto's fields (described in the schema).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    email: String,
    api_key: String,
    sender_name: String,
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

/// The request body, keys in Logto's order.
fn body(number: u64, config: &Config, text: &str) -> Value {
    json!({"number": number, "sign": config.sender_name, "text": text})
}

impl Connector for SmsAero {
    type Config = Config;

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .string("email", "The SMS Aero account's email (Basic-auth user).")
            .format(Format::Email)
            .secret("apiKey", "API key from smsaero.ru/cabinet/settings/apikey.")
            .string("senderName", "An approved sender name, sent as `sign`.")
            .templates(Templates::text());
        Metadata::new("smsaero-short-message-service", "SMS Aero")
            .origin("https://gate.smsaero.ru")
            .schema(schema)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: TextTemplate = message.template()?;
        // The recipient as the JSON integer SMS Aero's Python SDK sends.
        let number = message.to_number()?;
        let response = HttpRequest::post(SEND_URL)
            .basic_auth(config.email.trim(), &config.api_key)
            .header("Accept", "application/json")
            .json(&body(number, &config, &template.content))
            .send()?;
        outcome(&response)
    }
}

/// Reads SMS Aero's answer: a receipt only for HTTP 2xx with `success: true`.
fn outcome(response: &HttpResponse) -> Result<Receipt, ConnectorError> {
    let answer: AeroResponse = response.read_json()?;
    if !(response.is_success() && answer.success == Some(true)) {
        return Err(aero_error(response, answer));
    }
    let id = answer.data.get("id").and_then(scalar_text).filter(|id| !id.is_empty());
    let id = id.ok_or_else(|| response.unexpected("SMS Aero reported success without a message id"))?;
    let facts = ["extendStatus", "status", "cost", "channel"];
    Ok(facts.iter().fold(Receipt::new(Some(id)), |receipt, key| {
        receipt.with_some(key, answer.data.get(key).and_then(scalar_text))
    }))
}

/// Maps a refusal to a connector error carrying SMS Aero's own words.
fn aero_error(response: &HttpResponse, answer: AeroResponse) -> ConnectorError {
    let no_credits = answer.result.as_deref() == Some("no credits");
    // Validation failures list the offending fields: {"number": ["…"]}.
    let fields = answer.data.as_object().into_iter().flatten();
    let details: Vec<String> = fields
        .filter_map(|(field, problems)| {
            let problems: Vec<&str> = match problems {
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                Value::String(one) => vec![one.as_str()],
                _ => return None,
            };
            (!problems.is_empty()).then(|| format!("{field}: {}", problems.join(" ")))
        })
        .collect();
    let message = answer.message.filter(|message| !message.trim().is_empty());
    ProviderError::new("SMS Aero", response)
        .message(message.or(answer.reason).or(answer.result))
        .note((!details.is_empty()).then(|| details.join("; ")))
        .classify(|_| no_credits.then_some(Kind::UsageLimited))
}

smshost_sdk::export_connector!(SmsAero, logo = "logo.svg");

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: u16, body: &str) -> Result<Receipt, ConnectorError> {
        super::outcome(&HttpResponse::new(status, body))
    }

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
    fn the_email_and_the_sender_are_checked() {
        let checked = |email: &str, sender: &str| {
            let config = format!(r#"{{"email": "{email}", "apiKey": "k", "senderName": "{sender}"}}"#);
            smshost_sdk::config::checked::<SmsAero>(&config)
                .map(drop)
                .map_err(|error| error.message)
        };
        assert_eq!(checked(" admin@smsaero.ru ", "SMS Aero"), Ok(()));
        assert_eq!(
            checked("not-an-email", "SMS Aero"),
            Err("`email` must be an email address".into())
        );
        assert_eq!(
            checked("user:x@example.com", "SMS Aero"),
            Err("`email` must be an email address".into())
        );
        assert_eq!(
            checked("admin@smsaero.ru", " "),
            Err("`senderName` must not be empty".into())
        );
    }

    #[test]
    fn body_sends_number_as_an_integer() {
        let number = message("+79031234567").to_number().unwrap();
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
