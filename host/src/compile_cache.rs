//! The host's own cache of compiled plugins.
//!
//! # Trust boundary
//! A cached artifact is native code that wasmtime maps and runs without
//! validating it (`Component::deserialize` is `unsafe` for that reason):
//! whoever can write the cache folder can run code in the host. So:
//!
//! - The folder must be owned by the user running the host and not be
//!   writable by group or others; otherwise the host refuses to start with
//!   a clear error. The host creates it `0700` when missing.
//! - An entry is named by the SHA-256 of the `.wasm` bytes and of the
//!   engine's compatibility fingerprint (wasmtime version and compilation
//!   settings, `Engine::precompile_compatibility_hash`), and comes with a
//!   sidecar holding the SHA-256 of (key, artifact). On load both are
//!   checked before deserializing, so a swapped, renamed, truncated or
//!   stale entry is recompiled (and overwritten), never run for the wrong
//!   plugin.
//! - The sidecar is not a signature: someone who can write the folder can
//!   write a matching sidecar. That is what the ownership and permission
//!   check is for; the hashes catch swaps, copies and corruption.
//!
//! A relative path is used as given (relative to the working directory).

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A cache folder the host has checked and may trust.
#[derive(Debug)]
pub(crate) struct CompileCache {
    dir: PathBuf,
    fingerprint: [u8; 32],
}

/// Feeds `Hash` output into SHA-256, so the engine fingerprint is stable
/// and collision-resistant (std's hasher is neither promised).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl CompileCache {
    /// Opens (creating `0700` if missing) and checks `dir` for `engine`.
    pub(crate) fn open(dir: &Path, engine: &Engine) -> Result<Self, String> {
        let shown = dir.display();
        if !dir.exists() {
            std::fs::create_dir_all(dir).map_err(|error| format!("cannot create cache folder {shown}: {error}"))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|error| format!("cannot restrict cache folder {shown}: {error}"))?;
            }
        }
        let metadata = std::fs::metadata(dir).map_err(|error| format!("cannot read cache folder {shown}: {error}"))?;
        if !metadata.is_dir() {
            return Err(format!("cache folder {shown} is not a folder"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: geteuid has no preconditions and cannot fail.
            let me = unsafe { libc::geteuid() };
            if metadata.uid() != me {
                return Err(format!(
                    "cache folder {shown} is owned by uid {}, not by the user running the host (uid {me}); compiled plugins are native code, so the host trusts only its own folder",
                    metadata.uid()
                ));
            }
            if metadata.mode() & 0o022 != 0 {
                return Err(format!(
                    "cache folder {shown} is writable by group or others (mode {:o}); compiled plugins are native code, so anyone who can write there could run code in the host (chmod go-w it)",
                    metadata.mode() & 0o7777
                ));
            }
        }
        let mut hasher = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hasher.write(concat!("smshost/", env!("CARGO_PKG_VERSION")).as_bytes());
        Ok(CompileCache {
            dir: dir.to_path_buf(),
            fingerprint: hasher.0.finalize().into(),
        })
    }

    fn key(&self, wasm: &[u8]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.fingerprint);
        hasher.update(Sha256::digest(wasm));
        hasher.finalize().into()
    }

    fn paths(&self, key: &[u8; 32]) -> (PathBuf, PathBuf) {
        let name = hex(key);
        (
            self.dir.join(format!("{name}.cwasm")),
            self.dir.join(format!("{name}.sha256")),
        )
    }

    /// The cached compilation of `wasm`, if a verified one exists.
    pub(crate) fn load(&self, engine: &Engine, wasm: &[u8]) -> Option<Component> {
        let key = self.key(wasm);
        let (artifact_path, sidecar_path) = self.paths(&key);
        let artifact = std::fs::read(&artifact_path).ok()?;
        let sidecar = std::fs::read_to_string(&sidecar_path).ok()?;
        if sidecar.trim() != hex(&seal(&key, &artifact)) {
            tracing::warn!(entry = %artifact_path.display(), "compile cache entry does not match its plugin; recompiling");
            return None;
        }
        // SAFETY: the artifact was written by this host into a folder only
        // its user can write (checked in `open`), and its hash, bound to the
        // wasm's hash and the engine's fingerprint, matches the sidecar.
        match unsafe { Component::deserialize(engine, &artifact) } {
            Ok(component) => Some(component),
            Err(error) => {
                tracing::warn!(entry = %artifact_path.display(), %error, "compile cache entry unusable; recompiling");
                None
            }
        }
    }

    /// Stores `component`, compiled from `wasm`. Failures only cost a
    /// recompile next time, so they are logged, not returned.
    pub(crate) fn store(&self, wasm: &[u8], component: &Component) {
        let key = self.key(wasm);
        let (artifact_path, sidecar_path) = self.paths(&key);
        let result = (|| -> Result<(), String> {
            let artifact = component.serialize().map_err(|error| error.to_string())?;
            // Written aside and renamed, so a reader never sees half a file.
            write_atomically(&artifact_path, &artifact)?;
            write_atomically(&sidecar_path, hex(&seal(&key, &artifact)).as_bytes())
        })();
        if let Err(error) = result {
            tracing::warn!(entry = %artifact_path.display(), %error, "cannot write the compile cache");
        }
    }
}

/// The sidecar's hash: binds the artifact to its key, so swapping two
/// entries (artifacts and sidecars together) is caught.
fn seal(key: &[u8; 32], artifact: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(key);
    hasher.update(artifact);
    hasher.finalize().into()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, bytes).map_err(|error| error.to_string())?;
    std::fs::rename(&temporary, path).map_err(|error| error.to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
