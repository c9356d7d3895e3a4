"""REST routes of guilds: the guild, its channels, roles, members, and scheduled events.

Giving or taking a role checks Manage Roles and the role hierarchy, as Discord does; the
bot hears GUILD_MEMBER_UPDATE and GUILD_SCHEDULED_EVENT_* when its intents ask for them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox.fake.model import (
    CREATE_EVENTS,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_SCHEDULED_EVENTS,
    MANAGE_EVENTS,
    MANAGE_ROLES,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    FakeGuild,
    FakeUser,
)
from bot.sandbox.fake.wire import FakeHTTPError, ParsedRequest, json_response, no_content


class GuildRoutes:
    """Handlers for /guilds (a mixin)."""

    bot_user: FakeUser
    guilds: dict[int, FakeGuild]

    def _guild(self, req: ParsedRequest) -> FakeGuild:
        g = self.guilds.get(int(req.params["guild_id"]))
        if g is None:
            raise FakeHTTPError(404, 10004, "Unknown Guild")
        return g

    async def _get_guild(self, req: ParsedRequest) -> web.Response:
        g = self._guild(req)
        d = self.guild_dict(g, full=False)
        if req.query.get("with_counts") in ("1", "true"):
            d.update(approximate_member_count=len(g.members), approximate_presence_count=0)
        return json_response(d)

    async def _guild_channels(self, req: ParsedRequest) -> web.Response:
        g = self._guild(req)
        return json_response(
            [
                c.to_dict(self)
                for c in g.channels.values()
                if c.type not in (PUBLIC_THREAD, PRIVATE_THREAD)
            ]
        )

    async def _guild_roles(self, req: ParsedRequest) -> web.Response:
        g = self._guild(req)
        return json_response(
            [r.to_dict() for r in sorted(g.roles.values(), key=lambda r: r.position)]
        )

    async def _guild_members(self, req: ParsedRequest) -> web.Response:
        g = self._guild(req)
        limit = int(req.query.get("limit", 1))
        after = int(req.query.get("after", 0))
        ids = sorted(uid for uid in g.members if uid > after)[:limit]
        return json_response([self.member_dict(g.id, uid) for uid in ids])

    async def _guild_member(self, req: ParsedRequest) -> web.Response:
        g = self._guild(req)
        uid = int(req.params["user_id"])
        if uid not in g.members:
            raise FakeHTTPError(404, 10007, "Unknown Member")
        return json_response(self.member_dict(g.id, uid))

    async def _member_role(self, req: ParsedRequest) -> web.Response:
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
        return no_content()

    # scheduled events

    def _event(self, req: ParsedRequest) -> tuple[FakeGuild, dict[str, Any]]:
        g = self._guild(req)
        ev = g.scheduled_events.get(int(req.params["guild_scheduled_event_id"]))
        if ev is None:
            raise FakeHTTPError(404, 10070, "Unknown Guild Scheduled Event")
        return g, ev

    async def _list_events(self, req: ParsedRequest) -> web.Response:
        g = self._guild(req)
        return json_response(list(g.scheduled_events.values()))

    async def _create_event(self, req: ParsedRequest) -> web.Response:
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
        return json_response(ev)

    async def _get_event(self, req: ParsedRequest) -> web.Response:
        return json_response(self._event(req)[1])

    async def _edit_event(self, req: ParsedRequest) -> web.Response:
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
        return json_response(ev)

    async def _delete_event(self, req: ParsedRequest) -> web.Response:
        g, ev = self._event(req)
        del g.scheduled_events[int(ev["id"])]
        await self._gw_guild_event(
            INTENT_GUILD_SCHEDULED_EVENTS, "GUILD_SCHEDULED_EVENT_DELETE", ev
        )
        return no_content()
