//! SQLite durability: a writer process killed with SIGKILL at a random moment leaves the last
//! committed configuration intact and the history consistent.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use smshost_store::{ConnectorChange, SqliteStore, Store};

/// Set in the child process: the database file the writer loop uses.
const CHILD_ENV: &str = "SMSHOST_STORE_DURABILITY_CHILD";

/// The child: puts (and every fifth change deletes) connectors forever, printing each committed
/// version. Without the env var (a normal test run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let store = SqliteStore::open(&path).await.unwrap();
    let mut active = store.active_connector("acme").await.unwrap().map(|c| c.version);
    let mut version = store
        .connector_versions()
        .await
        .unwrap()
        .into_iter()
        .find(|(t, _)| t == "acme")
        .map_or(0, |v| v.1);
    // Large enough that one change spans several pages, so a torn write would show.
    let pad = "x".repeat(10_000);
    loop {
        let next = version + 1;
        if next % 5 == 0 && active.is_some() {
            store.delete_connector("acme", Some("writer"), active).await.unwrap();
            active = None;
        } else {
            let config = serde_json::json!({ "n": next, "pad": pad }).to_string();
            let change = ConnectorChange {
                plugin: format!("p{next}"),
                config_json: config,
                actor: Some("writer".into()),
            };
            active = Some(store.put_connector("acme", change, active).await.unwrap().version);
        }
        version = next;
        println!("committed {version}");
    }
}

fn random_below(n: u64) -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    // A multiplicative hash spreads the clock's low bits; plenty for picking a kill moment.
    (nanos.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % n
}

#[test]
fn sqlite_survives_kill_9_mid_write() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = common::TempDir::new();
    let path = dir.0.join("durable.db");
    let exe = std::env::current_exe().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut previous = 0;
    for round in 0..5 {
        let mut child = Command::new(&exe)
            .args(["child_writer", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<i64>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(v) = line.strip_prefix("committed ") {
                    let _ = tx.send(v.trim().parse().unwrap());
                }
            }
        });
        // Wait for the writer to be under way, then kill it at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("writer never committed");
        assert!(
            first > previous,
            "round {round}: writer restarted below the stored version"
        );
        std::thread::sleep(Duration::from_millis(20 + random_below(300)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let printed = rx.try_iter().last().unwrap_or(first);

        let max = rt.block_on(async {
            let store = SqliteStore::open(&path).await.expect("reopen after kill -9");
            let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(check, "ok");
            let history = store.connector_history("acme", u32::MAX).await.unwrap();
            let max = history.first().expect("history survives").version;
            let versions: Vec<i64> = history.iter().map(|e| e.version).collect();
            assert_eq!(versions, (1..=max).rev().collect::<Vec<_>>(), "history has gaps");
            assert!(max >= printed, "lost committed version {printed} (found {max})");
            assert!(
                max <= printed + 1,
                "found {max}, more than one past the last printed {printed}"
            );
            let head = store
                .connector_versions()
                .await
                .unwrap()
                .into_iter()
                .find(|(t, _)| t == "acme")
                .unwrap()
                .1;
            assert_eq!(head, max, "head and history disagree");
            let active = store.active_connector("acme").await.unwrap();
            match &history[0].plugin {
                None => assert_eq!(active, None, "a deletion was the last change"),
                Some(plugin) => {
                    let active = active.expect("the last change was a put");
                    assert_eq!((active.version, &active.plugin), (max, plugin));
                    let config: serde_json::Value = serde_json::from_str(&active.config_json).expect("config intact");
                    assert_eq!(config["n"], max);
                }
            }
            store.pool().close().await;
            max
        });
        println!("round {round}: killed after version {printed}, reopened at {max}");
        previous = max;
    }
}
