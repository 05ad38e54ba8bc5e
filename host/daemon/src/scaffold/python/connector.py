"""__NAME__: an smshost SMS connector in Python.

It posts each message as JSON to https://api.example.com/v1/messages with a
bearer token: replace the URL, the body and the answer handling with your
provider's API, and keep the shape (metadata, validate_config, send).
Failures are raised connector errors (see smshost_connector.py): any other
exception traps the component. Import every module at the top.
"""

import json

from wit_world import exports
from wit_world.imports import types

from smshost_connector import (
    TEMPLATES_SCHEMA,
    invalid_response,
    json_body,
    metadata,
    parse_config,
    provider_error,
    request,
    template_content,
)

API = "https://api.example.com"

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiKey", "sender", "templates"],
    "properties": {
        "apiKey": {"type": "string", "writeOnly": True, "description": "API key from the provider console."},
        "sender": {"type": "string", "description": "Sender number (E.164) or alphanumeric id."},
        "templates": TEMPLATES_SCHEMA,
    },
}


def read_config(text):
    return parse_config(text, {"apiKey": "string", "sender": "string"})


class Connector(exports.Connector):
    def metadata(self):
        return metadata(
            id="__ID__",
            name="__NAME__",
            description="Sends SMS through the Example provider API.",
            version="0.1.0",
            config_schema=CONFIG_SCHEMA,
            origins=[API],
        )

    def validate_config(self, config):
        read_config(config)

    def send(self, config, message):
        config = read_config(config)
        response = request(
            "POST",
            f"{API}/v1/messages",
            [("authorization", f"Bearer {config['apiKey']}")],
            {"from": config["sender"], "to": message.to, "text": template_content(message)},
        )
        answer = json_body(response)
        answer = answer if isinstance(answer, dict) else {}
        if not 200 <= response.status <= 299:
            raise provider_error(response.status, answer.get("message"), answer.get("code"))
        if not isinstance(answer.get("id"), str):
            raise invalid_response(response.status, "no message `id`")
        return types.Receipt(provider_message_id=answer["id"], summary=[("status", str(answer.get("status", response.status)))])
