//! Typed config parsing: the operator's JSON into the connector's struct.

use crate::{Connector, ConnectorError};
use serde::de::DeserializeOwned;

/// Parses a config object. A missing or mistyped field becomes
/// `invalid-config` whose message names the field by its path, e.g.
/// ``missing field `authToken` `` or `` `templates[0].content` must be a
/// string ``; values are never echoed, since they may be secrets.
pub fn parse_config<T: DeserializeOwned>(json: &str) -> Result<T, ConnectorError> {
    let invalid = |reason: String| ConnectorError::invalid_config(reason);
    let not_json = || invalid("the config is not valid JSON".to_string());
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            not_json()
        } else {
            invalid(describe(&path, &inner.to_string()))
        }
    })?;
    deserializer.end().map_err(|_| not_json())?;
    Ok(value)
}

/// Words serde's message for the field at `path` without the offending value.
fn describe(path: &str, message: &str) -> String {
    // serde_json appends " at line L column C", which means nothing to an
    // operator who pasted a config into a form.
    let message = message.split(" at line ").next().unwrap_or(message);
    let at_root = path.is_empty() || path == ".";
    let expected = [
        "invalid type: ",
        "invalid value: ",
        "unknown variant ",
        "invalid length ",
    ]
    .iter()
    .any(|prefix| message.starts_with(prefix))
    .then(|| message.split_once(", expected ").map(|(_, expected)| expected))
    .flatten();
    match expected {
        Some(_) if at_root => "the config must be a JSON object".to_string(),
        Some(expected) => format!("`{path}` must be {expected}"),
        None if at_root => message.to_string(),
        None if message.starts_with("missing field ") => format!("{message} in `{path}`"),
        None => format!("`{path}`: {message}"),
    }
}

/// Parses and checks a config as the host's `validate-config` call does: its
/// type, the schema's required non-blank strings and formats, then
/// [`Connector::validate`].
pub fn checked<C: Connector>(json: &str) -> Result<C::Config, ConnectorError> {
    let parsed: C::Config = parse_config(json)?;
    let value: serde_json::Value = parse_config(json)?;
    C::metadata().schema_ref().check(&value)?;
    C::validate(&parsed)?;
    Ok(parsed)
}

/// Fails with `invalid-config` naming `field` when `value` is empty or blank.
pub fn require_non_empty(field: &str, value: &str) -> Result<(), ConnectorError> {
    if value.trim().is_empty() {
        Err(ConnectorError::invalid_field(field, "must not be empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Twilio {
        account_sid: String,
        auth_token: String,
        port: Option<u16>,
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse_config::<Twilio>(r#"{"accountSid":"AC1"}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert_eq!(err.message, "missing field `authToken`");
    }

    #[test]
    fn wrong_type_names_the_field_and_hides_the_value() {
        let err = parse_config::<Twilio>(r#"{"accountSid":"AC1","authToken":"t","port":"s3cret"}"#).unwrap_err();
        assert_eq!(err.message, "`port` must be u16");
        let err = parse_config::<Twilio>(r#"{"accountSid":"AC1","authToken":12345}"#).unwrap_err();
        assert_eq!(err.message, "`authToken` must be a string");
        assert!(!err.message.contains("12345"));
    }

    #[test]
    fn nested_paths_and_variants() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Entry {
            content: String,
        }
        #[derive(serde::Deserialize, Debug)]
        #[serde(rename_all = "lowercase")]
        #[allow(dead_code)]
        enum Format {
            E164,
            Digits,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Config {
            templates: Vec<Entry>,
            format: Option<Format>,
        }
        let err = parse_config::<Config>(r#"{"templates":[{"content":"a"},{}]}"#).unwrap_err();
        assert_eq!(err.message, "missing field `content` in `templates[1]`");
        let err = parse_config::<Config>(r#"{"templates":[],"format":"top-secret"}"#).unwrap_err();
        assert_eq!(err.message, "`format` must be `e164` or `digits`");
        let err = parse_config::<Config>("5").unwrap_err();
        assert_eq!(err.message, "the config must be a JSON object");
        let err = parse_config::<Config>(r#"{"templates":[]} trailing"#).unwrap_err();
        assert_eq!(err.message, "the config is not valid JSON");
    }

    #[test]
    fn malformed_json_is_invalid_config() {
        let err = parse_config::<Twilio>("{").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert_eq!(err.message, "the config is not valid JSON");
    }

    #[test]
    fn blank_is_refused() {
        assert!(require_non_empty("senderName", "  ").is_err());
        assert!(require_non_empty("senderName", "Logto").is_ok());
    }
}
