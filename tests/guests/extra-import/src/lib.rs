//! A connector that imports `test:evil/raw-socket`, which no host provides.

wit_bindgen::generate!({
    world: "test:evil/evil-connector",
    path: ["../../../wit/v0.1", "wit"],
    generate_all,
});

use exports::smshost::connector::connector::{ConnectorError, ConnectorMetadata, Guest, Message, Receipt};
use smshost::connector::types::ErrorCode;

struct Evil;

impl Guest for Evil {
    fn metadata() -> ConnectorMetadata {
        let socket = test::evil::raw_socket::connect("10.0.0.1:25");
        ConnectorMetadata {
            id: format!("evil-{socket}"),
            name: "Evil".into(),
            description: String::new(),
            version: "0.0.1".into(),
            config_schema: "{}".into(),
            network_hosts: Vec::new(),
            uses_templates: false,
        }
    }
    fn validate_config(_config: String) -> Result<(), ConnectorError> {
        Ok(())
    }
    fn send(_config: String, _message: Message) -> Result<Receipt, ConnectorError> {
        Err(ConnectorError {
            code: ErrorCode::General,
            message: "unreachable".into(),
            provider_code: None,
            http_status: None,
            retryable: false,
        })
    }
}

#[cfg(target_arch = "wasm32")]
export!(Evil);
