//! The embedding API: build a [`Host`], load plugins, activate exactly one
//! SMS connector with its config, and send.

use crate::bindings::wit;
use crate::compile_cache::CompileCache;
use crate::config::{ConnectorConfig, Redactor};
use crate::engine::{self, Limits};
use crate::error::{ConnectorError, Error, ErrorCode, Result};
use crate::http::{HttpCapability, OriginOverride};
use crate::message::OutgoingMessage;
use crate::plugin::{self, Plugin};
use crate::sandbox::{self, Sandbox, SendState};
use crate::template;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use wasmtime::Engine;
use wasmtime::component::Linker;

/// Builds a [`Host`]. Consumed by [`HostBuilder::build`].
#[derive(Debug, Default)]
pub struct HostBuilder {
    limits: Limits,
    overrides: Vec<OriginOverride>,
    cache_dir: Option<PathBuf>,
    network: crate::NetworkPolicy,
}

impl HostBuilder {
    /// Default limits, no overrides, no compilation cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the per-send limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Routes requests for one origin elsewhere (a sandbox or a mock).
    pub fn override_origin(mut self, route: OriginOverride) -> Self {
        self.overrides.push(route);
        self
    }

    /// What requests may reach beyond the allowlists (private networks,
    /// plain HTTP); the default grants neither.
    pub fn network_policy(mut self, policy: crate::NetworkPolicy) -> Self {
        self.network = policy;
        self
    }

    /// Caches compiled plugins in `dir` (the host's own cache, keyed and
    /// verified by SHA-256; see [`crate::compile_cache`]), so restarts skip
    /// compiling. `build` refuses a folder writable by group or others.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Creates the engine, the epoch ticker and the shared HTTP client.
    pub fn build(self) -> Result<Host> {
        let engine = engine::build_engine()
            .map_err(|error| Error::Setup(format!("cannot create the WebAssembly engine: {error:#}")))?;
        let cache = match &self.cache_dir {
            Some(dir) => Some(Arc::new(CompileCache::open(dir, &engine).map_err(Error::Setup)?)),
            None => None,
        };
        let linker = sandbox::linker(&engine)
            .map_err(|error| Error::Setup(format!("cannot link the host interfaces: {error:#}")))?;
        let http = HttpCapability::new(self.overrides, self.network, &self.limits)?;
        Ok(Host {
            engine,
            linker: Arc::new(linker),
            http: Arc::new(http),
            limits: self.limits,
            cache,
            plugins: RwLock::new(BTreeMap::new()),
            active: RwLock::new(None),
        })
    }
}

/// Loads SMS connector plugins and sends through the active one.
///
/// Share it behind an `Arc`; every method takes `&self`. Each send runs in
/// a fresh, limited sandbox, so a plugin that traps, loops or eats memory
/// fails that send alone.
pub struct Host {
    engine: Engine,
    linker: Arc<Linker<SendState>>,
    http: Arc<HttpCapability>,
    limits: Limits,
    cache: Option<Arc<CompileCache>>,
    plugins: RwLock<BTreeMap<String, Plugin>>,
    active: RwLock<Option<Arc<ActiveConnector>>>,
}

/// The one connector sends go through, with its checked config.
struct ActiveConnector {
    plugin: Plugin,
    config: ConnectorConfig,
    sandbox: Sandbox,
}

/// The outcome of loading a folder: what loaded and what was refused.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Plugins now available.
    pub loaded: Vec<Plugin>,
    /// Files refused, each with its reason. They do not stop the others.
    pub failed: Vec<Error>,
}

/// A successful send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The connector that sent it.
    pub connector: String,
    /// The recipient, redacted for logs (`+45******56`).
    pub to: String,
    /// The provider's message id, when it returns one.
    pub provider_message_id: Option<String>,
    /// Provider facts the connector reported (status, segments, cost...).
    pub summary: BTreeMap<String, String>,
    /// Time from the call to the receipt, in milliseconds.
    pub elapsed_ms: u64,
}

impl Host {
    /// A host with default settings.
    pub fn new() -> Result<Self> {
        HostBuilder::new().build()
    }

    /// The per-send limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads a plugin file. A second plugin with an already loaded id is
    /// refused.
    pub async fn load_file(&self, path: impl AsRef<Path>) -> Result<Plugin> {
        let path = path.as_ref();
        let bytes = plugin::read_plugin_file(path, self.limits.max_plugin_bytes).await?;
        self.load_bytes(path, bytes).await
    }

