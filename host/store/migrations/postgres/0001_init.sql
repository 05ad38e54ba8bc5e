-- smshost store schema, PostgreSQL. Times are unix milliseconds (*_ms) or seconds (window/created_at in
-- rate_limits and idempotency, which the daemon passes in as seconds).

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- One row per tenant that ever had a connector. `version` is the tenant's change counter; it lives
-- here (not in the active row) so a deletion bumps it and no version is ever reused.
CREATE TABLE connector_heads (
    tenant        TEXT PRIMARY KEY NOT NULL REFERENCES tenants (id),
    version       BIGINT NOT NULL,
    plugin        TEXT,
    config_json   TEXT,
    updated_at_ms BIGINT,
    updated_by    TEXT,
    CHECK ((plugin IS NULL) = (config_json IS NULL))
);

CREATE TABLE connector_history (
    tenant  TEXT NOT NULL REFERENCES tenants (id),
    version BIGINT NOT NULL,
    plugin  TEXT, -- NULL: the connector was deleted
    at_ms   BIGINT NOT NULL,
    actor   TEXT,
    PRIMARY KEY (tenant, version)
);

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY, -- creation order (SQLite uses its rowid)
    tenant        TEXT REFERENCES tenants (id), -- NULL: admin token
    hash          TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);

CREATE TABLE rate_limits (
    tenant       TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (tenant, bucket, window_start)
);
CREATE INDEX rate_limits_window_end ON rate_limits (window_end);

CREATE TABLE idempotency (
    tenant      TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    status      INTEGER, -- NULL while in progress
    body        TEXT,
    PRIMARY KEY (tenant, idem_key)
);
CREATE INDEX idempotency_created_at ON idempotency (created_at);

CREATE TABLE sends (
    id                  TEXT PRIMARY KEY NOT NULL,
    tenant              TEXT NOT NULL,
    at_ms               BIGINT NOT NULL,
    connector           TEXT NOT NULL,
    usage_type          TEXT NOT NULL,
    to_masked           TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    error_code          TEXT,
    provider_message_id TEXT,
    latency_ms          BIGINT NOT NULL
);
CREATE INDEX sends_tenant_at ON sends (tenant, at_ms DESC, id DESC);

CREATE TABLE settings (
    tenant        TEXT NOT NULL,
    name          TEXT NOT NULL,
    value         TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, name)
);
