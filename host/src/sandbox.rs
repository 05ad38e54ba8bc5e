//! One send's sandbox: a fresh wasmtime store with its limits, the imports
//! a connector may call, and the translation of traps into
//! [`PluginFailure`]s.
//!
//! A store lives for exactly one call. A trap poisons only that store, and
//! nothing a connector keeps in memory survives into the next send.

use crate::allowed_hosts::AllowedHosts;
use crate::bindings::{self, ConnectorInstance, ConnectorPre, LogLevel, wit_http};
use crate::cpu_time::{CpuAccount, Meter, metered};
use crate::engine::Limits;
use crate::error::PluginFailure;
use crate::guest_output::TailPipe;
use crate::http::HttpCapability;
use crate::redaction::Redactor;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How much of a guest's stderr is kept to explain a trap: the last 8 KiB,
/// where a Rust panic message or the end of a Python traceback is.
const STDERR_CAPTURE_BYTES: usize = 8 * 1024;

/// Longest guest log line kept; longer ones are cut.
const MAX_LOG_LINE: usize = 2 * 1024;

/// Longest trap explanation (message plus stderr tail) shown.
const MAX_TRAP_MESSAGE: usize = 2048;

/// Longest trap reason (without stderr) shown.
const MAX_TRAP_REASON: usize = 512;

/// Guest log lines kept per call; a connector logs a handful, a flood is
/// cut off with one warning.
const MAX_LOG_LINES: u32 = 100;

/// Table elements one call may allocate, summed over all tables. A Python
/// component's tables hold tens of thousands of functions; a million
/// elements is 8 MiB of host memory.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Caps what one call's instances allocate, summed across all their
/// memories and tables: a component can hold many core instances, each with
/// its own memory, so a per-memory cap would multiply. The counts cap
/// address space too: each memory reserves several GiB of it even when
/// empty, so ten thousand zero-page memories would exhaust the process.
struct SendLimits {
    memory_limit: usize,
    memory_used: usize,
    table_elements_used: usize,
    memory_exceeded: bool,
    instances: usize,
    memories: usize,
    tables: usize,
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

    fn instances(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.memories
    }

    fn tables(&self) -> usize {
        self.tables
    }
}

/// What a send's store holds.
pub(crate) struct SendState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: SendLimits,
    stderr: TailPipe,
    log_lines: u32,
    max_log_lines: u32,
    requests: u32,
    request_limits: Limits,
    cpu: Arc<CpuAccount>,
    http: Arc<HttpCapability>,
    allowed: Arc<AllowedHosts>,
    redactor: Arc<Redactor>,
    plugin: Arc<str>,
    deadline: Instant,
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

/// Links the deny-all WASI baseline and the imports of every supported
/// contract version.
///
/// Every toolchain's standard library imports WASI (Rust: cli, io; Python:
/// also filesystem and sockets), so it is linked, but the context built in
/// [`Sandbox::store`] grants nothing: no preopens, no environment, no
/// arguments, every socket address refused, stdin closed.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<SendState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    bindings::add_to_linker(&mut linker)?;
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
    fn store(&self, deadline: Instant, redactor: Arc<Redactor>, cpu: Arc<CpuAccount>) -> Store<SendState> {
        let stderr = TailPipe::new(STDERR_CAPTURE_BYTES);
        let wasi = WasiCtxBuilder::new().stderr(stderr.clone()).build();
        let limits = SendLimits {
            memory_limit: usize::try_from(self.limits.memory_bytes).unwrap_or(usize::MAX),
            memory_used: 0,
            table_elements_used: 0,
            memory_exceeded: false,
            instances: self.limits.max_instances,
            memories: self.limits.max_memories,
            tables: self.limits.max_tables,
        };
        let state = SendState {
            wasi,
            table: ResourceTable::new(),
            limits,
            stderr,
            log_lines: 0,
            max_log_lines: MAX_LOG_LINES,
            requests: 0,
            request_limits: self.limits.clone(),
            cpu,
            http: self.http.clone(),
            allowed: self.allowed.clone(),
            redactor,
            plugin: self.plugin.clone(),
            deadline,
            cpu_budget: self.limits.cpu_time,
            cpu_exceeded: false,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut context| {
            let state = context.data_mut();
            let guest_time = state.cpu.guest_time();
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
        pre: &ConnectorPre,
        redactor: Arc<Redactor>,
        call: F,
    ) -> Result<R, PluginFailure>
    where
        F: for<'a> FnOnce(
            &'a ConnectorInstance,
            &'a mut Store<SendState>,
        ) -> std::pin::Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>,
    {
        let timeout = self.limits.send_timeout;
        // A huge timeout means "no limit", not an overflow.
        let deadline = Instant::now().checked_add(timeout).unwrap_or_else(far_future);
        let cpu = Arc::new(CpuAccount::default());
        let mut store = self.store(deadline, redactor, cpu.clone());
        let work = async {
            let instance = pre.instantiate(&mut store).await?;
            call(&instance, &mut store).await
        };
        let work = metered(work, cpu, Meter::Call);
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
        let reason = match error.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => trap.to_string(),
            // Not a trap (a WASI exit, a host error, a refused
            // instantiation): the backtrace context says only "error while
            // executing at wasm backtrace", the root cause says what.
            None => error.root_cause().to_string(),
        };
        let mut shown = state.redactor.redact_display(&reason, MAX_TRAP_REASON);
        let stderr = String::from_utf8_lossy(&state.stderr.contents()).trim().to_string();
        if !stderr.is_empty() {
            // The end of stderr explains the trap (a panic message is
            // written last), so the tail is kept when it is cut.
            let stderr = state.redactor.redact_display(&stderr, usize::MAX);
            shown.push_str("; guest stderr: ");
            shown.push_str(&tail(&stderr, MAX_TRAP_MESSAGE.saturating_sub(shown.len())));
        }
        PluginFailure::Trap(shown)
    }
}

