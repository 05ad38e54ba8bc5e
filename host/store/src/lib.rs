//! State store for the smshost daemon: one narrow async trait ([`Store`]) with two backends,
//! embedded SQLite ([`SqliteStore`], the default: one file in the data folder) and PostgreSQL
//! ([`PostgresStore`], several daemon replicas sharing one database). [`open`] picks one from a URL.
//!
//! # Data model
//! - `tenants`: one row per tenant id; `default` is created at open.
//! - `connector_heads`: one row per tenant that ever had a connector. It holds the tenant's current
//!   version counter and the active connector (plugin and config JSON), or NULLs after a deletion.
//!   Keeping the counter in the head row, not deriving it from the active connector, is what makes
//!   version numbers never reused across deletes.
//! - `connector_history`: one row per change (`plugin` NULL marks a deletion), keyed by
//!   (tenant, version). It does not copy the config: configs carry (encrypted) secrets, and one
//!   copy is enough.
//! - `tokens`: API tokens by hex SHA-256 hash (unique); revocation sets `revoked_at_ms`, the row
//!   stays so [`Store::token_count`] can tell a first start from "every token was revoked".
//! - `rate_limits`: one counter per (tenant, bucket, fixed window start).
//! - `idempotency`: one row per (tenant, Idempotency-Key): fingerprint, start time, and the stored
//!   response once finished.
//! - `sends`: the send audit log (never the code; the recipient arrives masked).
//! - `settings`: small per-tenant JSON documents by name.
//!
//! The store is schema-agnostic about connector configs: it stores the JSON text it is given.
//!
//! # Exactness rules (hold across processes sharing one database)
//! - **Rate limits**: each check is ONE atomic upsert that increments the window's counter and
//!   returns the new count (`INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits`);
//!   a hit is allowed when the returned count is `<= limit`. There is no read-then-write, so N
//!   concurrent hits against limit L allow exactly min(N, L). Windows are fixed:
//!   `window_start = now - now % window`. Rows whose window ended are pruned every
//!   [`PRUNE_EVERY`] checks per process.
//! - **Idempotency**: insert wins. [`Store::begin_idempotent`] is one upsert whose `DO UPDATE`
//!   fires only when the existing row is older than the ttl (treated as absent and replaced in
//!   the same statement); the caller whose statement returned a row owns the key. Everyone else
//!   reads the row and learns `InProgress`, `Completed` or `Mismatch`.
//! - **Connector versions**: every change runs in one transaction that locks the tenant's head
//!   row (SQLite: `BEGIN IMMEDIATE`, PostgreSQL: `SELECT … FOR UPDATE`), checks `expect_version`,
//!   and writes head and history together, so a crash leaves the old or the new state. On
//!   PostgreSQL the `NOTIFY` is sent in the same transaction, so it is delivered only on commit.
//!
//! # Default numbers and why
//! - SQLite pool: [`SQLITE_POOL_SIZE`] (4) connections. WAL lets readers run beside the one
//!   writer; writes serialise on the file lock anyway, so more connections only add contention.
//! - SQLite busy timeout: [`SQLITE_BUSY_TIMEOUT`] (5 s). Long enough to ride out a burst of
//!   serialised writes from several tasks (each takes milliseconds); short enough that a wedged
//!   writer surfaces as [`StoreError::Unavailable`] instead of a hung request.
//! - SQLite `synchronous=NORMAL` with WAL: a commit survives a process crash (`kill -9`); only an
//!   OS crash or power loss can lose the last commits, never corrupt the file. `FULL` would add
//!   an fsync per commit for a case the daemon does not promise.
//! - PostgreSQL pool: [`POSTGRES_POOL_SIZE`] (10) connections per replica, plus one held by the
//!   LISTEN task. Enough for a daemon's concurrent requests (each statement is short), and small
//!   enough that a few replicas stay well under PostgreSQL's default `max_connections` (100).
//! - PostgreSQL acquire timeout: [`POSTGRES_ACQUIRE_TIMEOUT`] (3 s). During an outage a request
//!   fails fast as `Unavailable` (the daemon answers 503) rather than queueing; the pool opens new
//!   connections by itself once the server is back.
//!
//! Errors never contain SQL parameters (tokens, hashes, configs) nor the database URL: they
//! carry the operation, the failure kind and at most a SQLSTATE / SQLite result code.
//!
//! # Tests
//! `cargo test -p smshost-store` runs one behaviour suite against both backends. PostgreSQL tests
//! use `SMSHOST_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`), one fresh
//! schema per test ([`PostgresStore::connect_in_schema`]), dropped afterwards; without a server
//! they print `skipped: no PostgreSQL at …`, unless `SMSHOST_TEST_POSTGRES_REQUIRED=1` (CI),
//! where a missing server fails them.

