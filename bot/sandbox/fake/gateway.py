"""The fake's gateway: HELLO, IDENTIFY, heartbeats, RESUME, and the dispatches to the bot.

Frames go out uncompressed as TEXT (discord.py accepts them even when it asked for
zlib-stream). Every dispatch is buffered, so a bot that resumes gets what it missed.
INTERACTION_CREATE payloads are registered so the REST side knows each interaction's token,
user and channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.fake.model import FakeGuild, FakeInteraction, FakeUser
from bot.sandbox.fake.wire import dumps


class Gateway:
    """The gateway websocket of :class:`~bot.sandbox.fake.FakeDiscord` (a mixin).

    ``FakeDiscord.__init__`` holds the session's counters and buffers.
    """

    token: str
    application_id: int
    bot_user: FakeUser
    users: dict[int, FakeUser]
    guilds: dict[int, FakeGuild]
    interactions: dict[int, FakeInteraction]
    _interactions_by_token: dict[str, FakeInteraction]
    _modal_openers: dict[int, FakeInteraction]
    heartbeat_interval_ms: int
    gateway_timeout: float
    intents: int
    session_id: str | None
    seq: int
    _sent_events: list[dict[str, Any]]
    _ws: web.WebSocketResponse | None
    _ws_ready: asyncio.Event
    gateway_connects: int
    identify_count: int
    resume_count: int
    heartbeats: int
    presence_updates: list[dict[str, Any]]

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
            dumps(
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
            await ws.send_str(dumps({"op": 11, "d": None, "s": None, "t": None}))
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
                await ws.send_str(dumps({"op": 9, "d": False, "s": None, "t": None}))
                return
            last = int(d.get("seq") or 0)
            for frame_ in [f for f in self._sent_events if f["s"] > last]:
                await ws.send_str(dumps(frame_))
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
            # Sent uncompressed as TEXT: discord.py accepts it even when it asked for zlib-stream.
            try:
                await ws.send_str(dumps(frame))
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
