//! `smshost check PLUGIN.wasm [--config FILE]`: a conformance run for
//! connector authors. It loads the plugin as the daemon would, reads its
//! metadata, validates its config schema, then sends through it to a
//! recording mock on loopback (every origin the plugin declares is routed
//! there) and makes the mock fail in the ways providers fail. Each check is
//! one line, `PASS`, `WARN` (worth fixing, not a failure) or `FAIL`; any
//! `FAIL` makes the command exit non-zero.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use smshost::{
    ConnectorConfig, Error, ErrorCode, Limits, OriginOverride, OutgoingMessage, PhoneNumber, Plugin, Receipt,
    RuntimeBuilder, UsageType, display_safe,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Arguments of `smshost check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The plugin's `.wasm` file.
    plugin: PathBuf,
    /// A config to send with instead of the plugin's example config (JSON).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// How long the check's HTTP requests may take: the hang test waits this
/// long, so it is short, yet long enough for a loaded machine.
const CHECK_HTTP_TIMEOUT: Duration = Duration::from_secs(2);

/// Words that make a field name look like a secret, which must be `writeOnly`.
const SECRET_WORDS: [&str; 4] = ["key", "token", "secret", "password"];

/// Longest plugin-controlled text shown on one line.
const MAX_SHOWN: usize = 200;

/// Longest detail on one checklist line: room for a few capped fields.
const MAX_LINE: usize = MAX_SHOWN * 4;

/// One checklist line. Details carry plugin- and mock-controlled text (its
/// names, errors, hosts), so every line is escaped and capped here, whatever
/// each check already did.
fn line(kind: &str, what: &str, detail: &str) -> String {
    format!("{kind}  {what}: {}", display_safe(detail, MAX_LINE))
}

/// The printed checklist.
#[derive(Default)]
struct Checklist {
    passed: usize,
    warned: usize,
    failed: usize,
}

impl Checklist {
    fn pass(&mut self, what: &str, detail: impl AsRef<str>) {
        self.passed += 1;
        println!("{}", line("PASS", what, detail.as_ref()));
    }

    fn warn(&mut self, what: &str, detail: impl AsRef<str>) {
        self.warned += 1;
        println!("{}", line("WARN", what, detail.as_ref()));
    }

    fn fail(&mut self, what: &str, detail: impl AsRef<str>) {
        self.failed += 1;
        println!("{}", line("FAIL", what, detail.as_ref()));
    }

    fn check(&mut self, what: &str, outcome: Result<String, String>) -> bool {
        match outcome {
            Ok(detail) => {
                self.pass(what, detail);
                true
            }
            Err(detail) => {
                self.fail(what, detail);
                false
            }
        }
    }

    /// The command's result: an error line when anything failed.
    fn finish(self) -> Result<(), String> {
        let summary = format!(
            "{} passed, {} warnings, {} failed",
            self.passed, self.warned, self.failed
        );
        println!("{summary}");
        if self.failed == 0 {
            Ok(())
        } else {
            Err(format!("check failed: {summary}"))
        }
    }
}

/// Runs the checklist for `args`; `cache_dir` is the CLI's compile cache.
pub(crate) async fn run(args: CheckArgs, cache_dir: Option<PathBuf>) -> Result<(), String> {
    let mut list = Checklist::default();
    println!("smshost check {}", args.plugin.display());
    let given_config = match &args.config {
        Some(path) => Some(read_config(path)?),
        None => None,
    };
    // Two runtimes load the plugin (one to read where it sends, one routed
    // to the mock): a compile cache makes the second load a lookup.
    let scratch = match cache_dir {
        Some(dir) => ScratchCache::Given(dir),
        None => ScratchCache::create()?,
    };
    let limits = Limits {
        http_timeout: CHECK_HTTP_TIMEOUT,
        send_timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let runtime = RuntimeBuilder::new()
        .limits(limits.clone())
        .cache_dir(scratch.path())
        .build()
        .map_err(|error| error.to_string())?;
    let plugin = match runtime.compile_file(&args.plugin).await {
        Ok(plugin) => {
            list.pass(
                "loads",
                format!(
                    "contract {}, every import provided by the host ({} ms)",
                    plugin.contract(),
                    plugin.load_time().as_millis()
                ),
            );
            plugin
        }
        Err(error) => {
            list.fail("loads (contract version, imports, metadata)", error.to_string());
            return list.finish();
        }
    };
    let is_v01 = plugin.contract().contains("@0.1.");
    check_metadata(&mut list, &plugin, is_v01);
    let example = check_example_config(&mut list, &plugin, is_v01);
    let schema = check_schema(&mut list, &plugin, example.as_ref());

    let config = match (given_config, example) {
        (Some(config), _) => config,
        (None, Some(example)) => example,
        (None, None) => {
            list.fail("send", "no example config and no --config: nothing to send with");
            return list.finish();
        }
    };
    check_empty_config(&mut list, &runtime, &plugin, &config, schema.as_ref()).await;
    let Ok(connector_config) = ConnectorConfig::from_value(config.clone()) else {
        list.fail("config", "the config must be a JSON object");
        return list.finish();
    };
    match runtime.validate_config(&plugin, &connector_config).await {
        Ok(()) => list.pass("validate-config accepts the config", "yes"),
        Err(error) => {
            list.fail("validate-config accepts the config", error.to_string());
            return list.finish();
        }
    }
    let origins = match plugin.allowed_hosts(&connector_config) {
        Ok(hosts) => hosts.origins().iter().map(ToString::to_string).collect::<Vec<_>>(),
        Err(error) => {
            list.fail("network hosts", error.to_string());
            return list.finish();
        }
    };
    if origins.is_empty() {
        list.warn(
            "network hosts",
            "the plugin declares none, so it cannot reach a provider",
        );
    }

    let mock = RecordingMock::start().await?;
    let mut routed = RuntimeBuilder::new().limits(limits).cache_dir(scratch.path());
    for origin in &origins {
        routed = routed.override_origin(OriginOverride::new(origin, &mock.url()).map_err(|error| error.to_string())?);
    }
    let routed = routed.build().map_err(|error| error.to_string())?;
    let plugin = routed
        .compile_file(&args.plugin)
        .await
        .map_err(|error| error.to_string())?;
    let connector = match routed.connector_for(plugin, connector_config).await {
        Ok(connector) => connector,
        Err(error) => {
            list.fail("send", error.to_string());
            return list.finish();
        }
    };
    let message = OutgoingMessage::new(
        PhoneNumber::parse("+4520123456").map_err(|error| error.to_string())?,
        UsageType::SignIn,
        "123456",
    )
    .with_locale("en");

    mock.set(MockAnswer::Accept);
    let denied_before = denials().len();
    let outcome = connector.send(&message).await;
    list.check("send with the config to the recording mock", first_send(&outcome));
    let requests = mock.take_requests();
    let denied = denials().split_off(denied_before);
    list.check("requests only to declared hosts", requests_verdict(&requests, &denied));

    for answer in [
        MockAnswer::Status(401),
        MockAnswer::Status(429),
        MockAnswer::Status(500),
        MockAnswer::Unreadable,
        MockAnswer::Hang,
    ] {
        mock.set(answer);
        let outcome = connector.send(&message).await;
        error_path(&mut list, answer, &outcome);
    }
    list.finish()
}

fn read_config(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|error| format!("{} is not valid JSON: {error}", path.display()))?;
    if !value.is_object() {
        return Err(format!("{} must hold a JSON object", path.display()));
    }
    Ok(value)
}

fn check_metadata(list: &mut Checklist, plugin: &Plugin, is_v01: bool) {
    let meta = plugin.metadata();
    let mut missing = Vec::new();
    if meta.name.trim().is_empty() {
        missing.push("name");
    }
    if meta.description.trim().is_empty() {
        missing.push("description");
    }
    list.check(
        "metadata: id, name, description",
        if missing.is_empty() {
            Ok(format!("{} ({})", meta.id, display_safe(&meta.name, MAX_SHOWN)))
        } else {
            Err(format!("empty {}", missing.join(" and ")))
        },
    );
    list.check(
        "metadata: version is semver",
        semver::Version::parse(&meta.version)
            .map(|version| version.to_string())
            .map_err(|error| format!("`{}`: {error}", display_safe(&meta.version, MAX_SHOWN))),
    );
    match meta.readme.as_deref() {
        _ if is_v01 => list.warn(
            "readme",
            "contract 0.1 has no README; build against wit/v0.2 to ship one",
        ),
        Some(readme) if !readme.trim().is_empty() => list.pass("readme", format!("{} bytes of Markdown", readme.len())),
        _ => list.fail("readme", "empty: embed the connector's README.md"),
    }
}

/// The example config, when the plugin ships a usable one.
fn check_example_config(list: &mut Checklist, plugin: &Plugin, is_v01: bool) -> Option<Value> {
    match plugin.metadata().example_config.clone() {
        Some(example) if example.is_object() => {
            list.pass("example config", "a JSON object");
            Some(example)
        }
        Some(_) => {
            list.fail("example config", "not a JSON object");
            None
        }
        None if is_v01 => {
            list.warn("example config", "contract 0.1 has none; pass --config to send");
            None
        }
        None => {
            list.fail("example config", "missing");
            None
        }
    }
}

/// Compiles the schema as JSON Schema draft 2020-12; returns it when valid.
fn check_schema(list: &mut Checklist, plugin: &Plugin, example: Option<&Value>) -> Option<Value> {
    let schema = plugin.metadata().config_schema.clone();
    if let Err(error) = jsonschema::draft202012::meta::validate(&schema) {
        list.fail(
            "config schema is valid JSON Schema (draft 2020-12)",
            display_safe(&error.to_string(), MAX_SHOWN),
        );
        return None;
    }
    let validator = match jsonschema::draft202012::new(&schema) {
        Ok(validator) => validator,
        Err(error) => {
            list.fail(
                "config schema is valid JSON Schema (draft 2020-12)",
                display_safe(&error.to_string(), MAX_SHOWN),
            );
            return None;
        }
    };
    list.pass("config schema is valid JSON Schema (draft 2020-12)", "compiles");
    let properties = schema_properties(&schema);
    let unmarked: Vec<&str> = properties
        .iter()
        .filter(|(name, property)| {
            looks_secret(name) && property.get("writeOnly").and_then(Value::as_bool) != Some(true)
        })
        .map(|(name, _)| name.as_str())
        .collect();
    list.check(
        "secret-looking fields are writeOnly",
        if unmarked.is_empty() {
            let secrets = plugin.secret_fields();
            Ok(if secrets.is_empty() {
                "no secret fields".to_string()
            } else {
                format!("writeOnly: {}", secrets.join(", "))
            })
        } else {
            Err(format!(
                "{} look secret but are not marked `\"writeOnly\": true`",
                unmarked.join(", ")
            ))
        },
    );
    if let Some(example) = example {
        let problems: Vec<String> = validator
            .iter_errors(example)
            .take(3)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        list.check(
            "example config matches the schema",
            if problems.is_empty() {
                Ok("yes".to_string())
            } else {
                Err(display_safe(&problems.join("; "), MAX_SHOWN * 2))
            },
        );
    }
    Some(schema)
}

