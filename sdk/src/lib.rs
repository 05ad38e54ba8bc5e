//! Write an smshost SMS connector in Rust.
//!
//! A connector is a type implementing [`Connector`], exported with
//! [`export_connector!`] and built with `cargo build --target wasm32-wasip2`:
//!
//! ```ignore
//! use smshost_sdk::prelude::*;
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct Config { endpoint: String }
//!
//! struct Echo;
//! impl Connector for Echo {
//!     type Config = Config;
//!     fn metadata() -> ConnectorMetadata { /* id, name, schema, network hosts */ }
//!     fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
//!         let response = HttpRequest::post(&config.endpoint).json(&serde_json::json!({"to": message.to})).send()?;
//!         response.error_for_status()?;
//!         Ok(Receipt::default())
//!     }
//! }
//! smshost_sdk::export_connector!(Echo);
//! ```
//!
//! Everything a connector needs beyond the contract lives here so that each
//! connector reads like its provider's API documentation: typed config parsing
//! ([`config`]), request building ([`http`]), encodings and signatures
//! ([`encoding`], [`crypto`]), error constructors ([`error`]) and a clock and
//! nonce source that tests can fix ([`clock`]).

pub mod clock;
pub mod config;
pub mod crypto;
pub mod encoding;
pub mod error;
pub mod http;
pub mod log;
pub mod message;

/// Generated bindings for the `smshost:connector` world. Connectors rarely
/// need them directly; the SDK re-exports the types they use.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "sms-connector",
        path: "../wit/v0.1",
        pub_export_macro: true,
        export_macro_name: "__export_world",
        default_bindings_module: "smshost_sdk::bindings",
    });
}

pub use bindings::smshost::connector::types::{
    ConnectorError, ConnectorMetadata, ErrorCode, Message, NetworkHost, Receipt, UsageType,
};

/// The most used names, for `use smshost_sdk::prelude::*`.
pub mod prelude {
    pub use crate::config::parse_config;
    pub use crate::http::{HttpRequest, HttpResponse};
    pub use crate::{
        Connector, ConnectorError, ConnectorMetadata, ErrorCode, Message, NetworkHost, Receipt, UsageType,
    };
}

/// What a connector implements. [`export_connector!`] turns it into the
/// component's `connector` export.
pub trait Connector {
    /// The connector's config, parsed from the JSON the operator wrote.
    /// A missing or mistyped field becomes `invalid-config` naming the field.
    type Config: serde::de::DeserializeOwned;

    /// Static facts: id, name, config schema, network hosts.
    fn metadata() -> ConnectorMetadata;

    /// Checks that go beyond what parsing the config already checks.
    fn validate(_config: &Self::Config) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Sends one message. The config has passed [`Connector::validate`].
    fn send(config: Self::Config, message: &Message) -> Result<Receipt, ConnectorError>;
}

#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::exports::smshost::connector::connector::Guest;
    use crate::{Connector, ConnectorError, ConnectorMetadata, Message, Receipt};

    pub fn metadata<C: Connector>() -> ConnectorMetadata {
        C::metadata()
    }

    pub fn validate_config<C: Connector>(config: &str) -> Result<(), ConnectorError> {
        let config: C::Config = crate::config::parse_config(config)?;
        C::validate(&config)
    }

    pub fn send<C: Connector>(config: &str, message: &Message) -> Result<Receipt, ConnectorError> {
        let config: C::Config = crate::config::parse_config(config)?;
        C::validate(&config)?;
        C::send(config, message)
    }
}

/// Exports a [`Connector`] implementation as the component's `connector`
/// interface. Use it once, in the connector crate's `lib.rs`.
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        #[doc(hidden)]
        pub struct __SmshostExport;

        impl $crate::__private::Guest for __SmshostExport {
            fn metadata() -> $crate::ConnectorMetadata {
                $crate::__private::metadata::<$connector>()
            }
            fn validate_config(config: ::std::string::String) -> Result<(), $crate::ConnectorError> {
                $crate::__private::validate_config::<$connector>(&config)
            }
            fn send(
                config: ::std::string::String,
                message: $crate::Message,
            ) -> Result<$crate::Receipt, $crate::ConnectorError> {
                $crate::__private::send::<$connector>(&config, &message)
            }
        }

        // Only a component has these exports; a native build (unit tests,
        // clippy) must not try to export symbols named like WIT functions.
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::__export_world!(__SmshostExport with_types_in $crate::bindings);
    };
}
