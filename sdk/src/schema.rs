//! The config's JSON Schema (draft 2020-12), built field by field.
//!
//! ```ignore
//! Schema::object()
//!     .string("accountSID", "Account SID (AC…).")
//!     .secret("authToken", "Auth token.")
//!     .string("from", "A sender number or id.").optional()
//!     .boolean("disableRiskCheck", "Sends RiskCheck=disable.")
//!     .templates(Templates::text())
//! ```
//!
//! Fields are required unless marked [`Schema::optional`] (or given a
//! [`Schema::default`]); required string fields must also be non-blank,
//! which the SDK checks before the connector's own `validate` runs, so a
//! connector never writes that check. Secrets carry `"writeOnly": true`,
//! which the host masks everywhere.

use crate::ConnectorError;
use crate::template::CodeShape;
use serde_json::{Map, Value, json};

/// The usage types a template entry may name (Logto's `TemplateType`).
pub const USAGE_TYPES: [&str; 9] = [
    "SignIn",
    "Register",
    "ForgotPassword",
    "OrganizationInvitation",
    "Generic",
    "UserPermissionValidation",
    "BindNewIdentifier",
    "MfaVerification",
    "BindMfa",
];

/// The usage types every template-based config must cover (the host checks).
pub const REQUIRED_USAGE_TYPES: [&str; 4] = ["Register", "SignIn", "ForgotPassword", "Generic"];

/// A config schema under construction.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    properties: Map<String, Value>,
    required: Vec<String>,
    non_blank: Vec<String>,
    formats: Vec<(String, Format)>,
    last: Option<String>,
    templates: bool,
}

impl Schema {
    /// An object schema with no fields yet.
    pub fn object() -> Self {
        <Self as Default>::default()
    }

    fn field(mut self, name: &str, schema: Value, non_blank: bool) -> Self {
        self.properties.insert(name.to_string(), schema);
        self.required.push(name.to_string());
        if non_blank {
            self.non_blank.push(name.to_string());
        }
        self.last = Some(name.to_string());
        self
    }

    /// A required, non-blank string.
    pub fn string(self, name: &str, description: &str) -> Self {
        self.field(name, json!({"type": "string", "description": description}), true)
    }

    /// A required, non-blank secret string (`writeOnly`: masked by the host).
    pub fn secret(self, name: &str, description: &str) -> Self {
        self.field(
            name,
            json!({"type": "string", "writeOnly": true, "description": description}),
            true,
        )
    }

    /// A required id written as a string or an integer (read it as
    /// [`crate::json::StringOrNumber`]); non-blank.
    pub fn string_or_integer(self, name: &str, description: &str) -> Self {
        self.field(
            name,
            json!({"type": ["string", "integer"], "description": description}),
            true,
        )
    }

    /// An optional boolean, default `false`.
    pub fn boolean(self, name: &str, description: &str) -> Self {
        self.field(name, json!({"type": "boolean", "description": description}), false)
            .default(false)
    }

    /// An optional choice among `values`, default the first.
    pub fn choice(self, name: &str, values: &[&str], description: &str) -> Self {
        let first = values.first().copied().unwrap_or_default();
        self.field(name, json!({"enum": values, "description": description}), false)
            .default(first)
    }

    /// Any other property schema, required.
    pub fn property(self, name: &str, schema: Value) -> Self {
        self.field(name, schema, false)
    }

    fn edit_last(mut self, edit: impl FnOnce(&mut Map<String, Value>)) -> Self {
        if let Some(Value::Object(schema)) = self.last.as_ref().and_then(|name| self.properties.get_mut(name)) {
            edit(schema);
        }
        self
    }

    /// The last field may be left out (and, when given, may be blank).
    pub fn optional(mut self) -> Self {
        if let Some(name) = &self.last {
            self.required.retain(|field| field != name);
            self.non_blank.retain(|field| field != name);
        }
        self
    }

    /// The last field may be an empty string while still required.
    pub fn may_be_empty(mut self) -> Self {
        if let Some(name) = &self.last {
            self.non_blank.retain(|field| field != name);
        }
        self
    }

    /// The last field's default; implies [`Schema::optional`].
    pub fn default(self, value: impl Into<Value>) -> Self {
        let value = value.into();
        self.edit_last(|schema| {
            schema.insert("default".into(), value);
        })
        .optional()
    }

    /// The last field's `format`, which the SDK also enforces before the
    /// connector's `validate` runs: [`Format::Uri`] or [`Format::Email`].
    pub fn format(mut self, format: Format) -> Self {
        if let Some(name) = self.last.clone() {
            self.formats.push((name, format));
        }
        self.edit_last(|schema| {
            schema.insert("format".into(), format.name().into());
        })
    }

