//! PostgreSQL backend: a pool shared by several daemon replicas, LISTEN/NOTIFY for changes.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor};
use tokio::sync::broadcast;

use crate::rows::{self, ConnectorRow, HeadRow, SendRow, TokenRow};
use crate::{
    ConnectorChange, ConnectorNotice, ConnectorRecord, DEFAULT_TENANT, HistoryEntry, IN_PROGRESS_LEASE_SECS,
    IdempotencyBegin, NewToken, POSTGRES_ACQUIRE_TIMEOUT, POSTGRES_POOL_SIZE, PRUNE_EVERY, RateDecision, SendRecord,
    Store, StoreError, StoredResponse, TenantRecord, TokenRecord, db_err, now_unix_ms, rate_decision, window_bounds,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Serialises schema creation between processes; sqlx's migrator then takes its own advisory
/// lock (keyed by database name) around the migrations themselves.
const SCHEMA_LOCK_KEY: i64 = 0x736d_7368_6f73_7401; // "smshost" + 1

/// Notices a subscriber may fall behind by before it sees `Lagged` (and should re-poll versions).
const NOTICE_BUFFER: usize = 256;

/// The PostgreSQL backend (several daemon replicas sharing one database).
pub struct PostgresStore {
    pool: PgPool,
    channel: String,
    notices: broadcast::Sender<ConnectorNotice>,
    listener: tokio::task::JoinHandle<()>,
    rate_hits: AtomicU64,
    idem_begins: AtomicU64,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (the schema is the URL's search_path, e.g.
    /// `?options=-csearch_path%3Dsmshost`, which must exist) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(db_err("connect"))?;
        Self::connect_with(options, None).await
    }

    /// Connects to the database at `url` using `schema` (created if missing; lowercase ASCII
    /// letters, digits and `_`, at most 40 characters), e.g. one fresh schema per test.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        let valid = !schema.is_empty()
            && schema.len() <= 40
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(StoreError::Other("connect: invalid schema name".into()));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(db_err("connect"))?
            .options([("search_path", schema)]);
        Self::connect_with(options, Some(schema)).await
    }

    async fn connect_with(options: PgConnectOptions, create_schema: Option<&str>) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_POOL_SIZE)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(db_err("connect"))?;
        let schema = migrate(&pool, create_schema).await?;
        // Channels are database-wide; naming them after the schema keeps schemas (tests, or two
        // deployments in one database) from hearing each other. 63 bytes is PostgreSQL's limit.
        let mut channel = format!("smshost_connectors_{schema}");
        while channel.len() > 63 {
            channel.pop();
        }
        // The listener gets its own one-connection pool so it never takes a request connection.
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&listen_pool).await.map_err(db_err("listen"))?;
        listener.listen(&channel).await.map_err(db_err("listen"))?;
        let (notices, _) = broadcast::channel(NOTICE_BUFFER);
        let listener = tokio::spawn(forward_notices(listener, notices.clone()));
        let store = PostgresStore {
            pool,
            channel,
            notices,
            listener,
            rate_hits: AtomicU64::new(0),
            idem_begins: AtomicU64::new(0),
        };
        store.ensure_tenant(DEFAULT_TENANT).await?;
        Ok(store)
    }

    /// The underlying pool, for tests and maintenance.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The NOTIFY channel this store sends and listens on.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    async fn prune_rate_limits(&self, now_unix: i64) {
        let result = sqlx::query("DELETE FROM rate_limits WHERE window_end <= $1")
            .bind(now_unix)
            .execute(&self.pool)
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %db_err("prune rate limits")(e), "pruning old rate-limit windows failed");
        }
    }

    async fn prune_idempotency(&self, cutoff: i64) {
        let result = sqlx::query("DELETE FROM idempotency WHERE created_at <= $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %db_err("prune idempotency")(e), "pruning expired idempotency keys failed");
        }
    }
}

