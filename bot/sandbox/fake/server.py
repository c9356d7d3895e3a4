"""A loopback fake of Discord: REST API, gateway websocket and CDN on 127.0.0.1.

The bot's real stack (discord.py, aiohttp, TLS) talks to it through the connector returned
by :meth:`FakeDiscord.connector`: its resolver sends Discord's hosts to the fake's port and
refuses every other host, and its SSL context trusts a throw-away certificate made at start.
Nothing in discord.py is patched. See shared/TESTING.md for the approach and its pitfalls.

Every request is recorded (:attr:`FakeDiscord.requests`); requests to routes the fake does
not know are answered 404 and listed in :attr:`FakeDiscord.unknown_routes`; JSON bodies are
validated against Discord's OpenAPI description when it is available
(:attr:`FakeDiscord.schema_errors`). Faults (429, 5xx, 403, slow answers) are injected with
:meth:`FakeDiscord.inject` and a Discord-like rate limiter is switched on with
:meth:`FakeDiscord.rate_limit`.

This module does not import discord.py: it speaks the wire protocol only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import logging
import os
import re
import secrets
import socket
import ssl
import tempfile
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

log = logging.getLogger("rankfile.fake_discord")

API_PREFIX = "/api/v10"
HOSTS = frozenset(
    {"discord.com", "gateway.discord.gg", "cdn.discordapp.com", "media.discordapp.net"}
)
DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_EVENTS = 1 << 44
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_PERMISSIONS = (
    DEFAULT_EVERYONE_PERMISSIONS
    | MANAGE_ROLES
    | MANAGE_MESSAGES
    | MANAGE_THREADS
    | MANAGE_EVENTS
    | CREATE_EVENTS
    | MENTION_EVERYONE
)

# Gateway intents that change what the fake sends.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12

EPHEMERAL = 1 << 6
LOADING = 1 << 7


_SNOWFLAKE_TEXT = re.compile(r'"\d{15,20}"')


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _json_default(o: Any) -> Any:
    if isinstance(o, bytes):
        return base64.b64encode(o).decode()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _dumps(data: Any) -> str:
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
class Fault:
    """An injected answer for the next ``times`` matching requests."""

    method: str
    route: str
    status: int | None
    times: int = 1
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None
    is_global: bool = False
    delay: float | None = None


@dataclass
class FakeUser:
    """A Discord user known to the fake."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The user object as Discord sends it."""
        d: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "avatar_decoration_data": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "primary_guild": None,
            "collectibles": None,
        }
        if self.bot:
            d["bot"] = True
        return d


@dataclass
class FakeRole:
    """A guild role."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    bot_id: int | None = None
    mentionable: bool = False
    color: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The role object as Discord sends it."""
        d: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            d["tags"] = {"bot_id": str(self.bot_id)}
        return d


@dataclass
class FakeChannel:
    """A guild channel, thread or DM channel."""

    id: int
    name: str
    type: int = GUILD_TEXT
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    # [{"id": role_or_member_id, "type": 0 role | 1 member, "allow": int, "deny": int}]
    permission_overwrites: list[dict[str, int]] = field(default_factory=list)
    recipient_id: int | None = None
    owner_id: int | None = None
    last_message_id: int | None = None

    def to_dict(self, fake: FakeDiscord | None = None) -> dict[str, Any]:
        """The channel object as Discord sends it."""
        if self.type == DM:
            rec = fake.users.get(self.recipient_id or 0) if fake else None
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": str(self.last_message_id) if self.last_message_id else None,
                "flags": 0,
                "recipients": [rec.to_dict()] if rec else [],
            }
        d: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "flags": 0,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "permission_overwrites": [
                {
                    "id": str(o["id"]),
                    "type": o["type"],
                    "allow": str(o.get("allow", 0)),
                    "deny": str(o.get("deny", 0)),
                }
                for o in self.permission_overwrites
            ],
        }
        if self.type in (PUBLIC_THREAD, PRIVATE_THREAD):
            d.update(
                owner_id=str(self.owner_id) if self.owner_id else None,
                last_message_id=str(self.last_message_id) if self.last_message_id else None,
                rate_limit_per_user=0,
                message_count=0,
                member_count=1,
                total_message_sent=0,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": _now_iso(),
                    "locked": False,
                    "create_timestamp": _now_iso(),
                },
            )
            del d["permission_overwrites"]
            del d["position"]
        elif self.type != GUILD_CATEGORY:
            d.update(
                topic=self.topic,
                nsfw=False,
                rate_limit_per_user=0,
                last_message_id=str(self.last_message_id) if self.last_message_id else None,
            )
        return d


@dataclass
class FakeMember:
    """A guild member: a user with roles in one guild."""

    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=_now_iso)


@dataclass
class FakeGuild:
    """A guild with its roles, channels, members and scheduled events."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    scheduled_events: dict[int, dict[str, Any]] = field(default_factory=dict)

    def role_named(self, name: str) -> FakeRole:
        """The role with this name (KeyError when none)."""
        for r in self.roles.values():
            if r.name == name or r.name == name.lstrip("@"):
                return r
        raise KeyError(name)

    def channel_named(self, name: str) -> FakeChannel:
        """The channel with this name (KeyError when none)."""
        for c in self.channels.values():
            if c.name == name.lstrip("#"):
                return c
        raise KeyError(name)


@dataclass
class DemoGuild:
    """Ids of the demo server made by :meth:`FakeDiscord.add_demo_guild`."""

    guild_id: int
    channels: dict[str, int]
    roles: dict[str, int]
    users: dict[str, int]
    bot_id: int
    bot_role_id: int

    @property
    def id(self) -> int:
        """The guild id."""
        return self.guild_id

    def channel(self, name: str) -> int:
        """A channel id by name (``general`` or ``#general``)."""
        return self.channels[name.lstrip("#")]

    def role(self, name: str) -> int:
        """A role id by name (``organizer`` or ``@organizer``)."""
        return self.roles[name.lstrip("@")]

    def user(self, name: str) -> int:
        """A user id by name (``alice`` or ``@alice``)."""
        return self.users[name.lstrip("@")]


@dataclass
class FakeInteraction:
    """An interaction the fake dispatched, and what the bot answered to it."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    seq: int = 0
    responded: bool = False
    response_type: int | None = None
    original_message_id: int | None = None  # the response message (types 4, 5)
    source_message_id: int | None = None  # the message a component was on
    followup_ids: list[int] = field(default_factory=list)
    autocomplete_choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None
    opener: FakeInteraction | None = None  # for a modal submit: the interaction that opened it


@dataclass
class _Req:
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


# ---------------------------------------------------------------------------------------
# TLS: one throw-away certificate per process, made with `cryptography`

_CERT_CACHE: tuple[str, str, bytes] | None = None


def _make_certificate() -> tuple[str, str, bytes]:
    """Return (cert_path, key_path, cert_pem) of a self-signed cert for Discord's hosts."""
    global _CERT_CACHE
    if _CERT_CACHE is not None and all(os.path.exists(p) for p in _CERT_CACHE[:2]):
        return _CERT_CACHE
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rankfile fake discord")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in sorted(HOSTS)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = tempfile.mkdtemp(prefix="rankfile-fake-tls-")
    cert_path = os.path.join(tmp, "cert.pem")
    key_path = os.path.join(tmp, "key.pem")
    Path(cert_path).write_bytes(cert_pem)
    Path(key_path).write_bytes(key_pem)
    os.chmod(key_path, 0o600)
    _CERT_CACHE = (cert_path, key_path, cert_pem)
    return _CERT_CACHE


class _FakeResolver(AbstractResolver):
    """Resolves Discord's hosts to the fake's port; refuses everything else."""

    def __init__(self, port: int) -> None:
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in HOSTS:
            # A bot must never reach the real internet from a test or the sandbox.
            raise OSError(f"fake Discord refuses to resolve {host!r}")
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self._port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


# ---------------------------------------------------------------------------------------
# Schema validation against Discord's OpenAPI description (jsonschema imported lazily)

_SPEC_WARNED = False
_SPEC_CACHE: dict[str, _SpecValidators] = {}

# Operations whose request bodies are checked against a named schema instead of the
# operation's own (the brief's choice for the bulk PUT; unions narrowed to the branch used).
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
        Path(__file__).resolve().parents[2].parent / "shared" / "discord-api-spec" / "openapi.json"
    )


class _SpecValidators:
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
        key = _dumps(schema)
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


def _load_spec(path: Path | None) -> _SpecValidators | None:
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
    validators = _SpecValidators(spec)
    _SPEC_CACHE[key] = validators
    return validators


# ---------------------------------------------------------------------------------------
# Rate limiter


@dataclass
class _Bucket:
    limit: int
    per: float
    remaining: int
    reset_at: float  # monotonic
    name: str