    /// A required `templates` array of `entry` objects; the host then
    /// selects and renders one entry per send (`uses-templates`).
    pub fn templates(mut self, entry: Templates) -> Self {
        self.templates = true;
        let usage = REQUIRED_USAGE_TYPES.join(", ");
        self.field(
            "templates",
            json!({
                "type": "array",
                "description": format!("One entry per usage type; {usage} are required. A send uses its usage type's entry, else Generic's; `locale` picks among entries of one type."),
                "items": entry.to_json(),
            }),
            false,
        )
    }

    /// Whether the config holds templates the host selects and renders.
    pub fn uses_templates(&self) -> bool {
        self.templates
    }

    /// The schema document.
    pub fn to_json(&self) -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": self.required,
            "properties": self.properties,
        })
    }

    /// Refuses a config in which a required string field is blank, or a
    /// string field misses its [`Format`], naming the field. Missing and
    /// mistyped fields are the parser's to report.
    pub fn check(&self, config: &Value) -> Result<(), ConnectorError> {
        let text = |name: &str| config.get(name).and_then(Value::as_str).map(str::trim);
        for name in &self.non_blank {
            if text(name).is_some_and(str::is_empty) {
                return Err(ConnectorError::invalid_field(name, "must not be empty"));
            }
        }
        for (name, format) in &self.formats {
            if let Some(value) = text(name)
                && !format.accepts(value)
            {
                return Err(ConnectorError::invalid_field(name, format.requirement()));
            }
        }
        Ok(())
    }
}

/// A string format the SDK checks (surrounding white space ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An `http://` or `https://` URL with a host and no user info (which
    /// would put credentials in logs).
    Uri,
    /// An email address by Logto's rule (see [`is_email`]).
    Email,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Uri => "uri",
            Format::Email => "email",
        }
    }

    fn requirement(self) -> &'static str {
        match self {
            Format::Uri => "must be an http(s) URL such as https://sms.example.com/send",
            Format::Email => "must be an email address",
        }
    }

    /// Whether `value` has this format.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Format::Uri => is_http_url(value),
            Format::Email => is_email(value),
        }
    }
}

/// An `http://` or `https://` URL whose authority is non-empty and has no
/// user info.
fn is_http_url(value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    rest.and_then(|rest| rest.split(['/', '?', '#']).next())
        .is_some_and(|authority| !authority.is_empty() && !authority.contains('@'))
}

