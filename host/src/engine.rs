//! The one wasmtime engine, its epoch ticker, and the limits every send runs
//! under.
//!
//! The host deliberately narrows wasmtime: async calls only, component model
//! only, epoch interruption always on, no fuel, and no precompiled artifacts
//! (self-hosters drop `.wasm` files; the host compiles them itself).

use std::thread;
use std::time::Duration;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances. Each tick lets the host check a guest's CPU
/// budget; 10 ms (Spin's value) keeps the check cheap and the overrun small.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Resource limits for every send. The defaults suit one-time-code SMS: a
/// connector builds one request and parses one small response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory one send may use. 64 MiB: Rust connectors use ~1 MiB,
    /// Python and JavaScript ones 9–13 MiB; the rest is headroom.
    pub memory_bytes: u64,
    /// CPU time the guest may use per call: the calling thread's CPU time
    /// measured around each poll of the call (`CLOCK_THREAD_CPUTIME_ID`),
    /// minus the CPU the host's own imports used; waiting (HTTP, WASI
    /// sleeps, a busy scheduler) is not charged. 1 s: signing and JSON take
    /// microseconds, a Python guest's first call under 1 ms, so this only
    /// stops runaway loops. (On non-Unix hosts it falls back to wall time
    /// minus host-call time.)
    pub cpu_time: Duration,
    /// Wall-clock limit for a whole send (instantiate, run, all requests).
    /// 30 s: long enough for one slow provider, short enough that an auth
    /// server's user is not left waiting forever.
    pub send_timeout: Duration,
    /// Limit for one HTTP request; also capped by what is left of
    /// `send_timeout`. 10 s matches what peer auth servers use for SMS calls.
    pub http_timeout: Duration,
    /// Largest response body a connector may receive. 1 MiB: SMS APIs answer
    /// with a few hundred bytes of JSON.
    pub max_response_bytes: u64,
    /// Largest request a connector may send: body, headers and URL
    /// together. 1 MiB, for the same reason.
    pub max_request_bytes: u64,
    /// Sandboxes that may run at once across the runtime. Each may take
    /// `memory_bytes`, so this bounds guest memory at 32 × 64 MiB = 2 GiB in
    /// the worst case; a send holds one for a provider round trip
    /// (~100 ms), so 32 sustains ~300 sends/s per process, well above an
    /// auth server's OTP rate.
    pub max_concurrent_sends: usize,
    /// How long a send waits for a free sandbox before failing with
    /// [`crate::Error::Busy`]. 5 s: a burst queues briefly, a flood is
    /// refused instead of piling up memory and latency.
    pub queue_timeout: Duration,
    /// Most headers in one request. 100: a signed provider request carries
    /// about ten; `http`'s header map panics near 32,768.
    pub max_request_headers: usize,
    /// Largest URL plus header names and values of one request. 64 KiB:
    /// real requests use under 2 KiB, and common servers refuse past 8-64 KiB.
    pub max_header_bytes: usize,
    /// HTTP requests one call may make, allowed or denied. 16: an SMS send
    /// makes one or two (a token, then the message).
    pub max_requests_per_call: u32,
    /// Core instances one call may create. 64: a Rust connector creates 3,
    /// the componentize-py example 14 (measured); 4x headroom for other
    /// toolchains.
    pub max_instances: usize,
    /// Linear memories one call may create. 16: each reserves several GiB
    /// of address space; the Rust and the componentize-py connectors
    /// define 1 (their adapters share it).
    pub max_memories: usize,
    /// Tables one call may create. 64: the Rust and Python connectors
    /// define 2.
    pub max_tables: usize,
    /// Largest plugin file read. 64 MiB: Rust connectors are 0.15-0.2 MiB,
    /// the Python example 18 MiB (it bundles the interpreter).
    pub max_plugin_bytes: u64,
    /// Time one plugin may take to compile before its load fails. 120 s:
    /// the Python example compiles in ~9 s (release) to ~40 s (unoptimised,
    /// loaded machine). wasmtime cannot cancel a compile: the worker thread
    /// finishes in the background and its result is dropped.
    pub compile_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            cpu_time: Duration::from_secs(1),
            send_timeout: Duration::from_secs(30),
            http_timeout: Duration::from_secs(10),
            max_response_bytes: 1 << 20,
            max_request_bytes: 1 << 20,
            max_concurrent_sends: 32,
            queue_timeout: Duration::from_secs(5),
            max_request_headers: 100,
            max_header_bytes: 64 << 10,
            max_requests_per_call: 16,
            max_instances: 64,
            max_memories: 16,
            max_tables: 64,
            max_plugin_bytes: 64 << 20,
            compile_timeout: Duration::from_secs(120),
        }
    }
}

