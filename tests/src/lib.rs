//! Shared pieces of the end-to-end tests: where the built components are,
//! a recording mock server on loopback, and mock providers that check what
//! the real provider checks.

pub mod daemon;
pub mod doors;
pub mod mocks;

use smshost::{Limits, OriginOverride, Plugin, Runtime, RuntimeBuilder};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The folder `build.rs` built the components into.
pub fn wasm_dir() -> PathBuf {
    PathBuf::from(env!("SMSHOST_TEST_WASM_DIR"))
}

/// The path of a built component by its library name (`twilio`, `http_sms`).
pub fn wasm(name: &str) -> PathBuf {
    let path = wasm_dir().join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} was not built: see the warnings of the smshost-tests build script",
        path.display()
    );
    path
}

/// A host whose requests for `from` origins go to the mock at `addr`.
pub fn host_with_overrides(overrides: &[(&str, SocketAddr)], limits: Limits) -> Runtime {
    let mut builder = RuntimeBuilder::new().limits(limits);
    for (from, addr) in overrides {
        builder =
            builder.override_origin(OriginOverride::new(from, &format!("http://{addr}")).expect("valid override"));
    }
    builder.build().expect("host builds")
}

/// Builds a host for tests that reach mocks on loopback without an origin
/// override: the one place tests grant what a real deployment must not.
pub fn hardened_test_host(builder: RuntimeBuilder) -> Runtime {
    builder
        .network_policy(smshost::NetworkPolicy::permissive())
        .build()
        .expect("host builds")
}

/// Loads one built component into `host`.
pub async fn load(host: &Runtime, name: &str) -> Plugin {
    host.load_file(wasm(name))
        .await
        .unwrap_or_else(|error| panic!("loading {name}: {error}"))
}

/// Limits with short timeouts, so hang tests finish quickly.
pub fn quick_limits() -> Limits {
    Limits {
        send_timeout: Duration::from_secs(5),
        // Long enough for a debug-built mock on a loaded 2-core machine.
        http_timeout: Duration::from_millis(1500),
        ..Limits::default()
    }
}

/// One request a mock received, exactly as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `POST`, `GET`...
    pub method: String,
    /// The path.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header with this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as a form, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// The requests a mock has seen, shared with its handlers.
pub type Journal = Arc<Mutex<Vec<Recorded>>>;

/// A running mock on `127.0.0.1:<random port>`; stops when dropped.
pub struct MockServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it received.
    pub journal: Journal,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Serves `router` on loopback.
    pub async fn start(router: axum::Router, journal: Journal) -> MockServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        MockServer { addr, journal, task }
    }

    /// A copy of the requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.journal.lock().expect("journal lock").clone()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// The nine Logto usage types with a text template each, like Logto's
/// defaults; `{{code}}` is the placeholder.
pub fn text_templates() -> serde_json::Value {
    let purposes = [
        ("SignIn", "sign-in verification"),
        ("Register", "sign-up verification"),
        ("ForgotPassword", "password change verification"),
        ("OrganizationInvitation", "organization invitation"),
        ("Generic", "verification"),
        ("UserPermissionValidation", "permission validation"),
        ("BindNewIdentifier", "new identifier binding"),
        ("MfaVerification", "MFA verification"),
        ("BindMfa", "2-step verification setup"),
    ];
    serde_json::Value::Array(
        purposes
            .iter()
            .map(|(usage, purpose)| {
                serde_json::json!({
                    "usageType": usage,
                    "content": format!("Your Logto {purpose} code is {{{{code}}}}. The code will remain active for 10 minutes.")
                })
            })
            .collect(),
    )
}

/// Writes `config` as a JSON file in this test process's temp folder.
pub fn write_config(name: &str, config: &serde_json::Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smshost-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the temp folder");
    let path = dir.join(name);
    std::fs::write(&path, config.to_string()).expect("write the config");
    path
}

/// Runs the `smshost` CLI (`binary`: the test's `env!("CARGO_BIN_EXE_smshost-cli")`)
/// with the built plugins as its plugin folder. It runs off the tokio
/// workers, so in-process mocks keep serving.
pub async fn run_cli(binary: &'static str, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .args(&args)
            .env("SMSHOST_PLUGIN_DIR", wasm_dir())
            .env_remove("SMSHOST_LOG")
            .output()
            .expect("run smshost")
    })
    .await
    .expect("the CLI task")
}