class _RateLimiter:
    """Fixed-window buckets per route and major parameter, plus a global per-second cap."""

    def __init__(
        self,
        global_per_second: int,
        route_limits: dict[str, tuple[int, float]],
        default_limit: tuple[int, float],
    ) -> None:
        self.global_per_second = global_per_second
        self.route_limits = route_limits
        self.default_limit = default_limit
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_window: list[float] = []

    def _limit_for(self, method: str, route: str) -> tuple[str, tuple[int, float]]:
        for key in (f"{method} {route}", route):
            if key in self.route_limits:
                return key, self.route_limits[key]
        return f"{method} {route}", self.default_limit

    def check(
        self, method: str, route: str, params: dict[str, str]
    ) -> tuple[dict[str, str], tuple[float, bool] | None]:
        """Return (headers, None) when allowed, or (headers, (retry_after, is_global))."""
        now = time.monotonic()
        key, (limit, per) = self._limit_for(method, route)
        major = next(
            (
                params[p]
                for p in ("channel_id", "guild_id", "webhook_id", "interaction_id")
                if p in params
            ),
            "",
        )
        bucket = self._buckets.get((key, major))
        if bucket is None or now >= bucket.reset_at:
            name = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
            bucket = _Bucket(limit, per, limit, now + per, name)
            self._buckets[(key, major)] = bucket
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Bucket": bucket.name,
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        }
        # Interaction callbacks are not bound by the global limit (Discord's documentation).
        if self.global_per_second and not route.startswith("/interactions/"):
            self._global_window = [t for t in self._global_window if now - t < 1.0]
            if len(self._global_window) >= self.global_per_second:
                retry = 1.0 - (now - self._global_window[0])
                headers["X-RateLimit-Remaining"] = str(bucket.remaining)
                headers["X-RateLimit-Global"] = "true"
                headers["X-RateLimit-Scope"] = "global"
                return headers, (max(retry, 0.001), True)
        if bucket.remaining <= 0:
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Scope"] = "user"
            return headers, (max(reset_after, 0.001), False)
        bucket.remaining -= 1
        if self.global_per_second and not route.startswith("/interactions/"):
            self._global_window.append(now)
        headers["X-RateLimit-Remaining"] = str(bucket.remaining)
        return headers, None


# ---------------------------------------------------------------------------------------
# The fake


Handler = Callable[[_Req], Awaitable[web.StreamResponse]]


