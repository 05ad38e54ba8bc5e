//! Front doors: each auth server's own SMS webhook, accepted byte for byte,
//! so Logto, Supabase Auth, ZITADEL, Ory Kratos and authentik gain every
//! connector by changing one URL.
//!
//! `POST /v1[/tenants/{tenant}]/hooks/{server}` is not behind the admin
//! bearer token: each door authenticates the way its server calls (a
//! static header, Standard Webhooks, `ZITADEL-Signature`, basic auth or an
//! API key), maps the payload onto [`OutgoingMessage`] and sends it through
//! [`App::send`] — the same rate limits, records, metrics and log line as
//! `POST /v1/messages` — then answers in the shape its server treats as
//! success or failure. One file per server holds its wire format.
//!
//! `PUT/GET/DELETE` on the same path (admin token) manage the door's
//! credentials, stored per tenant as the setting `door:<server>` with the
//! secret fields encrypted like connector secrets (bound to tenant and
//! door), and shown masked.

// `ApiError` is the daemon-wide error type (as large in `api.rs`); boxing it
// here alone would make the doors differ from every other route.
#![allow(clippy::result_large_err)]

mod authentik;
mod kratos;
mod logto;
mod supabase;
mod zitadel;

use crate::app::App;
use crate::auth::Principal;
use crate::error::{ApiError, clean};
use crate::tenants::check_tenant;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use smshost::PhoneNumber;
use smshost_store::{IdempotencyBegin, StoredResponse};
use std::collections::HashMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// What replaces a secret value in every answer (as for connectors).
const MASK: &str = crate::api::MASK;

/// Longest failure text a door answers with: Logto and authentik show it
/// to the end user as it is.
const MAX_SHORT_MESSAGE: usize = 200;

/// Longest one-time code accepted (as `POST /messages`).
const MAX_CODE_LEN: usize = 64;

/// Signed doors refuse a timestamp further than this from now.
const MAX_CLOCK_SKEW_SECS: i64 = 300;

type Shared = State<Arc<App>>;

/// The five auth servers a door exists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Server {
    /// Logto's HTTP SMS connector.
    Logto,
    /// Supabase Auth's Send SMS hook over HTTP.
    Supabase,
    /// ZITADEL's HTTP SMS provider.
    Zitadel,
    /// Ory Kratos's courier HTTP channel.
    Kratos,
    /// authentik's SMS authenticator stage, generic provider.
    Authentik,
}

impl Server {
    fn parse(name: &str) -> Option<Server> {
        Some(match name {
            "logto" => Server::Logto,
            "supabase" => Server::Supabase,
            "zitadel" => Server::Zitadel,
            "kratos" => Server::Kratos,
            "authentik" => Server::Authentik,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Server::Logto => "logto",
            Server::Supabase => "supabase",
            Server::Zitadel => "zitadel",
            Server::Kratos => "kratos",
            Server::Authentik => "authentik",
        }
    }

    /// The settings key, and the "plugin" the encryption binds secrets to.
    fn setting_key(self) -> String {
        format!("door:{}", self.as_str())
    }

    /// Credential fields stored encrypted and shown masked.
    fn secret_fields(self) -> Vec<String> {
        let fields: &[&str] = match self {
            Server::Logto => &["authorization"],
            Server::Supabase => &["secrets"],
            Server::Zitadel => &["signingKey"],
            Server::Kratos => &["basicAuth", "apiKey"],
            Server::Authentik => &["authorization", "basicAuth"],
        };
        fields.iter().map(|field| field.to_string()).collect()
    }

    /// Checks a credentials document and returns its canonical form.
    fn validate(self, document: Value) -> Result<Value, ApiError> {
        let canonical = match self {
            Server::Logto => serde_json::to_value(check(logto::Creds::parse(document))?),
            Server::Supabase => serde_json::to_value(check(supabase::Creds::parse(document))?),
            Server::Zitadel => serde_json::to_value(check(zitadel::Creds::parse(document))?),
            Server::Kratos => serde_json::to_value(check(kratos::Creds::parse(document))?),
            Server::Authentik => serde_json::to_value(check(authentik::Creds::parse(document))?),
        };
        canonical.map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "cannot encode"))
    }
}

