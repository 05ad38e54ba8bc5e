//! Message templates: one entry per usage type, picked and rendered by the
//! host so every connector behaves the same.
//!
//! A connector config holds Logto's `templates` array. Each entry is an
//! object with a `usageType` and the connector's own fields (`content` for
//! text providers, `templateCode` for Aliyun and Tencent), plus an optional
//! `locale` (our addition; Logto has no per-locale SMS templates).
//!
//! # Selection
//! For the requested usage type, then for `Generic`: among the entries of
//! that type, the one whose `locale` equals the payload's locale
//! (case-insensitively), else one whose language matches (`fr` for `fr-CA`,
//! either way round), else one without a `locale`. When both rounds find
//! nothing but entries of the requested type exist in other locales, the
//! first of them is used: a message in another language beats no message.
//! Otherwise the send fails with `template_not_found`. Duplicates: the first
//! wins, as in Logto.
//!
//! # Rendering
//! Every string field of the entry (except `usageType` and `locale`) is
//! rendered with Logto's placeholder rules: `{{ path }}` with optional
//! whitespace, a path of `[A-Za-z0-9_.]` characters, dotted segments walking
//! objects and array indices. A placeholder whose root is not in the payload
//! stays verbatim; a path that runs out renders empty; `null` renders empty;
//! strings as they are; arrays comma-joined; other values as compact JSON
//! (Logto's `[object Object]` helps nobody). Rendering is a single pass, so
//! a payload value containing `{{...}}` is not expanded again.

use crate::message::UsageType;
use regex::{Captures, Regex};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The usage types every template-based config must cover (Logto's rule).
pub const REQUIRED_USAGE_TYPES: [UsageType; 4] = [
    UsageType::Register,
    UsageType::SignIn,
    UsageType::ForgotPassword,
    UsageType::Generic,
];

/// Checks that `templates` is an array of objects with string `usageType`s
/// covering [`REQUIRED_USAGE_TYPES`]. The error reads like Logto's.
pub fn check_templates(templates: Option<&Value>) -> Result<(), String> {
    let Some(templates) = templates else {
        return Err("missing field `templates`".to_string());
    };
    let Some(entries) = templates.as_array() else {
        return Err("`templates` must be an array".to_string());
    };
    for (index, entry) in entries.iter().enumerate() {
        let Some(entry) = entry.as_object() else {
            return Err(format!("`templates[{index}]` must be an object"));
        };
        match entry.get("usageType") {
            Some(Value::String(_)) => {}
            Some(_) => return Err(format!("`templates[{index}].usageType` must be a string")),
            None => return Err(format!("`templates[{index}]` is missing `usageType`")),
        }
        match entry.get("locale") {
            None | Some(Value::String(_)) => {}
            Some(_) => return Err(format!("`templates[{index}].locale` must be a string")),
        }
    }
    let missing: Vec<&str> = REQUIRED_USAGE_TYPES
        .iter()
        .map(|usage| usage.as_str())
        .filter(|usage| !entries.iter().any(|entry| entry["usageType"] == *usage))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Template with UsageType ({}) should be provided!",
            missing.join(", ")
        ))
    }
}

/// Picks the entry for `usage` and `locale` (see the module docs).
pub fn select<'a>(templates: &'a [Value], usage: UsageType, locale: Option<&str>) -> Option<&'a Map<String, Value>> {
    let of_type = |usage: UsageType| {
        templates
            .iter()
            .filter_map(Value::as_object)
            .filter(move |entry| entry.get("usageType").and_then(Value::as_str) == Some(usage.as_str()))
    };
    let best = |usage: UsageType| {
        let entry_locale = |entry: &Map<String, Value>| entry.get("locale").and_then(Value::as_str).map(str::to_string);
        if let Some(wanted) = locale {
            if let Some(entry) =
                of_type(usage).find(|e| entry_locale(e).is_some_and(|l| l.eq_ignore_ascii_case(wanted)))
            {
                return Some(entry);
            }
            if let Some(entry) = of_type(usage).find(|e| entry_locale(e).is_some_and(|l| same_language(&l, wanted))) {
                return Some(entry);
            }
        }
        of_type(usage).find(|e| entry_locale(e).is_none())
    };
    best(usage)
        .or_else(|| best(UsageType::Generic))
        .or_else(|| of_type(usage).next())
}

