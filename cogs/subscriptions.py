"""/subscribe, /unsubscribe and /subscriptions: which updates a member gets by DM."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import subscriptions
from bot.core.errors import UserError
from bot.core.render import Colour, embed
from bot.glue import choices, ui
from bot.glue.app import Rankfile

WHAT = [
    app_commands.Choice(name="All negotiation updates", value="all"),
    app_commands.Choice(name="One topic (name it in topic:)", value="topic"),
    app_commands.Choice(name="One bargaining unit (name it in unit:)", value="unit"),
    app_commands.Choice(name="Announcements", value="announcements"),
]


def _kind(what: str | None, topic: str | None, unit: str | None) -> str:
    """What the member meant: the choice, else the option they filled, else everything."""
    if what:
        return what
    if topic and unit:
        raise UserError("One at a time: a topic or a unit (run the command twice for both).")
    return "topic" if topic else "unit" if unit else "all"


class Subscriptions(commands.Cog):
    """Members choose the updates they get by DM."""

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    @app_commands.command(name="subscribe", description="Get negotiation updates by DM")
    @app_commands.describe(
        what="What to get (left out: all updates, or the topic or unit you name)",
        topic="A topic, such as wages or AI",
        unit="A bargaining unit, such as 600",
    )
    @app_commands.choices(what=WHAT)
    @app_commands.guild_only()
    @app_commands.autocomplete(topic=choices.topic, unit=choices.unit)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        what: str | None = None,
        topic: str | None = None,
        unit: str | None = None,
    ) -> None:
        label = await subscriptions.subscribe(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            _kind(what, topic, unit),
            self.bot.clock.now(),
            topic=topic,
            unit=unit,
        )
        await ui.reply(
            interaction,
            f"Subscribed to {label}: you will get them by DM (keep DMs from this server open). "
            "`/subscriptions` lists yours, `/unsubscribe` stops one.",
            ephemeral=True,
        )

    @app_commands.command(name="unsubscribe", description="Stop getting some updates by DM")
    @app_commands.describe(
        what="What to stop (left out: the topic or unit you name, else all updates)",
        topic="A topic you subscribed to",
        unit="A unit you subscribed to",
    )
    @app_commands.choices(what=WHAT)
    @app_commands.guild_only()
    @app_commands.autocomplete(topic=choices.topic, unit=choices.unit)
    async def unsubscribe(
        self,
        interaction: discord.Interaction,
        what: str | None = None,
        topic: str | None = None,
        unit: str | None = None,
    ) -> None:
        label = await subscriptions.unsubscribe(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            _kind(what, topic, unit),
            topic=topic,
            unit=unit,
        )
        await ui.reply(interaction, f"Unsubscribed from {label}.", ephemeral=True)

    @app_commands.command(name="subscriptions", description="The updates you get by DM")
    @app_commands.guild_only()
    async def mine(self, interaction: discord.Interaction) -> None:
        found = await subscriptions.list_for(self.bot.db, interaction.guild_id, interaction.user.id)
        text = (
            "\n".join(f"• {s.label}" for s in found)
            if found
            else "None yet. `/subscribe` to get updates by DM: all, a topic or a unit."
        )
        await ui.reply(
            interaction,
            embeds=[embed("Your subscriptions", text, colour=Colour.INFO)],
            ephemeral=True,
        )


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Subscriptions(bot))
