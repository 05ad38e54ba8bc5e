//! Reading the host-prepared [`Message`]: the rendered template entry, the
//! payload and the template variables providers substitute themselves.

use crate::{ConnectorError, Message, Receipt, UsageType};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Payload keys that describe the request rather than fill a template: never
/// sent as provider template parameters (Logto leaks `uiLocales` there).
const CONTEXT_KEYS: [&str; 2] = ["locale", "uiLocales"];

impl UsageType {
    /// The Logto name (`SignIn`, `ForgotPassword`, ...).
    pub fn as_logto_str(&self) -> &'static str {
        match self {
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
}

impl Message {
    /// The rendered template entry, parsed into the connector's own type.
    /// `template-not-found` when the host sent none or it lacks a field.
    pub fn template<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        let usage = self.usage.as_logto_str();
        let text = self
            .template
            .as_deref()
            .ok_or_else(|| ConnectorError::template_not_found(format!("no template for usage type {usage}")))?;
        serde_json::from_str(text).map_err(|error| {
            let text = error.to_string();
            let text = text.split(" at line ").next().unwrap_or_default().to_string();
            ConnectorError::template_not_found(format!("template for usage type {usage}: {text}"))
        })
    }

    /// The payload as a JSON object (empty when the host sent none).
    pub fn payload_object(&self) -> Map<String, Value> {
        match serde_json::from_str(&self.payload) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// The values a provider-side template is filled with, by name.
    ///
    /// With `names` (a template entry's parameter list) each name is looked
    /// up in the payload, in that order; a missing name is `template-not-found`.
    /// Without, the payload minus the context keys (`locale`, `uiLocales`),
    /// which is `{"code": ...}` for an ordinary one-time-code send.
    pub fn template_variables(&self, names: Option<&[String]>) -> Result<Vec<(String, String)>, ConnectorError> {
        let payload = self.payload_object();
        match names {
            Some(names) => names
                .iter()
                .map(|name| match payload.get(name) {
                    Some(value) => Ok((name.clone(), value_text(value))),
                    None => Err(ConnectorError::template_not_found(format!(
                        "template parameter `{name}` is not in the payload"
                    ))),
                })
                .collect(),
            None => {
                let mut variables: Vec<(String, String)> = payload
                    .iter()
                    .filter(|(key, _)| !CONTEXT_KEYS.contains(&key.as_str()))
                    .map(|(key, value)| (key.clone(), value_text(value)))
                    .collect();
                if variables.is_empty() {
                    variables.push(("code".to_string(), self.code.clone()));
                }
                Ok(variables)
            }
        }
    }

    /// The recipient without the leading `+` (what several providers want).
    pub fn to_digits(&self) -> &str {
        self.to.trim_start_matches('+')
    }

    /// The recipient as an integer, country code first (`4520123456`), for
    /// APIs that take a JSON number. E.164 has at most 15 digits, well
    /// inside `u64`.
    pub fn to_number(&self) -> Result<u64, ConnectorError> {
        self.to_digits()
            .parse()
            .map_err(|_| ConnectorError::invalid_request("the recipient is not an E.164 number"))
    }
}

impl Receipt {
    /// A receipt with the provider's message id, when it returned one.
    pub fn new(provider_message_id: Option<String>) -> Self {
        Receipt {
            provider_message_id,
            summary: Vec::new(),
        }
    }

    /// Adds one summary fact (`status`, `segments`, `cost`...).
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.summary.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds one summary fact when there is one (and it is not empty).
    pub fn with_some(self, key: &str, value: Option<impl ToString>) -> Self {
        match value.map(|value| value.to_string()).filter(|value| !value.is_empty()) {
            Some(value) => self.with(key, value),
            None => self,
        }
    }
}

/// A payload value as template text: strings as they are, `null` empty,
/// anything else as compact JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(payload: &str, template: Option<&str>) -> Message {
        Message {
            to: "+4520123456".into(),
            usage: UsageType::SignIn,
            template: template.map(str::to_string),
            code: "123456".into(),
            locale: Some("fr-CA".into()),
            payload: payload.into(),
            client_ip: None,
        }
    }

    #[test]
    fn variables_exclude_context_keys() {
        let msg = message(
            r#"{"code":"123456","locale":"fr","uiLocales":"fr-CA fr","product":"Acme"}"#,
            None,
        );
        assert_eq!(
            msg.template_variables(None).unwrap(),
            vec![("code".into(), "123456".into()), ("product".into(), "Acme".into())]
        );
        let named = vec!["product".to_string(), "code".to_string()];
        assert_eq!(
            msg.template_variables(Some(&named)).unwrap(),
            vec![("product".into(), "Acme".into()), ("code".into(), "123456".into())]
        );
        let missing = vec!["nope".to_string()];
        assert!(msg.template_variables(Some(&missing)).is_err());
    }

    #[test]
    fn template_parsing() {
        #[derive(serde::Deserialize, Debug)]
        struct Entry {
            content: String,
        }
        let msg = message("{}", Some(r#"{"usageType":"SignIn","content":"hi"}"#));
        assert_eq!(msg.template::<Entry>().unwrap().content, "hi");
        let err = message("{}", None).template::<Entry>().unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::TemplateNotFound);
        let err = message("{}", Some(r#"{"usageType":"SignIn"}"#))
            .template::<Entry>()
            .unwrap_err();
        assert!(err.message.contains("content"), "{}", err.message);
        assert_eq!(message("{}", None).to_digits(), "4520123456");
        assert_eq!(message("{}", None).to_number().unwrap(), 4520123456);
    }
}
