"""What both CAT cogs (and their buttons) share: the CAT role given and taken, the units a
coordinator sees, unit autocomplete, and the coverage reply."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands

from bot import cat
from bot.core import guild_settings, render, units
from bot.core.errors import UserError
from bot.glue.app import Rankfile
from bot.glue.permissions import is_admin
from bot.glue.ui import reply
from cogs.cat.embeds import ROLE_TOO_HIGH, coverage_embed

log = logging.getLogger("rankfile.cat")

ROLE_GONE = "the CAT role no longer exists: an admin can pick one with `/setup roles cat:`."


async def unit_choices(
    bot: Rankfile, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The server's units matching what was typed, for autocomplete."""
    found = await units.matching(bot.db, interaction.guild_id or 0, current)
    return [
        app_commands.Choice(name=render.truncate(u.label, 100), value=u.code) for u in found[:25]
    ]


async def my_scope(bot: Rankfile, interaction: discord.Interaction) -> set[int] | None:
    """The units this coordinator sees (None: all; admins always see all). A coordinator
    never registered with `/setup coordinator` sees none: a UserError says to ask an admin."""
    if is_admin(interaction):
        return None
    return await cat.coordinator_scope(bot.db, interaction.guild_id, interaction.user.id)


def ensure_can_post(interaction: discord.Interaction, channel: discord.abc.GuildChannel) -> None:
    """Refuse unless both the member running the command and the bot may post in `channel`:
    a coordinator never posts, through the bot, where they could not post themselves."""
    guild = interaction.guild
    member = interaction.user
    if guild is None or not isinstance(member, discord.Member):
        raise UserError("Post from inside your union's server.")
    mine = channel.permissions_for(member)
    if not (mine.view_channel and mine.send_messages):
        raise UserError(
            f"You can't post in {channel.mention} yourself, so the bot won't post there for "
            "you: pick a channel you can post in, or ask an admin."
        )
    bots = channel.permissions_for(guild.me)
    if not (bots.view_channel and bots.send_messages and bots.embed_links):
        raise UserError(
            f"The bot can't post in {channel.mention} (it needs View Channel, Send Messages "
            "and Embed Links there): an admin can allow it, or pick another channel."
        )


def coordinators_channel(bot: Rankfile, settings: guild_settings.GuildSettings) -> int | None:
    """The coordinators' channel when it is set and @everyone cannot read it, else None:
    members' data (names, sign-up problems) is never posted where everyone reads it."""
    channel = bot.get_channel(settings.cat_channel_id or 0)
    if not isinstance(channel, discord.abc.GuildChannel):
        return None
    if channel.permissions_for(channel.guild.default_role).view_channel:
        log.warning("the CAT coordinators' channel of guild %s is public", channel.guild.id)
        return None
    return channel.id


async def coverage_reply(
    bot: Rankfile, interaction: discord.Interaction, scope: set[int] | None
) -> None:
    """Coverage per unit and shift as embeds and the PNG (aggregates only)."""
    settings = await guild_settings.get(bot.db, interaction.guild_id)
    cov = await cat.coverage(
        bot.db,
        interaction.guild_id,
        bot.clock.now(),
        ratio=settings.cat_target_ratio,
        timezone=settings.timezone,
        scope=scope,
    )
    png = await asyncio.to_thread(cat.coverage_chart, cov)
    await reply(
        interaction,
        embeds=[coverage_embed(cov)],
        files=[("cat-coverage.png", png, cat.coverage_description(cov))],
        ephemeral=True,
    )


async def grant_role(
    bot: Rankfile,
    guild_id: int,
    member: discord.User | discord.Member,
    settings: guild_settings.GuildSettings,
) -> str | None:
    """Give the CAT role unless the member has it; a sentence when Discord refused."""
    role_id = settings.cat_role_id
    if not role_id:
        return "this server has no CAT role yet (an admin sets it with `/setup roles cat:`)."
    if isinstance(member, discord.Member) and any(r.id == role_id for r in member.roles):
        await cat.set_role_state(bot.db, guild_id, member.id, "granted")
        return None
    try:
        await bot.http.add_role(
            guild_id, member.id, role_id, reason="Joined the Contract Action Team"
        )
    except discord.Forbidden:
        why = ROLE_TOO_HIGH
    except discord.NotFound:
        why = ROLE_GONE
    else:
        await cat.set_role_state(bot.db, guild_id, member.id, "granted")
        return None
    log.warning("CAT role not given in guild %s", guild_id)
    await cat.report_role_failure(
        bot.db,
        guild_id,
        member.id,
        bot.clock.now(),
        channel_id=coordinators_channel(bot, settings),
        why=why,
    )
    return why


async def take_role(
    bot: Rankfile,
    guild_id: int,
    member: discord.User | discord.Member,
    settings: guild_settings.GuildSettings,
) -> str | None:
    """Remove the CAT role when the member has it; a sentence when Discord refused."""
    role_id = settings.cat_role_id
    if not role_id or not isinstance(member, discord.Member):
        return None
    if not any(r.id == role_id for r in member.roles):
        await cat.set_role_state(bot.db, guild_id, member.id, "none")
        return None
    try:
        await bot.http.remove_role(
            guild_id, member.id, role_id, reason="Left the Contract Action Team"
        )
    except discord.Forbidden:
        return ROLE_TOO_HIGH
    except discord.NotFound:
        return None
    await cat.set_role_state(bot.db, guild_id, member.id, "none")
    return None
