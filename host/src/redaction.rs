//! Redaction and display safety: the one place that decides what of a
//! guest- or provider-controlled string may be shown.
//!
//! Two concerns, applied in this order to anything a plugin or a provider
//! wrote (connector errors, provider codes, trap messages, guest stderr, log
//! lines, receipts):
//!
//! 1. **Redaction** ([`Redactor`]): every form of a secret the host knows is
//!    masked: config secrets (every `writeOnly` field, nested or not, string
//!    or not), their base64 (at any alignment, so a secret inside a longer
//!    base64 text such as basic auth is caught), URL- and JSON-encoded forms,
//!    credentials the guest sent in auth headers during the call (learned at
//!    runtime: the whole value, its token, and for basic auth the decoded
//!    `user:pass` and each part), the one-time code (also split by spaces or
//!    dashes) and the recipient (E.164, without `+`, `%2B`/`00` prefixed,
//!    national significant number, any of them with separators).
//! 2. **Display safety** ([`display_safe`]): control characters, ANSI
//!    escapes, newlines and bidi overrides are escaped, so a provider body
//!    cannot forge a second log line or recolour a terminal, and the text is
//!    cut to a length cap, so a 20 MiB error message stays a line.
//!
//! Redaction runs before the cut, on a prefix long enough that a secret
//! straddling the cut is still masked whole.

use crate::phone::PhoneNumber;
use base64::Engine as _;
use regex::{Regex, RegexBuilder};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What replaces a secret or a code.
pub(crate) const MASK: &str = "********";

/// Shorter values are not masked: they would blank ordinary words and
/// digits (a 3-character "secret" is no secret anyway).
const MIN_SECRET_LEN: usize = 4;

/// Longest connector error message shown; an SMS API's message is a
/// sentence, 2 KiB leaves room for a JSON snippet.
pub const MAX_MESSAGE_BYTES: usize = 2048;

/// Longest provider code shown (`isv.BUSINESS_LIMIT_CONTROL` is 26).
pub const MAX_PROVIDER_CODE_BYTES: usize = 128;

/// Longest provider message id kept in a receipt (Twilio's are 34, UUIDs 36).
pub const MAX_RECEIPT_ID_BYTES: usize = 256;

/// Summary entries kept in a receipt; connectors report a handful (status,
/// segments, cost). Extra entries are dropped, not failed: the SMS is
/// already sent, and failing would invite a retry that sends it twice.
pub const MAX_SUMMARY_ENTRIES: usize = 32;

/// Longest summary key kept.
pub const MAX_SUMMARY_KEY_BYTES: usize = 64;

/// Longest summary value kept.
pub const MAX_SUMMARY_VALUE_BYTES: usize = 256;

/// Secrets learned from one call's auth headers; a connector sends one or
/// two requests, each with one credential header.
const MAX_LEARNED: usize = 64;

/// Separators allowed between the digits of a number or a code (at most
/// three in a row: `) ` in `(415) 555`), so split forms are masked too.
const SEPARATORS: &str = r"[\s\-.()/]{0,3}";

/// `text` made safe for one line of a log or terminal and cut to at most
/// `max` bytes (plus `…` when cut).
///
/// Control characters (C0, DEL, C1: newlines, `ESC` of ANSI sequences),
/// Unicode line separators and bidi or zero-width format characters are
/// written as `\n`, `\u{1b}`, ...; everything else is kept.
pub fn display_safe(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max) + 4);
    for c in text.chars() {
        let start = out.len();
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
        if out.len() > max {
            out.truncate(start);
            out.push('…');
            return out;
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2069 | 0xfeff | 0xfff9..=0xfffb)
}

/// Masks secret values in text the host shows: errors, logs, receipts.
///
/// Built per config from its secret fields, so a provider that echoes a
/// credential in its error body, or a connector that logs one, cannot leak
/// it; per send it also masks the one-time code and the recipient, and
/// learns the credentials the guest sends in that call.
///
/// Clones share what was learned at runtime, so the sandbox (which sees the
/// requests) and the code building the error afterwards mask the same.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Secret values (already expanded into their derived forms), longest
    /// first so a value containing another is masked whole.
    secrets: Vec<String>,
    /// The config secrets' regex, compiled once per config and shared by
    /// every send's copy.
    compiled: Arc<Compiled>,
    /// The send's recipient and code, matched without a regex: compiling
    /// their separator-tolerant patterns took hundreds of microseconds,
    /// more than the rest of a send.
    message: Option<Arc<MessageMasks>>,
    learned: Arc<Mutex<Learned>>,
    /// The last learned pattern and its regex, shared by every send of one
    /// config: a connector sends the same credential header on every call.
    learned_cache: Arc<Mutex<LearnedCache>>,
}

