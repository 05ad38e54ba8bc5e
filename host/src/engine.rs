//! The one wasmtime engine, its epoch ticker, and the limits every send runs
//! under.
//!
//! The host deliberately narrows wasmtime: async calls only, component model
//! only, epoch interruption always on, no fuel, and no precompiled artifacts
//! (self-hosters drop `.wasm` files; the host compiles them itself).

use std::path::Path;
use std::thread;
use std::time::Duration;
use wasmtime::{Config, Engine};

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
    /// Time the guest may run per call: wall-clock time from instantiation,
    /// minus time spent waiting on the host's HTTP capability (so WASI
    /// sleeps and scheduling delays count against it). 1 s: signing and
    /// JSON take microseconds, a Python guest's first call under 1 ms, so
    /// this only stops runaway loops.
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
    /// Largest request body a connector may send. 1 MiB, for the same reason.
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
        }
    }
}

/// Builds the engine: component model, async, epoch interruption, and the
/// on-disk compilation cache when `cache_dir` is given.
pub(crate) fn build_engine(cache_dir: Option<&Path>) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if let Some(dir) = cache_dir {
        let mut cache = wasmtime::CacheConfig::new();
        cache.with_directory(dir);
        config.cache(Some(wasmtime::Cache::new(cache)?));
    }
    let engine = Engine::new(&config)?;
    start_epoch_ticker(&engine)?;
    Ok(engine)
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
