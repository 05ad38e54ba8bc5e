//! Which contract a component implements and what it imports, read from its
//! own import and export sections before anything is compiled.
//!
//! A component's outer imports are its world's imports and its outer
//! exports its world's exports, so both can be judged from the binary's
//! section headers in milliseconds, where compiling a Python or JavaScript
//! component takes seconds. A file that exports an unsupported contract
//! version or imports what the host does not link is refused here, with
//! the list of what is allowed; the linker's own check after compiling
//! stays as a fallback.

use crate::bindings::{CONTRACT_PACKAGE, ContractVersion};
use crate::redaction::display_safe;

/// The interface every connector exports, without its version.
const CONNECTOR_INTERFACE: &str = "connector";

/// The contract interfaces a connector may import (`types` is imported
/// implicitly by every world that uses its records).
const CONTRACT_IMPORTS: [&str; 3] = ["types", "http", "log"];

/// The WASI 0.2 interfaces the host links, deny-all (see
/// `sandbox::linker`): every toolchain's standard library imports some.
/// Must match what `wasmtime_wasi::p2::add_to_linker_async` provides; a unit
/// test links each one.
pub(crate) const WASI_IMPORTS: [(&str, &[&str]); 6] = [
    ("io", &["error", "poll", "streams"]),
    ("clocks", &["wall-clock", "monotonic-clock"]),
    ("random", &["random", "insecure", "insecure-seed"]),
    (
        "cli",
        &[
            "environment",
            "exit",
            "stdin",
            "stdout",
            "stderr",
            "terminal-input",
            "terminal-output",
            "terminal-stdin",
            "terminal-stdout",
            "terminal-stderr",
        ],
    ),
    ("filesystem", &["types", "preopens"]),
    (
        "sockets",
        &[
            "network",
            "instance-network",
            "ip-name-lookup",
            "tcp",
            "tcp-create-socket",
            "udp",
            "udp-create-socket",
        ],
    ),
];

/// The WASI minor version the host links (any `0.2.x` patch).
const WASI_VERSION_PREFIX: &str = "0.2.";

/// Refused names listed in one message at most; the rest are counted.
const MAX_NAMES_SHOWN: usize = 8;

/// What a component's outer sections say about its world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct World {
    /// The contract version it exports.
    pub(crate) version: ContractVersion,
    /// `smshost:connector@0.2.0`, as the component names it.
    pub(crate) contract: String,
}

/// Reads the outer import and export names of a component and checks them
/// against what this host links. `bytes` must be a component
/// (`plugin::check_format`).
pub(crate) fn check(bytes: &[u8]) -> Result<World, String> {
    let (imports, exports) = outer_names(bytes)?;
    let world = exported_contract(&exports)?;
    let refused: Vec<&String> = imports.iter().filter(|name| !import_allowed(name)).collect();
    if refused.is_empty() {
        return Ok(world);
    }
    Err(format!(
        "it imports {}, which this host does not provide; {}",
        name_list(&refused),
        allowed_imports()
    ))
}

/// What a connector may import, for messages.
pub(crate) fn allowed_imports() -> String {
    let wasi: Vec<String> = WASI_IMPORTS
        .iter()
        .map(|(package, interfaces)| format!("wasi:{package}/{{{}}}", interfaces.join(",")))
        .collect();
    format!(
        "a connector may import only {CONTRACT_PACKAGE}/http and {CONTRACT_PACKAGE}/log (and /types) at a supported contract version ({}), and the WASI 0.2 interfaces the host links deny-all: {}",
        ContractVersion::supported_list(),
        wasi.join(", ")
    )
}

/// The outer component's import and export names, skipping everything
/// inside nested modules and components.
fn outer_names(bytes: &[u8]) -> Result<(Vec<String>, Vec<String>), String> {
    use wasmparser::Payload;
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    // Nesting depth: nested modules and components yield their own
    // payloads, ended by their own `End`.
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|error| {
            format!(
                "not a valid component: it is malformed at byte {} ({})",
                error.offset(),
                display_safe(error.message(), 200)
            )
        })?;
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    let import = import.map_err(|error| malformed_section("import", &error))?;
                    imports.push(import.name.name.to_string());
                }
            }
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    let export = export.map_err(|error| malformed_section("export", &error))?;
                    exports.push(export.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok((imports, exports))
}

