"""The OpenAI wire format the fake server speaks: its default answer and the requests OpenAI refuses."""

from __future__ import annotations

import json
import re
from typing import Any


def default_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A schema-valid answer naming the entity of the request's data block (what the model adds)."""
    text = "\n".join(str(m.get("content") or "") for m in body.get("messages") or [] if isinstance(m, dict))
    label = _json_string_after(text, "label") or "the entity"
    key = _json_string_after(text, "config_name") or "config.unknown"
    return {
        "user_story": f"As a site builder, I want {label}, so that the site has it.",
        "approach": f"Build {label} ({key}) as the spec describes, then export the configuration with drush cex.",
        "gotchas": [f"Clear the caches after changing {label}"],
        "extra_acceptance_criteria": [{"given": "an editor", "when": f"they open {label}",
                                       "then": "it shows no error"}],
        "extra_checks": [f"{label} is listed in the admin UI", f"Saving {label} shows no error"],
        "risks": [f"Existing content may need a review after {label} changes"],
        "open_questions": [f"Who owns {label} after launch?"],
        "estimate": "S",
        "estimate_reason": "",
    }


def _json_string_after(text: str, name: str) -> str:
    match = re.search(rf'"{name}":\s*"((?:[^"\\]|\\.)*)"', text)
    return json.loads(f'"{match[1]}"') if match else ""


def request_problem(body: dict[str, Any], *, models: list[str], reject_json_schema: bool,
                    ) -> tuple[int, dict[str, str], bytes] | None:
    """What OpenAI would refuse before answering: unknown model, bad response_format."""
    model = body.get("model")
    if model not in models:
        return error(404, f"The model `{model}` does not exist or you do not have access to it.",
                      code="model_not_found")
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        if reject_json_schema:
            return error(400, "response_format of type json_schema is not supported by this server",
                          param="response_format")
        spec = fmt.get("json_schema") or {}
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(spec.get("name", ""))) or "schema" not in spec:
            return error(400, "Invalid 'response_format.json_schema': a name and a schema are required",
                          param="response_format")
        if spec.get("strict") and (reason := _strict_problem(spec["schema"])):
            return error(400, f"Invalid schema for response_format '{spec['name']}': {reason}",
                          param="response_format")
    elif fmt.get("type") == "json_object":
        said_json = any("json" in str(m.get("content") or "").lower() for m in body.get("messages") or [])
        if not said_json:
            return error(400, "'messages' must contain the word 'json' in some form, to use 'response_format' of "
                               "type 'json_object'.", param="messages")
    return None


def _strict_problem(schema: Any, where: str = "root") -> str:
    if not isinstance(schema, dict):
        return ""
    if schema.get("type") == "object":
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            return f"In context={where}, 'additionalProperties' is required to be supplied and to be false."
        if sorted(schema.get("required") or []) != sorted(props):
            return f"In context={where}, 'required' is required to be supplied and to be an array including every key."
        for name, sub in props.items():
            if reason := _strict_problem(sub, f"{where}.{name}"):
                return reason
    if schema.get("type") == "array":
        return _strict_problem(schema.get("items"), f"{where}[]")
    return ""


def error(status: int, message: str, *, code: str | None = None, param: str | None = None,
           ) -> tuple[int, dict[str, str], bytes]:
    body = {"error": {"message": message, "type": error_type(status), "param": param, "code": code}}
    return status, {}, json.dumps(body).encode()


def error_type(status: int) -> str:
    return {401: "invalid_request_error", 429: "rate_limit_error"}.get(
        status, "server_error" if status >= 500 else "invalid_request_error")