#[derive(Debug, Default)]
struct Compiled {
    /// One regex over every secret, so each text is scanned once and a
    /// longer match always wins at its position.
    regex: Option<Regex>,
    /// The regex could not be built (megabyte-sized secrets): literal
    /// replacement instead.
    fallback: bool,
}

#[derive(Debug, Default)]
struct Learned {
    values: Vec<String>,
    regex: Option<Arc<Regex>>,
}

/// A learned pattern is compiled the second time it is seen in a row
/// (a regex costs more than a few literal scans of a short text, and a
/// signed provider's header changes every call). The regex is shared, not
/// cloned: a cloned `Regex` starts with an empty pool of search caches,
/// and building one per send cost more than the search.
#[derive(Debug, Default)]
struct LearnedCache {
    pattern: String,
    regex: Option<Arc<Regex>>,
    /// The header value that, learned first in a send, gave `values`: the
    /// next send with the same header skips deriving and escaping them.
    first_header: String,
    values: Vec<String>,
}

/// One send's recipient and code, in the forms the module docs list.
#[derive(Debug)]
struct MessageMasks {
    /// Digit sequences of the recipient: E.164 without `+` (also after a
    /// `+`, `%2B` or `00` prefix), then the national number.
    phone: Vec<(Vec<char>, bool)>,
    /// What a recipient match becomes (`+45******56`).
    phone_mask: String,
    /// The code's characters, matched with separators between them (codes
    /// of 4-32 characters with no separator inside).
    code_split: Option<Vec<char>>,
    /// A code that itself holds separators: its split pattern as a regex
    /// (the old, slower path; real codes are digits).
    code_regex: Option<Regex>,
    /// The code's derived forms (base64, URL and JSON encodings), literally.
    code_literals: Vec<String>,
    /// Longest text a match can span, for [`Redactor::redact_display`].
    longest: usize,
}

/// Most separators allowed between two characters of a number or code.
const MAX_SEPARATORS: usize = 3;

/// The separators of [`SEPARATORS`]: Unicode white space, `-`, `.`, `(`,
/// `)` and `/`.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')' | '/')
}

/// The end of `chars` matched at `start` of `text` with up to
/// [`MAX_SEPARATORS`] separators between consecutive characters; none of
/// `chars` is a separator, so the greedy skip is the only way to match.
fn split_match(text: &str, start: usize, chars: &[char]) -> Option<usize> {
    let mut rest = text.get(start..)?.char_indices();
    let mut end = start;
    for (k, &wanted) in chars.iter().enumerate() {
        let mut skipped = 0;
        loop {
            let (offset, c) = rest.next()?;
            if c == wanted {
                end = start + offset + c.len_utf8();
                break;
            }
            if k == 0 || skipped == MAX_SEPARATORS || !is_separator(c) {
                return None;
            }
            skipped += 1;
        }
    }
    Some(end)
}

impl MessageMasks {
    /// The match at `at` (its end and replacement), in the regex's order:
    /// recipient forms, then the code's split form, then its literals.
    fn match_at<'a, 't>(&'a self, text: &'t str, at: usize, code_next: &mut NextMatch<'t>) -> Option<(usize, &'a str)> {
        let first = text[at..].chars().next()?;
        for (digits, prefixed) in &self.phone {
            if *prefixed {
                for prefix in ["+", "%2B", "%2b", "00"] {
                    if text[at..].starts_with(prefix)
                        && let Some(end) = split_match(text, at + prefix.len(), digits)
                    {
                        return Some((end, &self.phone_mask));
                    }
                }
            }
            if digits.first() == Some(&first)
                && let Some(end) = split_match(text, at, digits)
            {
                return Some((end, &self.phone_mask));
            }
        }
        if let Some(code) = &self.code_split
            && code.first() == Some(&first)
            && let Some(end) = split_match(text, at, code)
        {
            return Some((end, MASK));
        }
        if let Some(end) = code_next.at(text, at) {
            return Some((end, MASK));
        }
        self.code_literals
            .iter()
            .find(|literal| text[at..].starts_with(literal.as_str()))
            .map(|literal| (at + literal.len(), MASK))
    }
}

