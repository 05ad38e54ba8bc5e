//! What a caller asks the host to send: recipient, usage type, payload.

use crate::phone::PhoneNumber;
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// Why the code is being sent; Logto's nine `TemplateType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UsageType {
    /// Signing in with a phone number.
    SignIn,
    /// Registering a new account.
    Register,
    /// Resetting a forgotten password.
    ForgotPassword,
    /// Accepting an organization invitation.
    OrganizationInvitation,
    /// Anything else; the fallback template.
    Generic,
    /// Confirming a sensitive account change.
    UserPermissionValidation,
    /// Binding a new phone number to an account.
    BindNewIdentifier,
    /// A second-factor check.
    MfaVerification,
    /// Setting up SMS as a second factor.
    BindMfa,
}

impl UsageType {
    /// All nine, in Logto's order.
    pub const ALL: [UsageType; 9] = [
        UsageType::SignIn,
        UsageType::Register,
        UsageType::ForgotPassword,
        UsageType::OrganizationInvitation,
        UsageType::Generic,
        UsageType::UserPermissionValidation,
        UsageType::BindNewIdentifier,
        UsageType::MfaVerification,
        UsageType::BindMfa,
    ];

    /// The Logto name, as used in config `usageType` fields.
    pub fn as_str(self) -> &'static str {
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

impl fmt::Display for UsageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown usage type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown usage type `{0}`; expected one of SignIn, Register, ForgotPassword, OrganizationInvitation, Generic, UserPermissionValidation, BindNewIdentifier, MfaVerification, BindMfa"
)]
pub struct UnknownUsageType(pub String);

impl FromStr for UsageType {
    type Err = UnknownUsageType;

    /// Accepts the Logto names case-insensitively, with or without `-`/`_`
    /// (`SignIn`, `sign-in`, `sign_in`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let folded: String = text
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .collect::<String>()
            .to_ascii_lowercase();
        UsageType::ALL
            .into_iter()
            .find(|usage| usage.as_str().to_ascii_lowercase() == folded)
            .ok_or_else(|| UnknownUsageType(text.to_string()))
    }
}

/// One message to send through a connector.
#[derive(Clone)]
pub struct OutgoingMessage {
    /// The validated recipient.
    pub to: PhoneNumber,
    /// Why the code is sent; selects the template.
    pub usage: UsageType,
    /// Template variables: always `code`, usually `locale`, and any extras
    /// (`uiLocales`, `application`...). Key order is kept.
    pub payload: Map<String, Value>,
    /// The end user's IP address, when known.
    pub client_ip: Option<String>,
    /// The host's id for this send (a random UUID unless set), carried by
    /// its log lines, its receipt and its record.
    pub send_id: String,
}

impl fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the code, the payload (it holds the code) or the full number.
        f.debug_struct("OutgoingMessage")
            .field("send_id", &self.send_id)
            .field("to", &self.to.redacted())
            .field("usage", &self.usage)
            .field("locale", &self.locale())
            .finish_non_exhaustive()
    }
}

impl OutgoingMessage {
    /// A one-time-code message.
    pub fn new(to: PhoneNumber, usage: UsageType, code: impl Into<String>) -> Self {
        let mut payload = Map::new();
        payload.insert("code".to_string(), Value::String(code.into()));
        OutgoingMessage {
            to,
            usage,
            payload,
            client_ip: None,
            send_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Sets the resolved locale (`en`, `fr-CA`).
    pub fn with_locale(mut self, locale: impl Into<String>) -> Self {
        self.payload.insert("locale".to_string(), Value::String(locale.into()));
        self
    }

    /// Adds the caller's extra payload variables; `code` and `locale` set
    /// through the constructors win over same-named extras.
    pub fn with_payload(mut self, extra: Map<String, Value>) -> Self {
        for (key, value) in extra {
            if !self.payload.contains_key(&key) {
                self.payload.insert(key, value);
            }
        }
        self
    }

    /// Sets the end user's IP address.
    pub fn with_client_ip(mut self, ip: impl Into<String>) -> Self {
        self.client_ip = Some(ip.into());
        self
    }

    /// Sets the send id (e.g. one the caller already logged).
    pub fn with_send_id(mut self, id: impl Into<String>) -> Self {
        self.send_id = id.into();
        self
    }

    /// The one-time code.
    pub fn code(&self) -> &str {
        self.payload.get("code").and_then(Value::as_str).unwrap_or_default()
    }

    /// The locale, when known.
    pub fn locale(&self) -> Option<&str> {
        self.payload.get("locale").and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_names_parse_leniently() {
        for usage in UsageType::ALL {
            assert_eq!(usage.as_str().parse::<UsageType>().unwrap(), usage);
        }
        assert_eq!("sign-in".parse::<UsageType>().unwrap(), UsageType::SignIn);
        assert_eq!("BIND_MFA".parse::<UsageType>().unwrap(), UsageType::BindMfa);
        let error = "Login".parse::<UsageType>().unwrap_err();
        assert!(error.to_string().contains("unknown usage type `Login`"));
    }

    #[test]
    fn payload_keeps_code_first() {
        let mut extra = Map::new();
        extra.insert("code".into(), Value::String("spoofed".into()));
        extra.insert("uiLocales".into(), Value::String("fr-CA fr".into()));
        let message = OutgoingMessage::new(PhoneNumber::parse("+4520123456").unwrap(), UsageType::SignIn, "123456")
            .with_locale("fr")
            .with_payload(extra);
        assert_eq!(message.code(), "123456");
        assert_eq!(message.locale(), Some("fr"));
        let keys: Vec<_> = message.payload.keys().cloned().collect();
        assert_eq!(keys, ["code", "locale", "uiLocales"]);
    }
}
