//! smshost: a plugin host that sends one-time-passcode SMS through provider
//! connectors compiled to WebAssembly components.
//!
//! ```no_run
//! use smshost::{ConnectorConfig, OutgoingMessage, PhoneNumber, RuntimeBuilder, UsageType};
//!
//! # async fn demo() -> smshost::Result<()> {
//! let runtime = RuntimeBuilder::new().build()?;
//! runtime.load_dir("plugins").await?;
//! let config = ConnectorConfig::parse(&std::fs::read_to_string("twilio.json").unwrap()).unwrap();
//! let twilio = runtime.connector("twilio-short-message-service", config).await?;
//! let to = PhoneNumber::parse("+14155552671").unwrap();
//! let receipt = twilio.send(&OutgoingMessage::new(to, UsageType::SignIn, "123456").with_locale("en")).await?;
//! println!("sent: {:?}", receipt.provider_message_id);
//! # Ok(()) }
//! ```
//!
//! A [`Runtime`] compiles each plugin once, checks its contract version and
//! imports, and keeps it by id. [`Runtime::connector`] validates a config
//! and returns a [`Connector`] handle; each send runs in a fresh sandbox
//! with a memory cap, a CPU budget and a wall-clock timeout, and at most
//! [`Limits::max_concurrent_sends`] sandboxes exist at once. A plugin
//! reaches the network only through the host's HTTP capability, limited to
//! the hosts it declares. Templates are picked and rendered by the host and
//! phone numbers validated. Which connector is active is the embedder's
//! policy: the `smshost` daemon keeps exactly one per tenant in its store.

#![deny(missing_docs)]

mod allowed_hosts;
mod bindings;
mod compile_cache;
mod config;
mod connector;
mod contract;
mod cpu_time;
mod engine;
mod error;
mod guest_output;
mod http;
mod message;
mod network;
mod phone;
mod plugin;
// Inside the crate so the properties can reach private helpers.
#[cfg(test)]
mod properties;
mod redaction;
mod runtime;
mod sandbox;
mod template;

pub use allowed_hosts::{AllowedHostError, AllowedHosts, AllowedOrigin};
pub use config::ConnectorConfig;
pub use connector::{Connector, Receipt};
pub use engine::Limits;
pub use error::{ConnectorError, Error, ErrorCode, PluginFailure, Result};
pub use http::OriginOverride;
pub use message::{OutgoingMessage, UnknownUsageType, UsageType};
pub use network::NetworkPolicy;
pub use phone::{PhoneError, PhoneNumber};
pub use plugin::{NetworkHost, Plugin, PluginMetadata};
pub use redaction::display_safe;
pub use runtime::{LoadReport, Runtime, RuntimeBuilder, plugin_files};

/// Internals the `host/fuzz` targets drive; not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::config::secret_fields;
    pub use crate::redaction::Redactor;
    pub use crate::template::{check_templates, render, render_entry, select};
}

/// `text` cut to at most `max` bytes on a character boundary, with `…`.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}
