//! The CLI's client commands: configure a running daemon over its admin
//! API, so a self-hoster never needs curl. Each prints the API's JSON
//! answer on stdout; a refusal prints its `code: message` and exits 1.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Where the daemon is and who is asking.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ClientArgs {
    /// The daemon's address.
    #[arg(long, env = "SMSHOST_URL", default_value = "http://127.0.0.1:8787")]
    url: String,
    /// An API token (`smsh_…`).
    #[arg(long, env = "SMSHOST_TOKEN", hide_env_values = true)]
    token: String,
    /// The tenant.
    #[arg(long, default_value = "default")]
    tenant: String,
}

/// `smshost connector …`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ConnectorCommand {
    /// Show the active connector (secrets masked).
    Show(ClientArgs),
    /// Validate and make a connector the active one.
    Set {
        #[command(flatten)]
        client: ClientArgs,
        /// The plugin id.
        #[arg(long)]
        plugin: String,
        /// The config file (Logto's JSON).
        #[arg(long)]
        config: PathBuf,
        /// Replace only if the active version is still this one.
        #[arg(long, value_name = "VERSION")]
        if_match: Option<i64>,
    },
    /// Send a test code (000000, Generic template) with an unsaved config.
    Test {
        #[command(flatten)]
        client: ClientArgs,
        /// The plugin id.
        #[arg(long)]
        plugin: String,
        /// The config file (Logto's JSON).
        #[arg(long)]
        config: PathBuf,
        /// The recipient.
        #[arg(long)]
        to: String,
        /// The locale of the test message.
        #[arg(long)]
        locale: Option<String>,
    },
    /// Delete the active connector: SMS sign-in stops working.
    Delete {
        #[command(flatten)]
        client: ClientArgs,
        /// The active connector's plugin id, to confirm.
        #[arg(long)]
        confirm: String,
    },
}

/// `smshost export`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Include secrets, encrypted to this key (`smshost key generate`);
    /// without it secrets are left out.
    #[arg(long, env = "SMSHOST_EXPORT_KEY", hide_env_values = true)]
    secrets_key: Option<String>,
}

/// `smshost import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// A document from `smshost export`.
    file: PathBuf,
    /// The key the export's secrets were encrypted to.
    #[arg(long, env = "SMSHOST_EXPORT_KEY", hide_env_values = true)]
    secrets_key: Option<String>,
}

/// `smshost messages`.
#[derive(Debug, clap::Args)]
pub(crate) struct MessagesArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// How many, newest first.
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

type Outcome = Result<(), String>;

fn read_json(path: &PathBuf) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("{} is not valid JSON: {error}", path.display()))
}

async fn call(
    client: &ClientArgs,
    method: Method,
    route: &str,
    body: Option<Value>,
    headers: &[(&str, String)],
) -> Result<Value, String> {
    let base = client.url.trim_end_matches('/');
    let url = format!("{base}/v1/tenants/{}{route}", client.tenant);
    let mut request = reqwest::Client::new().request(method, &url).bearer_auth(&client.token);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .map_err(|error| format!("cannot reach the daemon at {base}: {error}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|_| json!({"message": text}));
    if status.is_success() {
        return Ok(value);
    }
    let code = value["code"].as_str().unwrap_or(match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        _ => "error",
    });
    let message = value["message"].as_str().unwrap_or_default();
    Err(format!("{code}: {message} (HTTP {})", status.as_u16()))
}

fn print(value: &Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// Runs `smshost connector …`.
pub(crate) async fn connector(command: ConnectorCommand) -> Outcome {
    let value = match command {
        ConnectorCommand::Show(client) => call(&client, Method::GET, "/connectors/sms", None, &[]).await?,
        ConnectorCommand::Set {
            client,
            plugin,
            config,
            if_match,
        } => {
            let body = json!({"plugin": plugin, "config": read_json(&config)?});
            let headers: Vec<(&str, String)> = if_match.map(|v| ("if-match", format!("\"{v}\""))).into_iter().collect();
            call(&client, Method::PUT, "/connectors/sms", Some(body), &headers).await?
        }
        ConnectorCommand::Test {
            client,
            plugin,
            config,
            to,
            locale,
        } => {
            let body = json!({"plugin": plugin, "config": read_json(&config)?, "to": to, "locale": locale});
            call(&client, Method::POST, "/connectors/sms/test", Some(body), &[]).await?
        }
        ConnectorCommand::Delete { client, confirm } => {
            let route = format!("/connectors/sms?confirm={}", urlencode(&confirm));
            call(&client, Method::DELETE, &route, None, &[]).await?
        }
    };
    print(&value);
    Ok(())
}

/// Runs `smshost export`.
pub(crate) async fn export(args: ExportArgs) -> Outcome {
    let headers: Vec<(&str, String)> = args
        .secrets_key
        .map(|key| ("smshost-export-key", key))
        .into_iter()
        .collect();
    print(&call(&args.client, Method::GET, "/export", None, &headers).await?);
    Ok(())
}

/// Runs `smshost import`.
pub(crate) async fn import(args: ImportArgs) -> Outcome {
    let document = read_json(&args.file)?;
    let headers: Vec<(&str, String)> = args
        .secrets_key
        .map(|key| ("smshost-export-key", key))
        .into_iter()
        .collect();
    print(&call(&args.client, Method::POST, "/import", Some(document), &headers).await?);
    Ok(())
}

/// Runs `smshost messages`.
pub(crate) async fn messages(args: MessagesArgs) -> Outcome {
    let route = format!("/messages?limit={}", args.limit);
    print(&call(&args.client, Method::GET, &route, None, &[]).await?);
    Ok(())
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
