//! The `smshost` command line: list and inspect plugins, send one SMS,
//! run the daemon (`serve`), manage tokens, and the client commands that
//! configure a running daemon over its API.
//!
//! Exit codes: 0 sent (or listed); 2 usage or input error (bad flags,
//! unreadable file, bad phone number, unknown usage type); 3 config refused
//! (`invalid_config`, `template_not_found`); 4 plugin problem (not found,
//! failed to load, trapped or hit a limit); 5 the provider or connector
//! reported a delivery failure. Failures print one line on stderr naming the
//! error code. Secrets never reach the output.

use crate::settings::{LogFormat, Overrides, Settings};
use clap::{Parser, Subcommand};
use serde_json::{Map, Value, json};
use smshost::{
    ConnectorConfig, Error, ErrorCode, Limits, OriginOverride, OutgoingMessage, PhoneNumber, Plugin, Runtime,
    RuntimeBuilder, UsageType,
};
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
pub(crate) struct Cli {
    /// Folder holding plugin `.wasm` files [default: plugins].
    #[arg(long, global = true, env = "SMSHOST_PLUGIN_DIR")]
    plugin_dir: Option<PathBuf>,
    /// Cache compiled plugins here, so later runs skip compiling
    /// (seconds for Python or JavaScript plugins).
    #[arg(long, global = true, env = "SMSHOST_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Let plugins reach loopback and private addresses (a gateway on your
    /// own network); refused by default.
    #[arg(long, global = true, env = "SMSHOST_ALLOW_PRIVATE_NETWORKS")]
    allow_private_networks: bool,
    /// Let plugins use plain `http://` origins; refused by default.
    #[arg(long, global = true, env = "SMSHOST_ALLOW_HTTP")]
    allow_http: bool,
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
    /// Send one SMS with a config file and print the receipt (JSON).
    Send(Box<SendArgs>),
    /// Run the conformance checklist on a plugin: contract, metadata, config
    /// schema, validation, and sends to a recording mock that fails on purpose.
    Check(crate::check::CheckArgs),
    /// Create a new connector project that builds and passes `smshost check`.
    New(crate::scaffold::NewArgs),
    /// Run the daemon: admin API, store, rate limits, hot reload.
    Serve(Box<ServeArgs>),
    /// Manage API tokens in the store (works while the daemon runs).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Generate a 32-byte key (for SMSHOST_SECRET_KEY or export keys).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Show, set, test or delete a tenant's active SMS connector (over the API).
    #[command(subcommand)]
    Connector(crate::client::ConnectorCommand),
    /// Print a tenant's configuration as a JSON document (over the API).
    Export(crate::client::ExportArgs),
    /// Load a document from `smshost export` into a tenant (over the API).
    Import(crate::client::ImportArgs),
    /// List a tenant's recent sends (over the API).
    Messages(crate::client::MessagesArgs),
}

