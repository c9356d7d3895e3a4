"""The fake's message store: messages as Discord makes them, and the files on its CDN.

Creating, editing and deleting a message queues the MESSAGE_* gateway event Discord would
send (never for an ephemeral message), sent once the request's handler is done.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from typing import Any

from bot.sandbox.fake.model import (
    DM,
    EPHEMERAL,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    LOADING,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    FakeChannel,
    FakeInteraction,
    FakeUser,
    now_iso,
)
from bot.sandbox.fake.wire import FakeHTTPError


class Messages:
    """Messages and CDN files of :class:`~bot.sandbox.fake.FakeDiscord` (a mixin).

    ``FakeDiscord.__init__`` holds ``messages`` (by channel), ``_messages_by_id``, ``cdn``
    and the gateway's ``_pending_events``.
    """

    users: dict[int, FakeUser]
    bot_user: FakeUser
    application_id: int
    intents: int
    messages: dict[int, list[dict[str, Any]]]
    _messages_by_id: dict[int, dict[str, Any]]
    _pending_events: list[tuple[str, dict[str, Any]]]
    cdn: dict[str, tuple[bytes, str]]

    def message(self, message_id: int) -> dict[str, Any]:
        """A stored message by id (KeyError when unknown or deleted)."""
        return self._messages_by_id[message_id]

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Stored messages of a channel, oldest first (ephemeral ones included)."""
        return self.messages.get(channel_id, [])

    def all_messages(self) -> list[dict[str, Any]]:
        """Every stored message, by id order."""
        return [self._messages_by_id[k] for k in sorted(self._messages_by_id)]

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
            "timestamp": now_iso(),
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
        msg["edited_timestamp"] = now_iso()
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
