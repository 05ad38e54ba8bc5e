// Helpers for smshost connectors written in JavaScript (componentize-js).
//
// The contract (wit/v0.2/connector.wit) in JavaScript terms:
// - Import the host's HTTP with `import { send } from 'smshost:connector/http@0.2.0'`
//   (the version is part of the specifier). This module does it for you.
// - Export `export const connector = { metadata, validateConfig, send }`.
// - Records are objects with camelCase fields (`providerMessageId`), enums
//   are kebab-case strings (`'rate-limit-exceeded'`), `option<T>` is the
//   value or `undefined`, `list<u8>` a `Uint8Array`, variants `{ tag, val }`.
// - A function returning `result<T, connector-error>` returns T for `ok`.
//   For `err`, THROW a `ConnectorError` (below): componentize-js lowers a
//   thrown object that has its own `payload` property into the `err` arm,
//   and that payload must be a complete `connector-error` record
//   `{ code, message, providerCode, httpStatus, retryable }`. Throwing
//   anything else (an `Error`, a string, an object without `payload`)
//   traps the component: the host reports a plugin failure, not the
//   provider's error.
// - A failed import throws too: `send` throws an object whose `payload`
//   is the `http-error` variant. `request()` below turns it into a
//   `ConnectorError`.
// - Everything runs at build time once (top-level code) and per call
//   after; keep top-level code free of I/O.

import { send as httpSend } from 'smshost:connector/http@0.2.0';
import { write as logWrite } from 'smshost:connector/log@0.2.0';
import { EXAMPLE_CONFIG, README } from './generated.js';

/** The JSON Schema of a `templates` field of text templates: one entry per usage type, `content` holding `{{code}}`. */
export const TEMPLATES_SCHEMA = Object.freeze({
  type: 'array',
  description: 'One entry per usage type; Register, SignIn, ForgotPassword and Generic are required.',
  items: {
    type: 'object',
    required: ['usageType', 'content'],
    properties: {
      usageType: { type: 'string' },
      content: { type: 'string', description: 'The SMS text; `{{code}}` is the one-time code.' },
      locale: { type: 'string' },
    },
  },
});

/**
 * The connector's `connector-metadata` record. `configSchema` is an object
 * (serialised here), `origins` the HTTPS origins it sends to; the README and
 * example config are the ones build.mjs embedded (generated.js).
 */
export function metadata({ id, name, description, version, configSchema, origins, usesTemplates = true, logo }) {
  return {
    id,
    name,
    description,
    version,
    configSchema: JSON.stringify(configSchema),
    networkHosts: origins.map((origin) => ({ tag: 'origin', val: origin })),
    usesTemplates,
    readme: README,
    logo,
    exampleConfig: EXAMPLE_CONFIG,
  };
}

/** The `error-code` enum of the contract. */
export const ErrorCode = Object.freeze({
  INVALID_CONFIG: 'invalid-config',
  TEMPLATE_NOT_FOUND: 'template-not-found',
  RATE_LIMIT_EXCEEDED: 'rate-limit-exceeded',
  USAGE_LIMIT_EXCEEDED: 'usage-limit-exceeded',
  INVALID_RESPONSE: 'invalid-response',
  INVALID_REQUEST_PARAMETERS: 'invalid-request-parameters',
  AUTHORIZATION_FAILED: 'authorization-failed',
  GENERAL: 'general',
});

const KNOWN_CODES = new Set(Object.values(ErrorCode));

/**
 * A connector failure, thrown to return the `err` arm of a result.
 * `payload` is the WIT `connector-error` record; it is what the host sees.
 */
export class ConnectorError extends Error {
  /**
   * @param {string} code one of `ErrorCode`
   * @param {string} message a human sentence, never a secret
   * @param {{ providerCode?: string, httpStatus?: number, retryable?: boolean }} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    const safeCode = KNOWN_CODES.has(code) ? code : ErrorCode.GENERAL;
    Object.defineProperty(this, 'payload', {
      enumerable: true,
      value: {
        code: safeCode,
        message: String(message),
        providerCode: details.providerCode === undefined || details.providerCode === null ? undefined : String(details.providerCode),
        httpStatus: Number.isInteger(details.httpStatus) ? details.httpStatus : undefined,
        retryable: Boolean(details.retryable),
      },
    });
  }
}

/** An `invalid-config` error naming `field`: "`authId` is required". */
export function invalidConfig(field, reason) {
  return new ConnectorError(ErrorCode.INVALID_CONFIG, `\`${field}\` ${reason}`);
}

/**
 * Parses the config text and checks `fields`: `{ name: 'string' | 'string?' | 'boolean?' }`.
 * A missing or mistyped field throws an `invalid-config` error naming it.
 * Returns the parsed object.
 */
export function parseConfig(text, fields = {}) {
  let config;
  try {
    config = JSON.parse(text);
  } catch {
    throw new ConnectorError(ErrorCode.INVALID_CONFIG, 'the config is not valid JSON');
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConnectorError(ErrorCode.INVALID_CONFIG, 'the config must be a JSON object');
  }
  for (const [name, spec] of Object.entries(fields)) {
    const optional = spec.endsWith('?');
    const type = optional ? spec.slice(0, -1) : spec;
    const value = config[name];
    if (value === undefined || value === null) {
      if (!optional) throw invalidConfig(name, 'is required');
      continue;
    }
    if (typeof value !== type) throw invalidConfig(name, `must be a ${type}`);
    if (type === 'string' && !optional && value.trim() === '') throw invalidConfig(name, 'must not be empty');
  }
  return config;
}

/** The rendered template's text (`content`, Logto's field) for this message. */
export function templateContent(message) {
  if (message.template === undefined || message.template === null) {
    throw new ConnectorError(ErrorCode.TEMPLATE_NOT_FOUND, 'no template was selected for this message');
  }
  const entry = JSON.parse(message.template);
  if (typeof entry.content !== 'string' || entry.content === '') {
    throw new ConnectorError(ErrorCode.TEMPLATE_NOT_FOUND, 'the selected template has no `content`');
  }
  return entry.content;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 of UTF-8 text or bytes. */
export function base64(input) {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63] : '=';
  }
  return out;
}

