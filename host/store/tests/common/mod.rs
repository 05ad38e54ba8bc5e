//! Test harness: a fresh store per test on either backend, and a way to open a second,
//! independent store on the same database (a second replica / process).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use smshost_store::{PostgresStore, SqliteStore, Store};
use sqlx::Connection;

/// The PostgreSQL server tests use.
pub fn postgres_url() -> String {
    std::env::var("SMSHOST_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The URL with any password replaced, for printing.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            match user.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &user[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000
    )
}

/// A fresh temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("smshost-store"));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum Backing {
    Sqlite { _dir: TempDir, path: PathBuf },
    Postgres { url: String, schema: String },
}

/// One test's database, with the first store opened on it.
pub struct Harness {
    backing: Backing,
    pub store: Arc<dyn Store>,
}

impl Harness {
    pub async fn sqlite() -> Self {
        let dir = TempDir::new();
        let path = dir.0.join("smshost.db");
        let store = Arc::new(SqliteStore::open(&path).await.expect("open sqlite"));
        Harness {
            backing: Backing::Sqlite { _dir: dir, path },
            store,
        }
    }

    /// None (after printing why) when no PostgreSQL server answers, unless
    /// SMSHOST_TEST_POSTGRES_REQUIRED=1, where a missing server fails the test.
    pub async fn postgres() -> Option<Self> {
        let url = postgres_url();
        let reachable = matches!(
            tokio::time::timeout(Duration::from_secs(3), sqlx::PgConnection::connect(&url)).await,
            Ok(Ok(_))
        );
        if !reachable {
            if std::env::var("SMSHOST_TEST_POSTGRES_REQUIRED").as_deref() == Ok("1") {
                panic!(
                    "no PostgreSQL at {} and SMSHOST_TEST_POSTGRES_REQUIRED=1",
                    redacted(&url)
                );
            }
            println!("skipped: no PostgreSQL at {}", redacted(&url));
            return None;
        }
        let schema = unique("t");
        let store = Arc::new(
            PostgresStore::connect_in_schema(&url, &schema)
                .await
                .expect("connect postgres"),
        );
        Some(Harness {
            backing: Backing::Postgres { url, schema },
            store,
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backing, Backing::Postgres { .. })
    }

    /// A second, independently opened store on the same database (models a second replica).
    pub async fn reopen(&self) -> Arc<dyn Store> {
        match &self.backing {
            Backing::Sqlite { path, .. } => Arc::new(SqliteStore::open(path).await.expect("reopen sqlite")),
            Backing::Postgres { url, schema } => Arc::new(
                PostgresStore::connect_in_schema(url, schema)
                    .await
                    .expect("reconnect postgres"),
            ),
        }
    }

    /// Where the second store of `reopen` connects, for tests that open stores themselves.
    pub fn postgres_target(&self) -> Option<(String, String)> {
        match &self.backing {
            Backing::Postgres { url, schema } => Some((url.clone(), schema.clone())),
            Backing::Sqlite { .. } => None,
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Backing::Postgres { url, schema } = &self.backing {
            let (url, schema) = (url.clone(), schema.clone());
            // Drop runs inside the test's runtime; a thread with its own runtime can block on the cleanup.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs each named `async fn(&Harness)` once per backend, as `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let h = $crate::common::Harness::sqlite().await;
                    super::$name(&h).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(h) = $crate::common::Harness::postgres().await else { return };
                    super::$name(&h).await;
                }
            )*
        }
    };
}
