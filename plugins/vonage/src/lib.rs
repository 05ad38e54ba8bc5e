//! Vonage (Nexmo) SMS API: send one SMS.
//!
//! `POST https://rest.nexmo.com/sms/json` with a form body: `from`, `to`
//! (digits, no `+`), `text`, `type=unicode` when the text is not GSM-7, and
//! the credentials `api_key` and `api_secret`. Vonage answers HTTP 200 even
//! when a message fails: `{"message-count": "1", "messages": [{"status": "0",
//! "message-id": …, "remaining-balance": …, "message-price": …}]}`, where any
//! `status` other than `"0"` is a failure explained by `error-text`.
//!
//! Beyond Logto's connector: the form encoding Vonage documents (Logto's SDK
//! posts JSON), `type=unicode` for text GSM-7 cannot carry (Logto sends none,
//! so Cyrillic, Chinese or emoji arrive garbled), and Vonage's own status and
//! `error-text` in the error instead of "Some SMS messages failed to send".

use serde::Deserialize;
use serde_json::{Value, json};
use smshost_sdk::config::require_non_empty;
use smshost_sdk::error::from_http_status;
use smshost_sdk::http::snippet;
use smshost_sdk::prelude::*;

const SEND_URL: &str = "https://rest.nexmo.com/sms/json";

/// The connector's config: exactly Logto's fields.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// API key from the Vonage dashboard, sent as `api_key`.
    pub api_key: String,
    /// API secret, sent as `api_secret`.
    pub api_secret: String,
    /// Sender: an alphanumeric sender id (≤ 11 characters) or a Vonage number, sent as `from`.
    pub brand_name: String,
}

/// A template entry: `{"usageType": "SignIn", "content": "Your code is {{code}}"}`.
#[derive(Debug, Deserialize)]
struct Template {
    content: String,
}

/// Vonage's answer; every value is a string in practice, numbers are tolerated.
#[derive(Debug, Deserialize)]
struct SmsResponse {
    #[serde(rename = "message-count", default)]
    message_count: Value,
    #[serde(default)]
    messages: Vec<SmsPart>,
}

/// One entry of `messages`: one SMS part, or the reason it failed.
#[derive(Debug, Deserialize)]
struct SmsPart {
    #[serde(default)]
    status: Value,
    #[serde(rename = "message-id")]
    message_id: Option<String>,
    #[serde(rename = "error-text")]
    error_text: Option<String>,
    #[serde(rename = "remaining-balance")]
    remaining_balance: Option<String>,
    #[serde(rename = "message-price")]
    message_price: Option<String>,
    network: Option<String>,
}

/// The Vonage connector.
pub struct Vonage;

/// GSM 03.38 default alphabet, in code-point order of the 7-bit table.
const GSM7_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

/// GSM 03.38 extension table (each costs an escape plus one septet).
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// True when GSM-7 (basic table plus extension table) can carry `text`;
/// otherwise Vonage must be told `type=unicode` or it substitutes characters.
pub fn is_gsm7(text: &str) -> bool {
    text.chars()
        .all(|c| GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c))
}

/// The form fields, in Logto's order plus `type` when needed.
fn form<'a>(config: &'a Config, to: &'a str, text: &'a str) -> Vec<(&'static str, &'a str)> {
    let mut form = vec![("from", config.brand_name.as_str()), ("to", to), ("text", text)];
    if !is_gsm7(text) {
        form.push(("type", "unicode"));
    }
    form.push(("api_key", config.api_key.as_str()));
    form.push(("api_secret", config.api_secret.as_str()));
    form
}

