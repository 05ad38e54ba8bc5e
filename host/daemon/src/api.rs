//! The admin API (JSON over HTTP, axum). Routes under
//! `/v1/tenants/{tenant}/…`; the `default` tenant is also reachable
//! without the prefix (`/v1/connectors/sms`). Every route but the health,
//! metrics and OpenAPI ones needs a bearer token (see [`crate::auth`]).
//! Every error is `{"code", "message"}` (see [`crate::error`]); the
//! OpenAPI document at `/v1/openapi.json` lists every route.

use crate::app::App;
use crate::auth::{self, Principal};
use crate::error::{self, ApiError};
use crate::pipeline::{self, MessageBody};
use crate::secrets::SecretKey;
use crate::tenants::{Active, check_tenant};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use smshost::{ConnectorConfig, OutgoingMessage, UsageType};
use smshost_store::{ConnectorChange, ConnectorRecord, IdempotencyBegin, StoredResponse};
use std::collections::HashMap;
use std::sync::Arc;

/// Largest request body. Configs with nine templates are a few KiB.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// How long an idempotency key is remembered. 24 h, as Stripe does: far
/// longer than any client's retry loop.
const IDEMPOTENCY_TTL_SECS: u64 = 24 * 3600;

/// What replaces a secret value in every answer.
pub(crate) const MASK: &str = "********";

/// The OpenAPI document.
const OPENAPI: &str = include_str!("openapi.json");

type Shared = State<Arc<App>>;
type ApiResult = Result<Response, ApiError>;

/// The whole HTTP surface of the daemon.
pub(crate) fn router(app: Arc<App>) -> Router {
    let tenant_routes = Router::new()
        .route(
            "/connectors/sms",
            get(get_connector).put(put_connector).delete(delete_connector),
        )
        .route("/connectors/sms/test", post(test_connector))
        .route("/connectors/sms/history", get(connector_history))
        .route("/messages", post(post_message).get(list_messages))
        .route("/export", get(export))
        .route("/import", post(import));
    let protected = Router::new()
        .route("/plugins", get(list_plugins))
        .route("/plugins/{id}/logo", get(plugin_logo))
        .route("/tenants", get(list_tenants))
        .merge(tenant_routes.clone())
        .nest("/tenants/{tenant}", tenant_routes)
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .nest("/v1", protected)
        .merge(crate::doors::routes(app.clone()))
        .fallback(|| async { ApiError::not_found("not_found", "no such route; see /v1/openapi.json") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method; see /v1/openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(json_rejections))
        .with_state(app)
}

/// Turns axum's own plain-text refusals (a body over the limit, a path that
/// is not UTF-8) into the API's `{code, message}` errors, so every answer
/// of the admin API is JSON. Front doors and `/metrics` answer in their
/// own shapes and are left alone.
async fn json_rejections(request_path: axum::extract::OriginalUri, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let path = request_path.path();
    if !(status.is_client_error() || status.is_server_error())
        || is_json
        || path == "/metrics"
        || path.contains("/hooks/")
    {
        return response;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::BAD_REQUEST => "invalid_request",
        _ => "error",
    };
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let message = String::from_utf8_lossy(&bytes).into_owned();
    let message = if message.trim().is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        message
    };
    ApiError::new(status, code, message).into_response()
}

async fn authenticate(State(app): Shared, mut request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match auth::authenticate(&*app.store, header).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// The tenant a route names, `default` without the prefix; checked and
/// within the token's reach.
fn tenant_of(params: &HashMap<String, String>, principal: &Principal) -> Result<String, ApiError> {
    let tenant = params.get("tenant").map(String::as_str).unwrap_or("default");
    check_tenant(tenant)?;
    principal.require(tenant)?;
    Ok(tenant.to_string())
}

/// Parses a JSON body, naming the field that is wrong.
fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("invalid_body", "the request needs a JSON body"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        // serde_json's messages name types and fields, never the values.
        let message = if path == "." || path.is_empty() {
            format!("the body is not valid: {inner}")
        } else {
            format!("`{path}`: {inner}")
        };
        ApiError::bad_request("invalid_body", message)
    })
}

