"""Request bodies (and, on demand, the fake's own answers) checked against Discord's OpenAPI.

The description is looked for at $RANKFILE_DISCORD_SPEC, else ../shared/discord-api-spec/
openapi.json beside the repository; when it or `jsonschema` is missing, validation is
skipped with one warning per process.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

from bot.sandbox.fake.wire import dumps

log = logging.getLogger("rankfile.fake_discord")

_SNOWFLAKE_TEXT = re.compile(r'"\d{15,20}"')

_SPEC_WARNED = False
_SPEC_CACHE: dict[str, SpecValidators] = {}

# Operations whose request bodies are checked against a named schema instead of the
# operation's own (the bulk PUT's items as ApplicationCommandCreateRequest; unions narrowed
# to the branch used).
_SCHEMA_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/applications/{application_id}/commands"): {
        "type": "array",
        "maxItems": 200,
        "items": {"$ref": "#/components/schemas/ApplicationCommandCreateRequest"},
    },
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): {
        "type": "array",
        "maxItems": 200,
        "items": {"$ref": "#/components/schemas/ApplicationCommandCreateRequest"},
    },
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): {
        "$ref": "#/components/schemas/IncomingWebhookRequestPartial"
    },
}
_CALLBACK_SCHEMAS = {
    4: "CreateMessageInteractionCallbackRequest",
    5: "CreateMessageInteractionCallbackRequest",
    6: "UpdateMessageInteractionCallbackRequest",
    7: "UpdateMessageInteractionCallbackRequest",
    8: "ApplicationCommandAutocompleteCallbackRequest",
    9: "ModalInteractionCallbackRequest",
}
_EVENT_SCHEMAS = {
    1: "StageScheduledEventCreateRequest",
    2: "VoiceScheduledEventCreateRequest",
    3: "ExternalScheduledEventCreateRequest",
}


def default_spec_path() -> Path:
    """Where Discord's OpenAPI file is looked for: $RANKFILE_DISCORD_SPEC, else ../shared."""
    env = os.environ.get("RANKFILE_DISCORD_SPEC")
    if env:
        return Path(env)
    return (
        Path(__file__).resolve().parents[3].parent / "shared" / "discord-api-spec" / "openapi.json"
    )


class SpecValidators:
    """Draft 2020-12 validators of request bodies, built once per spec file."""

    def __init__(self, spec: dict[str, Any]) -> None:
        import jsonschema

        self._jsonschema = jsonschema
        components = dict(spec["components"])
        schemas = dict(components["schemas"])
        # discord.py sends some snowflakes as ints (recipient_id, ids in options): accept both.
        schemas["SnowflakeType"] = {
            "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
        }
        components["schemas"] = schemas
        self._components = components
        self._paths = spec["paths"]
        self._verdicts: dict[tuple[str, str], list[str]] = {}
        self._cache: dict[Any, Any] = {}

    def _validator(self, schema: dict[str, Any]) -> Any:
        key = dumps(schema)
        v = self._cache.get(key)
        if v is None:
            v = self._jsonschema.Draft202012Validator({"components": self._components, **schema})
            self._cache[key] = v
        return v

    def schema_for(self, method: str, route: str, body: Any) -> dict[str, Any] | None:
        """The schema a body of this operation must match, or None when the spec has none."""
        if route == "/interactions/{interaction_id}/{interaction_token}/callback":
            name = _CALLBACK_SCHEMAS.get(body.get("type")) if isinstance(body, dict) else None
            return {"$ref": f"#/components/schemas/{name}"} if name else None
        if method == "POST" and route == "/guilds/{guild_id}/scheduled-events":
            et = body.get("entity_type") if isinstance(body, dict) else None
            name = _EVENT_SCHEMAS.get(et)  # type: ignore[arg-type]
            return {"$ref": f"#/components/schemas/{name}"} if name else None
        override = _SCHEMA_OVERRIDES.get((method, route))
        if override is not None:
            return override
        op = self._paths.get(route, {}).get(method.lower())
        if not op:
            return None
        return (
            op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )

    def _messages(self, schema: dict[str, Any], body: Any) -> list[str]:
        """Readable errors of ``body``; for a union at the root, those of the closest branch."""
        branches = schema.get("anyOf") or schema.get("oneOf")
        errors = list(self._validator(schema).iter_errors(body))
        if not errors:
            return []
        if branches:
            # "is not valid under any of the given schemas" says nothing: report the
            # branch with the fewest errors instead.
            per_branch = [list(self._validator(b).iter_errors(body)) for b in branches]
            errors = min(per_branch, key=len) or errors
        out = []
        for e in errors:
            leaf = self._jsonschema.exceptions.best_match([e])
            path = "$" + "".join(
                f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in leaf.absolute_path
            )
            msg = leaf.message
            if len(msg) > 200:
                # Keep the verdict ("is too long") and shorten the offending value.
                whole = repr(leaf.instance)
                msg = msg.replace(whole, whole[:40] + f"...({len(whole)} chars)")
                msg = msg[:300]
            out.append(f"{path}: {msg} [{leaf.validator}: {str(leaf.validator_value)[:80]}]")
        return out

    def validate(self, method: str, route: str, body: Any) -> list[str]:
        """Error messages of a request body, empty when valid or when no schema applies."""
        schema = self.schema_for(method, route, body)
        if schema is None:
            return []
        key = f"request {method} {route}"
        return [f"{method} {route}: {m}" for m in self._cached_messages(key, schema, body)]

    def validate_response(self, method: str, route: str, status: int, body: Any) -> list[str]:
        """Errors of one of the fake's own answers against the spec's response schema."""
        op = self._paths.get(route, {}).get(method.lower())
        if not op:
            return []
        resp = op.get("responses", {}).get(str(status), {})
        schema = resp.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return []
        key = f"answer {method} {route} {status}"
        return [
            f"answer to {method} {route}: {m}" for m in self._cached_messages(key, schema, body)
        ]

    def _cached_messages(self, kind: str, schema: dict[str, Any], body: Any) -> list[str]:
        # Every test syncs the same command list (seconds of oneOf checks): validate each
        # distinct body once per process.
        try:
            # Snowflakes differ from run to run but never change a verdict: fold them.
            text = json.dumps(body, sort_keys=True, default=str)
            key = (kind, _SNOWFLAKE_TEXT.sub('"0"', text))
        except (TypeError, ValueError):
            return self._messages(schema, body)
        if key not in self._verdicts:
            self._verdicts[key] = self._messages(schema, body)
        return list(self._verdicts[key])


def load_spec(path: Path | None) -> SpecValidators | None:
    global _SPEC_WARNED
    path = path or default_spec_path()
    key = str(path)
    if key in _SPEC_CACHE:
        return _SPEC_CACHE[key]
    if not path.exists():
        if not _SPEC_WARNED:
            _SPEC_WARNED = True
            msg = f"Discord's OpenAPI spec not found at {path}: request bodies are not validated"
            warnings.warn(msg, stacklevel=3)
            log.warning(msg)
        return None
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        if not _SPEC_WARNED:
            _SPEC_WARNED = True
            msg = "jsonschema is not installed: request bodies are not validated"
            warnings.warn(msg, stacklevel=3)
            log.warning(msg)
        return None
    with path.open(encoding="utf-8") as fh:
        spec = json.load(fh)
    validators = SpecValidators(spec)
    _SPEC_CACHE[key] = validators
    return validators
