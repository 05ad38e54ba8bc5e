//! `smshost serve`: opens the store, loads the plugin folder, creates the
//! first admin token, serves the API, watches the folder, follows changes
//! made by other replicas, and shuts down gracefully.

use crate::app::App;
use crate::metrics::Metrics;
use crate::secrets::SecretKey;
use crate::settings::Settings;
use crate::tenants::ActiveConnectors;
use smshost::{OriginOverride, RuntimeBuilder};
use smshost_store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a replica compares its connectors' versions with the store,
/// in case a change notification was missed. Issue: every replica serves a
/// change within 1 s.
const VERSION_POLL: Duration = Duration::from_millis(500);

/// Opens the store the settings name, creating the data folder (0700).
pub(crate) async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, String> {
    create_private_dir(&settings.data_dir)?;
    smshost_store::open(&settings.store)
        .await
        .map_err(|error| format!("cannot open the store {}: {error}", settings.store_label()))
}

fn create_private_dir(dir: &std::path::Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|error| format!("cannot create the data folder {}: {error}", dir.display()))
}

/// Runs the daemon until SIGTERM or SIGINT.
pub(crate) async fn serve(settings: Settings) -> Result<(), String> {
    let started = Instant::now();
    // Before anything is created: a preset that could never sign in must
    // not become the store's first (and then only) admin token.
    let preset = std::env::var("SMSHOST_ADMIN_TOKEN")
        .ok()
        .filter(|token| !token.trim().is_empty());
    if let Some(token) = &preset {
        crate::auth::check_preset(token)?;
    }
    let store = open_store(&settings).await?;
    let key = SecretKey::load_or_create(std::env::var("SMSHOST_SECRET_KEY").ok().as_deref(), &settings.data_dir)
        .map_err(|error| error.to_string())?;
    if let Some(token) = crate::auth::bootstrap(&*store, preset)
        .await
        .map_err(|error| format!("cannot create the first admin token: {error}"))?
    {
        if std::env::var_os("SMSHOST_ADMIN_TOKEN").is_some() {
            eprintln!("smshost: stored the admin token from SMSHOST_ADMIN_TOKEN");
        } else {
            // Printed once, on stdout, never logged: only its hash is kept.
            println!("smshost: first start: created an admin token (shown only now; keep it): {token}");
        }
    }

    let mut builder = RuntimeBuilder::new()
        .cache_dir(&settings.cache_dir)
        .network_policy(settings.network);
    for pair in &settings.override_origin {
        builder = builder.override_origin(OriginOverride::parse_pair(pair).map_err(|error| error.to_string())?);
    }
    let runtime = builder.build().map_err(|error| error.to_string())?;
    if !settings.plugin_dir.exists() {
        create_private_dir(&settings.plugin_dir)?;
        tracing::warn!(dir = %settings.plugin_dir.display(), "the plugin folder did not exist; created it empty");
    }
    let report = runtime
        .load_dir(&settings.plugin_dir)
        .await
        .map_err(|error| error.to_string())?;
    let counters = crate::limits::RateCounters::new(store.clone());
    let app = Arc::new(App {
        runtime,
        store,
        key,
        limits: settings.rate_limits.clone(),
        counters,
        active: ActiveConnectors::default(),
        metrics: Metrics::new(),
        plugin_dir: settings.plugin_dir.clone(),
        started,
        sessions: Default::default(),
    });
    warn_missing_plugins(&app).await;
    let _watcher = match crate::reload::watch(app.clone()) {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::warn!(%error, "cannot watch the plugin folder; hot reload is off");
            None
        }
    };
    follow_other_replicas(app.clone());

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", settings.listen))?;
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    tracing::info!(
        listen = %local,
        plugins = report.loaded.len(),
        refused = report.failed.len(),
        store = %settings.store_label(),
        start_ms = started.elapsed().as_millis() as u64,
        "smshost is serving"
    );
    // One write: `eprintln!` may split its pieces over several, and
    // whatever reads this line for the address (scripts, supervisors, the
    // tests) must never see half of it.
    {
        use std::io::Write as _;
        let line = format!("smshost: serving on http://{local}\n");
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, crate::api::router(app.clone()))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        })
        .into_future();
    let grace = settings.shutdown_grace;
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => {
            app.counters.flush().await;
            return result.map_err(|error| error.to_string());
        }
        _ = wait_true(stop_rx) => {}
    }
    tracing::info!(
        grace_secs = grace.as_secs(),
        "shutting down: no new requests, in-flight sends may finish"
    );
    let result = match tokio::time::timeout(grace, server).await {
        Ok(result) => result.map_err(|error| error.to_string()),
        Err(_) => {
            tracing::warn!("in-flight requests did not finish within the grace period; stopping anyway");
            Ok(())
        }
    };
    // Counts kept in memory reach the store before the process ends.
    app.counters.flush().await;
    result
}

async fn wait_true(mut rx: tokio::sync::watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Logs every tenant whose active connector's plugin this replica lacks.
async fn warn_missing_plugins(app: &App) {
    let Ok(tenants) = app.store.tenants().await else { return };
    for tenant in tenants {
        if let Ok(Some(record)) = app.store.active_connector(&tenant.id).await
            && app.runtime.plugin(&record.plugin).is_none()
        {
            tracing::error!(
                tenant = %tenant.id,
                plugin = %record.plugin,
                dir = %app.plugin_dir.display(),
                "the active connector's plugin is not in this replica's plugin folder; its sends fail until it is added"
            );
        }
    }
}

/// With a shared store, drops kept handles that another replica replaced:
/// on each change notification, and by polling versions in case one was
/// missed.
fn follow_other_replicas(app: Arc<App>) {
    let Some(mut notices) = app.store.subscribe() else {
        return;
    };
    let listener = app.clone();
    tokio::spawn(async move {
        loop {
            match notices.recv().await {
                Ok(notice) => listener.active.invalidate(&notice.tenant, notice.version),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(VERSION_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Ok(versions) = app.store.connector_versions().await {
                for (tenant, version) in versions {
                    app.active.invalidate(&tenant, version);
                }
            }
        }
    });
}
