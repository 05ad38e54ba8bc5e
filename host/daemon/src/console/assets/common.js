// Shared by every signed-in page: the session (its CSRF token), the tenant
// being worked on, calls to the /v1 API, plain-words errors and small DOM
// helpers. Text from the daemon, plugins and providers only ever reaches
// the page as text (textContent), never as markup.

let session = null;

/** Where the browser goes without a session. */
function toSignIn() {
  location.assign("/console/sign-in");
  return new Promise(() => {}); // the page is leaving
}

/** Loads this browser's session: its token's tenant and CSRF token. */
export async function loadSession() {
  const response = await fetch("/console/api/session", { credentials: "same-origin" });
  if (response.status === 401) return toSignIn();
  session = await response.json();
  return session;
}

const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Whether `text` is a tenant id the daemon accepts. */
export function validTenant(text) {
  return TENANT.test(text);
}

/** The tenant this page works on: `?tenant=` (admin), the token's own (tenant token), else `default`. */
export function currentTenant() {
  if (session && session.tenant) return session.tenant;
  const wanted = new URLSearchParams(location.search).get("tenant");
  return wanted && validTenant(wanted) ? wanted : "default";
}

/** The API prefix of `tenant`. */
export function tenantBase(tenant = currentTenant()) {
  return tenant === "default" ? "/v1" : `/v1/tenants/${encodeURIComponent(tenant)}`;
}

/** A console URL for `path` keeping the tenant, plus `params`. */
export function consoleUrl(path, params = {}, tenant = currentTenant()) {
  const url = new URL(path, location.origin);
  if (tenant !== "default" && !(session && session.tenant)) url.searchParams.set("tenant", tenant);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.pathname + url.search;
}

/** An error answer of the API: `status` and its `{code, message, ...}` body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || "error";
  }
}

/** Calls the API with the session cookie (and CSRF token when it changes something). */
export async function api(method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = session.csrfToken;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, { code: "unreachable", message: "The daemon does not answer. Is it running?" });
  }
  if (response.status === 401) return toSignIn();
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { code: "invalid_response", message: text.slice(0, 300) };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, response };
}

/** What the provider said about itself: " (provider code 20003, HTTP 401)". */
function providerDetails(body) {
  const details = [];
  if (body.providerCode) details.push(`provider code ${body.providerCode}`);
  if (body.httpStatus) details.push(`HTTP ${body.httpStatus}`);
  return details.length ? ` (${details.join(", ")})` : "";
}

/** What went wrong, in plain words, for a person. */
export function plainError(error) {
  if (!(error instanceof ApiError)) return String((error && error.message) || error);
  const body = error.body;
  const message = body.message || "";
  const provider = providerDetails(body);
  const retry = body.retryable ? " Trying again later may work." : "";
  switch (error.code) {
    case "invalid_config":
      return provider
        ? `The provider refused these settings: ${message}${provider}.`
        : `The configuration was refused: ${message}`;
    case "template_not_found":
      return `No template fits: ${message}`;
    case "invalid_phone_number":
      return `That phone number is not valid: ${message}. Use the international form, e.g. +14155552671.`;
    case "plugin_not_found":
      return `That provider's plugin is not loaded in this daemon: ${message}`;
    case "plugin_failed":
      return `The provider's plugin failed (${body.failure || "error"}): ${message}${retry}`;
    case "version_conflict":
      return `Someone changed the connector meanwhile: ${message}. Reload the page to see the current one.`;
    case "csrf_failed":
      return "The console's session check failed. Reload the page and try again.";
    case "forbidden":
      return `Your token does not reach this tenant: ${message}`;
    case "store_unavailable":
      return "The daemon's store does not answer right now; nothing was changed. Try again shortly.";
    case "unreachable":
      return message;
    default:
      if (provider || error.status === 502) return `The provider refused: ${message}${provider}.${retry}`;
      return message ? `${message} (${error.code})` : `The daemon answered HTTP ${error.status}.`;
  }
}

/** Makes an element; `children` are nodes or strings (as text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Shows `text` in the page's status line (announced to screen readers). */
export function say(text, kind = "info") {
  const status = document.getElementById("page-status");
  if (!status) return;
  status.textContent = text;
  status.dataset.kind = kind;
}

/** A time in Unix milliseconds as local date and time. */
export function when(ms) {
  if (ms === null || ms === undefined) return "";
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** Common start of a signed-in page: session, tenant label, links, sign-out. */
export async function startPage() {
  await loadSession();
  const tenant = currentTenant();
  const name = document.getElementById("tenant-name");
  if (name) name.textContent = tenant;
  for (const link of document.querySelectorAll("a[data-tenant-link], a[aria-current]")) {
    const path = new URL(link.href).pathname;
    link.href = consoleUrl(path);
  }
  const signOut = document.getElementById("sign-out");
  if (signOut) {
    signOut.addEventListener("click", async () => {
      await fetch("/console/sign-out", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": session.csrfToken },
      });
      location.assign("/console/sign-in");
    });
  }
  return session;
}

/** The loaded plugins (`GET /v1/plugins`). */
export async function plugins() {
  const { data } = await api("GET", "/v1/plugins");
  return data.plugins;
}

/** The tenant's active connector, or null when none is set. */
export async function activeConnector(tenant = currentTenant()) {
  try {
    const { data, response } = await api("GET", `${tenantBase(tenant)}/connectors/sms`);
    return { ...data, etag: response.headers.get("ETag") };
  } catch (error) {
    if (error instanceof ApiError && error.code === "no_active_connector") return null;
    throw error;
  }
}
