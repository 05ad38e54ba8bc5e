#![doc = include_str!("../README.md")]

use serde::Deserialize;
use smshost_sdk::encoding::is_gsm7;
use smshost_sdk::prelude::*;

const SEND_URL: &str = "https://rest.nexmo.com/sms/json";

/// The config: exactly Logto's fields (described in the schema).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    api_key: String,
    api_secret: String,
    brand_name: String,
}

/// Vonage's answer; every value is a string in practice, numbers are tolerated.
#[derive(Debug, Deserialize)]
struct SmsResponse {
    #[serde(rename = "message-count", default)]
    message_count: Option<StringOrNumber>,
    #[serde(default)]
    messages: Vec<SmsPart>,
}

/// One entry of `messages`: one SMS part, or the reason it failed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct SmsPart {
    #[serde(default)]
    status: Option<StringOrNumber>,
    message_id: Option<String>,
    error_text: Option<String>,
    remaining_balance: Option<String>,
    message_price: Option<String>,
    network: Option<String>,
}

/// The Vonage connector.
pub struct Vonage;

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

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .secret("apiKey", "API key from the Vonage dashboard.")
            .secret("apiSecret", "API secret from the Vonage dashboard.")
            .string("brandName", "Sender: an alphanumeric id or a Vonage number.")
            .templates(Templates::text());
        Metadata::new("vonage-sms", "Vonage SMS")
            .origin("https://rest.nexmo.com")
            .schema(schema)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: TextTemplate = message.template()?;
        let response = HttpRequest::post(SEND_URL)
            .header("Accept", "application/json")
            .form(&form(&config, message.to_digits(), &template.content))
            .send()?;
        outcome(&response)
    }
}

/// Reads Vonage's answer: every part must have `status` `"0"`.
fn outcome(response: &HttpResponse) -> Result<Receipt, ConnectorError> {
    let answer: SmsResponse = response.read_json()?;
    let parts = &answer.messages;
    if let Some((index, part)) = parts
        .iter()
        .enumerate()
        .find(|(_, part)| part.status.as_deref() != Some("0"))
    {
        let code = part.status.as_deref().unwrap_or("unknown");
        let refusal = ProviderError::new("Vonage", response).code(Some(code));
        let refusal = refusal.note((parts.len() > 1).then(|| format!("part {} of {}", index + 1, parts.len())));
        return Err(refusal
            .message(part.error_text.clone())
            .classify(|code| status_kind(code?)));
    }
    if !response.is_success() {
        // Not the SMS API's usual way to fail, but its SDKs expect 401/429/5xx.
        return Err(ProviderError::new("Vonage", response).build());
    }
    let first = parts
        .first()
        .ok_or_else(|| response.unexpected("Vonage answered without any message"))?;
    let count = answer.message_count.map_or(parts.len().to_string(), |count| count.0);
    let prices: Vec<f64> = parts
        .iter()
        .filter_map(|part| part.message_price.as_deref()?.parse().ok())
        .collect();
    // A long text is billed per part; the summary shows the whole send.
    let price = match parts.as_slice() {
        [one] => one.message_price.clone(),
        _ => (!prices.is_empty()).then(|| format!("{:.8}", prices.iter().sum::<f64>())),
    };
    // The last part's balance is the one left after the whole send.
    let balance = parts.iter().rev().find_map(|part| part.remaining_balance.as_deref());
    Ok(Receipt::new(first.message_id.clone())
        .with("message-count", count)
        .with_some("message-price", price)
        .with_some("remaining-balance", balance)
        .with_some("network", first.network.as_deref()))
}

/// Maps a Vonage SMS status (developer.vonage.com/api-errors/sms) to Logto's codes.
fn status_kind(code: &str) -> Option<Kind> {
    Some(match code {
        "1" => Kind::RateLimited,
        // Bad credentials, a barred account, an account not enabled for
        // HTTP, a bad signature or a signature sent along with the secret.
        "4" | "8" | "11" | "14" | "32" => Kind::Unauthorized,
        // Partner quota violation: not enough credit.
        "9" => Kind::UsageLimited,
        // Missing or invalid parameters, invalid message, barred or
        // deactivated number, too long, bad sender, network or callback,
        // destination not on the trial whitelist.
        "2" | "3" | "6" | "7" | "12" | "15" | "22" | "23" | "29" | "33" => Kind::InvalidRequest,
        // Internal error; too many existing binds.
        "5" | "10" => Kind::Transient,
        _ => return None,
    })
}

smshost_sdk::export_connector!(Vonage, logo = "logo.svg");

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: u16, body: &str) -> Result<Receipt, ConnectorError> {
        super::outcome(&HttpResponse::new(status, body))
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