/// Creates the schema if asked and applies migrations, on one connection taken out of the pool
/// (session advisory locks must be released on the session that took them; closing it releases
/// them even if a migration fails half way). Returns the schema in use.
async fn migrate(pool: &PgPool, create_schema: Option<&str>) -> Result<String, StoreError> {
    const OP: &str = "migrate";
    let mut conn = pool.acquire().await.map_err(db_err(OP))?.detach();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(SCHEMA_LOCK_KEY)
        .execute(&mut conn)
        .await
        .map_err(db_err(OP))?;
    if let Some(schema) = create_schema {
        // The name was validated to [a-z0-9_]; quoting keeps it an identifier.
        conn.execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
            .await
            .map_err(db_err(OP))?;
    }
    let (schema,): (Option<String>,) = sqlx::query_as("SELECT current_schema()")
        .fetch_one(&mut conn)
        .await
        .map_err(db_err(OP))?;
    let Some(schema) = schema else {
        return Err(StoreError::Other(format!(
            "{OP}: the search_path names no existing schema"
        )));
    };
    MIGRATOR.run(&mut conn).await.map_err(|e| db_err(OP)(e.into()))?;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(SCHEMA_LOCK_KEY)
        .execute(&mut conn)
        .await
        .map_err(db_err(OP))?;
    let _ = conn.close().await;
    Ok(schema)
}

