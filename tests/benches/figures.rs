//! smshost's performance figures, each beside its baseline measured in the
//! same run: printed, never asserted.
//!
//! 1. Send overhead: one Twilio request by plain `reqwest` against the same
//!    request through host → Twilio plugin → HTTP capability, to one
//!    loopback mock; sequential and 64 in flight; pooling and on-demand
//!    instance allocation.
//! 2. Daemon throughput: `POST /v1/messages` from N keep-alive clients
//!    against the same clients posting straight to the mock.
//! 3. Cold start: loading all seven plugins with an empty and a warm
//!    compile cache; `smshost serve` start to the first successful send.
//! 4. Memory: the daemon's idle RSS with every plugin loaded; RSS per
//!    in-flight send for a Rust plugin and the Python guest
//!    (`SMSHOST_PYTHON_GUEST`, built by `./bench.sh`).
//!
//! Run with `./bench.sh` (or `cargo bench -p smshost-tests --bench figures`).
//! `SMSHOST_BENCH_QUICK=1` shortens every phase; `SMSHOST_BENCH_ONLY=overhead`
//! (or `memory`, `daemon`, `start`, comma-separated) runs only those.

use reqwest::StatusCode;
use serde_json::{Value, json};
use smshost::{
    Allocation, ConnectorConfig, Limits, OriginOverride, OutgoingMessage, PhoneNumber, RuntimeBuilder, UsageType,
};
use smshost_tests::daemon::{
    ALL_PLUGINS, Daemon, TWILIO, TWILIO_AUTH_TOKEN, TWILIO_ORIGIN, TWILIO_SERVICE, TWILIO_SID, TempDir, twilio_config,
    twilio_mock,
};
use smshost_tests::{MockServer, wasm};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smshost-cli");
const NO_LIMITS: &str = "[rate_limits]\nper_recipient = { count = 100000000, window_secs = 1 }\n";
const SECRET_KEY: &str = "5f3c0e9a7b1d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
const ADMIN_TOKEN: &str = "smsh_bench-admin-token-0123456789abcdef0123";
const IN_FLIGHT: usize = 64;
const BODY: &str = "Your Logto sign-in verification code is 123456. The code will remain active for 10 minutes.";

/// Phase sizes; `SMSHOST_BENCH_QUICK=1` divides them.
struct Sizes {
    sequential: usize,
    rounds: usize,
    concurrent_per_task: usize,
    daemon_run: Duration,
    starts: usize,
}

fn sizes() -> Sizes {
    if std::env::var_os("SMSHOST_BENCH_QUICK").is_some() {
        Sizes {
            sequential: 200,
            rounds: 2,
            concurrent_per_task: 20,
            daemon_run: Duration::from_secs(2),
            starts: 3,
        }
    } else {
        Sizes {
            sequential: 500,
            rounds: 4,
            concurrent_per_task: 60,
            daemon_run: Duration::from_secs(5),
            starts: 7,
        }
    }
}

/// Median and 99th percentile.
#[derive(Clone, Copy)]
struct Spread {
    p50: Duration,
    p99: Duration,
}