class FakeDiscord:
    """A loopback fake of Discord's REST API, gateway and CDN.

    Use as ``async with FakeDiscord() as fake:`` or ``await fake.start()`` /
    ``await fake.close()``. Build the bot with ``connector=fake.connector()`` and log in
    with :attr:`token`.
    """

    def __init__(
        self,
        *,
        application_id: int | None = None,
        bot_name: str = "rankfile",
        spec_path: Path | str | None = None,
        validate: bool = True,
        heartbeat_interval_ms: int = 41_250,
    ) -> None:
        self._ids = itertools.count(1)
        self._id_base = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self.application_id = application_id or self.snowflake()
        self.token = "fake." + secrets.token_urlsafe(24)
        self.bot_user = FakeUser(self.application_id, bot_name, None, bot=True)
        self.users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}  # by recipient user id
        self.messages: dict[int, list[dict[str, Any]]] = {}  # by channel id, oldest first
        self._messages_by_id: dict[int, dict[str, Any]] = {}
        self._nonces: dict[tuple[int, str], int] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # None: global
        self._command_ids: dict[tuple[int | None, int, str], int] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        self.open_modals: dict[int, FakeInteraction] = {}  # by user id
        self._modal_openers: dict[int, FakeInteraction] = {}
        self.cdn: dict[str, tuple[bytes, str]] = {}  # path -> (bytes, content type)
        self.demo: DemoGuild | None = None  # the first demo guild made

        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.schema_errors: list[str] = []
        # The fake's own answers checked against the spec (keeps the fake honest; tests).
        self.validate_responses = False
        self.response_errors: list[str] = []
        self.count_429 = 0
        self.inflight = 0
        self._faults: list[Fault] = []
        self._pending_events: list[tuple[str, dict[str, Any]]] = []
        self._limiter: _RateLimiter | None = None
        self._validate = validate
        self._spec_path = Path(spec_path) if spec_path else None
        self._spec: _SpecValidators | None = None

        # gateway
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.gateway_timeout = 5.0  # how long drop_gateway waits for the bot to come back
        self.intents = 0
        self.session_id: str | None = None
        self.seq = 0
        self._sent_events: list[dict[str, Any]] = []
        self._ws: web.WebSocketResponse | None = None
        self._ws_ready = asyncio.Event()
        self.gateway_connects = 0
        self.identify_count = 0
        self.resume_count = 0
        self.heartbeats = 0
        self.presence_updates: list[dict[str, Any]] = []

        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self.port = 0
        self._cert_pem = b""
        self._routes: list[tuple[str, str, Handler]] = []
        self._register_routes()

    # -- ids ------------------------------------------------------------------------------

    def snowflake(self) -> int:
        """A fresh, increasing snowflake (its timestamp is the fake's start time)."""
        return self._id_base + next(self._ids)

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on 127.0.0.1 (random port) with TLS; load the schema validators."""
        cert_path, key_path, self._cert_pem = _make_certificate()
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert_path, key_path)
        if self._validate:
            self._spec = _load_spec(self._spec_path)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for method, template, handler in self._routes:
            app.router.add_route(
                method, API_PREFIX + template, self._wrap(method, template, handler)
            )
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._unknown)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/{tail:.*}", self._cdn_get)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock, ssl_context=server_ctx)
        await site.start()

    async def close(self) -> None:
        """Close the gateway and stop listening."""
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def connector(self) -> aiohttp.TCPConnector:
        """A new connector sending Discord's hosts to the fake (one per bot: closed with it)."""
        if not self.port:
            raise RuntimeError("start the fake before asking for a connector")
        ctx = ssl.create_default_context(cadata=self._cert_pem.decode())
        return aiohttp.TCPConnector(resolver=_FakeResolver(self.port), ssl=ctx, force_close=False)

    # -- faults and rate limits -----------------------------------------------------------

    def inject(
        self,
        method: str,
        route_template: str,
        status: int | None,
        *,
        times: int = 1,
        code: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        is_global: bool = False,
        delay: float | None = None,
        via: bool = True,
    ) -> Fault:
        """Answer the next ``times`` requests matching (method, route template) with ``status``.

        A 429 carries ``Via: 1.1 google`` (so discord.py retries) unless ``via=False`` (the
        Cloudflare-ban path). ``status=None`` with ``delay`` answers normally after a delay.
        ``route_template`` may be ``"*"``.
        """
        fault = Fault(
            method.upper(),
            route_template,
            status,
            times,
            code,
            message,
            retry_after,
            is_global,
            delay,
        )
        fault.via = via  # type: ignore[attr-defined]
        self._faults.append(fault)
        return fault

    def rate_limit(
        self,
        global_per_second: int = 50,
        route_limits: dict[str, tuple[int, float]] | None = None,
        *,
        default_limit: tuple[int, float] = (5, 5.0),
    ) -> None:
        """Switch on a Discord-like rate limiter.

        ``route_limits`` maps ``"POST /channels/{channel_id}/messages"`` (or a template
        alone) to ``(requests, per_seconds)``, bucketed per major parameter like Discord.
        Every answer then carries X-RateLimit-* headers; excess requests get 429s.
        """
        self._limiter = _RateLimiter(global_per_second, route_limits or {}, default_limit)

    def rate_limit_off(self) -> None:
        """Switch the rate limiter off."""
        self._limiter = None

    def _take_fault(self, method: str, route: str) -> Fault | None:
        for f in self._faults:
            if f.times > 0 and f.method in (method, "*") and f.route in (route, "*"):
                f.times -= 1
                if f.times <= 0:
                    self._faults.remove(f)
                return f
        return None

    # -- responses ------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json": discord.py parses nothing else (pitfall 1).
        h = {"Content-Type": "application/json"}
        if headers:
            h.update(headers)
        return web.Response(body=_dumps(data).encode(), status=status, headers=h)

    @staticmethod
    def _no_content() -> web.Response:
        return web.Response(status=204)

    def _error_response(
        self, status: int, code: int, message: str, errors: Any = None
    ) -> web.Response:
        body: dict[str, Any] = {"message": message, "code": code}
        if errors is not None:
            body["errors"] = errors
        return self._json(body, status)

    # -- request plumbing -----------------------------------------------------------------

    async def _parse(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        ctype = request.content_type
        files: list[tuple[str, bytes]] = []
        body: Any = None
        if ctype == "application/json":
            raw = await request.read()
            body = json.loads(raw) if raw else None
        elif ctype.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part is None:
                    break
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(data)
                elif part.filename:  # type: ignore[union-attr]
                    files.append((part.filename, bytes(data)))  # type: ignore[union-attr]
        else:
            raw = await request.read()
            if raw:
                with contextlib.suppress(ValueError):
                    body = json.loads(raw)
        return body, files

    def _record(
        self, request: web.Request, route: str, body: Any, files: list[tuple[str, bytes]]
    ) -> RecordedRequest:
        rec = RecordedRequest(
            method=request.method,
            route=route,
            params=dict(request.match_info),
            query=dict(request.query),
            headers=dict(request.headers),
            json=body,
            files=files,
            path=request.path,
            at=time.monotonic(),
        )
        self.requests.append(rec)
        return rec

    def _wrap(self, method: str, template: str, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            self.inflight += 1
            try:
                return await self._handle(request, method, template, handler)
            finally:
                self.inflight -= 1

        return wrapped  # type: ignore[return-value]

    async def _handle(
        self, request: web.Request, method: str, template: str, handler: Handler
    ) -> web.StreamResponse:
        body, files = await self._parse(request)
        rec = self._record(request, template, body, files)
        if self._spec is not None and body is not None:
            errs = self._spec.validate(method, template, body)
            self.schema_errors.extend(errs)
        fault = self._take_fault(method, template)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            rec.status = fault.status
            return self._fault_response(fault)
        extra: dict[str, str] = {}
        if self._limiter is not None:
            extra, limited = self._limiter.check(method, template, dict(request.match_info))
            if limited is not None:
                retry_after, is_global = limited
                rec.status = 429
                self.count_429 += 1
                extra["Retry-After"] = str(max(1, int(retry_after + 0.999)))
                extra["Via"] = "1.1 google"
                return self._json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": round(retry_after, 3),
                        "global": is_global,
                        "code": 0,
                    },
                    429,
                    extra,
                )
        auth = request.headers.get("Authorization")
        if (
            not template.startswith(("/webhooks/", "/interactions/"))
            and auth != f"Bot {self.token}"
        ):
            rec.status = 401
            return self._error_response(401, 0, "401: Unauthorized")
        req = _Req(
            method,
            template,
            dict(request.match_info),
            dict(request.query),
            dict(request.headers),
            body,
            files,
            request,
        )
        try:
            resp = await handler(req)
        except FakeHTTPError as e:
            resp = self._error_response(e.status, e.code, e.message, e.errors)
        while self._pending_events:
            event, data = self._pending_events.pop(0)
            await self._send_dispatch(event, data)
        rec.status = resp.status
        if self.validate_responses and self._spec is not None and isinstance(resp, web.Response):
            if resp.content_type == "application/json" and resp.body:
                answer = json.loads(resp.body)  # type: ignore[arg-type]
                self.response_errors.extend(
                    self._spec.validate_response(method, template, resp.status, answer)
                )
        for k, v in extra.items():
            resp.headers[k] = v
        return resp

    def _fault_response(self, fault: Fault) -> web.Response:
        status = fault.status or 500
        if status == 429:
            self.count_429 += 1
            retry = fault.retry_after if fault.retry_after is not None else 0.01
            headers = {
                "Retry-After": str(max(1, int(retry + 0.999))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": "fault"
                + hashlib.sha1(fault.route.encode(), usedforsecurity=False).hexdigest()[:10],
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            if getattr(fault, "via", True):
                headers["Via"] = "1.1 google"
            body = {
                "message": fault.message or "You are being rate limited.",
                "retry_after": retry,
                "global": fault.is_global,
                "code": fault.code or 0,
            }
            return self._json(body, 429, headers)
        if status >= 500 and fault.code is None:
            # Discord's 5xx often come from the edge as text: discord.py handles both.
            return self._json(
                {"message": fault.message or "500: Internal Server Error", "code": 0}, status
            )
        return self._error_response(status, fault.code or 0, fault.message or f"{status}: injected")

    async def _unknown(self, request: web.Request) -> web.Response:
        body, files = await self._parse(request)
        path = request.path
        route = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
        rec = self._record(request, route, body, files)
        rec.status = 404
        self.unknown_routes.append(rec)
        log.warning("fake Discord: unknown route %s %s", request.method, path)
        return self._error_response(404, 0, "404: Not Found")

    async def _cdn_get(self, request: web.Request) -> web.Response:
        item = self.cdn.get(request.path)
        if item is None:
            return await self._unknown(request)
        self._record(request, request.path, None, []).status = 200
        data, ctype = item
        return web.Response(body=data, headers={"Content-Type": ctype})

    def add_cdn_file(self, filename: str, data: bytes, *, channel_id: int = 0) -> dict[str, Any]:
        """Serve bytes on the fake CDN; return an attachment object pointing at them."""
        att_id = self.snowflake()
        path = f"/attachments/{channel_id}/{att_id}/{filename}"
        ctype = _content_type(filename)
        self.cdn[path] = (data, ctype)
        return {
            "id": str(att_id),
            "filename": filename,
            "size": len(data),
            "url": f"https://cdn.discordapp.com{path}",
            "proxy_url": f"https://media.discordapp.net{path}",
            "content_type": ctype,
        }

    # -- state helpers --------------------------------------------------------------------

    def add_user(
        self, username: str, *, global_name: str | None = None, bot: bool = False
    ) -> FakeUser:
        """Create a user (not yet in any guild)."""
        u = FakeUser(self.snowflake(), username, global_name or username.capitalize(), bot=bot)
        self.users[u.id] = u
        return u

    def user_named(self, name: str) -> FakeUser:
        """The user with this username (``alice``, ``@alice``, ``<@id>`` or an id)."""
        name = name.strip()
        m = re.fullmatch(r"<@!?(\d+)>|(\d{6,})", name)
        if m:
            uid = int(m.group(1) or m.group(2))
            if uid in self.users:
                return self.users[uid]
        bare = name.lstrip("@")
        for u in self.users.values():
            if u.username == bare:
                return u
        raise KeyError(f"no user named {name!r}")

    def add_guild(self, name: str = "Second Local", *, owner: FakeUser | None = None) -> FakeGuild:
        """Create a guild with @everyone, the bot's managed role, #general, and the bot in it."""
        gid = self.snowflake()
        owner = owner or self.add_user(f"owner{gid % 10000}")
        g = FakeGuild(gid, name, owner.id)
        g.roles[gid] = FakeRole(gid, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, 0)
        bot_role = FakeRole(
            self.snowflake(),
            self.bot_user.username,
            BOT_ROLE_PERMISSIONS,
            1,
            managed=True,
            bot_id=self.bot_user.id,
        )
        g.roles[bot_role.id] = bot_role
        g.members[owner.id] = FakeMember(owner.id)
        g.members[self.bot_user.id] = FakeMember(self.bot_user.id, [bot_role.id])
        self.guilds[gid] = g
        self.add_channel(g, "general")
        return g

    def add_channel(
        self,
        guild: FakeGuild | int,
        name: str,
        *,
        type: int = GUILD_TEXT,  # noqa: A002 - Discord's field name
        parent_id: int | None = None,
        overwrites: list[dict[str, int]] | None = None,
        topic: str | None = None,
    ) -> FakeChannel:
        """Create a channel in a guild."""
        g = guild if isinstance(guild, FakeGuild) else self.guilds[guild]
        c = FakeChannel(
            self.snowflake(),
            name,
            type,
            g.id,
            parent_id,
            len(g.channels),
            topic,
            list(overwrites or []),
        )
        g.channels[c.id] = c
        self.messages.setdefault(c.id, [])
        return c

    def add_role(
        self,
        guild: FakeGuild | int,
        name: str,
        *,
        permissions: int = 0,
        position: int | None = None,
    ) -> FakeRole:
        """Create a role; position defaults to just above @everyone (others move up)."""
        g = guild if isinstance(guild, FakeGuild) else self.guilds[guild]
        pos = 1 if position is None else position
        for r in g.roles.values():
            if r.position >= pos and r.id != g.id:
                r.position += 1
        role = FakeRole(self.snowflake(), name, permissions, pos)
        g.roles[role.id] = role
        return role

    def add_member(
        self, guild: FakeGuild | int, user: FakeUser, roles: Iterable[int] = ()
    ) -> FakeMember:
        """Put a user in a guild with roles."""
        g = guild if isinstance(guild, FakeGuild) else self.guilds[guild]
        m = FakeMember(user.id, list(roles))
        g.members[user.id] = m
        return m

    def remove_member(self, guild_id: int, user_id: int) -> None:
        """The member is gone (404 10007 from now on); the bot is not told (see member_leaves)."""
        self.guilds[guild_id].members.pop(user_id, None)

    def remove_channel(self, channel_id: int) -> None:
        """The channel is gone (404 10003 from now on); the bot is not told (see delete_channel)."""
        for g in self.guilds.values():
            g.channels.pop(channel_id, None)

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel and tell the bot (CHANNEL_DELETE), as Discord does."""
        c = self.find_channel(channel_id)
        self.remove_channel(channel_id)
        if c is not None and c.guild_id:
            await self._send_dispatch("CHANNEL_DELETE", c.to_dict(self))

    async def member_leaves(self, guild_id: int, user_id: int) -> None:
        """A member leaves; the bot hears GUILD_MEMBER_REMOVE when it has the members intent."""
        self.remove_member(guild_id, user_id)
        user = self.users[user_id].to_dict()
        await self._gw_guild_event(
            INTENT_GUILD_MEMBERS, "GUILD_MEMBER_REMOVE", {"guild_id": str(guild_id), "user": user}
        )

    def set_dms_open(self, user_id: int, is_open: bool) -> None:
        """Open or close a user's DMs (closed: 403 50007 on sending to their DM channel)."""
        self.users[user_id].dms_open = is_open

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        """A guild channel, thread or DM channel by id."""
        for g in self.guilds.values():
            c = g.channels.get(channel_id)
            if c is not None:
                return c
        for c in self.dm_channels.values():
            if c.id == channel_id:
                return c
        return None

    def channel_label(self, channel_id: int) -> str:
        """``#general`` or ``DM to alice`` (for humans)."""
        c = self.find_channel(channel_id)
        if c is None:
            return f"<deleted channel {channel_id}>"
        if c.type == DM:
            u = self.users.get(c.recipient_id or 0)
            return f"DM to {u.username if u else c.recipient_id}"
        return f"#{c.name}"

    def message(self, message_id: int) -> dict[str, Any]:
        """A stored message by id (KeyError when unknown or deleted)."""
        return self._messages_by_id[message_id]

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Stored messages of a channel, oldest first (ephemeral ones included)."""
        return self.messages.get(channel_id, [])

    def all_messages(self) -> list[dict[str, Any]]:
        """Every stored message, by id order."""
        return [self._messages_by_id[k] for k in sorted(self._messages_by_id)]

    def compute_permissions(
        self, guild_id: int, user_id: int, channel_id: int | None = None
    ) -> int:
        """A member's permissions in a guild, or in a channel with its overwrites."""
        g = self.guilds[guild_id]
        if user_id == g.owner_id:
            return ALL_PERMISSIONS
        m = g.members.get(user_id)
        if m is None:
            return 0
        perms = g.roles[g.id].permissions
        for rid in m.roles:
            r = g.roles.get(rid)
            if r:
                perms |= r.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None:
            return perms
        c = g.channels.get(channel_id)
        if c is None:
            return perms
        overwrites = c.permission_overwrites
        if c.type in (PUBLIC_THREAD, PRIVATE_THREAD) and c.parent_id:
            parent = g.channels.get(c.parent_id)
            overwrites = parent.permission_overwrites if parent else []
        by_id = {(o["type"], o["id"]): o for o in overwrites}
        ev = by_id.get((0, g.id))
        if ev:
            perms = (perms & ~ev.get("deny", 0)) | ev.get("allow", 0)
        allow = deny = 0
        for rid in m.roles:
            o = by_id.get((0, rid))
            if o:
                allow |= o.get("allow", 0)
                deny |= o.get("deny", 0)
        perms = (perms & ~deny) | allow
        mo = by_id.get((1, user_id))
        if mo:
            perms = (perms & ~mo.get("deny", 0)) | mo.get("allow", 0)
        return perms

    def highest_role_position(self, guild_id: int, user_id: int) -> int:
        """The position of a member's highest role (0: only @everyone)."""
        g = self.guilds[guild_id]
        m = g.members.get(user_id)
        if m is None:
            return -1
        return max([g.roles[r].position for r in m.roles if r in g.roles] + [0])

    def member_dict(self, guild_id: int, user_id: int, *, with_user: bool = True) -> dict[str, Any]:
        """The guild member object as Discord sends it."""
        g = self.guilds[guild_id]
        m = g.members[user_id]
        d: dict[str, Any] = {
            "roles": [str(r) for r in m.roles],
            "nick": m.nick,
            "avatar": None,
            "banner": None,
            "joined_at": m.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            d["user"] = self.users[user_id].to_dict()
        return d

    def guild_dict(self, g: FakeGuild, *, full: bool = True) -> dict[str, Any]:
        """The guild object (``full``: as in GUILD_CREATE)."""
        d: dict[str, Any] = {
            "id": str(g.id),
            "name": g.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(g.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [r.to_dict() for r in sorted(g.roles.values(), key=lambda r: r.position)],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "max_members": 500000,
            "max_video_channel_users": 25,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }
        if full:
            members = g.members.values()
            if not self.intents & INTENT_GUILD_MEMBERS:
                # Without the members intent Discord sends only the bot's own member.
                members = [m for m in members if m.user_id == self.bot_user.id]
            d.update(
                joined_at=g.members[self.bot_user.id].joined_at
                if self.bot_user.id in g.members
                else _now_iso(),
                large=False,
                unavailable=False,
                member_count=len(g.members),
                voice_states=[],
                members=[self.member_dict(g.id, m.user_id) for m in members],
                channels=[
                    c.to_dict(self)
                    for c in g.channels.values()
                    if c.type not in (PUBLIC_THREAD, PRIVATE_THREAD)
                ],
                threads=[
                    c.to_dict(self)
                    for c in g.channels.values()
                    if c.type in (PUBLIC_THREAD, PRIVATE_THREAD)
                ],
                presences=[],
                stage_instances=[],
                guild_scheduled_events=list(g.scheduled_events.values()),
                soundboard_sounds=[],
            )
        return d

    def add_demo_guild(self, name: str = "Local 600 (demo)") -> DemoGuild:
        """The demo server: channels, roles, members alice, bob, carol, dave, erin, and the bot."""
        erin = self.add_user("erin", global_name="Erin")
        g = self.add_guild(name, owner=erin)
        bot_role = next(r for r in g.roles.values() if r.managed)
        cat = self.add_role(g, "cat", position=1)
        coord = self.add_role(g, "cat-coordinator", permissions=MANAGE_EVENTS, position=2)
        organizer = self.add_role(
            g, "organizer", permissions=MANAGE_EVENTS | CREATE_EVENTS, position=3
        )
        bot_role.position = 4
        admin = FakeRole(self.snowflake(), "admin", ADMINISTRATOR, 5)
        g.roles[admin.id] = admin
        general = g.channel_named("general")
        announcements = self.add_channel(g, "announcements")
        updates = self.add_channel(g, "updates")
        committee = self.add_channel(
            g,
            "committee",
            overwrites=[
                {"id": g.id, "type": 0, "allow": 0, "deny": VIEW_CHANNEL},
                {"id": organizer.id, "type": 0, "allow": VIEW_CHANNEL, "deny": 0},
                {"id": bot_role.id, "type": 0, "allow": VIEW_CHANNEL, "deny": 0},
            ],
        )
        cat_ch = self.add_channel(g, "cat")
        users: dict[str, int] = {}
        for uname, roles in (
            ("alice", []),
            ("bob", [cat.id]),
            ("carol", [organizer.id]),
            ("dave", [coord.id]),
        ):
            u = self.add_user(uname)
            self.add_member(g, u, roles)
            users[uname] = u.id
        self.add_member(g, erin, [admin.id])
        users["erin"] = erin.id
        users[self.bot_user.username] = self.bot_user.id
        users["bot"] = self.bot_user.id
        demo = DemoGuild(
            guild_id=g.id,
            channels={
                "general": general.id,
                "announcements": announcements.id,
                "updates": updates.id,
                "committee": committee.id,
                "cat": cat_ch.id,
            },
            roles={
                "@everyone": g.id,
                "everyone": g.id,
                "organizer": organizer.id,
                "cat-coordinator": coord.id,
                "cat": cat.id,
                "admin": admin.id,
                "bot": bot_role.id,
            },
            users=users,
            bot_id=self.bot_user.id,
            bot_role_id=bot_role.id,
        )
        if self.demo is None:
            self.demo = demo
        return demo

    # -- messages -------------------------------------------------------------------------

    def _mentions(self, content: str) -> tuple[list[dict[str, Any]], list[str], bool]:
        users = []
        for m in re.finditer(r"<@!?(\d+)>", content):
            u = self.users.get(int(m.group(1)))
            if u and u.to_dict() not in users:
                users.append(u.to_dict())
        roles = sorted({m.group(1) for m in re.finditer(r"<@&(\d+)>", content)})
        return users, roles, "@everyone" in content or "@here" in content

    def _attachments(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[tuple[str, bytes]],
        keep: list[dict[str, Any]] | None,
    ) -> list[dict[str, Any]]:
        """Attachment objects for a create/edit: uploaded files plus kept existing ones."""
        out: list[dict[str, Any]] = []
        declared = body.get("attachments")
        existing = {a["id"]: a for a in (keep or [])}
        if declared is None:
            out.extend(keep or [])
            for fname, data in files:
                out.append(self.add_cdn_file(fname, data, channel_id=channel_id))
            return out
        uploaded = list(files)
        for i, a in enumerate(declared):
            aid = str(a.get("id"))
            if aid in existing:
                out.append(existing[aid])
                continue
            # New upload: discord.py numbers them from 0 in the order of files[n] parts.
            idx = int(aid) if aid.isdigit() and int(aid) < len(uploaded) else i
            if idx < len(uploaded):
                fname, data = uploaded[idx]
                att = self.add_cdn_file(a.get("filename") or fname, data, channel_id=channel_id)
                if a.get("description"):
                    att["description"] = a["description"]
                out.append(att)
        return out

    def _store_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[tuple[str, bytes]],
        *,
        interaction: FakeInteraction | None = None,
        msg_type: int = 0,
        flags: int | None = None,
    ) -> dict[str, Any]:
        body = body or {}
        mid = self.snowflake()
        content = body.get("content") or ""
        mentions, mention_roles, mention_everyone = self._mentions(content)
        embeds = []
        for e in body.get("embeds") or []:
            e = dict(e)
            e.setdefault("type", "rich")
            embeds.append(e)
        msg: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": self.bot_user.to_dict(),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": mention_everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": self._attachments(channel_id, body, files, None),
            "embeds": embeds,
            "components": _stamp_component_ids(body.get("components") or []),
            "pinned": False,
            "type": msg_type,
            "flags": int(body.get("flags") or 0) if flags is None else flags,
        }
        c = self.find_channel(channel_id)
        if c is not None and c.guild_id:
            msg["guild_id"] = str(c.guild_id)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if body.get("message_reference"):
            ref = dict(body["message_reference"])
            ref.setdefault("channel_id", str(channel_id))
            msg["message_reference"] = ref
            msg["type"] = 19
        if body.get("poll"):
            msg["poll"] = body["poll"]
        if body.get("sticker_ids"):
            msg["sticker_items"] = []
        if interaction is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            meta: dict[str, Any] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": self.users[interaction.user_id].to_dict(),
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.type == 2:
                meta["name"] = interaction.payload.get("data", {}).get("name")
                meta["command_type"] = interaction.payload.get("data", {}).get("type", 1)
            if interaction.source_message_id and interaction.type == 3:
                meta["interacted_message_id"] = str(interaction.source_message_id)
            if interaction.type == 5 and interaction.opener is not None:
                meta["triggering_interaction_metadata"] = self._metadata_of(interaction.opener)
            if interaction.original_message_id and interaction.original_message_id != mid:
                meta["original_response_message_id"] = str(interaction.original_message_id)
            msg["interaction_metadata"] = meta
        self.messages.setdefault(channel_id, []).append(msg)
        self._messages_by_id[mid] = msg
        if c is not None:
            c.last_message_id = mid
        self._queue_message_event("MESSAGE_CREATE", msg)
        return msg

    def _edit_message(
        self, msg: dict[str, Any], body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        body = body or {}
        cid = int(msg["channel_id"])
        if "content" in body:
            msg["content"] = body["content"] or ""
            msg["mentions"], msg["mention_roles"], msg["mention_everyone"] = self._mentions(
                msg["content"]
            )
        if "embeds" in body:
            msg["embeds"] = [dict(e, type=e.get("type", "rich")) for e in body["embeds"] or []]
        if "components" in body:
            msg["components"] = _stamp_component_ids(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS (4) can be changed by an edit; ephemeral/loading stay.
            msg["flags"] = (msg["flags"] & ~4) | (int(body["flags"]) & 4)
        if "attachments" in body or files:
            msg["attachments"] = self._attachments(cid, body, files, msg["attachments"])
        if "poll" in body and body["poll"]:
            msg["poll"] = body["poll"]
        msg["flags"] &= ~LOADING
        msg["edited_timestamp"] = _now_iso()
        self._queue_message_event("MESSAGE_UPDATE", msg)
        return msg

    def _delete_message(self, msg: dict[str, Any]) -> None:
        mid = int(msg["id"])
        self._messages_by_id.pop(mid, None)
        lst = self.messages.get(int(msg["channel_id"]), [])
        with contextlib.suppress(ValueError):
            lst.remove(msg)
        gone = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if msg.get("guild_id"):
            gone["guild_id"] = msg["guild_id"]
        self._queue_message_event("MESSAGE_DELETE", gone, flags=int(msg.get("flags") or 0))

    def _queue_message_event(
        self, event: str, msg: dict[str, Any], flags: int | None = None
    ) -> None:
        """Queue MESSAGE_* for the gateway as Discord sends them (sent after the handler)."""
        if (msg.get("flags", 0) if flags is None else flags) & EPHEMERAL:
            return  # ephemeral messages never reach the gateway
        intent = INTENT_GUILD_MESSAGES if msg.get("guild_id") else INTENT_DIRECT_MESSAGES
        if self.intents & intent:
            self._pending_events.append((event, dict(msg)))

    def _check_send(self, channel_id: int) -> FakeChannel:
        c = self.find_channel(channel_id)
        if c is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        if c.type == DM:
            u = self.users.get(c.recipient_id or 0)
            if u is None or not u.dms_open:
                raise FakeHTTPError(403, 50007, "Cannot send messages to this user")
            return c
        perms = self.compute_permissions(c.guild_id or 0, self.bot_user.id, c.id)
        if not perms & VIEW_CHANNEL:
            raise FakeHTTPError(403, 50001, "Missing Access")
        need = (
            SEND_MESSAGES_IN_THREADS if c.type in (PUBLIC_THREAD, PRIVATE_THREAD) else SEND_MESSAGES
        )
        if not perms & need:
            raise FakeHTTPError(403, 50013, "Missing Permissions")
        return c

    # -- gateway --------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return await self._unknown(request)
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.gateway_connects += 1
        previous = self._ws
        self._ws = ws
        if previous is not None and not previous.closed:
            with contextlib.suppress(Exception):
                await previous.close(code=4000)
        await ws.send_str(
            _dumps(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                    "s": None,
                    "t": None,
                }
            )
        )
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                await self._gateway_op(ws, frame)
        finally:
            if self._ws is ws:
                self._ws = None
                self._ws_ready.clear()
        return ws

    async def _gateway_op(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        d = frame.get("d")
        if op == 1:
            self.heartbeats += 1
            await ws.send_str(_dumps({"op": 11, "d": None, "s": None, "t": None}))
        elif op == 2:
            self.identify_count += 1
            if d.get("token") != f"{self.token}" and d.get("token") != f"Bot {self.token}":
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            self.intents = int(d.get("intents") or 0)
            self.session_id = uuid.uuid4().hex
            self.seq = 0
            self._sent_events = []
            ready = {
                "v": 10,
                "user": self.bot_user.to_dict(),
                "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
                "session_id": self.session_id,
                "session_type": "normal",
                "resume_gateway_url": "wss://gateway.discord.gg",
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": ["us-west"],
                "_trace": ["fake-discord"],
            }
            if d.get("shard"):
                ready["shard"] = d["shard"]
            await self._send_dispatch("READY", ready)
            for g in self.guilds.values():
                await self._send_dispatch("GUILD_CREATE", self.guild_dict(g))
            self._ws_ready.set()
        elif op == 6:
            self.resume_count += 1
            if d.get("session_id") != self.session_id or d.get("token") not in (
                self.token,
                f"Bot {self.token}",
            ):
                await ws.send_str(_dumps({"op": 9, "d": False, "s": None, "t": None}))
                return
            last = int(d.get("seq") or 0)
            for frame_ in [f for f in self._sent_events if f["s"] > last]:
                await ws.send_str(_dumps(frame_))
            await self._send_dispatch("RESUMED", {"_trace": ["fake-discord"]})
            self._ws_ready.set()
        elif op == 3:
            self.presence_updates.append(d)
        elif op == 8:
            gid = int(d["guild_id"])
            g = self.guilds.get(gid)
            members = [self.member_dict(gid, uid) for uid in g.members] if g else []
            await self._send_dispatch(
                "GUILD_MEMBERS_CHUNK",
                {
                    "guild_id": str(gid),
                    "members": members,
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "nonce": d.get("nonce"),
                    "not_found": [],
                },
            )

    async def _send_dispatch(self, event: str, data: dict[str, Any]) -> int:
        self.seq += 1
        frame = {"op": 0, "t": event, "s": self.seq, "d": data}
        self._sent_events.append(frame)
        if len(self._sent_events) > 2000:
            del self._sent_events[:1000]
        ws = self._ws
        if ws is not None and not ws.closed:
            # Sent uncompressed as TEXT: discord.py accepts it (pitfall 9).
            try:
                await ws.send_str(_dumps(frame))
            except (ConnectionResetError, RuntimeError):
                pass  # delivered on RESUME from the buffer
        return self.seq

    async def wait_gateway_ready(self) -> None:
        """Wait until a session is identified or resumed on the current connection."""
        await asyncio.wait_for(self._ws_ready.wait(), self.gateway_timeout)

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a gateway DISPATCH to the bot; return its sequence number.

        INTERACTION_CREATE payloads are registered so the callback and webhook routes know
        the interaction's token, user and channel.
        """
        if event == "INTERACTION_CREATE":
            self._register_interaction(data)
        seq = await self._send_dispatch(event, data)
        if event == "INTERACTION_CREATE":
            self.interactions[int(data["id"])].seq = seq
        return seq

    def _register_interaction(self, data: dict[str, Any]) -> FakeInteraction:
        user = (data.get("member") or {}).get("user") or data.get("user")
        src = data.get("message")
        inter = FakeInteraction(
            id=int(data["id"]),
            token=data["token"],
            type=int(data["type"]),
            user_id=int(user["id"]),
            channel_id=int(data.get("channel_id") or data["channel"]["id"]),
            guild_id=int(data["guild_id"]) if data.get("guild_id") else None,
            payload=data,
            source_message_id=int(src["id"]) if src else None,
        )
        if inter.type == 5:
            inter.opener = self._modal_openers.pop(inter.user_id, None)
        self.interactions[inter.id] = inter
        self._interactions_by_token[inter.token] = inter
        return inter

    def _metadata_of(self, inter: FakeInteraction) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "id": str(inter.id),
            "type": inter.type,
            "user": self.users[inter.user_id].to_dict(),
            "authorizing_integration_owners": inter.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if inter.type == 3 and inter.source_message_id:
            meta["interacted_message_id"] = str(inter.source_message_id)
        return meta

    async def drop_gateway(self, *, code: int = 4000, wait: bool = True) -> None:
        """Close the gateway connection (resumable code by default); wait for the bot to resume."""
        ws = self._ws
        self._ws_ready.clear()
        if ws is not None and not ws.closed:
            await ws.close(code=code, message=b"fake drop")
        if wait:
            await self.wait_gateway_ready()

    async def _gw_guild_event(self, intent: int, event: str, data: dict[str, Any]) -> None:
        if self.intents & intent and self._ws is not None:
            await self._send_dispatch(event, data)

    # -- routes ---------------------------------------------------------------------------

    def _route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self._routes.append((method, template, fn))
            return fn

        return deco

    def _register_routes(self) -> None:
        r = self._route
        # Order matters where literal segments overlap parameters (@me, @original).
        r("GET", "/users/@me")(self._get_me)
        r("POST", "/users/@me/channels")(self._create_dm)
        r("GET", "/users/@me/guilds")(self._my_guilds)
        r("GET", "/users/{user_id}")(self._get_user)
        r("GET", "/oauth2/applications/@me")(self._get_app)
        r("GET", "/applications/@me")(self._get_app)
        r("GET", "/gateway")(self._get_gateway)
        r("GET", "/gateway/bot")(self._get_gateway_bot)
        r("GET", "/applications/{application_id}/commands")(self._list_commands)
        r("PUT", "/applications/{application_id}/commands")(self._bulk_commands)
        r("GET", "/applications/{application_id}/guilds/{guild_id}/commands")(self._list_commands)
        r("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")(self._bulk_commands)
        r("POST", "/interactions/{interaction_id}/{interaction_token}/callback")(self._callback)
        w = "/webhooks/{webhook_id}/{webhook_token}"
        r("POST", w)(self._followup)
        r("GET", w + "/messages/@original")(self._get_webhook_message)
        r("PATCH", w + "/messages/@original")(self._edit_webhook_message)
        r("DELETE", w + "/messages/@original")(self._delete_webhook_message)
        r("GET", w + "/messages/{message_id}")(self._get_webhook_message)
        r("PATCH", w + "/messages/{message_id}")(self._edit_webhook_message)
        r("DELETE", w + "/messages/{message_id}")(self._delete_webhook_message)
        r("GET", "/channels/{channel_id}")(self._get_channel)
        r("GET", "/channels/{channel_id}/messages")(self._list_messages)
        r("POST", "/channels/{channel_id}/messages")(self._create_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}")(self._get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}")(self._edit_message_route)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}")(self._delete_message_route)
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads")(self._create_thread)
        r("POST", "/channels/{channel_id}/threads")(self._create_thread)
        r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")(
            self._reaction
        )
        r("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")(
            self._reaction
        )
        r("PUT", "/channels/{channel_id}/pins/{message_id}")(self._pin)
        r("DELETE", "/channels/{channel_id}/pins/{message_id}")(self._pin)
        r("PUT", "/channels/{channel_id}/messages/pins/{message_id}")(self._pin)
        r("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")(self._pin)
        r("POST", "/channels/{channel_id}/typing")(self._typing)
        r("GET", "/guilds/{guild_id}")(self._get_guild)
        r("GET", "/guilds/{guild_id}/channels")(self._guild_channels)
        r("GET", "/guilds/{guild_id}/roles")(self._guild_roles)
        r("GET", "/guilds/{guild_id}/members")(self._guild_members)
        r("GET", "/guilds/{guild_id}/members/{user_id}")(self._guild_member)
        r("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")(self._member_role)
        r("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")(self._member_role)
        r("GET", "/guilds/{guild_id}/scheduled-events")(self._list_events)
        r("POST", "/guilds/{guild_id}/scheduled-events")(self._create_event)
        e = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
        r("GET", e)(self._get_event)
        r("PATCH", e)(self._edit_event)
        r("DELETE", e)(self._delete_event)

    # users / application / gateway

    async def _get_me(self, req: _Req) -> web.Response:
        d = self.bot_user.to_dict()
        d.update(mfa_enabled=False, locale="en-US", verified=True, email=None, bio="")
        return self._json(d)

    async def _get_user(self, req: _Req) -> web.Response:
        u = self.users.get(int(req.params["user_id"]))
        if u is None:
            raise FakeHTTPError(404, 10013, "Unknown User")
        return self._json(u.to_dict())

    async def _my_guilds(self, req: _Req) -> web.Response:
        return self._json(
            [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "banner": None,
                    "owner": False,
                    "permissions": str(self.compute_permissions(g.id, self.bot_user.id)),
                    "features": [],
                }
                for g in self.guilds.values()
            ]
        )

    async def _get_app(self, req: _Req) -> web.Response:
        owner = next((u for u in self.users.values() if not u.bot), None) or self.bot_user
        return self._json(
            {
                "id": str(self.application_id),
                "name": self.bot_user.username,
                "icon": None,
                "description": "rankfile (fake Discord)",
                "summary": "",
                "type": None,
                "hook": True,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": owner.to_dict(),
                "team": None,
                "flags": 0,
                "bot": self.bot_user.to_dict(),
                "rpc_origins": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "integration_types_config": {"0": {}},
                "approximate_guild_count": len(self.guilds),
                "approximate_user_install_count": 0,
                "approximate_user_authorization_count": 0,
                "role_connections_verification_url": None,
                "flags_new": "0",
                "explicit_content_filter": 0,
                "eligible_oauth2_scopes": ["bot", "applications.commands"],
                "tags": [],
            }
        )

    async def _get_gateway(self, req: _Req) -> web.Response:
        return self._json({"url": "wss://gateway.discord.gg"})

    async def _get_gateway_bot(self, req: _Req) -> web.Response:
        return self._json(
            {
                "url": "wss://gateway.discord.gg",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    # application commands

    async def _list_commands(self, req: _Req) -> web.Response:
        gid = int(req.params["guild_id"]) if "guild_id" in req.params else None
        return self._json(self.commands.get(gid, []))

    async def _bulk_commands(self, req: _Req) -> web.Response:
        gid = int(req.params["guild_id"]) if "guild_id" in req.params else None
        if gid is not None and gid not in self.guilds:
            raise FakeHTTPError(403, 50001, "Missing Access")
        body = req.json or []
        if not isinstance(body, list):
            raise FakeHTTPError(400, 50035, "Invalid Form Body")
        out = []
        for item in body:
            key = (gid, int(item.get("type", 1)), item["name"])
            cid = self._command_ids.get(key) or self.snowflake()
            self._command_ids[key] = cid
            cmd = {
                "id": str(cid),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
                "type": int(item.get("type", 1)),
                "name": item["name"],
                "name_localizations": item.get("name_localizations"),
                "description": item.get("description", ""),
                "description_localizations": item.get("description_localizations"),
                "default_member_permissions": (
                    None
                    if item.get("default_member_permissions") is None
                    else str(item["default_member_permissions"])
                ),
                "dm_permission": item.get("dm_permission", True),
                "nsfw": item.get("nsfw", False),
                "contexts": item.get("contexts"),
                "integration_types": item.get("integration_types") or [0],
            }
            if item.get("options"):
                cmd["options"] = item["options"]
            if gid is not None:
                cmd["guild_id"] = str(gid)
            out.append(cmd)
        self.commands[gid] = out
        return self._json(out)

    def registered_command(self, name: str, guild_id: int | None = None) -> dict[str, Any] | None:
        """A synced command by name (guild first, then global), or None."""
        for gid in (guild_id, None):
            for c in self.commands.get(gid, []):
                if c["name"] == name:
                    return c
        return None

    # interactions

    def _interaction_by_token(self, token: str) -> FakeInteraction:
        inter = self._interactions_by_token.get(token)
        if inter is None:
            raise FakeHTTPError(404, 10015, "Unknown Webhook")
        return inter

    async def _callback(self, req: _Req) -> web.Response:
        inter = self.interactions.get(int(req.params["interaction_id"]))
        if inter is None or inter.token != req.params["interaction_token"]:
            raise FakeHTTPError(404, 10062, "Unknown interaction")
        if inter.responded:
            raise FakeHTTPError(400, 40060, "Interaction has already been acknowledged.")
        body = req.json or {}
        ctype = int(body.get("type", 0))
        data = body.get("data") or {}
        allowed = {
            2: {4, 5, 9},
            3: {4, 5, 6, 7, 9},
            4: {8},
            5: {4, 5, 6, 7} if inter.source_message_id else {4, 5},
        }.get(inter.type, set())
        if ctype not in allowed:
            raise FakeHTTPError(
                400,
                50035,
                f"Invalid interaction response type {ctype} for interaction type {inter.type}",
            )
        if ctype == 9:
            if not data.get("custom_id") or not data.get("title"):
                raise FakeHTTPError(400, 50035, "Invalid Form Body")
        inter.responded = True
        inter.response_type = ctype
        message: dict[str, Any] | None = None
        if ctype == 4:
            flags = int(data.get("flags") or 0) & (EPHEMERAL | 4 | 4096 | 32768)
            msg_type = 20 if inter.type == 2 else 0
            message = self._store_message(
                inter.channel_id, data, req.files, interaction=inter, msg_type=msg_type, flags=flags
            )
            inter.original_message_id = int(message["id"])
        elif ctype == 5:
            flags = (int(data.get("flags") or 0) & EPHEMERAL) | LOADING
            msg_type = 20 if inter.type == 2 else 0
            message = self._store_message(
                inter.channel_id, {}, [], interaction=inter, msg_type=msg_type, flags=flags
            )
            inter.original_message_id = int(message["id"])
        elif ctype == 7:
            src = self._messages_by_id.get(inter.source_message_id or 0)
            if src is None:
                raise FakeHTTPError(404, 10008, "Unknown Message")
            message = self._edit_message(src, data, req.files)
        elif ctype == 8:
            inter.autocomplete_choices = list(data.get("choices") or [])
        elif ctype == 9:
            inter.modal = data
            self.open_modals[inter.user_id] = inter
            self._modal_openers[inter.user_id] = inter
        if req.query.get("with_response") not in ("1", "true", "True"):
            return self._no_content()
        interaction_info: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
        # Only a message made or updated now is a resource (the spec's oneOf); a deferred
        # response carries none (pitfall 3), nor do modals and autocomplete answers.
        resource: dict[str, Any] | None = None
        if ctype in (4, 5, 7) and message is not None:
            interaction_info["response_message_id"] = message["id"]
            interaction_info["response_message_loading"] = ctype == 5
            interaction_info["response_message_ephemeral"] = bool(message["flags"] & EPHEMERAL)
            if ctype != 5:
                resource = {"type": ctype, "message": message}
        out: dict[str, Any] = {"interaction": interaction_info}
        if resource is not None:
            out["resource"] = resource
        return self._json(out)

    def _webhook_target(self, req: _Req) -> tuple[FakeInteraction, dict[str, Any]]:
        if int(req.params["webhook_id"]) != self.application_id:
            raise FakeHTTPError(404, 10015, "Unknown Webhook")
        inter = self._interaction_by_token(req.params["webhook_token"])
        mid_s = req.params.get("message_id")
        if mid_s is None:  # @original
            if inter.response_type in (6, 7) or (
                inter.response_type is None and inter.source_message_id
            ):
                mid = inter.source_message_id
            else:
                mid = inter.original_message_id
            if mid is None:
                raise FakeHTTPError(404, 10008, "Unknown Message")
        else:
            mid = int(mid_s)
        msg = self._messages_by_id.get(mid or 0)
        if msg is None:
            raise FakeHTTPError(404, 10008, "Unknown Message")
        return inter, msg

    async def _followup(self, req: _Req) -> web.Response:
        if int(req.params["webhook_id"]) != self.application_id:
            raise FakeHTTPError(404, 10015, "Unknown Webhook")
        inter = self._interaction_by_token(req.params["webhook_token"])
        if not inter.responded:
            raise FakeHTTPError(400, 10015, "Unknown Webhook")  # Discord: respond first
        body = req.json or {}
        orig = self._messages_by_id.get(inter.original_message_id or 0)
        if inter.response_type == 5 and orig is not None and orig["flags"] & LOADING:
            # The first followup after a deferred response replaces the "thinking" message.
            msg = self._edit_message(orig, body, req.files)
            msg["edited_timestamp"] = None
        else:
            flags = int(body.get("flags") or 0) & (EPHEMERAL | 4 | 4096 | 32768)
            msg = self._store_message(
                inter.channel_id, body, req.files, interaction=inter, flags=flags
            )
            inter.followup_ids.append(int(msg["id"]))
        if req.query.get("wait") in ("1", "true", "True"):
            return self._json(msg)
        return self._no_content()

    async def _get_webhook_message(self, req: _Req) -> web.Response:
        _, msg = self._webhook_target(req)
        return self._json(msg)

    async def _edit_webhook_message(self, req: _Req) -> web.Response:
        _, msg = self._webhook_target(req)
        return self._json(self._edit_message(msg, req.json or {}, req.files))

    async def _delete_webhook_message(self, req: _Req) -> web.Response:
        _, msg = self._webhook_target(req)
        self._delete_message(msg)
        return self._no_content()

    # channels and messages

    async def _get_channel(self, req: _Req) -> web.Response:
        c = self.find_channel(int(req.params["channel_id"]))
        if c is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        return self._json(c.to_dict(self))

    async def _list_messages(self, req: _Req) -> web.Response:
        cid = int(req.params["channel_id"])
        if self.find_channel(cid) is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        msgs = [m for m in self.messages.get(cid, []) if not m["flags"] & EPHEMERAL]
        limit = int(req.query.get("limit", 50))
        if "before" in req.query:
            msgs = [m for m in msgs if int(m["id"]) < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if int(m["id"]) > int(req.query["after"])]
            return self._json(list(reversed(msgs[:limit])))
        return self._json(list(reversed(msgs))[:limit])

    async def _create_message(self, req: _Req) -> web.Response:
        cid = int(req.params["channel_id"])
        self._check_send(cid)
        body = req.json or {}
        if (
            not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll"))
            and not req.files
        ):
            raise FakeHTTPError(400, 50006, "Cannot send an empty message")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((cid, str(nonce)))
            if seen is not None and seen in self._messages_by_id:
                return self._json(self._messages_by_id[seen])
        flags = int(body.get("flags") or 0) & (4 | 4096 | 32768)
        msg = self._store_message(cid, body, req.files, flags=flags)
        if nonce is not None:
            self._nonces[(cid, str(nonce))] = int(msg["id"])
        return self._json(msg)

    def _channel_message(self, req: _Req) -> dict[str, Any]:
        cid = int(req.params["channel_id"])
        if self.find_channel(cid) is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        msg = self._messages_by_id.get(int(req.params["message_id"]))
        if msg is None or int(msg["channel_id"]) != cid or msg["flags"] & EPHEMERAL:
            raise FakeHTTPError(404, 10008, "Unknown Message")
        return msg

    async def _get_message(self, req: _Req) -> web.Response:
        return self._json(self._channel_message(req))

    async def _edit_message_route(self, req: _Req) -> web.Response:
        msg = self._channel_message(req)
        if msg["author"]["id"] != str(self.bot_user.id):
            raise FakeHTTPError(403, 50005, "Cannot edit a message authored by another user")
        return self._json(self._edit_message(msg, req.json or {}, req.files))

    async def _delete_message_route(self, req: _Req) -> web.Response:
        self._delete_message(self._channel_message(req))
        return self._no_content()

    async def _create_thread(self, req: _Req) -> web.Response:
        cid = int(req.params["channel_id"])
        parent = self._check_send(cid)
        if parent.type == DM or parent.guild_id is None:
            raise FakeHTTPError(400, 50024, "Cannot execute action on this channel type")
        body = req.json or {}
        ttype = int(
            body.get("type") or (PUBLIC_THREAD if "message_id" in req.params else PRIVATE_THREAD)
        )
        g = self.guilds[parent.guild_id]
        t = FakeChannel(
            self.snowflake(),
            body.get("name", "thread"),
            ttype,
            g.id,
            parent.id,
            owner_id=self.bot_user.id,
        )
        if "message_id" in req.params:
            # A thread started from a message takes the message's id.
            t.id = int(req.params["message_id"])
        g.channels[t.id] = t
        self.messages.setdefault(t.id, [])
        d = t.to_dict(self)
        if body.get("message"):  # forum post
            d["message"] = self._store_message(t.id, body["message"], req.files)
        return self._json(d, 201)

    async def _reaction(self, req: _Req) -> web.Response:
        self._channel_message(req)
        return self._no_content()

    async def _pin(self, req: _Req) -> web.Response:
        msg = self._channel_message(req)
        msg["pinned"] = req.method == "PUT"
        return self._no_content()

    async def _typing(self, req: _Req) -> web.Response:
        self._check_send(int(req.params["channel_id"]))
        return self._no_content()

    async def _create_dm(self, req: _Req) -> web.Response:
        body = req.json or {}
        uid = int(body.get("recipient_id") or 0)
        u = self.users.get(uid)
        if u is None:
            raise FakeHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "recipient_id": {
                        "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": "Unknown user"}]
                    }
                },
            )
        c = self.dm_channels.get(uid)
        if c is None:
            c = FakeChannel(self.snowflake(), "", DM, recipient_id=uid)
            self.dm_channels[uid] = c
            self.messages.setdefault(c.id, [])
        return self._json(c.to_dict(self))

    # guilds

    def _guild(self, req: _Req) -> FakeGuild:
        g = self.guilds.get(int(req.params["guild_id"]))
        if g is None:
            raise FakeHTTPError(404, 10004, "Unknown Guild")
        return g

    async def _get_guild(self, req: _Req) -> web.Response:
        g = self._guild(req)
        d = self.guild_dict(g, full=False)
        if req.query.get("with_counts") in ("1", "true"):
            d.update(approximate_member_count=len(g.members), approximate_presence_count=0)
        return self._json(d)

    async def _guild_channels(self, req: _Req) -> web.Response:
        g = self._guild(req)
        return self._json(
            [
                c.to_dict(self)
                for c in g.channels.values()
                if c.type not in (PUBLIC_THREAD, PRIVATE_THREAD)
            ]
        )

    async def _guild_roles(self, req: _Req) -> web.Response:
        g = self._guild(req)
        return self._json([r.to_dict() for r in sorted(g.roles.values(), key=lambda r: r.position)])

    async def _guild_members(self, req: _Req) -> web.Response:
        g = self._guild(req)
        limit = int(req.query.get("limit", 1))
        after = int(req.query.get("after", 0))
        ids = sorted(uid for uid in g.members if uid > after)[:limit]
        return self._json([self.member_dict(g.id, uid) for uid in ids])

    async def _guild_member(self, req: _Req) -> web.Response:
        g = self._guild(req)
        uid = int(req.params["user_id"])
        if uid not in g.members:
            raise FakeHTTPError(404, 10007, "Unknown Member")
        return self._json(self.member_dict(g.id, uid))

    async def _member_role(self, req: _Req) -> web.Response:
        g = self._guild(req)
        uid = int(req.params["user_id"])
        rid = int(req.params["role_id"])
        m = g.members.get(uid)
        if m is None:
            raise FakeHTTPError(404, 10007, "Unknown Member")
        role = g.roles.get(rid)
        if role is None:
            raise FakeHTTPError(404, 10011, "Unknown Role")
        perms = self.compute_permissions(g.id, self.bot_user.id)
        if not perms & MANAGE_ROLES:
            raise FakeHTTPError(403, 50013, "Missing Permissions")
        # Role hierarchy: a bot cannot manage a role at or above its own highest role.
        if (
            role.managed
            or rid == g.id
            or role.position >= self.highest_role_position(g.id, self.bot_user.id)
        ):
            raise FakeHTTPError(403, 50013, "Missing Permissions")
        if req.method == "PUT":
            if rid not in m.roles:
                m.roles.append(rid)
        elif rid in m.roles:
            m.roles.remove(rid)
        await self._gw_guild_event(
            INTENT_GUILD_MEMBERS,
            "GUILD_MEMBER_UPDATE",
            {"guild_id": str(g.id), **self.member_dict(g.id, uid)},
        )
        return self._no_content()

    # scheduled events

    def _event(self, req: _Req) -> tuple[FakeGuild, dict[str, Any]]:
        g = self._guild(req)
        ev = g.scheduled_events.get(int(req.params["guild_scheduled_event_id"]))
        if ev is None:
            raise FakeHTTPError(404, 10070, "Unknown Guild Scheduled Event")
        return g, ev

    async def _list_events(self, req: _Req) -> web.Response:
        g = self._guild(req)
        return self._json(list(g.scheduled_events.values()))

    async def _create_event(self, req: _Req) -> web.Response:
        g = self._guild(req)
        perms = self.compute_permissions(g.id, self.bot_user.id)
        if not perms & (MANAGE_EVENTS | CREATE_EVENTS):
            raise FakeHTTPError(403, 50013, "Missing Permissions")
        body = req.json or {}
        et = int(body.get("entity_type") or 3)
        if et == 3 and not (body.get("entity_metadata") or {}).get("location"):
            raise FakeHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "entity_metadata": {
                        "location": {
                            "_errors": [
                                {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
                            ]
                        }
                    }
                },
            )
        if et == 3 and not body.get("scheduled_end_time"):
            raise FakeHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "scheduled_end_time": {
                        "_errors": [
                            {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
                        ]
                    }
                },
            )
        eid = self.snowflake()
        ev = {
            "id": str(eid),
            "guild_id": str(g.id),
            "channel_id": body.get("channel_id"),
            "creator_id": str(self.bot_user.id),
            "creator": self.bot_user.to_dict(),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", 2),
            "status": 1,
            "entity_type": et,
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": body.get("recurrence_rule"),
            "guild_scheduled_event_exceptions": [],
        }
        g.scheduled_events[eid] = ev
        await self._gw_guild_event(
            INTENT_GUILD_SCHEDULED_EVENTS, "GUILD_SCHEDULED_EVENT_CREATE", ev
        )
        return self._json(ev)

    async def _get_event(self, req: _Req) -> web.Response:
        return self._json(self._event(req)[1])

    async def _edit_event(self, req: _Req) -> web.Response:
        _, ev = self._event(req)
        body = req.json or {}
        for k in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "privacy_level",
            "status",
            "entity_type",
            "entity_metadata",
            "channel_id",
            "recurrence_rule",
        ):
            if k in body:
                ev[k] = body[k]
        await self._gw_guild_event(
            INTENT_GUILD_SCHEDULED_EVENTS, "GUILD_SCHEDULED_EVENT_UPDATE", ev
        )
        return self._json(ev)

    async def _delete_event(self, req: _Req) -> web.Response:
        g, ev = self._event(req)
        del g.scheduled_events[int(ev["id"])]
        await self._gw_guild_event(
            INTENT_GUILD_SCHEDULED_EVENTS, "GUILD_SCHEDULED_EVENT_DELETE", ev
        )
        return self._no_content()

    # -- queries for tests ----------------------------------------------------------------

    def requests_to(self, method: str, route: str) -> list[RecordedRequest]:
        """Recorded requests of one method and route template."""
        return [r for r in self.requests if r.method == method and r.route == route]


def _stamp_component_ids(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy components as Discord echoes them, numbering each with an ``id`` when missing."""
    counter = itertools.count(1)

    def walk(c: dict[str, Any]) -> dict[str, Any]:
        c = dict(c)
        c.setdefault("id", next(counter))
        if "components" in c:
            c["components"] = [walk(x) for x in c["components"]]
        if "accessory" in c and isinstance(c["accessory"], dict):
            c["accessory"] = walk(c["accessory"])
        if "component" in c and isinstance(c["component"], dict):
            c["component"] = walk(c["component"])
        return c

    return [walk(c) for c in components]


def _content_type(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "txt": "text/plain; charset=utf-8",
        "csv": "text/csv; charset=utf-8",
        "json": "application/json",
        "ics": "text/calendar; charset=utf-8",
        "pdf": "application/pdf",
    }.get(ext, "application/octet-stream")