async fn readyz(State(app): Shared) -> Response {
    let mut problems = Vec::new();
    if let Err(error) = app.store.ping().await {
        tracing::warn!(%error, "readyz: the store does not answer");
        problems.push("the store does not answer".to_string());
    } else {
        match app.store.tenants().await {
            Ok(tenants) => {
                for tenant in tenants {
                    let Ok(Some(record)) = app.store.active_connector(&tenant.id).await else {
                        continue;
                    };
                    if app.runtime.plugin(&record.plugin).is_none() {
                        problems.push(format!(
                            "tenant `{}`: the active connector's plugin `{}` is not loaded",
                            tenant.id, record.plugin
                        ));
                    } else if app.open_config(&tenant.id, &record).is_err() {
                        // Another replica wrote it with another key: every
                        // send would fail, so this replica is not ready.
                        problems.push(format!(
                            "tenant `{}`: the stored connector config cannot be decrypted with this daemon's secret key (every replica needs the same SMSHOST_SECRET_KEY)",
                            tenant.id
                        ));
                    }
                }
            }
            Err(_) => problems.push("the store does not answer".to_string()),
        }
    }
    let plugins = app.runtime.plugins().len();
    if problems.is_empty() {
        Json(json!({
            "status": "ready",
            "plugins": plugins,
            "uptimeSecs": app.started.elapsed().as_secs(),
        }))
        .into_response()
    } else {
        let mut error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", problems.join("; "));
        error.details.insert("problems".into(), json!(problems));
        error.into_response()
    }
}

async fn metrics(State(app): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        app.metrics.render(),
    )
        .into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn list_plugins(State(app): Shared) -> Json<Value> {
    let plugins: Vec<Value> = app
        .runtime
        .plugins()
        .iter()
        .map(|plugin| {
            let meta = plugin.metadata();
            json!({
                "id": meta.id,
                "name": meta.name,
                "version": meta.version,
                "description": meta.description,
                "contract": plugin.contract(),
                "usesTemplates": meta.uses_templates,
                "configSchema": meta.config_schema,
                "networkHosts": meta.network_hosts,
                "secretFields": plugin.secret_fields(),
                "readme": meta.readme,
                "hasLogo": meta.logo.is_some(),
                "exampleConfig": meta.example_config,
            })
        })
        .collect();
    Json(json!({"plugins": plugins}))
}

/// The CSP a plugin's logo is served under: the SVG is the plugin author's
/// markup, so it may style itself but load, run and navigate nothing, even
/// when opened directly rather than through `<img>`.
const LOGO_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// A plugin's SVG logo, as an image only.
async fn plugin_logo(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    let shown = smshost::display_safe(&id, 80);
    let plugin = app
        .runtime
        .plugin(&id)
        .ok_or_else(|| ApiError::not_found("plugin_not_found", format!("no plugin `{shown}` is loaded")))?;
    let logo = plugin.metadata().logo.clone().ok_or_else(|| {
        ApiError::not_found(
            "logo_not_found",
            format!("plugin `{shown}` has no logo (it is built for {})", plugin.contract()),
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CONTENT_SECURITY_POLICY, LOGO_CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        logo,
    )
        .into_response())
}

async fn list_tenants(State(app): Shared, Extension(principal): Extension<Principal>) -> ApiResult {
    let tenants = app.store.tenants().await?;
    let tenants: Vec<Value> = tenants
        .into_iter()
        .filter(|tenant| principal.reaches(&tenant.id))
        .map(|tenant| json!({"id": tenant.id, "createdAt": tenant.created_at_unix_ms}))
        .collect();
    Ok(Json(json!({"tenants": tenants})).into_response())
}

/// A stored record as the API shows it: secrets masked.
fn record_json(app: &App, record: &ConnectorRecord) -> Value {
    let config: Value = serde_json::from_str(&record.config_json).unwrap_or_else(|_| json!({}));
    let mut config = config.as_object().cloned().unwrap_or_default();
    let secrets = secret_fields(app, &record.plugin, &config);
    for field in &secrets {
        if let Some(value) = config.get_mut(field) {
            *value = Value::String(MASK.into());
        }
    }
    json!({
        "plugin": record.plugin,
        "config": config,
        "version": record.version,
        "updatedAt": record.updated_at_unix_ms,
        "updatedBy": record.updated_by,
    })
}

/// The plugin's secret fields, or (plugin gone) the fields stored
/// encrypted.
fn secret_fields(app: &App, plugin: &str, stored: &Map<String, Value>) -> Vec<String> {
    match app.runtime.plugin(plugin) {
        Some(plugin) => plugin.secret_fields().to_vec(),
        None => crate::tenants::encrypted_fields(stored),
    }
}

fn with_etag(mut response: Response, version: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

async fn get_connector(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let record = app
        .store
        .active_connector(&tenant)
        .await?
        .ok_or_else(|| no_active(&tenant))?;
    Ok(with_etag(
        Json(record_json(&app, &record)).into_response(),
        record.version,
    ))
}

fn no_active(tenant: &str) -> ApiError {
    ApiError::not_found(
        "no_active_connector",
        format!("tenant `{tenant}` has no active SMS connector"),
    )
}

/// The body of `PUT /connectors/sms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectorBody {
    plugin: String,
    config: Map<String, Value>,
}

/// `If-Match: 3` or `If-Match: "3"`.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|text| text.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|text| text.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_if_match",
                "`If-Match` must be the connector's version, as in its ETag (\"3\")",
            )
        })
}

