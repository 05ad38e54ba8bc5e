//! Contract `smshost:connector@0.2.x`, the latest: its bindings and their
//! conversions into the host's types. Its `http` types are the ones the
//! HTTP capability speaks, so its `http` import needs no conversion.

use super::RawMetadata;
use crate::sandbox::SendState;

wasmtime::component::bindgen!({
    world: "sms-connector",
    path: "../wit/v0.2",
    imports: { default: async },
    exports: { default: async },
});

pub(crate) use self::smshost::connector::http as wit_http;
use self::smshost::connector::{log, types as wit};

impl From<wit::ConnectorMetadata> for RawMetadata {
    fn from(raw: wit::ConnectorMetadata) -> Self {
        RawMetadata {
            id: raw.id,
            name: raw.name,
            description: raw.description,
            version: raw.version,
            config_schema: raw.config_schema,
            network_hosts: raw.network_hosts.into_iter().map(Into::into).collect(),
            uses_templates: raw.uses_templates,
            readme: Some(raw.readme),
            logo: raw.logo,
            example_config: Some(raw.example_config),
        }
    }
}

super::common_conversions!();

impl wit_http::Host for SendState {
    async fn send(&mut self, request: wit_http::Request) -> Result<wit_http::Response, wit_http::HttpError> {
        self.http_send(request).await
    }
}
