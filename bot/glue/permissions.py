"""The one permission check: roles from /setup, enforced at run time on every privileged command.

Discord's `default_member_permissions` hides privileged top-level commands from members, but a
server can change what Discord hides, so every organizer, coordinator and admin command also
carries `requires(...)`, which checks the member's roles when the command runs. Buttons and
modals meant for organizers call `ensure(...)` themselves. Buttons that can be pressed in a
DM (reminders, cascades, town halls) call `ensure_member(...)` with the server they belong
to: someone who left it, or lost the role the content is for, gets nothing more.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.core import departures, guild_settings
from bot.core.errors import UserError

if TYPE_CHECKING:
    from bot.glue.app import Rankfile

T = TypeVar("T")


class Access(enum.Enum):
    """Who may use a command, from the least to the most trusted."""

    MEMBER = "member"
    CAT = "CAT volunteer"
    COORDINATOR = "CAT coordinator"
    ORGANIZER = "organizer"
    ADMIN = "admin"


# Which /setup role grants each level; ADMIN is Manage Server (or Administrator).
ROLE_SETTING = {
    Access.CAT: "cat_role_id",
    Access.COORDINATOR: "coordinator_role_id",
    Access.ORGANIZER: "organizer_role_id",
}
# The permission Discord uses to hide each level's top-level commands from members: organizers
# and coordinators are given Manage Events (they run town halls; it grants nothing sensitive),
# admins have Manage Server. An admin can change who sees what in Server Settings >
# Integrations; the run-time check (`requires`) is what enforces it.
HIDDEN_BEHIND = {
    Access.COORDINATOR: discord.Permissions(manage_events=True),
    Access.ORGANIZER: discord.Permissions(manage_events=True),
    Access.ADMIN: discord.Permissions(manage_guild=True),
}


class AccessDenied(app_commands.CheckFailure):
    """The member lacks the role a command needs; the message names it."""

    def __init__(self, needed: Access, role_id: int | None) -> None:
        self.needed = needed
        self.role_id = role_id
        if needed is Access.ADMIN:
            text = "This is for server admins: it needs the Manage Server permission."
        elif role_id:
            text = f"This is for {needed.value}s: it needs the <@&{role_id}> role."
        else:
            option = guild_settings.SETUP_OPTION[ROLE_SETTING[needed]]
            text = (
                f"This is for {needed.value}s, and this server has no {needed.value} role yet: "
                f"an admin can set it with `{option}`."
            )
        super().__init__(text)


class NotInServer(app_commands.CheckFailure):
    """Commands work inside a server only."""

    def __init__(self) -> None:
        super().__init__("rankfile's commands work inside your union's server, not in DMs.")


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server or Administrator in this server."""
    perms = interaction.permissions
    return bool(perms.administrator or perms.manage_guild)


async def access_levels(interaction: discord.Interaction) -> set[Access]:
    """Every level the acting member holds in this server."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return set()
    bot: Rankfile = interaction.client  # type: ignore[assignment]
    settings = await guild_settings.get(bot.db, interaction.guild_id)
    role_ids = {role.id for role in interaction.user.roles}
    levels = {Access.MEMBER}
    for level, setting in ROLE_SETTING.items():
        role_id = getattr(settings, setting)
        if role_id and role_id in role_ids:
            levels.add(level)
    if is_admin(interaction):
        levels.update(Access)
    return levels


async def ensure(interaction: discord.Interaction, needed: Access) -> None:
    """Raise AccessDenied unless the member holds `needed` (admins hold every level)."""
    if interaction.guild_id is None:
        raise NotInServer()
    if needed in await access_levels(interaction):
        return
    role_id = None
    if needed in ROLE_SETTING:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        settings = await guild_settings.get(bot.db, interaction.guild_id)
        role_id = getattr(settings, ROLE_SETTING[needed])
    raise AccessDenied(needed, role_id)


# What a DM button's content may require, as `departures.verdict` names it.
_REQUIREMENT_LABEL = {"cat": "CAT volunteers", "coordinator": "CAT coordinators"}


async def ensure_member(
    interaction: discord.Interaction, guild_id: int, requires: str | None = None
) -> None:
    """Refuse (UserError) unless the presser is still a member of `guild_id` and, with
    `requires` ("cat", "coordinator"), holds that /setup role.

    For buttons and forms that may be pressed in a DM, where Discord says nothing of the
    server: a member fetch (cached briefly, bot.glue.membership). Inside that server the
    interaction's own member is used. Someone no longer entitled has their subscriptions,
    reminders and registrations dropped (bot.core.departures).
    """
    bot: Rankfile = interaction.client  # type: ignore[assignment]
    user = interaction.user
    if interaction.guild_id == guild_id and isinstance(user, discord.Member):
        role_ids = frozenset(r.id for r in user.roles)
        bot.members.remember(guild_id, user.id, role_ids)
        settings = await guild_settings.get(bot.db, guild_id)
        reason = departures.verdict(settings, role_ids, requires)
        if reason is not None:
            await departures.departed(bot.db, guild_id, user.id, reason, requires, bot.clock.now())
    else:
        reason = await bot.members.check(guild_id, user.id, requires)
    if reason == departures.MEMBER_LEFT:
        raise UserError(
            "This belongs to a server you're no longer a member of, so nothing was done."
        )
    if reason == departures.LOST_ROLE:
        who = _REQUIREMENT_LABEL.get(requires or "", "members with a role")
        raise UserError(
            f"This is for {who}, and you no longer hold that role, so nothing was done."
        )


def requires(needed: Access) -> Callable[[T], T]:
    """Decorate a command: only members holding `needed` may run it (checked at run time)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        await ensure(interaction, needed)
        return True

    def decorator(func: T) -> T:
        func = app_commands.check(predicate)(func)
        target: Any = func
        extras = getattr(target, "extras", None)
        if isinstance(extras, dict):
            extras["access"] = needed
        else:
            # A plain function, not yet a Command: the attribute is read by `access_of`.
            target.__rankfile_access__ = needed
        return func

    return decorator


def shown_to(level: Access) -> Callable[[T], T]:
    """Decorate a command any member may run that only makes sense to `level` (a volunteer's
    log): `/help` lists it to them alone. No run-time check: the domain refuses the others."""

    def decorator(func: T) -> T:
        target: Any = func
        extras = getattr(target, "extras", None)
        if isinstance(extras, dict):
            extras["audience"] = level
        else:
            target.__rankfile_audience__ = level
        return func

    return decorator


def audience_of(command: app_commands.Command | app_commands.Group) -> Access:
    """Whom `/help` lists a command to: its `shown_to` level, else the level it needs."""
    extras = getattr(command, "extras", {}) or {}
    if "audience" in extras:
        return extras["audience"]
    marked = getattr(getattr(command, "callback", None), "__rankfile_audience__", None)
    return marked if marked is not None else access_of(command)


def access_of(command: app_commands.Command | app_commands.Group) -> Access:
    """The level a command needs: its own `requires`, else its parent group's, else MEMBER."""
    node: Any = command
    while node is not None:
        extras = getattr(node, "extras", {}) or {}
        if "access" in extras:
            return extras["access"]
        callback = getattr(node, "callback", None)
        marked = getattr(callback, "__rankfile_access__", None)
        if marked is not None:
            return marked
        node = getattr(node, "parent", None)
    return Access.MEMBER
