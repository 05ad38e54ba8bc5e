//! Twilio Programmable Messaging: create a Message resource.
//!
//! `POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json`
//! with HTTP Basic auth (`AccountSid:AuthToken`) and a form body: `To`
//! (E.164), `MessagingServiceSid` and/or `From`, `Body`, `RiskCheck`.
//! Twilio answers 201 with the Message (its `sid` is the receipt id), or 4xx
//! with `{"code", "message", "more_info", "status"}`.
//!
//! Beyond Logto's connector: an optional sender (`from`: a Twilio number or
//! an alphanumeric sender id, Logto issue #8045) and an optional `apiHost`
//! for Twilio's regional edges (`api.dublin.ie1.twilio.com`, #9611); Twilio's
//! own error code and message reach the caller instead of a raw body.

use serde::Deserialize;
use serde_json::json;
use smshost_sdk::config::require_non_empty;
use smshost_sdk::http::snippet;
use smshost_sdk::prelude::*;

const DEFAULT_API_HOST: &str = "api.twilio.com";

/// The connector's config: Logto's fields plus `from` and `apiHost`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Account SID (`AC…`): the URL's account and the Basic-auth user.
    #[serde(rename = "accountSID")]
    pub account_sid: String,
    /// Auth token: the Basic-auth password.
    pub auth_token: String,
    /// Messaging Service SID (`MG…`), sent as `MessagingServiceSid`.
    #[serde(rename = "fromMessagingServiceSID", default)]
    pub messaging_service_sid: Option<String>,
    /// Sender: a Twilio number in E.164 or an alphanumeric sender id.
    #[serde(default)]
    pub from: Option<String>,
    /// Sends `RiskCheck=disable` when true.
    #[serde(default)]
    pub disable_risk_check: bool,
    /// API host for a regional edge, e.g. `api.dublin.ie1.twilio.com`.
    #[serde(default)]
    pub api_host: Option<String>,
}

impl Config {
    fn api_base(&self) -> String {
        let host = self.api_host.as_deref().map(str::trim).filter(|host| !host.is_empty());
        match host {
            Some(url) if url.contains("://") => url.trim_end_matches('/').to_string(),
            Some(host) => format!("https://{}", host.trim_end_matches('/')),
            None => format!("https://{DEFAULT_API_HOST}"),
        }
    }
}

/// A template entry: `{"usageType": "SignIn", "content": "Your code is {{code}}"}`.
#[derive(Debug, Deserialize)]
struct Template {
    content: String,
}

/// Twilio's error body.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

/// The parts of the Message resource worth a receipt.
#[derive(Debug, Deserialize)]
struct TwilioMessage {
    sid: String,
    status: Option<String>,
    num_segments: Option<String>,
}

/// The Twilio connector.
pub struct Twilio;

