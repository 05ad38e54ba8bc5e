//! The `smshost` command line: list and inspect plugins, send one SMS.
//!
//! Exit codes: 0 sent (or listed); 2 usage or input error (bad flags,
//! unreadable file, bad phone number, unknown usage type); 3 config refused
//! (`invalid_config`, `template_not_found`); 4 plugin problem (not found,
//! failed to load, trapped or hit a limit); 5 the provider or connector
//! reported a delivery failure. Failures print one line on stderr naming the
//! error code. Secrets never reach the output.

use crate::{
    ConnectorConfig, Error, HostBuilder, Limits, OriginOverride, OutgoingMessage, PhoneNumber, Plugin, UsageType,
};
use clap::{Parser, Subcommand};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "smshost",
    version,
    about = "Send one-time-passcode SMS through WebAssembly connector plugins"
)]
pub struct Cli {
    /// Folder holding plugin `.wasm` files.
    #[arg(long, global = true, env = "SMSHOST_PLUGIN_DIR", default_value = "plugins")]
    plugin_dir: PathBuf,
    /// Cache compiled plugins here, so later runs skip compiling
    /// (seconds for Python or JavaScript plugins).
    #[arg(long, global = true, env = "SMSHOST_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Log what the host does (to stderr); `-vv` for debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the plugins in a folder, one line each: id, name, version, file.
    Plugins {
        /// The folder (default: --plugin-dir).
        dir: Option<PathBuf>,
    },
    /// Show a plugin's metadata, network hosts and config schema (JSON).
    Inspect {
        /// A `.wasm` file, or a connector id found in the plugin folder.
        plugin: String,
    },
    /// Send one SMS and print the receipt (JSON).
    Send(Box<SendArgs>),
}

#[derive(Debug, clap::Args)]
struct SendArgs {
    /// A `.wasm` file, or a connector id found in the plugin folder.
    #[arg(long)]
    plugin: String,
    /// The connector config (Logto's JSON format).
    #[arg(long)]
    config: PathBuf,
    /// Recipient: `+4520123456` or Logto's digits-only `4520123456`.
    #[arg(long)]
    to: String,
    /// Usage type: SignIn, Register, ForgotPassword, Generic, ...
    #[arg(long)]
    usage: String,
    /// The one-time code.
    #[arg(long)]
    code: String,
    /// The user's locale (`en`, `fr-CA`).
    #[arg(long)]
    locale: Option<String>,
    /// Extra payload variables as a JSON object.
    #[arg(long)]
    payload: Option<String>,
    /// The end user's IP address.
    #[arg(long)]
    ip: Option<String>,
    /// Route an origin elsewhere, e.g. `https://api.twilio.com=http://127.0.0.1:9000`.
    #[arg(long = "override-origin", value_name = "FROM=TO")]
    override_origin: Vec<String>,
    /// Wall-clock limit for the whole send, in seconds.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
}

/// A failure with its exit code.
struct Failure {
    exit: u8,
    line: String,
}

impl Failure {
    fn usage(line: impl Into<String>) -> Self {
        Failure {
            exit: 2,
            line: line.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let exit = match &error {
            Error::InvalidRequest(_) | Error::Io { .. } | Error::Setup(_) => 2,
            Error::InvalidConfig { .. } => 3,
            Error::Connector { error: inner, .. }
                if matches!(
                    inner.code,
                    crate::ErrorCode::InvalidConfig | crate::ErrorCode::TemplateNotFound
                ) =>
            {
                3
            }
            Error::Load { .. } | Error::UnknownPlugin(_) | Error::Plugin { .. } | Error::NoActiveConnector => 4,
            Error::Connector { .. } => 5,
        };
        let text = error.to_string();
        let line = if text.contains(error.code()) {
            text
        } else {
            format!("{}: {text}", error.code())
        };
        Failure { exit, line }
    }
}

/// Parses the process arguments and runs; the binary's whole `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("smshost: error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("smshost: error: {}", failure.line);
            ExitCode::from(failure.exit)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "off",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SMSHOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let mut builder = HostBuilder::new();
    if let Some(dir) = &cli.cache_dir {
        builder = builder.cache_dir(dir);
    }
    match cli.command {
        Command::Plugins { dir } => list(builder, dir.as_deref().unwrap_or(&cli.plugin_dir)).await,
        Command::Inspect { plugin } => inspect(builder, &cli.plugin_dir, &plugin).await,
        Command::Send(args) => send(builder, &cli.plugin_dir, *args).await,
    }
}