    /// Loads a plugin from bytes; `name` stands for the file in messages.
    pub async fn load_bytes(&self, name: impl AsRef<Path>, bytes: Vec<u8>) -> Result<Plugin> {
        let file = name.as_ref().to_path_buf();
        let plugin = plugin::load(
            &self.engine,
            &self.linker,
            &self.http,
            &self.limits,
            self.cache.clone(),
            file.clone(),
            bytes,
        )
        .await?;
        let mut plugins = self.plugins.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(existing) = plugins.get(plugin.id()) {
            return Err(Error::Load {
                file,
                reason: format!(
                    "its id `{}` is already taken by {}",
                    plugin.id(),
                    existing.file().display()
                ),
            });
        }
        plugins.insert(plugin.id().to_string(), plugin.clone());
        tracing::info!(
            plugin = plugin.label(),
            file = %plugin.file().display(),
            load_ms = plugin.load_time().as_millis() as u64,
            "loaded plugin"
        );
        Ok(plugin)
    }

    /// Loads every `*.wasm` file in `dir` (not recursive, in name order).
    /// A broken file is reported in [`LoadReport::failed`] and skipped.
    pub async fn load_dir(&self, dir: impl AsRef<Path>) -> Result<LoadReport> {
        let dir = dir.as_ref();
        let io = |error: std::io::Error| Error::Io {
            path: dir.to_path_buf(),
            reason: error.to_string(),
        };
        let mut files = Vec::new();
        let mut entries = tokio::fs::read_dir(dir).await.map_err(io)?;
        while let Some(entry) = entries.next_entry().await.map_err(io)? {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "wasm") {
                files.push(path);
            }
        }
        files.sort();
        let mut report = LoadReport::default();
        for file in files {
            match self.load_file(&file).await {
                Ok(plugin) => report.loaded.push(plugin),
                Err(error) => {
                    tracing::warn!(%error, "skipped plugin");
                    report.failed.push(error);
                }
            }
        }
        Ok(report)
    }

    /// The loaded plugins, by id.
    pub fn plugins(&self) -> Vec<Plugin> {
        self.plugins
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// A loaded plugin by id.
    pub fn plugin(&self, id: &str) -> Option<Plugin> {
        self.plugins
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }

    /// Checks `config` for `plugin`: a JSON object, Logto's `templates` rule
    /// for template-based connectors, usable config-url fields, then the
    /// plugin's own validation.
    pub async fn validate_config(&self, plugin: &Plugin, config: &ConnectorConfig) -> Result<()> {
        self.validated(plugin, config).await.map(drop)
    }

    /// Validates `config` and returns the sandbox sends with it will use.
    async fn validated(&self, plugin: &Plugin, config: &ConnectorConfig) -> Result<Sandbox> {
        let sandbox = self.sandbox_for(plugin, config)?;
        let text = config.as_json().to_string();
        let verdict = sandbox
            .run(plugin.pre(), sandbox.redactor.clone(), |instance, store| {
                Box::pin(async move {
                    instance
                        .smshost_connector_connector()
                        .call_validate_config(store, &text)
                        .await
                })
            })
            .await
            .map_err(|failure| Error::Plugin {
                plugin: plugin.label().to_string(),
                failure,
            })?;
        match verdict {
            Ok(()) => Ok(sandbox),
            Err(error) => {
                let error = redact(ConnectorError::from(error), &sandbox.redactor);
                Err(match error.code {
                    ErrorCode::InvalidConfig => plugin.invalid_config(error.message),
                    _ => Error::Connector {
                        plugin: plugin.label().to_string(),
                        error,
                    },
                })
            }
        }
    }

    /// Makes `plugin_id` the one active SMS connector with `config`, after
    /// validating it. Replaces any previously active connector (Logto's
    /// rule); a config that fails validation leaves the old one active.
    pub async fn activate(&self, plugin_id: &str, config: ConnectorConfig) -> Result<()> {
        let plugin = self
            .plugin(plugin_id)
            .ok_or_else(|| Error::UnknownPlugin(plugin_id.to_string()))?;
        let sandbox = self.validated(&plugin, &config).await?;
        let active = ActiveConnector {
            plugin,
            config,
            sandbox,
        };
        let previous = self
            .active
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .replace(Arc::new(active));
        match previous {
            Some(previous) if previous.plugin.id() != plugin_id => {
                tracing::info!(
                    replaced = previous.plugin.label(),
                    active = plugin_id,
                    "switched the active SMS connector"
                )
            }
            _ => tracing::info!(active = plugin_id, "activated the SMS connector"),
        }
        Ok(())
    }

    /// Turns the active connector off; sends then fail with
    /// [`Error::NoActiveConnector`].
    pub fn deactivate(&self) {
        self.active
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }

    /// The active connector's plugin, if any.
    pub fn active(&self) -> Option<Plugin> {
        self.active_connector().map(|active| active.plugin.clone())
    }

    fn active_connector(&self) -> Option<Arc<ActiveConnector>> {
        self.active
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Sends one message through the active connector.
    pub async fn send(&self, message: &OutgoingMessage) -> Result<Receipt> {
        let active = self.active_connector().ok_or(Error::NoActiveConnector)?;
        self.send_prepared(&active, message).await
    }

    async fn send_prepared(&self, active: &ActiveConnector, message: &OutgoingMessage) -> Result<Receipt> {
        let started = Instant::now();
        let plugin = &active.plugin;
        let template = if plugin.metadata().uses_templates {
            let entry =
                template::select(active.config.templates(), message.usage, message.locale()).ok_or_else(|| {
                    Error::Connector {
                        plugin: plugin.label().to_string(),
                        error: ConnectorError::new(
                            ErrorCode::TemplateNotFound,
                            format!("Cannot find template for type: {}", message.usage),
                        ),
                    }
                })?;
            let rendered = template::render_entry(entry, &message.payload);
            Some(serde_json::Value::Object(rendered).to_string())
        } else {
            None
        };
        let wit_message = wit::Message {
            to: message.to.as_str().to_string(),
            usage: message.usage.into(),
            template,
            code: message.code().to_string(),
            locale: message.locale().map(str::to_string),
            payload: serde_json::Value::Object(message.payload.clone()).to_string(),
            client_ip: message.client_ip.clone(),
        };
        let config = active.config.as_json().to_string();
        let masks = Arc::new(active.sandbox.redactor.for_message(message.code(), &message.to));
        let outcome = active
            .sandbox
            .run(plugin.pre(), masks.clone(), |instance, store| {
                Box::pin(async move {
                    instance
                        .smshost_connector_connector()
                        .call_send(store, &config, &wit_message)
                        .await
                })
            })
            .await;
        let elapsed = started.elapsed();
        let to = message.to.redacted();
        let result = match outcome {
            Err(failure) => Err(Error::Plugin {
                plugin: plugin.label().to_string(),
                failure,
            }),
            Ok(Err(error)) => Err(Error::Connector {
                plugin: plugin.label().to_string(),
                error: redact(ConnectorError::from(error), &masks),
            }),
            Ok(Ok(receipt)) => {
                let (provider_message_id, summary) = masks.receipt(receipt.provider_message_id, receipt.summary);
                Ok(Receipt {
                    connector: plugin.id().to_string(),
                    to: to.clone(),
                    provider_message_id,
                    summary,
                    elapsed_ms: elapsed.as_millis() as u64,
                })
            }
        };
        match &result {
            Ok(receipt) => tracing::info!(
                plugin = plugin.label(),
                %to,
                usage = %message.usage,
                provider_message_id = receipt.provider_message_id.as_deref().unwrap_or(""),
                elapsed_ms = receipt.elapsed_ms,
                "sent"
            ),
            Err(error) => {
                tracing::warn!(plugin = plugin.label(), %to, usage = %message.usage, code = error.code(), %error, "send failed")
            }
        }
        result
    }

    fn sandbox_for(&self, plugin: &Plugin, config: &ConnectorConfig) -> Result<Sandbox> {
        if plugin.metadata().uses_templates {
            let templates = config.as_object().get("templates");
            template::check_templates(templates).map_err(|reason| plugin.invalid_config(reason))?;
        }
        let allowed = plugin.allowed_hosts(config)?;
        Ok(Sandbox {
            engine: self.engine.clone(),
            limits: self.limits.clone(),
            http: self.http.clone(),
            allowed: Arc::new(allowed),
            redactor: Arc::new(Redactor::new(config, plugin.secret_fields())),
            plugin: plugin.label_arc(),
        })
    }
}

fn redact(error: ConnectorError, redactor: &Redactor) -> ConnectorError {
    redactor.connector_error(error)
}
