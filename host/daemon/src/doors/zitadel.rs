//! ZITADEL's HTTP SMS provider.
//!
//! ZITADEL POSTs `{contextInfo: {eventType, recipientPhoneNumber,
//! provider}, templateData: {text, …}, args: {code | oTP, …}}` with
//! `ZITADEL-Signature: t=<unix>,v1=<hex HMAC-SHA256(signingKey,
//! "<t>.<body>")>`. Any 2xx is success; ZITADEL retries anything else (3
//! attempts within 5 minutes), re-signing the same body, so a delivery is
//! idempotent on the body's hash: a retry after a send gets the first
//! answer and sends nothing.
//!
//! ZITADEL has already rendered a localized `templateData.text`. With
//! `"message": "zitadel"` (the default) that text is sent as is, through a
//! variant of the tenant's connector whose text templates are the text
//! itself; a connector with provider-side templates (Aliyun, Tencent) or
//! none of ours (HTTP SMS) cannot carry free text, so it gets our template
//! instead. `"message": "template"` always renders the connector's template
//! for the event's usage type.

use super::{
    Answer, DoorRequest, Server, digest, door_key, fresh_timestamp, hmac_sha256, parse_creds, parse_payload, same,
    send_once, unauthorized,
};
use crate::app::App;
use crate::error::ApiError;
use crate::tenants::Active;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use smshost::{ConnectorConfig, OutgoingMessage, UsageType};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// How long a delivery's answer is kept for ZITADEL's retries (its
/// notification queue gives up after 5 minutes).
const REMEMBER_SECS: u64 = 900;

/// Longest ZITADEL text sent as is: ten SMS segments.
const MAX_TEXT_CHARS: usize = 1600;

/// The payload variable the as-is templates read.
const TEXT_VARIABLE: &str = "zitadelText";

/// `{"signingKey": "…", "message": "zitadel" | "template"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Creds {
    signing_key: String,
    #[serde(default)]
    message: MessageSource,
}

/// Which text goes out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum MessageSource {
    /// ZITADEL's rendered `templateData.text`, as is.
    #[default]
    Zitadel,
    /// The connector's template for the event's usage type.
    Template,
}

impl Creds {
    pub(super) fn parse(document: Value) -> Result<Creds, String> {
        let creds: Creds = parse_creds(document)?;
        if creds.signing_key.trim().is_empty() || creds.signing_key.len() > 1024 {
            return Err("`signingKey` must be the signingKey ZITADEL returned for the SMS provider".into());
        }
        Ok(creds)
    }
}

/// ZITADEL's request body; only these fields are read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    context_info: ContextInfo,
    #[serde(default)]
    template_data: Option<TemplateData>,
    #[serde(default)]
    args: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextInfo {
    #[serde(default)]
    event_type: Option<String>,
    recipient_phone_number: String,
}

#[derive(Debug, Deserialize)]
struct TemplateData {
    #[serde(default)]
    text: Option<String>,
}

/// The usage type of a ZITADEL event.
fn usage_of(event_type: Option<&str>) -> UsageType {
    match event_type {
        // Verifying a phone number being added to the user.
        Some("user.human.phone.code.added") => UsageType::BindNewIdentifier,
        Some("session.otp.sms.challenged") | Some("user.human.mfa.otp.sms.code.added") => UsageType::MfaVerification,
        Some("user.human.password.code.added") => UsageType::ForgotPassword,
        _ => UsageType::Generic,
    }
}

/// Checks `ZITADEL-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`.
fn verify(request: &DoorRequest<'_>, creds: &Creds) -> Result<(), ApiError> {
    let header = request.header("zitadel-signature").ok_or_else(|| {
        unauthorized(
            "the ZITADEL-Signature header is required (ZITADEL v4.2 or later signs with the provider's signingKey)",
        )
    })?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| unauthorized("ZITADEL-Signature has no `t=` timestamp"))?;
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| unauthorized("ZITADEL-Signature's `t=` must be Unix seconds"))?;
    let expected = hmac_sha256(
        creds.signing_key.as_bytes(),
        &[timestamp.as_bytes(), b".", request.body],
    );
    let mut valid = false;
    for signature in signatures {
        if let Ok(sent) = hex::decode(signature) {
            valid |= same(&sent, &expected);
        }
    }
    if !valid {
        return Err(unauthorized("ZITADEL-Signature does not match this door's signingKey"));
    }
    fresh_timestamp(seconds)
}

pub(super) async fn handle(request: DoorRequest<'_>) -> Response {
    match accept(request).await {
        Ok(answer) => answer.into_response(),
        Err(error) => {
            request.refused(Server::Zitadel, &error);
            Answer::api_error(&error).into_response()
        }
    }
}

