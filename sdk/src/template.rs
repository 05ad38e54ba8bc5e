//! Typed template entries, as a connector reads the one the host selected
//! and rendered ([`crate::Message::template`]).
//!
//! Two kinds of provider exist:
//! - **text** providers send the text itself: a [`TextTemplate`] entry
//!   `{"usageType": "SignIn", "content": "Your code is {{code}}"}`, rendered
//!   by the host;
//! - **code + params** providers hold an approved text and are sent its code
//!   and the values for its parameters: a [`CodeTemplate`] entry
//!   `{"usageType": "SignIn", "templateCode": "SMS_1", "templateParams": ["code"]}`.
//!
//! # Which payload values become parameters
//! With `templateParams`, exactly the payload values those names list, in
//! that order; a name missing from the payload is `template-not-found`.
//! Without it:
//! - [`Params::Named`] (the provider fills `${name}`, e.g. Aliyun): every
//!   payload value except the request's context (`locale`, `uiLocales`), so
//!   `{"code": …}` plus whatever extras the caller sent;
//! - [`Params::Positional`] (the provider fills `{1}`, `{2}`…, e.g. Tencent):
//!   the code alone, since an unlisted set has no order and the count must
//!   match the approved template.
//!
//! Strings are sent as they are, `null` as empty text, other values as
//! compact JSON.

use crate::json::StringOrNumber;
use crate::{ConnectorError, Message};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value, json};
use std::fmt;

/// A text template entry: the rendered `content` is the SMS text.
#[derive(Debug, Clone, Deserialize)]
pub struct TextTemplate {
    /// The message text, placeholders already filled by the host.
    pub content: String,
}

/// How a code + params provider fills its approved template (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// By name: `{"code": "123456"}`.
    Named,
    /// By position: `["123456"]`.
    Positional,
}

/// A code + params template entry. `Code` is the shape of `templateCode`:
/// [`StringOrNumber`] (one code, a number allowed) or [`RegionalCode`].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound = "Code: Deserialize<'de>")]
pub struct CodeTemplate<Code = StringOrNumber> {
    /// The provider's id for the approved template. Absent is only an error
    /// when this entry is used for a send (Logto's behaviour).
    #[serde(default)]
    pub template_code: Option<Code>,
    /// Payload names whose values fill the template, in order.
    #[serde(default)]
    pub template_params: Option<Vec<String>>,
}

fn no_code(message: &Message, what: &str) -> ConnectorError {
    ConnectorError::template_not_found(format!(
        "the template for usage type {} has no `{what}`",
        message.usage.as_logto_str()
    ))
}

impl<Code> CodeTemplate<Code> {
    /// The parameter values for `message` by the rule in the module docs,
    /// with their names.
    pub fn params(&self, message: &Message, params: Params) -> Result<Vec<(String, String)>, ConnectorError> {
        match (&self.template_params, params) {
            (None, Params::Positional) => Ok(vec![("code".to_string(), message.code.clone())]),
            (names, _) => message.template_variables(names.as_deref()),
        }
    }

    /// Named parameters as the JSON object text providers take
    /// (`{"code":"123456"}`).
    pub fn named_params_json(&self, message: &Message) -> Result<String, ConnectorError> {
        let params: Map<String, Value> = self
            .params(message, Params::Named)?
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        Ok(Value::Object(params).to_string())
    }

    /// Positional parameter values, in order.
    pub fn positional_params(&self, message: &Message) -> Result<Vec<String>, ConnectorError> {
        Ok(self
            .params(message, Params::Positional)?
            .into_iter()
            .map(|(_, value)| value)
            .collect())
    }
}

impl CodeTemplate<StringOrNumber> {
    /// The template code, trimmed; `template-not-found` when absent or blank.
    pub fn code(&self, message: &Message) -> Result<String, ConnectorError> {
        self.template_code
            .as_ref()
            .and_then(StringOrNumber::non_blank)
            .map(str::to_string)
            .ok_or_else(|| no_code(message, "templateCode"))
    }
}

impl CodeTemplate<RegionalCode> {
    /// The template code for the recipient's `region`, trimmed;
    /// `template-not-found` when absent or blank.
    pub fn code_for(&self, message: &Message, region: Region) -> Result<String, ConnectorError> {
        let (code, what) = match &self.template_code {
            Some(RegionalCode::One(code)) => (Some(code), "templateCode".to_string()),
            Some(RegionalCode::ByRegion(codes)) => (codes.get(region), format!("templateCode.{}", region.key())),
            None => (None, "templateCode".to_string()),
        };
        code.map(|code| code.trim())
            .filter(|code| !code.is_empty())
            .map(str::to_string)
            .ok_or_else(|| no_code(message, &what))
    }
}

/// Where a recipient is, for providers with separate templates for
/// domestic and international numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// A mainland China number.
    China,
    /// Anything else.
    Overseas,
}

impl Region {
    /// The key in a [`RegionalCode`] object.
    pub fn key(self) -> &'static str {
        match self {
            Region::China => "china",
            Region::Overseas => "overseas",
        }
    }
}

/// A `templateCode` that is one code for every recipient (a string) or one
/// per region (`{"china": "SMS_1", "overseas": "SMS_2"}`, Logto's Aliyun form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionalCode {
    /// The same code everywhere.
    One(String),
    /// A code per region.
    ByRegion(RegionalCodes),
}

/// The per-region codes of a [`RegionalCode`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionalCodes {
    /// For mainland China numbers.
    #[serde(default)]
    pub china: Option<String>,
    /// For every other number.
    #[serde(default)]
    pub overseas: Option<String>,
}

