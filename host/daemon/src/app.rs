//! The daemon's shared state: the library runtime, the store, the secret
//! key, the rules and the ready connector handles.

use crate::limits::{RateCounters, RateLimits};
use crate::metrics::Metrics;
use crate::secrets::SecretKey;
use crate::tenants::ActiveConnectors;
use smshost::Runtime;
use smshost_store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Everything a request handler needs; shared behind an `Arc`.
pub(crate) struct App {
    /// Compiles plugins and makes connector handles.
    pub(crate) runtime: Runtime,
    /// Tenants, configs, tokens, counters, idempotency keys, records.
    pub(crate) store: Arc<dyn Store>,
    /// Encrypts secrets at rest and keys rate-limit counters.
    pub(crate) key: SecretKey,
    /// Rules checked before any plugin runs.
    pub(crate) limits: RateLimits,
    /// Where the limits' hits are counted.
    pub(crate) counters: Arc<RateCounters>,
    /// Ready handles, by tenant.
    pub(crate) active: ActiveConnectors,
    /// Prometheus metrics.
    pub(crate) metrics: Metrics,
    /// The plugin folder this daemon loads and watches.
    pub(crate) plugin_dir: PathBuf,
    /// When the daemon started.
    pub(crate) started: Instant,
    /// The web console's signed-in browsers.
    pub(crate) sessions: crate::console::Sessions,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("runtime", &self.runtime)
            .field("plugin_dir", &self.plugin_dir)
            .finish_non_exhaustive()
    }
}
