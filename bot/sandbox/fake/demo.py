"""The demo server the sandbox and the tests start from: Local 600 and its five members.

Channels #general, #announcements, #updates, #committee (organizers only), #cat; roles
cat, cat-coordinator, organizer, admin and the bot's; members alice (no role), bob (cat),
carol (organizer), dave (cat-coordinator) and erin (admin, the owner).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.fake.model import (
    ADMINISTRATOR,
    CREATE_EVENTS,
    MANAGE_EVENTS,
    VIEW_CHANNEL,
    FakeRole,
    FakeUser,
)


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


class Demo:
    """:meth:`add_demo_guild` for :class:`~bot.sandbox.fake.FakeDiscord` (a mixin)."""

    bot_user: FakeUser
    demo: DemoGuild | None

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
