"""Sinch SMS connector, in Python: POST
https://{region}.sms.api.sinch.com/xms/v1/{servicePlanId}/batches with
``Authorization: Bearer {apiToken}`` and a JSON body ``{to, from, body}``.
Built with componentize-py by ../../sdk/python/build.py (see README.md).
"""

import json
import re

from wit_world import exports
from wit_world.imports import types

from smshost_connector import (
    TEMPLATES_SCHEMA,
    ErrorCode,
    invalid_config,
    invalid_response,
    json_body,
    metadata,
    parse_config,
    provider_error,
    request,
    template_content,
)

REGIONS = ("us", "eu", "au", "br", "ca")

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["servicePlanId", "apiToken", "templates"],
    "properties": {
        "servicePlanId": {"type": "string", "description": "Service plan ID from the Sinch dashboard (SMS > APIs)."},
        "apiToken": {"type": "string", "writeOnly": True, "description": "API token of that service plan."},
        "from": {"type": "string", "description": "Sender: a Sinch number in E.164, a short code or an alphanumeric id."},
        "region": {"type": "string", "enum": list(REGIONS), "default": "us", "description": "The API region of the service plan."},
        "templates": TEMPLATES_SCHEMA,
    },
}


def sinch_config(text):
    """The config, checked: every refusal names its field."""
    config = parse_config(text, {"servicePlanId": "string", "apiToken": "string", "from": "string?", "region": "string?"})
    if not re.fullmatch(r"[A-Za-z0-9]+", config["servicePlanId"]):
        raise invalid_config("servicePlanId", "must be letters and digits only")
    region = config.get("region") or "us"
    if region not in REGIONS:
        raise invalid_config("region", f"must be one of {', '.join(REGIONS)}")
    config["region"] = region
    return config


def sinch_error(response):
    """Sinch answers 400 and 403 with ``{"code", "text"}``; 401 often with no JSON at all."""
    body = json_body(response)
    body = body if isinstance(body, dict) else {}
    code = body.get("code") if isinstance(body.get("code"), str) else None
    text = body.get("text") or body.get("message")
    if response.status == 403 and code in ("insufficient_credit", "out_of_credit"):
        return provider_error(response.status, text, code, ErrorCode.USAGE_LIMIT_EXCEEDED, False)
    return provider_error(response.status, text if isinstance(text, str) else None, code)


class Connector(exports.Connector):
    def metadata(self):
        return metadata(
            id="sinch-sms",
            name="Sinch SMS",
            description="Sends SMS through the Sinch SMS REST API (written in Python).",
            version="0.1.0",
            config_schema=CONFIG_SCHEMA,
            origins=[f"https://{region}.sms.api.sinch.com" for region in REGIONS],
        )

    def validate_config(self, config):
        sinch_config(config)

    def send(self, config, message):
        config = sinch_config(config)
        body = {"to": [message.to], "body": template_content(message)}
        if config.get("from"):
            body["from"] = config["from"]
        response = request(
            "POST",
            f"https://{config['region']}.sms.api.sinch.com/xms/v1/{config['servicePlanId']}/batches",
            [("authorization", f"Bearer {config['apiToken']}")],
            body,
        )
        if not 200 <= response.status <= 299:
            raise sinch_error(response)
        batch = json_body(response)
        if not isinstance(batch, dict) or not isinstance(batch.get("id"), str):
            raise invalid_response(response.status, "no batch `id`")
        summary = [("status", str(response.status))]
        if isinstance(batch.get("type"), str):
            summary.append(("type", batch["type"]))
        return types.Receipt(provider_message_id=batch["id"], summary=summary)