#![deny(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

mod postgres;
mod rows;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// An idempotency key still in progress after this long belongs to a
/// process that died mid-send (a send is bounded by its 30 s timeout), so
/// the next caller may take it over instead of waiting for the 24 h TTL.
pub const IN_PROGRESS_LEASE_SECS: i64 = 120;
/// Rate-limit and idempotency rows are pruned once per this many checks (per process).
pub const PRUNE_EVERY: u64 = 500;
/// Connections in the SQLite pool.
pub const SQLITE_POOL_SIZE: u32 = 4;
/// How long a SQLite statement waits for the write lock before failing as `Unavailable`.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections in the PostgreSQL pool.
pub const POSTGRES_POOL_SIZE: u32 = 10;
/// How long a PostgreSQL request waits for a pool connection before failing as `Unavailable`.
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// The tenant created when a store is opened.
pub const DEFAULT_TENANT: &str = "default";

/// Errors from the store. Messages name the operation and the kind of failure, never values.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `expect_version` did not match; `current` is the active connector's version (None: none active).
    #[error("version mismatch (current version: {current:?})")]
    VersionMismatch {
        /// The version of the active connector, or None when no connector is active.
        current: Option<i64>,
    },
    /// A unique value already exists (e.g. a token hash or a send record id).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or is overloaded right now; retrying later may work (HTTP 503).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data cannot be read back (damaged file, unexpected column contents).
    #[error("store data corrupt: {0}")]
    Corrupt(String),
    /// Anything else (bad URL, invalid argument, unexpected database error).
    #[error("store error: {0}")]
    Other(String),
}

/// A tenant known to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// Tenant id (validated by the caller).
    pub id: String,
    /// When the tenant was first created, unix milliseconds.
    pub created_at_unix_ms: i64,
}

/// A new active connector for a tenant.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectorChange {
    /// Plugin name the connector runs.
    pub plugin: String,
    /// Config JSON text, stored as given (secret fields already encrypted by the caller).
    pub config_json: String,
    /// Who made the change (token label or id), for the history.
    pub actor: Option<String>,
}

/// The active connector of a tenant.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectorRecord {
    /// Tenant id.
    pub tenant: String,
    /// Plugin name.
    pub plugin: String,
    /// Config JSON text as stored.
    pub config_json: String,
    /// Version of this configuration (grows by one per change per tenant, never reused).
    pub version: i64,
    /// When this version was written, unix milliseconds.
    pub updated_at_unix_ms: i64,
    /// Who wrote this version.
    pub updated_by: Option<String>,
}

// Configs hold (encrypted) secrets: Debug shows their size only, so records can be logged.
impl std::fmt::Debug for ConnectorChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorChange")
            .field("plugin", &self.plugin)
            .field("config_json", &format_args!("<{} bytes>", self.config_json.len()))
            .field("actor", &self.actor)
            .finish()
    }
}

impl std::fmt::Debug for ConnectorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorRecord")
            .field("tenant", &self.tenant)
            .field("plugin", &self.plugin)
            .field("config_json", &format_args!("<{} bytes>", self.config_json.len()))
            .field("version", &self.version)
            .field("updated_at_unix_ms", &self.updated_at_unix_ms)
            .field("updated_by", &self.updated_by)
            .finish()
    }
}

/// One change in a tenant's connector history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Version this change produced.
    pub version: i64,
    /// Plugin of the new connector; None marks a deletion.
    pub plugin: Option<String>,
    /// When the change was made, unix milliseconds.
    pub at_unix_ms: i64,
    /// Who made the change.
    pub actor: Option<String>,
}

/// A connector change seen by another process (PostgreSQL NOTIFY).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConnectorNotice {
    /// Tenant whose connector changed.
    pub tenant: String,
    /// The tenant's version after the change.
    pub version: i64,
}