/// Forwards NOTIFY payloads to subscribers until the store is dropped. `PgListener` reconnects and
/// re-LISTENs by itself; notices sent while it was away are lost, which is why replicas also poll
/// `connector_versions`.
async fn forward_notices(mut listener: PgListener, notices: broadcast::Sender<ConnectorNotice>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => match serde_json::from_str::<ConnectorNotice>(n.payload()) {
                // No subscribers is fine: nobody is waiting.
                Ok(notice) => {
                    let _ = notices.send(notice);
                }
                Err(_) => tracing::warn!("ignoring a malformed connector notification"),
            },
            Ok(None) => tracing::warn!("connector notification connection lost; reconnecting"),
            Err(e) => {
                tracing::warn!(error = %db_err("listen")(e), "connector notifications unavailable; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn notify(
    conn: &mut sqlx::PgConnection,
    channel: &str,
    tenant: &str,
    version: i64,
    op: &'static str,
) -> Result<(), StoreError> {
    let payload = serde_json::to_string(&ConnectorNotice {
        tenant: tenant.to_owned(),
        version,
    })
    .map_err(|_| StoreError::Other(format!("{op}: cannot encode notification")))?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(&mut *conn)
        .await
        .map_err(db_err(op))?;
    Ok(())
}

/// Reads the head row and locks it until the transaction ends, so concurrent changes of one
/// tenant serialise on the version check.
async fn read_head(conn: &mut sqlx::PgConnection, tenant: &str, op: &'static str) -> Result<rows::Head, StoreError> {
    let row: Option<HeadRow> = sqlx::query_as(
        "SELECT version, plugin, config_json, updated_at_ms, updated_by FROM connector_heads WHERE tenant = $1
         FOR UPDATE",
    )
    .bind(tenant)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err(op))?;
    Ok(rows::head(tenant, row))
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_err("ping"))?;
        Ok(())
    }

    async fn ensure_tenant(&self, tenant: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tenants (id, created_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING")
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
             WHERE tenant = $1 AND plugin IS NOT NULL",
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
        let mut tx = self.pool.begin().await.map_err(db_err(OP))?;
        sqlx::query("INSERT INTO tenants (id, created_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(tenant)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err(OP))?;
        // An empty head row gives FOR UPDATE something to lock even on the tenant's first put;
        // a concurrent first put waits here for ours to commit.
        sqlx::query("INSERT INTO connector_heads (tenant, version) VALUES ($1, 0) ON CONFLICT DO NOTHING")
            .bind(tenant)
            .execute(&mut *tx)
            .await
            .map_err(db_err(OP))?;
        let (version, active) = read_head(&mut tx, tenant, OP).await?;
        rows::check_expected(expect_version, &active)?;
        let next = version + 1;
        sqlx::query(
            "INSERT INTO connector_heads (tenant, version, plugin, config_json, updated_at_ms, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6)
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
            "INSERT INTO connector_history (tenant, version, plugin, at_ms, actor) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant)
        .bind(next)
        .bind(&change.plugin)
        .bind(now)
        .bind(&change.actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        // Sent in the transaction: PostgreSQL delivers it on commit, never for a rolled-back change.
        notify(&mut tx, &self.channel, tenant, next, OP).await?;
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
        let mut tx = self.pool.begin().await.map_err(db_err(OP))?;
        let (version, active) = read_head(&mut tx, tenant, OP).await?;
        rows::check_expected(expect_version, &active)?;
        let Some(removed) = active else {
            return Ok(None);
        };
        let next = version + 1;
        sqlx::query(
            "UPDATE connector_heads SET version = $2, plugin = NULL, config_json = NULL, updated_at_ms = $3,
                 updated_by = $4 WHERE tenant = $1",
        )
        .bind(tenant)
        .bind(next)
        .bind(now)
        .bind(actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        sqlx::query(
            "INSERT INTO connector_history (tenant, version, plugin, at_ms, actor) VALUES ($1, $2, NULL, $3, $4)",
        )
        .bind(tenant)
        .bind(next)
        .bind(now)
        .bind(actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err(OP))?;
        notify(&mut tx, &self.channel, tenant, next, OP).await?;
        tx.commit().await.map_err(db_err(OP))?;
        Ok(Some(removed))
    }

    async fn connector_history(&self, tenant: &str, limit: u32) -> Result<Vec<HistoryEntry>, StoreError> {
        let found: Vec<(i64, Option<String>, i64, Option<String>)> = sqlx::query_as(
            "SELECT version, plugin, at_ms, actor FROM connector_history WHERE tenant = $1
             ORDER BY version DESC LIMIT $2",
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
        Some(self.notices.subscribe())
    }

    async fn create_token(&self, new: NewToken) -> Result<TokenRecord, StoreError> {
        const OP: &str = "create_token";
        let now = now_unix_ms();
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.pool.begin().await.map_err(db_err(OP))?;
        if let Some(tenant) = &new.tenant {
            sqlx::query("INSERT INTO tenants (id, created_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(tenant)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err(OP))?;
        }
        sqlx::query("INSERT INTO tokens (id, tenant, hash, label, created_at_ms) VALUES ($1, $2, $3, $4, $5)")
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
            "SELECT id, tenant, hash, label, created_at_ms FROM tokens WHERE hash = $1 AND revoked_at_ms IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("token_by_hash"))?;
        Ok(row.map(rows::token))
    }

    async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE tokens SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL")
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
             ORDER BY seq",
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
        // One statement: the conflicting row is locked for the update, so concurrent hits serialise exactly.
        let (total,): (i64,) = sqlx::query_as(
            "INSERT INTO rate_limits (tenant, bucket, window_start, window_end, hits) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant, bucket, window_start) DO UPDATE SET hits = rate_limits.hits + $5
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
                 VALUES ($1, $2, $3, $4, NULL, NULL)
                 ON CONFLICT (tenant, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint,
                     created_at = excluded.created_at, status = NULL, body = NULL
                 WHERE idempotency.created_at <= $5
                    OR (idempotency.status IS NULL AND idempotency.created_at <= $6)
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
            let row: Option<(String, Option<i32>, Option<String>)> =
                sqlx::query_as("SELECT fingerprint, status, body FROM idempotency WHERE tenant = $1 AND idem_key = $2")
                    .bind(tenant)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err(OP))?;
            if let Some(row) = row {
                return Ok(rows::idempotency(fingerprint, row.0, row.1.map(i64::from), row.2));
            }
        }
        Ok(IdempotencyBegin::InProgress)
    }

    async fn finish_idempotent(&self, tenant: &str, key: &str, response: StoredResponse) -> Result<(), StoreError> {
        sqlx::query("UPDATE idempotency SET status = $3, body = $4 WHERE tenant = $1 AND idem_key = $2")
            .bind(tenant)
            .bind(key)
            .bind(i32::from(response.status))
            .bind(&response.body)
            .execute(&self.pool)
            .await
            .map_err(db_err("finish_idempotent"))?;
        Ok(())
    }

    async fn release_idempotent(&self, tenant: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE tenant = $1 AND idem_key = $2")
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
                 provider_message_id, latency_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
             FROM sends WHERE tenant = $1 AND at_ms < $2 ORDER BY at_ms DESC, id DESC LIMIT $3",
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
                "INSERT INTO settings (tenant, name, value, updated_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(tenant)
            .bind(key)
            .bind(value)
            .bind(now_unix_ms()),
            None => sqlx::query("DELETE FROM settings WHERE tenant = $1 AND name = $2").bind(tenant).bind(key),
        };
        query.execute(&self.pool).await.map_err(db_err("put_setting"))?;
        Ok(())
    }

    async fn setting(&self, tenant: &str, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE tenant = $1 AND name = $2")
            .bind(tenant)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("setting"))?;
        Ok(row.map(|(v,)| v))
    }
}