/// Whether a config field's name says it holds a secret: it contains key,
/// token, secret or password, and is not an identifier (`accessKeyId`
/// names a key; it is not one).
fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| lower.contains(word)) && !lower.ends_with("id")
}

/// The top-level `properties` of a schema, by name.
fn schema_properties(schema: &Value) -> Vec<(String, Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// `validate-config` must refuse an empty config and name a field. For a
/// template-based plugin the example's `templates` stay, so the plugin's
/// own check answers rather than the host's templates rule.
async fn check_empty_config(
    list: &mut Checklist,
    runtime: &smshost::Runtime,
    plugin: &Plugin,
    config: &Value,
    schema: Option<&Value>,
) {
    let mut empty = Map::new();
    let mut shown = "{}";
    if plugin.metadata().uses_templates
        && let Some(templates) = config.get("templates")
    {
        empty.insert("templates".into(), templates.clone());
        shown = "{templates}";
    }
    let what = format!("validate-config refuses {shown}, naming a field");
    let Ok(empty) = ConnectorConfig::from_value(Value::Object(empty)) else {
        return;
    };
    let mut fields: Vec<String> = schema
        .map(schema_properties)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    fields.retain(|name| name != "templates");
    match runtime.validate_config(plugin, &empty).await {
        Ok(()) => list.fail(&what, "it accepted the empty config"),
        Err(Error::InvalidConfig { reason, .. }) => {
            let shown = display_safe(&reason, MAX_SHOWN);
            if fields.iter().any(|field| reason.contains(field.as_str())) || fields.is_empty() {
                list.pass(&what, shown);
            } else {
                list.fail(&what, format!("the message names no config field: {shown}"));
            }
        }
        Err(error) => list.fail(&what, format!("expected invalid_config, got {error}")),
    }
}

fn first_send(outcome: &smshost::Result<Receipt>) -> Result<String, String> {
    match outcome {
        Ok(receipt) => Ok(format!(
            "receipt, provider message id {}",
            receipt
                .provider_message_id
                .as_deref()
                .map(|id| display_safe(id, MAX_SHOWN))
                .unwrap_or_else(|| "none".into())
        )),
        // The mock cannot answer like every provider; a typed error is fine.
        Err(Error::Connector { error, .. }) => Ok(format!(
            "typed error {} (the mock does not answer like the provider): {}",
            error.code,
            display_safe(&error.message, MAX_SHOWN)
        )),
        Err(error) => Err(never_a_trap(error)),
    }
}

fn never_a_trap(error: &Error) -> String {
    match error {
        Error::Plugin { .. } => format!("the plugin failed instead of returning an error: {error}"),
        other => other.to_string(),
    }
}

fn requests_verdict(requests: &[Recorded], denied: &[String]) -> Result<String, String> {
    if !denied.is_empty() {
        return Err(format!(
            "the host refused {} request(s) to undeclared origins: {}",
            denied.len(),
            display_safe(&denied.join("; "), MAX_SHOWN * 2)
        ));
    }
    if requests.is_empty() {
        return Ok("it made no request".to_string());
    }
    let mut hosts: Vec<String> = requests.iter().map(|request| request.to_string()).collect();
    hosts.dedup();
    Ok(format!(
        "{} request(s): {}",
        requests.len(),
        display_safe(&hosts.join(", "), MAX_SHOWN * 2)
    ))
}

/// What the error-path mock answers, and what a connector should make of it.
fn error_path(list: &mut Checklist, answer: MockAnswer, outcome: &smshost::Result<Receipt>) {
    let what = format!("error path: {}", answer.describe());
    let expected: Option<(ErrorCode, bool)> = match answer {
        MockAnswer::Status(401) => Some((ErrorCode::AuthorizationFailed, false)),
        MockAnswer::Status(429) => Some((ErrorCode::RateLimitExceeded, true)),
        MockAnswer::Status(_) => Some((ErrorCode::General, true)),
        MockAnswer::Hang => Some((ErrorCode::General, true)),
        MockAnswer::Accept | MockAnswer::Unreadable => None,
    };
    match outcome {
        Err(Error::Connector { error, .. }) => {
            let shown = format!(
                "typed error {}{}",
                error.code,
                if error.retryable { " (retryable)" } else { "" }
            );
            match expected {
                Some((code, _)) if code != error.code && code != ErrorCode::General => {
                    list.pass(&what, &shown);
                    list.warn(&what, format!("{} is the usual code for this answer", code.as_str()));
                }
                Some((_, retryable)) if retryable && !error.retryable => {
                    list.pass(&what, &shown);
                    list.warn(&what, "this answer is usually worth retrying (`retryable: true`)");
                }
                _ => list.pass(&what, shown),
            }
        }
        Ok(_) if matches!(answer, MockAnswer::Unreadable) => {
            list.pass(&what, "receipt: the connector does not read the 2xx body")
        }
        Ok(_) => list.fail(&what, "reported success for a failed send"),
        Err(error) => list.fail(&what, never_a_trap(error)),
    }
}

/// How the recording mock answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum MockAnswer {
    /// 200 with a small JSON body most providers' success resembles.
    Accept,
    /// This status with a JSON error body.
    Status(u16),
    /// 200 with bytes that are neither UTF-8 nor JSON.
    Unreadable,
    /// No answer until the HTTP timeout.
    Hang,
}

