"""An HTTP SMS connector in Python, built with componentize-py.

It posts {"to", "type", "payload", "ip"?} as JSON to the configured
`endpoint`, with the optional `authorization` header, like the Rust
`http-sms` plugin. Import everything at module top: componentize-py only
keeps the modules imported while it builds the component.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import http, log, types

USAGE_NAMES = {
    types.UsageType.SIGN_IN: "SignIn",
    types.UsageType.REGISTER: "Register",
    types.UsageType.FORGOT_PASSWORD: "ForgotPassword",
    types.UsageType.ORGANIZATION_INVITATION: "OrganizationInvitation",
    types.UsageType.GENERIC: "Generic",
    types.UsageType.USER_PERMISSION_VALIDATION: "UserPermissionValidation",
    types.UsageType.BIND_NEW_IDENTIFIER: "BindNewIdentifier",
    types.UsageType.MFA_VERIFICATION: "MfaVerification",
    types.UsageType.BIND_MFA: "BindMfa",
}


def failure(code, message, status=None, retryable=False):
    return Err(types.ConnectorError(code=code, message=message, provider_code=None,
                                    http_status=status, retryable=retryable))


def parse_config(text):
    try:
        config = json.loads(text)
    except ValueError:
        raise failure(types.ErrorCode.INVALID_CONFIG, "invalid config: the config is not valid JSON")
    endpoint = config.get("endpoint") if isinstance(config, dict) else None
    if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
        raise failure(types.ErrorCode.INVALID_CONFIG, "invalid config: `endpoint` must be an http(s) URL")
    authorization = config.get("authorization")
    if authorization is not None and not isinstance(authorization, str):
        raise failure(types.ErrorCode.INVALID_CONFIG, "invalid config: `authorization` must be a string")
    return endpoint, authorization


class Connector(exports.Connector):
    def metadata(self):
        schema = {
            "type": "object",
            "required": ["endpoint"],
            "properties": {
                "endpoint": {"type": "string", "format": "uri"},
                "authorization": {"type": "string", "writeOnly": True},
            },
        }
        return types.ConnectorMetadata(
            id="python-http-sms",
            name="HTTP SMS (Python)",
            description="Posts each message to your HTTP endpoint; written in Python.",
            version="0.1.0",
            config_schema=json.dumps(schema),
            network_hosts=[types.NetworkHost_ConfigUrl("endpoint")],
            uses_templates=False,
        )

    def validate_config(self, config):
        parse_config(config)

    def send(self, config, message):
        endpoint, authorization = parse_config(config)
        body = {"to": message.to, "type": USAGE_NAMES[message.usage], "payload": json.loads(message.payload)}
        if message.client_ip:
            body["ip"] = message.client_ip
        headers = [("content-type", "application/json")]
        if authorization:
            headers.append(("authorization", authorization))
        request = http.Request(method="POST", url=endpoint, headers=headers,
                               body=json.dumps(body, separators=(",", ":")).encode())
        try:
            response = http.send(request)
        except Err as error:
            raise failure(types.ErrorCode.GENERAL, f"transport error: {error.value}", retryable=True)
        if response.status // 100 != 2:
            text = bytes(response.body).decode("utf-8", "replace")[:300]
            code = types.ErrorCode.RATE_LIMIT_EXCEEDED if response.status == 429 else types.ErrorCode.GENERAL
            raise failure(code, f"HTTP {response.status}: {text}", response.status, response.status >= 500)
        log.write(log.Level.INFO, "endpoint accepted the message")
        return types.Receipt(provider_message_id=None, summary=[("status", str(response.status))])
