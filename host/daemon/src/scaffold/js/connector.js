// __NAME__: an smshost SMS connector in JavaScript.
//
// It posts each message as JSON to https://api.example.com/v1/messages with
// a bearer token: replace the URL, the body and the answer handling with
// your provider's API, and keep the shape (metadata, validateConfig, send).
// Failures are thrown `ConnectorError`s (see smshost.js): anything else
// thrown traps the component.

import {
  TEMPLATES_SCHEMA,
  invalidResponse,
  jsonBody,
  metadata,
  parseConfig,
  providerError,
  request,
  templateContent,
} from './smshost.js';

const API = 'https://api.example.com';

const CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['apiKey', 'sender', 'templates'],
  properties: {
    apiKey: { type: 'string', writeOnly: true, description: 'API key from the provider console.' },
    sender: { type: 'string', description: 'Sender number (E.164) or alphanumeric id.' },
    templates: TEMPLATES_SCHEMA,
  },
};

function readConfig(text) {
  return parseConfig(text, { apiKey: 'string', sender: 'string' });
}

export const connector = {
  metadata() {
    return metadata({
      id: '__ID__',
      name: '__NAME__',
      description: 'Sends SMS through the Example provider API.',
      version: '0.1.0',
      configSchema: CONFIG_SCHEMA,
      origins: [API],
    });
  },

  validateConfig(config) {
    readConfig(config);
  },

  send(configText, message) {
    const config = readConfig(configText);
    const response = request({
      method: 'POST',
      url: `${API}/v1/messages`,
      headers: [['authorization', `Bearer ${config.apiKey}`]],
      body: { from: config.sender, to: message.to, text: templateContent(message) },
    });
    const answer = jsonBody(response);
    if (response.status < 200 || response.status > 299) {
      throw providerError(response.status, { message: answer && answer.message, providerCode: answer && answer.code });
    }
    if (!answer || typeof answer.id !== 'string') throw invalidResponse(response.status, 'no message `id`');
    return { providerMessageId: answer.id, summary: [['status', String(answer.status ?? response.status)]] };
  },
};

