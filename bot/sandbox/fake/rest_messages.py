"""REST routes of channels and messages: posts, edits, deletes, threads, pins, DMs.

Posting checks what Discord checks: the channel exists, the bot sees it and may send there
(in threads: may send in threads), a DM's recipient accepts DMs, the message is not empty.
A repeated ``nonce`` with ``enforce_nonce`` returns the first message instead of a second.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox.fake.model import (
    DM,
    EPHEMERAL,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    FakeChannel,
    FakeGuild,
    FakeUser,
)
from bot.sandbox.fake.wire import FakeHTTPError, ParsedRequest, json_response, no_content


class MessageRoutes:
    """Handlers for /channels and /users/@me/channels (a mixin)."""

    bot_user: FakeUser
    users: dict[int, FakeUser]
    guilds: dict[int, FakeGuild]
    dm_channels: dict[int, FakeChannel]
    messages: dict[int, list[dict[str, Any]]]
    _messages_by_id: dict[int, dict[str, Any]]
    _nonces: dict[tuple[int, str], int]

    async def _get_channel(self, req: ParsedRequest) -> web.Response:
        c = self.find_channel(int(req.params["channel_id"]))
        if c is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        return json_response(c.to_dict(self))

    async def _list_messages(self, req: ParsedRequest) -> web.Response:
        cid = int(req.params["channel_id"])
        if self.find_channel(cid) is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        msgs = [m for m in self.messages.get(cid, []) if not m["flags"] & EPHEMERAL]
        limit = int(req.query.get("limit", 50))
        if "before" in req.query:
            msgs = [m for m in msgs if int(m["id"]) < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if int(m["id"]) > int(req.query["after"])]
            return json_response(list(reversed(msgs[:limit])))
        return json_response(list(reversed(msgs))[:limit])

    async def _create_message(self, req: ParsedRequest) -> web.Response:
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
                return json_response(self._messages_by_id[seen])
        flags = int(body.get("flags") or 0) & (4 | 4096 | 32768)
        msg = self._store_message(cid, body, req.files, flags=flags)
        if nonce is not None:
            self._nonces[(cid, str(nonce))] = int(msg["id"])
        return json_response(msg)

    def _channel_message(self, req: ParsedRequest) -> dict[str, Any]:
        cid = int(req.params["channel_id"])
        if self.find_channel(cid) is None:
            raise FakeHTTPError(404, 10003, "Unknown Channel")
        msg = self._messages_by_id.get(int(req.params["message_id"]))
        if msg is None or int(msg["channel_id"]) != cid or msg["flags"] & EPHEMERAL:
            raise FakeHTTPError(404, 10008, "Unknown Message")
        return msg

    async def _get_message(self, req: ParsedRequest) -> web.Response:
        return json_response(self._channel_message(req))

    async def _edit_message_route(self, req: ParsedRequest) -> web.Response:
        msg = self._channel_message(req)
        if msg["author"]["id"] != str(self.bot_user.id):
            raise FakeHTTPError(403, 50005, "Cannot edit a message authored by another user")
        return json_response(self._edit_message(msg, req.json or {}, req.files))

    async def _delete_message_route(self, req: ParsedRequest) -> web.Response:
        self._delete_message(self._channel_message(req))
        return no_content()

    async def _create_thread(self, req: ParsedRequest) -> web.Response:
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
        return json_response(d, 201)

    async def _reaction(self, req: ParsedRequest) -> web.Response:
        self._channel_message(req)
        return no_content()

    async def _pin(self, req: ParsedRequest) -> web.Response:
        msg = self._channel_message(req)
        msg["pinned"] = req.method == "PUT"
        return no_content()

    async def _typing(self, req: ParsedRequest) -> web.Response:
        self._check_send(int(req.params["channel_id"]))
        return no_content()

    async def _create_dm(self, req: ParsedRequest) -> web.Response:
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
        return json_response(c.to_dict(self))