/// Where the store is, for commands that open it directly.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// Settings file (TOML); flags and SMSHOST_* variables win over it.
    #[arg(long, env = "SMSHOST_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data folder: the SQLite store, the secret key, the compile cache
    /// [default: smshost-data].
    #[arg(long, env = "SMSHOST_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The store: a `postgres://` URL or an SQLite file [default: DATA_DIR/smshost.db].
    #[arg(long, env = "SMSHOST_STORE", value_name = "URL")]
    store: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8787].
    #[arg(long, env = "SMSHOST_LISTEN", value_name = "ADDR")]
    listen: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
    /// Log format.
    #[arg(long, env = "SMSHOST_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Route an origin elsewhere, e.g. `https://api.twilio.com=http://127.0.0.1:9000`.
    #[arg(long = "override-origin", value_name = "FROM=TO")]
    override_origin: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token and print it once (admin unless --tenant).
    Create {
        /// Limit the token to this tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// What the token is for.
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens (ids, tenants, labels; never the tokens).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by its id (`tok_…`).
    Revoke {
        /// The token's id, as `token list` shows it.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Print a new random key as base64.
    Generate,
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

    /// A client command's failure: exit 1, the API's code and message.
    fn client(line: String) -> Self {
        Failure { exit: 1, line }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let exit = match &error {
            Error::InvalidRequest(_) | Error::Io { .. } | Error::Setup(_) => 2,
            Error::InvalidConfig { .. } => 3,
            Error::Connector { error: inner, .. }
                if matches!(inner.code, ErrorCode::InvalidConfig | ErrorCode::TemplateNotFound) =>
            {
                3
            }
            Error::Load { .. } | Error::UnknownPlugin(_) | Error::Plugin { .. } => 4,
            Error::Connector { .. } | Error::Busy(_) => 5,
            _ => 1,
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
    // The daemon starts logging once its settings (which may name the
    // format) are read.
    match cli.command {
        Command::Serve(_) => {}
        // The check also listens for the host's denied-request warnings.
        Command::Check(_) => crate::check::init_logging(cli.verbose),
        _ => init_logging(cli.verbose, None),
    }
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

/// Logs go to stderr. The daemon logs at `info` by default, the one-shot
/// commands only with `-v`; `SMSHOST_LOG` (an `EnvFilter`) overrides both.
fn init_logging(verbose: u8, serving: Option<LogFormat>) {
    let default = match (verbose, serving) {
        (0, None) => "off",
        (0 | 1, _) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SMSHOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a terminal: a log file or collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match serving {
        Some(LogFormat::Json) => builder.json().flatten_event(true).try_init(),
        _ => builder.try_init(),
    };
}

fn settings(plugin_dir: Option<PathBuf>, store: &StoreArgs, overrides: Overrides) -> Result<Settings, Failure> {
    let overrides = Overrides {
        plugin_dir,
        data_dir: store.data_dir.clone(),
        store: store.store.clone(),
        ..overrides
    };
    Settings::resolve(store.config.as_deref(), overrides).map_err(Failure::usage)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let network = smshost::NetworkPolicy {
        allow_private_networks: cli.allow_private_networks,
        allow_http: cli.allow_http,
    };
    let mut builder = RuntimeBuilder::new().network_policy(network);
    if let Some(dir) = &cli.cache_dir {
        builder = builder.cache_dir(crate::settings::absolute_dir(dir, "cache folder").map_err(Failure::usage)?);
    }
    let plugin_dir = cli
        .plugin_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::settings::DEFAULT_PLUGIN_DIR));
    match cli.command {
        Command::Plugins { dir } => list(builder, dir.as_deref().unwrap_or(&plugin_dir)).await,
        Command::Inspect { plugin } => inspect(builder, &plugin_dir, &plugin).await,
        Command::Send(args) => send(builder, &plugin_dir, *args).await,
        Command::Check(args) => crate::check::run(args, cli.cache_dir)
            .await
            .map_err(|line| Failure { exit: 1, line }),
        Command::New(args) => crate::scaffold::run(args).map_err(Failure::usage),
        Command::Serve(args) => {
            let ServeArgs {
                listen,
                store,
                log_format,
                override_origin,
            } = *args;
            let overrides = Overrides {
                listen,
                cache_dir: cli.cache_dir,
                log_format,
                override_origin,
                allow_private_networks: cli.allow_private_networks,
                allow_http: cli.allow_http,
                ..Overrides::default()
            };
            let settings = settings(cli.plugin_dir, &store, overrides)?;
            init_logging(cli.verbose, Some(settings.log_format));
            crate::server::serve(settings)
                .await
                .map_err(|line| Failure { exit: 1, line })
        }
        Command::Token(command) => token(command).await,
        Command::Key(KeyCommand::Generate) => {
            println!("{}", crate::secrets::SecretKey::generate_text());
            Ok(())
        }
        Command::Connector(command) => crate::client::connector(command).await.map_err(Failure::client),
        Command::Export(args) => crate::client::export(args).await.map_err(Failure::client),
        Command::Import(args) => crate::client::import(args).await.map_err(Failure::client),
        Command::Messages(args) => crate::client::messages(args).await.map_err(Failure::client),
    }
}

async fn token(command: TokenCommand) -> Result<(), Failure> {
    let store_args = match &command {
        TokenCommand::Create { store, .. } | TokenCommand::List { store } | TokenCommand::Revoke { store, .. } => {
            store.clone()
        }
    };
    let settings = settings(None, &store_args, Overrides::default())?;
    let store = crate::server::open_store(&settings)
        .await
        .map_err(|line| Failure { exit: 1, line })?;
    let failed = |error: smshost_store::StoreError| Failure {
        exit: 1,
        line: format!("store_unavailable: {error}"),
    };
    match command {
        TokenCommand::Create { tenant, label, .. } => {
            if let Some(tenant) = &tenant {
                crate::tenants::check_tenant(tenant).map_err(|error| Failure::usage(error.message))?;
            }
            let (token, record) = crate::auth::create(&*store, tenant.as_deref(), &label, None)
                .await
                .map_err(failed)?;
            eprintln!(
                "smshost: created token {} for {} (shown only now; keep it):",
                record.id,
                tenant
                    .as_deref()
                    .map(|t| format!("tenant `{t}`"))
                    .unwrap_or_else(|| "admin".into())
            );
            println!("{token}");
        }
        TokenCommand::List { .. } => {
            for record in store.tokens().await.map_err(failed)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    record.id,
                    record.tenant.as_deref().unwrap_or("(admin)"),
                    record.created_at_unix_ms,
                    record.label
                );
            }
        }
        TokenCommand::Revoke { id, .. } => {
            if !store.revoke_token(&id).await.map_err(failed)? {
                return Err(Failure::usage(format!("no active token with id `{id}`")));
            }
            eprintln!("smshost: revoked {id}");
        }
    }
    Ok(())
}

async fn list(builder: RuntimeBuilder, dir: &Path) -> Result<(), Failure> {
    let runtime = builder.build()?;
    let report = runtime.load_dir(dir).await?;
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

async fn inspect(builder: RuntimeBuilder, dir: &Path, name: &str) -> Result<(), Failure> {
    let runtime = builder.build()?;
    let plugin = resolve(&runtime, dir, name).await?;
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
        "readme": meta.readme,
        "has_logo": meta.logo.is_some(),
        "example_config": meta.example_config,
        "load_ms": plugin.load_time().as_secs_f64() * 1000.0,
    });
    println!("{}", serde_json::to_string_pretty(&shown).unwrap_or_default());
    Ok(())
}

