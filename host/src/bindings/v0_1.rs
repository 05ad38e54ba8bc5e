//! Contract `smshost:connector@0.1.x`: its bindings and their conversions
//! into the host's types (and, for `http`, into the latest contract's types,
//! which the HTTP capability speaks).

use super::{RawMetadata, wit_http as latest_http};
use crate::sandbox::SendState;

wasmtime::component::bindgen!({
    world: "sms-connector",
    path: "../wit/v0.1",
    imports: { default: async },
    exports: { default: async },
});

use self::smshost::connector::{http, log, types as wit};

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
            // 0.1 has no README, logo or example config.
            readme: None,
            logo: None,
            example_config: None,
        }
    }
}

super::common_conversions!();

impl From<http::Request> for latest_http::Request {
    fn from(request: http::Request) -> Self {
        latest_http::Request {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
        }
    }
}

impl From<latest_http::Response> for http::Response {
    fn from(response: latest_http::Response) -> Self {
        http::Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        }
    }
}

impl From<latest_http::HttpError> for http::HttpError {
    fn from(error: latest_http::HttpError) -> Self {
        use latest_http::HttpError as Latest;
        match error {
            Latest::Denied(reason) => http::HttpError::Denied(reason),
            Latest::InvalidRequest(reason) => http::HttpError::InvalidRequest(reason),
            Latest::Timeout => http::HttpError::Timeout,
            Latest::Connect(reason) => http::HttpError::Connect(reason),
            Latest::TooLarge(limit) => http::HttpError::TooLarge(limit),
            Latest::Other(reason) => http::HttpError::Other(reason),
        }
    }
}

impl http::Host for SendState {
    async fn send(&mut self, request: http::Request) -> Result<http::Response, http::HttpError> {
        self.http_send(request.into()).await.map(Into::into).map_err(Into::into)
    }
}
