"""The fake's world: users, guilds, roles, channels, members, and what they may do.

Tests and the sandbox build the world with these (``add_user``, ``add_guild``,
``add_channel``, ``add_role``, ``add_member``) and change it under the bot
(``remove_member``, ``member_leaves``, ``take_role``, ``delete_channel``, ``set_dms_open``).
Permissions are computed as Discord does: @everyone, then roles, administrator, channel
overwrites (@everyone, roles, member), threads following their parent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.sandbox.fake.model import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BOT_ROLE_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    GUILD_TEXT,
    INTENT_GUILD_MEMBERS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    now_iso,
)


class State:
    """Users, guilds and channels of :class:`~bot.sandbox.fake.FakeDiscord` (a mixin).

    ``FakeDiscord.__init__`` holds the state itself (``users``, ``guilds``, ``dm_channels``,
    ``messages``); the gateway mixin tells the bot of changes.
    """

    users: dict[int, FakeUser]
    guilds: dict[int, FakeGuild]
    dm_channels: dict[int, FakeChannel]
    messages: dict[int, list[dict[str, Any]]]
    bot_user: FakeUser
    intents: int

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
        type: int = GUILD_TEXT,  # Discord's field name
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

    async def take_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Someone takes a role from a member (not the bot): the member route answers without it
        from now on, and the bot hears GUILD_MEMBER_UPDATE when it has the members intent."""
        member = self.guilds[guild_id].members[user_id]
        if role_id in member.roles:
            member.roles.remove(role_id)
        await self._gw_guild_event(
            INTENT_GUILD_MEMBERS,
            "GUILD_MEMBER_UPDATE",
            {"guild_id": str(guild_id), **self.member_dict(guild_id, user_id)},
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
                else now_iso(),
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