impl Connector for Vonage {
    type Config = Config;

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "vonage-sms".into(),
            name: "Vonage SMS".into(),
            description: "Vonage (formerly Nexmo) sends SMS worldwide through its SMS API.".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["apiKey", "apiSecret", "brandName", "templates"],
                "properties": {
                    "apiKey": {"type": "string", "writeOnly": true, "description": "API key from the Vonage dashboard."},
                    "apiSecret": {"type": "string", "writeOnly": true, "description": "API secret from the Vonage dashboard."},
                    "brandName": {"type": "string", "description": "Sender: an alphanumeric sender id (≤ 11 characters) or a Vonage virtual number, sent as `from`."},
                    "templates": {"type": "array", "items": {"type": "object", "required": ["usageType", "content"],
                        "properties": {"usageType": {"type": "string"}, "content": {"type": "string"}, "locale": {"type": "string"}}}}
                }
            })
            .to_string(),
            network_hosts: vec![NetworkHost::Origin("https://rest.nexmo.com".into())],
            uses_templates: true,
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        require_non_empty("apiKey", &config.api_key)?;
        require_non_empty("apiSecret", &config.api_secret)?;
        require_non_empty("brandName", &config.brand_name)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: Template = message.template()?;
        let response = HttpRequest::post(SEND_URL)
            .header("Accept", "application/json")
            .form(&form(&config, message.to_digits(), &template.content))
            .send()?;
        outcome(response.status, &response.text())
    }
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Reads Vonage's answer: every part must have `status` `"0"`.
fn outcome(status: u16, body: &str) -> Result<Receipt, ConnectorError> {
    let parsed = serde_json::from_str::<SmsResponse>(body);
    if !(200..300).contains(&status) {
        // Not the SMS API's usual way to fail, but its SDKs expect 401/429/5xx.
        if let Ok(response) = &parsed
            && let Some(error) = first_failure(response, status)
        {
            return Err(error);
        }
        return Err(from_http_status(
            status,
            format!("Vonage answered HTTP {status}: {}", snippet(body)),
        ));
    }
    let response = parsed.map_err(|error| {
        ConnectorError::invalid_response(format!("unreadable Vonage answer: {error}: {}", snippet(body)))
            .http_status(status)
    })?;
    if response.messages.is_empty() {
        return Err(ConnectorError::invalid_response(format!(
            "Vonage answered without any message: {}",
            snippet(body)
        ))
        .http_status(status));
    }
    if let Some(error) = first_failure(&response, status) {
        return Err(error);
    }
    let first = &response.messages[0];
    let mut receipt = Receipt::new(first.message_id.clone());
    let count = text_of(&response.message_count).unwrap_or_else(|| response.messages.len().to_string());
    receipt = receipt.with("message-count", count);
    let prices: Vec<&str> = response
        .messages
        .iter()
        .filter_map(|part| part.message_price.as_deref())
        .collect();
    match prices.as_slice() {
        [] => {}
        [one] => receipt = receipt.with("message-price", one),
        many => {
            // A long text is billed per part; the summary shows the whole send.
            let total: f64 = many.iter().filter_map(|price| price.parse::<f64>().ok()).sum();
            receipt = receipt.with("message-price", format!("{total:.8}"));
        }
    }
    // The last part's balance is the one left after the whole send.
    if let Some(balance) = response
        .messages
        .iter()
        .rev()
        .find_map(|part| part.remaining_balance.as_deref())
    {
        receipt = receipt.with("remaining-balance", balance);
    }
    if let Some(network) = first.network.as_deref() {
        receipt = receipt.with("network", network);
    }
    Ok(receipt)
}

/// The first part whose status is not `"0"`, as a connector error.
fn first_failure(response: &SmsResponse, http_status: u16) -> Option<ConnectorError> {
    let parts = response.messages.len();
    let (index, part) = response
        .messages
        .iter()
        .enumerate()
        .find(|(_, part)| text_of(&part.status).as_deref() != Some("0"))?;
    let code = text_of(&part.status).unwrap_or_else(|| "unknown".to_string());
    let mut text = part
        .error_text
        .clone()
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| format!("Vonage refused the message with status {code}"));
    if parts > 1 {
        text = format!("{text} (part {} of {parts})", index + 1);
    }
    Some(status_error(&code, text).provider_code(code).http_status(http_status))
}

/// Maps a Vonage SMS status (developer.vonage.com/api-errors/sms) to Logto's codes.
fn status_error(code: &str, text: String) -> ConnectorError {
    match code {
        "1" => ConnectorError::rate_limited(text),
        // Bad credentials, a barred account, an account not enabled for
        // HTTP, a bad signature or a signature sent along with the secret.
        "4" | "8" | "11" | "14" | "32" => ConnectorError::unauthorized(text),
        // Partner quota violation: not enough credit.
        "9" => ConnectorError::usage_limited(text),
        // Missing or invalid parameters, invalid message, barred or
        // deactivated number, too long, bad sender, network or callback,
        // destination not on the trial whitelist.
        "2" | "3" | "6" | "7" | "12" | "15" | "22" | "23" | "29" | "33" => ConnectorError::invalid_request(text),
        // Internal error; too many existing binds.
        "5" | "10" => ConnectorError::general(text).retryable(true),
        _ => ConnectorError::general(text),
    }
}

