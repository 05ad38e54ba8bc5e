//! Bindings for contract `smshost:connector@0.1.x`, and conversions between
//! its WIT types and the host's own types.
//!
//! When the contract gets a breaking version, its bindings go in a sibling
//! module that converts into the latest types, as Zed does per API version.

use crate::error::{ConnectorError, ErrorCode};
use crate::message::UsageType;

wasmtime::component::bindgen!({
    world: "sms-connector",
    path: "../wit/v0.1",
    imports: { default: async },
    exports: { default: async },
});

pub(crate) use self::smshost::connector::{http as wit_http, log as wit_log, types as wit};

/// The contract package this module binds.
pub(crate) const CONTRACT_PACKAGE: &str = "smshost:connector";
/// The contract version this module binds; any `0.1.x` guest links.
pub(crate) const CONTRACT_VERSION: (u64, u64) = (0, 1);
/// The exported interface every connector must provide.
pub(crate) const CONNECTOR_EXPORT: &str = "smshost:connector/connector@0.1.0";

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
