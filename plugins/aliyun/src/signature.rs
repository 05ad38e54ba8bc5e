//! Aliyun RPC signature, version 1.0 (`SignatureMethod=HMAC-SHA1`).
//!
//! 1. Every parameter except `Signature`, name and value percent-encoded as
//!    UTF-8 per RFC 3986 (only `A-Z a-z 0-9 - _ . ~` kept, space `%20`,
//!    `*` `%2A`, uppercase hex), sorted by encoded name, joined as
//!    `name=value` with `&`: the canonicalized query.
//! 2. StringToSign = `METHOD & pct("/") & pct(canonicalized query)`; the
//!    query is encoded a second time, so `%3A` becomes `%253A`.
//! 3. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).
//!
//! The method is a parameter because Aliyun signs whichever method carries
//! the request: its documentation's vectors are GET, SendSms here is POST.

use smshost_sdk::{crypto, encoding};

/// Aliyun's percent-encoding (RFC 3986 unreserved characters kept).
pub fn percent_encode(text: &str) -> String {
    encoding::percent_encode_rfc3986(text)
}

/// The canonicalized query string of `params` (a `Signature` entry, if any,
/// is left out).
pub fn canonicalized_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name.as_ref() != "Signature")
        .map(|(name, value)| (percent_encode(name.as_ref()), percent_encode(value.as_ref())))
        .collect();
    // Aliyun sorts by parameter name (its SDKs use a sorted map); Logto sorts
    // whole `name=value` strings, which only differs when one name is a
    // prefix of another followed by a character below `=`. Ties on the name
    // (a repeated parameter) fall back to the value so the order is total.
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The StringToSign for `method` (`GET`, `POST`) and `params`.
pub fn string_to_sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)]) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

/// The `Signature` value for `params` sent with `method`, keyed with the
/// AccessKey secret.
pub fn sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)], access_key_secret: &str) -> String {
    let key = format!("{access_key_secret}&");
    let mac = crypto::hmac_sha1(key.as_bytes(), string_to_sign(method, params).as_bytes());
    encoding::base64(&mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    // provider-apis §8.1 A1: the RPC signature documentation's ECS example.
    #[test]
    fn a1_describe_regions_get() {
        let params = [
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ];
        assert_eq!(
            string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(sign("GET", &params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    // provider-apis §8.1 A2: the SMS product's own signature documentation
    // (SendSms, Chinese SignName, JSON TemplateParam).
    #[test]
    fn a2_sms_doc_send_sms_get() {
        let params = [
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("AccessKeyId", "testId"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Format", "XML"),
            ("Action", "SendSms"),
            ("Version", "2017-05-25"),
            ("RegionId", "cn-hangzhou"),
            ("PhoneNumbers", "15300000001"),
            ("SignName", "阿里云短信测试专用"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("TemplateCode", "SMS_71390007"),
            ("OutId", "123"),
        ];
        assert_eq!(
            string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123\
             %26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF\
             %25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF\
             %2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce\
             %3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode\
             %3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D\
             %26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
        );
        let signature = sign("GET", &params, "testSecret");
        assert_eq!(signature, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
        // The documented final URL: the signature first, then the canonical query.
        assert_eq!(
            format!(
                "http://dysmsapi.aliyuncs.com/?Signature={}&{}",
                percent_encode(&signature),
                canonicalized_query(&params)
            ),
            "http://dysmsapi.aliyuncs.com/?Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId\
             &Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou\
             &SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8\
             &SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466\
             &SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D\
             &Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
        );
    }

    // provider-apis §8.1 A3: the current V2 RPC documentation's fixed example.
    #[test]
    fn a3_describe_dedicated_hosts_get() {
        let params = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeDedicatedHosts"),
            ("Format", "JSON"),
            ("RegionId", "cn-beijing"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2023-03-13T08:34:30Z"),
            ("Version", "2014-05-26"),
        ];
        assert_eq!(sign("GET", &params, "testsecret"), "9NaGiOspFP5UPcwX8Iwt2YJXXuk=");
    }

    // provider-apis §8.1 A4: darabonba-openapi's `test_get_rpc_signature`.
    #[test]
    fn a4_sdk_unit_test_vector() {
        assert_eq!(
            sign("GET", &[("query", "test"), ("body", "test")], "secret"),
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
        );
    }

    // Logto's own unit-test vector (logto reference §6.5): POST, and a value
    // with `<`, `%` and `'` that only RFC 3986 encoding gets right.
    #[test]
    fn logto_single_send_mail_post() {
        let params = [
            ("AccessKeyId", "testid"),
            ("AccountName", "<a%b'>"),
            ("Action", "SingleSendMail"),
            ("AddressType", "1"),
            ("Format", "XML"),
            ("HtmlBody", "4"),
            ("RegionId", "cn-hangzhou"),
            ("ReplyToAddress", "true"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Subject", "3"),
            ("TagName", "2"),
            ("ToAddress", "1@test.com"),
            ("Version", "2015-11-23"),
            ("SignatureNonce", "c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c"),
            ("Timestamp", "2016-10-20T06:27:56Z"),
        ];
        assert_eq!(sign("POST", &params, "testsecret"), "llJfXJjBW3OacrVgxxsITgYaYm0=");
        // The same parameters signed as GET give another signature: the method is signed.
        assert_ne!(sign("GET", &params, "testsecret"), "llJfXJjBW3OacrVgxxsITgYaYm0=");
    }

    #[test]
    fn encoding_and_exclusions() {
        assert_eq!(percent_encode("a b*c~d+/="), "a%20b%2Ac~d%2B%2F%3D");
        assert_eq!(
            canonicalized_query(&[("b", "2"), ("Signature", "x"), ("a", "1 2")]),
            "a=1%202&b=2"
        );
    }
}
