//! Bindings per contract version, and the version-independent face the rest
//! of the host uses.
//!
//! Each supported version of `smshost:connector` has its own module
//! ([`v0_1`], [`v0_2`]) generated from its own WIT folder, which converts its
//! types into the host's own ([`RawMetadata`], [`crate::UsageType`],
//! [`crate::ConnectorError`]), as Zed does per extension API version. The
//! linker provides the `http` and `log` imports of every version with one
//! implementation; a plugin is instantiated through the pre-instance of the
//! version it exports ([`ConnectorPre`]).
//!
//! Adding a version: a `v0_N.rs` bound to `wit/v0.N`, a [`ContractVersion`]
//! variant, and an arm in each `match` below. The compiler finds the rest.

pub(crate) mod v0_1;
pub(crate) mod v0_2;

use crate::error::ConnectorError;
use crate::message::UsageType;
use crate::sandbox::SendState;
use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

/// The HTTP types of the latest contract, which the HTTP capability speaks;
/// older versions convert into them.
pub(crate) use self::v0_2::wit_http;

/// The contract package every version belongs to.
pub(crate) const CONTRACT_PACKAGE: &str = "smshost:connector";

/// A contract version this host links, by its `major.minor` (0.x minors are
/// breaking; every patch of a supported minor links).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ContractVersion {
    /// `smshost:connector@0.1.x`.
    V0_1,
    /// `smshost:connector@0.2.x`: 0.1 plus readme, logo and example config.
    V0_2,
}

impl ContractVersion {
    /// Every version this host links, oldest first.
    pub(crate) const ALL: [ContractVersion; 2] = [ContractVersion::V0_1, ContractVersion::V0_2];

    /// `(major, minor)`.
    pub(crate) fn number(self) -> (u64, u64) {
        match self {
            ContractVersion::V0_1 => (0, 1),
            ContractVersion::V0_2 => (0, 2),
        }
    }

    /// The version a semver string such as `0.2.0` or `0.1.3` belongs to,
    /// if this host supports it. Pre-release and build suffixes are refused:
    /// the contract publishes none.
    pub(crate) fn from_semver(version: &str) -> Option<ContractVersion> {
        let mut parts = version.split('.');
        let number = |part: Option<&str>| {
            part.filter(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|part| part.parse::<u64>().ok())
        };
        let (major, minor, patch) = (number(parts.next()), number(parts.next()), number(parts.next()));
        if parts.next().is_some() || patch.is_none() {
            return None;
        }
        let found = (major?, minor?);
        Self::ALL.into_iter().find(|version| version.number() == found)
    }

