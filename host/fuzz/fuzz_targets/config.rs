#![no_main]
//! Config parsing, masking and secret collection on arbitrary JSON text.
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(config) = smshost::ConnectorConfig::parse(text) {
        let fields = ["a".to_string(), "a.b".to_string()];
        let _ = config.masked(&fields);
        let _ = smshost::fuzzing::Redactor::new(&config, &fields);
        let _ = smshost::fuzzing::check_templates(config.as_object().get("templates"));
    }
    if let Ok(schema) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = smshost::fuzzing::secret_fields(&schema);
    }
});
