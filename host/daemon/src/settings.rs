//! The daemon's settings: built-in defaults, then an optional TOML file
//! (`--config`), then flags and `SMSHOST_*` environment variables, which
//! win. Parsing is plain data, testable without starting anything.

use crate::limits::RateLimits;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the daemon listens by default: loopback only, so a first start
/// exposes nothing; 8787 is unassigned and easy to remember.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// The data folder by default, beside wherever the daemon is started.
pub(crate) const DEFAULT_DATA_DIR: &str = "smshost-data";
/// The plugin folder by default (as the CLI's).
pub(crate) const DEFAULT_PLUGIN_DIR: &str = "plugins";
/// How long in-flight sends may finish after SIGTERM: longer than one
/// provider round trip, shorter than an orchestrator's kill timeout (30 s).
pub(crate) const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The TOML file's shape; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSettings {
    listen: Option<String>,
    plugin_dir: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    store: Option<String>,
    cache_dir: Option<PathBuf>,
    log_format: Option<LogFormat>,
    #[serde(default)]
    override_origin: Vec<String>,
    shutdown_grace_secs: Option<u64>,
    rate_limits: Option<RateLimits>,
    allow_private_networks: Option<bool>,
    allow_http: Option<bool>,
}

/// What flags and the environment said (`None`: not given).
#[derive(Debug, Default, Clone)]
pub(crate) struct Overrides {
    pub(crate) listen: Option<String>,
    pub(crate) plugin_dir: Option<PathBuf>,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) store: Option<String>,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) log_format: Option<LogFormat>,
    pub(crate) override_origin: Vec<String>,
    /// `true` when the flag was given (a flag can only grant).
    pub(crate) allow_private_networks: bool,
    /// `true` when the flag was given.
    pub(crate) allow_http: bool,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) listen: SocketAddr,
    pub(crate) plugin_dir: PathBuf,
    pub(crate) data_dir: PathBuf,
    /// A `postgres://` URL or an SQLite file path.
    pub(crate) store: String,
    pub(crate) cache_dir: PathBuf,
    pub(crate) log_format: LogFormat,
    pub(crate) override_origin: Vec<String>,
    pub(crate) shutdown_grace: Duration,
    pub(crate) rate_limits: RateLimits,
    /// What plugins may reach besides public HTTPS hosts.
    pub(crate) network: smshost::NetworkPolicy,
}

impl Settings {
    /// Reads `file` (if any) and applies `overrides` on top.
    pub(crate) fn resolve(file: Option<&Path>, overrides: Overrides) -> Result<Self, String> {
        let from_file = match file {
            None => FileSettings::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| format!("cannot read settings file {}: {error}", path.display()))?;
                Self::parse_file(&text).map_err(|error| format!("settings file {}: {error}", path.display()))?
            }
        };
        Self::merge(from_file, overrides)
    }

    /// Parses the TOML text of a settings file.
    pub(crate) fn parse_file(text: &str) -> Result<FileSettings, String> {
        toml::from_str(text).map_err(|error| error.message().to_string())
    }

    /// Flags and environment over the file over the defaults.
    pub(crate) fn merge(file: FileSettings, flags: Overrides) -> Result<Self, String> {
        let listen_text = flags
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            format!("`listen` must be an address and port such as {DEFAULT_LISTEN}, not `{listen_text}`")
        })?;
        let data_dir = flags
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let store = flags
            .store
            .or(file.store)
            .unwrap_or_else(|| data_dir.join("smshost.db").display().to_string());
        let cache_dir = absolute_dir(
            &flags
                .cache_dir
                .or(file.cache_dir)
                .unwrap_or_else(|| data_dir.join("cache")),
            "cache folder",
        )?;
        let mut override_origin = file.override_origin;
        override_origin.extend(flags.override_origin);
        let rate_limits = file.rate_limits.unwrap_or_default();
        for rule in [rate_limits.per_recipient, rate_limits.per_country, rate_limits.per_ip]
            .into_iter()
            .flatten()
        {
            if rule.count == 0 || rule.window_secs == 0 {
                return Err(
                    "a rate limit needs `count` and `window_secs` above 0 (leave it out to turn it off)".into(),
                );
            }
        }
        Ok(Settings {
            listen,
            plugin_dir: flags
                .plugin_dir
                .or(file.plugin_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_PLUGIN_DIR)),
            data_dir,
            store,
            cache_dir,
            log_format: flags.log_format.or(file.log_format).unwrap_or(LogFormat::Pretty),
            override_origin,
            shutdown_grace: file
                .shutdown_grace_secs
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_SHUTDOWN_GRACE),
            rate_limits,
            network: smshost::NetworkPolicy {
                allow_private_networks: flags.allow_private_networks || file.allow_private_networks.unwrap_or(false),
                allow_http: flags.allow_http || file.allow_http.unwrap_or(false),
            },
        })
    }

    /// The store as shown in logs: a PostgreSQL URL without its password.
    pub(crate) fn store_label(&self) -> String {
        match url::Url::parse(&self.store) {
            Ok(mut url) if url.scheme().starts_with("postgres") => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("********"));
                }
                url.to_string()
            }
            _ => format!("sqlite:{}", self.store),
        }
    }
}