smshost_sdk::export_connector!(Vonage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_detection() {
        assert!(is_gsm7("Your code is 123456. It expires in 10 minutes."));
        assert!(is_gsm7(
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà"
        ));
        // The extension table is GSM-7 too.
        for c in ['€', '{', '}', '[', ']', '~', '|', '^', '\\', '\u{000C}'] {
            assert!(is_gsm7(&format!("code {c} 1")), "{c:?}");
        }
        // é is in the basic table, ê is not; neither are Cyrillic, Chinese, emoji.
        assert!(is_gsm7("Vérification"));
        for text in [
            "Fête",
            "Ваш код",
            "验证码",
            "code 🔑",
            "ç",
            "`",
            "Straße ẞ",
            "µ",
            "Ω\u{2126}",
        ] {
            assert!(!is_gsm7(text), "{text}");
        }
        assert!(is_gsm7(""));
    }

    #[test]
    fn form_switches_to_unicode() {
        let config = Config {
            api_key: "abcd1234".into(),
            api_secret: "s3cr3t".into(),
            brand_name: "Acme".into(),
        };
        assert_eq!(
            form(&config, "4520123456", "Code 123456"),
            vec![
                ("from", "Acme"),
                ("to", "4520123456"),
                ("text", "Code 123456"),
                ("api_key", "abcd1234"),
                ("api_secret", "s3cr3t"),
            ]
        );
        let unicode = form(&config, "4520123456", "Ваш код 123456");
        assert_eq!(unicode[3], ("type", "unicode"));
        assert_eq!(form(&config, "4520123456", "Coût 5€").len(), 6);
    }

    #[test]
    fn success_reads_the_first_part() {
        let receipt = outcome(
            200,
            r#"{"message-count":"1","messages":[{"to":"447700900000","message-id":"0A0000000123ABCD1","status":"0","remaining-balance":"3.14159265","message-price":"0.03330000","network":"12345"}]}"#,
        )
        .unwrap();
        assert_eq!(receipt.provider_message_id.as_deref(), Some("0A0000000123ABCD1"));
        assert_eq!(
            receipt.summary,
            vec![
                ("message-count".to_string(), "1".to_string()),
                ("message-price".to_string(), "0.03330000".to_string()),
                ("remaining-balance".to_string(), "3.14159265".to_string()),
                ("network".to_string(), "12345".to_string()),
            ]
        );
        let two = outcome(
            200,
            r#"{"message-count":"2","messages":[{"message-id":"A1","status":"0","remaining-balance":"3.10","message-price":"0.03330000"},{"message-id":"A2","status":"0","remaining-balance":"3.07","message-price":"0.03330000"}]}"#,
        )
        .unwrap();
        assert_eq!(two.provider_message_id.as_deref(), Some("A1"));
        assert!(
            two.summary
                .contains(&("message-price".to_string(), "0.06660000".to_string()))
        );
        assert!(
            two.summary
                .contains(&("remaining-balance".to_string(), "3.07".to_string()))
        );
    }

    #[test]
    fn failures_in_a_200_carry_vonages_status_and_text() {
        let error = outcome(
            200,
            r#"{"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::AuthorizationFailed);
        assert_eq!(error.message, "Bad Credentials");
        assert_eq!(error.provider_code.as_deref(), Some("4"));
        assert_eq!(error.http_status, Some(200));

        let error = outcome(
            200,
            r#"{"messages":[{"status":"1","error-text":"Throughput Rate Exceeded - please wait [ 250 ] and retry"}]}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::RateLimitExceeded);
        assert!(error.retryable);

        let error = outcome(
            200,
            r#"{"message-count":"1","messages":[{"status":"9","error-text":"Quota Exceeded - rejected"}]}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::UsageLimitExceeded);
        let error = outcome(
            200,
            r#"{"message-count":"1","messages":[{"status":"2","error-text":"Missing to param"}]}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequestParameters);
        let error = outcome(
            200,
            r#"{"message-count":"1","messages":[{"status":"5","error-text":"Internal Error"}]}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::General);
        assert!(error.retryable);

        let error = outcome(
            200,
            r#"{"message-count":"2","messages":[{"message-id":"A1","status":"0"},{"status":"7","error-text":"Number barred."}]}"#,
        )
        .unwrap_err();
        assert_eq!(error.message, "Number barred. (part 2 of 2)");
        assert_eq!(error.provider_code.as_deref(), Some("7"));
    }

    #[test]
    fn odd_answers() {
        assert_eq!(outcome(200, "<xml/>").unwrap_err().code, ErrorCode::InvalidResponse);
        assert_eq!(
            outcome(200, r#"{"messages":[]}"#).unwrap_err().code,
            ErrorCode::InvalidResponse
        );
        let error = outcome(
            401,
            r#"{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Unauthorized"}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::AuthorizationFailed);
        assert!(error.message.contains("Unauthorized"));
        let error = outcome(429, "Too Many Requests").unwrap_err();
        assert_eq!(error.code, ErrorCode::RateLimitExceeded);
        assert!(outcome(503, "down").unwrap_err().retryable);
    }
}
