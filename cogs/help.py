"""/help: the commands this member may use, grouped, one line each."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.render import Colour, embed, truncate
from bot.glue.app import Rankfile
from bot.glue.permissions import Access, access_levels, access_of
from bot.glue.ui import reply


def command_lines(
    tree: app_commands.CommandTree, levels: set[Access]
) -> list[tuple[str, list[str]]]:
    """(top-level name, lines) for every command the given access levels may run."""
    groups: list[tuple[str, list[str]]] = []
    for top in sorted(tree.get_commands(), key=lambda c: c.name):
        if not isinstance(top, app_commands.Command | app_commands.Group):
            continue
        leaves = list(top.walk_commands()) if isinstance(top, app_commands.Group) else [top]
        lines = [
            f"`/{leaf.qualified_name}` {leaf.description}"
            for leaf in leaves
            if isinstance(leaf, app_commands.Command) and access_of(leaf) in levels
        ]
        if lines:
            groups.append((top.name, lines))
    return groups


class Help(commands.Cog):
    """Help for every member."""

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What rankfile can do for you")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction) -> None:
        levels = await access_levels(interaction)
        groups = command_lines(self.bot.tree, levels)
        fields = [(f"/{name}", truncate("\n".join(lines), 1024), False) for name, lines in groups]
        you = ", ".join(level.value for level in Access if level in levels)
        await reply(
            interaction,
            embeds=[
                embed(
                    "rankfile: what you can do",
                    "Where bargaining stands, what the words mean, when the town hall is, "
                    f"when the vote closes and how to help. You can use commands for: {you}.",
                    fields=fields,
                    colour=Colour.INFO,
                )
            ],
            ephemeral=True,
        )


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Help(bot))
