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
}
