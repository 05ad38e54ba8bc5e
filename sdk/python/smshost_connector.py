"""Helpers for smshost connectors written in Python (componentize-py).

The contract (wit/v0.2/connector.wit) in Python terms:

- The connector module defines ``class Connector(wit_world.exports.Connector)``
  with ``metadata(self)``, ``validate_config(self, config)`` and
  ``send(self, config, message)``.
- Records are dataclasses with snake_case fields (``types.ConnectorError``,
  ``message.client_ip``), enums are ``enum.Enum`` members
  (``types.ErrorCode.RATE_LIMIT_EXCEEDED``), ``option<T>`` is the value or
  ``None``, ``list<u8>`` is ``bytes``, variants are one class per case
  (``types.NetworkHost_Origin("https://...")``).
- A function returning ``result<T, connector-error>`` returns T for ``ok``.
  For ``err``, RAISE ``componentize_py_types.Err(types.ConnectorError(...))``;
  the helpers below build that exception (``raise connector_error(...)``).
  Any other exception escaping a method traps the component: the host
  reports a plugin failure (with the traceback from the guest's stderr),
  not the provider's error, so catch what you expect.
- A failed import raises ``Err`` too: ``http.send`` raises ``Err`` whose
  ``value`` is an ``HttpError_*`` case. ``request()`` turns it into a
  connector error.
- Import every module at the top of your files: componentize-py keeps only
  the modules imported while it builds the component.
"""

import json
import base64

from componentize_py_types import Err
from generated import EXAMPLE_CONFIG, README
from wit_world.imports import http, log, types

ErrorCode = types.ErrorCode

#: The JSON Schema of a ``templates`` field of text templates: one entry per
#: usage type, ``content`` holding ``{{code}}``.
TEMPLATES_SCHEMA = {
    "type": "array",
    "description": "One entry per usage type; Register, SignIn, ForgotPassword and Generic are required.",
    "items": {
        "type": "object",
        "required": ["usageType", "content"],
        "properties": {
            "usageType": {"type": "string"},
            "content": {"type": "string", "description": "The SMS text; `{{code}}` is the one-time code."},
            "locale": {"type": "string"},
        },
    },
}


def metadata(id, name, description, version, config_schema, origins, uses_templates=True, logo=None):
    """The connector's ``connector-metadata`` record. ``config_schema`` is a
    dict (serialised here), ``origins`` the HTTPS origins it sends to; the
    README and example config are the ones build.py embedded (generated.py)."""
    return types.ConnectorMetadata(
        id=id,
        name=name,
        description=description,
        version=version,
        config_schema=json.dumps(config_schema),
        network_hosts=[types.NetworkHost_Origin(origin) for origin in origins],
        uses_templates=uses_templates,
        readme=README,
        logo=logo,
        example_config=EXAMPLE_CONFIG,
    )


def connector_error(code, message, provider_code=None, http_status=None, retryable=False):
    """An ``Err`` carrying a ``connector-error`` record; ``raise`` it."""
    return Err(
        types.ConnectorError(
            code=code,
            message=str(message),
            provider_code=None if provider_code is None else str(provider_code),
            http_status=http_status,
            retryable=bool(retryable),
        )
    )


def invalid_config(field, reason):
    """An ``invalid-config`` error naming ``field``: "`authId` is required"."""
    return connector_error(ErrorCode.INVALID_CONFIG, f"`{field}` {reason}")


_TYPES = {"string": str, "boolean": bool, "number": (int, float)}


def parse_config(text, fields=None):
    """Parses the config text and checks ``fields``, a dict of
    ``name -> "string" | "string?" | "boolean?" | "number?"``. A missing or
    mistyped field raises an ``invalid-config`` error naming it."""
    try:
        config = json.loads(text)
    except ValueError:
        raise connector_error(ErrorCode.INVALID_CONFIG, "the config is not valid JSON")
    if not isinstance(config, dict):
        raise connector_error(ErrorCode.INVALID_CONFIG, "the config must be a JSON object")
    for name, spec in (fields or {}).items():
        optional = spec.endswith("?")
        kind = spec.rstrip("?")
        value = config.get(name)
        if value is None:
            if not optional:
                raise invalid_config(name, "is required")
            continue
        if not isinstance(value, _TYPES[kind]) or (kind == "number" and isinstance(value, bool)):
            raise invalid_config(name, f"must be a {kind}")
        if kind == "string" and not optional and not value.strip():
            raise invalid_config(name, "must not be empty")
    return config