/// The next match of a regex at or after a position, remembered so a
/// left-to-right scan searches each stretch of text once.
struct NextMatch<'r> {
    regex: Option<&'r Regex>,
    found: Option<regex::Match<'r>>,
    searched_from: Option<usize>,
}

impl<'r> NextMatch<'r> {
    fn new(regex: Option<&'r Regex>) -> Self {
        NextMatch {
            regex,
            found: None,
            searched_from: None,
        }
    }

    /// The end of a match starting exactly at `at`.
    fn at<'t: 'r>(&mut self, text: &'t str, at: usize) -> Option<usize> {
        let regex = self.regex?;
        let stale = match (self.searched_from, self.found) {
            (None, _) => true,
            (Some(_), Some(found)) => found.start() < at,
            // Nothing after an earlier position means nothing after this.
            (Some(from), None) => from > at,
        };
        if stale {
            self.found = regex.find_at(text, at);
            self.searched_from = Some(at);
        }
        self.found.filter(|found| found.start() == at).map(|found| found.end())
    }
}

impl Redactor {
    /// Collects the values of `secret_fields` in `config`: top-level names
    /// or dotted paths (`auth.token`) as [`crate::config::secret_fields`]
    /// returns them. Non-string values (numbers, objects, arrays) are masked
    /// by every string and number inside them.
    pub fn new(config: &crate::ConnectorConfig, secret_fields: &[String]) -> Self {
        let mut values = Vec::new();
        let root = Value::Object(config.as_object().clone());
        for field in secret_fields {
            // A literal key with dots beats the dotted path.
            if let Some(value) = config.as_object().get(field) {
                collect_leaves(value, &mut values);
                continue;
            }
            let segments: Vec<&str> = field.split('.').collect();
            collect_path(&root, &segments, &mut values);
        }
        Redactor::default().with_secrets(values.iter().map(String::as_str))
    }

