//! Loading plugin files: checking that a file is a component implementing a
//! supported contract version, compiling it once, and reading its metadata.
//!
//! Each refusal names the file and what is wrong: not WebAssembly, a core
//! module instead of a component, a contract version this host does not
//! support or an import the host does not provide (e.g. `wasi:http`), both
//! found before compiling ([`crate::contract`]), or metadata that does not
//! parse.

use crate::allowed_hosts::{AllowedHosts, AllowedOrigin};
use crate::bindings::{ConnectorPre, RawMetadata, RawNetworkHost};
use crate::compile_cache::CompileCache;
use crate::config::{ConnectorConfig, Redactor, secret_fields};
use crate::engine::Limits;
use crate::error::{Error, Result};
use crate::http::HttpCapability;
use crate::sandbox::{Sandbox, SendState};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

/// A network host a plugin declares (see [`crate::AllowedHosts`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NetworkHost {
    /// A fixed origin such as `https://api.twilio.com`.
    Origin(String),
    /// The origin of the URL in this config field.
    ConfigUrl(String),
}

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginMetadata {
    /// Stable id (`twilio-short-message-service`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// One sentence on what it does.
    pub description: String,
    /// The connector's own version.
    pub version: String,
    /// JSON Schema of its config.
    pub config_schema: Value,
    /// Everything it may reach.
    pub network_hosts: Vec<NetworkHost>,
    /// Whether the host selects and renders `templates` for it.
    pub uses_templates: bool,
    /// Its README in Markdown (contract 0.2 and later; `None` for a 0.1
    /// plugin). May be empty: loading accepts that, `smshost check` flags it.
    pub readme: Option<String>,
    /// Its logo, an SVG document (contract 0.2 and later, when it has one).
    /// Serve it only as an image (`image/svg+xml` under a sandboxing CSP),
    /// never inline in a page: it is the plugin author's markup.
    pub logo: Option<String>,
    /// A config object with placeholder credentials (contract 0.2 and later).
    pub example_config: Option<Value>,
}

/// A loaded, compiled plugin. Cheap to clone.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
}

struct PluginInner {
    metadata: PluginMetadata,
    file: PathBuf,
    label: Arc<str>,
    contract: String,
    pre: ConnectorPre,
    fixed_hosts: AllowedHosts,
    config_url_fields: Vec<String>,
    secret_fields: Vec<String>,
    load_time: Duration,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.inner.metadata.id)
            .field("file", &self.inner.file)
            .finish()
    }
}

impl Plugin {
    /// The plugin's metadata.
    pub fn metadata(&self) -> &PluginMetadata {
        &self.inner.metadata
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.inner.metadata.id
    }

    /// `id@version`, the prefix of every error about it.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// The file it was loaded from (or the name given to its bytes).
    pub fn file(&self) -> &Path {
        &self.inner.file
    }

    /// The contract it implements, as it names it (`smshost:connector@0.2.0`).
    pub fn contract(&self) -> &str {
        &self.inner.contract
    }

    /// Config fields whose values are masked everywhere.
    pub fn secret_fields(&self) -> &[String] {
        &self.inner.secret_fields
    }

    /// How long compiling and reading metadata took.
    pub fn load_time(&self) -> Duration {
        self.inner.load_time
    }

    /// The origins it may reach with `config` (fixed ones plus those named
    /// by config fields). A config-url field with an unusable value is an
    /// `invalid_config` error naming the field.
    pub fn allowed_hosts(&self, config: &ConnectorConfig) -> Result<AllowedHosts> {
        let mut hosts = self.inner.fixed_hosts.clone();
        for field in &self.inner.config_url_fields {
            let Some(value) = config.as_object().get(field) else {
                continue;
            };
            let Some(text) = value.as_str().filter(|text| !text.trim().is_empty()) else {
                return Err(self.invalid_config(format!("`{field}` must be a non-empty URL")));
            };
            let origin = AllowedOrigin::from_config_value(text)
                .map_err(|_| self.invalid_config(format!("`{field}` is not a valid http(s) URL or host name")))?;
            hosts.push(origin);
        }
        Ok(hosts)
    }

    pub(crate) fn pre(&self) -> &ConnectorPre {
        &self.inner.pre
    }

