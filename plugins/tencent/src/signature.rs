//! Tencent Cloud API 3.0 request signing, `TC3-HMAC-SHA256`.
//!
//! Generic over service, host and signed headers, so the same code
//! reproduces Tencent's published CVM vectors and signs SMS requests. Every
//! intermediate value is kept: a mismatch with the provider is then a diff of
//! two strings rather than of two opaque hex digests.

use smshost_sdk::clock::utc_date;
use smshost_sdk::crypto::{hmac_sha256, sha256_hex};
use smshost_sdk::encoding::hex;

/// The algorithm name, first in the string to sign and the header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// What goes into a TC3 signature.
#[derive(Debug, Clone)]
pub struct Tc3Input<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// The path; always `/` for API 3.0.
    pub canonical_uri: &'a str,
    /// The URL-encoded query for `GET`; empty for `POST`.
    pub canonical_query: &'a str,
    /// The headers to sign, as sent (any case, any order).
    pub signed_headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes sent.
    pub payload: &'a [u8],
    /// The product, e.g. `sms` (the first label of the API host).
    pub service: &'a str,
    /// `X-TC-Timestamp`, Unix seconds.
    pub timestamp: i64,
}

/// A computed signature with every intermediate value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Signature {
    /// UTC `YYYY-MM-DD` of the timestamp.
    pub date: String,
    /// Hex SHA-256 of the payload.
    pub hashed_payload: String,
    /// `content-type;host`...: lowercase, sorted, `;`-joined.
    pub signed_headers: String,
    /// The canonical request text.
    pub canonical_request: String,
    /// Hex SHA-256 of the canonical request.
    pub hashed_canonical_request: String,
    /// `<date>/<service>/tc3_request`.
    pub credential_scope: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// HMAC of the date under `"TC3" + secret`.
    pub secret_date: Vec<u8>,
    /// HMAC of the service under the date key.
    pub secret_service: Vec<u8>,
    /// HMAC of `tc3_request` under the service key.
    pub secret_signing: Vec<u8>,
    /// The final lowercase hex signature.
    pub signature: String,
}

impl Tc3Signature {
    /// The `Authorization` header value, `", "`-separated as Tencent writes it.
    pub fn authorization(&self, secret_id: &str) -> String {
        format!(
            "{ALGORITHM} Credential={secret_id}/{}, SignedHeaders={}, Signature={}",
            self.credential_scope, self.signed_headers, self.signature
        )
    }
}

