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
use wasmtime::{Engine, ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How much of a guest's stderr is kept to explain a trap (a Rust panic
/// message, a Python traceback).
const STDERR_CAPTURE_BYTES: usize = 8 * 1024;

/// Longest guest log line kept; longer ones are cut.
const MAX_LOG_LINE: usize = 2 * 1024;

/// Guest log lines kept per call; a connector logs a handful, a flood is
/// cut off with one warning.
const MAX_LOG_LINES: u32 = 100;

/// Table elements one call may allocate, summed over all tables. A Python
/// component's tables hold tens of thousands of functions; a million
/// elements is 8 MiB of host memory.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Caps what one call's instances allocate, summed across all their
/// memories and tables: a component can hold many core instances, each with
/// its own memory, so a per-memory cap would multiply.
struct SendLimits {
    memory_limit: usize,
    memory_used: usize,
    table_elements_used: usize,
    memory_exceeded: bool,
}

impl ResourceLimiter for SendLimits {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let next = self.memory_used.saturating_sub(current).saturating_add(desired);
        if next > self.memory_limit {
            // An error, not `Ok(false)`: the guest's allocator would turn a
            // refused grow into an opaque abort.
            self.memory_exceeded = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes exceeded",
                self.memory_limit
            ));
        }
        self.memory_used = next;
        Ok(true)
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let next = self.table_elements_used.saturating_sub(current).saturating_add(desired);
        if next > MAX_TABLE_ELEMENTS {
            return Err(wasmtime::format_err!(
                "table limit of {MAX_TABLE_ELEMENTS} elements exceeded"
            ));
        }
        self.table_elements_used = next;
        Ok(true)
    }
}

/// What a send's store holds.
pub(crate) struct SendState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: SendLimits,
    stderr: MemoryOutputPipe,
    log_lines: u32,
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
        let limits = SendLimits {
            memory_limit: usize::try_from(self.limits.memory_bytes).unwrap_or(usize::MAX),
            memory_used: 0,
            table_elements_used: 0,
            memory_exceeded: false,
        };
        let state = SendState {
            wasi,
            table: ResourceTable::new(),
            limits,
            stderr,
            log_lines: 0,
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
        // A huge timeout means "no limit", not an overflow.
        let deadline = Instant::now().checked_add(timeout).unwrap_or_else(far_future);
        let mut store = self.store(deadline, redactor);
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
        if state.limits.memory_exceeded {
            return PluginFailure::MemoryLimitExceeded(self.limits.memory_bytes);
        }
        let text = format!("{error:#}");
        let mut reason = match error.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => trap.to_string(),
            None => text.lines().next().unwrap_or_default().to_string(),
        };
        let stderr = String::from_utf8_lossy(&state.stderr.contents()).trim().to_string();
        if !stderr.is_empty() {
            reason.push_str("; guest stderr: ");
            reason.push_str(&stderr);
        }
        // Redact before cutting, so a secret straddling the cut is not half shown.
        PluginFailure::Trap(crate::truncate(&state.redactor.redact(&reason), 2048))
    }
}

/// A deadline so far away it never fires.
fn far_future() -> Instant {
    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    Instant::now() + YEAR
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
        self.log_lines += 1;
        let plugin = &*self.plugin;
        if self.log_lines > MAX_LOG_LINES {
            if self.log_lines == MAX_LOG_LINES + 1 {
                tracing::warn!(target: "smshost::plugin", plugin, "more than {MAX_LOG_LINES} log lines in one call; dropping the rest");
            }
            return;
        }
        // Redact before cutting; escape control characters so a guest
        // cannot forge host log lines with newlines or terminal escapes.
        let message = crate::truncate(&self.redactor.redact(&message), MAX_LOG_LINE)
            .escape_debug()
            .to_string();
        match level {
            wit_log::Level::Debug => tracing::debug!(target: "smshost::plugin", plugin, "{message}"),
            wit_log::Level::Info => tracing::info!(target: "smshost::plugin", plugin, "{message}"),
            wit_log::Level::Warn => tracing::warn!(target: "smshost::plugin", plugin, "{message}"),
            wit_log::Level::Error => tracing::error!(target: "smshost::plugin", plugin, "{message}"),
        }
    }
}
