#![no_main]
//! The renderer and template checks on arbitrary text and JSON.
libfuzzer_sys::fuzz_target!(|text: &str| {
    let mut payload = serde_json::Map::new();
    payload.insert("code".into(), serde_json::json!("123456"));
    let _ = smshost::fuzzing::render(text, &payload);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = smshost::fuzzing::check_templates(Some(&value));
        if let Some(entries) = value.as_array() {
            let _ = smshost::fuzzing::select(entries, smshost::UsageType::SignIn, Some(text));
        }
    }
});