    /// The supported versions for messages: `0.1.x, 0.2.x`.
    pub(crate) fn supported_list() -> String {
        Self::ALL
            .iter()
            .map(|version| {
                let (major, minor) = version.number();
                format!("{major}.{minor}.x")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A connector's metadata as the guest returned it, in the host's types but
/// not yet checked ([`crate::plugin`] validates and caps it). The fields a
/// version lacks are `None`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawMetadata {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) version: String,
    pub(crate) config_schema: String,
    pub(crate) network_hosts: Vec<RawNetworkHost>,
    pub(crate) uses_templates: bool,
    /// 0.2 and later; `Some("")` is an empty README (allowed, flagged by
    /// `smshost check`).
    pub(crate) readme: Option<String>,
    /// 0.2 and later, when the plugin has a logo.
    pub(crate) logo: Option<String>,
    /// 0.2 and later: JSON text.
    pub(crate) example_config: Option<String>,
}

/// A declared network host before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawNetworkHost {
    Origin(String),
    ConfigUrl(String),
}

/// One message as the host hands it to a guest (see `message` in the WIT).
#[derive(Debug, Clone)]
pub(crate) struct GuestMessage {
    pub(crate) to: String,
    pub(crate) usage: UsageType,
    pub(crate) template: Option<String>,
    pub(crate) code: String,
    pub(crate) locale: Option<String>,
    pub(crate) payload: String,
    pub(crate) client_ip: Option<String>,
}

/// A guest's receipt before the host redacts and caps it.
#[derive(Debug, Clone)]
pub(crate) struct GuestReceipt {
    pub(crate) provider_message_id: Option<String>,
    pub(crate) summary: Vec<(String, String)>,
}

/// A guest log line's level, whatever the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// Links the contract imports (`http`, `log`, and the empty `types`) of
/// every supported version into `linker`, all served by [`SendState`].
pub(crate) fn add_to_linker(linker: &mut Linker<SendState>) -> wasmtime::Result<()> {
    v0_1::SmsConnector::add_to_linker::<SendState, HasSelf<SendState>>(linker, |state| state)?;
    v0_2::SmsConnector::add_to_linker::<SendState, HasSelf<SendState>>(linker, |state| state)?;
    Ok(())
}

/// A plugin's pre-instance, typed by the contract version it exports.
pub(crate) enum ConnectorPre {
    V0_1(v0_1::SmsConnectorPre<SendState>),
    V0_2(v0_2::SmsConnectorPre<SendState>),
}

impl ConnectorPre {
    /// Types `pre` as `version`'s world; fails when the component lacks the
    /// export that version requires.
    pub(crate) fn new(version: ContractVersion, pre: InstancePre<SendState>) -> wasmtime::Result<Self> {
        Ok(match version {
            ContractVersion::V0_1 => ConnectorPre::V0_1(v0_1::SmsConnectorPre::new(pre)?),
            ContractVersion::V0_2 => ConnectorPre::V0_2(v0_2::SmsConnectorPre::new(pre)?),
        })
    }

    /// Instantiates into a fresh store.
    pub(crate) async fn instantiate(&self, store: &mut Store<SendState>) -> wasmtime::Result<ConnectorInstance> {
        Ok(match self {
            ConnectorPre::V0_1(pre) => ConnectorInstance::V0_1(pre.instantiate_async(store).await?),
            ConnectorPre::V0_2(pre) => ConnectorInstance::V0_2(pre.instantiate_async(store).await?),
        })
    }
}

/// An instantiated connector of any supported version; its calls take and
/// return the host's own types.
pub(crate) enum ConnectorInstance {
    V0_1(v0_1::SmsConnector),
    V0_2(v0_2::SmsConnector),
}

impl ConnectorInstance {
    /// Calls `metadata`.
    pub(crate) async fn metadata(&self, store: &mut Store<SendState>) -> wasmtime::Result<RawMetadata> {
        Ok(match self {
            ConnectorInstance::V0_1(instance) => instance
                .smshost_connector_connector()
                .call_metadata(store)
                .await?
                .into(),
            ConnectorInstance::V0_2(instance) => instance
                .smshost_connector_connector()
                .call_metadata(store)
                .await?
                .into(),
        })
    }

    /// Calls `validate-config`.
    pub(crate) async fn validate_config(
        &self,
        store: &mut Store<SendState>,
        config: &str,
    ) -> wasmtime::Result<Result<(), ConnectorError>> {
        Ok(match self {
            ConnectorInstance::V0_1(instance) => instance
                .smshost_connector_connector()
                .call_validate_config(store, config)
                .await?
                .map_err(Into::into),
            ConnectorInstance::V0_2(instance) => instance
                .smshost_connector_connector()
                .call_validate_config(store, config)
                .await?
                .map_err(Into::into),
        })
    }

    /// Calls `send`.
    pub(crate) async fn send(
        &self,
        store: &mut Store<SendState>,
        config: &str,
        message: &GuestMessage,
    ) -> wasmtime::Result<Result<GuestReceipt, ConnectorError>> {
        Ok(match self {
            ConnectorInstance::V0_1(instance) => instance
                .smshost_connector_connector()
                .call_send(store, config, &message.clone().into())
                .await?
                .map(Into::into)
                .map_err(Into::into),
            ConnectorInstance::V0_2(instance) => instance
                .smshost_connector_connector()
                .call_send(store, config, &message.clone().into())
                .await?
                .map(Into::into)
                .map_err(Into::into),
        })
    }
}

/// The conversions and imports every version shares, for a version module
/// that has `wit` (its `types`) and `log` in scope. A macro because each
/// version's generated types are distinct Rust types of the same shape.
macro_rules! common_conversions {
    () => {
        use $crate::bindings::{GuestMessage, GuestReceipt};
        use $crate::error::{ConnectorError, ErrorCode};
        use $crate::message::UsageType;

        impl From<UsageType> for wit::UsageType {
            fn from(usage: UsageType) -> Self {
                match usage {
                    UsageType::SignIn => wit::UsageType::SignIn,
                    UsageType::Register => wit::UsageType::Register,
                    UsageType::ForgotPassword => wit::UsageType::ForgotPassword,
                    UsageType::OrganizationInvitation => wit::UsageType::OrganizationInvitation,
                    UsageType::Generic => wit::UsageType::Generic,
                    UsageType::UserPermissionValidation => wit::UsageType::UserPermissionValidation,
                    UsageType::BindNewIdentifier => wit::UsageType::BindNewIdentifier,
                    UsageType::MfaVerification => wit::UsageType::MfaVerification,
                    UsageType::BindMfa => wit::UsageType::BindMfa,
                }
            }
        }

        impl From<wit::NetworkHost> for $crate::bindings::RawNetworkHost {
            fn from(host: wit::NetworkHost) -> Self {
                match host {
                    wit::NetworkHost::Origin(origin) => $crate::bindings::RawNetworkHost::Origin(origin),
                    wit::NetworkHost::ConfigUrl(field) => $crate::bindings::RawNetworkHost::ConfigUrl(field),
                }
            }
        }

        impl From<GuestMessage> for wit::Message {
            fn from(message: GuestMessage) -> Self {
                wit::Message {
                    to: message.to,
                    usage: message.usage.into(),
                    template: message.template,
                    code: message.code,
                    locale: message.locale,
                    payload: message.payload,
                    client_ip: message.client_ip,
                }
            }
        }

        impl From<wit::Receipt> for GuestReceipt {
            fn from(receipt: wit::Receipt) -> Self {
                GuestReceipt {
                    provider_message_id: receipt.provider_message_id,
                    summary: receipt.summary,
                }
            }
        }

        impl From<wit::ErrorCode> for ErrorCode {
            fn from(code: wit::ErrorCode) -> Self {
                match code {
                    wit::ErrorCode::InvalidConfig => ErrorCode::InvalidConfig,
                    wit::ErrorCode::TemplateNotFound => ErrorCode::TemplateNotFound,
                    wit::ErrorCode::RateLimitExceeded => ErrorCode::RateLimitExceeded,
                    wit::ErrorCode::UsageLimitExceeded => ErrorCode::UsageLimitExceeded,
                    wit::ErrorCode::InvalidResponse => ErrorCode::InvalidResponse,
                    wit::ErrorCode::InvalidRequestParameters => ErrorCode::InvalidRequestParameters,
                    wit::ErrorCode::AuthorizationFailed => ErrorCode::AuthorizationFailed,
                    wit::ErrorCode::General => ErrorCode::General,
                }
            }
        }

        impl From<wit::ConnectorError> for ConnectorError {
            fn from(error: wit::ConnectorError) -> Self {
                ConnectorError {
                    code: error.code.into(),
                    message: error.message,
                    provider_code: error.provider_code,
                    http_status: error.http_status,
                    retryable: error.retryable,
                }
            }
        }

        impl From<log::Level> for $crate::bindings::LogLevel {
            fn from(level: log::Level) -> Self {
                match level {
                    log::Level::Debug => $crate::bindings::LogLevel::Debug,
                    log::Level::Info => $crate::bindings::LogLevel::Info,
                    log::Level::Warn => $crate::bindings::LogLevel::Warn,
                    log::Level::Error => $crate::bindings::LogLevel::Error,
                }
            }
        }

        impl wit::Host for SendState {}

        impl log::Host for SendState {
            async fn write(&mut self, level: log::Level, message: String) {
                self.guest_log(level.into(), message);
            }
        }
    };
}
pub(crate) use common_conversions;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_versions_parse_by_minor() {
        assert_eq!(ContractVersion::from_semver("0.1.0"), Some(ContractVersion::V0_1));
        assert_eq!(ContractVersion::from_semver("0.1.7"), Some(ContractVersion::V0_1));
        assert_eq!(ContractVersion::from_semver("0.2.0"), Some(ContractVersion::V0_2));
        for refused in [
            "9.0.0",
            "0.3.0",
            "1.2.0",
            "0.2",
            "0.2.0-rc1",
            "0.2.0.1",
            "",
            "0.+2.0",
            "0.02x.0",
        ] {
            assert_eq!(ContractVersion::from_semver(refused), None, "{refused}");
        }
        assert_eq!(ContractVersion::supported_list(), "0.1.x, 0.2.x");
    }
}
