//! A connector for `smshost:connector@0.2.0`, a version no host supports yet.

wit_bindgen::generate!({ world: "sms-connector", path: "wit" });

struct Future;

impl exports::smshost::connector::connector::Guest for Future {
    fn metadata() -> String {
        "from the future".into()
    }
}

#[cfg(target_arch = "wasm32")]
export!(Future);
