//! The `smshost` command: the CLI (`plugins`, `inspect`, `send`), the
//! daemon (`serve`), token management, and client commands over the
//! daemon's API — all built on the `smshost` library's runtime and
//! connector handles, with state in `smshost-store`.
//!
//! Modules, one per concept: `settings` (defaults, TOML, flags), `server`
//! (start-up, shutdown, replicas), `api` (routes), `auth` (tokens),
//! `tenants` (the one active connector per tenant), `doors` (auth
//! servers' own SMS webhooks), `console` (the web console), `pipeline` (the send
//! path), `limits` (rate limits), `secrets` (encryption at rest), `reload`
//! (hot reload), `metrics`, `error` (API errors), `cli` and `client`.

#![deny(missing_docs)]
// `ApiError` (status, code, message, details) is built once per refused
// request and turned straight into a response; boxing it would add an
// allocation to every error path to save a few bytes of stack.
#![allow(clippy::result_large_err)]

mod api;
mod app;
mod auth;
mod check;
mod cli;
mod client;
mod console;
mod doors;
mod error;
mod limits;
mod metrics;
mod pipeline;
mod reload;
mod scaffold;
mod secrets;
mod server;
mod settings;
mod tenants;

pub use cli::main;
