#![no_main]
//! The allowlist parser and matcher: first line an entry, the rest a URL.
libfuzzer_sys::fuzz_target!(|text: &str| {
    let (entry, url) = text.split_once('\n').unwrap_or((text, "https://example.com/"));
    let _ = smshost::AllowedOrigin::from_config_value(entry);
    if let Ok(hosts) = smshost::AllowedHosts::parse([entry]) {
        let _ = hosts.allows_url(url);
    }
});
