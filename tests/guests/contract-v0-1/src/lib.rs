//! A connector built with wit-bindgen against a frozen copy of contract 0.1
//! (this guest's own `wit/`, not the repository's `wit/v0.1`), so that for
//! as long as the host supports 0.1 a test proves a 0.1 component still
//! loads and sends. It posts `{to, type, payload}` as JSON to the `endpoint`
//! of its config, as the HTTP SMS mock expects.

wit_bindgen::generate!({ world: "sms-connector", path: "wit" });

use exports::smshost::connector::connector::Guest;
use serde_json::{Value, json};
use smshost::connector::http::{self, Request};
use smshost::connector::log::{self, Level};
use smshost::connector::types::{
    ConnectorError, ConnectorMetadata, ErrorCode, Message, NetworkHost, Receipt, UsageType,
};

struct ContractV01;

fn error(code: ErrorCode, message: String, http_status: Option<u16>) -> ConnectorError {
    ConnectorError {
        code,
        message,
        provider_code: None,
        http_status,
        retryable: http_status.is_some_and(|status| status >= 500),
    }
}

/// The config's `endpoint` and optional `authorization`.
fn parse_config(config: &str) -> Result<(String, Option<String>), ConnectorError> {
    let invalid = |reason: &str| error(ErrorCode::InvalidConfig, reason.to_string(), None);
    let config: Value = serde_json::from_str(config).map_err(|_| invalid("the config is not JSON"))?;
    let endpoint = config["endpoint"]
        .as_str()
        .ok_or_else(|| invalid("`endpoint` is required"))?;
    let authorization = config["authorization"].as_str().map(str::to_string);
    Ok((endpoint.to_string(), authorization))
}

fn usage_name(usage: UsageType) -> &'static str {
    match usage {
        UsageType::SignIn => "SignIn",
        UsageType::Register => "Register",
        UsageType::ForgotPassword => "ForgotPassword",
        UsageType::OrganizationInvitation => "OrganizationInvitation",
        UsageType::Generic => "Generic",
        UsageType::UserPermissionValidation => "UserPermissionValidation",
        UsageType::BindNewIdentifier => "BindNewIdentifier",
        UsageType::MfaVerification => "MfaVerification",
        UsageType::BindMfa => "BindMfa",
    }
}

impl Guest for ContractV01 {
    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "contract-v0-1".into(),
            name: "Contract 0.1 fixture".into(),
            description: "Posts the message as JSON to an endpoint; built against contract 0.1.".into(),
            version: "0.1.0".into(),
            config_schema: json!({
                "type": "object",
                "required": ["endpoint"],
                "properties": {
                    "endpoint": {"type": "string"},
                    "authorization": {"type": "string", "writeOnly": true}
                }
            })
            .to_string(),
            network_hosts: vec![NetworkHost::ConfigUrl("endpoint".into())],
            uses_templates: false,
        }
    }

    fn validate_config(config: String) -> Result<(), ConnectorError> {
        parse_config(&config).map(drop)
    }

    fn send(config: String, message: Message) -> Result<Receipt, ConnectorError> {
        let (endpoint, authorization) = parse_config(&config)?;
        let payload: Value = serde_json::from_str(&message.payload)
            .map_err(|_| error(ErrorCode::General, "the payload is not JSON".into(), None))?;
        let body = json!({"to": message.to, "type": usage_name(message.usage), "payload": payload});
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        headers.extend(authorization.map(|value| ("authorization".to_string(), value)));
        log::write(Level::Info, "contract 0.1 fixture: posting one message");
        let response = http::send(&Request {
            method: "POST".into(),
            url: endpoint,
            headers,
            body: body.to_string().into_bytes(),
        })
        .map_err(|failure| error(ErrorCode::General, format!("the request failed: {failure:?}"), None))?;
        match response.status {
            200..=299 => Ok(Receipt {
                provider_message_id: None,
                summary: vec![
                    ("status".into(), response.status.to_string()),
                    ("contract".into(), "0.1".into()),
                ],
            }),
            401 | 403 => Err(error(
                ErrorCode::AuthorizationFailed,
                "the endpoint refused the authorization".into(),
                Some(response.status),
            )),
            status => Err(error(
                ErrorCode::General,
                format!("the endpoint answered {status}"),
                Some(status),
            )),
        }
    }
}

#[cfg(target_arch = "wasm32")]
export!(ContractV01);