/// A token to store (the caller hashes the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Tenant the token acts for; None for an admin token.
    pub tenant: Option<String>,
    /// Hex SHA-256 of the token secret; unique.
    pub hash: String,
    /// Human label.
    pub label: String,
}

/// A stored token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Store-assigned id (UUID), used to revoke.
    pub id: String,
    /// Tenant the token acts for; None for an admin token.
    pub tenant: Option<String>,
    /// Hex SHA-256 of the token secret.
    pub hash: String,
    /// Human label.
    pub label: String,
    /// When the token was created, unix milliseconds.
    pub created_at_unix_ms: i64,
}

/// The outcome of one rate-limit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether this hit is within the limit.
    pub allowed: bool,
    /// Hits counted in the current window, this one included.
    pub count: u32,
    /// Seconds until the window ends when refused; 0 when allowed.
    pub retry_after_secs: u64,
}

/// A finished response kept for an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Response body text.
    pub body: String,
}

/// The result of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// This caller owns the key and must finish or release it.
    Started,
    /// Another caller owns the key and has not finished.
    InProgress,
    /// The same request finished earlier; replay this response.
    Completed(StoredResponse),
    /// The key was used with a different request fingerprint.
    Mismatch,
}

/// One send attempt, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    /// Unique id of the send (caller-assigned).
    pub id: String,
    /// When the send happened, unix milliseconds.
    pub at_unix_ms: i64,
    /// Connector (plugin) that handled it.
    pub connector: String,
    /// Usage type (e.g. login, signup).
    pub usage_type: String,
    /// Recipient, already masked by the caller.
    pub to_masked: String,
    /// "sent", "failed" or "refused".
    pub outcome: String,
    /// Error code when not sent.
    pub error_code: Option<String>,
    /// Provider's message id when sent.
    pub provider_message_id: Option<String>,
    /// How long the send took, milliseconds.
    pub latency_ms: u64,
}

