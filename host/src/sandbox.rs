//! One send's sandbox: a fresh wasmtime store with its limits, the imports
//! a connector may call, and the translation of traps into
//! [`PluginFailure`]s.
//!
//! A store lives for exactly one call. A trap poisons only that store, and
//! nothing a connector keeps in memory survives into the next send.

use crate::allowed_hosts::AllowedHosts;
use crate::bindings::{SmsConnector, wit, wit_http, wit_log};
use crate::config::Redactor;
use crate::engine::Limits;
use crate::error::PluginFailure;
use crate::http::HttpCapability;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How much of a guest's stderr is kept to explain a trap (a Rust panic
/// message, a Python traceback).
const STDERR_CAPTURE_BYTES: usize = 8 * 1024;

/// Longest guest log line kept; longer ones are cut.
const MAX_LOG_LINE: usize = 2 * 1024;

/// What a send's store holds.
pub(crate) struct SendState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    stderr: MemoryOutputPipe,
    http: Arc<HttpCapability>,
    allowed: Arc<AllowedHosts>,
    redactor: Arc<Redactor>,
    plugin: Arc<str>,
    deadline: Instant,
    started: Instant,
    host_time: Duration,
    cpu_budget: Duration,
    cpu_exceeded: bool,
}

impl WasiView for SendState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Links the deny-all WASI baseline and the contract's imports.
///
/// Every toolchain's standard library imports WASI (Rust: cli, io; Python:
/// also filesystem and sockets), so it is linked, but the context built in
/// [`Sandbox::store`] grants nothing: no preopens, no environment, no
/// arguments, every socket address refused, stdin closed.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<SendState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    SmsConnector::add_to_linker::<SendState, HasSelf<SendState>>(&mut linker, |state| state)?;
    Ok(linker)
}

/// Everything needed to build stores for one plugin and one config.
pub(crate) struct Sandbox {
    pub(crate) engine: Engine,
    pub(crate) limits: Limits,
    pub(crate) http: Arc<HttpCapability>,
    pub(crate) allowed: Arc<AllowedHosts>,
    /// Masks the config's secrets in what the connector reports.
    pub(crate) redactor: Arc<Redactor>,
    pub(crate) plugin: Arc<str>,
}

impl Sandbox {
    fn store(&self, deadline: Instant, redactor: Arc<Redactor>) -> Store<SendState> {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE_BYTES);
        let wasi = WasiCtxBuilder::new().stderr(stderr.clone()).build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(usize::try_from(self.limits.memory_bytes).unwrap_or(usize::MAX))
            // Report the cap as a clear error rather than the guest's own
            // opaque abort when its allocator sees the failed grow.
            .trap_on_grow_failure(true)
            .build();
        let state = SendState {
            wasi,
            table: ResourceTable::new(),
            limits,
            stderr,
            http: self.http.clone(),
            allowed: self.allowed.clone(),
            redactor,
            plugin: self.plugin.clone(),
            deadline,
            started: Instant::now(),
            host_time: Duration::ZERO,
            cpu_budget: self.limits.cpu_time,
            cpu_exceeded: false,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut context| {
            let state = context.data_mut();
            let guest_time = state.started.elapsed().saturating_sub(state.host_time);
            if guest_time > state.cpu_budget {
                state.cpu_exceeded = true;
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Yield each tick so a busy guest never starves the
                // embedder's async runtime.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    /// Instantiates `pre` in a fresh store and runs `call` within the
    /// wall-clock limit, turning traps into [`PluginFailure`]s. `redactor`
    /// masks guest log lines and trap messages (the config's secrets, plus
    /// the message's code and recipient during a send).
    pub(crate) async fn run<R, F>(
        &self,
        pre: &crate::bindings::SmsConnectorPre<SendState>,
        redactor: Arc<Redactor>,
        call: F,
    ) -> Result<R, PluginFailure>
    where
        F: for<'a> FnOnce(
            &'a SmsConnector,
            &'a mut Store<SendState>,
        ) -> std::pin::Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>,
    {
        let timeout = self.limits.send_timeout;
        let mut store = self.store(Instant::now() + timeout, redactor);
        let work = async {
            let instance = pre.instantiate_async(&mut store).await?;
            call(&instance, &mut store).await
        };
        let outcome = tokio::time::timeout(timeout, work).await;
        match outcome {
            Err(_) => Err(PluginFailure::Timeout(timeout)),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.failure(&store, error)),
        }
    }

    fn failure(&self, store: &Store<SendState>, error: wasmtime::Error) -> PluginFailure {
        let state = store.data();
        if state.cpu_exceeded {
            return PluginFailure::CpuBudgetExceeded(state.cpu_budget);
        }
        let text = format!("{error:#}");
        if text.contains("forcing trap when growing memory") {
            return PluginFailure::MemoryLimitExceeded(self.limits.memory_bytes);
        }
        let mut reason = match error.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => trap.to_string(),
            None => text.lines().next().unwrap_or_default().to_string(),
        };
        let stderr = String::from_utf8_lossy(&state.stderr.contents()).trim().to_string();
        if !stderr.is_empty() {
            reason.push_str("; guest stderr: ");
            reason.push_str(&crate::truncate(&stderr, 1024));
        }
        PluginFailure::Trap(state.redactor.redact(&reason))
    }
}

impl wit::Host for SendState {}

impl wit_http::Host for SendState {
    async fn send(&mut self, request: wit_http::Request) -> Result<wit_http::Response, wit_http::HttpError> {
        let started = Instant::now();
        let result = self
            .http
            .send(&self.plugin, &self.allowed, request, self.deadline)
            .await;
        // Waiting on the network is not the guest's computation.
        self.host_time += started.elapsed();
        result
    }
}

impl wit_log::Host for SendState {
    async fn write(&mut self, level: wit_log::Level, message: String) {
        let message = self.redactor.redact(&crate::truncate(&message, MAX_LOG_LINE));
        let plugin = &*self.plugin;
        match level {
            wit_log::Level::Debug => tracing::debug!(target: "smshost::plugin", plugin, "{message}"),
            wit_log::Level::Info => tracing::info!(target: "smshost::plugin", plugin, "{message}"),
            wit_log::Level::Warn => tracing::warn!(target: "smshost::plugin", plugin, "{message}"),
            wit_log::Level::Error => tracing::error!(target: "smshost::plugin", plugin, "{message}"),
        }
    }
}
