//! What a connector states about itself, once: [`Metadata`].

use crate::schema::Schema;
use crate::{ConnectorMetadata, NetworkHost};

/// The most the contract lets a README or a logo weigh.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// What a connector's crate states about it, read by [`crate::export_connector!`]
/// from its `Cargo.toml`, `README.md`, `example-config.json` and logo.
#[derive(Debug, Clone, Copy)]
pub struct Crate {
    /// `version` in `Cargo.toml`.
    pub version: &'static str,
    /// `description` in `Cargo.toml`.
    pub description: &'static str,
    /// `README.md`: Markdown for operators.
    pub readme: &'static str,
    /// `example-config.json`: a config with placeholder credentials.
    pub example_config: &'static str,
    /// An SVG logo, if the crate has one.
    pub logo: Option<&'static str>,
}

impl Crate {
    /// For unit tests of a connector: placeholder facts.
    pub const TEST: Crate = Crate {
        version: "0.0.0",
        description: "",
        readme: "# Test\n",
        example_config: "{}",
        logo: None,
    };
}

/// Checks what a connector's crate states: a README that starts with a
/// heading, an example config that passes `validate-config` (and covers the
/// required usage types when the connector uses templates), a description,
/// and an SVG logo if any; each within the contract's size limits.
pub fn check_crate<C: crate::Connector>(krate: &Crate) -> Result<(), String> {
    if !krate.readme.starts_with("# ") || krate.readme.len() > MAX_DOCUMENT_BYTES {
        return Err("README.md must start with a `# ` heading and stay within 64 KiB".into());
    }
    if krate.description.trim().is_empty() {
        return Err("Cargo.toml needs a `description`: one sentence on what the connector does".into());
    }
    if let Some(logo) = krate.logo {
        let svg = logo.trim_start().starts_with("<svg") && logo.trim_end().ends_with("</svg>");
        if !svg || logo.len() > MAX_DOCUMENT_BYTES {
            return Err("the logo must be one SVG document (<svg …>…</svg>) within 64 KiB".into());
        }
    }
    crate::config::checked::<C>(krate.example_config)
        .map_err(|error| format!("example-config.json fails validate-config: {}", error.message))?;
    if C::metadata().schema_ref().uses_templates() {
        let example: serde_json::Value = serde_json::from_str(krate.example_config).unwrap_or_default();
        let entries = example["templates"].as_array().cloned().unwrap_or_default();
        for usage in crate::schema::REQUIRED_USAGE_TYPES {
            if !entries.iter().any(|entry| entry["usageType"] == usage) {
                return Err(format!("example-config.json has no template for usage type {usage}"));
            }
        }
    }
    Ok(())
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
            readme: krate.readme.to_string(),
            logo: krate.logo.map(str::to_string),
            example_config: krate.example_config.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Templates;
    use crate::{ConnectorError, Message, Receipt};

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Config {
        token: String,
    }

    struct Probe;
    impl crate::Connector for Probe {
        type Config = Config;
        fn metadata() -> Metadata {
            Metadata::new("probe", "Probe")
                .origin("https://api.example.test")
                .config_url("endpoint")
                .schema(
                    Schema::object()
                        .secret("token", "A token.")
                        .templates(Templates::text()),
                )
        }
        fn send(_: Config, _: &Message) -> Result<Receipt, ConnectorError> {
            Ok(Receipt::new(None))
        }
    }

    const EXAMPLE: &str = r#"{"token": "placeholder", "templates": [
        {"usageType": "SignIn", "content": "a"}, {"usageType": "Register", "content": "b"},
        {"usageType": "ForgotPassword", "content": "c"}, {"usageType": "Generic", "content": "d"}]}"#;

    fn krate() -> Crate {
        Crate {
            version: "1.2.3",
            description: "Sends SMS through Probe.",
            readme: "# Probe\n\nHow to get a token.\n",
            example_config: EXAMPLE,
            logo: Some("<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"),
        }
    }

    #[test]
    fn the_record_comes_from_the_builder_and_the_crate() {
        use crate::Connector;
        let record = Probe::metadata().into_wit(&krate());
        assert_eq!((record.id.as_str(), record.name.as_str()), ("probe", "Probe"));
        assert_eq!(record.version, "1.2.3");
        assert_eq!(record.description, "Sends SMS through Probe.");
        assert!(record.uses_templates);
        assert_eq!(record.network_hosts.len(), 2);
        let schema: serde_json::Value = serde_json::from_str(&record.config_schema).unwrap();
        assert_eq!(schema["properties"]["token"]["writeOnly"], true);
        assert_eq!(record.readme, krate().readme);
        assert_eq!(record.example_config, EXAMPLE);
        assert!(record.logo.is_some());
        let own = Probe::metadata().description("Overridden.").into_wit(&krate());
        assert_eq!(own.description, "Overridden.");
    }

    #[test]
    fn crate_checks_name_what_is_wrong() {
        assert_eq!(check_crate::<Probe>(&krate()), Ok(()));
        let broken = |edit: fn(&mut Crate)| {
            let mut krate = krate();
            edit(&mut krate);
            check_crate::<Probe>(&krate).unwrap_err()
        };
        assert!(broken(|k| k.readme = "no heading").contains("README.md"));
        assert!(broken(|k| k.description = " ").contains("description"));
        assert!(broken(|k| k.logo = Some("<png/>")).contains("SVG"));
        assert!(broken(|k| k.example_config = r#"{"token": " "}"#).contains("`token` must not be empty"));
        assert!(broken(|k| k.example_config = r#"{"token": "t", "templates": []}"#).contains("usage type Register"));
    }
}
