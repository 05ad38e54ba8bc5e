//! The daemon in operation (SQLite): connector swaps under load, `kill -9`
//! during configuration changes, hot reload of the plugin folder, graceful
//! shutdown, and log hygiene — always the real `smshost serve` process.

use base64::Engine as _;
use serde_json::{Value, json};
use smshost_tests::daemon::{
    Answer, Daemon, EndpointMode, HTTP_SMS, TWILIO, TWILIO_AUTH_TOKEN, TWILIO_ORIGIN, TWILIO_SID, endpoint_mock,
    http_sms_config, poll, twilio_config, twilio_mock,
};
use smshost_tests::mocks::Mode;
use smshost_tests::{MockServer, wasm};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_smshost-cli");
const TO: &str = "+4520123456";
/// Limits out of the way for load tests.
const NO_LIMITS: &str = "[rate_limits]\nper_recipient = { count = 1000000, window_secs = 1 }\n";

async fn twilio_daemon(twilio: &MockServer, plugins: &[&str], settings: &str) -> Daemon {
    Daemon::builder(BIN)
        .plugins(plugins)
        .route(TWILIO_ORIGIN, twilio)
        .settings(settings)
        .start()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swapping_connectors_under_200_sends_loses_none() {
    let (twilio, _) = twilio_mock().await;
    let (endpoint, _) = endpoint_mock().await;
    let daemon = twilio_daemon(&twilio, &["twilio", "http_sms"], NO_LIMITS).await;
    let api = daemon.api();
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);

    const TOTAL: usize = 200;
    let swapped = Arc::new(AtomicBool::new(false));
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..TOTAL {
        let (api, swapped, limit) = (api.clone(), swapped.clone(), limit.clone());
        sends.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let after_swap = swapped.load(Ordering::SeqCst);
            let answer = api.send(TO, &format!("{:06}", 100_000 + n)).await;
            (after_swap, answer)
        });
    }
    // Swap once a quarter have gone out through Twilio.
    poll(Duration::from_secs(30), "50 sends at the Twilio mock", || async {
        (twilio.requests().len() >= 50).then_some(())
    })
    .await;
    let put = api
        .set_connector(HTTP_SMS, &http_sms_config(&endpoint, "Bearer swap-secret-1"))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    swapped.store(true, Ordering::SeqCst);

    let (mut by_twilio, mut by_http) = (0, 0);
    while let Some(result) = sends.join_next().await {
        let (after_swap, answer) = result.unwrap();
        assert_eq!(answer.status, 200, "every send gets a clear 200: {}", answer.text);
        match answer.body["connector"].as_str() {
            Some(TWILIO) => {
                assert!(
                    !after_swap,
                    "a send started after the swap was acknowledged used the old connector"
                );
                by_twilio += 1;
            }
            Some(HTTP_SMS) => by_http += 1,
            other => panic!("unknown connector {other:?}"),
        }
    }
    assert_eq!(by_twilio + by_http, TOTAL);
    assert_eq!(
        twilio.requests().len(),
        by_twilio,
        "one provider request per Twilio receipt"
    );
    assert_eq!(
        endpoint.requests().len(),
        by_http,
        "one provider request per HTTP SMS receipt"
    );
    assert!(by_twilio >= 50 && by_http >= 1, "{by_twilio} / {by_http}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_stream_of_puts_leaves_a_complete_config() {
    let (twilio, _) = twilio_mock().await;
    let mut daemon = twilio_daemon(&twilio, &["twilio"], NO_LIMITS).await;
    let api = daemon.api();
    let acked = Arc::new(AtomicI64::new(0));
    let writer = {
        let (api, acked) = (api.clone(), acked.clone());
        tokio::spawn(async move {
            for n in 0.. {
                let mut config = twilio_config();
                config["templates"][0]["content"] = json!(format!("rev {n}: {{{{code}}}}"));
                let body = json!({"plugin": TWILIO, "config": config});
                let request = api.client.put(format!("{}/v1/connectors/sms", api.base));
                let Ok(response) = request
                    .bearer_auth(api.token.as_deref().unwrap())
                    .json(&body)
                    .send()
                    .await
                else {
                    return;
                };
                if response.status() != 200 {
                    return;
                }
                let Ok(answer) = response.json::<Value>().await else {
                    return;
                };
                let version = answer["version"].as_i64().unwrap();
                assert_eq!(version, n + 1);
                acked.store(version, Ordering::SeqCst);
            }
        })
    };
    poll(Duration::from_secs(30), "25 acknowledged PUTs", || async {
        (acked.load(Ordering::SeqCst) >= 25).then_some(())
    })
    .await;
    daemon.kill_9();
    let _ = writer.await;
    let last_acked = acked.load(Ordering::SeqCst);

    daemon.restart().await;
    let api = daemon.api();
    let got = api.get("/v1/connectors/sms").await;
    assert_eq!(got.status, 200, "{}", got.text);
    let version = got.body["version"].as_i64().unwrap();
    assert!(
        version == last_acked || version == last_acked + 1,
        "version {version} after the last acknowledged {last_acked}"
    );
    let config = &got.body["config"];
    assert_eq!(config["accountSID"], TWILIO_SID);
    assert_eq!(config["authToken"], "********");
    assert_eq!(config["templates"].as_array().unwrap().len(), 9, "{config}");
    assert_eq!(
        config["templates"][0]["content"],
        format!("rev {}: {{{{code}}}}", version - 1),
        "the config is the one of its version"
    );
    let history = api.get("/v1/connectors/sms/history").await;
    let mut versions: Vec<i64> = history.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["version"].as_i64().unwrap())
        .collect();
    versions.sort();
    let expected: Vec<i64> = (1..=version).collect();
    assert_eq!(
        versions,
        expected[expected.len().saturating_sub(versions.len())..],
        "contiguous history"
    );
    assert_eq!(versions.last(), Some(&version));
    let sent = api.send(TO, "123123").await;
    assert_eq!(sent.status, 200, "the restarted daemon serves it: {}", sent.text);
    assert!(
        twilio.requests()[0].text().contains(&format!("rev+{}%3A", version - 1)),
        "{}",
        twilio.requests()[0].text()
    );
}