fn check<T>(parsed: Result<T, String>) -> Result<T, ApiError> {
    parsed.map_err(|reason| ApiError::bad_request("invalid_credentials", reason))
}

/// The door routes, merged into the daemon's router: `POST` is each
/// server's webhook (its own auth); `GET/PUT/DELETE` manage the door's
/// credentials and need an admin or tenant token.
pub(crate) fn routes(app: Arc<App>) -> Router<Arc<App>> {
    let door = get(get_door)
        .put(put_door)
        .delete(delete_door)
        // Layered before `.post` is added, so the webhook stays open.
        .route_layer(middleware::from_fn_with_state(app, admin_only))
        .post(post_door);
    Router::new()
        .route("/v1/hooks/{server}", door.clone())
        .route("/v1/tenants/{tenant}/hooks/{server}", door)
}

/// The admin API's bearer-token check (as in [`crate::api`]).
async fn admin_only(State(app): Shared, mut request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match crate::auth::authenticate(&*app.store, header).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// The door's tenant (`default` without the prefix) and server.
fn door_of(params: &HashMap<String, String>) -> Result<(String, Server), ApiError> {
    let tenant = params.get("tenant").map(String::as_str).unwrap_or("default");
    check_tenant(tenant)?;
    let name = params.get("server").map(String::as_str).unwrap_or_default();
    let server = Server::parse(name).ok_or_else(|| {
        ApiError::not_found(
            "unknown_door",
            "no such door; the doors are logto, supabase, zitadel, kratos and authentik",
        )
    })?;
    Ok((tenant.to_string(), server))
}

async fn post_door(
    State(app): Shared,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (tenant, server) = match door_of(&params) {
        Ok(door) => door,
        Err(error) => return error.into_response(),
    };
    let request = DoorRequest {
        app: &app,
        tenant: &tenant,
        headers: &headers,
        body: &body,
    };
    match server {
        Server::Logto => logto::handle(request).await,
        Server::Supabase => supabase::handle(request).await,
        Server::Zitadel => zitadel::handle(request).await,
        Server::Kratos => kratos::handle(request).await,
        Server::Authentik => authentik::handle(request).await,
    }
}

/// One webhook call, as a door sees it.
#[derive(Clone, Copy)]
struct DoorRequest<'a> {
    app: &'a App,
    tenant: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl DoorRequest<'_> {
    /// A header as text; `None` when absent or not visible ASCII.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The door's credentials: 404 when none are set (nothing is sent).
    async fn credentials<T: DeserializeOwned>(&self, server: Server) -> Result<T, ApiError> {
        let Some(opened) = load(self.app, self.tenant, server).await? else {
            return Err(ApiError::not_found(
                "door_not_configured",
                format!(
                    "the {} door of tenant `{}` has no credentials; set them with PUT on this path",
                    server.as_str(),
                    self.tenant
                ),
            ));
        };
        serde_json::from_value(Value::Object(opened)).map_err(|_| corrupt())
    }

    /// Logs a refusal before any send (auth, payload): the operator's only
    /// clue when an auth server is misconfigured.
    fn refused(&self, server: Server, error: &ApiError) {
        tracing::warn!(
            tenant = self.tenant,
            door = server.as_str(),
            status = error.status.as_u16(),
            code = %error.code,
            message = %error.message,
            "refused a front-door request"
        );
    }
}

fn corrupt() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "store_corrupt",
        "the stored door credentials are not valid",
    )
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// The stored credentials of a door, decrypted; `None` when unset.
async fn load(app: &App, tenant: &str, server: Server) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(text) = app.store.setting(tenant, &server.setting_key()).await? else {
        return Ok(None);
    };
    let stored: Map<String, Value> = serde_json::from_str(&text).map_err(|_| corrupt())?;
    let opened = app
        .key
        .decrypt_fields(tenant, &server.setting_key(), &server.secret_fields(), &stored)?;
    Ok(Some(opened))
}

