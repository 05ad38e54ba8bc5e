//! Rough throughput of the hot paths, for the report (ignored by default):
//! `cargo test -p smshost-store --release --test throughput -- --ignored --nocapture`.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::Harness;
use smshost_store::{ConnectorChange, IdempotencyBegin, Store};

async fn measure(name: &str, h: &Harness) {
    let s = h.store.clone();
    const N: usize = 2000;
    const TASKS: usize = 8;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let s: Arc<dyn Store> = s.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..N / TASKS {
                s.hit_rate_limit("acme", &format!("k{}", i % 50), 60, 1000, 1_000_000 + t as i64)
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = N as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for i in 0..N / 4 {
        let key = format!("idem{i}");
        assert_eq!(
            s.begin_idempotent("acme", &key, "fp", 1000, 60).await.unwrap(),
            IdempotencyBegin::Started
        );
    }
    let idem = (N / 4) as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut version = None;
    for i in 0..N / 4 {
        let change = ConnectorChange {
            plugin: "p".into(),
            config_json: format!(r#"{{"n":{i}}}"#),
            actor: None,
        };
        version = Some(s.put_connector("acme", change, version).await.unwrap().version);
    }
    let puts = (N / 4) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{name}: rate-limit hits {rate:.0}/s (8 tasks), idempotency begins {idem:.0}/s, connector puts {puts:.0}/s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput() {
    measure("sqlite", &Harness::sqlite().await).await;
    if let Some(h) = Harness::postgres().await {
        measure("postgres", &h).await;
    }
}