    /// A copy that also masks `secrets` and their derived forms.
    pub fn with_secrets<'a>(&self, secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut next = self.fresh();
        for secret in secrets {
            next.secrets.extend(derived_forms(secret));
        }
        next.compile()
    }

    /// A copy that also masks a send's one-time code (contiguous or split by
    /// spaces, dashes or dots) and recipient (every form listed in the
    /// module docs), with nothing learned yet.
    pub fn for_message(&self, code: &str, to: &PhoneNumber) -> Redactor {
        let mut next = self.fresh();
        let digits: Vec<char> = to.as_str()[1..].chars().collect();
        let mut phone = vec![(digits.clone(), true)];
        let national = to.national_number();
        if national.len() >= MIN_SECRET_LEN && *national != to.as_str()[1..] {
            phone.push((national.chars().collect(), false));
        }
        let (mut code_split, mut code_regex, mut code_literals) = (None, None, Vec::new());
        let code_chars = code.chars().count();
        if code_chars >= MIN_SECRET_LEN {
            // A long code is not split: a separator pattern per character
            // of a 1 KiB "code" would be a huge pattern for no real case.
            if code_chars <= 32 {
                if code.chars().any(is_separator) {
                    code_regex = build_regex(&split_pattern(code));
                } else {
                    code_split = Some(code.chars().collect());
                }
            }
            code_literals = derived_forms(code);
        }
        // A split character spans at most 3 separators of 3 UTF-8 bytes.
        let per_char = 4 * 10;
        let longest =
            (digits.len().max(code_chars) * per_char).max(code_literals.iter().map(String::len).max().unwrap_or(0));
        next.message = Some(Arc::new(MessageMasks {
            phone,
            phone_mask: to.redacted(),
            code_split,
            code_regex,
            code_literals,
            longest,
        }));
        next
    }

    /// Learns a credential header the guest sent in this call (name and
    /// value), so a provider echoing it is masked. Only credential headers
    /// are learned; the count is capped.
    pub(crate) fn learn_header(&self, name: &str, value: &str) {
        if !is_credential_header(name) {
            return;
        }
        let value = value.trim();
        let mut learned = self.learned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let first = learned.values.is_empty();
        if first {
            let cache = self
                .learned_cache
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if cache.regex.is_some() && cache.first_header == value {
                learned.values = cache.values.clone();
                learned.regex = cache.regex.clone();
                return;
            }
        }
        let mut values = Vec::new();
        values.push(value.to_string());
        if let Some((scheme, token)) = value.split_once(' ') {
            let token = token.trim();
            values.push(token.to_string());
            if scheme.eq_ignore_ascii_case("basic")
                && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token)
                && let Ok(decoded) = String::from_utf8(decoded)
            {
                if let Some((user, password)) = decoded.split_once(':') {
                    values.push(user.to_string());
                    values.push(password.to_string());
                }
                values.push(decoded);
            }
        }
        let mut changed = false;
        for value in values {
            for form in derived_forms(&value) {
                if learned.values.len() >= MAX_LEARNED * 8 {
                    break;
                }
                if !learned.values.contains(&form) {
                    learned.values.push(form);
                    changed = true;
                }
            }
        }
        if changed {
            learned.values.sort_by_key(|value| std::cmp::Reverse(value.len()));
            let pattern = learned
                .values
                .iter()
                .map(|v| regex::escape(v))
                .collect::<Vec<_>>()
                .join("|");
            let mut cache = self
                .learned_cache
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if cache.pattern == pattern {
                if cache.regex.is_none() {
                    cache.regex = build_regex(&pattern).map(Arc::new);
                }
                learned.regex = cache.regex.clone();
            } else {
                // Seen once: literal replacement (below) until it repeats.
                cache.pattern = pattern;
                cache.regex = None;
                learned.regex = None;
            }
            if first {
                cache.first_header = value.to_string();
                cache.values = learned.values.clone();
            } else {
                cache.first_header.clear();
            }
        }
    }

    /// `text` with every masked value replaced.
    pub fn redact(&self, text: &str) -> String {
        // Learned credentials first: a whole auth header value is longer
        // than the config secrets inside it, and masking those first would
        // break it into pieces that no longer match.
        let text = {
            let learned = self.learned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match &learned.regex {
                Some(regex) => regex.replace_all(text, MASK).into_owned(),
                None => learned
                    .values
                    .iter()
                    .fold(text.to_string(), |text, value| text.replace(value.as_str(), MASK)),
            }
        };
        match (&self.message, &self.compiled.regex) {
            (None, Some(regex)) => regex.replace_all(&text, MASK).into_owned(),
            (None, None) if self.compiled.fallback => self.literal_fallback(&text),
            (None, None) => text,
            (Some(message), regex) => {
                if regex.is_none() && self.compiled.fallback {
                    let text = self.literal_fallback(&text);
                    return mask_message(&text, None, message);
                }
                mask_message(&text, regex.as_ref(), message)
            }
        }
    }

    /// `text` redacted, made display-safe and cut to `max` bytes.
    ///
    /// Only a prefix is redacted (long enough that a secret crossing the
    /// cut is still whole), so a 20 MiB message costs no 20 MiB copies.
    pub fn redact_display(&self, text: &str, max: usize) -> String {
        let window = max
            .saturating_mul(4)
            .saturating_add(self.longest_value())
            .saturating_add(64);
        let prefix = crate::truncate(text, window);
        display_safe(&self.redact(&prefix), max)
    }

    /// A connector error with its message and provider code redacted,
    /// escaped and capped.
    pub fn connector_error(&self, mut error: crate::ConnectorError) -> crate::ConnectorError {
        error.message = self.redact_display(&error.message, MAX_MESSAGE_BYTES);
        error.provider_code = error
            .provider_code
            .map(|code| self.redact_display(&code, MAX_PROVIDER_CODE_BYTES));
        error
    }

    /// A receipt's provider message id and summary (keys and values)
    /// redacted, escaped and capped: at most [`MAX_SUMMARY_ENTRIES`] entries
    /// (the rest dropped, and counted in a `…dropped` entry), keys and
    /// values cut to their caps.
    pub fn receipt(
        &self,
        provider_message_id: Option<String>,
        summary: Vec<(String, String)>,
    ) -> (Option<String>, BTreeMap<String, String>) {
        let id = provider_message_id.map(|id| self.redact_display(&id, MAX_RECEIPT_ID_BYTES));
        let total = summary.len();
        let mut kept = BTreeMap::new();
        for (key, value) in summary.into_iter().take(MAX_SUMMARY_ENTRIES) {
            kept.insert(
                self.redact_display(&key, MAX_SUMMARY_KEY_BYTES),
                self.redact_display(&value, MAX_SUMMARY_VALUE_BYTES),
            );
        }
        if total > MAX_SUMMARY_ENTRIES {
            kept.insert("…dropped".to_string(), (total - MAX_SUMMARY_ENTRIES).to_string());
        }
        (id, kept)
    }

    fn longest_value(&self) -> usize {
        let learned = self
            .learned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values
            .first()
            .map_or(0, String::len);
        let message = self.message.as_ref().map_or(0, |message| message.longest);
        self.secrets.first().map_or(0, String::len).max(learned).max(message)
    }

    /// A copy with the same config secrets (and their compiled regex) and
    /// nothing learned.
    fn fresh(&self) -> Redactor {
        Redactor {
            secrets: self.secrets.clone(),
            compiled: self.compiled.clone(),
            message: self.message.clone(),
            learned: Arc::default(),
            learned_cache: self.learned_cache.clone(),
        }
    }

    fn compile(mut self) -> Redactor {
        self.secrets.sort_by_key(|value| std::cmp::Reverse(value.len()));
        self.secrets.dedup();
        let regex = if self.secrets.is_empty() {
            None
        } else {
            let secrets: Vec<String> = self.secrets.iter().map(|s| regex::escape(s)).collect();
            build_regex(&secrets.join("|"))
        };
        let fallback = regex.is_none() && !self.secrets.is_empty();
        self.compiled = Arc::new(Compiled { regex, fallback });
        self
    }

    /// Literal replacement of the config secrets when their regex is too
    /// large to build (megabyte-sized secrets): slower, never weaker.
    fn literal_fallback(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |text, value| text.replace(value.as_str(), MASK))
    }
}