async fn list(builder: HostBuilder, dir: &Path) -> Result<(), Failure> {
    let host = builder.build()?;
    let report = host.load_dir(dir).await?;
    for error in &report.failed {
        eprintln!("smshost: warning: {error}");
    }
    if report.loaded.is_empty() {
        eprintln!("smshost: no plugins in {}", dir.display());
    }
    for plugin in &report.loaded {
        let meta = plugin.metadata();
        println!(
            "{}\t{}\t{}\t{}",
            meta.id,
            meta.name,
            meta.version,
            plugin.file().display()
        );
    }
    Ok(())
}

async fn inspect(builder: HostBuilder, dir: &Path, name: &str) -> Result<(), Failure> {
    let host = builder.build()?;
    let plugin = resolve(&host, dir, name).await?;
    let meta = plugin.metadata();
    let shown = json!({
        "id": meta.id,
        "name": meta.name,
        "description": meta.description,
        "version": meta.version,
        "contract": plugin.contract(),
        "file": plugin.file().display().to_string(),
        "uses_templates": meta.uses_templates,
        "network_hosts": meta.network_hosts,
        "secret_fields": plugin.secret_fields(),
        "config_schema": meta.config_schema,
        "load_ms": plugin.load_time().as_secs_f64() * 1000.0,
    });
    println!("{}", serde_json::to_string_pretty(&shown).unwrap_or_default());
    Ok(())
}

async fn send(builder: HostBuilder, dir: &Path, args: SendArgs) -> Result<(), Failure> {
    let usage: UsageType = args
        .usage
        .parse()
        .map_err(|error| Failure::usage(format!("invalid_request_parameters: {error}")))?;
    let to =
        PhoneNumber::parse(&args.to).map_err(|error| Failure::usage(format!("invalid_request_parameters: {error}")))?;
    let extra = match &args.payload {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(Failure::usage("--payload must be a JSON object")),
            Err(error) => return Err(Failure::usage(format!("--payload is not valid JSON: {error}"))),
        },
    };
    let config_text = std::fs::read_to_string(&args.config)
        .map_err(|error| Failure::usage(format!("cannot read config {}: {error}", args.config.display())))?;
    let config = ConnectorConfig::parse(&config_text).map_err(|reason| Failure {
        exit: 3,
        line: format!("invalid_config: {}: {reason}", args.config.display()),
    })?;
    let mut limits = Limits::default();
    if let Some(seconds) = args.timeout {
        let timeout = Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|timeout| !timeout.is_zero())
            .ok_or_else(|| Failure::usage("--timeout must be a positive number of seconds"))?;
        limits.send_timeout = timeout;
        limits.http_timeout = limits.http_timeout.min(timeout);
    }
    let mut builder = builder.limits(limits);
    for pair in &args.override_origin {
        builder = builder.override_origin(OriginOverride::parse_pair(pair)?);
    }
    let host = builder.build()?;
    let plugin = resolve(&host, dir, &args.plugin).await?;
    host.activate(plugin.id(), config).await?;
    let mut message = OutgoingMessage::new(to, usage, args.code).with_payload(extra);
    if let Some(locale) = args.locale {
        message = message.with_locale(locale);
    }
    if let Some(ip) = args.ip {
        message = message.with_client_ip(ip);
    }
    let receipt = host.send(&message).await?;
    println!("{}", serde_json::to_string_pretty(&receipt).unwrap_or_default());
    Ok(())
}

/// A `.wasm` path, or an id looked up among the folder's plugins. Either
/// way a plugin that cannot be had is exit 4, with the reason.
async fn resolve(host: &crate::Host, dir: &Path, name: &str) -> Result<Plugin, Failure> {
    let not_found = |line: String| Failure {
        exit: 4,
        line: format!("plugin_not_found: {line}"),
    };
    let path = Path::new(name);
    if name.ends_with(".wasm") || path.is_file() {
        return host.load_file(path).await.map_err(|error| match error {
            Error::Io { .. } => not_found(error.to_string()),
            other => other.into(),
        });
    }
    let report = host.load_dir(dir).await.map_err(|error| match error {
        Error::Io { .. } => not_found(format!(
            "`{name}` is not a file and the plugin folder cannot be read: {error}"
        )),
        other => other.into(),
    })?;
    match host.plugin(name) {
        Some(plugin) => Ok(plugin),
        None => {
            let known: Vec<&str> = report.loaded.iter().map(|plugin| plugin.id()).collect();
            let mut line = format!(
                "no plugin `{name}` in {} (found: {})",
                dir.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
            // The wanted plugin may be among the files that failed to load.
            for error in &report.failed {
                line.push_str(&format!("; {error}"));
            }
            Err(not_found(line))
        }
    }
}
