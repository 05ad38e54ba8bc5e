#![doc = include_str!("../README.md")]

use serde::Deserialize;
use smshost_sdk::prelude::*;

/// The config: Logto's fields plus `from` and `apiHost` (described in the schema).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(rename = "accountSID")]
    account_sid: String,
    auth_token: String,
    #[serde(rename = "fromMessagingServiceSID", default)]
    messaging_service_sid: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    disable_risk_check: bool,
    #[serde(default)]
    api_host: Option<String>,
}

/// An optional text field, `None` when blank.
fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

impl Config {
    /// `https://api.twilio.com` or the regional edge named by `apiHost`.
    fn api_base(&self) -> String {
        match given(&self.api_host) {
            Some(url) if url.contains("://") => url.trim_end_matches('/').to_string(),
            Some(host) => format!("https://{}", host.trim_end_matches('/')),
            None => "https://api.twilio.com".to_string(),
        }
    }
}

/// Twilio's error body.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

/// The parts of the created Message resource worth a receipt.
#[derive(Debug, Deserialize)]
struct TwilioMessage {
    sid: String,
    status: Option<String>,
    num_segments: Option<String>,
}

/// The Twilio connector.
pub struct Twilio;

/// SIDs go into the URL path and the form: letters and digits only, so
/// nothing can walk that path elsewhere.
fn is_sid(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Connector for Twilio {
    type Config = Config;

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .string("accountSID", "Account SID (AC…).")
            .secret("authToken", "Auth token.")
            .string("fromMessagingServiceSID", "Messaging Service SID (MG…).")
            .optional()
            .string("from", "Sender: a Twilio number or alphanumeric id.")
            .optional()
            .boolean("disableRiskCheck", "Sends RiskCheck=disable.")
            .string("apiHost", "Regional host, e.g. api.dublin.ie1.twilio.com.")
            .optional()
            .templates(Templates::text());
        Metadata::new("twilio-short-message-service", "Twilio SMS")
            .origin("https://api.twilio.com")
            .origin("https://*.twilio.com")
            .schema(schema)
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        let service = given(&config.messaging_service_sid);
        let bad_host = given(&config.api_host).is_some_and(|host| {
            let bare = host.strip_prefix("https://").unwrap_or(host).trim_end_matches('/');
            host.contains("://") && !host.starts_with("https://") || bare.contains(['/', '?', '#', '@', ':'])
        });
        let problem = if !is_sid(&config.account_sid) {
            ("accountSID", "must be letters and digits (AC…)")
        } else if service.is_none() && given(&config.from).is_none() {
            ("from", "or `fromMessagingServiceSID` must be set (a sender)")
        } else if service.is_some_and(|sid| !is_sid(sid)) {
            ("fromMessagingServiceSID", "must be letters and digits (MG…)")
        } else if bad_host {
            ("apiHost", "must be a host name such as api.dublin.ie1.twilio.com")
        } else {
            return Ok(());
        };
        Err(ConnectorError::invalid_field(problem.0, problem.1))
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: TextTemplate = message.template()?;
        let risk_check = if config.disable_risk_check { "disable" } else { "enable" };
        let mut form = vec![("To", message.to.as_str())];
        form.extend(given(&config.messaging_service_sid).map(|sid| ("MessagingServiceSid", sid)));
        form.extend(given(&config.from).map(|from| ("From", from)));
        form.extend([("Body", template.content.as_str()), ("RiskCheck", risk_check)]);
        let (base, account) = (config.api_base(), &config.account_sid);
        let url = format!("{base}/2010-04-01/Accounts/{account}/Messages.json");
        let response = HttpRequest::post(url)
            .basic_auth(&config.account_sid, &config.auth_token)
            .header("Accept", "application/json")
            .form(&form)
            .send()?;
        let created: TwilioMessage = response.read_json_or(|error| twilio_error(&response, error))?;
        let receipt = Receipt::new(Some(created.sid)).with_some("status", created.status);
        Ok(receipt.with_some("segments", created.num_segments))
    }
}

/// Maps Twilio's error body to a connector error carrying Twilio's code.
fn twilio_error(response: &HttpResponse, error: TwilioError) -> ConnectorError {
    let refusal = ProviderError::new("Twilio", response).code(error.code);
    refusal.message(error.message).classify(|code| match code? {
        "20429" => Some(Kind::RateLimited),
        "20003" => Some(Kind::Unauthorized),
        // Invalid, unroutable, non-mobile or unverified `To` numbers.
        "21211" | "21612" | "21614" | "21608" | "21610" => Some(Kind::InvalidRequest),
        _ => None,
    })
}

smshost_sdk::export_connector!(Twilio, logo = "logo.svg");

#[cfg(test)]
mod tests {
    use super::*;
    use smshost_sdk::ErrorCode;

    fn twilio_error(status: u16, body: &str) -> ConnectorError {
        HttpResponse::new(status, body)
            .read_json_or::<TwilioMessage, TwilioError>(|error| {
                super::twilio_error(&HttpResponse::new(status, body), error)
            })
            .unwrap_err()
    }

    #[test]
    fn errors_carry_twilio_codes() {
        let error = twilio_error(
            400,
            r#"{"code": 21211, "message": "The 'To' number 5551234567 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#,
        );
        assert_eq!(error.code, ErrorCode::InvalidRequestParameters);
        assert_eq!(error.provider_code.as_deref(), Some("21211"));
        assert_eq!(error.http_status, Some(400));
        assert!(error.message.contains("not a valid phone number"));
        let error = twilio_error(429, r#"{"code": 20429, "message": "Too Many Requests", "status": 429}"#);
        assert_eq!(error.code, ErrorCode::RateLimitExceeded);
        assert!(error.retryable);
        let error = twilio_error(503, "<html>down</html>");
        assert!(error.retryable);
        assert!(error.message.contains("<html>down</html>"));
    }

    #[test]
    fn api_base() {
        let config = |host: Option<&str>| Config {
            account_sid: "AC1".into(),
            auth_token: "t".into(),
            messaging_service_sid: Some("MG1".into()),
            from: None,
            disable_risk_check: false,
            api_host: host.map(str::to_string),
        };
        assert_eq!(config(None).api_base(), "https://api.twilio.com");
        assert_eq!(
            config(Some("api.dublin.ie1.twilio.com")).api_base(),
            "https://api.dublin.ie1.twilio.com"
        );
        assert_eq!(
            config(Some("https://api.sydney.au1.twilio.com/")).api_base(),
            "https://api.sydney.au1.twilio.com"
        );
        assert!(Twilio::validate(&config(Some("http://evil.test"))).is_err());
        assert!(Twilio::validate(&config(Some("evil.test/x"))).is_err());
        let mut bad = config(None);
        bad.account_sid = "AC1/../x".into();
        assert!(Twilio::validate(&bad).is_err());
        bad = config(None);
        bad.messaging_service_sid = None;
        assert!(Twilio::validate(&bad).unwrap_err().message.contains("from"));
    }
}
