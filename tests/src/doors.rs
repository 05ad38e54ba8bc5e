//! Helpers for the front-door tests: the real `smshost serve` as a process,
//! and the auth servers' own client code run beside it — the
//! `standardwebhooks` PyPI package (Supabase's signer), Python's `hmac`
//! (an implementation of ZITADEL's signature independent of the daemon's)
//! and Logto's `@logto/connector-http-sms` npm package.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `smshost serve`; killed when dropped.
pub struct Daemon {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The admin token it was started with.
    pub token: String,
    /// Everything it wrote to stderr so far (its log).
    pub log: Arc<Mutex<String>>,
    /// Its data and plugin folders, removed when dropped.
    pub root: PathBuf,
    child: Child,
}

impl Daemon {
    /// Starts `binary serve` on a free loopback port with a fresh data
    /// folder under `dir`, `plugins` (built component names) as its plugin
    /// folder and `overrides` as `--override-origin` values.
    pub fn start(binary: &str, dir: &Path, plugins: &[&str], overrides: &[String]) -> Daemon {
        let unique = format!(
            "daemon-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        );
        let root = dir.join(unique);
        let plugin_dir = root.join("plugins");
        std::fs::create_dir_all(&plugin_dir).expect("create the plugin folder");
        for plugin in plugins {
            std::fs::copy(crate::wasm(plugin), plugin_dir.join(format!("{plugin}.wasm"))).expect("copy a plugin");
        }
        let token = format!("smsh_doors-test-{}", &root.file_name().unwrap().to_string_lossy()[7..]);
        let mut command = Command::new(binary);
        command
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(root.join("data"))
            .arg("--plugin-dir")
            .arg(&plugin_dir);
        for pair in overrides {
            command.args(["--override-origin", pair]);
        }
        let mut child = command
            .env("SMSHOST_ADMIN_TOKEN", &token)
            .env_remove("SMSHOST_SECRET_KEY")
            .env_remove("SMSHOST_STORE")
            .env_remove("SMSHOST_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start smshost serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(base) = line.strip_prefix("smshost: serving on ") {
                    let _ = tx.send(base.trim().to_string());
                }
                let mut log = sink.lock().expect("log lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!("smshost serve did not start: {}", log.lock().expect("log lock"));
            }
        };
        Daemon {
            base,
            token,
            log,
            root,
            child,
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A copy of the log so far.
    pub fn log_text(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The auth servers' client code, installed once under a folder.
pub struct Tools {
    /// A Python with `standardwebhooks` installed.
    pub python: PathBuf,
    /// A folder whose `node_modules` holds `@logto/connector-http-sms`.
    pub node_dir: PathBuf,
}

static TOOLS: Mutex<Option<Arc<Tools>>> = Mutex::new(None);

/// Installs (first call) and returns the tools under `dir`: a venv with
/// `standardwebhooks` from PyPI and `@logto/connector-http-sms` from npm.
pub fn tools(dir: &Path) -> Arc<Tools> {
    let mut slot = TOOLS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(tools) = slot.as_ref() {
        return tools.clone();
    }
    let venv = dir.join("doors-venv");
    let python = venv.join("bin").join("python");
    let has_package = |python: &Path| {
        Command::new(python)
            .args(["-c", "import standardwebhooks"])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if !has_package(&python) {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        );
        run(
            Command::new(venv.join("bin").join("pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "standardwebhooks==1.1.0",
            ]),
            "pip install standardwebhooks",
        );
    }
    let node_dir = dir.join("doors-node");
    if !node_dir
        .join("node_modules/@logto/connector-http-sms/package.json")
        .is_file()
    {
        std::fs::create_dir_all(&node_dir).expect("create the node folder");
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                .arg(&node_dir)
                .arg("@logto/connector-http-sms@0.2.1"),
            "npm install @logto/connector-http-sms",
        );
    }
    std::fs::write(node_dir.join("logto-send.mjs"), LOGTO_SEND).expect("write the Logto driver");
    let tools = Arc::new(Tools { python, node_dir });
    *slot = Some(tools.clone());
    tools
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `program args` with `input` on stdin; its stdout, trimmed.
fn pipe(program: &Path, args: &[&str], input: &str) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("run {}: {error}", program.display()));
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Supabase's `webhook-signature` for `body`: the `standardwebhooks`
/// package's signature with each secret, joined by `", "` as Supabase does.
pub fn standard_webhooks_signature(tools: &Tools, secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    const SCRIPT: &str = r#"
import json, sys
from datetime import datetime, timezone
from standardwebhooks.webhooks import Webhook
job = json.load(sys.stdin)
when = datetime.fromtimestamp(job["timestamp"], tz=timezone.utc)
signatures = []
for secret in job["secrets"]:
    # Supabase strips the "v1," of each configured secret, then signs.
    secret = secret[3:] if secret.startswith("v1,") else secret
    signatures.append(Webhook(secret).sign(job["id"], when, job["body"]))
print(", ".join(signatures))
"#;
    let job = serde_json::json!({"secrets": secrets, "id": id, "timestamp": timestamp, "body": body});
    pipe(&tools.python, &["-c", SCRIPT], &job.to_string())
}

/// `ZITADEL-Signature` for `body`, computed with Python's `hmac`.
pub fn zitadel_signature(tools: &Tools, key: &str, timestamp: i64, body: &str) -> String {
    const SCRIPT: &str = r#"
import hashlib, hmac, json, sys
job = json.load(sys.stdin)
payload = f"{job['timestamp']}.{job['body']}".encode()
print(f"t={job['timestamp']},v1=" + hmac.new(job["key"].encode(), payload, hashlib.sha256).hexdigest())
"#;
    let job = serde_json::json!({"key": key, "timestamp": timestamp, "body": body});
    pipe(&tools.python, &["-c", SCRIPT], &job.to_string())
}

/// What Logto's HTTP SMS connector made of one `sendMessage`.
#[derive(Debug, Clone)]
pub struct LogtoOutcome {
    /// Whether it resolved (a 2xx).
    pub ok: bool,
    /// The `ConnectorError` code on failure (`general`).
    pub code: Option<String>,
    /// The `ConnectorError` data: Logto's raw response body on failure.
    pub data: Option<String>,
}

/// Runs `@logto/connector-http-sms`'s `sendMessage(data, {endpoint,
/// authorization})` in node, as Logto does.
pub fn logto_send(tools: &Tools, endpoint: &str, authorization: &str, data: &serde_json::Value) -> LogtoOutcome {
    let job = serde_json::json!({"endpoint": endpoint, "authorization": authorization, "data": data});
    let script = tools.node_dir.join("logto-send.mjs");
    let dir = tools.node_dir.display().to_string();
    let out = pipe(
        Path::new("node"),
        &[&script.display().to_string(), &dir],
        &job.to_string(),
    );
    let value: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("node printed {out}"));
    let text = |field: &str| match &value[field] {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    };
    LogtoOutcome {
        ok: value["ok"] == true,
        code: text("code"),
        data: text("data"),
    }
}

const LOGTO_SEND: &str = r#"
const dir = process.argv[2];
const { default: createConnector } = await import(`${dir}/node_modules/@logto/connector-http-sms/lib/index.js`);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);
const connector = await createConnector({ getConfig: async () => ({}) });
try {
  await connector.sendMessage(job.data, { endpoint: job.endpoint, authorization: job.authorization });
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, code: error.code ?? null, data: error.data ?? error.message }));
}
"#;