async fn accept(request: DoorRequest<'_>) -> Result<Answer, ApiError> {
    let creds: Creds = request.credentials(Server::Zitadel).await?;
    verify(&request, &creds)?;
    let body: Body = parse_payload(request.body)?;
    let to = super::phone(
        "contextInfo.recipientPhoneNumber",
        &body.context_info.recipient_phone_number,
    )?;
    let args = body.args.unwrap_or_default();
    let (field, code) = ["code", "oTP"]
        .iter()
        .find_map(|field| args.get(*field).map(|value| (*field, value)))
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing_code",
                "`args.code` or `args.oTP` (the one-time code) is required; smshost sends only codes",
            )
        })?;
    let code = match code {
        Value::String(code) => super::code(&format!("args.{field}"), code)?,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_payload",
                format!("`args.{field}` must be a string"),
            ));
        }
    };
    let usage = usage_of(body.context_info.event_type.as_deref());
    let mut message = OutgoingMessage::new(to, usage, code);
    let mut through = None;
    if creds.message == MessageSource::Zitadel {
        let text = body
            .template_data
            .and_then(|data| data.text)
            .filter(|text| !text.trim().is_empty())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_payload",
                    "`templateData.text` is required to send ZITADEL's text as is (or set the door's \"message\": \"template\")",
                )
            })?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(ApiError::bad_request(
                "invalid_payload",
                format!("`templateData.text` is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        through = as_is(request.app, request.tenant).await?;
        if through.is_some() {
            let mut extra = Map::new();
            extra.insert(TEXT_VARIABLE.into(), Value::String(text));
            message = message.with_payload(extra);
        }
    }
    let key = door_key(Server::Zitadel, "body", &digest(&[request.body]));
    Ok(send_once(
        request,
        &key,
        REMEMBER_SECS,
        request.app.send_through(request.tenant, message, through),
        super::json_receipt,
        "application/json",
    )
    .await)
}

/// Variants of tenants' connectors whose text templates send ZITADEL's
/// text as is: by tenant, the active handle each was made from and the
/// variant (`None`: the connector cannot carry free text).
type Variants = Mutex<HashMap<String, (Arc<Active>, Option<Arc<Active>>)>>;

fn variants() -> &'static Variants {
    static VARIANTS: OnceLock<Variants> = OnceLock::new();
    VARIANTS.get_or_init(Variants::default)
}

/// The as-is variant of the tenant's active connector, made once per
/// active handle (validating a config runs the plugin). `None`: no
/// connector (the send path answers that) or one without text templates.
async fn as_is(app: &App, tenant: &str) -> Result<Option<Arc<Active>>, ApiError> {
    let Some(active) = app.active(tenant).await? else {
        return Ok(None);
    };
    let known = variants()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(tenant)
        .filter(|(base, _)| Arc::ptr_eq(base, &active))
        .map(|(_, variant)| variant.clone());
    if let Some(variant) = known {
        return Ok(variant);
    }
    let variant = match text_templates(&active) {
        None => {
            tracing::info!(
                tenant,
                connector = %active.record.plugin,
                "ZITADEL door: this connector has no text templates to carry ZITADEL's text; using its template"
            );
            None
        }
        Some(config) => {
            let plugin = active.connector.plugin().clone();
            match app.runtime.connector_for(plugin, config).await {
                Ok(connector) => Some(Arc::new(Active {
                    record: active.record.clone(),
                    connector,
                })),
                Err(error) => {
                    tracing::warn!(tenant, %error, "ZITADEL door: cannot send ZITADEL's text as is; using the template");
                    None
                }
            }
        }
    };
    variants()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(tenant.to_string(), (active, variant.clone()));
    Ok(variant)
}

/// The config with every template's `content` replaced by ZITADEL's text;
/// `None` when the plugin renders no templates or none has `content`.
fn text_templates(active: &Active) -> Option<ConnectorConfig> {
    if !active.connector.plugin().metadata().uses_templates {
        return None;
    }
    let mut config = active.connector.config().as_object().clone();
    let templates = config.get_mut("templates")?.as_array_mut()?;
    let mut any = false;
    for entry in templates.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(content) = entry.get_mut("content")
            && content.is_string()
        {
            *content = Value::String(format!("{{{{{TEXT_VARIABLE}}}}}"));
            any = true;
        }
    }
    if !any {
        return None;
    }
    ConnectorConfig::from_value(Value::Object(config)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_map_to_usage_types() {
        assert_eq!(
            usage_of(Some("user.human.phone.code.added")),
            UsageType::BindNewIdentifier
        );
        assert_eq!(usage_of(Some("session.otp.sms.challenged")), UsageType::MfaVerification);
        assert_eq!(
            usage_of(Some("user.human.mfa.otp.sms.code.added")),
            UsageType::MfaVerification
        );
        assert_eq!(
            usage_of(Some("user.human.password.code.added")),
            UsageType::ForgotPassword
        );
        assert_eq!(usage_of(Some("user.human.something.new")), UsageType::Generic);
        assert_eq!(usage_of(None), UsageType::Generic);
    }

    #[test]
    fn creds_default_to_zitadel_text() {
        let creds = Creds::parse(json!({"signingKey": "k"})).unwrap();
        assert_eq!(creds.message, MessageSource::Zitadel);
        let creds = Creds::parse(json!({"signingKey": "k", "message": "template"})).unwrap();
        assert_eq!(creds.message, MessageSource::Template);
        assert!(Creds::parse(json!({"signingKey": "k", "message": "raw"})).is_err());
        assert!(Creds::parse(json!({"signingKey": ""})).is_err());
    }
}
