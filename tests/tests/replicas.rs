//! Several daemons on one PostgreSQL schema behave as one service: shared
//! configuration, rate limits, idempotency and tokens; one replica's death
//! loses and doubles nothing. Skips with `skipped: no PostgreSQL at …`
//! unless `SMSHOST_TEST_POSTGRES_REQUIRED=1`.

use smshost_tests::MockServer;
use smshost_tests::daemon::{
    Api, Daemon, EndpointMode, HTTP_SMS, PgSchema, TWILIO, TWILIO_ORIGIN, create_token, endpoint_mock, form_field,
    http_sms_config, message_body, poll, twilio_config, twilio_mock,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smshost-cli");
const TO: &str = "+4520123456";
/// Every replica needs the same secret key (secrets at rest and the
/// rate-limit counter keys are derived from it).
const SECRET_KEY: &str = "5f3c0e9a7b1d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
const NO_LIMITS: &str = "[rate_limits]\nper_recipient = { count = 1000000, window_secs = 1 }\n";

/// `count` daemons on `schema` with Twilio routed to `twilio`.
async fn replicas(schema: &PgSchema, twilio: &MockServer, settings: &str, count: usize) -> Vec<Daemon> {
    let first = Daemon::builder(BIN)
        .plugins(&["twilio", "http_sms"])
        .route(TWILIO_ORIGIN, twilio)
        .store(schema.url())
        .env("SMSHOST_SECRET_KEY", SECRET_KEY)
        .settings(settings)
        .start()
        .await;
    let mut all = vec![first];
    for _ in 1..count {
        let next = all[0].replica().await;
        all.push(next);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_on_one_replica_is_served_by_another_within_a_second() {
    let Some(schema) = PgSchema::create().await else { return };
    let (twilio, _) = twilio_mock().await;
    let (endpoint, _) = endpoint_mock().await;
    let daemons = replicas(&schema, &twilio, NO_LIMITS, 2).await;
    let (a, b) = (daemons[0].api(), daemons[1].api());
    assert_eq!(a.set_connector(TWILIO, &twilio_config()).await.status, 200);
    let first = b.send(TO, "111111").await;
    assert_eq!(first.body["connector"], TWILIO, "{}", first.text);

    let put = a.set_connector(HTTP_SMS, &http_sms_config(&endpoint, "Bearer r")).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let acknowledged = Instant::now();
    let mut sends = 1;
    loop {
        let answer = b.send(TO, "222222").await;
        sends += 1;
        assert_eq!(answer.status, 200, "{}", answer.text);
        if answer.body["connector"] == HTTP_SMS {
            break;
        }
        assert!(
            acknowledged.elapsed() < Duration::from_secs(1),
            "replica B still served the old connector 1 s after the PUT on A"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "replica B served the new connector {:?} after the PUT on A",
        acknowledged.elapsed()
    );
    // It never goes back.
    for _ in 0..5 {
        assert_eq!(b.send(TO, "333333").await.body["connector"], HTTP_SMS);
        sends += 1;
    }
    assert_eq!(twilio.requests().len() + endpoint.requests().len(), sends);
    // A GET on B shows the same version.
    assert_eq!(b.get("/v1/connectors/sms").await.body["version"], put.body["version"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rate_limit_of_10_is_10_across_three_replicas() {
    let Some(schema) = PgSchema::create().await else { return };
    let (twilio, _) = twilio_mock().await;
    let limit = "[rate_limits]\nper_recipient = { count = 10, window_secs = 600 }\n";
    let daemons = replicas(&schema, &twilio, limit, 3).await;
    assert_eq!(
        daemons[0].api().set_connector(TWILIO, &twilio_config()).await.status,
        200
    );
    let apis: Vec<Api> = daemons.iter().map(Daemon::api).collect();
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..50 {
        let api = apis[n % apis.len()].clone();
        sends.spawn(async move { api.send(TO, &format!("{:06}", 500_000 + n)).await });
    }
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    while let Some(answer) = sends.join_next().await {
        let answer = answer.unwrap();
        if answer.status == 429 {
            assert_eq!(answer.code(), "rate_limit_exceeded");
            assert!(answer.header("retry-after").is_some());
        }
        *statuses.entry(answer.status).or_default() += 1;
    }
    assert_eq!(statuses, HashMap::from([(200, 10), (429, 40)]), "{statuses:?}");
    assert_eq!(twilio.requests().len(), 10, "exactly 10 provider requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_raced_against_all_replicas_sends_once() {
    let Some(schema) = PgSchema::create().await else { return };
    let (twilio, _) = twilio_mock().await;
    let (endpoint, mode) = endpoint_mock().await;
    let daemons = replicas(&schema, &twilio, NO_LIMITS, 3).await;
    let put = daemons[0]
        .api()
        .set_connector(HTTP_SMS, &http_sms_config(&endpoint, "Bearer i"))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    // A slow provider keeps the first request in flight while the others arrive.
    *mode.lock().unwrap() = EndpointMode::Delay(Duration::from_millis(300));
    let body = message_body(TO, "SignIn", "864209");
    let start = Arc::new(tokio::sync::Barrier::new(9));
    let mut racers = tokio::task::JoinSet::new();
    for n in 0..9 {
        let (api, body, start) = (daemons[n % 3].api(), body.clone(), start.clone());
        racers.spawn(async move {
            start.wait().await;
            api.call(
                reqwest::Method::POST,
                "/v1/messages",
                Some(&body),
                &[("idempotency-key", "race-1")],
            )
            .await
        });
    }
    let mut send_ids = Vec::new();
    let mut in_progress = 0;
    while let Some(answer) = racers.join_next().await {
        let answer = answer.unwrap();
        match answer.status {
            200 => send_ids.push(answer.body["sendId"].as_str().unwrap().to_string()),
            409 => {
                assert_eq!(answer.code(), "idempotency_in_progress", "{}", answer.text);
                in_progress += 1;
            }
            other => panic!("unexpected {other}: {}", answer.text),
        }
    }
    assert_eq!(endpoint.requests().len(), 1, "exactly one provider request");
    assert!(!send_ids.is_empty(), "the first request answers 200");
    send_ids.dedup();
    assert_eq!(send_ids.len(), 1, "every 200 is the first result: {send_ids:?}");
    // Retried later on any replica: the first result.
    for daemon in &daemons {
        let retry = daemon
            .api()
            .call(
                reqwest::Method::POST,
                "/v1/messages",
                Some(&body),
                &[("idempotency-key", "race-1")],
            )
            .await;
        assert_eq!(retry.status, 200, "{}", retry.text);
        assert_eq!(retry.header("idempotent-replayed"), Some("true"));
        assert_eq!(retry.body["sendId"], send_ids[0].as_str());
    }
    assert_eq!(endpoint.requests().len(), 1);
    println!("idempotency race: 1 sent, {in_progress} × 409 in progress");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_made_on_one_replicas_store_works_on_all() {
    let Some(schema) = PgSchema::create().await else { return };
    let (twilio, _) = twilio_mock().await;
    let daemons = replicas(&schema, &twilio, NO_LIMITS, 2).await;
    let token = create_token(&daemons[0], Some("dev")).await;
    for daemon in &daemons {
        let api = daemon.api().with_token(Some(&token));
        let answer = api.get("/v1/tenants/dev/messages").await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(api.get("/v1/tenants/prod/messages").await.status, 403);
    }
    // The first start's admin token is shared too.
    assert_eq!(daemons[1].api().get("/v1/tenants").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_one_replica_loses_and_doubles_nothing() {
    let Some(schema) = PgSchema::create().await else { return };
    let (twilio, _) = twilio_mock().await;
    let mut daemons = replicas(&schema, &twilio, NO_LIMITS, 2).await;
    assert_eq!(
        daemons[0].api().set_connector(TWILIO, &twilio_config()).await.status,
        200
    );
    let (a, b) = (daemons[0].api(), daemons[1].api());
    let killed = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let limit = Arc::new(tokio::sync::Semaphore::new(8));
    let mut sends = tokio::task::JoinSet::new();
    const TOTAL: usize = 160;
    for n in 0..TOTAL {
        let api = if n % 2 == 0 { a.clone() } else { b.clone() };
        let (killed, ok, limit) = (killed.clone(), ok.clone(), limit.clone());
        sends.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let code = format!("{:06}", 700_000 + n);
            let after_kill = killed.load(Ordering::SeqCst);
            let body = message_body(TO, "SignIn", &code);
            let answer = api
                .client
                .post(format!("{}/v1/messages", api.base))
                .bearer_auth(api.token.as_deref().unwrap())
                .json(&body)
                .send()
                .await;
            let status = match answer {
                Ok(response) => Some(response.status().as_u16()),
                Err(_) => None,
            };
            if status == Some(200) {
                ok.fetch_add(1, Ordering::SeqCst);
            }
            (n, code, after_kill, status)
        });
    }
    poll(Duration::from_secs(30), "40 sends answered", || async {
        (ok.load(Ordering::SeqCst) >= 40).then_some(())
    })
    .await;
    daemons[1].kill_9();
    killed.store(true, Ordering::SeqCst);

    let mut answered = Vec::new();
    let mut a_after_kill = 0;
    while let Some(result) = sends.join_next().await {
        let (n, code, after_kill, status) = result.unwrap();
        if n % 2 == 0 {
            assert_eq!(status, Some(200), "replica A keeps serving (send {n})");
            if after_kill {
                a_after_kill += 1;
            }
        } else {
            assert!(matches!(status, Some(200) | None), "send {n} to B: {status:?}");
        }
        if status == Some(200) {
            answered.push(code);
        }
    }
    assert!(a_after_kill > 0, "some sends reached A after B died");
    let mut at_mock: HashMap<String, usize> = HashMap::new();
    for request in twilio.requests() {
        let body = form_field(&request, "Body").unwrap_or_default();
        let code = body.split("code is ").nth(1).unwrap_or_default()[..6].to_string();
        *at_mock.entry(code).or_default() += 1;
    }
    for (code, count) in &at_mock {
        assert_eq!(*count, 1, "code {code} sent {count} times");
    }
    for code in &answered {
        assert_eq!(
            at_mock.get(code),
            Some(&1),
            "the 200 for {code} has one provider request"
        );
    }
    // Only sends cut off with B may be at the mock without a 200.
    let unanswered = at_mock.len() - answered.len();
    assert!(unanswered <= 8, "{unanswered} provider requests without an answer");
    println!(
        "kill -9 of B: {} answered, {unanswered} sent but cut off, {} refused by the dead replica",
        answered.len(),
        TOTAL - answered.len() - unanswered
    );
    // A still serves and readyz is fine.
    assert_eq!(a.send(TO, "999999").await.status, 200);
    assert_eq!(a.with_token(None).get("/readyz").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_lacking_the_active_plugin_is_not_ready() {
    let Some(schema) = PgSchema::create().await else { return };
    let (twilio, _) = twilio_mock().await;
    let daemons = replicas(&schema, &twilio, NO_LIMITS, 1).await;
    assert_eq!(
        daemons[0].api().set_connector(TWILIO, &twilio_config()).await.status,
        200
    );
    let lacking = daemons[0]
        .replica_with(
            Daemon::builder(BIN)
                .plugin("http_sms")
                .env("SMSHOST_SECRET_KEY", SECRET_KEY)
                .unready(),
        )
        .await;
    let ready = lacking.api().with_token(None).get("/readyz").await;
    assert_eq!((ready.status, ready.code()), (503, "not_ready"), "{}", ready.text);
    assert!(
        ready.body["message"].as_str().unwrap().contains(TWILIO),
        "{}",
        ready.text
    );
    assert!(
        lacking.logs().contains("not in this replica's plugin folder"),
        "{}",
        lacking.logs()
    );
    let send = lacking.api().send(TO, "123456").await;
    assert_eq!((send.status, send.code()), (503, "plugin_not_loaded"), "{}", send.text);
    let plugins = lacking.api().get("/v1/plugins").await;
    assert_eq!(plugins.body["plugins"].as_array().unwrap().len(), 1, "its own set");
    // The one that has it is ready.
    assert_eq!(daemons[0].api().with_token(None).get("/readyz").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_with_another_secret_key_is_not_ready() {
    let Some(schema) = PgSchema::create().await else { return };
    let (twilio, _) = twilio_mock().await;
    let daemons = replicas(&schema, &twilio, NO_LIMITS, 1).await;
    assert_eq!(
        daemons[0].api().set_connector(TWILIO, &twilio_config()).await.status,
        200
    );
    // No SMSHOST_SECRET_KEY: the replica makes a key file of its own.
    let other = daemons[0]
        .replica_with(
            Daemon::builder(BIN)
                .plugin("twilio")
                .route(TWILIO_ORIGIN, &twilio)
                .unready(),
        )
        .await;
    let send = other.api().send(TO, "123456").await;
    let ready = other.api().with_token(None).get("/readyz").await;
    assert!(
        send.status == 200 || ready.status == 503,
        "readyz {} while sends fail with {}",
        ready.status,
        send.text
    );
}
