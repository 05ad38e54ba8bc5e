//! The OpenAPI document (`GET /v1/openapi.json`) against the real daemon:
//! it is OpenAPI 3.1, it lists exactly the routes the router in
//! `host/daemon/src/api.rs` serves (read from its source, and from the
//! list below, so a route added without documenting it fails here), and
//! every documented operation is served, answers one of its documented
//! statuses with a JSON body, and asks for the token it documents.

use serde_json::{Value, json};
use smshost_tests::mocks::http_sms;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The router's source, parsed for its `.route("…", …)` calls.
const API_RS: &str = include_str!("../../host/daemon/src/api.rs");
/// The document as compiled into the daemon.
const OPENAPI: &str = include_str!("../../host/daemon/src/openapi.json");

/// Every route of the router, both tenant forms: keep in step with
/// `api.rs` (the test compares the two) and with the document.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/plugins"),
    ("GET", "/v1/plugins/{id}/logo"),
    ("GET", "/v1/tenants"),
    ("GET", "/v1/connectors/sms"),
    ("PUT", "/v1/connectors/sms"),
    ("DELETE", "/v1/connectors/sms"),
    ("POST", "/v1/connectors/sms/test"),
    ("GET", "/v1/connectors/sms/history"),
    ("POST", "/v1/messages"),
    ("GET", "/v1/messages"),
    ("GET", "/v1/export"),
    ("POST", "/v1/import"),
    ("GET", "/v1/tenants/{tenant}/connectors/sms"),
    ("PUT", "/v1/tenants/{tenant}/connectors/sms"),
    ("DELETE", "/v1/tenants/{tenant}/connectors/sms"),
    ("POST", "/v1/tenants/{tenant}/connectors/sms/test"),
    ("GET", "/v1/tenants/{tenant}/connectors/sms/history"),
    ("POST", "/v1/tenants/{tenant}/messages"),
    ("GET", "/v1/tenants/{tenant}/messages"),
    ("GET", "/v1/tenants/{tenant}/export"),
    ("POST", "/v1/tenants/{tenant}/import"),
];

/// The routes without a token.
const PUBLIC: &[&str] = &["/healthz", "/readyz", "/metrics", "/v1/openapi.json"];

/// An obviously fake admin token, preset through `SMSHOST_ADMIN_TOKEN`.
const ADMIN_TOKEN: &str = "smsh_openapi-test-token-not-a-secret-000000000";

type Routes = BTreeSet<(String, String)>;

fn owned(routes: &[(&str, &str)]) -> Routes {
    routes
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect()
}

/// Each `.route("PATH", …)` call of `api.rs` with its methods, placed as
/// the router places it: the tenant routes under `/v1` and under
/// `/v1/tenants/{tenant}`, the protected ones under `/v1`, the rest as
/// written. Fails if the router's shape changes in a way this reading
/// does not know, so the list cannot silently go stale.
fn routes_in_source(source: &str) -> Routes {
    let router = source
        .split("pub(crate) fn router(")
        .nth(1)
        .and_then(|rest| rest.split("\nasync fn ").next())
        .expect("api.rs has `pub(crate) fn router(`");
    for shape in [
        ".merge(tenant_routes.clone())",
        ".nest(\"/tenants/{tenant}\", tenant_routes)",
        ".nest(\"/v1\", protected)",
    ] {
        assert!(
            router.contains(shape),
            "the router no longer has `{shape}`: update routes_in_source and ROUTES"
        );
    }
    let mut routes = Routes::new();
    // Three statements: `let tenant_routes = …;`, `let protected = …;`,
    // then the outer router.
    for statement in router.split(";\n") {
        let prefixes: &[&str] = if statement.contains("let tenant_routes") {
            &["/v1", "/v1/tenants/{tenant}"]
        } else if statement.contains("let protected") {
            &["/v1"]
        } else {
            &[""]
        };
        for call in statement.split(".route(").skip(1) {
            let path = call
                .trim_start()
                .strip_prefix('"')
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("a route whose path is not a literal: {call}"));
            let mut methods = Vec::new();
            for method in ["get", "put", "post", "delete", "patch"] {
                let pattern = format!("{method}(");
                let called = call.match_indices(&pattern).any(|(at, _)| {
                    let before = call[..at].chars().next_back().unwrap_or(' ');
                    !(before.is_ascii_alphanumeric() || before == '_')
                });
                if called {
                    methods.push(method.to_ascii_uppercase());
                }
            }
            assert!(!methods.is_empty(), "no method found for route `{path}` in api.rs");
            for prefix in prefixes {
                for method in &methods {
                    routes.insert((method.clone(), format!("{prefix}{path}")));
                }
            }
        }
    }
    routes
}