/// A credentials document as the API shows it: every secret replaced by
/// `********`, except the parts that name rather than prove (a basic-auth
/// user, an API key's header name).
fn masked(server: Server, document: &Map<String, Value>) -> Value {
    let mut out = document.clone();
    for field in server.secret_fields() {
        if let Some(value) = out.get_mut(&field) {
            *value = mask(value);
        }
    }
    Value::Object(out)
}

fn mask(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(mask).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let shown = if key == "user" || key == "name" {
                        value.clone()
                    } else {
                        mask(value)
                    };
                    (key.clone(), shown)
                })
                .collect(),
        ),
        Value::Null => Value::Null,
        _ => Value::String(MASK.into()),
    }
}

/// Replaces each `"********"` in `new` with the stored value at the same
/// place, so a GET-edit-PUT round trip keeps the secrets.
fn unmask(new: &mut Value, stored: Option<&Value>, path: &str) -> Result<(), ApiError> {
    match new {
        Value::String(text) if text == MASK => match stored {
            Some(value) if !value.is_null() && value.as_str() != Some(MASK) => {
                *new = value.clone();
                Ok(())
            }
            _ => Err(ApiError::bad_request(
                "invalid_credentials",
                format!("`{path}` is sent masked (\"{MASK}\") but no stored value exists to keep; type the secret"),
            )),
        },
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let stored = stored.and_then(|stored| stored.get(index));
                unmask(item, stored, &format!("{path}[{index}]"))?;
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let stored = stored.and_then(|stored| stored.get(key));
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                unmask(item, stored, &path)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The tenant of an admin route, within the token's reach.
fn admin_door(params: &HashMap<String, String>, principal: &Principal) -> Result<(String, Server), ApiError> {
    let (tenant, server) = door_of(params)?;
    principal.require(&tenant)?;
    Ok((tenant, server))
}

fn not_configured(tenant: &str, server: Server) -> ApiError {
    ApiError::not_found(
        "door_not_configured",
        format!("the {} door of tenant `{tenant}` has no credentials", server.as_str()),
    )
}

async fn get_door(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (tenant, server) = admin_door(&params, &principal)?;
    let document = load(&app, &tenant, server)
        .await?
        .ok_or_else(|| not_configured(&tenant, server))?;
    Ok(Json(masked(server, &document)).into_response())
}

async fn put_door(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (tenant, server) = admin_door(&params, &principal)?;
    let mut document: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("invalid_body", "the request needs a JSON object body"))?;
    if !document.is_object() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the request needs a JSON object body",
        ));
    }
    let stored = load(&app, &tenant, server).await?.map(Value::Object);
    unmask(&mut document, stored.as_ref(), "")?;
    let canonical = server.validate(document)?;
    let canonical = canonical.as_object().cloned().unwrap_or_default();
    let sealed = app
        .key
        .encrypt_fields(&tenant, &server.setting_key(), &server.secret_fields(), &canonical);
    app.store.ensure_tenant(&tenant).await?;
    app.store
        .put_setting(&tenant, &server.setting_key(), Some(&Value::Object(sealed).to_string()))
        .await?;
    tracing::info!(tenant, door = server.as_str(), by = %principal.token_id, "set front-door credentials");
    Ok(Json(masked(server, &canonical)).into_response())
}

async fn delete_door(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (tenant, server) = admin_door(&params, &principal)?;
    if app.store.setting(&tenant, &server.setting_key()).await?.is_none() {
        return Err(not_configured(&tenant, server));
    }
    app.store.put_setting(&tenant, &server.setting_key(), None).await?;
    tracing::warn!(tenant, door = server.as_str(), by = %principal.token_id, "deleted front-door credentials");
    Ok(Json(json!({"deleted": server.as_str()})).into_response())
}

// ---- Pieces the doors share ----

