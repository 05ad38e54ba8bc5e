// Plivo SMS connector, in JavaScript: POST
// https://api.plivo.com/v1/Account/{authId}/Message/ with HTTP Basic
// `authId:authToken` and a JSON body `{src | powerpack_uuid, dst, text}`.
// Built with componentize-js by ../../sdk/js/build.mjs (see README.md).

import {
  ErrorCode,
  TEMPLATES_SCHEMA,
  basicAuth,
  invalidConfig,
  invalidResponse,
  jsonBody,
  metadata,
  parseConfig,
  providerError,
  request,
  templateContent,
} from './smshost.js';

const API = 'https://api.plivo.com';

const CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['authId', 'authToken', 'templates'],
  properties: {
    authId: { type: 'string', description: 'Auth ID from the Plivo console (MA… or SA…).' },
    authToken: { type: 'string', writeOnly: true, description: 'Auth token from the Plivo console.' },
    senderId: { type: 'string', description: 'Sender: a Plivo number in E.164 or an alphanumeric sender id (`src`).' },
    powerpackUuid: { type: 'string', description: 'A Powerpack that picks the sender (`powerpack_uuid`), instead of senderId.' },
    templates: TEMPLATES_SCHEMA,
  },
};

/** The config, checked: every refusal names its field. */
function plivoConfig(text) {
  const config = parseConfig(text, {
    authId: 'string',
    authToken: 'string',
    senderId: 'string?',
    powerpackUuid: 'string?',
  });
  if (!/^[A-Za-z0-9]+$/.test(config.authId)) throw invalidConfig('authId', 'must be letters and digits only');
  if (!config.senderId && !config.powerpackUuid) throw invalidConfig('senderId', 'or `powerpackUuid` is required');
  if (config.senderId && config.powerpackUuid) {
    throw invalidConfig('powerpackUuid', 'cannot be used together with `senderId`');
  }
  return config;
}

/** Plivo's error body is `{"api_id", "error"}`; `error` is a string or an object of field errors. */
function plivoError(response) {
  const body = jsonBody(response);
  const detail = body && body.error;
  const message = typeof detail === 'string' ? detail : detail ? JSON.stringify(detail) : undefined;
  if (response.status === 400 && message && /insufficient|credit|balance/i.test(message)) {
    return providerError(response.status, { message, code: ErrorCode.USAGE_LIMIT_EXCEEDED, retryable: false });
  }
  return providerError(response.status, { message });
}

export const connector = {
  metadata() {
    return metadata({
      id: 'plivo-sms',
      name: 'Plivo SMS',
      description: 'Sends SMS through the Plivo Message API (written in JavaScript).',
      version: '0.1.0',
      configSchema: CONFIG_SCHEMA,
      origins: [API],
    });
  },

  validateConfig(config) {
    plivoConfig(config);
  },

  send(configText, message) {
    const config = plivoConfig(configText);
    const body = { dst: message.to, text: templateContent(message) };
    if (config.powerpackUuid) body.powerpack_uuid = config.powerpackUuid;
    else body.src = config.senderId;
    const response = request({
      method: 'POST',
      url: `${API}/v1/Account/${encodeURIComponent(config.authId)}/Message/`,
      headers: [['authorization', basicAuth(config.authId, config.authToken)]],
      body,
    });
    if (response.status < 200 || response.status > 299) throw plivoError(response);
    const answer = jsonBody(response);
    const uuids = answer && answer.message_uuid;
    if (!Array.isArray(uuids) || typeof uuids[0] !== 'string') {
      throw invalidResponse(response.status, 'no `message_uuid`');
    }
    const summary = [['status', typeof answer.message === 'string' ? answer.message : 'queued']];
    if (typeof answer.api_id === 'string') summary.push(['apiId', answer.api_id]);
    return { providerMessageId: uuids[0], summary };
  },
};