/// The last `max` bytes of `text` on a character boundary, with `…` in
/// front when cut.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// A deadline so far away it never fires.
fn far_future() -> Instant {
    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    Instant::now() + YEAR
}

impl SendState {
    /// A guest's `http.send` (every contract version converts into these
    /// types): counted against the per-call budget, then checked and sent by
    /// the HTTP capability.
    pub(crate) async fn http_send(
        &mut self,
        request: wit_http::Request,
    ) -> Result<wit_http::Response, wit_http::HttpError> {
        self.requests = self.requests.saturating_add(1);
        let max = self.request_limits.max_requests_per_call;
        if self.requests > max {
            if self.requests == max + 1 {
                self.host_log(
                    tracing::Level::WARN,
                    format!("more than {max} HTTP requests in one call; refusing the rest"),
                );
            }
            return Err(wit_http::HttpError::Denied(format!(
                "more than {max} HTTP requests in one call"
            )));
        }
        let sending = self.http.send(
            &self.plugin,
            &self.allowed,
            &self.redactor,
            &self.request_limits,
            request,
            self.deadline,
        );
        // The host's CPU (TLS, parsing) is not the guest's computation.
        let result = metered(sending, self.cpu.clone(), Meter::Host).await;
        if let Err(wit_http::HttpError::Denied(reason)) = &result {
            let reason = reason.clone();
            self.host_log(tracing::Level::WARN, format!("denied a request: {reason}"));
        }
        result
    }

    /// Logs a host-side line about this call, counted against the same
    /// per-call budget as the guest's own lines, so a guest cannot make the
    /// host flood the log on its behalf.
    fn host_log(&mut self, level: tracing::Level, message: String) {
        if !self.take_log_line() {
            return;
        }
        let plugin = &*self.plugin;
        let message = self.redactor.redact_display(&message, MAX_LOG_LINE);
        if level == tracing::Level::WARN {
            tracing::warn!(target: "smshost::host", plugin, "{message}");
        } else {
            tracing::info!(target: "smshost::host", plugin, "{message}");
        }
    }

    /// Whether one more line fits this call's log budget; the first line
    /// over it is replaced by one warning.
    fn take_log_line(&mut self) -> bool {
        self.log_lines = self.log_lines.saturating_add(1);
        if self.log_lines > self.max_log_lines {
            if self.log_lines == self.max_log_lines + 1 {
                let plugin = &*self.plugin;
                let max = self.max_log_lines;
                tracing::warn!(target: "smshost::plugin", plugin, "more than {max} log lines in one call; dropping the rest");
            }
            return false;
        }
        true
    }

    /// A guest's `log.write`: counted, redacted, escaped and capped.
    pub(crate) fn guest_log(&mut self, level: LogLevel, message: String) {
        if !self.take_log_line() {
            return;
        }
        let plugin = &*self.plugin;
        // Escaped so a guest cannot forge host log lines with newlines or
        // terminal escapes.
        let message = self.redactor.redact_display(&message, MAX_LOG_LINE);
        match level {
            LogLevel::Debug => tracing::debug!(target: "smshost::plugin", plugin, "{message}"),
            LogLevel::Info => tracing::info!(target: "smshost::plugin", plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(target: "smshost::plugin", plugin, "{message}"),
            LogLevel::Error => tracing::error!(target: "smshost::plugin", plugin, "{message}"),
        }
    }
}
