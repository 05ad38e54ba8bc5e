//! Instance allocation: the pooling allocator where the process can
//! reserve its address space, on demand where it cannot (probed when the
//! runtime is built) or when the embedder asks; sends work either way.
//! (The limits under pooling are what `host_safety` and
//! `hostile_neighbour` check: they run on the default, pooling, runtime.)

use serde_json::json;
use smshost::{Allocation, ConnectorConfig, OutgoingMessage, PhoneNumber, RuntimeBuilder, UsageType};
use smshost_tests::mocks::{self, TwilioCreds};
use smshost_tests::{send_args, wasm, wasm_dir, write_config};
use std::os::unix::process::CommandExt;
use std::process::Command;

fn message() -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse("+4520123456").unwrap(), UsageType::SignIn, "123456")
}

async fn sends_with(allocation: Allocation) -> bool {
    let runtime = RuntimeBuilder::new().allocation(allocation).build().unwrap();
    runtime.load_file(wasm("misbehaving")).await.unwrap();
    let connector = runtime
        .connector(
            "misbehaving",
            ConnectorConfig::from_value(json!({"mode": "ok"})).unwrap(),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        connector.send(&message()).await.unwrap();
    }
    runtime.pooling_allocator()
}

#[tokio::test]
async fn the_default_pools_instances_where_the_address_space_allows() {
    // A 64-bit Linux test machine has the ~2 TiB of address space the
    // default limits' pool reserves.
    assert!(sends_with(Allocation::Auto).await, "expected the pooling allocator");
}

#[tokio::test]
async fn on_demand_allocation_can_be_asked_for() {
    assert!(!sends_with(Allocation::OnDemand).await);
}

#[tokio::test]
async fn a_process_that_cannot_reserve_the_pool_falls_back_and_still_sends() {
    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "tw-fallback-secret-1";
    let (mock, _) = mocks::twilio(TwilioCreds {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
    })
    .await;
    let config = write_config(
        "allocation-twilio.json",
        &json!({
            "accountSID": SID, "authToken": TOKEN,
            "fromMessagingServiceSID": "MG0123456789abcdef0123456789abcdef",
            "templates": smshost_tests::text_templates(),
        }),
    );
    let plugin = wasm("twilio").display().to_string();
    let route = format!("https://api.twilio.com={}", mock.url());
    let args = send_args(
        &plugin,
        &config,
        "+4520123456",
        "SignIn",
        "123456",
        &["--locale", "en", "--override-origin", &route],
    );
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_smshost-cli"));
        command
            .args(&args)
            .env("SMSHOST_PLUGIN_DIR", wasm_dir())
            .env("SMSHOST_LOG", "smshost=info");
        // 16 GiB of address space: room for on-demand memories (4 GiB
        // each, reserved), far from the pool's ~2 TiB.
        // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 16 << 30,
                    rlim_max: 16 << 30,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "send failed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("instances get memory on demand"),
        "no fallback line:\n{stderr}"
    );
    assert!(stdout.contains("SM"), "no receipt:\n{stdout}");
    assert_eq!(mock.requests().len(), 1);
}