/// All daemon state, behind one narrow interface with a SQLite and a PostgreSQL backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks the database answers (readyz).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Creates the tenant if missing (idempotent). `default` is created at open.
    async fn ensure_tenant(&self, tenant: &str) -> Result<(), StoreError>;
    /// Every tenant, ordered by id.
    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError>;

    /// The tenant's one active SMS connector, if any.
    async fn active_connector(&self, tenant: &str) -> Result<Option<ConnectorRecord>, StoreError>;
    /// Replaces the tenant's active connector in one transaction (creating the tenant if missing).
    /// `expect_version`: Some(v) fails with [`StoreError::VersionMismatch`] unless a connector is
    /// active at version v (If-Match). Versions grow by one per change and are never reused.
    async fn put_connector(
        &self,
        tenant: &str,
        change: ConnectorChange,
        expect_version: Option<i64>,
    ) -> Result<ConnectorRecord, StoreError>;
    /// Deletes the active connector and returns it as it was; the deletion is history entry
    /// `removed.version + 1`. Ok(None) when none was active and `expect_version` is None;
    /// with Some(v) and none active, VersionMismatch { current: None }.
    async fn delete_connector(
        &self,
        tenant: &str,
        actor: Option<&str>,
        expect_version: Option<i64>,
    ) -> Result<Option<ConnectorRecord>, StoreError>;
    /// The tenant's connector changes, newest first, deletions included.
    async fn connector_history(&self, tenant: &str, limit: u32) -> Result<Vec<HistoryEntry>, StoreError>;
    /// (tenant, current version) for every tenant (0 when it never had a connector): replicas poll
    /// this to notice changes whose notification they missed.
    async fn connector_versions(&self) -> Result<Vec<(String, i64)>, StoreError>;
    /// Change notifications from other processes (PostgreSQL LISTEN/NOTIFY; the listener reconnects
    /// by itself, and notices sent while it was disconnected are lost, hence `connector_versions`).
    /// SQLite returns None: one process owns the file.
    fn subscribe(&self) -> Option<tokio::sync::broadcast::Receiver<ConnectorNotice>>;

    /// Stores a token (only its hash). A hash that exists already fails with `Conflict`.
    async fn create_token(&self, token: NewToken) -> Result<TokenRecord, StoreError>;
    /// The unrevoked token with this hash.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// Revokes a token; false when no unrevoked token has this id.
    async fn revoke_token(&self, id: &str) -> Result<bool, StoreError>;
    /// Every unrevoked token, oldest first.
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Every token ever created, revoked ones included (first-start detection).
    async fn token_count(&self) -> Result<u64, StoreError>;

    /// Counts one hit in the fixed window containing `now_unix` (one atomic upsert, exact across
    /// processes) and says whether it is within `limit`.
    async fn hit_rate_limit(
        &self,
        tenant: &str,
        key: &str,
        window_secs: u64,
        limit: u32,
        now_unix: i64,
    ) -> Result<RateDecision, StoreError> {
        self.add_rate_limit_hits(tenant, key, window_secs, limit, now_unix, 1)
            .await
    }

    /// Adds `hits` to the counter of the window containing `now_unix` in one atomic upsert and
    /// says whether the total is within `limit` (the write-behind of hits counted in memory adds
    /// several at once).
    async fn add_rate_limit_hits(
        &self,
        tenant: &str,
        key: &str,
        window_secs: u64,
        limit: u32,
        now_unix: i64,
        hits: u32,
    ) -> Result<RateDecision, StoreError>;

    /// Whether this process is the store's only writer (SQLite: one daemon per file), so a
    /// caller may count rate-limit hits in memory and write them behind.
    fn single_process(&self) -> bool {
        false
    }

    /// Claims an idempotency key; exactly one concurrent caller gets `Started`. Rows older than
    /// `ttl_secs` count as absent and are replaced atomically.
    async fn begin_idempotent(
        &self,
        tenant: &str,
        key: &str,
        fingerprint: &str,
        now_unix: i64,
        ttl_secs: u64,
    ) -> Result<IdempotencyBegin, StoreError>;
    /// Stores the response for a key this caller started.
    async fn finish_idempotent(&self, tenant: &str, key: &str, response: StoredResponse) -> Result<(), StoreError>;
    /// Forgets a key (the request failed in a retryable way).
    async fn release_idempotent(&self, tenant: &str, key: &str) -> Result<(), StoreError>;

    /// Appends a send to the audit log. A duplicate id fails with `Conflict`.
    async fn record_send(&self, tenant: &str, record: SendRecord) -> Result<(), StoreError>;
    /// The tenant's sends, newest first, strictly before `before_unix_ms` when given (paging).
    async fn sends(&self, tenant: &str, limit: u32, before_unix_ms: Option<i64>)
    -> Result<Vec<SendRecord>, StoreError>;

    /// Stores (Some) or deletes (None) a per-tenant settings document.
    async fn put_setting(&self, tenant: &str, key: &str, value: Option<&str>) -> Result<(), StoreError>;
    /// A per-tenant settings document.
    async fn setting(&self, tenant: &str, key: &str) -> Result<Option<String>, StoreError>;
}

/// Opens the store named by `url_or_path`: `postgres://…`/`postgresql://…` → PostgreSQL,
/// anything else (`sqlite://path`, `sqlite:path` or a plain file path) → SQLite.
pub async fn open(url_or_path: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url_or_path.starts_with("postgres://") || url_or_path.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url_or_path).await?))
    } else {
        let path = url_or_path
            .strip_prefix("sqlite://")
            .or_else(|| url_or_path.strip_prefix("sqlite:"))
            .unwrap_or(url_or_path);
        Ok(Arc::new(SqliteStore::open(path).await?))
    }
}

/// The one place the store reads the clock.
pub(crate) fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Start and end of the fixed window containing `now`.
pub(crate) fn window_bounds(window_secs: u64, now_unix: i64) -> Result<(i64, i64), StoreError> {
    let window = i64::try_from(window_secs)
        .ok()
        .filter(|w| *w > 0)
        .ok_or_else(|| StoreError::Other("hit_rate_limit: window_secs must be between 1 and i64::MAX".into()))?;
    let start = now_unix - now_unix.rem_euclid(window);
    Ok((start, start.saturating_add(window)))
}

/// Turns a counter value into a decision.
pub(crate) fn rate_decision(hits: i64, limit: u32, window_end: i64, now_unix: i64) -> RateDecision {
    let allowed = hits <= i64::from(limit);
    RateDecision {
        allowed,
        count: u32::try_from(hits).unwrap_or(u32::MAX),
        retry_after_secs: if allowed {
            0
        } else {
            (window_end - now_unix).max(1) as u64
        },
    }
}