impl RegionalCodes {
    fn get(&self, region: Region) -> Option<&String> {
        match region {
            Region::China => self.china.as_ref(),
            Region::Overseas => self.overseas.as_ref(),
        }
    }
}

impl<'de> Deserialize<'de> for RegionalCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl<'de> Visitor<'de> for CodeVisitor {
            type Value = RegionalCode;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str(r#"a string or an object {"china": ..., "overseas": ...}"#)
            }
            fn visit_str<E: de::Error>(self, code: &str) -> Result<Self::Value, E> {
                Ok(RegionalCode::One(code.to_string()))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                RegionalCodes::deserialize(de::value::MapAccessDeserializer::new(map)).map(RegionalCode::ByRegion)
            }
        }
        deserializer.deserialize_any(CodeVisitor)
    }
}

/// The JSON Schema of a `templateCode` shape, for [`crate::schema::Templates::code`].
pub trait CodeShape {
    /// The schema of the `templateCode` property.
    fn schema() -> Value;
}

impl CodeShape for StringOrNumber {
    fn schema() -> Value {
        json!({"type": ["string", "integer"], "description": "The provider's id of the approved template."})
    }
}

impl CodeShape for RegionalCode {
    fn schema() -> Value {
        json!({"oneOf": [
            {"type": "string", "description": "Template code for every recipient."},
            {"type": "object", "required": ["china", "overseas"], "additionalProperties": false,
             "properties": {"china": {"type": "string"}, "overseas": {"type": "string"}},
             "description": "`china` for mainland China mobile numbers, `overseas` for every other number."}
        ]})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UsageType;

    fn message(payload: Value) -> Message {
        Message {
            to: "+8613812345678".into(),
            usage: UsageType::SignIn,
            template: None,
            code: "123456".into(),
            locale: Some("zh-CN".into()),
            payload: payload.to_string(),
            client_ip: None,
        }
    }

    fn entry<Code: for<'de> Deserialize<'de>>(value: Value) -> CodeTemplate<Code> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn params_follow_the_documented_rule() {
        let msg = message(json!({"code": "123456", "locale": "zh-CN", "uiLocales": "zh-CN en", "minutes": 10}));
        let bare: CodeTemplate = entry(json!({"templateCode": "7"}));
        assert_eq!(
            bare.named_params_json(&msg).unwrap(),
            r#"{"code":"123456","minutes":"10"}"#
        );
        assert_eq!(bare.positional_params(&msg).unwrap(), ["123456"]);
        let listed: CodeTemplate = entry(json!({"templateCode": 7, "templateParams": ["minutes", "code"]}));
        assert_eq!(listed.positional_params(&msg).unwrap(), ["10", "123456"]);
        assert_eq!(
            listed.named_params_json(&msg).unwrap(),
            r#"{"minutes":"10","code":"123456"}"#
        );
        let none: CodeTemplate = entry(json!({"templateParams": []}));
        assert!(none.positional_params(&msg).unwrap().is_empty());
        let missing: CodeTemplate = entry(json!({"templateParams": ["product"]}));
        let error = missing.positional_params(&msg).unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::TemplateNotFound);
        assert!(error.message.contains("`product`"), "{}", error.message);
        // A send whose payload holds only context keys still carries the code.
        let only_context = message(json!({"locale": "en"}));
        assert_eq!(bare.named_params_json(&only_context).unwrap(), r#"{"code":"123456"}"#);
    }

    #[test]
    fn codes() {
        let msg = message(json!({}));
        let number: CodeTemplate = entry(json!({"templateCode": 1234567}));
        assert_eq!(number.code(&msg).unwrap(), "1234567");
        for blank in [json!({}), json!({"templateCode": " "}), json!({"templateCode": null})] {
            let error = entry::<StringOrNumber>(blank).code(&msg).unwrap_err();
            assert_eq!(
                error.message,
                "the template for usage type SignIn has no `templateCode`"
            );
        }
        let both: CodeTemplate<RegionalCode> =
            entry(json!({"templateCode": {"china": "SMS_CN", "overseas": "SMS_INTL"}}));
        assert_eq!(both.code_for(&msg, Region::China).unwrap(), "SMS_CN");
        assert_eq!(both.code_for(&msg, Region::Overseas).unwrap(), "SMS_INTL");
        let one: CodeTemplate<RegionalCode> = entry(json!({"templateCode": " SMS_1 "}));
        assert_eq!(one.code_for(&msg, Region::Overseas).unwrap(), "SMS_1");
        let china_only: CodeTemplate<RegionalCode> = entry(json!({"templateCode": {"china": "SMS_CN"}}));
        let error = china_only.code_for(&msg, Region::Overseas).unwrap_err();
        assert!(error.message.contains("`templateCode.overseas`"), "{}", error.message);
    }

    #[test]
    fn regional_shapes_are_refused_by_field() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Config {
            templates: Vec<CodeTemplate<RegionalCode>>,
        }
        let refused = |templates: Value| {
            crate::config::parse_config::<Config>(&json!({ "templates": templates }).to_string())
                .unwrap_err()
                .message
        };
        assert_eq!(
            refused(json!([{"templateCode": 5}])),
            r#"`templates[0].templateCode` must be a string or an object {"china": ..., "overseas": ...}"#
        );
        assert!(refused(json!([{"templateCode": {"cn": "SMS_1"}}])).contains("`cn`"));
        assert_eq!(
            refused(json!([{}, {"templateCode": {"china": 1}}])),
            "`templates[1].templateCode.china` must be a string"
        );
        assert!(refused(json!([{"templateParams": "code"}])).starts_with("`templates[0].templateParams` must be"));
    }
}
