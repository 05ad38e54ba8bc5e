//! Behaviour of the Store trait, written once and run against both backends.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Harness;
use smshost_store::{
    ConnectorChange, ConnectorNotice, IdempotencyBegin, NewToken, PRUNE_EVERY, PostgresStore, SendRecord, SqliteStore,
    Store, StoreError, StoredResponse,
};

both_backends!(
    ping_and_tenants,
    connector_versions_and_history,
    concurrent_puts_with_one_expectation,
    tokens,
    rate_limit_window,
    rate_limit_exact_under_concurrency,
    rate_limit_prunes_old_windows,
    idempotency_one_winner,
    idempotency_states_and_expiry,
    send_records,
    settings,
    notifications,
    listener_reconnects,
    concurrent_opens_of_a_fresh_database,
);

fn change(plugin: &str, n: u32, actor: Option<&str>) -> ConnectorChange {
    ConnectorChange {
        plugin: plugin.to_owned(),
        config_json: format!(r#"{{"n":{n},"api_key":"enc:secret{n}"}}"#),
        actor: actor.map(str::to_owned),
    }
}

async fn ping_and_tenants(h: &Harness) {
    let s = &h.store;
    s.ping().await.unwrap();
    let tenants = s.tenants().await.unwrap();
    assert_eq!(tenants.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["default"]);
    assert!(tenants[0].created_at_unix_ms > 1_600_000_000_000);
    s.ensure_tenant("zeta").await.unwrap();
    s.ensure_tenant("acme").await.unwrap();
    s.ensure_tenant("acme").await.unwrap();
    let ids: Vec<String> = s.tenants().await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["acme", "default", "zeta"]);
    // Reopening keeps tenants and does not duplicate `default`.
    let again = h.reopen().await;
    assert_eq!(again.tenants().await.unwrap().len(), 3);
}

async fn connector_versions_and_history(h: &Harness) {
    let s = &h.store;
    assert_eq!(s.active_connector("acme").await.unwrap(), None);
    assert_eq!(s.delete_connector("acme", None, None).await.unwrap(), None);

    let v1 = s
        .put_connector("acme", change("twilio", 1, Some("alice")), None)
        .await
        .unwrap();
    assert_eq!(
        (v1.version, v1.plugin.as_str(), v1.updated_by.as_deref()),
        (1, "twilio", Some("alice"))
    );
    assert_eq!(s.active_connector("acme").await.unwrap().as_ref(), Some(&v1));
    // put creates the tenant it names.
    assert!(s.tenants().await.unwrap().iter().any(|t| t.id == "acme"));

    let v2 = s
        .put_connector("acme", change("vonage", 2, None), Some(1))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);

    // If-Match on a stale version fails and leaves the current config in place.
    let err = s
        .put_connector("acme", change("evil", 3, None), Some(1))
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::VersionMismatch { current: Some(2) });
    assert!(!err.to_string().contains("secret"), "{err}");
    assert_eq!(s.active_connector("acme").await.unwrap().as_ref(), Some(&v2));
    assert_eq!(
        s.delete_connector("acme", None, Some(1)).await.unwrap_err(),
        StoreError::VersionMismatch { current: Some(2) }
    );

    let removed = s.delete_connector("acme", Some("bob"), Some(2)).await.unwrap();
    assert_eq!(removed.as_ref(), Some(&v2));
    assert_eq!(s.active_connector("acme").await.unwrap(), None);
    assert_eq!(s.delete_connector("acme", None, None).await.unwrap(), None);
    assert_eq!(
        s.delete_connector("acme", None, Some(3)).await.unwrap_err(),
        StoreError::VersionMismatch { current: None }
    );
    assert_eq!(
        s.put_connector("acme", change("x", 9, None), Some(3))
            .await
            .unwrap_err(),
        StoreError::VersionMismatch { current: None }
    );

    // The deletion used version 3; the next put gets 4, never a reused number.
    let v4 = s
        .put_connector("acme", change("twilio", 4, Some("carol")), None)
        .await
        .unwrap();
    assert_eq!(v4.version, 4);
    let reopened = h.reopen().await;
    assert_eq!(reopened.active_connector("acme").await.unwrap().as_ref(), Some(&v4));

    let history = s.connector_history("acme", 10).await.unwrap();
    let summary: Vec<(i64, Option<&str>, Option<&str>)> = history
        .iter()
        .map(|e| (e.version, e.plugin.as_deref(), e.actor.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (4, Some("twilio"), Some("carol")),
            (3, None, Some("bob")),
            (2, Some("vonage"), None),
            (1, Some("twilio"), Some("alice"))
        ]
    );
    assert!(history.windows(2).all(|w| w[0].at_unix_ms >= w[1].at_unix_ms));
    assert_eq!(s.connector_history("acme", 2).await.unwrap().len(), 2);

    // Tenants count versions independently.
    assert_eq!(
        s.put_connector("other", change("p", 1, None), None)
            .await
            .unwrap()
            .version,
        1
    );
    let versions = s.connector_versions().await.unwrap();
    assert_eq!(
        versions,
        [
            ("acme".to_owned(), 4),
            ("default".to_owned(), 0),
            ("other".to_owned(), 1)
        ]
    );
}