/// One left-to-right pass with the combined regex's priorities: at each
/// position a config secret first, then the recipient, then the code; a
/// match is replaced and the scan resumes after it.
fn mask_message(text: &str, secrets: Option<&Regex>, message: &MessageMasks) -> String {
    let mut secret_next = NextMatch::new(secrets);
    let mut code_next = NextMatch::new(message.code_regex.as_ref());
    let mut out = String::with_capacity(text.len());
    let (mut at, mut copied) = (0, 0);
    while at < text.len() {
        let found = match secret_next.at(text, at) {
            Some(end) => Some((end, MASK)),
            None => message.match_at(text, at, &mut code_next),
        };
        match found {
            Some((end, mask)) if end > at => {
                out.push_str(&text[copied..at]);
                out.push_str(mask);
                at = end;
                copied = end;
            }
            _ => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn build_regex(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(pattern)
        // Secrets are a few dozen bytes; 32 MiB fits thousands of them.
        .size_limit(32 << 20)
        .build()
        .ok()
}

/// Headers whose values are credentials a provider might echo.
fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "authorization"
        || name == "proxy-authorization"
        || name == "cookie"
        || ["key", "token", "secret", "auth", "signature", "password"]
            .iter()
            .any(|word| name.contains(word))
}

/// `value` with up to three separators allowed between its characters.
fn split_pattern(value: &str) -> String {
    let chars: Vec<String> = value.chars().map(|c| regex::escape(&c.to_string())).collect();
    chars.join(SEPARATORS)
}

fn collect_path(value: &Value, segments: &[&str], out: &mut Vec<String>) {
    match (value, segments.split_first()) {
        (value, None) => collect_leaves(value, out),
        (Value::Array(items), Some(_)) => {
            for item in items {
                collect_path(item, segments, out);
            }
        }
        (Value::Object(object), Some((first, rest))) => {
            if let Some(next) = object.get(*first) {
                collect_path(next, rest, out);
            }
        }
        _ => {}
    }
}

/// Every string and number inside `value`; an object or array secret is
/// masked by its parts (and by its compact JSON, as a connector may send it
/// whole).
fn collect_leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Number(number) => out.push(number.to_string()),
        Value::Bool(_) | Value::Null => {}
        Value::Array(items) => {
            out.push(value.to_string());
            items.iter().for_each(|item| collect_leaves(item, out));
        }
        Value::Object(object) => {
            out.push(value.to_string());
            object.values().for_each(|item| collect_leaves(item, out));
        }
    }
}

