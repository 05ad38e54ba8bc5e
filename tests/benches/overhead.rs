//! Measures what the host costs: compiling a plugin (cold and from the
//! cache), a sandboxed call with no I/O, and a whole send through a plugin
//! compared with the same HTTP request made directly (the baseline).
//!
//! Run with `cargo bench -p smshost-tests`. Figures are medians over the
//! iterations shown; the ratio is smshost's send over the direct request.

use serde_json::json;
use smshost::{ConnectorConfig, Limits, OutgoingMessage, PhoneNumber, RuntimeBuilder, UsageType};
use smshost_tests::{mocks, wasm};
use std::time::{Duration, Instant};

const LOADS: usize = 5;
const SENDS: usize = 500;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

fn message() -> OutgoingMessage {
    OutgoingMessage::new(
        PhoneNumber::parse("+4520123456").expect("valid"),
        UsageType::SignIn,
        "123456",
    )
    .with_locale("en")
}

#[tokio::main]
async fn main() {
    println!(
        "smshost overhead benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    for name in ["http_sms", "twilio"] {
        let bytes = std::fs::read(wasm(name)).expect("built plugin");
        let mut cold = Vec::new();
        for _ in 0..LOADS {
            let host = RuntimeBuilder::new().build().expect("host");
            let started = Instant::now();
            host.load_bytes(name, bytes.clone()).await.expect("loads");
            cold.push(started.elapsed());
        }
        let cache = std::env::temp_dir().join(format!("smshost-bench-cache-{}", std::process::id()));
        let warm_host = RuntimeBuilder::new().cache_dir(&cache).build().expect("host");
        warm_host.load_bytes(name, bytes.clone()).await.expect("loads");
        // The cache worker writes in the background; give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut cached = Vec::new();
        for _ in 0..LOADS {
            let host = RuntimeBuilder::new().cache_dir(&cache).build().expect("host");
            let started = Instant::now();
            host.load_bytes(name, bytes.clone()).await.expect("loads");
            cached.push(started.elapsed());
        }
        let _ = std::fs::remove_dir_all(&cache);
        let (cold, cached) = (median(cold), median(cached));
        println!(
            "load {name:<9} ({:>7} bytes): cold compile {:>10}, from cache {:>10}  (cache speed-up {:.1}x)",
            bytes.len(),
            ms(cold),
            ms(cached),
            cold.as_secs_f64() / cached.as_secs_f64()
        );
    }

    // A sandboxed call that does no I/O: fresh store, instantiate, call.
    let host = RuntimeBuilder::new().build().expect("host");
    host.load_file(wasm("misbehaving")).await.expect("loads");
    let connector = host
        .connector(
            "misbehaving",
            ConnectorConfig::from_value(json!({"mode": "ok"})).expect("object"),
        )
        .await
        .expect("validates");
    let mut sandboxed = Vec::new();
    for _ in 0..SENDS {
        let started = Instant::now();
        connector.send(&message()).await.expect("sends");
        sandboxed.push(started.elapsed());
    }
    println!(
        "sandboxed call, no I/O (fresh store + instantiate + call), n={SENDS}: {}",
        ms(median(sandboxed))
    );

    // The same HTTP request, direct and through the http-sms plugin.
    let (mock, _) = mocks::http_sms(None).await;
    let endpoint = format!("{}/sms", mock.url());
    let body = r#"{"to":"+4520123456","type":"SignIn","payload":{"code":"123456","locale":"en"}}"#;
    let client = reqwest::Client::new();
    let mut direct = Vec::new();
    for _ in 0..SENDS {
        let started = Instant::now();
        let response = client
            .post(&endpoint)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("direct request");
        assert!(response.status().is_success());
        response.bytes().await.expect("body");
        direct.push(started.elapsed());
    }
    let host = RuntimeBuilder::new().limits(Limits::default()).build().expect("host");
    host.load_file(wasm("http_sms")).await.expect("loads");
    let connector = host
        .connector(
            "http-sms",
            ConnectorConfig::from_value(json!({"endpoint": endpoint})).expect("object"),
        )
        .await
        .expect("validates");
    let mut through = Vec::new();
    for _ in 0..SENDS {
        let started = Instant::now();
        connector.send(&message()).await.expect("sends");
        through.push(started.elapsed());
    }
    let (direct, through) = (median(direct), median(through));
    println!("HTTP POST to a loopback endpoint, n={SENDS}:");
    println!("  baseline, direct reqwest     {:>10}", ms(direct));
    println!("  smshost send via http-sms    {:>10}", ms(through));
    println!(
        "  overhead {:>10} per send; ratio {:.2}x the direct request",
        ms(through.saturating_sub(direct)),
        through.as_secs_f64() / direct.as_secs_f64()
    );
}
