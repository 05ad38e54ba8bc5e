//! Properties over arbitrary input: no parser or renderer panics, and a
//! secret never survives redaction in any derived form. CI runs them with
//! few cases (`PROPTEST_CASES` raises it); `host/fuzz` holds the same
//! targets for `cargo fuzz`.

use crate::config::Redactor;
use crate::redaction::display_safe;
use crate::{AllowedHosts, AllowedOrigin, ConnectorConfig, PhoneNumber, UsageType, template};
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(128),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn template_rendering_never_panics(text in ".{0,200}", key in "[a-z.]{0,12}", value in ".{0,40}") {
        let mut payload = Map::new();
        payload.insert(key.clone(), Value::String(value));
        payload.insert("code".into(), json!("123456"));
        let _ = template::render(&text, &payload);
        let entry = json!({"usageType": "SignIn", "content": text, "locale": key});
        let _ = template::render_entry(entry.as_object().unwrap(), &payload);
    }

    #[test]
    fn template_checks_and_selection_never_panic(json in ".{0,200}", locale in "[a-zA-Z-]{0,10}") {
        if let Ok(value) = serde_json::from_str::<Value>(&json) {
            let _ = template::check_templates(Some(&value));
            if let Some(entries) = value.as_array() {
                let _ = template::select(entries, UsageType::SignIn, Some(&locale));
            }
        }
        let entries = vec![json!({"usageType": json, "locale": locale, "content": "x"})];
        let _ = template::check_templates(Some(&Value::Array(entries.clone())));
        let _ = template::select(&entries, UsageType::Generic, Some(&locale));
    }

    #[test]
    fn phone_parsing_never_panics(input in ".{0,40}", digits in "[+0-9 ()-]{0,20}") {
        let _ = PhoneNumber::parse(&input);
        if let Ok(number) = PhoneNumber::parse(&digits) {
            let _ = number.redacted();
        }
    }

    #[test]
    fn config_parsing_never_panics(input in ".{0,200}") {
        if let Ok(config) = ConnectorConfig::parse(&input) {
            let _ = config.masked(&["a".into(), "a.b".into()]);
            let _ = Redactor::new(&config, &["a".into(), "a.b".into()]);
        }
    }

    #[test]
    fn allowlist_parsing_never_panics(entry in ".{0,60}", url in ".{0,60}") {
        let _ = AllowedOrigin::parse(&entry);
        let _ = AllowedOrigin::from_config_value(&entry);
        if let Ok(hosts) = AllowedHosts::parse([entry.as_str()]) {
            let _ = hosts.allows_url(&url);
        }
        let _ = AllowedOrigin::parse(&format!("https://*.{entry}"));
    }

    #[test]
    fn a_secret_never_survives_redaction(secret in "[ -~]{6,24}", before in ".{0,20}", after in ".{0,20}") {
        let redactor = Redactor::default().with_secrets([secret.as_str()]);
        let b64 = base64::engine::general_purpose::STANDARD;
        let forms = [
            secret.clone(),
            b64.encode(&secret),
            b64.encode(format!("user:{secret}")),
            form_encode(&secret),
        ];
        for form in forms {
            let text = format!("{before}{form}{after}");
            let shown = redactor.redact(&text);
            // The secret itself can never be read back from what is shown.
            prop_assert!(!shown.contains(&secret) || before.contains(&secret) || after.contains(&secret),
                "{secret:?} survived in {shown:?}");
        }
    }

    #[test]
    fn redaction_and_display_never_panic(text in "\\PC{0,200}", control in "[\\x00-\\x1f\\x7f]{0,5}", max in 0usize..300) {
        let redactor = Redactor::default()
            .with_secrets([text.as_str()])
            .for_message("123456", &PhoneNumber::parse("+4520123456").unwrap());
        let mixed = format!("{text}{control}{text}");
        let shown = redactor.redact_display(&mixed, max);
        prop_assert!(shown.len() <= max + '…'.len_utf8());
        prop_assert!(!shown.chars().any(char::is_control));
        let _ = display_safe(&mixed, max);
    }
}

fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
