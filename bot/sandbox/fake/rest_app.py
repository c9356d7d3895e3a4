"""REST routes of the application: who the bot is, its commands, interactions, webhooks.

Interaction callbacks are checked as Discord checks them: one answer per interaction, of a
type allowed for the interaction's type. Callbacks come with ``?with_response=1`` (answered
with an InteractionCallbackResponse; a deferred answer carries no message resource) and
followups with ``?wait=1`` (answered with the message, not 204).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox.fake.model import EPHEMERAL, LOADING, FakeGuild, FakeInteraction, FakeUser
from bot.sandbox.fake.wire import FakeHTTPError, ParsedRequest, json_response, no_content


class AppRoutes:
    """Handlers for /users, /applications, /gateway, /interactions, /webhooks (a mixin)."""

    application_id: int
    bot_user: FakeUser
    users: dict[int, FakeUser]
    guilds: dict[int, FakeGuild]
    commands: dict[int | None, list[dict[str, Any]]]
    _command_ids: dict[tuple[int | None, int, str], int]
    interactions: dict[int, FakeInteraction]
    _interactions_by_token: dict[str, FakeInteraction]
    open_modals: dict[int, FakeInteraction]
    _modal_openers: dict[int, FakeInteraction]
    _messages_by_id: dict[int, dict[str, Any]]

    # users, application, gateway

    async def _get_me(self, req: ParsedRequest) -> web.Response:
        d = self.bot_user.to_dict()
        d.update(mfa_enabled=False, locale="en-US", verified=True, email=None, bio="")
        return json_response(d)

    async def _get_user(self, req: ParsedRequest) -> web.Response:
        u = self.users.get(int(req.params["user_id"]))
        if u is None:
            raise FakeHTTPError(404, 10013, "Unknown User")
        return json_response(u.to_dict())

    async def _my_guilds(self, req: ParsedRequest) -> web.Response:
        return json_response(
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

    async def _get_app(self, req: ParsedRequest) -> web.Response:
        owner = next((u for u in self.users.values() if not u.bot), None) or self.bot_user
        return json_response(
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

    async def _get_gateway(self, req: ParsedRequest) -> web.Response:
        return json_response({"url": "wss://gateway.discord.gg"})

    async def _get_gateway_bot(self, req: ParsedRequest) -> web.Response:
        return json_response(
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

    async def _list_commands(self, req: ParsedRequest) -> web.Response:
        gid = int(req.params["guild_id"]) if "guild_id" in req.params else None
        return json_response(self.commands.get(gid, []))

    async def _bulk_commands(self, req: ParsedRequest) -> web.Response:
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
        return json_response(out)

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

    async def _callback(self, req: ParsedRequest) -> web.Response:
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
            return no_content()
        interaction_info: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
        # Only a message made or updated now is a resource (the spec's oneOf); a deferred
        # response carries none, nor do modals and autocomplete answers.
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
        return json_response(out)

    def _webhook_target(self, req: ParsedRequest) -> tuple[FakeInteraction, dict[str, Any]]:
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

    async def _followup(self, req: ParsedRequest) -> web.Response:
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
            return json_response(msg)
        return no_content()

    async def _get_webhook_message(self, req: ParsedRequest) -> web.Response:
        _, msg = self._webhook_target(req)
        return json_response(msg)

    async def _edit_webhook_message(self, req: ParsedRequest) -> web.Response:
        _, msg = self._webhook_target(req)
        return json_response(self._edit_message(msg, req.json or {}, req.files))

    async def _delete_webhook_message(self, req: ParsedRequest) -> web.Response:
        _, msg = self._webhook_target(req)
        self._delete_message(msg)
        return no_content()