    pub(crate) fn label_arc(&self) -> Arc<str> {
        self.inner.label.clone()
    }

    pub(crate) fn invalid_config(&self, reason: impl Into<String>) -> Error {
        Error::InvalidConfig {
            plugin: self.label().to_string(),
            reason: reason.into(),
        }
    }
}

/// Compiles and checks a plugin, then asks it for its metadata.
pub(crate) async fn load(
    engine: &Engine,
    linker: &Linker<SendState>,
    http: &Arc<HttpCapability>,
    limits: &Limits,
    cache: Option<Arc<CompileCache>>,
    file: PathBuf,
    bytes: Vec<u8>,
) -> Result<Plugin> {
    let started = Instant::now();
    let fail = |reason: String| Error::Load {
        file: file.clone(),
        reason,
    };
    if bytes.len() as u64 > limits.max_plugin_bytes {
        return Err(fail(format!(
            "it is {} bytes, over the plugin size limit of {}",
            bytes.len(),
            limits.max_plugin_bytes
        )));
    }
    check_format(&bytes).map_err(&fail)?;
    check_counts(&bytes, limits).map_err(&fail)?;
    // Before compiling: a wrong version or import is refused in
    // milliseconds instead of after seconds of Cranelift.
    let world = crate::contract::check(&bytes).map_err(&fail)?;
    let component = compile(engine, cache, bytes, limits.compile_timeout)
        .await
        .map_err(&fail)?;
    // The fallback for what the section check cannot see (an import whose
    // functions differ from the host's).
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(|error| fail(import_error(&error)))?;
    let pre = ConnectorPre::new(world.version, instance_pre).map_err(|error| {
        fail(format!(
            "its `{}` export does not match the contract: {}",
            world.contract,
            crate::redaction::display_safe(&format!("{:#}", error.root_cause()), 300)
        ))
    })?;
    let contract = world.contract;

    let provisional: Arc<str> = Arc::from(format!("{}", file.display()));
    let sandbox = Sandbox {
        engine: engine.clone(),
        limits: limits.clone(),
        http: http.clone(),
        // Reading metadata must not touch the network.
        allowed: Arc::new(AllowedHosts::default()),
        redactor: Arc::new(Redactor::default()),
        plugin: provisional,
    };
    let raw = sandbox
        .run(&pre, Arc::new(Redactor::default()), |instance, store| {
            Box::pin(async move { instance.metadata(store).await })
        })
        .await
        .map_err(|failure| fail(format!("reading its metadata failed: plugin {failure}")))?;
    let metadata = convert_metadata(raw).map_err(&fail)?;
    if metadata
        .readme
        .as_deref()
        .is_some_and(|readme| readme.trim().is_empty())
    {
        tracing::warn!(plugin = %metadata.id, file = %file.display(), "plugin has an empty README");
    }
    let mut fixed_hosts = AllowedHosts::default();
    let mut config_url_fields = Vec::new();
    for host in &metadata.network_hosts {
        match host {
            NetworkHost::Origin(entry) => {
                fixed_hosts.push(AllowedOrigin::parse(entry).map_err(|error| fail(error.to_string()))?)
            }
            NetworkHost::ConfigUrl(field) => config_url_fields.push(field.clone()),
        }
    }
    let secret_fields = secret_fields(&metadata.config_schema);
    let label: Arc<str> = Arc::from(format!("{}@{}", metadata.id, metadata.version));
    Ok(Plugin {
        inner: Arc::new(PluginInner {
            metadata,
            file,
            label,
            contract,
            pre,
            fixed_hosts,
            config_url_fields,
            secret_fields,
            load_time: started.elapsed(),
        }),
    })
}

/// Reads a plugin file: only a regular file (a FIFO or device named
/// `x.wasm` would block or never end), at most `max_bytes`.
///
/// The metadata is checked without opening, then the file is opened
/// non-blocking and checked again (it may have been swapped in between),
/// and the read stops one byte past the cap.
pub(crate) async fn read_plugin_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    let path = path.to_path_buf();
    let task_path = path.clone();
    let read = tokio::task::spawn_blocking(move || read_regular_file(&task_path, max_bytes));
    match read.await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(ReadError::Io(error))) => Err(Error::Io {
            path,
            reason: error.to_string(),
        }),
        Ok(Err(ReadError::Refused(reason))) => Err(Error::Load { file: path, reason }),
        Err(error) => Err(Error::Io {
            path,
            reason: format!("reading was interrupted: {error}"),
        }),
    }
}