/// The forms in which the host or a connector may carry `secret`: as is,
/// JSON-escaped, percent-encoded (form and RFC 3986, either hex case), and
/// base64 (standard and URL-safe, padded or not, and the part that stays
/// the same at each of the three byte alignments inside a longer base64
/// text). Values shorter than [`MIN_SECRET_LEN`] give nothing.
pub(crate) fn derived_forms(secret: &str) -> Vec<String> {
    if secret.len() < MIN_SECRET_LEN {
        return Vec::new();
    }
    let mut forms = vec![secret.to_string()];
    if let Ok(json) = serde_json::to_string(secret) {
        forms.push(json[1..json.len() - 1].to_string());
    }
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    forms.push(form.clone());
    forms.push(lower_hex_escapes(&form));
    let rfc3986 = percent_encoding::utf8_percent_encode(secret, RFC3986).to_string();
    forms.push(lower_hex_escapes(&rfc3986));
    forms.push(rfc3986);
    let bytes = secret.as_bytes();
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ];
    for engine in engines {
        let padded = engine.encode(bytes);
        forms.push(padded.trim_end_matches('=').to_string());
        forms.push(padded.clone());
        for shift in 1..3usize {
            let mut shifted = vec![0u8; shift];
            shifted.extend_from_slice(bytes);
            let encoded = engine.encode(&shifted);
            // Characters that depend on the secret's bits alone.
            let start = (shift * 8).div_ceil(6);
            let end = ((shift + bytes.len()) * 8) / 6;
            if end > start && end - start >= 6 {
                forms.push(encoded[start..end].to_string());
            }
        }
        // The unshifted encoding's stable part when followed by more bytes.
        let end = bytes.len() * 8 / 6;
        if end >= 6 {
            forms.push(padded[..end].to_string());
        }
    }
    forms.retain(|form| form.len() >= MIN_SECRET_LEN);
    forms.sort();
    forms.dedup();
    forms
}

