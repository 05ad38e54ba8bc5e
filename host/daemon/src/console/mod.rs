//! The web console at `/console`: sign in with a token, then the Logto
//! flow — connectors, set up a provider (its README, a form from its
//! config schema, the templates as JSON with a live preview), test send,
//! save, delete — plus the send records and tenants (switch, copy
//! configuration). Plain HTML, CSS and JavaScript modules embedded in the
//! binary: no build step, nothing loaded from elsewhere.
//!
//! The pages' script calls the `/v1` API with the session cookie (see
//! [`session`]); the console adds only what a browser needs besides it:
//! sign-in and sign-out, the session's CSRF token, a plugin's README
//! rendered safely ([`markdown`]) and a template preview rendered by the
//! library's own template code, so the preview is what a send renders.

mod markdown;
pub(crate) mod session;

use crate::app::App;
use crate::auth;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use smshost::UsageType;
use smshost::template::{REQUIRED_USAGE_TYPES, check_templates, render_entry, select};
use std::sync::Arc;

pub(crate) use session::Sessions;

type Shared = State<Arc<App>>;

/// Every console page's policy: scripts, styles, images and requests from
/// this origin only; no inline script, no framing, forms post here only.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The page frame: header, navigation, `{main}` and the page's module.
const LAYOUT: &str = include_str!("assets/layout.html");
const SIGN_IN: &str = include_str!("assets/sign-in.html");

/// A signed-in page: its title, its body and its script module.
struct Page {
    title: &'static str,
    nav: &'static str,
    main: &'static str,
    script: &'static str,
}

const CONNECTORS: Page = Page {
    title: "SMS connector",
    nav: "connectors",
    main: include_str!("assets/connectors.html"),
    script: "connectors.js",
};
const SETUP: Page = Page {
    title: "Set up a provider",
    nav: "connectors",
    main: include_str!("assets/setup.html"),
    script: "setup.js",
};
const MESSAGES: Page = Page {
    title: "Messages",
    nav: "messages",
    main: include_str!("assets/messages.html"),
    script: "messages.js",
};
const TENANTS: Page = Page {
    title: "Tenants",
    nav: "tenants",
    main: include_str!("assets/tenants.html"),
    script: "tenants.js",
};

/// The static files under `/console/assets/`.
fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    const JS: &str = "text/javascript; charset=utf-8";
    Some(match name {
        "console.css" => ("text/css; charset=utf-8", include_str!("assets/console.css")),
        "icon.svg" => ("image/svg+xml", include_str!("assets/icon.svg")),
        "common.js" => (JS, include_str!("assets/common.js")),
        "schema-form.js" => (JS, include_str!("assets/schema-form.js")),
        "connectors.js" => (JS, include_str!("assets/connectors.js")),
        "setup.js" => (JS, include_str!("assets/setup.js")),
        "messages.js" => (JS, include_str!("assets/messages.js")),
        "tenants.js" => (JS, include_str!("assets/tenants.js")),
        "sign-in.js" => (JS, include_str!("assets/sign-in.js")),
        _ => return None,
    })
}

/// The console's routes; merged into the daemon's router.
pub(crate) fn routes(app: Arc<App>) -> Router<Arc<App>> {
    let api = Router::new()
        .route("/console/api/plugins/{id}/readme", get(readme))
        .route("/console/api/preview", post(preview))
        .route_layer(middleware::from_fn_with_state(app, crate::api::authenticate));
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(|s: Shared, h: HeaderMap| page(s, h, &CONNECTORS)))
        .route("/console/setup", get(|s: Shared, h: HeaderMap| page(s, h, &SETUP)))
        .route(
            "/console/messages",
            get(|s: Shared, h: HeaderMap| page(s, h, &MESSAGES)),
        )
        .route("/console/tenants", get(|s: Shared, h: HeaderMap| page(s, h, &TENANTS)))
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/api/session", get(session_info))
        .route("/console/assets/{name}", get(serve_asset))
        .merge(api)
}