/// Maps a sqlx error to a [`StoreError`] without copying any message that could hold a value:
/// only the operation name, the error kind and the SQLSTATE / SQLite result code.
pub(crate) fn db_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| classify(op, &e)
}

fn classify(op: &'static str, e: &sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match e {
        E::Io(io) => StoreError::Unavailable(format!("{op}: cannot reach the database ({})", io.kind())),
        E::PoolTimedOut => StoreError::Unavailable(format!("{op}: no database connection free within the timeout")),
        E::PoolClosed => StoreError::Unavailable(format!("{op}: the store is closed")),
        E::WorkerCrashed => StoreError::Unavailable(format!("{op}: the database worker stopped")),
        E::Tls(_) => StoreError::Unavailable(format!("{op}: TLS failure talking to the database")),
        E::Protocol(_) => StoreError::Unavailable(format!("{op}: database protocol error (connection lost?)")),
        E::Configuration(_) => StoreError::Other(format!("{op}: invalid database URL or options")),
        E::Database(d) => {
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            let is_pg = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some();
            if matches!(d.kind(), sqlx::error::ErrorKind::UniqueViolation) {
                return StoreError::Conflict(format!("{op}: that value exists already"));
            }
            if is_pg {
                // Class 08: connection exception; 53: insufficient resources; 57P01-03: shutdown / not accepting yet.
                if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") {
                    return StoreError::Unavailable(format!("{op}: database unavailable (SQLSTATE {code})"));
                }
                if code == "XX001" || code == "XX002" {
                    return StoreError::Corrupt(format!("{op}: database reports corruption (SQLSTATE {code})"));
                }
                StoreError::Other(format!("{op}: database error (SQLSTATE {code})"))
            } else {
                // SQLite extended codes; the primary code is the low byte.
                let primary = code.parse::<i32>().map(|c| c & 0xff).unwrap_or(-1);
                match primary {
                    // BUSY, LOCKED, IOERR, CANTOPEN, FULL, READONLY
                    5 | 6 | 10 | 14 | 13 | 8 => {
                        StoreError::Unavailable(format!("{op}: database file unavailable (SQLite code {code})"))
                    }
                    // CORRUPT, NOTADB
                    11 | 26 => StoreError::Corrupt(format!("{op}: database file damaged (SQLite code {code})")),
                    _ => StoreError::Other(format!("{op}: database error (SQLite code {code})")),
                }
            }
        }
        E::ColumnDecode { .. } | E::Decode(_) | E::ColumnNotFound(_) | E::ColumnIndexOutOfBounds { .. } => {
            StoreError::Corrupt(format!("{op}: stored data has an unexpected shape"))
        }
        E::Migrate(m) => match &**m {
            sqlx::migrate::MigrateError::Execute(inner) | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => {
                classify(op, inner)
            }
            // The other migrate errors describe the migration files (versions, checksums), never data.
            other => StoreError::Other(format!("{op}: {other}")),
        },
        _ => StoreError::Other(format!("{op}: unexpected database error")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_aligned() {
        assert_eq!(window_bounds(60, 125).unwrap(), (120, 180));
        assert_eq!(window_bounds(60, 120).unwrap(), (120, 180));
        assert_eq!(window_bounds(60, -1).unwrap(), (-60, 0));
        assert!(window_bounds(0, 5).is_err());
    }

    #[test]
    fn decisions_count_and_retry() {
        assert_eq!(
            rate_decision(3, 3, 180, 125),
            RateDecision {
                allowed: true,
                count: 3,
                retry_after_secs: 0
            }
        );
        assert_eq!(
            rate_decision(4, 3, 180, 125),
            RateDecision {
                allowed: false,
                count: 4,
                retry_after_secs: 55
            }
        );
    }

    #[test]
    fn debug_hides_configs() {
        let c = ConnectorChange {
            plugin: "p".into(),
            config_json: r#"{"key":"s3cret"}"#.into(),
            actor: None,
        };
        let s = format!("{c:?}");
        assert!(!s.contains("s3cret"), "{s}");
        assert!(s.contains("16 bytes"), "{s}");
    }
}
