//! The real daemon as a process (`smshost serve`), for end-to-end tests of
//! the admin API: a temp data folder, a temp plugin folder holding copies of
//! the built plugins, `--override-origin` routes to mocks, an optional
//! PostgreSQL schema of its own, stdout and stderr captured to files.
//!
//! The daemon listens on `127.0.0.1:0` and the helper reads the port from
//! its `serving on` line, so parallel tests never race for a port. Every
//! process is killed when its [`Daemon`] is dropped.

use crate::{Journal, MockServer, Recorded, wasm};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value, json};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a daemon may take to answer `GET /readyz` after it is started
/// (plugins compile on a cold cache; a loaded 2-core CI machine is slow).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A name unique in this machine's test runs: `prefix_pid_n_nanos`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000
    )
}

/// A fresh temporary folder, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `$TMPDIR/<unique(prefix)>`.
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&dir).expect("create a temp folder");
        TempDir(dir)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where compiled plugins are cached between daemon starts (and test
/// runs), so only the first start of a run pays for compiling.
pub fn compile_cache_dir() -> PathBuf {
    std::env::temp_dir().join("smshost-tests-daemon-compile-cache")
}

/// The seven connector plugins, by their built file's stem.
pub const ALL_PLUGINS: [&str; 7] = [
    "aliyun",
    "gatewayapi",
    "http_sms",
    "smsaero",
    "tencent",
    "twilio",
    "vonage",
];

/// The PostgreSQL server the tests use (`SMSHOST_TEST_POSTGRES`).
pub fn postgres_url() -> String {
    std::env::var("SMSHOST_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// `url` with any password replaced, for printing.
fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// A fresh schema on the test PostgreSQL server, dropped on drop.
#[derive(Debug)]
pub struct PgSchema {
    base: String,
    schema: String,
}

impl PgSchema {
    /// Creates a fresh schema. `None` (after printing `skipped: no
    /// PostgreSQL at …`) when no server answers, unless
    /// `SMSHOST_TEST_POSTGRES_REQUIRED=1`, where that panics.
    pub async fn create() -> Option<PgSchema> {
        use sqlx::Connection;
        let base = postgres_url();
        let connected = tokio::time::timeout(Duration::from_secs(3), sqlx::PgConnection::connect(&base)).await;
        let mut conn = match connected {
            Ok(Ok(conn)) => conn,
            _ => {
                if std::env::var("SMSHOST_TEST_POSTGRES_REQUIRED").as_deref() == Ok("1") {
                    panic!(
                        "no PostgreSQL at {} and SMSHOST_TEST_POSTGRES_REQUIRED=1",
                        redacted_url(&base)
                    );
                }
                println!("skipped: no PostgreSQL at {}", redacted_url(&base));
                return None;
            }
        };
        let schema = unique("e2e");
        sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        let _ = conn.close().await;
        Some(PgSchema { base, schema })
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.schema
    }

    /// The `--store` URL selecting this schema (`options=-csearch_path=…`).
    pub fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{separator}options=-csearch_path%3D{}", self.base, self.schema)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, schema) = (self.base.clone(), self.schema.clone());
        // Drop may run inside a runtime; a thread with its own can block.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// How to start a daemon. Made by [`Daemon::builder`].
#[derive(Debug, Clone)]
pub struct DaemonBuilder {
    binary: &'static str,
    plugins: Vec<String>,
    overrides: Vec<String>,
    store: Option<String>,
    settings: Option<String>,
    token: Option<String>,
    env: Vec<(String, String)>,
    plugin_dir: Option<PathBuf>,
    wait_ready: bool,
}

impl DaemonBuilder {
    /// Returns from [`DaemonBuilder::start`] once the daemon serves, without
    /// waiting for `readyz` to be 200 (for a daemon that is not ready).
    pub fn unready(mut self) -> Self {
        self.wait_ready = false;
        self
    }

    /// Copies the built plugin `name` (`twilio`, `http_sms`) into the
    /// daemon's plugin folder.
    pub fn plugin(mut self, name: &str) -> Self {
        self.plugins.push(name.to_string());
        self
    }

    /// Copies every plugin of `names`.
    pub fn plugins(mut self, names: &[&str]) -> Self {
        self.plugins.extend(names.iter().map(|name| name.to_string()));
        self
    }

    /// Adds `--override-origin FROM=<mock>`.
    pub fn route(mut self, origin: &str, mock: &MockServer) -> Self {
        self.overrides.push(format!("{origin}={}", mock.url()));
        self
    }

    /// `--store URL` (a PostgreSQL URL; SQLite in the data folder otherwise).
    pub fn store(mut self, url: impl Into<String>) -> Self {
        self.store = Some(url.into());
        self
    }

    /// Writes `toml` as the daemon's `--config` file.
    pub fn settings(mut self, toml: &str) -> Self {
        self.settings = Some(toml.to_string());
        self
    }

    /// Presets the admin token (`SMSHOST_ADMIN_TOKEN`), or, for a replica
    /// on a store that has one, names the token the helper should use.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// An extra environment variable for the daemon.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Uses this plugin folder instead of a fresh one (the plugins named
    /// with [`DaemonBuilder::plugin`] are still copied into it).
    pub fn plugin_dir(mut self, dir: &Path) -> Self {
        self.plugin_dir = Some(dir.to_path_buf());
        self
    }

    /// Starts the daemon and waits until `GET /readyz` answers 200.
    pub async fn start(self) -> Daemon {
        let root = Arc::new(TempDir::new("smshost-daemon"));
        let plugin_dir = self.plugin_dir.clone().unwrap_or_else(|| root.path().join("plugins"));
        std::fs::create_dir_all(&plugin_dir).expect("create the plugin folder");
        for name in &self.plugins {
            std::fs::copy(wasm(name), plugin_dir.join(format!("{name}.wasm"))).expect("copy a plugin");
        }
        let settings_file = self.settings.as_ref().map(|toml| {
            let path = root.path().join("smshost.toml");
            std::fs::write(&path, toml).expect("write the settings file");
            path
        });
        let mut daemon = Daemon {
            builder: self,
            root,
            plugin_dir,
            settings_file,
            child: None,
            url: String::new(),
            token: String::new(),
            started_at: Instant::now(),
            ready_after: Duration::ZERO,
        };
        daemon.spawn().await;
        daemon
    }
}

/// A running `smshost serve`; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Daemon {
    builder: DaemonBuilder,
    root: Arc<TempDir>,
    plugin_dir: PathBuf,
    settings_file: Option<PathBuf>,
    child: Option<Child>,
    url: String,
    token: String,
    started_at: Instant,
    ready_after: Duration,
}

impl Daemon {
    /// A builder for a daemon run by `binary` (the test's
    /// `env!("CARGO_BIN_EXE_smshost-cli")`).
    pub fn builder(binary: &'static str) -> DaemonBuilder {
        DaemonBuilder {
            binary,
            plugins: Vec::new(),
            overrides: Vec::new(),
            store: None,
            settings: None,
            token: None,
            env: Vec::new(),
            plugin_dir: None,
            wait_ready: true,
        }
    }

    /// Another daemon with the same settings, store and token but its own
    /// data and plugin folders (a replica). Only meaningful with a shared
    /// `--store`.
    pub async fn replica(&self) -> Daemon {
        let mut builder = self.builder.clone();
        builder.token = Some(self.token.clone());
        builder.plugin_dir = None;
        builder.start().await
    }

    /// Like [`Daemon::replica`] with a different builder (its own plugins,
    /// settings), keeping this daemon's store and token.
    pub async fn replica_with(&self, builder: DaemonBuilder) -> Daemon {
        let mut builder = builder;
        builder.token = Some(self.token.clone());
        builder.store = self.builder.store.clone();
        builder.start().await
    }

    fn stdout_path(&self) -> PathBuf {
        self.root.path().join("stdout.log")
    }

    fn stderr_path(&self) -> PathBuf {
        self.root.path().join("stderr.log")
    }

    /// The data folder (`--data-dir`).
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The plugin folder (`--plugin-dir`).
    pub fn plugin_dir(&self) -> &Path {
        &self.plugin_dir
    }

    /// The `--store` URL, if one was given.
    pub fn store_url(&self) -> Option<&str> {
        self.builder.store.as_deref()
    }

    /// Flags that make a CLI command open this daemon's store
    /// (`--store URL` or `--data-dir DIR`).
    pub fn store_args(&self) -> Vec<String> {
        match &self.builder.store {
            Some(url) => vec!["--store".into(), url.clone()],
            None => vec!["--data-dir".into(), self.data_dir().display().to_string()],
        }
    }

    /// The binary the daemon runs.
    pub fn binary(&self) -> &'static str {
        self.builder.binary
    }

    fn append(path: &Path) -> File {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open a log file")
    }

    async fn spawn(&mut self) {
        let stdout_before = std::fs::read_to_string(self.stdout_path()).unwrap_or_default().len();
        let stderr_before = std::fs::read_to_string(self.stderr_path()).unwrap_or_default().len();
        let mut command = Command::new(self.builder.binary);
        command
            .arg("--plugin-dir")
            .arg(&self.plugin_dir)
            .arg("--cache-dir")
            .arg(compile_cache_dir())
            // The http-sms endpoints of these tests are plain-HTTP mocks on
            // loopback, which only the operator's grant lets a plugin reach.
            .args(["--allow-private-networks", "--allow-http"])
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(self.data_dir());
        if let Some(store) = &self.builder.store {
            command.args(["--store", store]);
        }
        if let Some(file) = &self.settings_file {
            command.arg("--config").arg(file);
        }
        for pair in &self.builder.overrides {
            command.args(["--override-origin", pair]);
        }
        for (name, _) in std::env::vars() {
            if name.starts_with("SMSHOST_") {
                command.env_remove(name);
            }
        }
        if let Some(token) = &self.builder.token {
            command.env("SMSHOST_ADMIN_TOKEN", token);
        }
        for (name, value) in &self.builder.env {
            command.env(name, value);
        }
        command
            .stdin(Stdio::null())
            .stdout(Self::append(&self.stdout_path()))
            .stderr(Self::append(&self.stderr_path()));
        self.started_at = Instant::now();
        let child = command.spawn().expect("start smshost serve");
        self.child = Some(child);

        // The port, from the `serving on` line of this start.
        let deadline = self.started_at + START_TIMEOUT;
        let url = loop {
            let stderr = std::fs::read_to_string(self.stderr_path()).unwrap_or_default();
            let fresh = stderr.get(stderr_before..).unwrap_or_default();
            // Only a whole line: the file may hold half of one.
            if let Some((url, _)) = fresh
                .split("smshost: serving on ")
                .nth(1)
                .and_then(|rest| rest.split_once('\n'))
            {
                break url.trim().to_string();
            }
            if let Some(status) = self.child.as_mut().and_then(|child| child.try_wait().ok().flatten()) {
                panic!("smshost serve exited ({status}) before serving:\n{fresh}");
            }
            assert!(
                Instant::now() < deadline,
                "smshost serve did not start within {START_TIMEOUT:?}:\n{fresh}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        self.url = url;
        // Only the first start of a store prints a token.
        if let Some(token) = &self.builder.token {
            self.token = token.clone();
        } else if self.token.is_empty() {
            let stdout = std::fs::read_to_string(self.stdout_path()).unwrap_or_default();
            let fresh = stdout.get(stdout_before..).unwrap_or_default();
            self.token = fresh
                .split("keep it): ")
                .nth(1)
                .and_then(|rest| rest.split_once('\n'))
                .map(|(token, _)| token.trim().to_string())
                .unwrap_or_else(|| panic!("no admin token on stdout:\n{fresh}"));
        }
        if self.builder.wait_ready {
            self.wait_ready().await;
        }
        self.ready_after = self.started_at.elapsed();
    }

    /// Waits (bounded) until `GET /readyz` answers 200.
    pub async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let last = match client.get(format!("{}/readyz", self.url)).send().await {
                Ok(response) if response.status() == 200 => return,
                Ok(response) => format!("{} {}", response.status(), response.text().await.unwrap_or_default()),
                Err(error) => error.to_string(),
            };
            assert!(
                Instant::now() < deadline,
                "readyz not 200 within {START_TIMEOUT:?}: {last}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `http://127.0.0.1:<port>` (a new port after each restart).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("the daemon runs")
    }

    /// Time from the last start to the first `readyz` 200 (to serving, for
    /// an [`DaemonBuilder::unready`] daemon).
    pub fn ready_after(&self) -> Duration {
        self.ready_after
    }

    /// Everything the daemon wrote on stderr (its logs), over all starts.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.stderr_path()).unwrap_or_default()
    }

    /// Everything the daemon wrote on stdout, over all starts.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.stdout_path()).unwrap_or_default()
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits (bounded by `timeout`) for the exit; returns
    /// whether it exited successfully. Panics if it does not exit in time.
    pub async fn terminate(&mut self, timeout: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let pid = libc::pid_t::try_from(child.id()).expect("a pid");
        // SAFETY: kill(2) on our own child's pid, which is not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the daemon did not exit within {timeout:?} of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills (if running) and starts again with the same data folder,
    /// store, plugin folder and token.
    pub async fn restart(&mut self) {
        self.kill_9();
        self.spawn().await;
    }

    /// Stops with SIGTERM (the daemon flushes what it keeps in memory, such
    /// as rate-limit counts) and starts again with the same data.
    pub async fn restart_gracefully(&mut self) {
        assert!(self.terminate(Duration::from_secs(15)).await, "a clean exit on SIGTERM");
        self.spawn().await;
    }

    /// Resident memory of the process (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
    }

    /// An API client for this daemon with the admin token.
    pub fn api(&self) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: self.url.clone(),
            token: Some(self.token.clone()),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// One answer of the API: status, headers and the body as JSON (or the
/// text as a JSON string when it is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The raw body.
    pub text: String,
    /// The body parsed.
    pub body: Value,
}

impl Answer {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The error `code` field.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// A small client for the admin API.
#[derive(Debug, Clone)]
pub struct Api {
    /// The client (keep-alive pool).
    pub client: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The bearer token, if any.
    pub token: Option<String>,
}

impl Api {
    /// The same client with another token (`None`: no `Authorization`).
    pub fn with_token(&self, token: Option<&str>) -> Api {
        Api {
            token: token.map(str::to_string),
            ..self.clone()
        }
    }

    /// Sends `method path` with an optional JSON body and extra headers.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the daemon answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, None, &[]).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.call(reqwest::Method::PUT, path, Some(body), &[]).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(reqwest::Method::POST, path, Some(body), &[]).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Answer {
        self.call(reqwest::Method::DELETE, path, None, &[]).await
    }

    /// `PUT /v1/connectors/sms` (tenant `default`).
    pub async fn set_connector(&self, plugin: &str, config: &Value) -> Answer {
        self.put("/v1/connectors/sms", &json!({"plugin": plugin, "config": config}))
            .await
    }

    /// `POST /v1/messages` (tenant `default`) for `to` with `code`.
    pub async fn send(&self, to: &str, code: &str) -> Answer {
        self.post("/v1/messages", &message_body(to, "SignIn", code)).await
    }
}

/// The body of `POST /messages`.
pub fn message_body(to: &str, usage: &str, code: &str) -> Value {
    json!({"to": to, "usageType": usage, "payload": {"code": code, "locale": "en"}})
}

/// Polls `check` every 20 ms until it returns `Some`, at most `timeout`;
/// panics with `what` when time runs out.
pub async fn poll<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How the [`endpoint_mock`] answers.
#[derive(Debug, Clone)]
pub enum EndpointMode {
    /// 200 `{"ok": true}`.
    Ok,
    /// 200 after this delay.
    Delay(Duration),
    /// 500 with a body echoing the request's `Authorization` header and its
    /// whole body (a provider that leaks what it was sent).
    EchoError,
}

/// An `http-sms` endpoint at `/sms` that answers per its switchable mode.
pub async fn endpoint_mock() -> (MockServer, Arc<Mutex<EndpointMode>>) {
    let journal: Journal = Arc::default();
    let mode = Arc::new(Mutex::new(EndpointMode::Ok));
    let state = (journal.clone(), mode.clone());
    let router = axum::Router::new().fallback(endpoint_handler).with_state(state);
    (MockServer::start(router, journal).await, mode)
}

async fn endpoint_handler(
    State((journal, mode)): State<(Journal, Arc<Mutex<EndpointMode>>)>,
    request: Request,
) -> Response {
    let (recorded, _): (Recorded, _) = crate::mocks::record(request).await;
    journal.lock().expect("journal lock").push(recorded.clone());
    let mode = mode.lock().expect("mode lock").clone();
    match mode {
        EndpointMode::Ok => crate::mocks::json_response(200, json!({"ok": true})),
        EndpointMode::Delay(delay) => {
            tokio::time::sleep(delay).await;
            crate::mocks::json_response(200, json!({"ok": true}))
        }
        EndpointMode::EchoError => crate::mocks::json_response(
            500,
            json!({
                "error": format!(
                    "rejected auth={} body={}",
                    recorded.header("authorization").unwrap_or_default(),
                    recorded.text()
                )
            }),
        ),
    }
}

/// The Twilio connector's id.
pub const TWILIO: &str = "twilio-short-message-service";
/// The HTTP SMS connector's id.
pub const HTTP_SMS: &str = "http-sms";
/// Twilio's API origin, to route to a mock.
pub const TWILIO_ORIGIN: &str = "https://api.twilio.com";
/// The account SID the Twilio fixtures use.
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The Twilio auth token (a secret: masked everywhere).
pub const TWILIO_AUTH_TOKEN: &str = "tw-daemon-secret-9f3k2";
/// The messaging service the Twilio fixtures send from.
pub const TWILIO_SERVICE: &str = "MG0123456789abcdef0123456789abcdef";

/// A Twilio config accepted by [`twilio_mock`].
pub fn twilio_config() -> Value {
    json!({
        "accountSID": TWILIO_SID,
        "authToken": TWILIO_AUTH_TOKEN,
        "fromMessagingServiceSID": TWILIO_SERVICE,
        "templates": crate::text_templates(),
    })
}

/// A Twilio mock accepting [`twilio_config`].
pub async fn twilio_mock() -> (MockServer, crate::mocks::ModeCell) {
    crate::mocks::twilio(crate::mocks::TwilioCreds {
        account_sid: TWILIO_SID.into(),
        auth_token: TWILIO_AUTH_TOKEN.into(),
    })
    .await
}

/// An `http-sms` config for the endpoint mock, with `authorization` as
/// its secret.
pub fn http_sms_config(mock: &MockServer, authorization: &str) -> Value {
    json!({"endpoint": format!("{}/sms", mock.url()), "authorization": authorization})
}

/// The form field `name` of a recorded request.
pub fn form_field(request: &Recorded, name: &str) -> Option<String> {
    request
        .form()
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Runs the CLI `binary` with `args` off the async workers and returns
/// (exit code, stdout, stderr).
pub async fn cli(binary: &'static str, args: Vec<String>) -> (i32, String, String) {
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(binary);
        command.args(&args);
        for (name, _) in std::env::vars() {
            if name.starts_with("SMSHOST_") {
                command.env_remove(name);
            }
        }
        command.output().expect("run smshost")
    })
    .await
    .expect("the CLI task");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Creates a token with `smshost token create` on the daemon's store
/// (while it runs); `tenant` `None` for an admin token.
pub async fn create_token(daemon: &Daemon, tenant: Option<&str>) -> String {
    let mut args = vec!["token".to_string(), "create".to_string()];
    if let Some(tenant) = tenant {
        args.extend(["--tenant".to_string(), tenant.to_string()]);
    }
    args.extend(daemon.store_args());
    let (code, stdout, stderr) = cli(daemon.binary(), args).await;
    assert_eq!(code, 0, "token create failed: {stderr}");
    let token = stdout.trim().to_string();
    assert!(token.starts_with("smsh_"), "{stdout}");
    token
}
