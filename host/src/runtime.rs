//! The shared runtime: one engine, one linker, one HTTP capability and the
//! plugin registry, built once per process and shared by every send.
//!
//! A [`Runtime`] compiles plugins and keeps them by id; it holds no config
//! and no "active" connector. Which connector a tenant uses is the caller's
//! policy (the daemon's store owns it): the runtime turns a plugin and a
//! config into a validated [`Connector`] handle, and the handle sends.
//!
//! Hot reload: [`Runtime::replace`] swaps the registry entry for an id.
//! A [`Connector`] holds its own [`Plugin`], so sends in flight — and
//! handles made before the swap — keep the version they started with.

use crate::compile_cache::CompileCache;
use crate::config::{ConnectorConfig, Redactor};
use crate::connector::Connector;
use crate::engine::{self, Allocation, BuiltEngine, LOAD_SLOTS, Limits};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpCapability, OriginOverride};
use crate::network::NetworkPolicy;
use crate::plugin::{self, Plugin};
use crate::sandbox::{self, Sandbox, SendState};
use crate::template;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::Linker;

/// Builds a [`Runtime`]; consumed by [`RuntimeBuilder::build`].
#[derive(Debug, Default)]
#[must_use]
pub struct RuntimeBuilder {
    limits: Limits,
    overrides: Vec<OriginOverride>,
    cache_dir: Option<PathBuf>,
    network: NetworkPolicy,
    allocation: Allocation,
}

impl RuntimeBuilder {
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
    pub fn network_policy(mut self, policy: NetworkPolicy) -> Self {
        self.network = policy;
        self
    }

    /// Caches compiled plugins in `dir` (the host's own cache, keyed and
    /// verified by SHA-256), so restarts skip compiling.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// How instances get their memory: [`Allocation::Auto`] (the default)
    /// pools them when the process can reserve the address space.
    pub fn allocation(mut self, allocation: Allocation) -> Self {
        self.allocation = allocation;
        self
    }

    /// Creates the engine, the epoch ticker, the linker and the shared HTTP
    /// client, and starts warming the phone-number metadata.
    pub fn build(self) -> Result<Runtime> {
        crate::phone::warm_up();
        let BuiltEngine { engine, pooling } = engine::build_engine(&self.limits, self.allocation)
            .map_err(|error| Error::Setup(format!("cannot create the WebAssembly engine: {error:#}")))?;
        let cache = match &self.cache_dir {
            Some(dir) => Some(Arc::new(CompileCache::open(dir, &engine).map_err(Error::Setup)?)),
            None => None,
        };
        let linker = sandbox::linker(&engine)
            .map_err(|error| Error::Setup(format!("cannot link the host interfaces: {error:#}")))?;
        let http = HttpCapability::new(self.overrides, self.network, &self.limits)?;
        let permits = self.limits.max_concurrent_sends.max(1);
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                engine,
                pooling,
                linker,
                http: Arc::new(http),
                cache,
                sandboxes: Arc::new(Semaphore::new(permits)),
                loads: Semaphore::new(LOAD_SLOTS),
                limits: self.limits,
                plugins: RwLock::new(BTreeMap::new()),
            }),
        })
    }
}

/// Compiles plugins, keeps them by id, and makes [`Connector`]s. Cheap to
/// clone; every clone shares the same engine and registry.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    engine: Engine,
    /// Whether the engine pools instances (see [`Allocation`]).
    pooling: bool,
    linker: Linker<SendState>,
    http: Arc<HttpCapability>,
    cache: Option<Arc<CompileCache>>,
    /// One permit per sandbox that may exist at once: each may take the
    /// whole memory budget, so their number bounds the process's memory.
    sandboxes: Arc<Semaphore>,
    /// Loads in progress: each reads metadata in a sandbox outside the send
    /// permits, and the pool keeps [`LOAD_SLOTS`] instances for them.
    loads: Semaphore,
    limits: Limits,
    plugins: RwLock<BTreeMap<String, Plugin>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("limits", &self.inner.limits)
            .field("plugins", &self.plugin_ids())
            .finish()
    }
}

