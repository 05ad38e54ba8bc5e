//! smshost: a plugin host that sends one-time-passcode SMS through provider
//! connectors compiled to WebAssembly components.
//!
//! ```no_run
//! use smshost::{ConnectorConfig, HostBuilder, OutgoingMessage, PhoneNumber, UsageType};
//!
//! # async fn demo() -> smshost::Result<()> {
//! let host = HostBuilder::new().build()?;
//! host.load_dir("plugins").await?;
//! let config = ConnectorConfig::parse(&std::fs::read_to_string("twilio.json").unwrap()).unwrap();
//! host.activate("twilio-short-message-service", config).await?;
//! let to = PhoneNumber::parse("+14155552671").unwrap();
//! let receipt = host.send(&OutgoingMessage::new(to, UsageType::SignIn, "123456").with_locale("en")).await?;
//! println!("sent: {:?}", receipt.provider_message_id);
//! # Ok(()) }
//! ```
//!
//! The host compiles each plugin once, checks its contract version and
//! imports, and runs every send in a fresh sandbox with a memory cap, a CPU
//! budget and a wall-clock timeout. A plugin reaches the network only
//! through the host's HTTP capability, limited to the hosts it declares.
//! Templates are picked and rendered by the host, phone numbers validated,
//! and exactly one SMS connector is active at a time.

#![deny(missing_docs)]

mod allowed_hosts;
mod bindings;
pub mod compile_cache;
pub mod config;
mod cpu_time;
mod engine;
mod error;
mod guest_output;
mod host;
mod http;
mod message;
mod network;
pub mod phone;
mod plugin;
pub mod redaction;
mod sandbox;
pub mod template;

#[cfg(feature = "cli")]
pub mod cli;

pub use allowed_hosts::{AllowedHostError, AllowedHosts, AllowedOrigin};
pub use config::{ConnectorConfig, Redactor};
pub use engine::Limits;
pub use error::{ConnectorError, Error, ErrorCode, PluginFailure, Result};
pub use host::{Host, HostBuilder, LoadReport, Receipt};
pub use http::OriginOverride;
pub use message::{OutgoingMessage, UnknownUsageType, UsageType};
pub use network::NetworkPolicy;
pub use phone::{PhoneError, PhoneNumber};
pub use plugin::{NetworkHost, Plugin, PluginMetadata};

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