/// Headers every console page carries.
fn page_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin`, not `no-referrer`: under `no-referrer` Chromium sends
    // `Origin: null` on the sign-in form's POST, which the login-CSRF check
    // must refuse; other sites still get no referrer.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    page_headers(&mut response);
    response
}

/// The signed-in session of this request, if any (pages need no CSRF
/// token: a GET changes nothing).
async fn signed_in(app: &App, headers: &HeaderMap) -> Option<auth::Principal> {
    let id = session::cookie_value(headers)?;
    let session = app.sessions.touch(&id)?;
    session::principal(app, &session).await.ok()
}

fn to_sign_in() -> Response {
    let mut response = Redirect::to("/console/sign-in").into_response();
    page_headers(&mut response);
    response
}

async fn page(State(app): Shared, headers: HeaderMap, page: &'static Page) -> Response {
    if signed_in(&app, &headers).await.is_none() {
        return to_sign_in();
    }
    let body = LAYOUT
        .replace("{title}", page.title)
        .replace("{script}", page.script)
        .replace(&format!("data-nav=\"{}\"", page.nav), "aria-current=\"page\"")
        .replace("{main}", page.main);
    html(StatusCode::OK, body)
}

fn sign_in_html(error: Option<&str>) -> String {
    let error = error
        .map(|text| format!("<p class=\"error\" role=\"alert\" id=\"sign-in-error\">{text}</p>"))
        .unwrap_or_default();
    SIGN_IN.replace("{error}", &error)
}

async fn sign_in_page(State(app): Shared, headers: HeaderMap) -> Response {
    if signed_in(&app, &headers).await.is_some() {
        let mut response = Redirect::to("/console/").into_response();
        page_headers(&mut response);
        return response;
    }
    html(StatusCode::OK, sign_in_html(None))
}

/// The sign-in form's body.
#[derive(Debug, Deserialize)]
struct SignInForm {
    token: String,
}

/// Whether a sign-in POST came from this console's own page, so another
/// site cannot sign a browser in with the attacker's token (login CSRF).
fn same_origin_post(headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|value| value.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                == Some(host)
        }
        (Some(_), None) => false,
    }
}

async fn sign_in(
    State(app): Shared,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !same_origin_post(&headers) {
        return html(
            StatusCode::FORBIDDEN,
            sign_in_html(Some("Sign in from this console's own page.")),
        );
    }
    let token = form.map(|Form(form)| form.token).unwrap_or_default();
    let token = token.trim();
    if token.is_empty() {
        return html(StatusCode::BAD_REQUEST, sign_in_html(Some("Paste a token to sign in.")));
    }
    let bearer = format!("Bearer {token}");
    match auth::authenticate(&*app.store, Some(&bearer)).await {
        Ok(principal) => {
            let id = app.sessions.open(token);
            tracing::info!(token_id = %principal.token_id, "console: signed in");
            let mut response = Redirect::to("/console/").into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, session::set_cookie(&id, &headers));
            page_headers(&mut response);
            response
        }
        Err(error) if error.status == StatusCode::UNAUTHORIZED => html(
            StatusCode::UNAUTHORIZED,
            sign_in_html(Some(
                "That token is not valid: it is mistyped, unknown or revoked. Tokens start with <code>smsh_</code>.",
            )),
        ),
        Err(_) => html(
            StatusCode::SERVICE_UNAVAILABLE,
            sign_in_html(Some("The daemon's store does not answer; try again shortly.")),
        ),
    }
}

async fn sign_out(State(app): Shared, headers: HeaderMap) -> Response {
    // Only the console's own script can sign out: CSRF as for the API.
    if let Err(error) = session::authenticate(&app, &axum::http::Method::POST, &headers).await
        && error.status == StatusCode::FORBIDDEN
    {
        return error.into_response();
    }
    if let Some(id) = session::cookie_value(&headers) {
        app.sessions.close(&id);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session::clear_cookie(&headers));
    response
}

/// What the console's script needs of its session.
async fn session_info(State(app): Shared, headers: HeaderMap) -> Result<Response, ApiError> {
    let id = session::cookie_value(&headers).ok_or_else(ApiError::unauthorized)?;
    let session = app.sessions.touch(&id).ok_or_else(ApiError::unauthorized)?;
    let principal = session::principal(&app, &session).await?;
    let admin = principal.tenant.is_none();
    let mut response = Json(json!({
        "tokenId": principal.token_id,
        "tenant": principal.tenant,
        "admin": admin,
        "csrfToken": session.csrf,
        "idleTimeoutSecs": session::IDLE_TIMEOUT.as_secs(),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn serve_asset(Path(name): Path<String>) -> Response {
    match asset(&name) {
        Some((content_type, body)) => {
            let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
            page_headers(&mut response);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        None => ApiError::not_found("not_found", "no such console file").into_response(),
    }
}

/// `GET /console/api/plugins/{id}/readme`: the plugin's README as safe
/// HTML, `null` for a plugin without one (contract 0.1).
async fn readme(State(app): Shared, Path(id): Path<String>) -> Result<Response, ApiError> {
    let plugin = app.runtime.plugin(&id).ok_or_else(|| {
        ApiError::not_found(
            "plugin_not_found",
            format!("no plugin with id `{}` is loaded", crate::error::clean(&id)),
        )
    })?;
    let html = plugin_readme(&plugin).map(|text| markdown::render(&text));
    Ok(Json(json!({"html": html, "contract": plugin.contract()})).into_response())
}

/// The README a plugin's metadata carries (contract 0.2), if any.
fn plugin_readme(plugin: &smshost::Plugin) -> Option<String> {
    plugin.metadata().readme.clone()
}

/// The body of `POST /console/api/preview`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    templates: Value,
    #[serde(default)]
    locale: Option<String>,
}

/// The code a preview shows.
const PREVIEW_CODE: &str = "123456";

/// `POST /console/api/preview`: for each usage type, the template entry a
/// send would pick and its fields as rendered, with the same code as the
/// library's sends (`smshost::template`); `problem` says what
/// `check_templates` refuses, as a save would.
async fn preview(
    Extension(_principal): Extension<auth::Principal>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: PreviewBody = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request("invalid_body", format!("the body is not valid: {error}")))?;
    let problem = check_templates(Some(&body.templates)).err();
    let entries: Vec<Value> = body.templates.as_array().cloned().unwrap_or_default();
    let locale = body.locale.filter(|locale| !locale.trim().is_empty());
    let mut payload = Map::new();
    payload.insert("code".into(), Value::String(PREVIEW_CODE.into()));
    if let Some(locale) = &locale {
        payload.insert("locale".into(), Value::String(locale.clone()));
    }
    let usage_types: Vec<Value> = UsageType::ALL
        .iter()
        .map(|usage| {
            let entry = select(&entries, *usage, locale.as_deref());
            let own = entry.is_some_and(|entry| entry.get("usageType").and_then(Value::as_str) == Some(usage.as_str()));
            json!({
                "usageType": usage.as_str(),
                "required": REQUIRED_USAGE_TYPES.contains(usage),
                "own": own,
                "rendered": entry.map(|entry| Value::Object(render_entry(entry, &payload))),
            })
        })
        .collect();
    Ok(Json(json!({"problem": problem, "code": PREVIEW_CODE, "usageTypes": usage_types})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn sign_in_posts_only_from_this_origin() {
        assert!(same_origin_post(&headers(&[
            ("host", "127.0.0.1:8787"),
            ("origin", "http://127.0.0.1:8787"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(same_origin_post(&headers(&[
            ("host", "sms.example.com"),
            ("origin", "https://sms.example.com")
        ])));
        // A client without Origin (curl, an old browser) is let through.
        assert!(same_origin_post(&headers(&[("host", "127.0.0.1:8787")])));
        assert!(!same_origin_post(&headers(&[
            ("host", "127.0.0.1:8787"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin_post(&headers(&[
            ("host", "127.0.0.1:8787"),
            ("origin", "http://127.0.0.1:8787.evil.example")
        ])));
        assert!(!same_origin_post(&headers(&[
            ("host", "127.0.0.1:8787"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin_post(&headers(&[("origin", "null")])));
    }

    #[test]
    fn every_page_and_asset_is_embedded() {
        for page in [&CONNECTORS, &SETUP, &MESSAGES, &TENANTS] {
            assert!(asset(page.script).is_some(), "{}", page.script);
            assert!(LAYOUT.contains(&format!("data-nav=\"{}\"", page.nav)), "{}", page.nav);
        }
        for file in ["console.css", "icon.svg", "common.js", "schema-form.js", "sign-in.js"] {
            assert!(asset(file).is_some(), "{file}");
        }
        assert!(asset("../mod.rs").is_none());
        // No inline script anywhere: the CSP would block it.
        for html in [
            LAYOUT,
            SIGN_IN,
            CONNECTORS.main,
            SETUP.main,
            MESSAGES.main,
            TENANTS.main,
        ] {
            assert!(
                !html.contains("<script>") && !html.contains(" onclick="),
                "inline script"
            );
        }
    }
}