fn document() -> Value {
    serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
}

fn routes_in_document(doc: &Value) -> Routes {
    let mut routes = Routes::new();
    for (path, item) in doc["paths"].as_object().expect("`paths` is an object") {
        for (method, _) in item.as_object().expect("a path item is an object") {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                routes.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// Resolves a local `$ref` (`#/components/...`) once.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => doc
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolved $ref {pointer}")),
        None => value,
    }
}

#[test]
fn the_document_is_openapi_3_1_and_lists_exactly_the_routers_routes() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1."), "OpenAPI {version}, not 3.1");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    let listed = owned(ROUTES);
    let source = routes_in_source(API_RS);
    let mut documented = routes_in_document(&doc);
    // The front doors have their own router (doors/mod.rs) and suite
    // (tests/doors.rs): here only that both their forms are documented.
    let doors: Routes = documented
        .iter()
        .filter(|(_, path)| path.contains("/hooks/"))
        .cloned()
        .collect();
    for method in ["GET", "PUT", "DELETE", "POST"] {
        for path in ["/v1/hooks/{server}", "/v1/tenants/{tenant}/hooks/{server}"] {
            assert!(
                doors.contains(&(method.to_string(), path.to_string())),
                "{method} {path} is not documented"
            );
        }
    }
    documented.retain(|(_, path)| !path.contains("/hooks/"));
    assert_eq!(
        source, listed,
        "api.rs's routes (left) and ROUTES in this test (right) differ: update ROUTES and openapi.json"
    );
    assert_eq!(
        documented, listed,
        "openapi.json's operations (left) and the router's routes (right) differ"
    );

    // Every $ref resolves, every operation documents its answers with a
    // body, and security is the bearer scheme except on the public routes.
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    let text = OPENAPI;
    for (at, _) in text.match_indices("\"$ref\": \"") {
        let pointer = &text[at + 9..];
        let pointer = &pointer[..pointer.find('"').expect("closing quote")];
        assert!(
            doc.pointer(pointer.trim_start_matches('#')).is_some(),
            "unresolved $ref {pointer}"
        );
    }
    for (method, path) in &documented {
        let operation = &doc["paths"][path][method.to_ascii_lowercase()];
        assert!(operation["operationId"].is_string(), "{method} {path}: no operationId");
        let public = PUBLIC.contains(&path.as_str());
        assert_eq!(
            operation.get("security") == Some(&json!([])),
            public,
            "{method} {path}: only {PUBLIC:?} go without the bearer token"
        );
        let responses = operation["responses"].as_object().expect("responses");
        if !public {
            assert!(responses.contains_key("401"), "{method} {path}: 401 not documented");
        }
        for (status, response) in responses {
            let response = resolve(&doc, response);
            assert!(
                response["content"].is_object(),
                "{method} {path} {status}: no body documented"
            );
            if status.starts_with('4') || status.starts_with('5') {
                let schema = resolve(&doc, &response["content"]["application/json"]["schema"]);
                assert_eq!(
                    schema, &doc["components"]["schemas"]["Error"],
                    "{method} {path} {status}: errors use the shared Error schema"
                );
            }
        }
        if path.contains("{tenant}") {
            let parameters = operation["parameters"].as_array().expect("parameters");
            assert!(
                parameters.iter().any(|p| resolve(&doc, p)["name"] == "tenant"),
                "{method} {path}: the tenant parameter is not documented"
            );
        }
    }
    for (status, header) in [
        ("429", "Retry-After"),
        ("409", "Retry-After"),
        ("503", "Retry-After"),
        ("200", "Idempotent-Replayed"),
    ] {
        let response = resolve(&doc, &doc["paths"]["/v1/messages"]["post"]["responses"][status]);
        assert!(
            response["headers"][header].is_object(),
            "POST /v1/messages {status}: `{header}` not documented"
        );
    }
    for method in ["get", "put"] {
        let response = &doc["paths"]["/v1/connectors/sms"][method]["responses"]["200"];
        assert!(response["headers"]["ETag"].is_object(), "{method} connector: no ETag");
    }
}