/// Replaces `"********"` in secret fields with the stored value of the
/// same plugin, so a GET-edit-PUT round trip keeps the secrets.
async fn unmask(app: &App, tenant: &str, plugin: &str, config: &mut Map<String, Value>) -> Result<(), ApiError> {
    let Some(loaded) = app.runtime.plugin(plugin) else {
        return Ok(());
    };
    let masked: Vec<String> = loaded
        .secret_fields()
        .iter()
        .filter(|field| config.get(*field).and_then(Value::as_str) == Some(MASK))
        .cloned()
        .collect();
    if masked.is_empty() {
        return Ok(());
    }
    let stored = match app.store.active_connector(tenant).await? {
        Some(record) if record.plugin == plugin => Some(app.open_config(tenant, &record)?),
        _ => None,
    };
    for field in masked {
        match stored.as_ref().and_then(|stored| stored.as_object().get(&field)) {
            Some(value) => {
                config.insert(field, value.clone());
            }
            None => {
                return Err(ApiError::bad_request(
                    "invalid_config",
                    format!(
                        "`{field}` is sent masked (\"{MASK}\") but no stored value of plugin `{plugin}` exists to keep; type the secret"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Validates and stores a tenant's connector, then serves it at once.
async fn save_connector(
    app: &App,
    tenant: &str,
    principal: &Principal,
    plugin: String,
    config: Map<String, Value>,
    expect_version: Option<i64>,
) -> Result<Response, ApiError> {
    let config = ConnectorConfig::from_value(Value::Object(config))
        .map_err(|reason| ApiError::bad_request("invalid_config", reason))?;
    let connector = app
        .runtime
        .connector(&plugin, config)
        .await
        .map_err(|error| error::from_host(&error, true))?;
    let secrets = connector.plugin().secret_fields().to_vec();
    let sealed = app
        .key
        .encrypt_fields(tenant, &plugin, &secrets, connector.config().as_object());
    app.store.ensure_tenant(tenant).await?;
    let record = app
        .store
        .put_connector(
            tenant,
            ConnectorChange {
                plugin: plugin.clone(),
                config_json: Value::Object(sealed).to_string(),
                actor: Some(principal.token_id.clone()),
            },
            expect_version,
        )
        .await?;
    tracing::info!(tenant, plugin = %plugin, version = record.version, "set the active SMS connector");
    let body = record_json(app, &record);
    let version = record.version;
    app.active.offer(tenant, Arc::new(Active { record, connector }));
    Ok(with_etag(Json(body).into_response(), version))
}

async fn put_connector(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let expect = if_match(&headers)?;
    let ConnectorBody { plugin, mut config } = parse_body(&body)?;
    unmask(&app, &tenant, &plugin, &mut config).await?;
    save_connector(&app, &tenant, &principal, plugin, config, expect).await
}

#[derive(Debug, Deserialize)]
struct DeleteQuery {
    confirm: Option<String>,
}

async fn delete_connector(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    query: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let expect = if_match(&headers)?;
    let record = app
        .store
        .active_connector(&tenant)
        .await?
        .ok_or_else(|| no_active(&tenant))?;
    let confirm = query.ok().and_then(|Query(query)| query.confirm);
    if confirm.as_deref() != Some(record.plugin.as_str()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "confirmation_required",
            format!(
                "deleting `{plugin}` stops every SMS of tenant `{tenant}`: phone sign-in and registration, password resets by phone and SMS MFA fail until another connector is set; repeat with ?confirm={plugin}",
                plugin = record.plugin
            ),
        ));
    }
    let deleted = app
        .store
        .delete_connector(&tenant, Some(&principal.token_id), expect)
        .await?
        .ok_or_else(|| no_active(&tenant))?;
    app.active.deleted(&tenant, deleted.version + 1);
    tracing::warn!(tenant, plugin = %deleted.plugin, "deleted the active SMS connector");
    Ok(Json(json!({"deleted": deleted.plugin, "version": deleted.version})).into_response())
}

async fn connector_history(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let history = app.store.connector_history(&tenant, 100).await?;
    let entries: Vec<Value> = history
        .into_iter()
        .map(|entry| {
            json!({"version": entry.version, "plugin": entry.plugin, "at": entry.at_unix_ms, "by": entry.actor})
        })
        .collect();
    Ok(Json(json!({"history": entries})).into_response())
}

/// The body of `POST /connectors/sms/test`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestBody {
    plugin: String,
    config: Map<String, Value>,
    to: String,
    #[serde(default)]
    locale: Option<String>,
}

async fn test_connector(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let TestBody {
        plugin,
        mut config,
        to,
        locale,
    } = parse_body(&body)?;
    let to = pipeline::parse_phone(&to)?;
    unmask(&app, &tenant, &plugin, &mut config).await?;
    let config = ConnectorConfig::from_value(Value::Object(config))
        .map_err(|reason| ApiError::bad_request("invalid_config", reason))?;
    let connector = app
        .runtime
        .connector(&plugin, config)
        .await
        .map_err(|error| error::from_host(&error, true))?;
    // Logto's test: the Generic template and a fixed code.
    let mut message = OutgoingMessage::new(to, UsageType::Generic, "000000");
    if let Some(locale) = locale.filter(|locale| !locale.trim().is_empty()) {
        message = message.with_locale(locale);
    }
    let receipt = connector
        .send(&message)
        .await
        .map_err(|error| error::from_host(&error, false))?;
    Ok(Json(json!({"receipt": pipeline::receipt_json(&receipt)})).into_response())
}

async fn post_message(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .filter(|key| !key.is_empty() && key.len() <= 255)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_idempotency_key",
                        "`Idempotency-Key` must be 1-255 visible ASCII characters",
                    )
                })?
                .to_string(),
        ),
    };
    let Some(key) = key else {
        let message = parse_body::<MessageBody>(&body)?.into_message()?;
        return Ok(Json(app.send(&tenant, message).await?).into_response());
    };
    let fingerprint = hex::encode(Sha256::digest(&body));
    match app
        .store
        .begin_idempotent(
            &tenant,
            &key,
            &fingerprint,
            crate::limits::now_unix(),
            IDEMPOTENCY_TTL_SECS,
        )
        .await?
    {
        IdempotencyBegin::Started => {}
        IdempotencyBegin::InProgress => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being sent; retry shortly for its result",
            )
            .retry_after(1));
        }
        IdempotencyBegin::Completed(stored) => return Ok(replay(stored)),
        IdempotencyBegin::Mismatch => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request body",
            ));
        }
    }
    let outcome = match parse_body::<MessageBody>(&body).and_then(MessageBody::into_message) {
        Ok(message) => app.send(&tenant, message).await,
        Err(error) => Err(error),
    };
    let (status, body, retryable) = match &outcome {
        Ok(receipt) => (StatusCode::OK, receipt.clone(), false),
        Err(error) => (error.status, error.body(), error.is_retryable()),
    };
    let stored = if retryable {
        // The client should retry, and a retry must be able to send.
        app.store.release_idempotent(&tenant, &key).await
    } else {
        app.store
            .finish_idempotent(
                &tenant,
                &key,
                StoredResponse {
                    status: status.as_u16(),
                    body: body.to_string(),
                },
            )
            .await
    };
    if let Err(error) = stored {
        tracing::error!(%error, "could not store the idempotent result");
    }
    match outcome {
        Ok(receipt) => Ok(Json(receipt).into_response()),
        Err(error) => Err(error),
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], stored.body).into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