/// Component instances the pool keeps beyond the sends: plugin loads read
/// their metadata in a sandbox outside the send permits, and the runtime
/// lets this many loads instantiate at once.
pub(crate) const LOAD_SLOTS: usize = 4;

/// Table elements one call may allocate, summed over all its tables. A
/// Python component's tables hold tens of thousands of functions; a million
/// elements is 8 MiB of host memory.
pub(crate) const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Linear memory a pooled slot keeps mapped after a send and resets with
/// `memset` (only the pages the guest touched, where the kernel can say
/// which) instead of `madvise`: a Rust connector dirties well under 1 MiB,
/// so slot reuse costs no system call, no page fault and no TLB shoot-down.
const MEMORY_KEEP_RESIDENT: usize = 1 << 20;

/// The same for tables: a Rust connector's tables are a few hundred
/// entries (8 bytes each), so 64 KiB resets them with `memset` instead of
/// an `madvise` per send.
const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// How instances get their memories and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// The pooling allocator when the process can reserve its address
    /// space (probed when the runtime is built), otherwise on demand.
    #[default]
    Auto,
    /// Map fresh memory for every instance (what wasmtime does by default).
    OnDemand,
}

/// The engine, and whether it pools instances.
pub(crate) struct BuiltEngine {
    pub(crate) engine: Engine,
    pub(crate) pooling: bool,
}

/// Builds the engine: component model, async, epoch interruption, and the
/// pooling allocator sized from `limits` when `allocation` allows it and the
/// address space can be reserved.
///
/// wasmtime's own cache is not used: it trusts whatever its folder holds.
/// The host's [`crate::compile_cache`] verifies entries before loading them.
pub(crate) fn build_engine(limits: &Limits, allocation: Allocation) -> wasmtime::Result<BuiltEngine> {
    let mut config = base_config();
    let pooled = match allocation {
        Allocation::OnDemand => None,
        Allocation::Auto => {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(limits)));
            match Engine::new(&config) {
                Ok(engine) => Some(engine),
                Err(error) => {
                    tracing::info!(
                        "the pooling allocator cannot reserve its address space ({error:#}); instances get memory on demand"
                    );
                    None
                }
            }
        }
    };
    let pooling = pooled.is_some();
    let engine = match pooled {
        Some(engine) => engine,
        None => Engine::new(&base_config())?,
    };
    start_epoch_ticker(&engine)?;
    Ok(BuiltEngine { engine, pooling })
}

/// What both allocation strategies share, so compiled code (and the compile
/// cache, keyed by the engine's fingerprint) is the same for either.
fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // Instances map their initial memory from the module's image instead
    // of copying data segments: a fresh sandbox per send costs page-table
    // entries, not a copy of the guest's data.
    config.memory_init_cow(true);
    config
}

/// Pool sizes from the limits: every send (and a few loads) may hold a
/// component instance at once, each with up to the per-call counts of core
/// instances, memories and tables, so the pool never refuses what the
/// limits allow. The memories are reserved, not committed: 32 sends × 16
/// memories × ~4 GiB of guard-page-elided address space is ~2 TiB of the
/// 128 TiB a 64-bit process has; a process that cannot reserve it (an
/// address-space rlimit, a 39-bit VA) falls back to on demand.
fn pooling_config(limits: &Limits) -> PoolingAllocationConfig {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let instances = limits.max_concurrent_sends.max(1).saturating_add(LOAD_SLOTS);
    let per_call = |n: usize| count(instances.saturating_mul(n.max(1)));
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(count(instances))
        .total_stacks(count(instances))
        .total_core_instances(per_call(limits.max_instances))
        .total_memories(per_call(limits.max_memories))
        .total_tables(per_call(limits.max_tables))
        .max_core_instances_per_component(count(limits.max_instances))
        .max_memories_per_component(count(limits.max_memories))
        .max_tables_per_component(count(limits.max_tables))
        .max_memories_per_module(count(limits.max_memories))
        .max_tables_per_module(count(limits.max_tables))
        .max_memory_size(usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX))
        .table_elements(MAX_TABLE_ELEMENTS)
        .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
        .table_keep_resident(TABLE_KEEP_RESIDENT)
        .pagemap_scan(Enabled::Auto);
    pool
}

/// Advances the epoch every [`EPOCH_TICK`] on a plain thread, so ticking
/// does not depend on the embedder's async runtime. The thread holds a weak
/// reference and ends when the engine is dropped.
/// Without it a looping guest would never yield, so the engine is refused.
fn start_epoch_ticker(engine: &Engine) -> wasmtime::Result<()> {
    let weak = engine.weak();
    thread::Builder::new().name("smshost-epoch".into()).spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            thread::sleep(EPOCH_TICK);
        }
    })?;
    Ok(())
}