fn language(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

fn same_language(a: &str, b: &str) -> bool {
    language(a).eq_ignore_ascii_case(language(b))
}

/// Renders every string field of `entry` against `payload`.
pub fn render_entry(entry: &Map<String, Value>, payload: &Map<String, Value>) -> Map<String, Value> {
    entry
        .iter()
        .map(|(key, value)| {
            let value = if key == "usageType" || key == "locale" {
                value.clone()
            } else {
                render_value(value, payload)
            };
            (key.clone(), value)
        })
        .collect()
}

fn render_value(value: &Value, payload: &Map<String, Value>) -> Value {
    match value {
        Value::String(text) => Value::String(render(text, payload)),
        Value::Array(items) => Value::Array(items.iter().map(|item| render_value(item, payload)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), render_value(value, payload)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn placeholder() -> &'static Regex {
    static PLACEHOLDER: OnceLock<Regex> = OnceLock::new();
    PLACEHOLDER.get_or_init(|| Regex::new(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}").expect("the placeholder pattern is valid"))
}

/// Replaces every `{{ path }}` in `text` from `payload`.
///
/// `Code {{ code }} for {{application.name}}` with
/// `{"code": "123456", "application": {"name": "Acme"}}` gives
/// `Code 123456 for Acme`; `{{unknown}}` stays as written.
pub fn render(text: &str, payload: &Map<String, Value>) -> String {
    placeholder()
        .replace_all(text, |captures: &Captures| {
            let path = &captures[1];
            let mut segments = path.split('.');
            let root = segments.next().unwrap_or_default();
            let Some(mut value) = payload.get(root) else {
                return captures[0].to_string();
            };
            for segment in segments {
                let next = match value {
                    Value::Object(map) => map.get(segment),
                    Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                };
                match next {
                    Some(next) => value = next,
                    None => return String::new(),
                }
            }
            text_of(value)
        })
        .into_owned()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn logto_placeholder_rules() {
        let p =
            payload(json!({"code": "123456", "n": 5, "nil": null, "list": [1, "2", null], "app": {}, "obj": {"a": 1}}));
        assert_eq!(render("code {{code}}", &p), "code 123456");
        assert_eq!(render("code {{     code }}", &p), "code 123456");
        assert_eq!(render("{{code}}{{code}}", &p), "123456123456");
        assert_eq!(render("{{n}} {{nil}} {{list}}", &p), "5  1,2,");
        assert_eq!(render("{{list.1}}", &p), "2");
        assert_eq!(render("{{application.name}}", &p), "{{application.name}}");
        assert_eq!(render("{{app.name}}", &p), "");
        assert_eq!(render("{{code.length}}", &p), "");
        assert_eq!(render("{{obj}}", &p), r#"{"a":1}"#);
        assert_eq!(render("{{ a-b }} {{#if}} {code}", &p), "{{ a-b }} {{#if}} {code}");
        assert_eq!(render("{{}}", &p), "{{}}");
    }

    #[test]
    fn rendering_is_single_pass() {
        let p = payload(json!({"name": "{{code}}", "code": "123456"}));
        assert_eq!(render("{{name}}", &p), "{{code}}");
    }

    #[test]
    fn required_types() {
        let ok = json!([
            {"usageType": "Register", "content": "a"},
            {"usageType": "SignIn", "content": "a"},
            {"usageType": "ForgotPassword", "content": "a"},
            {"usageType": "Generic", "content": "a"},
            {"usageType": "Custom", "content": "a"}
        ]);
        assert_eq!(check_templates(Some(&ok)), Ok(()));
        let partial = json!([{"usageType": "SignIn", "content": "a"}]);
        assert_eq!(
            check_templates(Some(&partial)).unwrap_err(),
            "Template with UsageType (Register, ForgotPassword, Generic) should be provided!"
        );
        assert!(check_templates(None).unwrap_err().contains("templates"));
        assert!(check_templates(Some(&json!({}))).unwrap_err().contains("array"));
        assert!(check_templates(Some(&json!([1]))).unwrap_err().contains("templates[0]"));
        assert!(
            check_templates(Some(&json!([{"content": "x"}])))
                .unwrap_err()
                .contains("usageType")
        );
        assert!(
            check_templates(Some(&json!([{"usageType": 1}])))
                .unwrap_err()
                .contains("string")
        );
    }

    #[test]
    fn selection_by_type_generic_and_locale() {
        let templates = json!([
            {"usageType": "SignIn", "content": "sign-in default"},
            {"usageType": "SignIn", "locale": "fr", "content": "connexion"},
            {"usageType": "SignIn", "locale": "fr-CA", "content": "connexion QC"},
            {"usageType": "Generic", "content": "generic"},
            {"usageType": "Generic", "locale": "de", "content": "allgemein"},
            {"usageType": "Register", "locale": "ja", "content": "登録"}
        ]);
        let t = templates.as_array().unwrap();
        let pick = |usage, locale| select(t, usage, locale).map(|e| e["content"].as_str().unwrap().to_string());
        assert_eq!(pick(UsageType::SignIn, None).unwrap(), "sign-in default");
        assert_eq!(pick(UsageType::SignIn, Some("fr-CA")).unwrap(), "connexion QC");
        assert_eq!(pick(UsageType::SignIn, Some("fr-ca")).unwrap(), "connexion QC");
        assert_eq!(pick(UsageType::SignIn, Some("fr-FR")).unwrap(), "connexion");
        assert_eq!(pick(UsageType::SignIn, Some("en")).unwrap(), "sign-in default");
        assert_eq!(pick(UsageType::BindMfa, None).unwrap(), "generic");
        assert_eq!(pick(UsageType::BindMfa, Some("de-AT")).unwrap(), "allgemein");
        // Only another locale of the type exists: Generic in no locale comes first...
        assert_eq!(pick(UsageType::Register, Some("en")).unwrap(), "generic");
        let only_register = json!([{"usageType": "Register", "locale": "ja", "content": "登録"}]);
        let t2 = only_register.as_array().unwrap();
        // ...and without a Generic, the other locale beats nothing.
        assert_eq!(select(t2, UsageType::Register, Some("en")).unwrap()["content"], "登録");
        assert!(select(t2, UsageType::SignIn, None).is_none());
    }

    #[test]
    fn entry_rendering_covers_every_string_field() {
        let entry = json!({"usageType": "SignIn", "locale": "{{code}}", "content": "Code {{code}}",
            "templateCode": {"china": "SMS_{{code}}", "overseas": "X"}, "params": ["{{code}}"], "n": 1});
        let p = payload(json!({"code": "42"}));
        let rendered = render_entry(entry.as_object().unwrap(), &p);
        assert_eq!(
            Value::Object(rendered),
            json!({"usageType": "SignIn", "locale": "{{code}}", "content": "Code 42",
                "templateCode": {"china": "SMS_42", "overseas": "X"}, "params": ["42"], "n": 1})
        );
    }
}
