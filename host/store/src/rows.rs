//! Row shapes and conversions shared by both backends (their SQL returns the same columns).

use crate::{ConnectorRecord, IdempotencyBegin, SendRecord, StoreError, StoredResponse, TokenRecord};

/// plugin, config_json, version, updated_at_ms, updated_by
pub(crate) type ConnectorRow = (String, String, i64, i64, Option<String>);
/// id, tenant, hash, label, created_at_ms
pub(crate) type TokenRow = (String, Option<String>, String, String, i64);
/// id, at_ms, connector, usage_type, to_masked, outcome, error_code, provider_message_id, latency_ms
pub(crate) type SendRow = (
    String,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);
/// connector_heads: version, plugin, config_json, updated_at_ms, updated_by (NULLs after a deletion)
pub(crate) type HeadRow = (i64, Option<String>, Option<String>, Option<i64>, Option<String>);
/// A tenant's head: (current version, active connector if any).
pub(crate) type Head = (i64, Option<ConnectorRecord>);

pub(crate) fn connector(tenant: &str, row: ConnectorRow) -> ConnectorRecord {
    let (plugin, config_json, version, updated_at_unix_ms, updated_by) = row;
    ConnectorRecord {
        tenant: tenant.to_owned(),
        plugin,
        config_json,
        version,
        updated_at_unix_ms,
        updated_by,
    }
}

pub(crate) fn head(tenant: &str, row: Option<HeadRow>) -> Head {
    match row {
        None => (0, None),
        Some((version, Some(plugin), Some(config), at, by)) => (
            version,
            Some(connector(tenant, (plugin, config, version, at.unwrap_or(0), by))),
        ),
        Some((version, ..)) => (version, None),
    }
}

/// If-Match: Some(v) requires an active connector at exactly version v.
pub(crate) fn check_expected(expect: Option<i64>, active: &Option<ConnectorRecord>) -> Result<(), StoreError> {
    let current = active.as_ref().map(|c| c.version);
    match expect {
        Some(v) if current != Some(v) => Err(StoreError::VersionMismatch { current }),
        _ => Ok(()),
    }
}

pub(crate) fn token(row: TokenRow) -> TokenRecord {
    let (id, tenant, hash, label, created_at_unix_ms) = row;
    TokenRecord {
        id,
        tenant,
        hash,
        label,
        created_at_unix_ms,
    }
}

pub(crate) fn send(row: SendRow) -> SendRecord {
    let (id, at_unix_ms, connector, usage_type, to_masked, outcome, error_code, provider_message_id, latency) = row;
    SendRecord {
        id,
        at_unix_ms,
        connector,
        usage_type,
        to_masked,
        outcome,
        error_code,
        provider_message_id,
        latency_ms: latency.max(0) as u64,
    }
}

/// Decides what a caller that lost the insert learns from the existing row.
pub(crate) fn idempotency(
    fingerprint: &str,
    stored: String,
    status: Option<i64>,
    body: Option<String>,
) -> IdempotencyBegin {
    if stored != fingerprint {
        return IdempotencyBegin::Mismatch;
    }
    match status {
        Some(status) => IdempotencyBegin::Completed(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            body: body.unwrap_or_default(),
        }),
        None => IdempotencyBegin::InProgress,
    }
}