async fn concurrent_puts_with_one_expectation(h: &Harness) {
    let a = h.store.clone();
    let b = h.reopen().await;
    a.put_connector("acme", change("p", 0, None), None).await.unwrap();
    // Several rounds, each released by a barrier so the transactions really overlap.
    const ROUNDS: i64 = 8;
    const RACERS: usize = 12;
    for round in 1..=ROUNDS {
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let mut tasks = Vec::new();
        for i in 0..RACERS {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                s.put_connector("acme", change("p", i as u32, None), Some(round)).await
            }));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(r) => {
                    assert_eq!(r.version, round + 1);
                    won += 1;
                }
                Err(e) => assert_eq!(
                    e,
                    StoreError::VersionMismatch {
                        current: Some(round + 1)
                    }
                ),
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one If-Match put may win");
    }
    let history = a.connector_history("acme", 100).await.unwrap();
    assert_eq!(
        history.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=ROUNDS + 1).rev().collect::<Vec<_>>()
    );
}

async fn tokens(h: &Harness) {
    let s = &h.store;
    assert_eq!(s.token_count().await.unwrap(), 0);
    let hash_a = "a".repeat(64);
    let hash_b = "b".repeat(64);
    let admin = s
        .create_token(NewToken {
            tenant: None,
            hash: hash_a.clone(),
            label: "admin".into(),
        })
        .await
        .unwrap();
    let acme = s
        .create_token(NewToken {
            tenant: Some("acme".into()),
            hash: hash_b.clone(),
            label: "ci".into(),
        })
        .await
        .unwrap();
    assert_ne!(admin.id, acme.id);
    assert_eq!(s.token_by_hash(&hash_a).await.unwrap().as_ref(), Some(&admin));
    assert_eq!(
        s.token_by_hash(&hash_b).await.unwrap().unwrap().tenant.as_deref(),
        Some("acme")
    );
    assert_eq!(s.token_by_hash(&"c".repeat(64)).await.unwrap(), None);
    assert!(s.tenants().await.unwrap().iter().any(|t| t.id == "acme"));

    let dup = s
        .create_token(NewToken {
            tenant: None,
            hash: hash_a.clone(),
            label: "again".into(),
        })
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");
    assert!(!dup.to_string().contains(&hash_a), "error leaks the hash: {dup}");

    assert_eq!(s.tokens().await.unwrap(), [admin.clone(), acme.clone()]);
    assert!(s.revoke_token(&admin.id).await.unwrap());
    assert!(!s.revoke_token(&admin.id).await.unwrap());
    assert!(!s.revoke_token("no-such-id").await.unwrap());
    assert_eq!(s.token_by_hash(&hash_a).await.unwrap(), None);
    assert_eq!(s.tokens().await.unwrap(), [acme]);
    // Revoked tokens still count: a store whose tokens were all revoked is not a first start.
    assert_eq!(s.token_count().await.unwrap(), 2);
}

