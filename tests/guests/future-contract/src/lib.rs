//! A connector for `smshost:connector@9.0.0`, a version no host supports.

wit_bindgen::generate!({ world: "sms-connector", path: "wit" });

struct Future;

impl exports::smshost::connector::connector::Guest for Future {
    fn metadata() -> String {
        "from the future".into()
    }
}

#[cfg(target_arch = "wasm32")]
export!(Future);
