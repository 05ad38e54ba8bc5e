#![doc = include_str!("../README.md")]

use serde::Deserialize;
use serde_json::{Value, json};
use smshost_sdk::json::scalar_text;
use smshost_sdk::prelude::*;

/// GatewayAPI's global platform, what Logto's Console pre-fills.
const DEFAULT_ENDPOINT: &str = "https://gatewayapi.com/rest/mtsms";

/// The config: Logto's fields, with `endpoint` optional (described in the schema).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    endpoint: Option<String>,
    api_token: String,
    sender: String,
}

impl Config {
    fn endpoint(&self) -> &str {
        self.endpoint.as_deref().map(str::trim).unwrap_or(DEFAULT_ENDPOINT)
    }
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

/// The request body, keys in Logto's order.
fn body(config: &Config, text: &str, msisdn: u64) -> Value {
    json!({"sender": config.sender, "message": text, "recipients": [{"msisdn": msisdn}]})
}

impl Connector for GatewayApi {
    type Config = Config;

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .string("endpoint", "The /rest/mtsms URL (gatewayapi.eu for EU accounts).")
            .format(Format::Uri)
            .default(DEFAULT_ENDPOINT)
            .secret("apiToken", "API token from the GatewayAPI dashboard.")
            .string("sender", "Sender: ≤ 11 letters and digits, or ≤ 15 digits.")
            .templates(Templates::text());
        Metadata::new("gatewayapi-sms", "GatewayAPI SMS")
            .origin("https://gatewayapi.com")
            .origin("https://gatewayapi.eu")
            .config_url("endpoint")
            .schema(schema)
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: TextTemplate = message.template()?;
        // The recipient as the integer GatewayAPI documents.
        let msisdn = message.to_number()?;
        let response = HttpRequest::post(config.endpoint())
            .header("Authorization", format!("Token {}", config.api_token))
            .header("Accept", "application/json")
            .json(&body(&config, &template.content, msisdn))
            .send()?;
        outcome(&response)
    }
}

/// Reads GatewayAPI's answer: the first message id, or its error.
fn outcome(response: &HttpResponse) -> Result<Receipt, ConnectorError> {
    let sent: Sent = response.read_json_or(|error| api_error(response, error))?;
    let id = sent.ids.first().and_then(scalar_text).filter(|id| !id.is_empty());
    let id = id.ok_or_else(|| response.unexpected("GatewayAPI accepted the message but returned no id"))?;
    let usage = &sent.usage;
    let countries = match usage.get("countries") {
        Some(Value::Object(countries)) => Some(countries.keys().cloned().collect::<Vec<_>>().join(",")),
        _ => None,
    };
    Ok(Receipt::new(Some(id))
        .with_some("total_cost", usage.get("total_cost").filter(|cost| cost.is_number()))
        .with_some("currency", usage.get("currency").and_then(Value::as_str))
        .with_some("countries", countries))
}

/// Fills GatewayAPI's `%1`, `%2`… placeholders with `variables`.
fn fill(template: &str, variables: &[Value]) -> String {
    let mut text = template.to_string();
    // Highest index first, so `%1` does not eat the start of `%10`.
    for (index, value) in variables.iter().enumerate().rev() {
        let value = scalar_text(value).unwrap_or_else(|| value.to_string());
        text = text.replace(&format!("%{}", index + 1), &value);
    }
    text
}

/// Maps a GatewayAPI error body to a connector error carrying its code.
fn api_error(response: &HttpResponse, error: ApiError) -> ConnectorError {
    let incident = error
        .incident_uuid
        .filter(|id| !id.is_empty())
        .map(|id| format!("incident {id}"));
    let message = error.message.map(|message| fill(&message, &error.variables));
    let refusal = ProviderError::new("GatewayAPI", response)
        .code(error.code)
        .note(incident);
    refusal
        .message(message)
        .classify(|code| match code?.to_ascii_uppercase().as_str() {
            "0X0216" => Some(Kind::UsageLimited),
            // Blacklisted recipient, a destination country the account may not
            // reach, duplicate recipients, filtered content: the request, not
            // the credentials, is at fault.
            "0X0215" | "0X0217" | "0X0310" | "0X0312" | "0X0220" | "0X0222" => Some(Kind::InvalidRequest),
            _ => None,
        })
}

smshost_sdk::export_connector!(GatewayApi, logo = "logo.svg");

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: u16, body: &str) -> Result<Receipt, ConnectorError> {
        super::outcome(&HttpResponse::new(status, body))
    }

    fn api_error(status: u16, body: &str) -> ConnectorError {
        outcome(status, body).unwrap_err()
    }

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
            body(&config(None), "Hello World", message.to_number().unwrap()).to_string(),
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
        let checked = |endpoint: &str| {
            let config = serde_json::json!({"endpoint": endpoint, "apiToken": "t", "sender": "S"});
            smshost_sdk::config::checked::<GatewayApi>(&config.to_string()).map(drop)
        };
        assert!(checked("https://gatewayapi.eu/rest/mtsms").is_ok());
        assert!(checked("http://127.0.0.1:8080/rest/mtsms").is_ok());
        for bad in [
            "",
            "gatewayapi.com/rest/mtsms",
            "ftp://gatewayapi.com",
            "https://",
            "https://u:p@gatewayapi.com/",
        ] {
            let error = checked(bad).unwrap_err();
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
