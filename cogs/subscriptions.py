"""/subscribe, /unsubscribe and /subscriptions: which updates a member gets by DM; the
"Stop these" button on the DMs a subscription caused."""

from __future__ import annotations

import re

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


class StopButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=subscriptions.STOP_PATTERN,
):
    """ "Stop these" on a DM a subscription caused: ends that subscription (pressed in a DM, so
    the server is in the custom_id)."""

    def __init__(self, kind: str, guild_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Stop these",
                custom_id=subscriptions.STOP_ID.format(kind=kind, guild_id=guild_id),
            )
        )
        self.kind = kind
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> StopButton:
        return cls(match["kind"], int(match["guild_id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        label = await subscriptions.unsubscribe(
            bot.db, self.guild_id, interaction.user.id, self.kind
        )
        await ui.reply(
            interaction,
            f"Stopped: no more {label} by DM. `/subscribe what: "
            f"{subscriptions.LABELS[self.kind]}` in the server starts them again.",
            ephemeral=True,
        )


class Subscriptions(commands.Cog):
    """Members choose the updates they get by DM."""

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(StopButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(StopButton)

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
        kind = _kind(what, topic, unit)
        label = await subscriptions.subscribe(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            kind,
            self.bot.clock.now(),
            topic=topic,
            unit=unit,
        )
        text = (
            f"Subscribed to {label}: you will get them by DM (keep DMs from this server open). "
            "`/subscriptions` lists yours, `/unsubscribe` stops one."
        )
        if kind == "all":
            text += (
                " Announcements are a subscription of their own: `/subscribe what: Announcements`."
            )
        await ui.reply(interaction, text, ephemeral=True)

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