enum ReadError {
    Io(std::io::Error),
    Refused(String),
}

fn read_regular_file(path: &Path, max_bytes: u64) -> std::result::Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let not_regular = |kind: std::fs::FileType| {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        ReadError::Refused(format!("it is {what}; plugins must be regular files"))
    };
    let too_big =
        |size: u64| ReadError::Refused(format!("it is {size} bytes, over the plugin size limit of {max_bytes}"));
    let metadata = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !metadata.is_file() {
        return Err(not_regular(metadata.file_type()));
    }
    if metadata.len() > max_bytes {
        return Err(too_big(metadata.len()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading blocks until a writer appears; with
        // O_NONBLOCK it returns at once and the check below refuses it.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if !metadata.is_file() {
        return Err(not_regular(metadata.file_type()));
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve(metadata.len().min(max_bytes) as usize)
        .map_err(|_| ReadError::Refused("not enough memory to read it".to_string()))?;
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Compiles on a worker thread with a deadline. Compiling is CPU-heavy
/// (tens of ms for Rust, seconds for Python guests, and a hostile file can
/// take far longer), so it runs off the async workers; wasmtime cannot
/// cancel a compile, so past the deadline the load fails and the thread
/// finishes in the background, its result dropped.
async fn compile(
    engine: &Engine,
    cache: Option<Arc<CompileCache>>,
    bytes: Vec<u8>,
    timeout: Duration,
) -> std::result::Result<Component, String> {
    let (send, receive) = tokio::sync::oneshot::channel();
    let engine = engine.clone();
    std::thread::Builder::new()
        .name("smshost-compile".into())
        .spawn(move || {
            if let Some(component) = cache.as_ref().and_then(|cache| cache.load(&engine, &bytes)) {
                let _ = send.send(Ok(component));
                return;
            }
            let compiled = Component::new(&engine, &bytes);
            if let (Some(cache), Ok(component)) = (&cache, &compiled) {
                cache.store(&bytes, component);
            }
            let _ = send.send(compiled);
        })
        .map_err(|error| format!("cannot start a compile thread: {error}"))?;
    match tokio::time::timeout(timeout, receive).await {
        Err(_) => Err(format!(
            "compiling took longer than {timeout:?} (the compile limit); it was abandoned"
        )),
        Ok(Err(_)) => Err("compilation was interrupted".to_string()),
        Ok(Ok(Err(error))) => Err(compile_error(&error)),
        Ok(Ok(Ok(component))) => Ok(component),
    }
}

/// Refuses, before compiling, a component that declares more core
/// memories, tables or instances than one call may create: each memory
/// reserves gigabytes of address space, so this is cheaper to say at load
/// than to fail every send. The limiter enforces the same limits at
/// instantiation, where the true counts are known.
fn check_counts(bytes: &[u8], limits: &Limits) -> std::result::Result<(), String> {
    use wasmparser::Payload;
    let (mut memories, mut tables, mut instances) = (0usize, 0usize, 0usize);
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        // Malformed input is for the compiler to report.
        let Ok(payload) = payload else { break };
        match payload {
            Payload::MemorySection(section) => memories += section.count() as usize,
            Payload::TableSection(section) => tables += section.count() as usize,
            // Only instantiations create instances (and memories); a bag of
            // re-exported items does not. Imported memories are shared.
            Payload::InstanceSection(section) => {
                instances += section
                    .into_iter()
                    .flatten()
                    .filter(|instance| matches!(instance, wasmparser::Instance::Instantiate { .. }))
                    .count()
            }
            _ => {}
        }
    }
    for (what, count, max) in [
        ("linear memories", memories, limits.max_memories),
        ("tables", tables, limits.max_tables),
        ("core instances", instances, limits.max_instances),
    ] {
        if count > max {
            return Err(format!("it declares {count} {what}; a plugin may have at most {max}"));
        }
    }
    Ok(())
}

/// Refuses what is not a component before wasmtime sees it.
fn check_format(bytes: &[u8]) -> std::result::Result<(), String> {
    if !bytes.starts_with(b"\0asm") {
        return Err("not a WebAssembly file (no `\\0asm` header)".to_string());
    }
    if wasmparser::Parser::is_core_wasm(bytes) {
        return Err(
            "a core WebAssembly module, not a component; build with `--target wasm32-wasip2` or wrap it with `wasm-tools component new`"
                .to_string(),
        );
    }
    if !wasmparser::Parser::is_component(bytes) {
        return Err("an unsupported WebAssembly encoding version".to_string());
    }
    Ok(())
}

/// Says why a component did not compile without the engine's framing
/// ("failed to parse WebAssembly module", offsets in hex): the innermost
/// cause, which names the problem, escaped and capped.
fn compile_error(error: &wasmtime::Error) -> String {
    let cause = error.root_cause().to_string();
    format!(
        "not a valid component: it failed validation ({})",
        crate::redaction::display_safe(&cause, 300)
    )
}

/// Rephrases wasmtime's link error as the import the host lacks.
fn import_error(error: &wasmtime::Error) -> String {
    let text = format!("{error:#}");
    match text.split('`').nth(1) {
        Some(import) if text.contains("matching implementation was not found") => format!(
            "it imports `{}`, which this host does not provide; {}",
            crate::redaction::display_safe(import, 100),
            crate::contract::allowed_imports()
        ),
        _ => format!(
            "its imports do not match what this host provides ({}); {}",
            crate::redaction::display_safe(&format!("{:#}", error.root_cause()), 300),
            crate::contract::allowed_imports()
        ),
    }
}

/// Largest config schema accepted: real ones are 1-5 KiB; 256 KiB leaves
/// room while keeping a hostile schema from costing memory on every load.
const MAX_SCHEMA_BYTES: usize = 256 << 10;

/// Most network hosts a plugin may declare: connectors declare one to
/// three; the allowlist is scanned on every request.
const MAX_NETWORK_HOSTS: usize = 32;

/// Longest network host entry (an origin is well under 256 bytes).
const MAX_NETWORK_HOST_BYTES: usize = 256;

/// Largest README, logo and example config (contract 0.2): a README is a
/// few KiB of Markdown, a logo a few KiB of SVG.
const MAX_README_BYTES: usize = 64 << 10;
const MAX_LOGO_BYTES: usize = 64 << 10;
const MAX_EXAMPLE_CONFIG_BYTES: usize = 64 << 10;

/// Checks and caps what a guest said about itself, and turns it into the
/// host's [`PluginMetadata`].
fn convert_metadata(raw: RawMetadata) -> std::result::Result<PluginMetadata, String> {
    let valid_id = !raw.id.is_empty()
        && raw.id.len() <= 64
        && raw
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid_id {
        return Err(format!(
            "its metadata id `{}` must be 1-64 characters of a-z, 0-9, `-` and `_`",
            crate::truncate(&raw.id, 80).escape_debug()
        ));
    }
    let valid_version = !raw.version.is_empty()
        && raw.version.len() <= 32
        && raw
            .version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c));
    if !valid_version {
        return Err(format!(
            "its metadata version `{}` must be 1-32 characters of letters, digits, `.`, `-` and `+`",
            crate::truncate(&raw.version, 40).escape_debug()
        ));
    }
    for (field, text, max) in [("name", &raw.name, 100), ("description", &raw.description, 1000)] {
        if text.len() > max || text.chars().any(char::is_control) {
            return Err(format!(
                "its metadata {field} must be at most {max} bytes without control characters"
            ));
        }
    }
    if raw.config_schema.len() > MAX_SCHEMA_BYTES {
        return Err(format!(
            "its config schema is {} bytes, over the limit of {MAX_SCHEMA_BYTES}",
            raw.config_schema.len()
        ));
    }
    if raw.network_hosts.len() > MAX_NETWORK_HOSTS {
        return Err(format!(
            "it declares {} network hosts; a plugin may declare at most {MAX_NETWORK_HOSTS}",
            raw.network_hosts.len()
        ));
    }
    for host in &raw.network_hosts {
        let (kind, text) = match host {
            RawNetworkHost::Origin(origin) => ("origin", origin),
            RawNetworkHost::ConfigUrl(field) => ("config-url field", field),
        };
        if text.len() > MAX_NETWORK_HOST_BYTES || text.chars().any(char::is_control) {
            return Err(format!(
                "its network host {kind} `{}` must be at most {MAX_NETWORK_HOST_BYTES} bytes without control characters",
                crate::redaction::display_safe(text, 80)
            ));
        }
    }
    let config_schema: Value = serde_json::from_str(&raw.config_schema)
        .map_err(|error| format!("its config schema is not valid JSON: {error}"))?;
    if !config_schema.is_object() {
        return Err("its config schema must be a JSON object".to_string());
    }
    let network_hosts = raw
        .network_hosts
        .into_iter()
        .map(|host| match host {
            RawNetworkHost::Origin(origin) => NetworkHost::Origin(origin),
            RawNetworkHost::ConfigUrl(field) => NetworkHost::ConfigUrl(field),
        })
        .collect();
    if let Some(readme) = &raw.readme {
        if readme.len() > MAX_README_BYTES {
            return Err(format!(
                "its README is {} bytes, over the limit of {MAX_README_BYTES}",
                readme.len()
            ));
        }
        if readme
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(
                "its README holds control characters (only newlines and tabs may appear in Markdown)".to_string(),
            );
        }
    }
    if let Some(logo) = &raw.logo {
        if logo.len() > MAX_LOGO_BYTES {
            return Err(format!(
                "its logo is {} bytes, over the limit of {MAX_LOGO_BYTES}",
                logo.len()
            ));
        }
        check_svg(logo).map_err(|reason| format!("its logo is not an SVG document: {reason}"))?;
    }
    let example_config = match &raw.example_config {
        None => None,
        Some(text) => {
            if text.len() > MAX_EXAMPLE_CONFIG_BYTES {
                return Err(format!(
                    "its example config is {} bytes, over the limit of {MAX_EXAMPLE_CONFIG_BYTES}",
                    text.len()
                ));
            }
            let value: Value =
                serde_json::from_str(text).map_err(|error| format!("its example config is not valid JSON: {error}"))?;
            if !value.is_object() {
                return Err("its example config must be a JSON object".to_string());
            }
            Some(value)
        }
    };
    Ok(PluginMetadata {
        id: raw.id,
        name: raw.name,
        description: raw.description,
        version: raw.version,
        config_schema,
        network_hosts,
        uses_templates: raw.uses_templates,
        readme: raw.readme,
        logo: raw.logo,
        example_config,
    })
}

