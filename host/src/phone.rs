//! Recipient numbers: accepted forms, validation and E.164 normalisation.
//!
//! Accepted: E.164 with `+` (`+4520123456`), Logto's digits-only form
//! (`4520123456`, which always carries the country code), and either with
//! spaces, dashes, dots or parentheses (`+1 (415) 555-2671`). A leading `00`
//! international prefix is read as `+`. The number must be valid for its
//! country per libphonenumber's metadata (the `phonenumber` crate), so a
//! well-shaped but unassigned number such as `+4512345678` is refused.

use phonenumber::Mode;

/// A validated recipient in E.164 form (`+` and digits).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    /// Kept from parsing: rate limits ask for it on every send.
    country_code: u16,
    /// The national significant number, kept so redaction need not parse
    /// the number again for every send.
    national: String,
}

/// Loads libphonenumber's metadata on a background thread, once per
/// process. Its first use compiles thousands of regular expressions
/// (~100 ms), which would otherwise land on the first send; a send that
/// arrives before the thread finishes waits for it rather than doing the
/// work twice.
pub(crate) fn warm_up() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("smshost-phone-metadata".into())
            .spawn(|| drop(PhoneNumber::parse("+4520123456")));
        if let Err(error) = spawned {
            // Not fatal: the first send loads the metadata itself.
            tracing::debug!(%error, "cannot start the phone-metadata warm-up thread");
        }
    });
}

impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output ends up in logs; the full number must not.
        write!(f, "PhoneNumber({})", self.redacted())
    }
}

/// Why a number was refused. Never carries the full number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Empty input.
    #[error("the phone number is empty")]
    Empty,
    /// Characters other than digits, `+` and separators.
    #[error("the phone number may hold only digits, a leading +, spaces, dashes, dots and parentheses")]
    BadCharacters,
    /// Too short or too long for E.164.
    #[error("the phone number must have 7 to 15 digits including the country code, it has {0}")]
    BadLength(usize),
    /// Not a number any country assigns.
    #[error("the phone number is not a valid number for its country ({0})")]
    Invalid(String),
}

impl PhoneNumber {
    /// Parses and validates a recipient.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if !rest.chars().all(|c| c.is_ascii_digit() || " -.()".contains(c)) {
            return Err(PhoneError::BadCharacters);
        }
        let mut digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if !plus && digits.starts_with("00") {
            digits.drain(..2);
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(PhoneError::BadLength(digits.len()));
        }
        let e164 = format!("+{digits}");
        let parsed = phonenumber::parse(None, &e164).map_err(|error| PhoneError::Invalid(error.to_string()))?;
        if !phonenumber::is_valid(&parsed) {
            let country = parsed
                .country()
                .id()
                .map(|id| id.as_ref().to_string())
                .unwrap_or_else(|| format!("country code +{}", parsed.code().value()));
            return Err(PhoneError::Invalid(country));
        }
        let e164 = parsed.format().mode(Mode::E164).to_string();
        let country_code = parsed.code().value();
        // E.164 is `+`, the country code, then the national significant
        // number as dialled, leading zeros included (Italy's `06…`), which
        // `national().value()`, an integer, would drop.
        let national = e164[1 + country_code.to_string().len()..].to_string();
        Ok(PhoneNumber {
            e164,
            country_code,
            national,
        })
    }

    /// The country calling code (`45` for `+4520123456`), for per-country
    /// rate limits.
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// The national significant number (`20123456` for `+4520123456`).
    pub(crate) fn national_number(&self) -> &str {
        &self.national
    }

    /// The E.164 text, e.g. `+4520123456`.
    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// A form safe for logs: country code and last two digits (`+45******56`).
    pub fn redacted(&self) -> String {
        let digits = &self.e164[1..];
        let keep_front = digits.len().min(2);
        let keep_back = 2.min(digits.len() - keep_front);
        format!(
            "+{}{}{}",
            &digits[..keep_front],
            "*".repeat(digits.len() - keep_front - keep_back),
            &digits[digits.len() - keep_back..]
        )
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.e164)
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = PhoneError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_normalise_to_e164() {
        for (input, expected) in [
            ("+4520123456", "+4520123456"),
            ("4520123456", "+4520123456"),
            ("004520123456", "+4520123456"),
            ("+1 (415) 555-2671", "+14155552671"),
            ("14155552671", "+14155552671"),
            ("8613812345678", "+8613812345678"),
            (" +86 138 1234 5678 ", "+8613812345678"),
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn bad_numbers_are_refused_with_a_reason() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse("+45abc"), Err(PhoneError::BadCharacters));
        assert_eq!(PhoneNumber::parse("+45 2012 3456; rm"), Err(PhoneError::BadCharacters));
        assert_eq!(PhoneNumber::parse("12345"), Err(PhoneError::BadLength(5)));
        assert_eq!(PhoneNumber::parse("+1234567890123456"), Err(PhoneError::BadLength(16)));
        assert!(matches!(PhoneNumber::parse("+4512345678"), Err(PhoneError::Invalid(_))));
        assert!(matches!(
            PhoneNumber::parse("+999123456789"),
            Err(PhoneError::Invalid(_))
        ));
    }

    #[test]
    fn errors_never_echo_the_number() {
        let error = PhoneNumber::parse("+4512345678").unwrap_err().to_string();
        assert!(!error.contains("12345678"), "{error}");
    }

    #[test]
    fn the_national_number_keeps_leading_zeros() {
        for (input, national) in [
            ("+4520123456", "20123456"),
            ("+390612345678", "0612345678"),
            ("+14155552671", "4155552671"),
            ("+8613812345678", "13812345678"),
        ] {
            let number = PhoneNumber::parse(input).unwrap();
            assert_eq!(number.national_number(), national, "{input}");
        }
    }

    #[test]
    fn redaction_keeps_country_and_tail() {
        assert_eq!(PhoneNumber::parse("+4520123456").unwrap().redacted(), "+45******56");
    }

    #[test]
    fn country_code_comes_from_parsing() {
        assert_eq!(PhoneNumber::parse("+4520123456").unwrap().country_code(), 45);
        assert_eq!(PhoneNumber::parse("+1 (415) 555-2671").unwrap().country_code(), 1);
        assert_eq!(PhoneNumber::parse("8613812345678").unwrap().country_code(), 86);
    }
}
