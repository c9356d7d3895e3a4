"""/settings: how the bot talks to this member (plain text instead of embeds)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import preferences
from bot.core.render import Colour, embed
from bot.glue.app import Rankfile
from bot.glue.ui import reply

ON_OFF = [
    app_commands.Choice(name="on", value="on"),
    app_commands.Choice(name="off", value="off"),
]
PLAIN_TEXT_ON = (
    "On: answers and DMs from the bot come as plain text only, no embeds (for screen readers, "
    "or with embeds turned off in Discord). Charts keep their description and their numbers "
    "in words."
)
PLAIN_TEXT_OFF = "Off: answers and DMs come as embeds, with their plain text when needed."


def settings_embed(pref: preferences.Preference, changed: bool) -> dict:
    """The member's settings, and how to change them."""
    return embed(
        "Your rankfile settings" + (": saved" if changed else ""),
        "Only you see these; they apply in this server.",
        fields=[
            ("Plain text", PLAIN_TEXT_ON if pref.plain_text else PLAIN_TEXT_OFF, False),
            ("Change", "`/settings plain-text: on` or `/settings plain-text: off`", False),
        ],
        colour=Colour.INFO,
    )


class Settings(commands.Cog):
    """A member's own settings."""

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    @app_commands.command(name="settings", description="How the bot talks to you")
    @app_commands.rename(plain_text="plain-text")
    @app_commands.describe(
        plain_text="On: answers and DMs as plain text, no embeds (screen readers, embeds off)"
    )
    @app_commands.choices(plain_text=ON_OFF)
    @app_commands.guild_only()
    async def settings(
        self, interaction: discord.Interaction, plain_text: str | None = None
    ) -> None:
        db, guild, user = self.bot.db, interaction.guild_id, interaction.user.id
        if plain_text is None:
            pref = await preferences.get(db, guild, user)
        else:
            pref = await preferences.set_plain_text(
                db, guild, user, plain_text == "on", self.bot.clock.now()
            )
        await reply(
            interaction, embeds=[settings_embed(pref, plain_text is not None)], ephemeral=True
        )


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Settings(bot))