/// Signs `input` with `secret_key` (Tencent's SecretKey).
pub fn sign(secret_key: &str, input: &Tc3Input<'_>) -> Tc3Signature {
    // Tencent's rule: names and values lowercased and trimmed, sorted by
    // name. Lowercasing values is what makes the doc's `x-tc-action` vector
    // (`describeinstances`) come out; content type and host already are.
    let mut headers: Vec<(String, String)> = input
        .signed_headers
        .iter()
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase()))
        .collect();
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let hashed_payload = sha256_hex(input.payload);
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}",
        input.method, input.canonical_uri, input.canonical_query
    );
    let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
    let date = utc_date(input.timestamp);
    let credential_scope = format!("{date}/{}/tc3_request", input.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{credential_scope}\n{hashed_canonical_request}",
        input.timestamp
    );
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, input.service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    let signature = hex(&hmac_sha256(&secret_signing, string_to_sign.as_bytes()));
    Tc3Signature {
        date,
        hashed_payload,
        signed_headers,
        canonical_request,
        hashed_canonical_request,
        credential_scope,
        string_to_sign,
        secret_date,
        secret_service,
        secret_signing,
        signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of Tencent's documented `DescribeInstances` example, byte
    /// for byte (Python `json.dumps` spacing, `\u` escapes kept literal).
    const CVM_BODY: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const CVM_TIMESTAMP: i64 = 1_551_113_065;
    const JSON_UTF8: &str = "application/json; charset=utf-8";

    fn cvm(secret: &str, headers: &[(&str, &str)]) -> Tc3Signature {
        sign(
            secret,
            &Tc3Input {
                method: "POST",
                canonical_uri: "/",
                canonical_query: "",
                signed_headers: headers,
                payload: CVM_BODY.as_bytes(),
                service: "cvm",
                timestamp: CVM_TIMESTAMP,
            },
        )
    }

    /// provider-apis §8.3 C2: the older revision of Tencent's signing doc.
    #[test]
    fn official_vector_c2_content_type_and_host() {
        let signed = cvm(
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            &[("Content-Type", JSON_UTF8), ("Host", "cvm.tencentcloudapi.com")],
        );
        assert_eq!(signed.date, "2019-02-25");
        assert_eq!(
            signed.hashed_payload,
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            signed.canonical_request,
            format!(
                "POST\n/\n\ncontent-type:{JSON_UTF8}\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n{}",
                signed.hashed_payload
            )
        );
        assert_eq!(
            signed.hashed_canonical_request,
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            signed.string_to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            signed.signature,
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert_eq!(
            signed.authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    /// provider-apis §8.3 C1: the current doc, which also signs
    /// `x-tc-action` (its value lowercased) and publishes the derived keys
    /// of its masked secret, 32 `*`.
    #[test]
    fn official_vector_c1_with_x_tc_action() {
        // Given out of order and in mixed case: the signer sorts and folds.
        let signed = cvm(
            &"*".repeat(32),
            &[
                ("X-TC-Action", "DescribeInstances"),
                ("Host", "cvm.tencentcloudapi.com"),
                ("Content-Type", JSON_UTF8),
            ],
        );
        assert_eq!(
            signed.hashed_payload,
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(signed.signed_headers, "content-type;host;x-tc-action");
        assert!(signed.canonical_request.contains("\nx-tc-action:describeinstances\n"));
        assert_eq!(
            signed.hashed_canonical_request,
            "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        assert_eq!(
            hex(&signed.secret_date),
            "da98fb70dcf6b112dc21038d1eeeb3a95c74b4dcb12c1131f864f6066bd02be0"
        );
        assert_eq!(
            hex(&signed.secret_service),
            "8d70cbefb03939f929db64d32dc2ba89b1095620119fe3e050e2b18c5bd2752f"
        );
        assert_eq!(
            hex(&signed.secret_signing),
            "b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af"
        );
        assert_eq!(
            signed.signature,
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
        assert_eq!(
            signed.authorization(&format!("AKID{}", "*".repeat(32))),
            "TC3-HMAC-SHA256 Credential=AKID********************************/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
    }

    /// logto-sms-connectors §7.5: a SendSms-shaped request as Logto's
    /// connector signs it (digits-only phone number in that body).
    #[test]
    fn logto_send_sms_vector() {
        let body = r#"{"SmsSdkAppId":"1400000000","SignName":"Logto","TemplateId":"123456","TemplateParamSet":["123456"],"PhoneNumberSet":["8613812345678"]}"#;
        let signed = sign(
            "testsecretkey",
            &Tc3Input {
                method: "POST",
                canonical_uri: "/",
                canonical_query: "",
                signed_headers: &[("content-type", JSON_UTF8), ("host", "sms.tencentcloudapi.com")],
                payload: body.as_bytes(),
                service: "sms",
                timestamp: 1_700_000_000,
            },
        );
        assert_eq!(signed.date, "2023-11-14");
        assert_eq!(
            signed.hashed_payload,
            "a37b077efdb580faa9b632843ed1ea81cc6dab1e8a286c09bb57c436c8f1f4de"
        );
        assert_eq!(
            signed.hashed_canonical_request,
            "0a6b786aaec8c377768aa6180a6e25b9c5ea03da25127c344f4353f81c497272"
        );
        assert_eq!(
            signed.signature,
            "e0a2b4d1d398a30e29b7341fb79f05e3c8f97e284b203965c55606b4a69ab77e"
        );
        assert_eq!(
            signed.authorization("AKIDtestsecretid"),
            "TC3-HMAC-SHA256 Credential=AKIDtestsecretid/2023-11-14/sms/tc3_request, SignedHeaders=content-type;host, Signature=e0a2b4d1d398a30e29b7341fb79f05e3c8f97e284b203965c55606b4a69ab77e"
        );
    }

    /// The scope date is UTC: 1551113065 is already 2019-02-26 in UTC+8.
    #[test]
    fn date_is_utc() {
        let signed = cvm("k", &[("content-type", JSON_UTF8), ("host", "cvm.tencentcloudapi.com")]);
        assert_eq!(signed.credential_scope, "2019-02-25/cvm/tc3_request");
        let midnight = sign(
            "k",
            &Tc3Input {
                method: "POST",
                canonical_uri: "/",
                canonical_query: "",
                signed_headers: &[],
                payload: b"",
                service: "sms",
                timestamp: 1_700_006_399, // 2023-11-14T23:59:59Z
            },
        );
        assert_eq!(midnight.date, "2023-11-14");
    }
}