impl MockAnswer {
    fn describe(self) -> String {
        match self {
            MockAnswer::Accept => "200".into(),
            MockAnswer::Status(status) => format!("HTTP {status}"),
            MockAnswer::Unreadable => "HTTP 200 with an unreadable body".into(),
            MockAnswer::Hang => format!("no answer within {} s", CHECK_HTTP_TIMEOUT.as_secs()),
        }
    }
}

/// One request the mock received: method, `Host` and path.
struct Recorded {
    method: String,
    host: String,
    path: String,
}

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}{}", self.method, self.host, self.path)
    }
}

struct MockState {
    answer: Mutex<MockAnswer>,
    requests: Mutex<Vec<Recorded>>,
}

/// A loopback HTTP server that records every request and answers as told.
struct RecordingMock {
    addr: std::net::SocketAddr,
    state: Arc<MockState>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingMock {
    async fn start() -> Result<Self, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| format!("cannot start the recording mock: {error}"))?;
        let addr = listener
            .local_addr()
            .map_err(|error| format!("cannot start the recording mock: {error}"))?;
        let state = Arc::new(MockState {
            answer: Mutex::new(MockAnswer::Accept),
            requests: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new().fallback(answer).with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(RecordingMock { addr, state, task })
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, answer: MockAnswer) {
        *self
            .state
            .answer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = answer;
    }

    fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(
            &mut *self
                .state
                .requests
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl Drop for RecordingMock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    State(state): State<Arc<MockState>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string();
    state
        .requests
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(Recorded {
            method: method.to_string(),
            host,
            path: uri.path().to_string(),
        });
    let answer = *state.answer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let json_answer = |status: StatusCode, body: Value| {
        (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    };
    match answer {
        MockAnswer::Accept => json_answer(
            StatusCode::OK,
            json!({"id": "smshost-check-1", "message_id": "smshost-check-1", "status": "accepted"}),
        ),
        MockAnswer::Status(status) => json_answer(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({"error": "smshost check", "message": format!("the mock answers HTTP {status}"), "code": status}),
        ),
        MockAnswer::Unreadable => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            Bytes::from_static(b"\xff\xfe{\"id\": <not json"),
        )
            .into_response(),
        MockAnswer::Hang => {
            tokio::time::sleep(CHECK_HTTP_TIMEOUT * 10).await;
            json_answer(StatusCode::OK, json!({}))
        }
    }
}

/// The compile cache the check's two runtimes share: the CLI's own, or a
/// private temporary folder removed afterwards.
enum ScratchCache {
    Given(PathBuf),
    Temporary(PathBuf),
}

impl ScratchCache {
    fn create() -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("smshost-check-{}-{nanos}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            // The cache holds native code: only this user may write it.
            builder.mode(0o700);
        }
        builder
            .create(&dir)
            .map_err(|error| format!("cannot create a temporary folder {}: {error}", dir.display()))?;
        Ok(ScratchCache::Temporary(dir))
    }

    fn path(&self) -> &Path {
        match self {
            ScratchCache::Given(dir) | ScratchCache::Temporary(dir) => dir,
        }
    }
}

impl Drop for ScratchCache {
    fn drop(&mut self) {
        if let ScratchCache::Temporary(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The host's "denied a request" lines, collected by [`DenialLayer`].
fn denials() -> std::sync::MutexGuard<'static, Vec<String>> {
    static DENIALS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    DENIALS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Collects the host's warnings about denied requests, which is how the
/// check learns a plugin tried an origin it did not declare (the request
/// never leaves the host, so the mock cannot see it).
pub(crate) struct DenialLayer;

const DENIED_PREFIX: &str = "denied a request: ";

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for DenialLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "smshost::host" {
            return;
        }
        let mut message = MessageField(String::new());
        event.record(&mut message);
        if let Some(reason) = message.0.strip_prefix(DENIED_PREFIX) {
            denials().push(reason.to_string());
        }
    }
}

struct MessageField(String);

impl tracing::field::Visit for MessageField {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Logging for `smshost check`: as for the other one-shot commands (off
/// unless `-v` or `SMSHOST_LOG`), plus the [`DenialLayer`].
pub(crate) fn init_logging(verbose: u8) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let default = match verbose {
        0 => "off",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SMSHOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let printed = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_filter(filter);
    let denials = DenialLayer
        .with_filter(tracing_subscriber::filter::Targets::new().with_target("smshost::host", tracing::Level::WARN));
    let _ = tracing_subscriber::registry().with(printed).with(denials).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checklist_lines_escape_and_cap_what_the_plugin_controls() {
        let forged = "ok\nPASS  everything: forged\u{1b}[2J\u{202e}";
        let shown = line("FAIL", "send", forged);
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202e}'), "{shown:?}");
        assert!(shown.starts_with("FAIL  send: ok\\nPASS"), "{shown}");
        let long = line("PASS", "readme", &"x".repeat(10_000));
        assert!(
            long.len() <= "PASS  readme: ".len() + MAX_LINE + '…'.len_utf8(),
            "{}",
            long.len()
        );
        assert!(long.ends_with('…'));
    }

    #[test]
    fn secret_looking_names() {
        for secret in [
            "apiKey",
            "authToken",
            "accessKeySecret",
            "password",
            "api_key",
            "SECRET",
        ] {
            assert!(looks_secret(secret), "{secret}");
        }
        for plain in [
            "accessKeyId",
            "authId",
            "sender",
            "endpoint",
            "templates",
            "servicePlanId",
        ] {
            assert!(!looks_secret(plain), "{plain}");
        }
    }
}
