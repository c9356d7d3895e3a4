"""/privacy: a member's own data (export, delete) and who looked at the union's data (log).

Also the removal-from-server path: the bot's removal schedules the server's purge, being
added back cancels it (bot/privacy/retention.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import privacy
from bot.core import render
from bot.core.render import Colour, embed
from bot.glue import roles, ui
from bot.glue.app import Rankfile

# The transparency log shows everything since the bot's first day.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _date(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:d>"


def _who(actor_id: int | None) -> str:
    # A mention in an embed shows the name and never pings; None is the bot or a member's own.
    return f"<@{actor_id}>" if actor_id else "no one named"


def log_embed(lines: list[privacy.LogLine], mine: list[privacy.LogLine]) -> dict:
    """The transparency log as one embed: counts, dates and who, then the member's record."""
    rows = []
    for x in lines:
        times = "once" if x.count == 1 else f"{x.count} times"
        span = _date(x.last_at) if x.count == 1 else f"{_date(x.first_at)} to {_date(x.last_at)}"
        by = f" by {_who(x.actor_id)}" if x.actor_id else ""
        rows.append(f"**{x.label}**: {times}{by}, {span}")
    fields = []
    if mine:
        fields.append(
            (
                "Your own CAT record",
                "\n".join(f"{x.label} by {_who(x.actor_id)}, {_date(x.last_at)}" for x in mine),
                False,
            )
        )
    return embed(
        "Who looked at the union's data",
        "\n".join(rows) if rows else "Nothing yet: no exports, approvals or retention runs.",
        fields=fields,
        footer="Roster and log exports, approvals, removals, retention runs",
        colour=Colour.INFO,
    )


class ConfirmDelete(ui.View):
    """Delete my data / Cancel, for the member who asked only."""

    def __init__(self, bot: Rankfile, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=300)
        self.bot = bot

    @discord.ui.button(label="Delete my data", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        changed = await privacy.delete_member(
            self.bot.db, interaction.guild_id, interaction.user.id, self.bot.clock.now()
        )
        self.stop()
        # After the database change: the CAT role goes too (its record is gone).
        removed, problem = await roles.take_setup_role(
            self.bot, interaction.guild_id, interaction.user, "cat_role_id", "Deleted their data"
        )
        text = (
            "Done: rankfile no longer holds anything that points to you in this server. "
            "Your CAT record, subscriptions and reminder requests are deleted; your questions, "
            "RSVPs and conversation counts stay only as anonymous counts. Committee posts "
            'that named you now say "a former member". Backups made before today still '
            "hold your data until they rotate out (a week, by default); a restored backup forgets "
            "you again."
            if changed or removed
            else "rankfile held nothing about you in this server."
        )
        if removed:
            text += " The CAT role is removed."
        if problem:
            text += f"\n⚠ {problem}"
        await ui.update(
            interaction,
            embeds=[embed("Your data is deleted", text, colour=Colour.SUCCESS)],
            view=None,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await ui.update(interaction, embeds=[embed("Nothing deleted", None)], view=None)


class Privacy(commands.Cog):
    """Members' own data and the transparency log."""

    privacy = app_commands.Group(
        name="privacy",
        description="Your data in rankfile: export it, delete it, see who looked",
        guild_only=True,
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    @privacy.command(name="export", description="Get a file of everything rankfile holds about you")
    async def export(self, interaction: discord.Interaction) -> None:
        data = await privacy.export_member(
            self.bot.db, interaction.guild_id, interaction.user.id, self.bot.clock.now()
        )
        held = len(data["data"])
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    "Your data",
                    f"Attached: everything rankfile holds about you in this server "
                    f"({render.count(held, 'kind', 'kinds')} of record). Only you see this. "
                    "`/privacy delete` erases it.",
                    colour=Colour.INFO,
                )
            ],
            files=[("rankfile-my-data.json", privacy.export_json(data))],
            ephemeral=True,
        )

    @privacy.command(name="delete", description="Erase what rankfile holds about you (asks first)")
    async def delete(self, interaction: discord.Interaction) -> None:
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    "Delete your data?",
                    "This erases your CAT record, subscriptions and reminder requests, and "
                    "unlinks you from your questions, RSVPs, 'I voted' and conversation logs "
                    "(they stay only as anonymous counts). It cannot be undone. "
                    "`/privacy export` first if you want a copy.",
                    colour=Colour.WARNING,
                )
            ],
            view=ConfirmDelete(self.bot, interaction.user.id),
            ephemeral=True,
        )

    @privacy.command(name="log", description="See who exported or looked at the union's data")
    async def log(self, interaction: discord.Interaction) -> None:
        db = self.bot.db
        lines = await privacy.transparency_log(db, interaction.guild_id, _EPOCH)
        mine = await privacy.my_record_log(db, interaction.guild_id, interaction.user.id)
        await ui.reply(interaction, embeds=[log_embed(lines, mine)], ephemeral=True)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await privacy.bot_removed(self.bot.db, guild.id, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await privacy.bot_added(self.bot.db, guild.id, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        # Added back while the bot was down: the guild arrives at start, not as a join.
        await privacy.bot_added(self.bot.db, guild.id, self.bot.clock.now())


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Privacy(bot))