fn is_sid(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Connector for Twilio {
    type Config = Config;

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "twilio-short-message-service".into(),
            name: "Twilio SMS".into(),
            description: "Twilio provides programmable communication tools for phone calls and messages.".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["accountSID", "authToken", "templates"],
                "properties": {
                    "accountSID": {"type": "string", "description": "Account SID (AC…)."},
                    "authToken": {"type": "string", "writeOnly": true, "description": "Auth token."},
                    "fromMessagingServiceSID": {"type": "string", "description": "Messaging Service SID (MG…). Required unless `from` is set."},
                    "from": {"type": "string", "description": "Sender: a Twilio number (+E.164) or an alphanumeric sender id (≤ 11 characters)."},
                    "disableRiskCheck": {"type": "boolean", "default": false},
                    "apiHost": {"type": "string", "description": "Regional API host, e.g. api.dublin.ie1.twilio.com (default api.twilio.com)."},
                    "templates": {"type": "array", "items": {"type": "object", "required": ["usageType", "content"],
                        "properties": {"usageType": {"type": "string"}, "content": {"type": "string"}, "locale": {"type": "string"}}}}
                }
            })
            .to_string(),
            network_hosts: vec![
                NetworkHost::Origin("https://api.twilio.com".into()),
                NetworkHost::Origin("https://*.twilio.com".into()),
            ],
            uses_templates: true,
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        require_non_empty("accountSID", &config.account_sid)?;
        require_non_empty("authToken", &config.auth_token)?;
        // The SID goes into the URL path; anything but letters and digits
        // could walk that path elsewhere.
        if !is_sid(&config.account_sid) {
            return Err(ConnectorError::invalid_config(
                "invalid config: `accountSID` must be letters and digits (AC…)",
            ));
        }
        let service = config.messaging_service_sid.as_deref().filter(|sid| !sid.is_empty());
        let from = config.from.as_deref().filter(|from| !from.is_empty());
        if service.is_none() && from.is_none() {
            return Err(ConnectorError::invalid_config(
                "invalid config: set `fromMessagingServiceSID` or `from` (a sender number or id)",
            ));
        }
        if let Some(sid) = service
            && !is_sid(sid)
        {
            return Err(ConnectorError::invalid_config(
                "invalid config: `fromMessagingServiceSID` must be letters and digits (MG…)",
            ));
        }
        if let Some(host) = config
            .api_host
            .as_deref()
            .map(str::trim)
            .filter(|host| !host.is_empty())
        {
            let bare = host.strip_prefix("https://").unwrap_or(host).trim_end_matches('/');
            if host.contains("://") && !host.starts_with("https://") || bare.contains(['/', '?', '#', '@', ':']) {
                return Err(ConnectorError::invalid_config(
                    "invalid config: `apiHost` must be a host name such as api.dublin.ie1.twilio.com",
                ));
            }
        }
        Ok(())
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: Template = message.template()?;
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            config.api_base(),
            config.account_sid
        );
        let mut form: Vec<(&str, &str)> = vec![("To", &message.to)];
        if let Some(sid) = config.messaging_service_sid.as_deref().filter(|sid| !sid.is_empty()) {
            form.push(("MessagingServiceSid", sid));
        }
        if let Some(from) = config.from.as_deref().filter(|from| !from.is_empty()) {
            form.push(("From", from));
        }
        form.push(("Body", &template.content));
        form.push((
            "RiskCheck",
            if config.disable_risk_check { "disable" } else { "enable" },
        ));

        let response = HttpRequest::post(url)
            .basic_auth(&config.account_sid, &config.auth_token)
            .header("Accept", "application/json")
            .form(&form)
            .send()?;
        if !response.is_success() {
            return Err(twilio_error(response.status, &response.text()));
        }
        let created: TwilioMessage = response.json()?;
        let mut summary = Vec::new();
        if let Some(status) = created.status {
            summary.push(("status".to_string(), status));
        }
        if let Some(segments) = created.num_segments {
            summary.push(("segments".to_string(), segments));
        }
        Ok(Receipt {
            provider_message_id: Some(created.sid),
            summary,
        })
    }
}

/// Maps a Twilio error response to a connector error carrying Twilio's code.
fn twilio_error(status: u16, body: &str) -> ConnectorError {
    let Ok(TwilioError { code, message }) = serde_json::from_str::<TwilioError>(body) else {
        return smshost_sdk::error::from_http_status(
            status,
            format!("Twilio answered HTTP {status}: {}", snippet(body)),
        );
    };
    let text = message.unwrap_or_else(|| format!("Twilio answered HTTP {status}"));
    let error = match (status, code) {
        (429, _) | (_, Some(20429)) => ConnectorError::rate_limited(text),
        (401 | 403, _) | (_, Some(20003)) => ConnectorError::unauthorized(text),
        // Invalid, unroutable, non-mobile or unverified `To` numbers.
        (_, Some(21211 | 21612 | 21614 | 21608 | 21610)) => ConnectorError::invalid_request(text),
        (500..=599, _) => ConnectorError::general(text).retryable(true),
        _ => ConnectorError::general(text),
    };
    let error = error.http_status(status);
    match code {
        Some(code) => error.provider_code(code),
        None => error,
    }
}

smshost_sdk::export_connector!(Twilio);

#[cfg(test)]
mod tests {
    use super::*;
    use smshost_sdk::ErrorCode;

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