fn malformed_section(what: &str, error: &wasmparser::BinaryReaderError) -> String {
    format!(
        "not a valid component: its {what} section is malformed at byte {} ({})",
        error.offset(),
        display_safe(error.message(), 200)
    )
}

/// The supported contract the component exports (the newest, should it
/// export several), or why there is none.
fn exported_contract(exports: &[String]) -> Result<World, String> {
    let prefix = format!("{CONTRACT_PACKAGE}/{CONNECTOR_INTERFACE}@");
    let versions: Vec<&str> = exports.iter().filter_map(|name| name.strip_prefix(&prefix)).collect();
    let supported = ContractVersion::supported_list();
    let best = versions
        .iter()
        .filter_map(|version| ContractVersion::from_semver(version).map(|parsed| (parsed, *version)))
        .max_by_key(|(parsed, _)| *parsed);
    if let Some((version, text)) = best {
        return Ok(World {
            version,
            contract: format!("{CONTRACT_PACKAGE}@{text}"),
        });
    }
    if let Some(version) = versions.first() {
        return Err(format!(
            "it was built for contract {CONTRACT_PACKAGE}@{}, which this host does not support; supported contract versions: {supported}",
            display_safe(version, 40)
        ));
    }
    let shown = if exports.is_empty() {
        "nothing".to_string()
    } else {
        name_list(&exports.iter().collect::<Vec<_>>())
    };
    Err(format!(
        "it does not implement the smshost connector contract: it exports {shown}, not `{prefix}<version>` (supported contract versions: {supported})"
    ))
}

/// Whether the host links an import of this name.
fn import_allowed(name: &str) -> bool {
    let Some((path, version)) = name.split_once('@') else {
        return false;
    };
    let Some((package, interface)) = path.split_once('/') else {
        return false;
    };
    if package == CONTRACT_PACKAGE {
        return CONTRACT_IMPORTS.contains(&interface) && ContractVersion::from_semver(version).is_some();
    }
    let Some(wasi_package) = package.strip_prefix("wasi:") else {
        return false;
    };
    let patch_ok = version
        .strip_prefix(WASI_VERSION_PREFIX)
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()));
    patch_ok
        && WASI_IMPORTS
            .iter()
            .any(|(known, interfaces)| *known == wasi_package && interfaces.contains(&interface))
}