async fn plugin_ids(daemon: &Daemon) -> Vec<String> {
    let answer = daemon.api().get("/v1/plugins").await;
    assert_eq!(answer.status, 200);
    answer.body["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|plugin| plugin["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_reload_loads_a_new_plugin_file() {
    let (twilio, _) = twilio_mock().await;
    let daemon = twilio_daemon(&twilio, &["twilio"], NO_LIMITS).await;
    assert_eq!(plugin_ids(&daemon).await, vec![TWILIO]);
    std::fs::copy(wasm("vonage"), daemon.plugin_dir().join("vonage.wasm")).unwrap();
    poll(Duration::from_secs(10), "vonage-sms in GET /v1/plugins", || async {
        plugin_ids(&daemon)
            .await
            .iter()
            .any(|id| id == "vonage-sms")
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_reload_survives_broken_replaced_and_removed_files() {
    let (twilio, _) = twilio_mock().await;
    let daemon = twilio_daemon(&twilio, &["twilio", "http_sms"], NO_LIMITS).await;
    let api = daemon.api();
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);
    let sends = || async { api.send(TO, "765432").await };

    // A broken file dropped in: logged, the others keep serving.
    std::fs::write(
        daemon.plugin_dir().join("garbage.wasm"),
        b"\0asm definitely not a component",
    )
    .unwrap();
    poll(Duration::from_secs(10), "the broken file in the log", || async {
        daemon.logs().contains("garbage.wasm").then_some(())
    })
    .await;
    let mut ids = plugin_ids(&daemon).await;
    ids.sort();
    assert_eq!(ids, vec![HTTP_SMS, TWILIO]);
    assert_eq!(sends().await.status, 200);

    // The active plugin's file replaced (same component, new file): reloaded, still serving.
    let twilio_file = daemon.plugin_dir().join("twilio.wasm");
    let staged = daemon.plugin_dir().join("twilio.wasm.part");
    std::fs::copy(wasm("twilio"), &staged).unwrap();
    std::fs::rename(&staged, &twilio_file).unwrap();
    poll(Duration::from_secs(10), "the reload of the active plugin", || async {
        daemon
            .logs()
            .contains("the active connector now runs the new plugin version")
            .then_some(())
    })
    .await;
    assert_eq!(sends().await.status, 200);

    // Overwritten with garbage: the previous good version keeps serving.
    let errors_before = daemon.logs().matches("cannot be loaded").count();
    std::fs::write(&twilio_file, b"not wasm at all").unwrap();
    poll(Duration::from_secs(10), "the broken replacement in the log", || async {
        (daemon.logs().matches("cannot be loaded").count() > errors_before).then_some(())
    })
    .await;
    assert_eq!(sends().await.status, 200);
    assert!(plugin_ids(&daemon).await.iter().any(|id| id == TWILIO));

    // Removed: the active connector stays loaded and serving.
    std::fs::remove_file(&twilio_file).unwrap();
    poll(Duration::from_secs(10), "the removal in the log", || async {
        daemon.logs().contains("it stays loaded").then_some(())
    })
    .await;
    assert_eq!(sends().await.status, 200);
    assert!(plugin_ids(&daemon).await.iter().any(|id| id == TWILIO));
    let ready = api.with_token(None).get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    // A removed plugin nobody uses is unloaded.
    std::fs::remove_file(daemon.plugin_dir().join("http_sms.wasm")).unwrap();
    poll(Duration::from_secs(10), "http-sms unloaded", || async {
        (!plugin_ids(&daemon).await.iter().any(|id| id == HTTP_SMS)).then_some(())
    })
    .await;
    assert_eq!(twilio.requests().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_in_flight_send_finish() {
    let (endpoint, mode) = endpoint_mock().await;
    *mode.lock().unwrap() = EndpointMode::Delay(Duration::from_secs(1));
    let mut daemon = Daemon::builder(BIN).plugin("http_sms").start().await;
    let api = daemon.api();
    let put = api
        .set_connector(HTTP_SMS, &http_sms_config(&endpoint, "Bearer t"))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let in_flight = tokio::spawn({
        let api = api.clone();
        async move { api.send(TO, "246810").await }
    });
    poll(Duration::from_secs(10), "the send at the endpoint", || async {
        (!endpoint.requests().is_empty()).then_some(())
    })
    .await;
    let url = daemon.url().to_string();
    let clean_exit = daemon.terminate(Duration::from_secs(15)).await;
    let answer: Answer = in_flight.await.unwrap();
    assert_eq!(answer.status, 200, "the in-flight send finished: {}", answer.text);
    assert_eq!(answer.body["connector"], HTTP_SMS);
    assert!(clean_exit, "exit status 0 after SIGTERM:\n{}", daemon.logs());
    assert!(daemon.logs().contains("shutting down"), "{}", daemon.logs());
    assert!(
        reqwest::get(format!("{url}/healthz")).await.is_err(),
        "nothing listens any more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_answers_never_show_secrets_codes_or_numbers() {
    let (twilio, twilio_mode) = twilio_mock().await;
    let (endpoint, endpoint_mode) = endpoint_mock().await;
    const HOOK_SECRET: &str = "Bearer hook-secret-7Yq2Lm";
    let daemon = Daemon::builder(BIN)
        .plugins(&["twilio", "http_sms"])
        .route(TWILIO_ORIGIN, &twilio)
        .settings("[rate_limits]\nper_recipient = { count = 1000, window_secs = 600 }\n")
        .env("SMSHOST_LOG", "debug")
        .start()
        .await;
    let api = daemon.api();
    let mut answers: Vec<String> = Vec::new();
    let numbers = ["+4520123456", "+4520987654", "+14155552671"];
    let mut codes: Vec<String> = Vec::new();
    let mut keep = |answer: Answer| {
        answers.push(format!("{:?}\n{}", answer.headers, answer.text));
        answer
    };

    assert_eq!(keep(api.set_connector(TWILIO, &twilio_config()).await).status, 200);
    keep(api.get("/v1/connectors/sms").await);
    for (n, to) in numbers.iter().enumerate() {
        let code = format!("{}", 583_000 + n * 111);
        assert_eq!(keep(api.send(to, &code).await).status, 200);
        codes.push(code);
    }
    // Test-sends, the second with a masked secret.
    let test = json!({"plugin": TWILIO, "config": twilio_config(), "to": numbers[1]});
    assert_eq!(keep(api.post("/v1/connectors/sms/test", &test).await).status, 200);
    let mut masked = twilio_config();
    masked["authToken"] = json!("********");
    let test = json!({"plugin": TWILIO, "config": masked, "to": numbers[2]});
    assert_eq!(keep(api.post("/v1/connectors/sms/test", &test).await).status, 200);
    // Twilio failures whose messages repeat the secret, the number and the code.
    for (n, to) in numbers.iter().enumerate() {
        let code = format!("{}", 719_000 + n * 13);
        // (The Basic header's base64 form: see echoed_basic_credentials_are_masked.)
        let form = format!("To=%2B{}&Body=Your+code+is+{code}", &to[1..]);
        *twilio_mode.lock().unwrap() = Mode::Answer(
            400,
            json!({"code": 21211, "status": 400, "message": format!(
                "token {TWILIO_AUTH_TOKEN} cannot send {code} to {to} ({}); body {form}", &to[1..]
            )}),
        );
        let answer = keep(api.send(to, &code).await);
        assert_eq!(answer.status, 502, "{}", answer.text);
        codes.push(code);
    }
    *twilio_mode.lock().unwrap() = Mode::Succeed;
    // A refused config carrying a secret.
    let mut refused = twilio_config();
    refused["fromMessagingServiceSID"] = json!(42);
    assert_eq!(keep(api.set_connector(TWILIO, &refused).await).status, 400);

    // An endpoint that echoes its Authorization header and the whole body.
    *endpoint_mode.lock().unwrap() = EndpointMode::EchoError;
    let config = http_sms_config(&endpoint, HOOK_SECRET);
    let test = json!({"plugin": HTTP_SMS, "config": config, "to": numbers[0]});
    let answer = keep(api.post("/v1/connectors/sms/test", &test).await);
    assert_eq!(answer.status, 502, "{}", answer.text);
    assert_eq!(keep(api.set_connector(HTTP_SMS, &config).await).status, 200);
    for (n, to) in numbers.iter().enumerate() {
        let code = format!("{}", 904_000 + n * 7);
        let answer = keep(api.send(to, &code).await);
        assert_eq!(answer.status, 502, "{}", answer.text);
        codes.push(code);
    }
    assert!(
        endpoint.requests()[1].text().contains("904000"),
        "the mock did echo the code"
    );
    *endpoint_mode.lock().unwrap() = EndpointMode::Ok;
    assert_eq!(keep(api.send(numbers[0], "318318").await).status, 200);
    codes.push("318318".into());
    keep(api.get("/v1/messages?limit=100").await);
    keep(api.get("/v1/connectors/sms").await);
    keep(api.get("/v1/export").await);
    keep(api.with_token(None).get("/metrics").await);

    let mut forbidden: Vec<String> = vec![
        TWILIO_AUTH_TOKEN.into(),
        HOOK_SECRET.into(),
        "hook-secret-7Yq2Lm".into(),
        // The test code as rendered or quoted ("000000" alone occurs in
        // metric floats).
        "code is 000000".into(),
        "\"000000\"".into(),
    ];
    forbidden.extend(codes);
    for number in numbers {
        forbidden.push(number.to_string());
        forbidden.push(number[1..].to_string());
        forbidden.push(number[3..].to_string());
    }
    let logs = daemon.logs();
    assert!(logs.contains("smshost::send"), "the send lines are logged:\n{logs}");
    let mut leaks = Vec::new();
    for secret in &forbidden {
        for (line_no, line) in logs.lines().enumerate() {
            if line.contains(secret.as_str()) {
                leaks.push(format!("log line {line_no} shows `{secret}`: {line}"));
            }
        }
        for answer in &answers {
            if answer.contains(secret.as_str()) {
                leaks.push(format!("an answer shows `{secret}`: {answer}"));
            }
        }
    }
    // The admin token is shown once on stdout, never in the logs.
    assert!(!logs.contains(daemon.token()), "the admin token is logged");
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_basic_credentials_are_masked() {
    let (twilio, mode) = twilio_mock().await;
    let daemon = twilio_daemon(&twilio, &["twilio"], NO_LIMITS).await;
    let api = daemon.api();
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:{TWILIO_AUTH_TOKEN}"));
    // What a provider that echoes the request's Authorization header says.
    *mode.lock().unwrap() = Mode::Answer(
        401,
        json!({"code": 20003, "status": 401, "message": format!("Authenticate: Basic {basic} was refused")}),
    );
    let answer = api.send(TO, "482910").await;
    assert_eq!(answer.status, 502, "{}", answer.text);
    assert!(
        !answer.text.contains(&basic),
        "the answer shows the credentials: {}",
        answer.text
    );
    let logs = daemon.logs();
    assert!(!logs.contains(&basic), "the log shows the credentials:\n{logs}");
}