/// Arguments for `smshost send`: `plugin` (an id or a `.wasm` path), the
/// config file, recipient, usage type and code, then any `extra` flags.
pub fn send_args(plugin: &str, config: &Path, to: &str, usage: &str, code: &str, extra: &[&str]) -> Vec<String> {
    let config = config.display().to_string();
    let fixed = [
        "send", "--plugin", plugin, "--config", &config, "--to", to, "--usage", usage, "--code", code,
    ];
    fixed.iter().chain(extra).map(|arg| arg.to_string()).collect()
}

/// The `--override-origin` value routing `origin` to `mock`.
pub fn route(origin: &str, mock: &MockServer) -> String {
    format!("{origin}={}", mock.url())
}

/// A process's stdout followed by its stderr, as text.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A component `./test.sh` builds outside cargo (the JavaScript and Python
/// connectors), named by the environment variable `var`; `None`, with a
/// note on stderr, when the variable is unset (plain `cargo test`), unless
/// `./test.sh` asked for every such test to run
/// (`SMSHOST_TEST_BUILT_GUESTS_REQUIRED`), when an unset variable fails.
pub fn built_guest(var: &str) -> Option<PathBuf> {
    let path = built_by_test_sh(var, "builds the component")?;
    assert!(path.is_file(), "{var}={} is not a file", path.display());
    Some(path)
}

/// A tool `./test.sh` installs (the JavaScript tools folder, the
/// componentize-py binary), named by the environment variable `var`, under
/// the same rule as [`built_guest`].
pub fn built_guest_tools(var: &str) -> Option<PathBuf> {
    built_by_test_sh(var, "installs the tool")
}

fn built_by_test_sh(var: &str, what: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path));
    }
    assert!(
        std::env::var_os("SMSHOST_TEST_BUILT_GUESTS_REQUIRED").is_none(),
        "{var} is not set, yet SMSHOST_TEST_BUILT_GUESTS_REQUIRED is (./test.sh {what} and sets it)"
    );
    eprintln!("skipped: {var} is not set (./test.sh {what} and sets it)");
    None
}

/// What a connector outside the Rust workspace (JavaScript, Python) must
/// say of itself: its label, contract 0.2, its secret fields, the README of
/// its folder in `plugins/` embedded at build time, and an example config
/// that its own validation accepts.
pub async fn assert_describes_itself(host: &Runtime, id: &str, label: &str, secrets: &[&str]) {
    let plugin = host.plugin(id).expect("the plugin is loaded");
    assert_eq!(plugin.label(), label);
    assert_eq!(plugin.contract(), "smshost:connector@0.2.0");
    assert_eq!(plugin.secret_fields(), secrets);
    let meta = plugin.metadata();
    let folder = id.strip_suffix("-sms").unwrap_or(id);
    let readme = std::fs::read_to_string(format!("{}/../plugins/{folder}/README.md", env!("CARGO_MANIFEST_DIR")))
        .expect("the plugin's README");
    assert_eq!(
        meta.readme.as_deref(),
        Some(readme.as_str()),
        "the README is embedded at build time"
    );
    let example = meta.example_config.clone().expect("an example config");
    host.validate_config(&plugin, &smshost::ConnectorConfig::from_value(example).unwrap())
        .await
        .expect("the example config is valid");
}

/// One way a provider fails, and the typed error the connector must turn it
/// into: error code, whether it is retryable, and text the message carries.
pub type FailureCase = (mocks::Mode, &'static str, bool, Option<&'static str>);

/// Puts the mock in each failure mode in turn and checks the error `send`
/// returns; no message may carry `secret`.
pub async fn assert_failures<F, Fut>(mode: &mocks::ModeCell, cases: Vec<FailureCase>, secret: &str, send: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = smshost::Result<smshost::Receipt>>,
{
    for (answer, code, retryable, text) in cases {
        *mode.lock().unwrap() = answer.clone();
        let error = send().await.expect_err("the provider failed");
        assert_eq!(error.code(), code, "{answer:?}: {error}");
        assert_eq!(error.is_retryable(), retryable, "{answer:?}: {error}");
        if let Some(text) = text {
            assert!(error.to_string().contains(text), "{answer:?}: {error}");
        }
        assert!(!error.to_string().contains(secret), "{error}");
    }
}

/// Checks that the plugin `id` refuses each config as `invalid_config`
/// with a message containing the paired text (the field it names).
pub async fn assert_config_refusals(host: &Runtime, id: &str, cases: Vec<(serde_json::Value, &str)>) {
    let plugin = host.plugin(id).expect("the plugin is loaded");
    for (config, field) in cases {
        let error = host
            .validate_config(&plugin, &smshost::ConnectorConfig::from_value(config).unwrap())
            .await
            .unwrap_err();
        assert_eq!(error.code(), "invalid_config", "{error}");
        assert!(error.to_string().contains(field), "{error}");
    }
}
