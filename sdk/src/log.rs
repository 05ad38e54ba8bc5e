//! Diagnostics written to the host's log, tagged with the connector's id.
//! Never pass secrets, one-time codes or full phone numbers.

use crate::bindings::smshost::connector::log::Level;

/// Hands one line to the host. Outside a component (a connector's native
/// unit tests) there is no host, so the line is dropped.
fn write(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::smshost::connector::log::write(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (level, message);
}

/// Logs at debug level.
pub fn debug(message: &str) {
    write(Level::Debug, message);
}

/// Logs at info level.
pub fn info(message: &str) {
    write(Level::Info, message);
}

/// Logs at warn level.
pub fn warn(message: &str) {
    write(Level::Warn, message);
}

/// Logs at error level.
pub fn error(message: &str) {
    write(Level::Error, message);
}
