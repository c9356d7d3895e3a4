"""/audit: organizers and admins read who did what, when."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import audit
from bot.core.render import Colour, embed, truncate
from bot.core.timeparse import discord_timestamp
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires
from bot.glue.ui import reply

PAGE = 15


class Audit(commands.Cog):
    """The audit log."""

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    @app_commands.command(name="audit", description="Recent organizer actions in this server")
    @app_commands.describe(page="Page number, 1 for the newest")
    @app_commands.guild_only()
    @app_commands.default_permissions(HIDDEN_BEHIND[Access.ORGANIZER])
    @requires(Access.ORGANIZER)
    async def audit_log(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        entries = await audit.recent(self.bot.db, interaction.guild_id, PAGE, (page - 1) * PAGE)
        total = await audit.count(self.bot.db, interaction.guild_id)
        lines = [
            f"{discord_timestamp(e.at, 'f')} {e.actor} **{e.action}**"
            + (f" {e.subject}" if e.subject else "")
            + (f": {truncate(e.detail, 120)}" if e.detail else "")
            for e in entries
        ]
        pages = max(1, -(-total // PAGE))
        await reply(
            interaction,
            embeds=[
                embed(
                    "Audit log",
                    "\n".join(lines) or "Nothing recorded yet.",
                    footer=f"Page {page} of {pages} · {total} entries",
                    colour=Colour.NEUTRAL,
                )
            ],
            ephemeral=True,
        )


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Audit(bot))