async fn rate_limit_window(h: &Harness) {
    let s = &h.store;
    // Window [960, 1020) for now in 960..1020 and a 60 s window.
    for n in 1..=3 {
        let d = s.hit_rate_limit("acme", "send:+1555", 60, 3, 1000).await.unwrap();
        assert!(d.allowed && d.count == n && d.retry_after_secs == 0, "{d:?}");
    }
    let d = s.hit_rate_limit("acme", "send:+1555", 60, 3, 1000).await.unwrap();
    assert!(!d.allowed && d.count == 4 && d.retry_after_secs == 20, "{d:?}");
    let d = s.hit_rate_limit("acme", "send:+1555", 60, 3, 1019).await.unwrap();
    assert!(!d.allowed && d.retry_after_secs == 1, "{d:?}");
    // Other keys, tenants and window lengths count separately.
    assert!(
        s.hit_rate_limit("acme", "send:+1666", 60, 3, 1000)
            .await
            .unwrap()
            .allowed
    );
    assert!(
        s.hit_rate_limit("other", "send:+1555", 60, 3, 1000)
            .await
            .unwrap()
            .allowed
    );
    // A new window allows again.
    let d = s.hit_rate_limit("acme", "send:+1555", 60, 3, 1020).await.unwrap();
    assert!(d.allowed && d.count == 1, "{d:?}");
    assert!(matches!(
        s.hit_rate_limit("acme", "k", 0, 3, 1000).await,
        Err(StoreError::Other(_))
    ));
    // Several hits at once (a write-behind) add to the same window's count.
    let d = s
        .add_rate_limit_hits("acme", "send:+1555", 60, 3, 1030, 2)
        .await
        .unwrap();
    assert!(d.allowed && d.count == 3, "{d:?}");
    let d = s.hit_rate_limit("acme", "send:+1555", 60, 3, 1079).await.unwrap();
    assert!(!d.allowed && d.count == 4 && d.retry_after_secs == 1, "{d:?}");
}

async fn rate_limit_exact_under_concurrency(h: &Harness) {
    // Two independently opened stores model two replicas (separate pools, separate connections).
    let stores = [h.store.clone(), h.reopen().await];
    let mut tasks = Vec::new();
    for i in 0..50 {
        let s = stores[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            s.hit_rate_limit("acme", "burst", 3600, 10, 7200).await.unwrap()
        }));
    }
    let mut counts = Vec::new();
    let mut allowed = 0;
    for t in tasks {
        let d = t.await.unwrap();
        allowed += u32::from(d.allowed);
        counts.push(d.count);
    }
    counts.sort_unstable();
    assert_eq!(allowed, 10, "exactly the limit may pass");
    assert_eq!(counts, (1..=50).collect::<Vec<u32>>(), "every hit is counted once");
}

async fn rate_limit_prunes_old_windows(h: &Harness) {
    let s = &h.store;
    for _ in 0..2 {
        s.hit_rate_limit("acme", "old", 60, 1, 0).await.unwrap();
    }
    assert!(!s.hit_rate_limit("acme", "old", 60, 1, 0).await.unwrap().allowed);
    // Enough later hits trigger a prune, which deletes the ended window [0, 60).
    for _ in 0..PRUNE_EVERY {
        s.hit_rate_limit("acme", "new", 60, u32::MAX, 10_000).await.unwrap();
    }
    let d = s.hit_rate_limit("acme", "old", 60, 1, 0).await.unwrap();
    assert_eq!((d.allowed, d.count), (true, 1), "the old window's row was pruned");
}

