#![no_main]
//! The phone parser on arbitrary text.
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(number) = smshost::PhoneNumber::parse(text) {
        let _ = number.redacted();
    }
});