/// Logto's `z.string().email()` rule (zod 3): a dot-atom-ish local part of
/// `A-Z a-z 0-9 _ ' + - .`, not starting with a dot or ending with `.`/`'`,
/// no `..`, then `@` and two or more labels, the last one letters only. It
/// also keeps `:` out, which would split the Basic-auth pair.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    if value.contains("..") || local.is_empty() || local.starts_with('.') {
        return false;
    }
    let local_ok = local.chars().all(|c| c.is_ascii_alphanumeric() || "_'+-.".contains(c));
    let last_ok = local
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || "_+-".contains(c));
    if !local_ok || !last_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((top, rest)) = labels.split_last() else {
        return false;
    };
    !rest.is_empty()
        && top.len() >= 2
        && top.chars().all(|c| c.is_ascii_alphabetic())
        && rest.iter().all(|label| {
            label.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The schema of one template entry.
#[derive(Debug, Clone)]
pub struct Templates {
    required: Vec<&'static str>,
    properties: Map<String, Value>,
}

impl Templates {
    fn with(fields: Vec<(&'static str, Value)>) -> Self {
        let mut entry = Templates {
            required: vec!["usageType"],
            properties: Map::new(),
        };
        entry
            .properties
            .insert("usageType".into(), json!({"type": "string", "enum": USAGE_TYPES}));
        for (name, schema) in fields {
            entry.required.push(name);
            entry.properties.insert(name.into(), schema);
        }
        entry
    }

    /// Text entries: `content`, the SMS text with `{{code}}` placeholders.
    pub fn text() -> Self {
        Self::with(vec![(
            "content",
            json!({"type": "string", "description": "The SMS text; {{code}} and other payload variables are filled in."}),
        )])
    }

    /// Code + params entries (see [`crate::template`]): `templateCode` of
    /// shape `Code` and optional `templateParams`, whose default `params` states.
    pub fn code<Code: CodeShape>(params: crate::template::Params) -> Self {
        let default = match params {
            crate::template::Params::Named => "every payload variable but locale and uiLocales",
            crate::template::Params::Positional => "just the code",
        };
        let mut entry = Self::with(vec![("templateCode", Code::schema())]);
        entry.properties.insert(
            "templateParams".into(),
            json!({"type": "array", "items": {"type": "string"},
                "description": format!("Payload variables that fill the template, in order (default: {default}).")}),
        );
        entry
    }

    /// One more optional property of each entry.
    pub fn field(mut self, name: &str, schema: Value) -> Self {
        self.properties.insert(name.into(), schema);
        self
    }

    fn to_json(&self) -> Value {
        let mut properties = self.properties.clone();
        properties.insert(
            "locale".into(),
            json!({"type": "string", "description": "Use this entry for this locale (e.g. fr-CA)."}),
        );
        json!({"type": "object", "required": self.required, "properties": properties})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::StringOrNumber;
    use crate::template::{Params, RegionalCode};

    #[test]
    fn fields_and_modifiers() {
        let schema = Schema::object()
            .string("accountSID", "Account SID.")
            .secret("authToken", "Auth token.")
            .string("from", "Sender.")
            .optional()
            .string("endpoint", "URL.")
            .format(Format::Uri)
            .default("https://api.test/x")
            .string("signName", "Signature.")
            .may_be_empty()
            .string_or_integer("sdkAppId", "App id.")
            .boolean("disableRiskCheck", "No risk check.")
            .choice("phoneFormat", &["e164", "digits"], "Format.")
            .templates(Templates::text());
        let json = schema.to_json();
        assert_eq!(
            json["required"],
            json!(["accountSID", "authToken", "signName", "sdkAppId", "templates"])
        );
        assert_eq!(json["properties"]["authToken"]["writeOnly"], true);
        assert_eq!(json["properties"]["accountSID"].get("writeOnly"), None);
        assert_eq!(json["properties"]["endpoint"]["format"], "uri");
        assert_eq!(json["properties"]["endpoint"]["default"], "https://api.test/x");
        assert_eq!(json["properties"]["disableRiskCheck"]["default"], false);
        assert_eq!(json["properties"]["phoneFormat"]["default"], "e164");
        assert_eq!(json["properties"]["sdkAppId"]["type"], json!(["string", "integer"]));
        assert_eq!(
            json["properties"]["templates"]["items"]["required"],
            json!(["usageType", "content"])
        );
        assert!(schema.uses_templates());
        assert!(!Schema::object().string("endpoint", "x").uses_templates());
    }

    #[test]
    fn blank_required_strings_are_refused() {
        let schema = Schema::object()
            .string("a", "")
            .secret("b", "")
            .string("c", "")
            .may_be_empty()
            .string("d", "")
            .optional();
        assert!(schema.check(&json!({"a": "x", "b": "y", "c": "", "d": " "})).is_ok());
        let error = schema.check(&json!({"a": "x", "b": " \t"})).unwrap_err();
        assert_eq!(error.message, "`b` must not be empty");
        assert_eq!(error.code, crate::ErrorCode::InvalidConfig);
        // Missing or mistyped fields are the parser's to report.
        assert!(schema.check(&json!({"b": 5})).is_ok());
    }

    #[test]
    fn emails_follow_logtos_rule() {
        for good in [
            "user@example.com",
            "first.last+otp@mail.example.ru",
            "o'neil@x-y.io",
            "a_b-c@d.co",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "user",
            "user@",
            "@example.com",
            "user@example",
            "user@example.c",
            "us er@example.com",
            ".user@example.com",
            "user.@example.com",
            "a..b@example.com",
            "a@b@example.com",
            "user:x@example.com",
            "user@-example.com",
            "user@example.c0m",
            "ü@example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn formats_are_enforced() {
        let schema = Schema::object()
            .string("endpoint", "")
            .format(Format::Uri)
            .string("email", "")
            .format(Format::Email)
            .optional();
        assert!(
            schema
                .check(&json!({"endpoint": " https://sms.example.com/send "}))
                .is_ok()
        );
        assert!(
            schema
                .check(&json!({"endpoint": "http://127.0.0.1:8080/x", "email": "a@b.co"}))
                .is_ok()
        );
        for bad in [
            "sms.example.com/send",
            "ftp://x",
            "https://",
            "https://u:p@host/",
            "https:///x",
        ] {
            let error = schema.check(&json!({ "endpoint": bad })).unwrap_err();
            assert!(error.message.starts_with("`endpoint` must be an http(s) URL"), "{bad}");
        }
        let error = schema
            .check(&json!({"endpoint": "https://x", "email": "nope"}))
            .unwrap_err();
        assert_eq!(error.message, "`email` must be an email address");
        assert_eq!(schema.to_json()["properties"]["email"]["format"], "email");
    }

    #[test]
    fn code_templates() {
        let named = Templates::code::<RegionalCode>(Params::Named)
            .field("type", json!({"type": "integer"}))
            .to_json();
        assert_eq!(named["required"], json!(["usageType", "templateCode"]));
        assert!(named["properties"]["templateCode"]["oneOf"].is_array());
        assert!(named["properties"].get("type").is_some());
        let positional = Templates::code::<StringOrNumber>(Params::Positional).to_json();
        assert!(
            positional["properties"]["templateParams"]["description"]
                .as_str()
                .unwrap()
                .contains("just the code")
        );
        assert_eq!(positional["properties"]["usageType"]["enum"][0], "SignIn");
    }
}
