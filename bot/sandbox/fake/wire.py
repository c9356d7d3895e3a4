"""The fake's HTTP side: hosts, recorded requests, parsed requests, Discord's error bodies."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

API_PREFIX = "/api/v10"
HOSTS = frozenset(
    {"discord.com", "gateway.discord.gg", "cdn.discordapp.com", "media.discordapp.net"}
)
DISCORD_EPOCH_MS = 1_420_070_400_000


def _json_default(o: Any) -> Any:
    if isinstance(o, bytes):
        return base64.b64encode(o).decode()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(data: Any) -> str:
    return json.dumps(data, default=_json_default, separators=(",", ":"))


# ---------------------------------------------------------------------------------------
# Recorded requests, faults, state


@dataclass
class RecordedRequest:
    """One request the bot made to the fake, as it arrived."""

    method: str
    route: str  # the template, e.g. "/channels/{channel_id}/messages" (no /api/v10 prefix)
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]]
    status: int = 0
    path: str = ""
    at: float = 0.0

    def param(self, name: str) -> int:
        """A path parameter as an int (snowflakes)."""
        return int(self.params[name])


@dataclass
class ParsedRequest:
    """A parsed incoming request handed to a route handler."""

    method: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]]
    raw: web.Request


class FakeHTTPError(Exception):
    """Raised by a handler to answer with a Discord error body."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


Handler = Callable[[ParsedRequest], Awaitable[web.StreamResponse]]


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer with the exact content type discord.py parses."""
    # Exactly "application/json": discord.py parses a body as JSON only then, and aiohttp's
    # json_response adds "; charset=utf-8".
    h = {"Content-Type": "application/json"}
    if headers:
        h.update(headers)
    return web.Response(body=dumps(data).encode(), status=status, headers=h)


def no_content() -> web.Response:
    """204, as Discord answers deletes and most PUTs."""
    return web.Response(status=204)


def error_response(status: int, code: int, message: str, errors: Any = None) -> web.Response:
    """Discord's error body: message, code and, for form errors, the per-field errors."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return json_response(body, status)
