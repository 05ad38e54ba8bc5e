//! Encodings providers ask for, from the standard crates.

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// RFC 3986 unreserved characters: what Aliyun's and OAuth's "percent-encode"
/// keep; everything else is `%XX` with uppercase hex, space is `%20`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes per RFC 3986 (`~` kept, space as `%20`, `*` as `%2A`).
pub fn percent_encode_rfc3986(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// Encodes fields as `application/x-www-form-urlencoded`, in order.
pub fn form_urlencode<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in fields {
        serializer.append_pair(key.as_ref(), value.as_ref());
    }
    serializer.finish()
}

/// GSM 03.38 default alphabet, in code-point order of the 7-bit table.
const GSM7_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

/// GSM 03.38 extension table (each costs an escape plus one septet).
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// True when GSM-7 (basic table plus extension table) can carry `text`;
/// otherwise it needs UCS-2 (`type=unicode` and the like), or providers
/// substitute characters.
pub fn is_gsm7(text: &str) -> bool {
    text.chars()
        .all(|c| GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986() {
        assert_eq!(percent_encode_rfc3986("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
        assert_eq!(
            percent_encode_rfc3986("2016-02-23T12:46:24Z"),
            "2016-02-23T12%3A46%3A24Z"
        );
    }

    #[test]
    fn form() {
        assert_eq!(form_urlencode(&[("a", "x y*"), ("b", "+~")]), "a=x+y*&b=%2B%7E");
    }

    #[test]
    fn base64_and_hex() {
        assert_eq!(base64(b"AC0123:secret-token"), "QUMwMTIzOnNlY3JldC10b2tlbg==");
        assert_eq!(hex(&[0xab, 0x01]), "ab01");
    }

    #[test]
    fn gsm7_detection() {
        assert!(is_gsm7("Your code is 123456. It expires in 10 minutes."));
        assert!(is_gsm7(
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà"
        ));
        // The extension table is GSM-7 too.
        for c in ['€', '{', '}', '[', ']', '~', '|', '^', '\\', '\u{000C}'] {
            assert!(is_gsm7(&format!("code {c} 1")), "{c:?}");
        }
        // é is in the basic table, ê is not; neither are Cyrillic, Chinese, emoji.
        assert!(is_gsm7("Vérification"));
        for text in [
            "Fête",
            "Ваш код",
            "验证码",
            "code 🔑",
            "ç",
            "`",
            "Straße ẞ",
            "µ",
            "Ω\u{2126}",
        ] {
            assert!(!is_gsm7(text), "{text}");
        }
        assert!(is_gsm7(""));
    }
}
