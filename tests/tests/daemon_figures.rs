//! Figures, printed and never asserted: daemon start-up (process start →
//! `readyz` 200, warm compile cache), idle memory with all seven plugins,
//! and sends/s through the daemon to a loopback Twilio mock with 32
//! keep-alive clients, for one daemon (SQLite, PostgreSQL) and two
//! replicas on PostgreSQL.
//!
//! `cargo test -p smshost-tests --test daemon_figures -- --ignored --nocapture`
//! (the daemon is then the test profile's build: workspace crates
//! unoptimised, dependencies at opt-level 2).

use smshost_tests::MockServer;
use smshost_tests::daemon::{ALL_PLUGINS, Api, Daemon, PgSchema, TWILIO, TWILIO_ORIGIN, twilio_config, twilio_mock};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smshost-cli");
const NO_LIMITS: &str = "[rate_limits]\nper_recipient = { count = 100000000, window_secs = 1 }\n";
const SECRET_KEY: &str = "5f3c0e9a7b1d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
const CLIENTS: usize = 32;
/// Valid numbers, rotated so the rate-limit counters are not one hot row.
const RECIPIENTS: [&str; 5] = [
    "+4520123456",
    "+4520123457",
    "+4520123488",
    "+4520123499",
    "+4520987654",
];
const RUN: Duration = Duration::from_secs(3);

async fn start(twilio: &MockServer, store: Option<String>) -> Daemon {
    let mut builder = Daemon::builder(BIN)
        .plugins(&ALL_PLUGINS)
        .route(TWILIO_ORIGIN, twilio)
        .settings(NO_LIMITS)
        .env("SMSHOST_SECRET_KEY", SECRET_KEY)
        .env("SMSHOST_LOG", "warn");
    if let Some(store) = store {
        builder = builder.store(store);
    }
    builder.start().await
}

/// Sends for `RUN` from `CLIENTS` tasks spread over `apis`; sends/s.
async fn throughput(apis: &[Api]) -> (f64, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for n in 0..CLIENTS {
        let (api, stop, done, failed) = (apis[n % apis.len()].clone(), stop.clone(), done.clone(), failed.clone());
        tasks.spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let to = RECIPIENTS[(n + i as usize) % RECIPIENTS.len()];
                let answer = api.send(to, "123456").await;
                if answer.status == 200 {
                    done.fetch_add(1, Ordering::Relaxed);
                } else if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                    println!("first failure: {} {}", answer.status, answer.text);
                }
                i += 1;
            }
        });
    }
    tokio::time::sleep(RUN).await;
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    (
        done.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
    )
}

#[ignore = "figures: run with --ignored --nocapture"]
#[tokio::test(flavor = "multi_thread")]
async fn daemon_figures() {
    let (twilio, _) = twilio_mock().await;
    // The first start fills the compile cache.
    let mut daemon = start(&twilio, None).await;
    println!("first start (cache possibly cold): {:?}", daemon.ready_after());
    let mut starts = Vec::new();
    for _ in 0..5 {
        daemon.restart().await;
        starts.push(daemon.ready_after());
    }
    starts.sort();
    println!(
        "start-up, process start → readyz 200, warm cache, 7 plugins: median {:?} (min {:?}, max {:?})",
        starts[starts.len() / 2],
        starts[0],
        starts[starts.len() - 1]
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "idle RSS with 7 plugins loaded: {} MiB",
        daemon.rss_kib().unwrap_or_default() as f64 / 1024.0
    );
    let api = daemon.api();
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);
    let (rate, failed) = throughput(std::slice::from_ref(&api)).await;
    println!("one daemon, SQLite: {rate:.0} sends/s ({CLIENTS} clients, {failed} failed)");
    println!(
        "RSS after the run: {} MiB",
        daemon.rss_kib().unwrap_or_default() as f64 / 1024.0
    );
    drop(daemon);

    let Some(schema) = PgSchema::create().await else { return };
    let a = start(&twilio, Some(schema.url())).await;
    assert_eq!(a.api().set_connector(TWILIO, &twilio_config()).await.status, 200);
    let (rate, failed) = throughput(&[a.api()]).await;
    println!("one daemon, PostgreSQL: {rate:.0} sends/s ({failed} failed)");
    let b = a.replica().await;
    let (rate, failed) = throughput(&[a.api(), b.api()]).await;
    println!("two replicas, PostgreSQL: {rate:.0} sends/s ({failed} failed)");
}
