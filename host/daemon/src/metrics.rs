//! Prometheus metrics, served unauthenticated at `GET /metrics`.
//!
//! Labels are bounded sets: tenant ids (validated), plugin ids, Logto's
//! usage types, outcomes and error codes — never a number or a code.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

/// The daemon's metrics and their registry.
#[derive(Clone)]
pub(crate) struct Metrics {
    registry: Registry,
    /// Sends by tenant, connector, usage type and outcome.
    pub(crate) sends: IntCounterVec,
    /// Time inside the connector (plugin and provider), by connector.
    pub(crate) provider_latency: HistogramVec,
    /// Sends refused by a rate limit, by tenant and limit.
    pub(crate) rate_limited: IntCounterVec,
    /// Plugins that trapped or hit a limit, by connector and kind.
    pub(crate) plugin_failures: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let registry = Registry::new();
        let sends = IntCounterVec::new(
            Opts::new(
                "smshost_sends_total",
                "SMS sends by tenant, connector, usage type and outcome",
            ),
            &["tenant", "connector", "usage_type", "outcome"],
        )
        .expect("valid metric");
        // Buckets from a loopback mock (~1 ms) to a slow provider (10 s).
        let provider_latency = HistogramVec::new(
            HistogramOpts::new(
                "smshost_provider_latency_seconds",
                "Time a send spent in the connector and the provider",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["connector"],
        )
        .expect("valid metric");
        let rate_limited = IntCounterVec::new(
            Opts::new("smshost_rate_limit_refusals_total", "Sends refused by a rate limit"),
            &["tenant", "limit"],
        )
        .expect("valid metric");
        let plugin_failures = IntCounterVec::new(
            Opts::new("smshost_plugin_failures_total", "Plugin traps and exhausted limits"),
            &["connector", "kind"],
        )
        .expect("valid metric");
        for metric in [&sends, &rate_limited, &plugin_failures] {
            registry.register(Box::new(metric.clone())).expect("unique metric");
        }
        registry
            .register(Box::new(provider_latency.clone()))
            .expect("unique metric");
        Metrics {
            registry,
            sends,
            provider_latency,
            rate_limited,
            plugin_failures,
        }
    }

    /// The text exposition format.
    pub(crate) fn render(&self) -> String {
        let mut buffer = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }
}