/// A door's whole answer, kept as is for idempotent replays.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    content_type: &'static str,
    body: String,
    retry_after: Option<u64>,
}

impl Answer {
    fn json(status: StatusCode, body: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: body.to_string(),
            retry_after: None,
        }
    }

    /// One short printable line, for servers that show the body to the
    /// end user (Logto, authentik).
    fn short_text(error: &ApiError) -> Answer {
        Answer {
            status: error.status,
            content_type: "text/plain; charset=utf-8",
            body: short(&error.message),
            retry_after: error.retry_after,
        }
    }

    /// The admin API's `{"code", "message"}` body (ZITADEL and Kratos only
    /// read the status; the body is for their logs).
    fn api_error(error: &ApiError) -> Answer {
        Answer {
            retry_after: error.retry_after,
            ..Answer::json(error.status, &error.body())
        }
    }

    /// What an idempotency key keeps of it.
    fn stored(&self) -> StoredResponse {
        StoredResponse {
            status: self.status.as_u16(),
            body: self.body.clone(),
        }
    }

    /// A kept answer, replayed.
    fn replayed(stored: StoredResponse, content_type: &'static str) -> Answer {
        Answer {
            status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
            content_type,
            body: stored.body,
            retry_after: None,
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (self.status, [(header::CONTENT_TYPE, self.content_type)], self.body).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// `text` as one printable line of at most [`MAX_SHORT_MESSAGE`] bytes.
fn short(text: &str) -> String {
    let cleaned = clean(text);
    if cleaned.len() <= MAX_SHORT_MESSAGE {
        return cleaned;
    }
    let mut cut = MAX_SHORT_MESSAGE;
    while !cleaned.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &cleaned[..cut])
}

/// Parses a webhook body into `T`, naming the field that is wrong but
/// never its value (serde's "invalid type" text quotes the value, which may
/// be a code or a number).
fn parse_payload<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("invalid_body", "the request needs a JSON body"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let text = inner.to_string();
        let message = if inner.is_syntax() || inner.is_eof() {
            "the body is not valid JSON".to_string()
        } else if let Some(field) = text.strip_prefix("missing field ") {
            let field = field.split(" at line").next().unwrap_or(field).trim_matches('`');
            if path == "." || path.is_empty() {
                format!("`{field}` is required")
            } else {
                format!("`{path}.{field}` is required")
            }
        } else if let Some((_, expected)) = text.split_once(", expected ") {
            let expected = expected.split(" at line").next().unwrap_or(expected);
            format!("`{path}` must be {expected}")
        } else {
            format!("`{path}` is not valid")
        };
        ApiError::bad_request("invalid_payload", message)
    })
}

/// A recipient from field `field`, or 400 (the number is never echoed).
fn phone(field: &str, text: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(text)
        .map_err(|error| ApiError::bad_request("invalid_phone_number", format!("`{field}`: {error}")))
}

/// A one-time code from field `field`: 1-64 printable characters.
fn code(field: &str, text: &str) -> Result<String, ApiError> {
    let code = text.trim();
    if code.is_empty() || code.len() > MAX_CODE_LEN || code.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_code",
            format!("`{field}` must be a one-time code of 1-{MAX_CODE_LEN} printable characters"),
        ));
    }
    Ok(code.to_string())
}

/// Byte strings equal, in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// Basic-auth credentials, as the admin types them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicAuth {
    user: String,
    password: String,
}

impl BasicAuth {
    fn check(&self, field: &str) -> Result<(), String> {
        if self.user.is_empty() || self.user.contains(':') || self.user.chars().any(char::is_control) {
            return Err(format!("`{field}.user` must be non-empty printable text without `:`"));
        }
        if self.password.is_empty() || self.password.chars().any(char::is_control) {
            return Err(format!("`{field}.password` must be non-empty printable text"));
        }
        Ok(())
    }

