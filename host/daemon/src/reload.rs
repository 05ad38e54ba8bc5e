//! Hot reload of the plugin folder, watched with `notify`.
//!
//! - A new `.wasm` is compiled and registered.
//! - A replaced file is recompiled; tenants using it get a new handle with
//!   the new version (sends in flight finish on the old one). If the new
//!   version refuses a tenant's stored config, that tenant keeps the old
//!   handle and the refusal is logged.
//! - A broken file is logged; the previous good version keeps serving.
//! - A removed file's plugin is unloaded unless a tenant's active connector
//!   uses it: the active connector never silently disappears.
//!
//! Events are gathered for [`SETTLE`] before acting, so a file being
//! copied in is compiled once, complete.

use crate::app::App;
use crate::tenants::Active;
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Quiet time after the last event before the folder is re-read: long
/// enough for `cp` of a multi-megabyte Python plugin to finish writing.
const SETTLE: Duration = Duration::from_millis(300);

/// Watches `app.plugin_dir` until the process ends. The watcher is kept
/// alive by the returned guard.
pub(crate) fn watch(app: Arc<App>) -> Result<notify::RecommendedWatcher, notify::Error> {
    let (events, mut changes) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            for path in event.paths {
                let _ = events.send(path);
            }
        }
    })?;
    watcher.watch(&app.plugin_dir, RecursiveMode::NonRecursive)?;
    tokio::spawn(async move {
        while let Some(first) = changes.recv().await {
            let mut paths = BTreeSet::from([first]);
            loop {
                match tokio::time::timeout(SETTLE, changes.recv()).await {
                    Ok(Some(path)) => {
                        paths.insert(path);
                    }
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            for path in paths.into_iter().filter(|path| is_plugin_file(path)) {
                reload(&app, &path).await;
            }
        }
    });
    Ok(watcher)
}

fn is_plugin_file(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "wasm")
}

/// Brings the registry in line with one file's current state.
pub(crate) async fn reload(app: &App, path: &Path) {
    let registered = app.runtime.plugins().into_iter().find(|plugin| plugin.file() == path);
    if !path.exists() {
        let Some(plugin) = registered else { return };
        if app.is_active_anywhere(plugin.id()).await {
            tracing::warn!(
                plugin = plugin.label(),
                file = %path.display(),
                "plugin file removed, but it is an active connector: it stays loaded until replaced"
            );
        } else {
            app.runtime.unload(plugin.id());
        }
        return;
    }
    let plugin = match app.runtime.compile_file(path).await {
        Ok(plugin) => plugin,
        Err(error) => {
            tracing::error!(%error, "plugin file changed but cannot be loaded; the previous version keeps serving");
            return;
        }
    };
    if let Some(existing) = app.runtime.plugin(plugin.id())
        && existing.file() != plugin.file()
        && existing.file().exists()
    {
        tracing::error!(
            file = %path.display(),
            "plugin id `{}` is already taken by {}; ignored",
            plugin.id(),
            existing.file().display()
        );
        return;
    }
    app.runtime.replace(plugin.clone());
    for (tenant, active) in app.active.using(plugin.id()) {
        let config = active.connector.config().clone();
        match app.runtime.connector_for(plugin.clone(), config).await {
            Ok(connector) => {
                app.active.offer(
                    &tenant,
                    Arc::new(Active {
                        record: active.record.clone(),
                        connector,
                    }),
                );
                tracing::info!(
                    tenant,
                    plugin = plugin.label(),
                    "the active connector now runs the new plugin version"
                );
            }
            Err(error) => tracing::error!(
                tenant,
                %error,
                "the new plugin version refuses this tenant's config; the previous version keeps serving it"
            ),
        }
    }
}

impl App {
    /// Whether any tenant's active connector uses plugin `id`.
    async fn is_active_anywhere(&self, id: &str) -> bool {
        if !self.active.using(id).is_empty() {
            return true;
        }
        let Ok(tenants) = self.store.tenants().await else {
            // Unsure: keeping a plugin loaded is the safe side.
            return true;
        };
        for tenant in tenants {
            match self.store.active_connector(&tenant.id).await {
                Ok(Some(record)) if record.plugin == id => return true,
                Ok(_) => {}
                Err(_) => return true,
            }
        }
        false
    }
}
