//! Tenants and their one active SMS connector.
//!
//! The store owns the rule "exactly one active SMS connector per tenant"
//! (one row per tenant, replaced in one transaction). This module keeps a
//! ready [`Connector`] handle per tenant, built from the stored record: the
//! secrets decrypted, the config validated by the plugin. A handle is
//! replaced only by one of a newer version, so a process never goes back to
//! an older connector than one it has served; sends already running keep
//! the handle they started with.

use crate::app::App;
use crate::error::ApiError;
use axum::http::StatusCode;
use serde_json::Value;
use smshost::{Connector, ConnectorConfig};
use smshost_store::ConnectorRecord;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A tenant's active connector, ready to send.
#[derive(Debug)]
pub(crate) struct Active {
    /// The stored record (config with secrets encrypted).
    pub(crate) record: ConnectorRecord,
    /// The handle built from it.
    pub(crate) connector: Connector,
}

/// The ready handles, by tenant.
#[derive(Debug, Default)]
pub(crate) struct ActiveConnectors {
    by_tenant: RwLock<HashMap<String, Slot>>,
}

/// What is known of a tenant: the newest version seen, and its handle
/// (`None` once that version is a deletion).
#[derive(Debug, Clone)]
struct Slot {
    version: i64,
    active: Option<Arc<Active>>,
}

/// `default`, or 1-63 characters of a-z, 0-9, `-` and `_`, starting with
/// a letter or digit: safe in URLs, file names and metric labels.
pub(crate) fn check_tenant(tenant: &str) -> Result<(), ApiError> {
    let valid = !tenant.is_empty()
        && tenant.len() <= 63
        && tenant.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && tenant
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_tenant",
            "a tenant id is 1-63 characters of a-z, 0-9, `-` and `_`, starting with a letter or digit",
        ))
    }
}

impl ActiveConnectors {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Slot>> {
        self.by_tenant.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Slot>> {
        self.by_tenant.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached(&self, tenant: &str) -> Option<Arc<Active>> {
        self.read().get(tenant).and_then(|slot| slot.active.clone())
    }

    /// Keeps `active` unless a newer version (or deletion) is known; returns
    /// what is kept, or `None` when a newer deletion wins.
    pub(crate) fn offer(&self, tenant: &str, active: Arc<Active>) -> Option<Arc<Active>> {
        let mut map = self.write();
        match map.get(tenant) {
            Some(slot) if slot.version > active.record.version => slot.active.clone(),
            _ => {
                let slot = Slot {
                    version: active.record.version,
                    active: Some(active.clone()),
                };
                map.insert(tenant.to_string(), slot);
                Some(active)
            }
        }
    }

    /// Records that `tenant` has no connector from `version` on.
    pub(crate) fn deleted(&self, tenant: &str, version: i64) {
        let mut map = self.write();
        if map.get(tenant).is_none_or(|slot| slot.version <= version) {
            map.insert(tenant.to_string(), Slot { version, active: None });
        }
    }

    /// Forgets the handle of `tenant` if it is older than `version`, so the
    /// next send reads the store (a change made by another replica).
    pub(crate) fn invalidate(&self, tenant: &str, version: i64) {
        let mut map = self.write();
        if let Some(slot) = map.get_mut(tenant)
            && slot.version < version
        {
            slot.active = None;
        }
    }

    /// Tenants whose kept handle uses plugin `id`.
    pub(crate) fn using(&self, id: &str) -> Vec<(String, Arc<Active>)> {
        self.read()
            .iter()
            .filter_map(|(tenant, slot)| Some((tenant.clone(), slot.active.clone()?)))
            .filter(|(_, active)| active.record.plugin == id)
            .collect()
    }
}

impl App {
    /// The tenant's active connector, from the kept handle or the store.
    /// `Ok(None)`: no connector is configured.
    pub(crate) async fn active(&self, tenant: &str) -> Result<Option<Arc<Active>>, ApiError> {
        if let Some(active) = self.active.cached(tenant) {
            return Ok(Some(active));
        }
        let Some(record) = self.store.active_connector(tenant).await? else {
            return Ok(None);
        };
        let active = self.build(tenant, record).await?;
        Ok(self.active.offer(tenant, active))
    }

    /// Builds a handle from a stored record with the loaded plugin.
    pub(crate) async fn build(&self, tenant: &str, record: ConnectorRecord) -> Result<Arc<Active>, ApiError> {
        let plugin = self.runtime.plugin(&record.plugin).ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin_not_loaded",
                format!(
                    "the active connector's plugin `{}` is not in this daemon's plugin folder",
                    record.plugin
                ),
            )
        })?;
        let config = self.open_config(tenant, &record)?;
        let connector = self.runtime.connector_for(plugin, config).await.map_err(|error| {
            tracing::error!(tenant, %error, "the stored connector config no longer validates");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "connector_unavailable",
                format!("the stored connector cannot be used: {error}"),
            )
        })?;
        Ok(Arc::new(Active { record, connector }))
    }

    /// The stored config of `record` with its secrets decrypted.
    pub(crate) fn open_config(&self, tenant: &str, record: &ConnectorRecord) -> Result<ConnectorConfig, ApiError> {
        let stored: Value = serde_json::from_str(&record.config_json).map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store_corrupt",
                "a stored config is not JSON",
            )
        })?;
        let object = stored.as_object().cloned().unwrap_or_default();
        let secrets = self
            .runtime
            .plugin(&record.plugin)
            .map(|plugin| plugin.secret_fields().to_vec())
            .unwrap_or_else(|| encrypted_fields(&object));
        let opened = self.key.decrypt_fields(tenant, &record.plugin, &secrets, &object)?;
        ConnectorConfig::from_value(Value::Object(opened))
            .map_err(|reason| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_corrupt", reason))
    }
}

/// Fields holding an encrypted value, for a record whose plugin is gone.
pub(crate) fn encrypted_fields(object: &serde_json::Map<String, Value>) -> Vec<String> {
    object
        .iter()
        .filter(|(_, value)| value.as_str().is_some_and(|text| text.starts_with("enc:v1:")))
        .map(|(field, _)| field.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_url_and_label_safe() {
        for good in ["default", "dev", "prod-eu", "t_1", "0"] {
            assert!(check_tenant(good).is_ok(), "{good}");
        }
        for bad in ["", "Dev", "-x", "a/b", "a b", "é", &"a".repeat(64), "..", "a\nb"] {
            assert!(check_tenant(bad).is_err(), "{bad:?}");
        }
    }
}
