//! `smshost new NAME --lang rust|js|python [--dir DIR]`: writes a connector
//! project that builds and passes `smshost check` untouched. The templates
//! are embedded in the binary; the helper modules, build scripts and the
//! WIT are the same files the shipped connectors use (sdk/js, sdk/python,
//! wit/v0.2), so a scaffold never drifts from them.

use std::path::{Path, PathBuf};

/// Arguments of `smshost new`.
#[derive(Debug, clap::Args)]
pub(crate) struct NewArgs {
    /// The connector's id: 1-64 characters of a-z, 0-9 and `-`, starting
    /// with a letter (`acme-sms`).
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Lang,
    /// Where to create it [default: ./NAME]; must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Rust only: the `smshost-sdk` folder to depend on [default: the one
    /// this smshost was built from].
    #[arg(long, value_name = "DIR")]
    sdk: Option<PathBuf>,
}

/// A connector language `smshost new` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Lang {
    Rust,
    Js,
    Python,
}

const WIT: &str = include_str!("../../../wit/v0.2/connector.wit");
const EXAMPLE_CONFIG: &str = include_str!("scaffold/example-config.json");
const GITIGNORE: &str = include_str!("scaffold/gitignore");

const JS_CONNECTOR: &str = include_str!("scaffold/js/connector.js");
const JS_README: &str = include_str!("scaffold/js/README.md");
const JS_PACKAGE: &str = include_str!("scaffold/js/package.json");
const JS_LOCK: &str = include_str!("../../../sdk/js/package-lock.json");
const JS_HELPERS: &str = include_str!("../../../sdk/js/smshost.js");
const JS_BUILD: &str = include_str!("../../../sdk/js/build.mjs");

const PY_CONNECTOR: &str = include_str!("scaffold/python/connector.py");
const PY_README: &str = include_str!("scaffold/python/README.md");
const PY_HELPERS: &str = include_str!("../../../sdk/python/smshost_connector.py");
const PY_BUILD: &str = include_str!("../../../sdk/python/build.py");

const RUST_CARGO: &str = include_str!("scaffold/rust/Cargo.toml");
const RUST_LIB: &str = include_str!("scaffold/rust/lib.rs");
const RUST_README: &str = include_str!("scaffold/rust/README.md");

/// The SDK this binary was built beside, for Rust scaffolds.
const BUILT_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sdk");

/// The toolchain package name in sdk/js's lock, renamed to the connector's.
const JS_LOCK_NAME: &str = "\"name\": \"smshost-connector-js-toolchain\"";

/// Writes the project and prints what to do next.
pub(crate) fn run(args: NewArgs) -> Result<(), String> {
    check_name(&args.name)?;
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() {
        let empty = std::fs::read_dir(&dir)
            .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            return Err(format!("{} already exists and is not empty", dir.display()));
        }
    }
    let id = args.name.as_str();
    let name = human_name(id);
    let crate_name = id.replace('-', "_");
    let fill = |template: &str| {
        template
            .replace("__ID__", id)
            .replace("__NAME__", &name)
            .replace("__CRATE__", &crate_name)
    };
    let mut files: Vec<(&str, String)> = vec![
        ("example-config.json", EXAMPLE_CONFIG.to_string()),
        (".gitignore", GITIGNORE.to_string()),
    ];
    let (build, output) = match args.lang {
        Lang::Js => {
            files.extend([
                ("connector.js", fill(JS_CONNECTOR)),
                ("README.md", fill(JS_README)),
                ("package.json", fill(JS_PACKAGE)),
                (
                    "package-lock.json",
                    JS_LOCK.replace(JS_LOCK_NAME, &format!("\"name\": \"{id}\"")),
                ),
                ("smshost.js", JS_HELPERS.to_string()),
                ("build.mjs", JS_BUILD.to_string()),
                ("wit/connector.wit", WIT.to_string()),
            ]);
            ("npm ci && npm run build".to_string(), format!("target/{id}.wasm"))
        }
        Lang::Python => {
            files.extend([
                ("connector.py", fill(PY_CONNECTOR)),
                ("README.md", fill(PY_README)),
                ("smshost_connector.py", PY_HELPERS.to_string()),
                ("build.py", PY_BUILD.to_string()),
                ("wit/connector.wit", WIT.to_string()),
            ]);
            (
                format!(
                    "python3 -m venv venv && venv/bin/pip install componentize-py==0.25.1 && python3 build.py --src . --wit wit --out target/{id}.wasm --componentize-py venv/bin/componentize-py"
                ),
                format!("target/{id}.wasm"),
            )
        }
        Lang::Rust => {
            let sdk = match &args.sdk {
                Some(sdk) => sdk.clone(),
                None => PathBuf::from(BUILT_SDK),
            };
            let sdk = std::fs::canonicalize(&sdk)
                .ok()
                .filter(|sdk| sdk.join("Cargo.toml").is_file())
                .ok_or_else(|| format!("no smshost-sdk at {}; pass --sdk DIR", sdk.display()))?;
            let cargo = fill(RUST_CARGO).replace("__SDK__", &toml_path(&sdk));
            files.extend([
                ("Cargo.toml", cargo),
                ("src/lib.rs", fill(RUST_LIB)),
                ("README.md", fill(RUST_README)),
            ]);
            (
                "cargo build --release --target wasm32-wasip2".to_string(),
                format!("target/wasm32-wasip2/release/{crate_name}.wasm"),
            )
        }
    };
    for (path, text) in &files {
        write(&dir.join(path), text)?;
    }
    println!("created {} ({} connector `{id}`)", dir.display(), lang_name(args.lang));
    println!("next:\n  cd {}\n  {build}\n  smshost check {output}", dir.display());
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    let valid = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid connector name `{}`: use 1-64 characters of a-z, 0-9 and `-`, starting with a letter (e.g. `acme-sms`)",
            smshost::display_safe(name, 80)
        ))
    }
}

/// `acme-sms` → `Acme Sms`.
fn human_name(id: &str) -> String {
    id.split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "Rust",
        Lang::Js => "JavaScript",
        Lang::Python => "Python",
    }
}

/// A path as a TOML basic string.
fn toml_path(path: &Path) -> String {
    path.display().to_string().replace('\\', "\\\\").replace('"', "\\\"")
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_humanised() {
        assert!(check_name("acme-sms").is_ok());
        for bad in ["", "Acme", "1sms", "acme_sms", "acme-", "a/b", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(human_name("acme-sms"), "Acme Sms");
    }

    #[test]
    fn the_js_lock_names_the_toolchain_package() {
        // The scaffold renames it; a renamed toolchain must update JS_LOCK_NAME.
        assert_eq!(JS_LOCK.matches(JS_LOCK_NAME).count(), 2);
    }

    #[test]
    fn the_js_scaffold_pins_the_locked_tools() {
        let toolchain: serde_json::Value = serde_json::from_str(include_str!("../../../sdk/js/package.json")).unwrap();
        let scaffold: serde_json::Value = serde_json::from_str(JS_PACKAGE).unwrap();
        assert_eq!(scaffold["devDependencies"], toolchain["devDependencies"]);
    }
}