async fn list_messages(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request(
            "invalid_query",
            "`limit` must be a number from 1 to 500 and `before` a time in Unix milliseconds",
        )
    })?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", "`limit` must be from 1 to 500"));
    }
    let records = app.store.sends(&tenant, limit, query.before).await?;
    let next = (records.len() == limit as usize)
        .then(|| records.last().map(|record| record.at_unix_ms))
        .flatten();
    let messages: Vec<Value> = records
        .into_iter()
        .map(|record| {
            json!({
                "id": record.id,
                "at": record.at_unix_ms,
                "connector": record.connector,
                "usageType": record.usage_type,
                "to": record.to_masked,
                "outcome": record.outcome,
                "errorCode": record.error_code,
                "providerMessageId": record.provider_message_id,
                "latencyMs": record.latency_ms,
            })
        })
        .collect();
    Ok(Json(json!({"messages": messages, "nextBefore": next})).into_response())
}

/// The export format's name and version.
const EXPORT_FORMAT: &str = "smshost-export/1";

/// The key an export's secrets are encrypted to, from `Smshost-Export-Key`.
fn export_key(headers: &HeaderMap) -> Result<Option<SecretKey>, ApiError> {
    match headers.get("smshost-export-key") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| SecretKey::parse(text).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_export_key",
                    "`Smshost-Export-Key` must be a 32-byte key as base64 or hex (`smshost key generate` makes one)",
                )
            }),
    }
}

