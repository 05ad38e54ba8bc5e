#![no_main]
//! Redaction and display safety: first line a secret, the rest the text.
libfuzzer_sys::fuzz_target!(|text: &str| {
    let (secret, body) = text.split_once('\n').unwrap_or((text, text));
    let to = smshost::PhoneNumber::parse("+4520123456").expect("a valid number");
    let redactor = smshost::fuzzing::Redactor::default().with_secrets([secret]).for_message(secret, &to);
    let shown = redactor.redact_display(body, 2048);
    assert!(!shown.chars().any(char::is_control));
    let _ = smshost::display_safe(body, 64);
});