/// The outcome of loading a folder: what loaded and what was refused.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Plugins now available.
    pub loaded: Vec<Plugin>,
    /// Files refused, each with its reason. They do not stop the others.
    pub failed: Vec<Error>,
}

impl Runtime {
    /// A runtime with default settings.
    pub fn new() -> Result<Self> {
        RuntimeBuilder::new().build()
    }

    /// The per-send limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Whether instances come from the pooling allocator (else they are
    /// allocated on demand: asked for, or the address space could not be
    /// reserved).
    pub fn pooling_allocator(&self) -> bool {
        self.inner.pooling
    }

    /// Sandboxes running now (validations and sends), out of
    /// [`Limits::max_concurrent_sends`].
    pub fn sandboxes_in_use(&self) -> usize {
        self.inner.limits.max_concurrent_sends.max(1) - self.inner.sandboxes.available_permits()
    }

    /// Compiles and checks a plugin file without registering it.
    pub async fn compile_file(&self, path: impl AsRef<Path>) -> Result<Plugin> {
        let path = path.as_ref();
        let bytes = plugin::read_plugin_file(path, self.inner.limits.max_plugin_bytes).await?;
        self.compile_bytes(path, bytes).await
    }

    /// Compiles and checks plugin bytes without registering them; `name`
    /// stands for the file in messages.
    pub async fn compile_bytes(&self, name: impl AsRef<Path>, bytes: Vec<u8>) -> Result<Plugin> {
        let inner = &self.inner;
        // Never closed, so acquiring fails only if it were.
        let _slot = inner
            .loads
            .acquire()
            .await
            .map_err(|_| Error::Setup("the runtime is shutting down".to_string()))?;
        plugin::load(
            &inner.engine,
            &inner.linker,
            &inner.http,
            &inner.limits,
            inner.cache.clone(),
            name.as_ref().to_path_buf(),
            bytes,
        )
        .await
    }

    /// Loads a plugin file into the registry. A plugin whose id is already
    /// taken by another file is refused; the same file loaded again
    /// replaces its earlier version.
    pub async fn load_file(&self, path: impl AsRef<Path>) -> Result<Plugin> {
        let plugin = self.compile_file(path).await?;
        self.insert(plugin)
    }

    /// Loads plugin bytes into the registry (see [`Runtime::load_file`]).
    pub async fn load_bytes(&self, name: impl AsRef<Path>, bytes: Vec<u8>) -> Result<Plugin> {
        let plugin = self.compile_bytes(name, bytes).await?;
        self.insert(plugin)
    }