/** The `Authorization` value for HTTP Basic auth. */
export function basicAuth(user, password) {
  return `Basic ${base64(`${user}:${password}`)}`;
}

/**
 * The error code and retryability an HTTP status means when the provider's
 * body says nothing more specific: 401/403 credentials, 402 balance,
 * 429 throttling, 400/404/422 the request, 408 and 5xx retryable.
 */
export function errorForStatus(status) {
  if (status === 401 || status === 403) return { code: ErrorCode.AUTHORIZATION_FAILED, retryable: false };
  if (status === 402) return { code: ErrorCode.USAGE_LIMIT_EXCEEDED, retryable: false };
  if (status === 429) return { code: ErrorCode.RATE_LIMIT_EXCEEDED, retryable: true };
  if (status === 400 || status === 404 || status === 422) {
    return { code: ErrorCode.INVALID_REQUEST_PARAMETERS, retryable: false };
  }
  if (status === 408 || status >= 500) return { code: ErrorCode.GENERAL, retryable: true };
  return { code: ErrorCode.GENERAL, retryable: false };
}

/**
 * A `ConnectorError` for a provider's non-2xx answer: `code` and
 * `retryable` from `errorForStatus` unless given, the provider's own
 * message and code when it sent them.
 */
export function providerError(status, { message, providerCode, code, retryable } = {}) {
  const fallback = errorForStatus(status);
  const text = message ? `HTTP ${status}: ${truncate(message, 300)}` : `the provider answered HTTP ${status}`;
  return new ConnectorError(code ?? fallback.code, text, {
    providerCode,
    httpStatus: status,
    retryable: retryable ?? fallback.retryable,
  });
}

function truncate(text, max) {
  const value = String(text);
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}

/**
 * Sends one request through the host. `body` may be a string, bytes or an
 * object (sent as JSON with `content-type: application/json`). Returns
 * `{ status, headers, body, text() }`; transport failures throw a
 * `ConnectorError` (`general`, retryable for timeouts and connect errors).
 */
export function request({ method = 'POST', url, headers = [], body = new Uint8Array() }) {
  let bytes = body;
  const allHeaders = [...headers];
  if (typeof body === 'string') {
    bytes = new TextEncoder().encode(body);
  } else if (!(body instanceof Uint8Array)) {
    bytes = new TextEncoder().encode(JSON.stringify(body));
    if (!allHeaders.some(([name]) => name.toLowerCase() === 'content-type')) {
      allHeaders.push(['content-type', 'application/json']);
    }
  }
  let response;
  try {
    response = httpSend({ method, url, headers: allHeaders, body: bytes });
  } catch (error) {
    throw transportError(error);
  }
  return {
    status: response.status,
    headers: response.headers,
    body: response.body,
    text: () => new TextDecoder().decode(response.body),
  };
}

function transportError(error) {
  const failure = error && error.payload;
  if (!failure || typeof failure.tag !== 'string') {
    return new ConnectorError(ErrorCode.GENERAL, 'the HTTP request failed', { retryable: true });
  }
  const detail = failure.val === undefined ? '' : `: ${failure.val}`;
  const retryable = failure.tag === 'timeout' || failure.tag === 'connect' || failure.tag === 'other';
  return new ConnectorError(ErrorCode.GENERAL, `HTTP request failed (${failure.tag}${detail})`, { retryable });
}

/**
 * The response body as JSON, or `undefined` when it is not JSON (an
 * unreadable body: callers decide what that means for their status).
 */
export function jsonBody(response) {
  try {
    return JSON.parse(response.text());
  } catch {
    return undefined;
  }
}

/** An `invalid-response` error: a 2xx answer the connector cannot read. */
export function invalidResponse(status, what) {
  return new ConnectorError(ErrorCode.INVALID_RESPONSE, `the provider answered HTTP ${status} with ${what}`, {
    httpStatus: status,
    retryable: false,
  });
}

/** Writes one log line through the host (never secrets, codes or numbers). */
export function log(level, message) {
  logWrite(level, message);
}