/// Whether `text` looks like an SVG document: an `<svg` root element after
/// an optional byte-order mark, XML declaration, comments, processing
/// instructions and a DOCTYPE without an internal subset (which could
/// declare entities). A shape check, not a parser: the logo is only ever
/// served as an image under a sandboxing CSP.
fn check_svg(text: &str) -> std::result::Result<(), String> {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("a comment is not closed")?;
            rest = &after[end + 3..];
        } else if let Some(after) = rest.strip_prefix("<?") {
            let end = after.find("?>").ok_or("the XML declaration is not closed")?;
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix("<!DOCTYPE") {
            let end = after.find('>').ok_or("the DOCTYPE is not closed")?;
            if after[..end].contains('[') {
                return Err("its DOCTYPE declares an internal subset (entities are not allowed)".to_string());
            }
            rest = &after[end + 1..];
        } else {
            break;
        }
    }
    let root = rest
        .strip_prefix("<svg")
        .ok_or("it must start with an `<svg` element")?;
    if !root.is_empty() && !root.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
        return Err("it must start with an `<svg` element".to_string());
    }
    if !rest.trim_end().ends_with('>') {
        return Err("it does not end with a closing tag".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> RawMetadata {
        RawMetadata {
            id: "x".into(),
            name: "X".into(),
            description: "d".into(),
            version: "1.0.0".into(),
            config_schema: "{}".into(),
            ..RawMetadata::default()
        }
    }

    #[test]
    fn oversized_metadata_is_refused_with_a_reason() {
        let mut huge_schema = metadata();
        huge_schema.config_schema = format!("{{\"d\":\"{}\"}}", "a".repeat(300 << 10));
        assert!(convert_metadata(huge_schema).unwrap_err().contains("config schema is"));
        let mut many_hosts = metadata();
        many_hosts.network_hosts = vec![RawNetworkHost::Origin("https://a.example.com".into()); 10_000];
        assert!(
            convert_metadata(many_hosts)
                .unwrap_err()
                .contains("10000 network hosts")
        );
        let mut long_host = metadata();
        long_host.network_hosts = vec![RawNetworkHost::ConfigUrl(format!("f\n{}", "x".repeat(1 << 20)))];
        let error = convert_metadata(long_host).unwrap_err();
        assert!(error.len() < 400 && !error.contains('\n'), "{error}");
        let mut long_name = metadata();
        long_name.name = "n".repeat(1 << 20);
        assert!(convert_metadata(long_name).unwrap_err().contains("at most 100 bytes"));
        assert!(convert_metadata(metadata()).is_ok());
    }

    fn v0_2(readme: &str, logo: Option<&str>, example: &str) -> RawMetadata {
        RawMetadata {
            readme: Some(readme.into()),
            logo: logo.map(str::to_string),
            example_config: Some(example.into()),
            ..metadata()
        }
    }

    #[test]
    fn a_0_1_plugin_has_no_readme_logo_or_example() {
        let converted = convert_metadata(metadata()).unwrap();
        assert_eq!(
            (converted.readme, converted.logo, converted.example_config),
            (None, None, None)
        );
    }

    #[test]
    fn readme_logo_and_example_config_come_through_when_valid() {
        let logo = "<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        let converted = convert_metadata(v0_2("# X\n\nSends SMS.\n", Some(logo), r#"{"a":1}"#)).unwrap();
        assert_eq!(converted.readme.as_deref(), Some("# X\n\nSends SMS.\n"));
        assert_eq!(converted.logo.as_deref(), Some(logo));
        assert_eq!(converted.example_config, Some(serde_json::json!({"a": 1})));
        // An empty README loads (`smshost check` flags it); no logo is fine.
        let converted = convert_metadata(v0_2("", None, "{}")).unwrap();
        assert_eq!((converted.readme.as_deref(), converted.logo), (Some(""), None));
    }

    #[test]
    fn bad_readme_logo_or_example_config_is_refused_with_a_reason() {
        let refuse = |raw: RawMetadata| convert_metadata(raw).unwrap_err();
        assert_eq!(
            refuse(v0_2(&"r".repeat(65 << 10), None, "{}")),
            "its README is 66560 bytes, over the limit of 65536"
        );
        assert!(refuse(v0_2("a\u{1b}[2J", None, "{}")).contains("control characters"));
        let huge_logo = format!("<svg>{}</svg>", " ".repeat(64 << 10));
        assert!(refuse(v0_2("", Some(&huge_logo), "{}")).contains("its logo is 65547 bytes"));
        for (logo, reason) in [
            ("", "it must start with an `<svg` element"),
            ("<html><svg/></html>", "it must start with an `<svg` element"),
            ("<svgfoo/>", "it must start with an `<svg` element"),
            ("\u{89}PNG\r\n", "it must start with an `<svg` element"),
            ("<!-- open <svg/>", "a comment is not closed"),
            ("<!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg/>", "internal subset"),
            ("<svg", "does not end with a closing tag"),
        ] {
            let error = refuse(v0_2("", Some(logo), "{}"));
            assert!(error.starts_with("its logo is not an SVG document: "), "{error}");
            assert!(error.contains(reason), "{logo:?}: {error}");
        }
        assert!(refuse(v0_2("", None, "[1]")).contains("example config must be a JSON object"));
        assert!(refuse(v0_2("", None, "{")).contains("example config is not valid JSON"));
        assert!(refuse(v0_2("", None, "")).contains("example config is not valid JSON"));
    }

    #[test]
    fn format_checks_name_the_problem() {
        assert!(
            check_format(b"MZ\x90\x00")
                .unwrap_err()
                .contains("not a WebAssembly file")
        );
        assert!(check_format(b"").unwrap_err().contains("not a WebAssembly file"));
        let core_module = b"\0asm\x01\0\0\0";
        assert!(
            check_format(core_module)
                .unwrap_err()
                .contains("core WebAssembly module")
        );
        let component = b"\0asm\x0d\0\x01\0";
        assert!(check_format(component).is_ok());
    }
}