fn lower_hex_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(hex) = chars.next() {
                    out.push(hex.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

const RFC3986: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConnectorConfig;
    use crate::config::secret_fields;
    use serde_json::json;

    fn redactor(config: Value, schema: Value) -> Redactor {
        let config = ConnectorConfig::from_value(config).unwrap();
        Redactor::new(&config, &secret_fields(&schema))
    }

    #[test]
    fn display_safe_escapes_and_caps() {
        assert_eq!(
            display_safe("a\nb\x1b[31mc\u{202e}d", 100),
            "a\\nb\\u{1b}[31mc\\u{202e}d"
        );
        let long = "x".repeat(20 << 20);
        let shown = display_safe(&long, 2048);
        assert!(shown.len() <= 2048 + '…'.len_utf8());
        assert!(shown.ends_with('…'));
        assert_eq!(display_safe("héllo", 2), "h…");
    }

    #[test]
    fn every_derived_form_of_a_secret_is_masked() {
        let r = redactor(
            json!({"authToken": "tok+en/secret 1"}),
            json!({"properties": {"authToken": {"writeOnly": true}}}),
        );
        let b64 = base64::engine::general_purpose::STANDARD;
        for form in [
            "tok+en/secret 1".to_string(),
            "tok%2Ben%2Fsecret+1".to_string(),
            "tok%2ben%2fsecret+1".to_string(),
            "tok%2Ben%2Fsecret%201".to_string(),
            b64.encode("tok+en/secret 1"),
        ] {
            let shown = r.redact(&format!("echo [{form}]"));
            assert!(!shown.contains(&form), "{form} survived: {shown}");
        }
        // Inside a longer base64 text, at every alignment.
        for prefix in ["", "a", "ab", "abc:"] {
            let text = b64.encode(format!("{prefix}tok+en/secret 1:more"));
            let shown = r.redact(&text);
            assert!(shown.contains(MASK), "{prefix}: {text} -> {shown}");
        }
    }

    #[test]
    fn nested_and_non_string_secrets_are_masked() {
        let schema = json!({"properties": {
            "pin": {"type": "integer", "writeOnly": true},
            "creds": {"type": "object", "writeOnly": true},
            "auth": {"type": "object", "properties": {"token": {"type": "string", "writeOnly": true}}},
            "plain": {"type": "string"}
        }});
        assert_eq!(secret_fields(&schema), ["pin", "creds", "auth.token"]);
        let r = redactor(
            json!({"pin": 98765432, "creds": {"user": "deep-user", "n": [31415926]}, "auth": {"token": "nested-tok"}, "plain": "visible"}),
            schema,
        );
        let shown = r.redact("98765432 deep-user 31415926 nested-tok visible");
        assert_eq!(shown, "******** ******** ******** ******** visible");
    }

    #[test]
    fn numbers_are_masked_in_every_form() {
        let to = PhoneNumber::parse("+14155552671").unwrap();
        let r = Redactor::default().for_message("123456", &to);
        for form in [
            "+14155552671",
            "14155552671",
            "%2B14155552671",
            "0014155552671",
            "4155552671",
            "(415) 555-2671",
            "+1 415 555 2671",
            "+1-415-555-2671",
        ] {
            let shown = r.redact(&format!("to {form}!"));
            assert!(shown.contains("+14*******71!"), "{form}: {shown}");
            assert!(!shown.contains("555") && !shown.contains("2671"), "{form}: {shown}");
        }
        for form in ["123456", "123 456", "12-34-56", "1 2 3 4 5 6"] {
            assert_eq!(r.redact(&format!("code {form}.")), "code ********.", "{form}");
        }
    }

    #[test]
    fn learned_auth_headers_are_masked_with_their_parts() {
        let r = Redactor::default();
        let call = r.for_message("123456", &PhoneNumber::parse("+4520123456").unwrap());
        let basic = base64::engine::general_purpose::STANDARD.encode("ACsid123:tok-secret-9");
        call.learn_header("Authorization", &format!("Basic {basic}"));
        call.learn_header("Content-Type", "application/json");
        let shared = call.clone();
        let shown = shared.redact(&format!(
            "got Basic {basic}; user ACsid123 pass tok-secret-9 json application/json"
        ));
        assert!(
            !shown.contains(&basic) && !shown.contains("ACsid123") && !shown.contains("tok-secret-9"),
            "{shown}"
        );
        assert!(shown.contains("application/json"), "{shown}");
        // A fresh call learns anew.
        assert!(r.redact("tok-secret-9").contains("tok-secret-9"));
    }

    #[test]
    fn a_header_repeated_over_sends_stays_masked_on_the_cached_path() {
        let r = Redactor::default();
        let to = PhoneNumber::parse("+4520123456").unwrap();
        let header = "Bearer tok-secret-repeated-77";
        // Send 1 sees the header, send 2 compiles its regex, send 3 and
        // later reuse the cached forms and regex.
        for send in 1..=4 {
            let call = r.for_message("123456", &to);
            call.learn_header("Authorization", header);
            let shown = call.redact("echo Bearer tok-secret-repeated-77 and tok-secret-repeated-77");
            assert!(!shown.contains("tok-secret-repeated-77"), "send {send}: {shown}");
        }
        // Another header after the cached one is learned and masked too,
        // and the cache never lends one send's header to another.
        let call = r.for_message("123456", &to);
        call.learn_header("Authorization", "Bearer other-secret-token-88");
        let shown = call.redact("tok-secret-repeated-77 other-secret-token-88");
        assert!(!shown.contains("other-secret-token-88"), "{shown}");
        assert!(
            shown.contains("tok-secret-repeated-77"),
            "not learned in this send: {shown}"
        );
    }

    #[test]
    fn receipts_are_redacted_and_capped() {
        let to = PhoneNumber::parse("+4520123456").unwrap();
        let r = Redactor::default().for_message("654321", &to);
        let summary: Vec<(String, String)> = (0..100)
            .map(|i| (format!("k{i:03}"), "v".to_string()))
            .chain([("to +4520123456".to_string(), "code 654321\nX".to_string())])
            .collect();
        let (id, summary) = r.receipt(Some("id-654321-\x1b[0m".to_string()), summary);
        assert_eq!(id.as_deref(), Some("id-********-\\u{1b}[0m"));
        assert_eq!(summary.len(), MAX_SUMMARY_ENTRIES + 1);
        assert_eq!(summary["…dropped"], "69");
        let (_, summary) = r.receipt(None, vec![("to +4520123456".into(), "code 654321\nX".into())]);
        assert_eq!(summary["to +45******56"], "code ********\\nX");
    }

    #[test]
    fn redact_display_masks_a_secret_across_the_cut() {
        let r = Redactor::default().with_secrets(["straddling-secret"]);
        let text = format!("{}straddling-secret", "x".repeat(10));
        let shown = r.redact_display(&text, 14);
        assert!(!shown.contains("straddl"), "{shown}");
        let huge = format!("{}\n{}", "y".repeat(20 << 20), "smshost: error: forged");
        assert!(r.redact_display(&huge, 2048).len() < 2100);
    }
}