def template_content(message):
    """The rendered template's text (``content``, Logto's field) for this message."""
    if message.template is None:
        raise connector_error(ErrorCode.TEMPLATE_NOT_FOUND, "no template was selected for this message")
    entry = json.loads(message.template)
    content = entry.get("content") if isinstance(entry, dict) else None
    if not isinstance(content, str) or not content:
        raise connector_error(ErrorCode.TEMPLATE_NOT_FOUND, "the selected template has no `content`")
    return content


def basic_auth(user, password):
    """The ``Authorization`` value for HTTP Basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def error_for_status(status):
    """The (error code, retryable) an HTTP status means when the provider's
    body says nothing more specific: 401/403 credentials, 402 balance, 429
    throttling, 400/404/422 the request, 408 and 5xx retryable."""
    if status in (401, 403):
        return ErrorCode.AUTHORIZATION_FAILED, False
    if status == 402:
        return ErrorCode.USAGE_LIMIT_EXCEEDED, False
    if status == 429:
        return ErrorCode.RATE_LIMIT_EXCEEDED, True
    if status in (400, 404, 422):
        return ErrorCode.INVALID_REQUEST_PARAMETERS, False
    if status == 408 or status >= 500:
        return ErrorCode.GENERAL, True
    return ErrorCode.GENERAL, False


def provider_error(status, message=None, provider_code=None, code=None, retryable=None):
    """An ``Err`` for a provider's non-2xx answer: code and retryability from
    ``error_for_status`` unless given, with the provider's own message and code."""
    fallback_code, fallback_retryable = error_for_status(status)
    text = f"HTTP {status}: {_truncate(message, 300)}" if message else f"the provider answered HTTP {status}"
    return connector_error(
        fallback_code if code is None else code,
        text,
        provider_code=provider_code,
        http_status=status,
        retryable=fallback_retryable if retryable is None else retryable,
    )


def _truncate(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def request(method, url, headers=(), body=b""):
    """Sends one request through the host. ``body`` may be bytes, a str or
    a dict/list (sent as JSON with ``content-type: application/json``).
    Returns the ``http.Response``; transport failures raise a connector
    error (``general``, retryable for timeouts and connect errors)."""
    headers = list(headers)
    if isinstance(body, str):
        body = body.encode()
    elif isinstance(body, (dict, list)):
        body = json.dumps(body, separators=(",", ":")).encode()
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("content-type", "application/json"))
    try:
        return http.send(http.Request(method=method, url=url, headers=headers, body=body))
    except Err as error:
        raise _transport_error(error.value)


def _transport_error(failure):
    name = type(failure).__name__.removeprefix("HttpError_")
    detail = getattr(failure, "value", None)
    text = f"HTTP request failed ({name.lower()}{'' if detail is None else ': ' + str(detail)})"
    retryable = isinstance(failure, (http.HttpError_Timeout, http.HttpError_Connect, http.HttpError_Other))
    return connector_error(ErrorCode.GENERAL, text, retryable=retryable)


def json_body(response):
    """The response body as JSON, or ``None`` when it is not JSON (an
    unreadable body: callers decide what that means for their status)."""
    try:
        return json.loads(bytes(response.body).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def invalid_response(status, what):
    """An ``invalid-response`` error: a 2xx answer the connector cannot read."""
    return connector_error(ErrorCode.INVALID_RESPONSE, f"the provider answered HTTP {status} with {what}", http_status=status)


def write_log(level, message):
    """Writes one log line through the host (never secrets, codes or numbers);
    ``level`` is ``log.Level.INFO`` etc."""
    log.write(level, message)
