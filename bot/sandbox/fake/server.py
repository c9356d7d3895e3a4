"""A loopback fake of Discord: REST API, gateway websocket and CDN on 127.0.0.1.

The bot's real stack (discord.py, aiohttp, TLS) talks to it through the connector returned
by :meth:`FakeDiscord.connector`: its resolver sends Discord's hosts to the fake's port and
refuses every other host, and its SSL context trusts a throw-away certificate made at start.
Nothing in discord.py is patched (patching its HTTP client would miss interaction replies,
which go through its webhook adapter, and its rate-limit handling).

Every request is recorded (:attr:`FakeDiscord.requests`); requests to routes the fake does
not know are answered 404 and listed in :attr:`FakeDiscord.unknown_routes`; JSON bodies are
validated against Discord's OpenAPI description when it is available
(:attr:`FakeDiscord.schema_errors`). Faults (429, 5xx, 403, slow answers) are injected with
:meth:`FakeDiscord.inject` and a Discord-like rate limiter is switched on with
:meth:`FakeDiscord.rate_limit`.

:class:`FakeDiscord` is composed here from the package's parts: the world (``state``), the
message store (``messages``), the demo server (``demo``), the gateway (``gateway``), faults
and rate limits (``faults``) and the REST routes (``rest_app``, ``rest_messages``,
``rest_guilds``); this module holds the aiohttp application, its start and close, the
request pipeline and the route table.

This package does not import discord.py: it speaks the wire protocol only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.fake.demo import Demo, DemoGuild
from bot.sandbox.fake.faults import Fault, Faults, RateLimiter
from bot.sandbox.fake.gateway import Gateway
from bot.sandbox.fake.messages import Messages
from bot.sandbox.fake.model import FakeChannel, FakeGuild, FakeInteraction, FakeUser
from bot.sandbox.fake.rest_app import AppRoutes
from bot.sandbox.fake.rest_guilds import GuildRoutes
from bot.sandbox.fake.rest_messages import MessageRoutes
from bot.sandbox.fake.spec import SpecValidators, load_spec
from bot.sandbox.fake.state import State
from bot.sandbox.fake.tls import FakeResolver, make_certificate
from bot.sandbox.fake.wire import (
    API_PREFIX,
    DISCORD_EPOCH_MS,
    FakeHTTPError,
    Handler,
    ParsedRequest,
    RecordedRequest,
    error_response,
    json_response,
)

log = logging.getLogger("rankfile.fake_discord")


class FakeDiscord(State, Messages, Demo, Gateway, Faults, AppRoutes, MessageRoutes, GuildRoutes):
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
        self._limiter: RateLimiter | None = None
        self._validate = validate
        self._spec_path = Path(spec_path) if spec_path else None
        self._spec: SpecValidators | None = None

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
        cert_path, key_path, self._cert_pem = make_certificate()
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert_path, key_path)
        if self._validate:
            self._spec = load_spec(self._spec_path)
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
        return aiohttp.TCPConnector(resolver=FakeResolver(self.port), ssl=ctx, force_close=False)

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
                return json_response(
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
            return error_response(401, 0, "401: Unauthorized")
        req = ParsedRequest(
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
            resp = error_response(e.status, e.code, e.message, e.errors)
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

    async def _unknown(self, request: web.Request) -> web.Response:
        body, files = await self._parse(request)
        path = request.path
        route = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
        rec = self._record(request, route, body, files)
        rec.status = 404
        self.unknown_routes.append(rec)
        log.warning("fake Discord: unknown route %s %s", request.method, path)
        return error_response(404, 0, "404: Not Found")

    async def _cdn_get(self, request: web.Request) -> web.Response:
        item = self.cdn.get(request.path)
        if item is None:
            return await self._unknown(request)
        self._record(request, request.path, None, []).status = 200
        data, ctype = item
        return web.Response(body=data, headers={"Content-Type": ctype})

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

    # -- queries for tests ----------------------------------------------------------------

    def requests_to(self, method: str, route: str) -> list[RecordedRequest]:
        """Recorded requests of one method and route template."""
        return [r for r in self.requests if r.method == method and r.route == route]