/// `dir` resolved against the current folder, so a relative `--cache-dir`
/// means the same folder wherever the path is used later and in every log
/// line.
pub(crate) fn absolute_dir(dir: &Path, what: &str) -> Result<PathBuf, String> {
    std::path::absolute(dir).map_err(|error| {
        format!(
            "cannot resolve the {what} {} against the current folder: {error}",
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Rule;

    #[test]
    fn defaults_then_file_then_flags() {
        let defaults = Settings::merge(FileSettings::default(), Overrides::default()).unwrap();
        assert_eq!(defaults.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(defaults.data_dir, PathBuf::from("smshost-data"));
        assert_eq!(defaults.store, "smshost-data/smshost.db");
        assert_eq!(defaults.plugin_dir, PathBuf::from("plugins"));
        assert_eq!(defaults.rate_limits, RateLimits::default());

        let file = Settings::parse_file(
            r#"
            listen = "0.0.0.0:9000"
            data_dir = "/var/lib/smshost"
            log_format = "json"
            override_origin = ["https://api.twilio.com=http://127.0.0.1:9"]
            [rate_limits]
            per_recipient = { count = 5, window_secs = 60 }
            per_ip = { count = 100, window_secs = 3600 }
            "#,
        )
        .unwrap();
        let flags = Overrides {
            listen: Some("127.0.0.1:1234".into()),
            ..Overrides::default()
        };
        let settings = Settings::merge(file, flags).unwrap();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:1234", "flags win");
        assert_eq!(settings.store, "/var/lib/smshost/smshost.db");
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.override_origin.len(), 1);
        assert_eq!(
            settings.rate_limits.per_recipient,
            Some(Rule {
                count: 5,
                window_secs: 60
            })
        );
        assert_eq!(settings.rate_limits.per_country, None);
    }

    #[test]
    fn a_relative_cache_dir_is_resolved_against_the_current_folder() {
        let here = std::env::current_dir().unwrap();
        let flags = Overrides {
            cache_dir: Some(PathBuf::from("rel/cache")),
            ..Overrides::default()
        };
        let settings = Settings::merge(FileSettings::default(), flags).unwrap();
        assert_eq!(settings.cache_dir, here.join("rel/cache"));
        let defaults = Settings::merge(FileSettings::default(), Overrides::default()).unwrap();
        assert_eq!(defaults.cache_dir, here.join("smshost-data/cache"));
        let absolute = Overrides {
            cache_dir: Some(PathBuf::from("/var/cache/smshost")),
            ..Overrides::default()
        };
        let settings = Settings::merge(FileSettings::default(), absolute).unwrap();
        assert_eq!(settings.cache_dir, PathBuf::from("/var/cache/smshost"));
    }

    #[test]
    fn bad_settings_are_named() {
        let error = Settings::parse_file("listne = \"x\"").unwrap_err();
        assert!(error.contains("unknown field `listne`"), "{error}");
        let error =
            Settings::parse_file("[rate_limits]\nper_recipient = { count = \"ten\", window_secs = 1 }").unwrap_err();
        assert!(error.contains("invalid type"), "{error}");
        let flags = Overrides {
            listen: Some("localhost".into()),
            ..Overrides::default()
        };
        let error = Settings::merge(FileSettings::default(), flags).unwrap_err();
        assert!(error.contains("`listen` must be an address and port"), "{error}");
        let zero = Settings::parse_file("[rate_limits]\nper_ip = { count = 0, window_secs = 1 }").unwrap();
        assert!(Settings::merge(zero, Overrides::default()).is_err());
    }

    #[test]
    fn store_urls_lose_their_password_in_logs() {
        let settings = Settings::merge(
            FileSettings::default(),
            Overrides {
                store: Some("postgres://smshost:hunter2@db:5432/smshost".into()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert!(!settings.store_label().contains("hunter2"));
        assert!(settings.store_label().contains("db:5432"));
    }
}
