//! JSON values that providers and operators write either way.

use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;
use std::fmt;

/// A JSON string or number, kept as text: `"1400000000"` and `1400000000`
/// both read as `1400000000`. For ids that consoles show as numbers
/// (Tencent's SdkAppId and TemplateId) and answers whose providers switch
/// between the two (Vonage's `status`, GatewayAPI's ids). Numbers keep
/// serde_json's spelling (`0.05`, `1.0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StringOrNumber(pub String);

impl StringOrNumber {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, trimmed; `None` when that is empty.
    pub fn non_blank(&self) -> Option<&str> {
        Some(self.0.trim()).filter(|text| !text.is_empty())
    }
}

impl From<&str> for StringOrNumber {
    fn from(text: &str) -> Self {
        StringOrNumber(text.to_string())
    }
}

impl PartialEq<&str> for StringOrNumber {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for StringOrNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for StringOrNumber {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for StringOrNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = StringOrNumber;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(StringOrNumber(value.to_string()))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(StringOrNumber(value.to_string()))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(StringOrNumber(value.to_string()))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
                let number = serde_json::Number::from_f64(value)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(value), &self))?;
                Ok(StringOrNumber(number.to_string()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A string or number value as text (`None` for anything else), for
/// receipts built from loosely typed answers.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_and_numbers_read_as_text() {
        let read = |value: Value| serde_json::from_value::<StringOrNumber>(value).map(|text| text.0);
        assert_eq!(read(json!("1400000000")).unwrap(), "1400000000");
        assert_eq!(read(json!(1400000000)).unwrap(), "1400000000");
        assert_eq!(read(json!(-3)).unwrap(), "-3");
        assert_eq!(read(json!(0.05)).unwrap(), "0.05");
        let error = read(json!(true)).unwrap_err().to_string();
        assert!(error.contains("expected a string or a number"), "{error}");
        assert!(read(json!(null)).is_err());
        assert_eq!(StringOrNumber(" 7 ".into()).non_blank(), Some("7"));
        assert_eq!(StringOrNumber(" ".into()).non_blank(), None);
    }

    #[test]
    fn scalars() {
        assert_eq!(scalar_text(&json!("a")).as_deref(), Some("a"));
        assert_eq!(scalar_text(&json!(1.5)).as_deref(), Some("1.5"));
        assert_eq!(scalar_text(&json!([1])), None);
        assert_eq!(scalar_text(&json!(null)), None);
    }
}
