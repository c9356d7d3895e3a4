"""Taking a /setup role from a member through Discord, when the database no longer says they
should have it (`/privacy delete` removes the CAT role after deleting the CAT record)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.core import guild_settings

if TYPE_CHECKING:
    from bot.glue.app import Rankfile

log = logging.getLogger("rankfile.roles")

REFUSED = (
    "Discord refused to remove the {label} (it sits above the bot's highest role, or the bot "
    "lacks Manage Roles): an admin can remove it, or fix the bot's role with `/setup check`."
)


def holds(member: discord.abc.User, role_id: int | None) -> bool:
    """Whether the member holds the role (False for a user not seen as a server member)."""
    return (
        bool(role_id)
        and isinstance(member, discord.Member)
        and any(r.id == role_id for r in member.roles)
    )


async def take_setup_role(
    bot: Rankfile, guild_id: int, member: discord.abc.User, setting: str, reason: str
) -> tuple[bool, str | None]:
    """Remove the /setup role named by `setting` (e.g. "cat_role_id") if the member holds it:
    (whether it was removed, a sentence when Discord refused)."""
    settings = await guild_settings.get(bot.db, guild_id)
    role_id = getattr(settings, setting)
    if not holds(member, role_id):
        return False, None
    try:
        await bot.http.remove_role(guild_id, member.id, role_id, reason=reason)
    except discord.Forbidden:
        log.warning("could not remove a /setup role in guild %s", guild_id)
        return False, REFUSED.format(label=guild_settings.LABEL.get(setting, "role"))
    except discord.NotFound:
        return False, None
    return True, None