async fn export(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let key = export_key(&headers)?;
    let connector = match app.store.active_connector(&tenant).await? {
        None => Value::Null,
        Some(record) => {
            // Without the plugin its secret fields are unknown once
            // decrypted: refuse rather than risk exporting one in clear.
            let Some(plugin) = app.runtime.plugin(&record.plugin) else {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "plugin_not_loaded",
                    format!(
                        "the active connector's plugin `{}` is not loaded here; export from a daemon that has it",
                        record.plugin
                    ),
                ));
            };
            let config = app.open_config(&tenant, &record)?;
            let secrets = plugin.secret_fields().to_vec();
            let (config, omitted) = match &key {
                Some(key) => (
                    key.export_fields(&record.plugin, &secrets, config.as_object()),
                    Vec::new(),
                ),
                None => {
                    let mut object = config.as_object().clone();
                    let omitted: Vec<String> = secrets
                        .iter()
                        .filter(|field| object.remove(*field).is_some())
                        .cloned()
                        .collect();
                    (object, omitted)
                }
            };
            json!({"plugin": record.plugin, "config": config, "omittedSecrets": omitted})
        }
    };
    Ok(Json(json!({
        "format": EXPORT_FORMAT,
        "tenant": tenant,
        "exportedAt": crate::limits::now_unix_ms(),
        "connector": connector,
    }))
    .into_response())
}

/// The body of `POST /import`: an export document.
#[derive(Debug, Deserialize)]
struct ImportBody {
    format: String,
    connector: Option<ImportConnector>,
}

/// The connector of an export document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportConnector {
    plugin: String,
    config: Map<String, Value>,
    /// Secret fields the export left out; the importer types them into
    /// `config` (validation names any still missing).
    #[serde(default)]
    #[allow(dead_code)]
    omitted_secrets: Vec<String>,
}

async fn import(
    State(app): Shared,
    Extension(principal): Extension<Principal>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let tenant = tenant_of(&params, &principal)?;
    let key = export_key(&headers)?;
    let document: ImportBody = parse_body(&body)?;
    if document.format != EXPORT_FORMAT {
        return Err(ApiError::bad_request(
            "invalid_body",
            format!("`format` must be `{EXPORT_FORMAT}` (a document from GET /export)"),
        ));
    }
    let Some(ImportConnector { plugin, config, .. }) = document.connector else {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the document has no connector to import",
        ));
    };
    let secrets = app
        .runtime
        .plugin(&plugin)
        .map(|loaded| loaded.secret_fields().to_vec())
        .unwrap_or_default();
    let config = SecretKey::import_fields(key.as_ref(), &plugin, &secrets, &config).map_err(|error| {
        ApiError::bad_request(
            "invalid_export_key",
            format!("{error}; send the export's key in `Smshost-Export-Key`, or type the secret"),
        )
    })?;
    save_connector(&app, &tenant, &principal, plugin, config, None).await
}