async fn send(builder: RuntimeBuilder, dir: &Path, args: SendArgs) -> Result<(), Failure> {
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
    let runtime = builder.build()?;
    let plugin = resolve(&runtime, dir, &args.plugin).await?;
    let connector = runtime.connector_for(plugin, config).await?;
    let mut message = OutgoingMessage::new(to, usage, args.code).with_payload(extra);
    if let Some(locale) = args.locale {
        message = message.with_locale(locale);
    }
    if let Some(ip) = args.ip {
        message = message.with_client_ip(ip);
    }
    let receipt = connector.send(&message).await?;
    println!("{}", serde_json::to_string_pretty(&receipt).unwrap_or_default());
    Ok(())
}

/// A `.wasm` path, or an id looked up among the folder's plugins. Either
/// way a plugin that cannot be had is exit 4, with the reason.
async fn resolve(runtime: &Runtime, dir: &Path, name: &str) -> Result<Plugin, Failure> {
    let not_found = |line: String| Failure {
        exit: 4,
        line: format!("plugin_not_found: {line}"),
    };
    let path = Path::new(name);
    if name.ends_with(".wasm") || path.is_file() {
        return runtime.load_file(path).await.map_err(|error| match error {
            Error::Io { .. } => not_found(error.to_string()),
            other => other.into(),
        });
    }
    let report = runtime.load_dir(dir).await.map_err(|error| match error {
        Error::Io { .. } => not_found(format!(
            "`{name}` is not a file and the plugin folder cannot be read: {error}"
        )),
        other => other.into(),
    })?;
    match runtime.plugin(name) {
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
