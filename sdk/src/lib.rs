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
//!     fn metadata() -> Metadata {
//!         Metadata::new("echo", "Echo")
//!             .config_url("endpoint")
//!             .schema(Schema::object().string("endpoint", "Where messages go.").format(Format::Uri))
//!     }
//!     fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
//!         let response = HttpRequest::post(&config.endpoint).json(&serde_json::json!({"to": message.to})).send()?;
//!         response.error_for_status()?;
//!         Ok(Receipt::new(None))
//!     }
//! }
//! smshost_sdk::export_connector!(Echo);
//! ```
//!
//! Everything a connector needs beyond the contract lives here so that each
//! connector reads like its provider's API documentation: the config schema
//! ([`schema`]) and typed parsing ([`config`], [`json`]), template entries
//! ([`template`]), request building and response reading ([`http`]),
//! encodings and signatures ([`encoding`], [`crypto`]), errors and their
//! classification ([`error`]) and a clock and nonce source that tests can
//! fix ([`clock`]).

pub mod clock;
pub mod config;
pub mod crypto;
pub mod encoding;
pub mod error;
pub mod http;
pub mod json;
pub mod log;
pub mod message;
pub mod metadata;
pub mod schema;
pub mod template;

/// Generated bindings for the `smshost:connector@0.2.0` world. Connectors
/// rarely need them directly; the SDK re-exports the types they use.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "sms-connector",
        path: "../wit/v0.2",
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
    pub use crate::error::{Kind, ProviderError};
    pub use crate::http::{HttpRequest, HttpResponse};
    pub use crate::json::StringOrNumber;
    pub use crate::metadata::Metadata;
    pub use crate::schema::{Format, Schema, Templates};
    pub use crate::template::{CodeTemplate, Params, TextTemplate};
    pub use crate::{Connector, ConnectorError, ErrorCode, Message, NetworkHost, Receipt, UsageType};
}

/// What a connector implements. [`export_connector!`] turns it into the
/// component's `connector` export.
pub trait Connector {
    /// The connector's config, parsed from the JSON the operator wrote.
    /// A missing or mistyped field becomes `invalid-config` naming the field.
    type Config: serde::de::DeserializeOwned;

    /// Static facts: id, name, description, network hosts and the config
    /// schema. The version is the crate's, filled in by [`export_connector!`].
    fn metadata() -> metadata::Metadata;

    /// Checks beyond what parsing the config and the schema's required
    /// non-blank strings already check.
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

    pub use crate::metadata::Crate;

    pub fn metadata<C: Connector>(krate: &Crate) -> ConnectorMetadata {
        C::metadata().into_wit(krate)
    }

    pub fn validate_config<C: Connector>(config: &str) -> Result<(), ConnectorError> {
        crate::config::checked::<C>(config).map(drop)
    }

    pub fn send<C: Connector>(config: &str, message: &Message) -> Result<Receipt, ConnectorError> {
        C::send(crate::config::checked::<C>(config)?, message)
    }
}

/// Exports a [`Connector`] implementation as the component's `connector`
/// interface. Use it once, in the connector crate's `lib.rs`:
/// `export_connector!(Twilio)`, or `export_connector!(Twilio, logo = "logo.svg")`
/// with an SVG logo beside `Cargo.toml`.
///
/// The crate states the rest once, in files the host shows operators:
/// `README.md` (Markdown: the provider, where to get each credential, the
/// config fields, the templates) and `example-config.json` (placeholder
/// credentials; must pass `validate-config`), both beside `Cargo.toml`, and
/// the `description` in `Cargo.toml`. The macro also adds a unit test that
/// checks all of them.
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        $crate::export_connector!(@export $connector, ::core::option::Option::None);
    };
    ($connector:ty, logo = $logo:literal) => {
        $crate::export_connector!(
            @export $connector,
            ::core::option::Option::Some(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $logo)))
        );
    };
    (@export $connector:ty, $logo:expr) => {
        /// What the connector's crate states about it, read at build time:
        /// `Cargo.toml`'s version and description, `README.md`,
        /// `example-config.json` and the logo.
        #[doc(hidden)]
        pub const __SMSHOST_CRATE: $crate::metadata::Crate = $crate::metadata::Crate {
            version: env!("CARGO_PKG_VERSION"),
            description: env!("CARGO_PKG_DESCRIPTION"),
            readme: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")),
            example_config: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/example-config.json")),
            logo: $logo,
        };

        #[doc(hidden)]
        pub struct __SmshostExport;

        impl $crate::__private::Guest for __SmshostExport {
            fn metadata() -> $crate::ConnectorMetadata {
                $crate::__private::metadata::<$connector>(&__SMSHOST_CRATE)
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

        /// Every connector's README, logo and example config are checked
        /// by its own unit tests, without writing a test.
        #[cfg(test)]
        #[test]
        fn readme_logo_and_example_config_are_sound() {
            if let Err(problem) = $crate::metadata::check_crate::<$connector>(&__SMSHOST_CRATE) {
                panic!("{problem}");
            }
        }
    };
}