#[test]
fn the_route_reader_notices_an_undocumented_route() {
    // The check above must be able to fail: a router with one route more.
    let patched = API_RS.replace(
        ".route(\"/export\", get(export))",
        ".route(\"/export\", get(export))\n        .route(\"/undocumented\", post(export))",
    );
    assert_ne!(patched, API_RS, "the route this test patches in moved");
    let routes = routes_in_source(&patched);
    assert!(routes.contains(&("POST".to_string(), "/v1/undocumented".to_string())));
    assert!(routes.contains(&("POST".to_string(), "/v1/tenants/{tenant}/undocumented".to_string())));
    assert_ne!(routes, owned(ROUTES));
}

/// The daemon as a child process, stopped when dropped.
struct Daemon {
    child: Child,
    base: String,
    _dir: TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("smshost-openapi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp folder");
    TempDir(dir)
}

/// Starts `smshost serve` on a free loopback port with two plugins.
fn start_daemon(dir: TempDir) -> Daemon {
    let plugins = dir.0.join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugin folder");
    for name in ["http_sms", "twilio"] {
        std::fs::copy(smshost_tests::wasm(name), plugins.join(format!("{name}.wasm"))).expect("copy a plugin");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_smshost-cli"))
        // The http-sms probe sends to a plain-HTTP mock on loopback.
        .args(["--allow-private-networks", "--allow-http"])
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.0.join("data"))
        .arg("--plugin-dir")
        .arg(&plugins)
        .env("SMSHOST_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("SMSHOST_LOG", "warn")
        .env_remove("SMSHOST_STORE")
        .env_remove("SMSHOST_CONFIG")
        .env_remove("SMSHOST_SECRET_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start smshost serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("serving on ").nth(1) {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let base = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(base) => base,
        Err(_) => {
            let _ = child.kill();
            panic!("smshost serve did not print `serving on` within 120 s");
        }
    };
    Daemon { child, base, _dir: dir }
}

/// A request that the operation accepts or refuses, but that reaches its
/// handler.
fn probe_body(method: &str, path: &str, endpoint: &str) -> Option<Value> {
    let connector = json!({"plugin": "http-sms", "config": {"endpoint": endpoint}});
    match (method, path.rsplit('/').next().unwrap_or_default()) {
        ("PUT", "sms") => Some(connector),
        ("POST", "test") => Some(json!({"plugin": "http-sms", "config": {"endpoint": endpoint}, "to": "+4520123456"})),
        ("POST", "messages") => {
            Some(json!({"to": "+4520123456", "usageType": "SignIn", "payload": {"code": "123456"}}))
        }
        ("POST", "import") => Some(json!({"format": "smshost-export/1", "connector": connector})),
        _ => None,
    }
}

#[tokio::test]
async fn every_documented_operation_is_served_as_documented() {
    let (mock, _mode) = http_sms(None).await;
    let endpoint = format!("{}/sms", mock.url());
    let daemon = start_daemon(temp_dir("served"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");

    // The served document is the one in the source tree.
    let served = client
        .get(format!("{}/v1/openapi.json", daemon.base))
        .send()
        .await
        .expect("GET openapi.json");
    assert_eq!(served.status(), 200);
    assert!(
        served
            .headers()
            .get("content-type")
            .is_some_and(|value| value.to_str().unwrap_or_default().starts_with("application/json"))
    );
    let served: Value = serde_json::from_str(&served.text().await.expect("body")).expect("served JSON");
    let doc = document();
    assert_eq!(served, doc);

    // Give both tenant forms an active connector first, so reads answer 200.
    for prefix in ["/v1", "/v1/tenants/dev"] {
        let response = client
            .put(format!("{}{prefix}/connectors/sms", daemon.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&probe_body("PUT", "/connectors/sms", &endpoint).expect("a body"))
            .send()
            .await
            .expect("PUT");
        assert_eq!(response.status(), 200, "PUT {prefix}/connectors/sms");
    }

    let mut seen = Vec::new();
    for (method, path) in routes_in_document(&doc) {
        if path.contains("/hooks/") {
            // Each door answers in its auth server's shape: tests/doors.rs.
            continue;
        }
        let operation = &doc["paths"][&path][method.to_ascii_lowercase()];
        let url = format!(
            "{}{}",
            daemon.base,
            path.replace("{tenant}", "dev").replace("{id}", "http-sms")
        );
        let verb = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        for authorized in [true, false] {
            let mut request = client.request(verb.clone(), &url);
            if authorized {
                request = request.bearer_auth(ADMIN_TOKEN);
            }
            if let Some(body) = probe_body(&method, &path, &endpoint) {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let text = response.text().await.expect("body");
            let public = PUBLIC.contains(&path.as_str());
            if !authorized {
                if public {
                    continue;
                }
                assert_eq!(status, 401, "{method} {path} without a token: {text}");
                let body: Value = serde_json::from_str(&text).expect("a JSON 401");
                assert_eq!(body["code"], "unauthorized");
                continue;
            }
            let body: Option<Value> = serde_json::from_str(&text).ok();
            let code = body.as_ref().and_then(|body| body["code"].as_str()).unwrap_or_default();
            assert!(
                !(status == 405 || status == 404 && (code == "not_found" || code.is_empty())),
                "{method} {path}: the router does not serve it ({status} {text})"
            );
            assert!(
                operation["responses"].get(status.to_string()).is_some(),
                "{method} {path}: answered {status}, which the document does not list: {text}"
            );
            if path == "/metrics" {
                assert!(content_type.starts_with("text/plain"), "{content_type}");
            } else if path.ends_with("/logo") && status == 200 {
                assert_eq!(content_type, "image/svg+xml");
            } else {
                assert!(
                    content_type.starts_with("application/json") && body.is_some(),
                    "{method} {path}: {status} without a JSON body: {content_type} {text}"
                );
            }
            if status >= 400 {
                assert!(
                    body.as_ref()
                        .is_some_and(|body| body["code"].is_string() && body["message"].is_string()),
                    "{method} {path}: the error is not {{code, message}}: {text}"
                );
            }
            seen.push(format!("{method} {path} -> {status} {code}"));
        }
    }
    println!("{}", seen.join("\n"));
    assert_eq!(seen.len(), ROUTES.len(), "{seen:#?}");

    // The fallbacks are what the check above tells apart.
    let missing = client
        .get(format!("{}/v1/no-such-route", daemon.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(missing.status(), 404);
    let missing: Value = serde_json::from_str(&missing.text().await.expect("body")).expect("JSON");
    assert_eq!(missing["code"], "not_found");
    let wrong = client
        .patch(format!("{}/v1/connectors/sms", daemon.base))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(wrong.status(), 405);
}