fn spread(mut samples: Vec<Duration>) -> Spread {
    assert!(!samples.is_empty(), "no samples");
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Spread {
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn us(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// User plus system CPU of this process.
fn own_cpu() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// User plus system CPU of process `pid`, from `/proc/<pid>/stat`.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_secs_f64(ticks as f64 / hz as f64)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or_default()
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn message() -> OutgoingMessage {
    OutgoingMessage::new(
        PhoneNumber::parse("+4520123456").expect("valid"),
        UsageType::SignIn,
        "123456",
    )
    .with_locale("en")
}

/// The request the Twilio plugin makes, made by plain `reqwest`: form body,
/// Basic auth, the JSON answer parsed for its `sid`.
async fn native_send(client: &reqwest::Client, url: &str) -> Duration {
    let started = Instant::now();
    let response = client
        .post(url)
        .basic_auth(TWILIO_SID, Some(TWILIO_AUTH_TOKEN))
        .form(&[
            ("To", "+4520123456"),
            ("MessagingServiceSid", TWILIO_SERVICE),
            ("Body", BODY),
        ])
        .send()
        .await
        .expect("native request");
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = serde_json::from_slice(&response.bytes().await.expect("body")).expect("JSON");
    assert!(body["sid"].is_string());
    started.elapsed()
}

/// One arm of the send benchmark: a way to send one message.
/// The host arm sends one prepared message again and again: the native arm
/// has no phone number to parse either.
#[derive(Clone)]
enum Arm {
    Native(reqwest::Client, Arc<str>),
    Host(smshost::Connector, Arc<OutgoingMessage>),
}

impl Arm {
    async fn send(&self) -> Duration {
        match self {
            Arm::Native(client, url) => native_send(client, url).await,
            Arm::Host(connector, message) => {
                let started = Instant::now();
                connector.send(message).await.expect("sends");
                started.elapsed()
            }
        }
    }
}

async fn host_arm(mock: &MockServer, allocation: Allocation) -> (Arm, bool) {
    let runtime = RuntimeBuilder::new()
        .allocation(allocation)
        .override_origin(OriginOverride::new(TWILIO_ORIGIN, &mock.url()).expect("override"))
        .build()
        .expect("runtime");
    runtime.load_file(wasm("twilio")).await.expect("loads");
    let config = ConnectorConfig::from_value(twilio_config()).expect("object");
    let connector = runtime.connector(TWILIO, config).await.expect("validates");
    (Arm::Host(connector, Arc::new(message())), runtime.pooling_allocator())
}

/// Sequential sends, `rounds` × `n` per arm, the arms interleaved so load
/// from elsewhere spreads over all of them.
async fn sequential(arms: &[(&str, Arm)], n: usize, rounds: usize) -> Vec<(Spread, Duration)> {
    let mut samples = vec![Vec::new(); arms.len()];
    let mut cpu = vec![Duration::ZERO; arms.len()];
    for (_, arm) in arms {
        for _ in 0..50 {
            arm.send().await;
        }
    }
    for _ in 0..rounds {
        for (i, (_, arm)) in arms.iter().enumerate() {
            let before = own_cpu();
            for _ in 0..n {
                samples[i].push(arm.send().await);
            }
            cpu[i] += own_cpu() - before;
        }
    }
    samples
        .into_iter()
        .zip(cpu)
        .map(|(s, cpu)| (spread(s), cpu / (n * rounds) as u32))
        .collect()
}

/// `IN_FLIGHT` tasks sending `per_task` each; throughput, latency spread
/// and CPU per send.
async fn concurrent(arm: &Arm, per_task: usize) -> (f64, Spread, Duration) {
    let before = own_cpu();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let arm = arm.clone();
        tasks.spawn(async move {
            let mut samples = Vec::with_capacity(per_task);
            for _ in 0..per_task {
                samples.push(arm.send().await);
            }
            samples
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = tasks.join_next().await {
        samples.extend(done.expect("task"));
    }
    let elapsed = started.elapsed();
    let n = samples.len();
    (
        n as f64 / elapsed.as_secs_f64(),
        spread(samples),
        (own_cpu() - before) / n as u32,
    )
}

async fn send_overhead(sizes: &Sizes) {
    println!("\n## 1. Send overhead: one Twilio request to a loopback mock");
    let (mock, _) = twilio_mock().await;
    let url: Arc<str> = format!("{}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json", mock.url()).into();
    let native = Arm::Native(reqwest::Client::new(), url);
    let (pooled, pooling) = host_arm(&mock, Allocation::Auto).await;
    let (on_demand, _) = host_arm(&mock, Allocation::OnDemand).await;
    let pooled_name = if pooling {
        "smshost, pooling"
    } else {
        "smshost (pooling unavailable)"
    };
    let arms = [
        ("native reqwest", native),
        (pooled_name, pooled),
        ("smshost, on-demand", on_demand),
    ];
    let results = sequential(&arms, sizes.sequential, sizes.rounds).await;
    let n = sizes.sequential * sizes.rounds;
    println!("sequential, n={n} per arm (CPU includes the in-process mock and client):");
    println!(
        "| arm | p50 | p99 | CPU/send | p50 − native | p50 ratio | p99 ratio |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    let (base, base_cpu) = results[0];
    for ((name, _), (spread, cpu)) in arms.iter().zip(&results) {
        println!(
            "| {name} | {} | {} | {} | {} | {:.2}× | {:.2}× |",
            us(spread.p50),
            us(spread.p99),
            us(*cpu),
            us(spread.p50.saturating_sub(base.p50)),
            ratio(spread.p50, base.p50),
            ratio(spread.p99, base.p99),
        );
    }
    let _ = base_cpu;
    mock.journal.lock().expect("journal").clear();

    println!(
        "{IN_FLIGHT} in flight, {} sends per arm:",
        IN_FLIGHT * sizes.concurrent_per_task
    );
    println!("| arm | sends/s | p50 | p99 | CPU/send | throughput ratio |\n|---|---:|---:|---:|---:|---:|");
    let mut base_rate = None;
    for (name, arm) in &arms {
        concurrent(arm, 5).await;
        let (rate, spread, cpu) = concurrent(arm, sizes.concurrent_per_task).await;
        let base = *base_rate.get_or_insert(rate);
        println!(
            "| {name} | {rate:.0} | {} | {} | {} | {:.2}× |",
            ms(spread.p50),
            ms(spread.p99),
            us(cpu),
            rate / base
        );
        mock.journal.lock().expect("journal").clear();
    }
}

/// Posts for `run` from `IN_FLIGHT` keep-alive clients; sends/s and spread.
async fn load(
    run: Duration,
    post: impl Fn(reqwest::Client) -> reqwest::RequestBuilder + Clone + Send + 'static,
    ok: StatusCode,
) -> (f64, Spread, usize) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .build()
        .expect("client");
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for _ in 0..IN_FLIGHT {
        let (client, stop, post) = (client.clone(), stop.clone(), post.clone());
        tasks.spawn(async move {
            let (mut samples, mut failed) = (Vec::new(), 0usize);
            while !stop.load(Ordering::Relaxed) {
                let begun = Instant::now();
                match post(client.clone()).send().await {
                    Ok(response) if response.status() == ok => {
                        let _ = response.bytes().await;
                        samples.push(begun.elapsed());
                    }
                    Ok(response) => {
                        if failed == 0 {
                            let status = response.status();
                            eprintln!(
                                "unexpected answer: {status} {}",
                                response.text().await.unwrap_or_default()
                            );
                        }
                        failed += 1;
                    }
                    Err(_) => failed += 1,
                }
            }
            (samples, failed)
        });
    }
    tokio::time::sleep(run).await;
    stop.store(true, Ordering::Relaxed);
    let (mut samples, mut failed) = (Vec::new(), 0);
    while let Some(done) = tasks.join_next().await {
        let (s, f) = done.expect("task");
        samples.extend(s);
        failed += f;
    }
    let rate = samples.len() as f64 / started.elapsed().as_secs_f64();
    (rate, spread(samples), failed)
}

fn daemon_builder(twilio: &MockServer) -> smshost_tests::daemon::DaemonBuilder {
    Daemon::builder(BIN)
        .plugins(&ALL_PLUGINS)
        .route(TWILIO_ORIGIN, twilio)
        .settings(NO_LIMITS)
        .token(ADMIN_TOKEN)
        .env("SMSHOST_SECRET_KEY", SECRET_KEY)
        .env("SMSHOST_LOG", "warn")
}

async fn daemon_throughput(sizes: &Sizes, twilio: &MockServer, daemon: &Daemon) {
    println!("\n## 2. Daemon throughput: {IN_FLIGHT} keep-alive clients, SQLite store");
    let url = format!("{}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json", twilio.url());
    let direct = move |client: reqwest::Client| {
        client
            .post(&url)
            .basic_auth(TWILIO_SID, Some(TWILIO_AUTH_TOKEN))
            .form(&[
                ("To", "+4520123456"),
                ("MessagingServiceSid", TWILIO_SERVICE),
                ("Body", BODY),
            ])
    };
    let own_before = own_cpu();
    let (base_rate, base, failed) = load(sizes.daemon_run, direct, StatusCode::CREATED).await;
    let base_own = (own_cpu() - own_before) / (base_rate * sizes.daemon_run.as_secs_f64()).max(1.0) as u32;
    twilio.journal.lock().expect("journal").clear();

    let endpoint = format!("{}/v1/messages", daemon.url());
    let body =
        json!({"to": "+4520123456", "usageType": "SignIn", "payload": {"code": "123456", "locale": "en"}}).to_string();
    let through = move |client: reqwest::Client| {
        client
            .post(&endpoint)
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(body.clone())
    };
    let pid = daemon.pid();
    let (daemon_before, own_before) = (process_cpu(pid), own_cpu());
    let (rate, spread, daemon_failed) = load(sizes.daemon_run, through, StatusCode::OK).await;
    let sends = (rate * sizes.daemon_run.as_secs_f64()).max(1.0);
    let daemon_cpu = (process_cpu(pid) - daemon_before).div_f64(sends);
    let own = (own_cpu() - own_before).div_f64(sends);
    twilio.journal.lock().expect("journal").clear();
    println!(
        "| arm | sends/s | p50 | p99 | daemon CPU/send | client+mock CPU/send | failed |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    println!(
        "| clients → mock | {base_rate:.0} | {} | {} | – | {} | {failed} |",
        ms(base.p50),
        ms(base.p99),
        us(base_own)
    );
    println!(
        "| clients → daemon → Twilio plugin → mock | {rate:.0} | {} | {} | {} | {} | {daemon_failed} |",
        ms(spread.p50),
        ms(spread.p99),
        us(daemon_cpu),
        us(own)
    );
    println!(
        "ratio: {:.2}× the direct throughput; p50 {:.1}×, p99 {:.1}×",
        rate / base_rate,
        ratio(spread.p50, base.p50),
        ratio(spread.p99, base.p99)
    );
    println!("daemon RSS after the run: {}", mib(rss_kib(pid)));
}

fn copy_plugins(dir: &Path) {
    std::fs::create_dir_all(dir).expect("plugin folder");
    for name in ALL_PLUGINS {
        std::fs::copy(wasm(name), dir.join(format!("{name}.wasm"))).expect("copy a plugin");
    }
}

async fn load_seven(dir: &Path, cache: &Path) -> (Duration, Duration) {
    let started = Instant::now();
    let runtime = RuntimeBuilder::new().cache_dir(cache).build().expect("runtime");
    let built = started.elapsed();
    let report = runtime.load_dir(dir).await.expect("loads");
    assert_eq!(report.loaded.len(), ALL_PLUGINS.len(), "{:?}", report.failed);
    (built, started.elapsed() - built)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// Starts `smshost serve` on a known port over `daemon`'s data folder and
/// store (connector already set) and sends until one send succeeds: the
/// time from spawning the process to that answer.
async fn serve_to_first_send(daemon: &Daemon, twilio: &MockServer) -> Duration {
    let port = free_port();
    let settings = daemon.data_dir().join("bench-settings.toml");
    std::fs::write(&settings, NO_LIMITS).expect("write the settings");
    let mut command = Command::new(BIN);
    command
        .arg("--plugin-dir")
        .arg(daemon.plugin_dir())
        .arg("--cache-dir")
        .arg(smshost_tests::daemon::compile_cache_dir())
        .args(["--allow-private-networks", "--allow-http"])
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(daemon.data_dir())
        .arg("--config")
        .arg(&settings)
        .args(["--override-origin", &format!("{TWILIO_ORIGIN}={}", twilio.url())])
        .env("SMSHOST_SECRET_KEY", SECRET_KEY)
        .env("SMSHOST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(daemon.data_dir().join("bench-serve.log")).expect("a log file"));
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/v1/messages");
    let body = json!({"to": "+4520123456", "usageType": "SignIn", "payload": {"code": "123456", "locale": "en"}});
    let started = Instant::now();
    let mut child: Child = command.spawn().expect("start smshost serve");
    let elapsed = loop {
        let sent = client.post(&url).bearer_auth(ADMIN_TOKEN).json(&body).send().await;
        if matches!(&sent, Ok(response) if response.status() == StatusCode::OK) {
            break started.elapsed();
        }
        let exited = child.try_wait().expect("the child's state");
        if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
            let log = std::fs::read_to_string(daemon.data_dir().join("bench-serve.log")).unwrap_or_default();
            panic!("no successful send ({exited:?}): {sent:?}\n{log}");
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

async fn cold_start(sizes: &Sizes, twilio: &MockServer, daemon: &mut Daemon) {
    println!("\n## 3. Cold start");
    let root = TempDir::new("smshost-bench");
    let plugins = root.path().join("plugins");
    copy_plugins(&plugins);
    let cache = root.path().join("cache");
    let (_, empty) = load_seven(&plugins, &cache).await;
    // The cache writes in the background; let it land.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut warm = Vec::new();
    let mut builds = Vec::new();
    for _ in 0..sizes.starts {
        let (built, loaded) = load_seven(&plugins, &cache).await;
        builds.push(built);
        warm.push(loaded);
    }
    let (warm, builds) = (spread(warm), spread(builds));
    println!("| step | median |\n|---|---:|");
    println!(
        "| runtime build (engine, pool reservation, linker, HTTP client) | {} |",
        ms(builds.p50)
    );
    println!("| load 7 plugins, empty compile cache | {} |", ms(empty));
    println!("| load 7 plugins, warm compile cache | {} |", ms(warm.p50));

    daemon.terminate(Duration::from_secs(10)).await;
    let mut starts = Vec::new();
    for _ in 0..sizes.starts {
        starts.push(serve_to_first_send(daemon, twilio).await);
    }
    let starts = spread(starts);
    println!(
        "| `smshost serve` spawn → first successful send (warm cache, SQLite, 7 plugins) | {} |",
        ms(starts.p50)
    );
}

/// Resident memory per send in flight: `IN_FLIGHT.min(32)` sends held open
/// by a slow endpoint, the process's RSS while they wait against before.
async fn rss_per_send(plugin: &Path, id: &str) -> Option<(u64, u64)> {
    let delay = Duration::from_millis(1500);
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move || async move {
            tokio::time::sleep(delay).await;
            axum::Json(json!({"ok": true}))
        }),
    );
    let slow = MockServer::start(app, Default::default()).await;
    let runtime = RuntimeBuilder::new()
        .network_policy(smshost::NetworkPolicy {
            allow_private_networks: true,
            allow_http: true,
        })
        .cache_dir(smshost_tests::daemon::compile_cache_dir())
        .build()
        .ok()?;
    runtime.load_file(plugin).await.ok()?;
    let config = ConnectorConfig::from_value(json!({"endpoint": format!("{}/sms", slow.url())})).ok()?;
    let connector = runtime.connector(id, config).await.ok()?;
    connector.send(&message()).await.ok()?;
    let pid = std::process::id();
    let in_flight = Limits::default().max_concurrent_sends;
    let before = rss_kib(pid);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let connector = connector.clone();
        tasks.spawn(async move { connector.send(&message()).await.is_ok() });
    }
    tokio::time::sleep(delay / 2).await;
    let during = rss_kib(pid);
    while tasks.join_next().await.is_some() {}
    Some((during.saturating_sub(before) / in_flight as u64, before))
}

async fn memory(daemon: &Daemon) {
    println!("\n## 4. Memory");
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("| what | RSS |\n|---|---:|");
    println!("| daemon idle, 7 plugins loaded | {} |", mib(rss_kib(daemon.pid())));
    let rust = rss_per_send(&wasm("http_sms"), "http-sms").await;
    match rust {
        Some((per_send, _)) => println!("| per in-flight send, Rust plugin (http-sms) | {} |", mib(per_send)),
        None => println!("| per in-flight send, Rust plugin | failed |"),
    }
    match std::env::var_os("SMSHOST_PYTHON_GUEST") {
        Some(path) => match rss_per_send(Path::new(&path), "python-http-sms").await {
            Some((per_send, _)) => println!(
                "| per in-flight send, Python guest (componentize-py) | {} |",
                mib(per_send)
            ),
            None => println!("| per in-flight send, Python guest | failed |"),
        },
        None => println!(
            "| per in-flight send, Python guest | skipped: SMSHOST_PYTHON_GUEST unset (./bench.sh builds it) |"
        ),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{} cores ({cpu}); load average at start {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    )
}

/// Whether phase `name` runs: all do unless `SMSHOST_BENCH_ONLY` lists
/// some (`overhead,memory,daemon,start`), e.g. to profile one of them.
fn runs(name: &str) -> bool {
    match std::env::var("SMSHOST_BENCH_ONLY") {
        Ok(only) => only.split(',').any(|phase| phase.trim() == name),
        Err(_) => true,
    }
}

#[tokio::main]
async fn main() {
    let sizes = sizes();
    println!("# smshost figures\nmachine: {}", machine());
    if runs("overhead") {
        send_overhead(&sizes).await;
    }
    if !(runs("memory") || runs("daemon") || runs("start")) {
        return;
    }
    let (twilio, _) = twilio_mock().await;
    let mut daemon = daemon_builder(&twilio).start().await;
    let answer = daemon.api().set_connector(TWILIO, &twilio_config()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    if runs("memory") {
        memory(&daemon).await;
    }
    if runs("daemon") {
        daemon_throughput(&sizes, &twilio, &daemon).await;
    }
    if runs("start") {
        cold_start(&sizes, &twilio, &mut daemon).await;
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nload average at the end: {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
}