async fn idempotency_one_winner(h: &Harness) {
    let stores = [h.store.clone(), h.reopen().await];
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = stores[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            s.begin_idempotent("acme", "key-1", "fp", 1000, 86_400).await.unwrap()
        }));
    }
    let mut started = 0;
    for t in tasks {
        match t.await.unwrap() {
            IdempotencyBegin::Started => started += 1,
            IdempotencyBegin::InProgress => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(started, 1, "exactly one caller owns the key");
}

async fn idempotency_states_and_expiry(h: &Harness) {
    let s = &h.store;
    let ttl = 60;
    assert_eq!(
        s.begin_idempotent("acme", "k", "fp1", 100, ttl).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent("acme", "k", "fp1", 101, ttl).await.unwrap(),
        IdempotencyBegin::InProgress
    );
    assert_eq!(
        s.begin_idempotent("acme", "k", "fp2", 101, ttl).await.unwrap(),
        IdempotencyBegin::Mismatch
    );
    // Same key, other tenant: independent.
    assert_eq!(
        s.begin_idempotent("other", "k", "fp9", 101, ttl).await.unwrap(),
        IdempotencyBegin::Started
    );

    let response = StoredResponse {
        status: 202,
        body: r#"{"id":"s1"}"#.into(),
    };
    s.finish_idempotent("acme", "k", response.clone()).await.unwrap();
    assert_eq!(
        s.begin_idempotent("acme", "k", "fp1", 102, ttl).await.unwrap(),
        IdempotencyBegin::Completed(response.clone())
    );
    assert_eq!(
        s.begin_idempotent("acme", "k", "fp2", 102, ttl).await.unwrap(),
        IdempotencyBegin::Mismatch
    );

    // A key left in progress past the lease (its owner died mid-send) is
    // taken over long before its TTL; a finished one is kept.
    let day = 86_400;
    let lease = smshost_store::IN_PROGRESS_LEASE_SECS;
    assert_eq!(
        s.begin_idempotent("acme", "lease", "fp", 1_000, day).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent("acme", "lease", "fp", 1_000 + lease - 1, day)
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
    assert_eq!(
        s.begin_idempotent("acme", "lease", "fp", 1_000 + lease, day)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    s.finish_idempotent("acme", "lease", response.clone()).await.unwrap();
    assert_eq!(
        s.begin_idempotent("acme", "lease", "fp", 1_000 + 10 * lease, day)
            .await
            .unwrap(),
        IdempotencyBegin::Completed(response.clone())
    );

    // Release forgets the key: the next caller starts afresh.
    assert_eq!(
        s.begin_idempotent("acme", "r", "fp", 100, ttl).await.unwrap(),
        IdempotencyBegin::Started
    );
    s.release_idempotent("acme", "r").await.unwrap();
    assert_eq!(
        s.begin_idempotent("acme", "r", "fp", 100, ttl).await.unwrap(),
        IdempotencyBegin::Started
    );

    // Expiry: an in-progress row older than the ttl counts as absent (its owner died)...
    assert_eq!(
        s.begin_idempotent("acme", "r", "fp", 159, ttl).await.unwrap(),
        IdempotencyBegin::InProgress
    );
    assert_eq!(
        s.begin_idempotent("acme", "r", "fp", 160, ttl).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent("acme", "r", "fp", 161, ttl).await.unwrap(),
        IdempotencyBegin::InProgress
    );
    // ...and so does a completed one, even with another fingerprint.
    assert_eq!(
        s.begin_idempotent("acme", "k", "fp3", 100 + 60, ttl).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent("acme", "k", "fp3", 161, ttl).await.unwrap(),
        IdempotencyBegin::InProgress
    );
}

fn send(id: &str, at: i64, outcome: &str) -> SendRecord {
    SendRecord {
        id: id.to_owned(),
        at_unix_ms: at,
        connector: "twilio".into(),
        usage_type: "login".into(),
        to_masked: "+1555*****12".into(),
        outcome: outcome.into(),
        error_code: (outcome != "sent").then(|| "provider_rejected".to_owned()),
        provider_message_id: (outcome == "sent").then(|| format!("SM{id}")),
        latency_ms: 120,
    }
}

async fn send_records(h: &Harness) {
    let s = &h.store;
    for (i, at) in [1003, 1000, 1004, 1001, 1002].into_iter().enumerate() {
        let outcome = ["sent", "failed", "refused"][i % 3];
        s.record_send("acme", send(&format!("s{at}"), at, outcome))
            .await
            .unwrap();
    }
    s.record_send("other", send("x1", 5000, "sent")).await.unwrap();
    let all = s.sends("acme", 10, None).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.at_unix_ms).collect::<Vec<_>>(),
        [1004, 1003, 1002, 1001, 1000]
    );
    assert_eq!(all[1], send("s1003", 1003, "sent"));
    let page1 = s.sends("acme", 2, None).await.unwrap();
    assert_eq!(
        page1.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["s1004", "s1003"]
    );
    let page2 = s.sends("acme", 2, Some(page1[1].at_unix_ms)).await.unwrap();
    assert_eq!(
        page2.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["s1002", "s1001"]
    );
    let page3 = s.sends("acme", 2, Some(page2[1].at_unix_ms)).await.unwrap();
    assert_eq!(page3.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["s1000"]);
    assert!(s.sends("nobody", 10, None).await.unwrap().is_empty());
    let dup = s.record_send("acme", send("s1000", 1, "sent")).await.unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");
}

async fn settings(h: &Harness) {
    let s = &h.store;
    assert_eq!(s.setting("acme", "webhook").await.unwrap(), None);
    s.put_setting("acme", "webhook", Some(r#"{"user":"u"}"#)).await.unwrap();
    s.put_setting("acme", "webhook", Some(r#"{"user":"v"}"#)).await.unwrap();
    s.put_setting("other", "webhook", Some("1")).await.unwrap();
    assert_eq!(
        s.setting("acme", "webhook").await.unwrap().as_deref(),
        Some(r#"{"user":"v"}"#)
    );
    s.put_setting("acme", "webhook", None).await.unwrap();
    s.put_setting("acme", "never-set", None).await.unwrap();
    assert_eq!(s.setting("acme", "webhook").await.unwrap(), None);
    assert_eq!(s.setting("other", "webhook").await.unwrap().as_deref(), Some("1"));
}

async fn notifications(h: &Harness) {
    let a = h.store.clone();
    let b = h.reopen().await;
    if !h.is_postgres() {
        assert!(a.subscribe().is_none(), "SQLite has one process: nothing to hear");
        return;
    }
    let mut rx = b.subscribe().expect("PostgreSQL subscribes");
    // The writer's own subscription hears its changes too (the daemon ignores versions it has).
    let mut own = a.subscribe().unwrap();
    a.put_connector("acme", change("p", 1, None), None).await.unwrap();
    assert_eq!(recv(&mut rx).await, notice("acme", 1));
    // A rolled-back change sends nothing: the next notice is the next commit.
    a.put_connector("acme", change("p", 2, None), Some(7))
        .await
        .unwrap_err();
    a.delete_connector("acme", None, Some(1)).await.unwrap();
    assert_eq!(recv(&mut rx).await, notice("acme", 2));
    a.put_connector("beta", change("p", 1, None), None).await.unwrap();
    assert_eq!(recv(&mut rx).await, notice("beta", 1));
    for expected in [notice("acme", 1), notice("acme", 2), notice("beta", 1)] {
        assert_eq!(recv(&mut own).await, expected);
    }

    // Another schema's changes are not heard.
    let Some(other) = Harness::postgres().await else { return };
    other
        .store
        .put_connector("acme", change("p", 1, None), None)
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err(),
        "heard another schema"
    );
}

async fn listener_reconnects(h: &Harness) {
    let Some((url, schema)) = h.postgres_target() else {
        return;
    };
    let b = PostgresStore::connect_in_schema(&url, &schema).await.unwrap();
    let mut rx = b.subscribe().unwrap();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    // Both stores (h.store and b) listen on the schema's channel; kill both listener sessions.
    let listeners = || async {
        let pids: Vec<(i32,)> = sqlx::query_as("SELECT pid FROM pg_stat_activity WHERE query LIKE $1")
            .bind(format!("LISTEN %{}%", b.channel()))
            .fetch_all(&admin)
            .await
            .unwrap();
        pids.into_iter().map(|p| p.0).collect::<Vec<i32>>()
    };
    let old = listeners().await;
    assert_eq!(old.len(), 2, "one listener per store");
    sqlx::query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid")
        .bind(&old)
        .execute(&admin)
        .await
        .unwrap();
    // The listeners reconnect and LISTEN again by themselves.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = listeners().await;
        if now.len() == 2 && now.iter().all(|pid| !old.contains(pid)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "listeners did not reconnect: {old:?} -> {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.store.put_connector("acme", change("p", 1, None), None).await.unwrap();
    assert_eq!(recv(&mut rx).await, notice("acme", 1));
}

fn notice(tenant: &str, version: i64) -> ConnectorNotice {
    ConnectorNotice {
        tenant: tenant.into(),
        version,
    }
}

/// The next notice, failing the test unless it arrives within 1 s.
async fn recv(rx: &mut tokio::sync::broadcast::Receiver<ConnectorNotice>) -> ConnectorNotice {
    tokio::time::timeout(Duration::from_secs(1), rx.recv())
        .await
        .expect("notice within 1 s")
        .unwrap()
}

async fn concurrent_opens_of_a_fresh_database(h: &Harness) {
    // Two daemons starting at once on a database nobody migrated yet must both come up.
    let opened: Vec<Arc<dyn Store>> = match h.postgres_target() {
        Some((url, _)) => {
            let schema = common::unique("fresh");
            let (x, y) = tokio::join!(
                PostgresStore::connect_in_schema(&url, &schema),
                PostgresStore::connect_in_schema(&url, &schema)
            );
            let stores: Vec<Arc<dyn Store>> = vec![Arc::new(x.unwrap()), Arc::new(y.unwrap())];
            stores[0]
                .put_connector("acme", change("p", 1, None), None)
                .await
                .unwrap();
            assert_eq!(stores[1].active_connector("acme").await.unwrap().unwrap().version, 1);
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            drop(stores);
            sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .execute(&pool)
                .await
                .unwrap();
            return;
        }
        None => {
            let dir = common::TempDir::new();
            let path = dir.0.join("fresh.db");
            let (x, y) = tokio::join!(SqliteStore::open(&path), SqliteStore::open(&path));
            vec![Arc::new(x.unwrap()), Arc::new(y.unwrap())]
        }
    };
    opened[0]
        .put_connector("acme", change("p", 1, None), None)
        .await
        .unwrap();
    assert_eq!(opened[1].active_connector("acme").await.unwrap().unwrap().version, 1);
}

#[tokio::test]
async fn unreachable_postgres_is_unavailable_quickly() {
    let started = Instant::now();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let err = match smshost_store::open("postgres://postgres:hunter2@127.0.0.1:1/test").await {
        Ok(_) => panic!("connected to a closed port"),
        Err(e) => e,
    };
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "error leaks the URL: {err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn bad_urls_and_schemas_are_rejected_without_echoing_them() {
    let err = match PostgresStore::connect("postgres://u:hunter2@127.0.0.1:5432/db?sslmode=bogus").await {
        Ok(_) => panic!("accepted a bad URL"),
        Err(e) => e,
    };
    assert!(
        matches!(err, StoreError::Other(_)) && !err.to_string().contains("hunter2"),
        "{err:?}"
    );
    for schema in ["", "Bad", "x;drop", "9lives", &"a".repeat(41)] {
        let err = match PostgresStore::connect_in_schema("postgres://127.0.0.1:1/x", schema).await {
            Ok(_) => panic!("accepted schema {schema:?}"),
            Err(e) => e,
        };
        assert!(matches!(err, StoreError::Other(_)), "{schema:?}: {err:?}");
    }
}

#[tokio::test]
async fn open_picks_sqlite_for_paths_and_sqlite_urls() {
    let dir = common::TempDir::new();
    let plain = dir.0.join("plain.db");
    let s = smshost_store::open(plain.to_str().unwrap()).await.unwrap();
    s.put_connector("acme", change("p", 1, None), None).await.unwrap();
    drop(s);
    let s = smshost_store::open(&format!("sqlite://{}", plain.display()))
        .await
        .unwrap();
    assert_eq!(
        s.active_connector("acme").await.unwrap().unwrap().version,
        1,
        "same file, data kept"
    );
    assert!(s.subscribe().is_none());
    // A folder that does not exist cannot hold the file.
    let err = match smshost_store::open(dir.0.join("missing/dir/x.db").to_str().unwrap()).await {
        Ok(_) => panic!("opened a file in a missing folder"),
        Err(e) => e,
    };
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}