    /// Whether `Authorization: Basic …` carries exactly these credentials.
    fn matches(&self, header: Option<&str>) -> bool {
        let Some((scheme, encoded)) = header.and_then(|value| value.trim().split_once(' ')) else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Some(colon) = decoded.iter().position(|&byte| byte == b':') else {
            return false;
        };
        let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
        // Both compared, so timing does not tell which one was wrong.
        let user_ok = same(user, self.user.as_bytes());
        let password_ok = same(password, self.password.as_bytes());
        user_ok & password_ok
    }
}

/// Checks a static header value an admin typed (`Authorization: …`).
fn check_header_value(field: &str, value: &str) -> Result<(), String> {
    let valid = !value.trim().is_empty()
        && value.len() <= 4096
        && value == value.trim()
        && value.bytes().all(|byte| (0x20..0x7f).contains(&byte));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{field}` must be the exact header value the auth server sends: 1-4096 visible ASCII characters, no leading or trailing space"
        ))
    }
}

/// Parses a credentials document into `T` with messages naming the field.
fn parse_creds<T: DeserializeOwned>(document: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(document).map_err(|error| {
        let path = error.path().to_string();
        let text = error.into_inner().to_string();
        // Credentials are secrets: keep serde's words about types and
        // fields, drop any quoted value.
        let text = match text.split_once(": ") {
            Some((kind, rest)) if kind == "invalid type" || kind == "invalid value" => {
                match rest.split_once(", expected ") {
                    Some((_, expected)) => format!("{kind}, expected {expected}"),
                    None => kind.to_string(),
                }
            }
            _ => text,
        };
        if path == "." || path.is_empty() {
            text
        } else {
            format!("`{path}`: {text}")
        }
    })
}

/// The outcome of claiming an idempotency key for a door send.
enum Claim {
    /// This request sends; settle the key afterwards.
    Fresh,
    /// An earlier delivery of the same request finished: replay it.
    Replay(StoredResponse),
    /// An earlier delivery is still sending.
    Busy,
}

/// Key prefix for door keys: `·` cannot appear in an `Idempotency-Key`
/// header (visible ASCII only), so no client key collides with a door's.
fn door_key(server: Server, kind: &str, hash: &str) -> String {
    format!("door·{}·{kind}·{hash}", server.as_str())
}

async fn claim(app: &App, tenant: &str, key: &str, ttl_secs: u64) -> Result<Claim, ApiError> {
    Ok(
        match app
            .store
            .begin_idempotent(tenant, key, "door", crate::limits::now_unix(), ttl_secs)
            .await?
        {
            IdempotencyBegin::Started => Claim::Fresh,
            IdempotencyBegin::Completed(stored) => Claim::Replay(stored),
            IdempotencyBegin::InProgress | IdempotencyBegin::Mismatch => Claim::Busy,
        },
    )
}

/// Keeps `answer` for `key`, or forgets the key when a retry could
/// succeed (so the retry can send).
async fn settle(app: &App, tenant: &str, key: &str, retryable: bool, answer: &Answer) {
    let result = if retryable {
        app.store.release_idempotent(tenant, key).await
    } else {
        app.store.finish_idempotent(tenant, key, answer.stored()).await
    };
    if let Err(error) = result {
        tracing::error!(%error, "could not store a front door's idempotent result");
    }
}

/// The answer of a door whose server reads any 2xx as success and retries
/// the rest (ZITADEL, Kratos): the receipt, or the API's error body.
fn json_receipt(outcome: &Result<Value, ApiError>) -> Answer {
    match outcome {
        Ok(receipt) => Answer::json(StatusCode::OK, &json!({"receipt": receipt})),
        Err(error) => Answer::api_error(error),
    }
}

/// Sends once per idempotency key: a retry of a finished delivery gets
/// the kept answer and sends nothing. `render` turns the outcome into the
/// server's shape; `busy` answers while the first delivery still runs.
async fn send_once(
    request: DoorRequest<'_>,
    key: &str,
    ttl_secs: u64,
    send: impl std::future::Future<Output = Result<Value, ApiError>>,
    render: impl Fn(&Result<Value, ApiError>) -> Answer,
    content_type: &'static str,
) -> Answer {
    let DoorRequest { app, tenant, .. } = request;
    match claim(app, tenant, key, ttl_secs).await {
        Err(error) => render(&Err(error)),
        Ok(Claim::Replay(stored)) => {
            tracing::info!(
                tenant,
                "front-door retry of a finished delivery: answered again, nothing sent"
            );
            Answer::replayed(stored, content_type)
        }
        Ok(Claim::Busy) => render(&Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "delivery_in_progress",
            "this message is still being sent; retry shortly",
        )
        .retry_after(1))),
        Ok(Claim::Fresh) => {
            let outcome = send.await;
            let answer = render(&outcome);
            let retryable = outcome.as_ref().err().is_some_and(ApiError::is_retryable);
            settle(app, tenant, key, retryable, &answer).await;
            answer
        }
    }
}

/// Hex SHA-256 of the parts, each length-prefixed so no two part lists
/// hash alike.
fn digest(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// HMAC-SHA256 of `parts` (concatenated) under `key`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Fails unless `timestamp` (Unix seconds) is within 5 minutes of now.
fn fresh_timestamp(timestamp: i64) -> Result<(), ApiError> {
    if (crate::limits::now_unix() - timestamp).abs() > MAX_CLOCK_SKEW_SECS {
        Err(unauthorized(
            "the signature's timestamp is more than 5 minutes from this server's clock",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_secrets_but_name_users() {
        let document = json!({"basicAuth": {"user": "kratos", "password": "pw"}, "secrets": ["v1,whsec_a", "v1,whsec_b"], "signingKey": "k", "message": "template"});
        let mut out = document.as_object().unwrap().clone();
        for field in ["basicAuth", "secrets", "signingKey"] {
            out.insert(field.into(), mask(&out[field]));
        }
        assert_eq!(out["basicAuth"], json!({"user": "kratos", "password": MASK}));
        assert_eq!(out["secrets"], json!([MASK, MASK]));
        assert_eq!(out["signingKey"], MASK);
        assert_eq!(out["message"], "template");
        let mut back = Value::Object(out);
        unmask(&mut back, Some(&document), "").unwrap();
        assert_eq!(back, document);
        let mut fresh = json!({"signingKey": MASK});
        assert!(unmask(&mut fresh, None, "").is_err());
    }

    #[test]
    fn payload_errors_name_fields_not_values() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Body {
            sms: Sms,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Sms {
            otp: String,
        }
        let error = parse_payload::<Body>(br#"{"sms": {"otp": 913557}}"#).unwrap_err();
        assert_eq!(error.message, "`sms.otp` must be a string");
        let error = parse_payload::<Body>(br#"{"sms": {}}"#).unwrap_err();
        assert_eq!(error.message, "`sms.otp` is required");
        let error = parse_payload::<Body>(br#"{"sms": "+4520123456"}"#).unwrap_err();
        assert!(!error.message.contains("4520123456"), "{}", error.message);
        assert!(parse_payload::<Body>(b"{").is_err());
    }

    #[test]
    fn basic_auth_matches_exactly() {
        let creds = BasicAuth {
            user: "u".into(),
            password: "p:w".into(),
        };
        let header = format!("Basic {}", STANDARD.encode("u:p:w"));
        assert!(creds.matches(Some(&header)));
        assert!(creds.matches(Some(&header.replace("Basic", "basic"))));
        assert!(!creds.matches(Some(&format!("Basic {}", STANDARD.encode("u:p")))));
        assert!(!creds.matches(Some(&format!("Bearer {}", STANDARD.encode("u:p:w")))));
        assert!(!creds.matches(None));
    }

    #[test]
    fn short_answers_are_one_capped_line() {
        let text = short(&format!("a\nb{}", "x".repeat(500)));
        assert!(!text.contains('\n') && text.len() <= MAX_SHORT_MESSAGE + 3);
    }
}
