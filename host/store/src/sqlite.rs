//! Embedded SQLite backend: one file, WAL, one process.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::broadcast;

use crate::rows::{self, ConnectorRow, HeadRow, SendRow, TokenRow};
use crate::{
    ConnectorChange, ConnectorNotice, ConnectorRecord, DEFAULT_TENANT, HistoryEntry, IN_PROGRESS_LEASE_SECS,
    IdempotencyBegin, NewToken, PRUNE_EVERY, RateDecision, SQLITE_BUSY_TIMEOUT, SQLITE_POOL_SIZE, SendRecord, Store,
    StoreError, StoredResponse, TenantRecord, TokenRecord, db_err, now_unix_ms, rate_decision, window_bounds,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Writes that read before they write take the write lock up front: a deferred transaction that
/// upgrades from reader to writer can fail with SQLITE_BUSY without waiting for the busy timeout.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The SQLite backend (the default: one file in the data folder, one daemon process).
pub struct SqliteStore {
    pool: SqlitePool,
    rate_hits: AtomicU64,
    idem_begins: AtomicU64,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path` and applies migrations. The file
    /// gets the process umask's mode: the data folder's permissions are what protect it.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        // Opens in one process take turns: connections racing to create a fresh file and switch
        // it to WAL were seen to fail with SQLITE_CANTOPEN. (Two processes on one file are not
        // supported: that is what the PostgreSQL backend is for.)
        static OPENING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _turn = OPENING.lock().await;
        let options = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(SQLITE_POOL_SIZE)
            // Longer than the busy timeout, so lock contention reports as SQLITE_BUSY, not as a pool wait.
            .acquire_timeout(SQLITE_BUSY_TIMEOUT * 2)
            .connect_with(options)
            .await
            .map_err(db_err("open"))?;
        // Two stores opening the same fresh file at once can race on the first migration (SQLite
        // has no migration lock); the loser's retry finds it applied.
        let mut attempt = 0;
        loop {
            match MIGRATOR.run(&pool).await {
                Ok(()) => break,
                Err(_) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => return Err(db_err("migrate")(e.into())),
            }
        }
        let store = SqliteStore {
            pool,
            rate_hits: AtomicU64::new(0),
            idem_begins: AtomicU64::new(0),
        };
        store.ensure_tenant(DEFAULT_TENANT).await?;
        Ok(store)
    }

    /// The underlying pool, for tests and maintenance (e.g. `PRAGMA integrity_check`).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn prune_rate_limits(&self, now_unix: i64) {
        let result = sqlx::query("DELETE FROM rate_limits WHERE window_end <= ?1")
            .bind(now_unix)
            .execute(&self.pool)
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %db_err("prune rate limits")(e), "pruning old rate-limit windows failed");
        }
    }

    async fn prune_idempotency(&self, cutoff: i64) {
        let result = sqlx::query("DELETE FROM idempotency WHERE created_at <= ?1")
            .bind(cutoff)
            .execute(&self.pool)
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %db_err("prune idempotency")(e), "pruning expired idempotency keys failed");
        }
    }
}

async fn read_head(
    conn: &mut sqlx::SqliteConnection,
    tenant: &str,
    op: &'static str,
) -> Result<rows::Head, StoreError> {
    let row: Option<HeadRow> = sqlx::query_as(
        "SELECT version, plugin, config_json, updated_at_ms, updated_by FROM connector_heads WHERE tenant = ?1",
    )
    .bind(tenant)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err(op))?;
    Ok(rows::head(tenant, row))
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_err("ping"))?;
        Ok(())
    }

    async fn ensure_tenant(&self, tenant: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tenants (id, created_at_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
            .bind(tenant)
            .bind(now_unix_ms())
            .execute(&self.pool)
            .await
            .map_err(db_err("ensure_tenant"))?;
        Ok(())
    }

    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let found: Vec<(String, i64)> = sqlx::query_as("SELECT id, created_at_ms FROM tenants ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("tenants"))?;
        Ok(found
            .into_iter()
            .map(|(id, created_at_unix_ms)| TenantRecord { id, created_at_unix_ms })
            .collect())
    }

    async fn active_connector(&self, tenant: &str) -> Result<Option<ConnectorRecord>, StoreError> {
        let row: Option<ConnectorRow> = sqlx::query_as(
            "SELECT plugin, config_json, version, updated_at_ms, updated_by FROM connector_heads
             WHERE tenant = ?1 AND plugin IS NOT NULL",
        )
        .bind(tenant)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("active_connector"))?;
        Ok(row.map(|r| rows::connector(tenant, r)))
    }

    async fn put_connector(
        &self,
        tenant: &str,
        change: ConnectorChange,
        expect_version: Option<i64>,
    ) -> Result<ConnectorRecord, StoreError> {
        const OP: &str = "put_connector";
        let now = now_unix_ms();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err(OP))?;
        sqlx::query("INSERT INTO tenants (id, created_at_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
            .bind(tenant)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err(OP))?;
        let (version, active) = read_head(&mut tx, tenant, OP).await?;
        rows::check_expected(expect_version, &active)?;
        let next = version + 1;
        sqlx::query(
            "INSERT INTO connector_heads (tenant, version, plugin, config_json, updated_at_ms, updated_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (tenant) DO UPDATE SET version = excluded.version, plugin = excluded.plugin,
                 config_json = excluded.config_json, updated_at_ms = excluded.updated_at_ms,
                 updated_by = excluded.updated_by",
        )
        .bind(tenant)
        .bind(next)
        .bind(&change.plugin)
        .bind(&change.config_json)
        .bind(now)
        .bind(&change.actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        sqlx::query(
            "INSERT INTO connector_history (tenant, version, plugin, at_ms, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(tenant)
        .bind(next)
        .bind(&change.plugin)
        .bind(now)
        .bind(&change.actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(ConnectorRecord {
            tenant: tenant.to_owned(),
            plugin: change.plugin,
            config_json: change.config_json,
            version: next,
            updated_at_unix_ms: now,
            updated_by: change.actor,
        })
    }

    async fn delete_connector(
        &self,
        tenant: &str,
        actor: Option<&str>,
        expect_version: Option<i64>,
    ) -> Result<Option<ConnectorRecord>, StoreError> {
        const OP: &str = "delete_connector";
        let now = now_unix_ms();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err(OP))?;
        let (version, active) = read_head(&mut tx, tenant, OP).await?;
        rows::check_expected(expect_version, &active)?;
        let Some(removed) = active else {
            return Ok(None);
        };
        let next = version + 1;
        sqlx::query(
            "UPDATE connector_heads SET version = ?2, plugin = NULL, config_json = NULL, updated_at_ms = ?3,
                 updated_by = ?4 WHERE tenant = ?1",
        )
        .bind(tenant)
        .bind(next)
        .bind(now)
        .bind(actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        sqlx::query(
            "INSERT INTO connector_history (tenant, version, plugin, at_ms, actor) VALUES (?1, ?2, NULL, ?3, ?4)",
        )
        .bind(tenant)
        .bind(next)
        .bind(now)
        .bind(actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(Some(removed))
    }

    async fn connector_history(&self, tenant: &str, limit: u32) -> Result<Vec<HistoryEntry>, StoreError> {
        let found: Vec<(i64, Option<String>, i64, Option<String>)> = sqlx::query_as(
            "SELECT version, plugin, at_ms, actor FROM connector_history WHERE tenant = ?1
             ORDER BY version DESC LIMIT ?2",
        )
        .bind(tenant)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("connector_history"))?;
        Ok(found
            .into_iter()
            .map(|(version, plugin, at_unix_ms, actor)| HistoryEntry {
                version,
                plugin,
                at_unix_ms,
                actor,
            })
            .collect())
    }

    async fn connector_versions(&self) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query_as(
            "SELECT t.id, COALESCE(h.version, 0) FROM tenants t
             LEFT JOIN connector_heads h ON h.tenant = t.id ORDER BY t.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("connector_versions"))
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<ConnectorNotice>> {
        None
    }

    async fn create_token(&self, new: NewToken) -> Result<TokenRecord, StoreError> {
        const OP: &str = "create_token";
        let now = now_unix_ms();
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err(OP))?;
        if let Some(tenant) = &new.tenant {
            sqlx::query("INSERT INTO tenants (id, created_at_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .bind(tenant)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err(OP))?;
        }
        sqlx::query("INSERT INTO tokens (id, tenant, hash, label, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(&id)
            .bind(&new.tenant)
            .bind(&new.hash)
            .bind(&new.label)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err(OP))?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(TokenRecord {
            id,
            tenant: new.tenant,
            hash: new.hash,
            label: new.label,
            created_at_unix_ms: now,
        })
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT id, tenant, hash, label, created_at_ms FROM tokens WHERE hash = ?1 AND revoked_at_ms IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("token_by_hash"))?;
        Ok(row.map(rows::token))
    }

    async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE tokens SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL")
            .bind(id)
            .bind(now_unix_ms())
            .execute(&self.pool)
            .await
            .map_err(db_err("revoke_token"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let found: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, tenant, hash, label, created_at_ms FROM tokens WHERE revoked_at_ms IS NULL
             ORDER BY rowid", // creation order: tokens are never deleted, so rowids only grow
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("tokens"))?;
        Ok(found.into_iter().map(rows::token).collect())
    }

    async fn token_count(&self) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tokens")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err("token_count"))?;
        Ok(n.max(0) as u64)
    }

    fn single_process(&self) -> bool {
        // One daemon per SQLite file: its counts in memory are the only ones.
        true
    }

    async fn add_rate_limit_hits(
        &self,
        tenant: &str,
        key: &str,
        window_secs: u64,
        limit: u32,
        now_unix: i64,
        hits: u32,
    ) -> Result<RateDecision, StoreError> {
        let (start, end) = window_bounds(window_secs, now_unix)?;
        // One statement: SQLite runs it under the write lock, so concurrent hits serialise exactly.
        let (total,): (i64,) = sqlx::query_as(
            "INSERT INTO rate_limits (tenant, bucket, window_start, window_end, hits) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tenant, bucket, window_start) DO UPDATE SET hits = rate_limits.hits + ?5
             RETURNING hits",
        )
        .bind(tenant)
        .bind(key)
        .bind(start)
        .bind(end)
        .bind(i64::from(hits))
        .fetch_one(&self.pool)
        .await
        .map_err(db_err("add_rate_limit_hits"))?;
        if self.rate_hits.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune_rate_limits(now_unix).await;
        }
        Ok(rate_decision(total, limit, end, now_unix))
    }

    async fn begin_idempotent(
        &self,
        tenant: &str,
        key: &str,
        fingerprint: &str,
        now_unix: i64,
        ttl_secs: u64,
    ) -> Result<IdempotencyBegin, StoreError> {
        const OP: &str = "begin_idempotent";
        let cutoff = now_unix.saturating_sub(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        if self.idem_begins.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune_idempotency(cutoff).await;
        }
        // A release between our upsert and our read can leave nothing to read; claim again then.
        for _ in 0..3 {
            let won: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO idempotency (tenant, idem_key, fingerprint, created_at, status, body)
                 VALUES (?1, ?2, ?3, ?4, NULL, NULL)
                 ON CONFLICT (tenant, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint,
                     created_at = excluded.created_at, status = NULL, body = NULL
                 WHERE idempotency.created_at <= ?5
                    OR (idempotency.status IS NULL AND idempotency.created_at <= ?6)
                 RETURNING created_at",
            )
            .bind(tenant)
            .bind(key)
            .bind(fingerprint)
            .bind(now_unix)
            .bind(cutoff)
            .bind(now_unix.saturating_sub(IN_PROGRESS_LEASE_SECS))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(OP))?;
            if won.is_some() {
                return Ok(IdempotencyBegin::Started);
            }
            let row: Option<(String, Option<i64>, Option<String>)> =
                sqlx::query_as("SELECT fingerprint, status, body FROM idempotency WHERE tenant = ?1 AND idem_key = ?2")
                    .bind(tenant)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err(OP))?;
            if let Some(row) = row {
                return Ok(rows::idempotency(fingerprint, row.0, row.1, row.2));
            }
        }
        Ok(IdempotencyBegin::InProgress)
    }

    async fn finish_idempotent(&self, tenant: &str, key: &str, response: StoredResponse) -> Result<(), StoreError> {
        sqlx::query("UPDATE idempotency SET status = ?3, body = ?4 WHERE tenant = ?1 AND idem_key = ?2")
            .bind(tenant)
            .bind(key)
            .bind(i64::from(response.status))
            .bind(&response.body)
            .execute(&self.pool)
            .await
            .map_err(db_err("finish_idempotent"))?;
        Ok(())
    }

    async fn release_idempotent(&self, tenant: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE tenant = ?1 AND idem_key = ?2")
            .bind(tenant)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err("release_idempotent"))?;
        Ok(())
    }

    async fn record_send(&self, tenant: &str, r: SendRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sends (id, tenant, at_ms, connector, usage_type, to_masked, outcome, error_code,
                 provider_message_id, latency_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(&r.id)
        .bind(tenant)
        .bind(r.at_unix_ms)
        .bind(&r.connector)
        .bind(&r.usage_type)
        .bind(&r.to_masked)
        .bind(&r.outcome)
        .bind(&r.error_code)
        .bind(&r.provider_message_id)
        .bind(i64::try_from(r.latency_ms).unwrap_or(i64::MAX))
        .execute(&self.pool)
        .await
        .map_err(db_err("record_send"))?;
        Ok(())
    }

    async fn sends(
        &self,
        tenant: &str,
        limit: u32,
        before_unix_ms: Option<i64>,
    ) -> Result<Vec<SendRecord>, StoreError> {
        let found: Vec<SendRow> = sqlx::query_as(
            "SELECT id, at_ms, connector, usage_type, to_masked, outcome, error_code, provider_message_id, latency_ms
             FROM sends WHERE tenant = ?1 AND at_ms < ?2 ORDER BY at_ms DESC, id DESC LIMIT ?3",
        )
        .bind(tenant)
        .bind(before_unix_ms.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("sends"))?;
        Ok(found.into_iter().map(rows::send).collect())
    }

    async fn put_setting(&self, tenant: &str, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        let query = match value {
            Some(value) => sqlx::query(
                "INSERT INTO settings (tenant, name, value, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(tenant)
            .bind(key)
            .bind(value)
            .bind(now_unix_ms()),
            None => sqlx::query("DELETE FROM settings WHERE tenant = ?1 AND name = ?2").bind(tenant).bind(key),
        };
        query.execute(&self.pool).await.map_err(db_err("put_setting"))?;
        Ok(())
    }

    async fn setting(&self, tenant: &str, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE tenant = ?1 AND name = ?2")
            .bind(tenant)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("setting"))?;
        Ok(row.map(|(v,)| v))
    }
}
