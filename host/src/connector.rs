//! A connector handle: one plugin with one validated config, ready to send.
//!
//! Made by [`crate::Runtime::connector`]. A handle is immutable: changing
//! the config or the plugin means making a new handle, so a send always
//! runs with exactly the plugin and config it started with, even while a
//! hot reload or a configuration change swaps what new sends get.

use crate::bindings::GuestMessage;
use crate::config::{ConnectorConfig, Redactor};
use crate::engine::Limits;
use crate::error::{ConnectorError, Error, ErrorCode, Result};
use crate::message::OutgoingMessage;
use crate::plugin::Plugin;
use crate::sandbox::Sandbox;
use crate::template;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

/// A plugin with a validated config. Cheap to clone; share it freely.
#[derive(Clone)]
pub struct Connector {
    inner: Arc<ConnectorInner>,
}

struct ConnectorInner {
    plugin: Plugin,
    config: ConnectorConfig,
    sandbox: Sandbox,
    sandboxes: Arc<Semaphore>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config holds secrets: show only what identifies the handle.
        f.debug_struct("Connector")
            .field("plugin", &self.inner.plugin.label())
            .finish_non_exhaustive()
    }
}

/// A successful send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The host's id for this send, also on its log lines.
    pub send_id: String,
    /// The connector that sent it.
    pub connector: String,
    /// The recipient, redacted for logs (`+45******56`).
    pub to: String,
    /// The provider's message id, when it returns one.
    pub provider_message_id: Option<String>,
    /// Provider facts the connector reported (status, segments, cost...).
    pub summary: BTreeMap<String, String>,
    /// Time from the call to the receipt, in milliseconds.
    pub elapsed_ms: u64,
}

impl Connector {
    pub(crate) fn new(plugin: Plugin, config: ConnectorConfig, sandbox: Sandbox, sandboxes: Arc<Semaphore>) -> Self {
        Connector {
            inner: Arc::new(ConnectorInner {
                plugin,
                config,
                sandbox,
                sandboxes,
            }),
        }
    }

    /// The plugin this handle sends through.
    pub fn plugin(&self) -> &Plugin {
        &self.inner.plugin
    }

    /// The validated config.
    pub fn config(&self) -> &ConnectorConfig {
        &self.inner.config
    }

    /// Sends one message: selects and renders the template, then runs the
    /// plugin's `send` in a fresh sandbox. Waits for a free sandbox at most
    /// [`Limits::queue_timeout`], then fails with [`Error::Busy`].
    pub async fn send(&self, message: &OutgoingMessage) -> Result<Receipt> {
        let span = tracing::info_span!(
            "send",
            send_id = %message.send_id,
            plugin = self.inner.plugin.label(),
        );
        self.send_inner(message).instrument(span).await
    }

    async fn send_inner(&self, message: &OutgoingMessage) -> Result<Receipt> {
        let started = Instant::now();
        let inner = &*self.inner;
        let plugin = &inner.plugin;
        let template = if plugin.metadata().uses_templates {
            let entry =
                template::select(inner.config.templates(), message.usage, message.locale()).ok_or_else(|| {
                    Error::Connector {
                        plugin: plugin.label().to_string(),
                        error: ConnectorError::new(
                            ErrorCode::TemplateNotFound,
                            format!("Cannot find template for type: {}", message.usage),
                        ),
                    }
                })?;
            let rendered = template::render_entry(entry, &message.payload);
            Some(serde_json::Value::Object(rendered).to_string())
        } else {
            None
        };
        let guest_message = GuestMessage {
            to: message.to.as_str().to_string(),
            usage: message.usage,
            template,
            code: message.code().to_string(),
            locale: message.locale().map(str::to_string),
            payload: serde_json::Value::Object(message.payload.clone()).to_string(),
            client_ip: message.client_ip.clone(),
        };
        let config = inner.config.as_json().to_string();
        let masks = Arc::new(inner.sandbox.redactor.for_message(message.code(), &message.to));
        let _permit = acquire(&inner.sandboxes, &inner.sandbox.limits).await?;
        let outcome = inner
            .sandbox
            .run(plugin.pre(), masks.clone(), |instance, store| {
                Box::pin(async move { instance.send(store, &config, &guest_message).await })
            })
            .await;
        let elapsed = started.elapsed();
        let to = message.to.redacted();
        let result = match outcome {
            Err(failure) => Err(Error::Plugin {
                plugin: plugin.label().to_string(),
                failure,
            }),
            Ok(Err(error)) => Err(Error::Connector {
                plugin: plugin.label().to_string(),
                error: redact(error, &masks),
            }),
            Ok(Ok(receipt)) => {
                // The id and the summary's keys can echo the number or the
                // code as well as its values can: all are redacted and capped.
                let (provider_message_id, summary) = masks.receipt(receipt.provider_message_id, receipt.summary);
                Ok(Receipt {
                    send_id: message.send_id.clone(),
                    connector: plugin.id().to_string(),
                    to: to.clone(),
                    provider_message_id,
                    summary,
                    elapsed_ms: elapsed.as_millis() as u64,
                })
            }
        };
        // Debug level: an embedder (the daemon) writes the one info line per
        // send with what it knows (tenant, outcome); these add detail.
        match &result {
            Ok(receipt) => tracing::debug!(
                %to,
                usage = %message.usage,
                provider_message_id = receipt.provider_message_id.as_deref().unwrap_or(""),
                elapsed_ms = receipt.elapsed_ms,
                "sent"
            ),
            Err(error) => {
                tracing::debug!(%to, usage = %message.usage, code = error.code(), %error, "send failed")
            }
        }
        result
    }
}

/// Waits for a sandbox permit, at most `limits.queue_timeout`.
pub(crate) async fn acquire(sandboxes: &Arc<Semaphore>, limits: &Limits) -> Result<OwnedSemaphorePermit> {
    match tokio::time::timeout(limits.queue_timeout, sandboxes.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        // The semaphore is never closed; treat it like a full queue anyway.
        Ok(Err(_)) | Err(_) => Err(Error::Busy(limits.queue_timeout)),
    }
}

pub(crate) fn redact(error: ConnectorError, redactor: &Redactor) -> ConnectorError {
    redactor.connector_error(error)
}