    /// Registers a compiled plugin, refusing an id another file holds.
    pub fn insert(&self, plugin: Plugin) -> Result<Plugin> {
        let mut plugins = self.write_plugins();
        if let Some(existing) = plugins.get(plugin.id())
            && existing.file() != plugin.file()
        {
            return Err(Error::Load {
                file: plugin.file().to_path_buf(),
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

    /// Registers `plugin` under its id whatever holds it now, returning the
    /// previous entry. Handles made from the previous one keep it.
    pub fn replace(&self, plugin: Plugin) -> Option<Plugin> {
        let previous = self.write_plugins().insert(plugin.id().to_string(), plugin.clone());
        tracing::info!(
            plugin = plugin.label(),
            file = %plugin.file().display(),
            replaced = previous.as_ref().map(Plugin::label).unwrap_or(""),
            "loaded plugin"
        );
        previous
    }

    /// Removes a plugin from the registry; existing handles keep working.
    pub fn unload(&self, id: &str) -> Option<Plugin> {
        let removed = self.write_plugins().remove(id);
        if let Some(plugin) = &removed {
            tracing::info!(plugin = plugin.label(), "unloaded plugin");
        }
        removed
    }

    /// Loads every `*.wasm` file in `dir` (not recursive). Files compile
    /// (or come from the compile cache) in parallel, up to the runtime's
    /// load slots, then register in name order, so which file keeps a
    /// contested id does not depend on which finished first. A broken file
    /// is reported in [`LoadReport::failed`] and skipped.
    pub async fn load_dir(&self, dir: impl AsRef<Path>) -> Result<LoadReport> {
        let mut compiling = tokio::task::JoinSet::new();
        for (index, file) in plugin_files(dir.as_ref()).await?.into_iter().enumerate() {
            let runtime = self.clone();
            compiling.spawn(async move { (index, runtime.compile_file(&file).await) });
        }
        let mut compiled = Vec::with_capacity(compiling.len());
        while let Some(done) = compiling.join_next().await {
            compiled.push(done.map_err(|error| Error::Setup(format!("a plugin load task failed: {error}")))?);
        }
        compiled.sort_by_key(|(index, _)| *index);
        let mut report = LoadReport::default();
        for (_, outcome) in compiled {
            match outcome.and_then(|plugin| self.insert(plugin)) {
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
        self.read_plugins().values().cloned().collect()
    }

    fn plugin_ids(&self) -> Vec<String> {
        self.read_plugins().keys().cloned().collect()
    }

    /// A loaded plugin by id.
    pub fn plugin(&self, id: &str) -> Option<Plugin> {
        self.read_plugins().get(id).cloned()
    }

    /// Checks `config` for `plugin`: a JSON object, Logto's `templates` rule
    /// for template-based connectors, usable config-url fields, then the
    /// plugin's own validation.
    pub async fn validate_config(&self, plugin: &Plugin, config: &ConnectorConfig) -> Result<()> {
        self.validated(plugin, config).await.map(drop)
    }

    /// Validates `config` for the loaded plugin `plugin_id` and returns a
    /// handle that sends with both.
    pub async fn connector(&self, plugin_id: &str, config: ConnectorConfig) -> Result<Connector> {
        let plugin = self
            .plugin(plugin_id)
            .ok_or_else(|| Error::UnknownPlugin(plugin_id.to_string()))?;
        self.connector_for(plugin, config).await
    }

    /// Validates `config` for `plugin` (registered or not) and returns a
    /// handle that sends with both.
    pub async fn connector_for(&self, plugin: Plugin, config: ConnectorConfig) -> Result<Connector> {
        let sandbox = self.validated(&plugin, &config).await?;
        Ok(Connector::new(plugin, config, sandbox, self.inner.sandboxes.clone()))
    }

    /// Validates `config` and returns the sandbox sends with it will use.
    async fn validated(&self, plugin: &Plugin, config: &ConnectorConfig) -> Result<Sandbox> {
        let sandbox = self.sandbox_for(plugin, config)?;
        let _permit = crate::connector::acquire(&self.inner.sandboxes, &self.inner.limits).await?;
        let text = config.as_json().to_string();
        let verdict = sandbox
            .run(plugin.pre(), sandbox.redactor.clone(), |instance, store| {
                Box::pin(async move { instance.validate_config(store, &text).await })
            })
            .await
            .map_err(|failure| Error::Plugin {
                plugin: plugin.label().to_string(),
                failure,
            })?;
        match verdict {
            Ok(()) => Ok(sandbox),
            Err(error) => {
                let error = crate::connector::redact(error, &sandbox.redactor);
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

    fn sandbox_for(&self, plugin: &Plugin, config: &ConnectorConfig) -> Result<Sandbox> {
        if plugin.metadata().uses_templates {
            let templates = config.as_object().get("templates");
            template::check_templates(templates).map_err(|reason| plugin.invalid_config(reason))?;
        }
        let allowed = plugin.allowed_hosts(config)?;
        let inner = &self.inner;
        Ok(Sandbox {
            engine: inner.engine.clone(),
            limits: inner.limits.clone(),
            http: inner.http.clone(),
            allowed: Arc::new(allowed),
            redactor: Arc::new(Redactor::new(config, plugin.secret_fields())),
            plugin: plugin.label_arc(),
        })
    }

    fn read_plugins(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Plugin>> {
        self.inner
            .plugins
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_plugins(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Plugin>> {
        self.inner
            .plugins
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The `*.wasm` files directly in `dir`, in name order.
pub async fn plugin_files(dir: &Path) -> Result<Vec<PathBuf>> {
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
    Ok(files)
}
