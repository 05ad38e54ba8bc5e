//! What a connector states about itself, once: [`Metadata`].

use crate::schema::Schema;
use crate::{ConnectorMetadata, NetworkHost};

/// What a connector's crate states about it, read by [`crate::export_connector!`]
/// from its `Cargo.toml` (and, from contract 0.2 on, its README, logo and
/// example config).
#[derive(Debug, Clone, Copy)]
pub struct Crate {
    /// `version`.
    pub version: &'static str,
    /// `description`.
    pub description: &'static str,
}

impl Crate {
    /// For unit tests of a connector: placeholder facts.
    pub const TEST: Crate = Crate {
        version: "0.0.0",
        description: "",
    };
}

/// A connector's static facts: id, name, the network hosts it may reach and
/// its config [`Schema`]. Whether the host handles templates follows from
/// the schema ([`Schema::templates`]); the version and the one-sentence
/// description come from the connector's `Cargo.toml` (`version`,
/// `description`), unless [`Metadata::description`] says otherwise.
#[derive(Debug, Clone)]
pub struct Metadata {
    id: String,
    name: String,
    description: Option<String>,
    hosts: Vec<NetworkHost>,
    schema: Schema,
}

impl Metadata {
    /// A connector with a stable `id` (Logto's where one exists) and a human `name`.
    pub fn new(id: &str, name: &str) -> Self {
        Metadata {
            id: id.to_string(),
            name: name.to_string(),
            description: None,
            hosts: Vec::new(),
            schema: Schema::object(),
        }
    }

    /// One sentence on what the connector does, instead of the crate's description.
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_string());
        self
    }

    /// May reach this fixed origin (`https://api.twilio.com`, `https://*.twilio.com`).
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.hosts.push(NetworkHost::Origin(origin.into()));
        self
    }

    /// May reach the origin of the URL in this top-level config field.
    pub fn config_url(mut self, field: &str) -> Self {
        self.hosts.push(NetworkHost::ConfigUrl(field.to_string()));
        self
    }

    /// The config schema.
    pub fn schema(mut self, schema: Schema) -> Self {
        self.schema = schema;
        self
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The config schema.
    pub fn schema_ref(&self) -> &Schema {
        &self.schema
    }

    /// The network hosts.
    pub fn network_hosts(&self) -> &[NetworkHost] {
        &self.hosts
    }

    /// The contract's record, with what the connector's crate states.
    pub fn into_wit(self, krate: &Crate) -> ConnectorMetadata {
        ConnectorMetadata {
            uses_templates: self.schema.uses_templates(),
            config_schema: self.schema.to_json().to_string(),
            id: self.id,
            name: self.name,
            description: self.description.unwrap_or_else(|| krate.description.to_string()),
            version: krate.version.to_string(),
            network_hosts: self.hosts,
        }
    }
}
