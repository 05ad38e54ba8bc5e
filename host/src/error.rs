//! The host's errors: what a connector reported, kept apart from what went
//! wrong with the plugin itself (load failures, traps, exhausted limits).

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Logto's connector error codes that apply to SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The config is malformed or misses a field.
    InvalidConfig,
    /// No template fits the usage type.
    TemplateNotFound,
    /// The provider throttled the request.
    RateLimitExceeded,
    /// The account's quota or balance is exhausted.
    UsageLimitExceeded,
    /// The provider answered with something unreadable.
    InvalidResponse,
    /// The request's parameters were refused (e.g. the phone number).
    InvalidRequestParameters,
    /// The provider refused the credentials.
    AuthorizationFailed,
    /// Anything else.
    General,
}

impl ErrorCode {
    /// Logto's snake_case name (`invalid_config`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::TemplateNotFound => "template_not_found",
            ErrorCode::RateLimitExceeded => "rate_limit_exceeded",
            ErrorCode::UsageLimitExceeded => "usage_limit_exceeded",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::InvalidRequestParameters => "invalid_request_parameters",
            ErrorCode::AuthorizationFailed => "authorization_failed",
            ErrorCode::General => "general",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure a connector reported (or the host reported on its behalf,
/// such as `template_not_found`). Messages never carry secrets: the host
/// redacts config secrets before building one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorError {
    /// The Logto error code.
    pub code: ErrorCode,
    /// A human message, e.g. the provider's own error text.
    pub message: String,
    /// The provider's own error code (`21211`, `isv.BUSINESS_LIMIT_CONTROL`).
    pub provider_code: Option<String>,
    /// The provider's HTTP status, when it answered.
    pub http_status: Option<u16>,
    /// True when sending the same message later may succeed.
    pub retryable: bool,
}

impl ConnectorError {
    /// An error with a code and message only.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ConnectorError {
            code,
            message: message.into(),
            provider_code: None,
            http_status: None,
            retryable: false,
        }
    }
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        match (&self.provider_code, self.http_status) {
            (Some(code), Some(status)) => write!(f, " (provider code {code}, HTTP {status})")?,
            (Some(code), None) => write!(f, " (provider code {code})")?,
            (None, Some(status)) => write!(f, " (HTTP {status})")?,
            (None, None) => {}
        }
        if self.retryable {
            f.write_str(" [retryable]")?;
        }
        Ok(())
    }
}

/// How a plugin failed, as opposed to what it reported.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginFailure {
    /// The guest trapped (a panic, `unreachable`, a bad memory access...).
    Trap(String),
    /// The guest computed longer than its CPU budget.
    CpuBudgetExceeded(Duration),
    /// The guest asked for more memory than its cap.
    MemoryLimitExceeded(u64),
    /// The whole call took longer than the wall-clock limit.
    Timeout(Duration),
}

impl fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginFailure::Trap(reason) => write!(f, "trapped: {reason}"),
            PluginFailure::CpuBudgetExceeded(budget) => write!(f, "exceeded its CPU budget of {budget:?}"),
            PluginFailure::MemoryLimitExceeded(limit) => write!(f, "exceeded its memory limit of {limit} bytes"),
            PluginFailure::Timeout(limit) => write!(f, "did not finish within {limit:?}"),
        }
    }
}

/// Everything that can go wrong in the host.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A plugin file could not be loaded.
    #[error("cannot load plugin {file}: {reason}")]
    Load {
        /// The file (or the name given to loaded bytes).
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file or folder could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// No loaded plugin has this id.
    #[error("no plugin with id `{0}` is loaded")]
    UnknownPlugin(String),
    /// Every sandbox stayed busy for the whole queue timeout; try later.
    #[error("all sandboxes are busy (waited {0:?}); try again shortly")]
    Busy(Duration),
    /// The host was configured wrongly (e.g. a malformed origin override).
    #[error("invalid host setting: {0}")]
    Setup(String),
    /// The request was refused before any plugin ran (bad phone number,
    /// unknown usage type).
    #[error("invalid_request_parameters: {0}")]
    InvalidRequest(String),
    /// The connector config was refused, by the host's checks or by the
    /// plugin's own validation.
    #[error("{plugin}: invalid_config: {reason}")]
    InvalidConfig {
        /// `id@version` of the plugin.
        plugin: String,
        /// Which field is wrong and why.
        reason: String,
    },
    /// The connector (or the host's template selection) reported a failure.
    #[error("{plugin}: {error}")]
    Connector {
        /// `id@version` of the plugin.
        plugin: String,
        /// What it reported.
        error: ConnectorError,
    },
    /// The plugin itself failed; the host is unaffected.
    #[error("{plugin}: plugin {failure}")]
    Plugin {
        /// `id@version` of the plugin.
        plugin: String,
        /// How it failed.
        failure: PluginFailure,
    },
}

impl Error {
    /// A stable snake_case code: Logto's connector codes where they apply,
    /// otherwise the host's own (`plugin_load_failed`, `plugin_failed`...).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Load { .. } => "plugin_load_failed",
            Error::Io { .. } => "io_error",
            Error::UnknownPlugin(_) => "plugin_not_found",
            Error::Busy(_) => "busy",
            Error::Setup(_) => "invalid_setup",
            Error::InvalidRequest(_) => ErrorCode::InvalidRequestParameters.as_str(),
            Error::InvalidConfig { .. } => ErrorCode::InvalidConfig.as_str(),
            Error::Connector { error, .. } => error.code.as_str(),
            Error::Plugin { .. } => "plugin_failed",
        }
    }

    /// Whether the same send may succeed later (provider hiccups, timeouts).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connector { error, .. } => error.retryable,
            Error::Plugin {
                failure: PluginFailure::Timeout(_),
                ..
            }
            | Error::Busy(_) => true,
            _ => false,
        }
    }
}

/// Shorthand for the host's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
