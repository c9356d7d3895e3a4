"""Autocomplete choices several cogs offer: the server's update topics and bargaining units.

They live here, beside the other shared Discord helpers, so that no cog imports another.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot import topics
from bot.core import units
from bot.core.render import Limits, truncate
from bot.glue.app import Rankfile


async def topic_choices(
    bot: Rankfile, guild_id: int, current: str
) -> list[app_commands.Choice[str]]:
    """Topics for a comma-separated option: completes the last item, keeps the ones before."""
    done, _, typed = current.rpartition(",")
    prefix = f"{done.strip()}, " if done.strip() else ""
    names = await topics.topics(bot.db, guild_id, bot.clock.now())
    found = [n for n in names if typed.strip().lower() in n.lower()][: Limits.CHOICES]
    return [
        app_commands.Choice(name=truncate(prefix + n, 100), value=truncate(prefix + n, 100))
        for n in found
    ]


async def unit_choices(
    bot: Rankfile, guild_id: int, current: str, *, many: bool = False
) -> list[app_commands.Choice[str]]:
    """Units by code or name; with `many`, completes the last of a comma-separated list."""
    done, _, typed = current.rpartition(",") if many else ("", "", current)
    prefix = f"{done.strip()}, " if done.strip() else ""
    found = await units.matching(bot.db, guild_id, typed)
    return [
        app_commands.Choice(name=truncate(prefix + u.label, 100), value=prefix + u.code)
        for u in found
        if len(prefix + u.code) <= 100
    ]


# Autocomplete callbacks, for `@app_commands.autocomplete(option=...)`.


def _bot(interaction: discord.Interaction) -> Rankfile:
    return interaction.client  # type: ignore[return-value]


async def topic(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """One topic."""
    return await topic_choices(
        _bot(interaction), interaction.guild_id or 0, current.replace(",", " ")
    )


async def topic_list(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Topics separated by commas."""
    return await topic_choices(_bot(interaction), interaction.guild_id or 0, current)


async def unit(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """One bargaining unit."""
    return await unit_choices(_bot(interaction), interaction.guild_id or 0, current)


async def unit_list(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Bargaining units separated by commas."""
    return await unit_choices(_bot(interaction), interaction.guild_id or 0, current, many=True)
