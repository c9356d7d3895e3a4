"""/events: the upcoming town halls, votes and deadlines, one event, a calendar file."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import events
from bot.core import timeparse
from bot.core.errors import UserError
from bot.core.render import embed, truncate
from bot.events import calendar as calendar_ics
from bot.glue import ui
from bot.glue.app import Rankfile
from cogs.events.components import (
    EventButton,
    NameButton,
    RsvpButton,
    RsvpUnitSelect,
    UnitSelect,
    event_view,
)

DYNAMIC_ITEMS = (EventButton, UnitSelect, RsvpButton, NameButton, RsvpUnitSelect)


class EventsMembers(commands.Cog):
    """Upcoming town halls, votes and deadlines, with the buttons members press."""

    events_group = app_commands.Group(
        name="events", description="Upcoming town halls, votes and deadlines", guild_only=True
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @events_group.command(name="upcoming", description="The next town halls, votes and deadlines")
    async def upcoming(self, interaction: discord.Interaction) -> None:
        now = self.bot.clock.now()
        listed = await events.upcoming(self.bot.db, interaction.guild_id, now)
        if not listed:
            await ui.reply(interaction, "Nothing is scheduled yet.", ephemeral=True)
            return
        lines = []
        for e in listed:
            when = timeparse.discord_timestamp(e.starts_at, "R")
            if e.kind == "vote" and e.starts_at <= now:
                when = f"open, closes {timeparse.discord_timestamp(e.closes_at, 'R')}"
            lines.append(
                f"`#{e.id}` **{truncate(e.label, 150)}**: {when} "
                f"({timeparse.discord_timestamp(e.starts_at, 'f')})"
            )
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    "Upcoming",
                    "\n".join(lines),
                    footer="/events show id: N for details and reminders",
                )
            ],
            ephemeral=True,
        )

    @events_group.command(name="show", description="One event, with Remind me and RSVP buttons")
    @app_commands.describe(id="The event's number (from /events upcoming)")
    async def show(self, interaction: discord.Interaction, id: int) -> None:
        event = await events.get(self.bot.db, interaction.guild_id, id)
        await ui.reply(
            interaction,
            embeds=[events.event_embed(event, self.bot.clock.now())],
            view=event_view(event, self.bot.clock.now()),
            ephemeral=True,
        )

    @events_group.command(name="calendar", description="An .ics file for your calendar app")
    @app_commands.describe(id="One event's number; leave out for every upcoming event")
    async def calendar(self, interaction: discord.Interaction, id: int | None = None) -> None:
        db = self.bot.db
        if id is not None:
            chosen = [await events.get(db, interaction.guild_id, id)]
        else:
            chosen = await events.upcoming(db, interaction.guild_id, self.bot.clock.now(), 100)
            if not chosen:
                raise UserError("Nothing is scheduled yet, so there is no calendar to add.")
        data = calendar_ics.calendar(chosen)
        name = calendar_ics.filename(chosen[0] if id is not None else None)
        await ui.reply(
            interaction,
            "Open the attached file to add "
            + ("the event" if id is not None else f"{len(chosen)} events")
            + " to your calendar (times carry their zone).",
            files=[(name, data)],
            ephemeral=True,
        )