/// `` `a`, `b` and 3 more ``: guest-controlled names, escaped and capped.
fn name_list(names: &[&String]) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(MAX_NAMES_SHOWN)
        .map(|name| format!("`{}`", display_safe(name, 100)))
        .collect();
    if names.len() > MAX_NAMES_SHOWN {
        shown.push(format!("{} more", names.len() - MAX_NAMES_SHOWN));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("valid component text")
    }

    const CONNECTOR_EXPORT: &str = r#"(component
        (import "IMPORT" (instance))
        (component $inner (import "nested:only/inside@1.0.0" (instance)))
        (instance $connector)
        (export "smshost:connector/connector@VERSION" (instance $connector))
    )"#;

    fn connector(import: &str, version: &str) -> Vec<u8> {
        component(&CONNECTOR_EXPORT.replace("IMPORT", import).replace("VERSION", version))
    }

    #[test]
    fn supported_contracts_and_imports_pass() {
        for (import, version) in [
            ("smshost:connector/http@0.1.0", "0.1.0"),
            ("smshost:connector/log@0.2.0", "0.2.0"),
            ("wasi:cli/environment@0.2.0", "0.2.3"),
            ("wasi:io/streams@0.2.6", "0.1.0"),
        ] {
            let world = check(&connector(import, version)).unwrap_or_else(|error| panic!("{import}: {error}"));
            assert_eq!(world.contract, format!("smshost:connector@{version}"));
        }
        let world = check(&connector("smshost:connector/types@0.2.0", "0.2.0")).unwrap();
        assert_eq!(world.version, ContractVersion::V0_2);
    }

    #[test]
    fn an_unprovided_import_is_refused_listing_what_is_allowed() {
        for refused in [
            "wasi:http/outgoing-handler@0.2.0",
            "test:evil/raw-socket",
            "smshost:connector/connector@0.2.0",
            "smshost:connector/http@9.0.0",
            "wasi:io/streams@0.3.0",
            "wasi:io/streams@0.2.0-rc-2023-11-10",
            "plain-name",
        ] {
            let error = check(&connector(refused, "0.2.0")).unwrap_err();
            assert!(
                error.starts_with(&format!("it imports `{refused}`, which this host does not provide")),
                "{error}"
            );
            assert!(
                error.contains("smshost:connector/http and smshost:connector/log"),
                "{error}"
            );
            assert!(error.contains("0.1.x, 0.2.x"), "{error}");
            assert!(error.contains("wasi:io/{error,poll,streams}"), "{error}");
        }
    }

    #[test]
    fn an_unsupported_contract_version_is_refused_listing_the_supported_ones() {
        let error = check(&connector("wasi:io/error@0.2.0", "9.0.0")).unwrap_err();
        assert_eq!(
            error,
            "it was built for contract smshost:connector@9.0.0, which this host does not support; supported contract versions: 0.1.x, 0.2.x"
        );
        let none = component(r#"(component (instance $i) (export "other:thing/api@1.0.0" (instance $i)))"#);
        let error = check(&none).unwrap_err();
        assert!(error.contains("it exports `other:thing/api@1.0.0`"), "{error}");
        assert!(error.contains("supported contract versions: 0.1.x, 0.2.x"), "{error}");
        let error = check(&component("(component)")).unwrap_err();
        assert!(error.contains("it exports nothing"), "{error}");
    }

    #[test]
    fn the_newest_supported_export_wins() {
        let both = component(
            r#"(component (instance $i)
                (export "smshost:connector/connector@0.1.0" (instance $i))
                (export "smshost:connector/connector@0.2.1" (instance $i)))"#,
        );
        assert_eq!(check(&both).unwrap().contract, "smshost:connector@0.2.1");
    }

    #[test]
    fn hostile_names_are_escaped_and_capped() {
        let name = format!("evil:x/\u{1b}[31m{}@1.0.0", "y".repeat(5000));
        let text = CONNECTOR_EXPORT
            .replace("IMPORT", &name.replace('\u{1b}', "\\1b"))
            .replace("VERSION", "0.2.0");
        let error = check(&component(&text)).unwrap_err();
        assert!(!error.contains('\u{1b}') && error.len() < 2000, "{error}");
    }

    #[test]
    fn truncated_bytes_are_refused_in_plain_words() {
        let mut bytes = connector("wasi:io/error@0.2.0", "0.2.0");
        bytes.truncate(bytes.len() - 3);
        let error = check(&bytes).unwrap_err();
        assert!(error.starts_with("not a valid component: "), "{error}");
    }

    #[test]
    fn every_listed_wasi_interface_is_linked() {
        // The list must not promise what the linker lacks: each listed
        // interface, imported as an empty instance, links.
        let engine = crate::engine::build_engine().unwrap();
        let linker = crate::sandbox::linker(&engine).unwrap();
        for (package, interfaces) in WASI_IMPORTS {
            for interface in interfaces {
                let name = format!("wasi:{package}/{interface}@0.2.0");
                let bytes = component(&format!(r#"(component (import "{name}" (instance)))"#));
                let compiled = wasmtime::component::Component::new(&engine, &bytes).unwrap();
                linker
                    .instantiate_pre(&compiled)
                    .unwrap_or_else(|error| panic!("{name} is listed but not linked: {error:#}"));
            }
        }
        for interface in CONTRACT_IMPORTS {
            for version in ["0.1.0", "0.2.0"] {
                let name = format!("{CONTRACT_PACKAGE}/{interface}@{version}");
                let bytes = component(&format!(r#"(component (import "{name}" (instance)))"#));
                let compiled = wasmtime::component::Component::new(&engine, &bytes).unwrap();
                linker
                    .instantiate_pre(&compiled)
                    .unwrap_or_else(|error| panic!("{name} is listed but not linked: {error:#}"));
            }
        }
    }
}
