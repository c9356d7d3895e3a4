"""/tracker: where bargaining stands (show, chart, proposals), for members; /tracker-edit: the
organizers' status, withheld details, proposals and units (a group hidden from members)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import tracker
from bot.core import guild_settings, timeparse, units
from bot.core.render import Colour, embed, listing
from bot.glue import choices, ui
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires

STATUS_CHOICES = [
    app_commands.Choice(name=s.label, value=s.code) for s in tracker.STATUSES.values()
]

MOVE_CHOICES = [
    app_commands.Choice(name="union", value="union"),
    app_commands.Choice(name="employer", value="employer"),
]


def _past(text: str | None, zone: str, now: datetime) -> tuple[datetime | None, str]:
    """A typed date for something that already happened ("March 20" is the last March 20;
    today means now), and the note to echo when the year was taken to be an earlier one."""
    if not text:
        return None, ""
    when, note = timeparse.parse_past_time(text, zone, now)
    return when, f" ({note})" if note else ""


def _on(when: datetime | None, note: str, zone: str) -> str:
    """ " on March 20, 2024" for an echo (nothing when it was now)."""
    return f" on {tracker.date_text(when, zone)}{note}" if when is not None else ""


class Tracker(commands.Cog):
    """The bargaining tracker."""

    # Members read it, so the group is not hidden.
    group = app_commands.Group(
        name="tracker", description="Where bargaining stands, unit by unit", guild_only=True
    )
    # Organizers keep it up to date: hidden from members, and each command checks the role.
    edit_group = app_commands.Group(
        name="tracker-edit",
        description="Keep the tracker up to date: statuses, proposals, units (organizers)",
        default_permissions=HIDDEN_BEHIND[Access.ORGANIZER],
        guild_only=True,
    )
    units_group = app_commands.Group(
        name="units", description="Add, edit or remove bargaining units", parent=edit_group
    )
    proposal_group = app_commands.Group(
        name="proposal", description="Keep the open items at the table", parent=edit_group
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def _zone(self, guild_id: int) -> str:
        return (await guild_settings.get(self.bot.db, guild_id)).timezone

    # -- members -------------------------------------------------------------------------

    @group.command(name="show", description="Every unit at a glance, or one unit's history")
    @app_commands.describe(unit="One unit's history (left out: every unit)")
    @app_commands.autocomplete(unit=choices.unit)
    async def show(self, interaction: discord.Interaction, unit: str | None = None) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        zone = await self._zone(guild)
        if unit:
            standing, changes = await tracker.standing(db, guild, unit, now, zone)
            shown = tracker.unit_embed(standing, changes, now, zone)
        else:
            shown = tracker.overview_embed(await tracker.overview(db, guild, now, zone), now, zone)
        await ui.reply(interaction, embeds=[shown], ephemeral=True)

    @group.command(name="chart", description="The campaign's timeline as a picture")
    async def chart(self, interaction: discord.Interaction) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        zone = await self._zone(guild)
        view, histories = await tracker.chart_data(db, guild, now, zone)
        # Drawing takes a few hundred ms of CPU: off the event loop.
        png = await asyncio.to_thread(tracker.timeline_png, view, histories, now, zone)
        intro = (
            f"{tracker.reached_text(view)}. Each row is a unit or a general table, each status "
            "its own colour and pattern (named beside the unit), the dashed line is today. "
            "In words:"
        )
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    "Bargaining timeline",
                    listing(tracker.timeline_lines(view, zone), 3500, head=intro),
                    colour=Colour.INFO,
                )
            ],
            files=[("timeline.png", png, tracker.timeline_description(view, zone))],
            ephemeral=True,
        )

    @group.command(name="proposals", description="Open items at a unit's table, whose move")
    @app_commands.describe(unit="The bargaining unit")
    @app_commands.autocomplete(unit=choices.unit)
    async def proposals(self, interaction: discord.Interaction, unit: str) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        found, items = await tracker.open_proposals(db, guild, unit)
        shown = tracker.proposals_embed(found, items, now, await self._zone(guild))
        await ui.reply(interaction, embeds=[shown], ephemeral=True)

    # -- organizers (/tracker-edit) ------------------------------------------------------

    @edit_group.command(name="set", description="Move a unit to a status")
    @app_commands.describe(
        unit="The bargaining unit",
        status="Its new status",
        note="What happened, for members (also the update's text)",
        date="When it happened, if not today (like March 20)",
        force="Allow a move backwards or before the current status date",
        post_update="Post an update about it (default: yes)",
    )
    @app_commands.choices(status=STATUS_CHOICES)
    @app_commands.autocomplete(unit=choices.unit)
    @requires(Access.ORGANIZER)
    async def set_status(
        self,
        interaction: discord.Interaction,
        unit: str,
        status: str,
        note: app_commands.Range[str, 1, tracker.NOTE_MAX] | None = None,
        date: str | None = None,
        force: bool = False,
        post_update: bool = True,
    ) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        zone = await self._zone(guild)
        reached, note_on_date = _past(date, zone, now)
        change, update = await tracker.set_status(
            db,
            guild,
            unit,
            status,
            interaction.user.id,
            now,
            note=note,
            reached_at=reached,
            force=force,
            post_update=post_update,
        )
        found = await units.get(db, guild, change.unit_id)
        text = f"{found.label} is now at **{change.label}**{_on(reached, note_on_date, zone)}."
        if update is not None:
            text += f"\nUpdate #{update.id} is being posted and sent to subscribers."
        await ui.reply(interaction, text, ephemeral=True)

    @edit_group.command(
        name="withheld", description="Mark a unit's details withheld, or move the expected date"
    )
    @app_commands.describe(
        unit="The unit whose tentative agreement's details are not released yet",
        reason="Why, for members (like: other locals are still at the table)",
        expected="When the details are expected (like June 1); a new date is kept in the history",
    )
    @app_commands.autocomplete(unit=choices.unit)
    @requires(Access.ORGANIZER)
    async def withheld(
        self,
        interaction: discord.Interaction,
        unit: str,
        reason: app_commands.Range[str, 1, tracker.REASON_MAX],
        expected: str,
    ) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        zone = await self._zone(guild)
        when = timeparse.parse_local_time(expected, zone, now)
        held, created = await tracker.mark_withheld(
            db, guild, unit, reason, when, interaction.user.id, now, zone
        )
        found = await units.get(db, guild, held.unit_id)
        text = (
            f"{found.label}: details marked withheld, expected "
            if created
            else f"{found.label}: expected release moved to "
        )
        text += f"{timeparse.echo(held.expected_at, zone)}. `/tracker show` now says why."
        await ui.reply(interaction, text, ephemeral=True)

    @proposal_group.command(name="add", description="Add an open item at a unit's table")
    @app_commands.describe(
        unit="The bargaining unit",
        title="The item, like Wages or AI protections",
        move="Whose move it is now",
        date="The last exchange, if not today (like May 10)",
        note="A short note for members",
    )
    @app_commands.choices(move=MOVE_CHOICES)
    @app_commands.autocomplete(unit=choices.unit)
    @requires(Access.ORGANIZER)
    async def proposal_add(
        self,
        interaction: discord.Interaction,
        unit: str,
        title: app_commands.Range[str, 1, tracker.PROPOSAL_TITLE_MAX],
        move: str,
        date: str | None = None,
        note: app_commands.Range[str, 1, tracker.REASON_MAX] | None = None,
    ) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        zone = await self._zone(guild)
        when, note_on_date = _past(date, zone, now)
        added = await tracker.add_proposal(
            db, guild, unit, title, move, interaction.user.id, now,
            exchanged_at=when, note=note,
        )  # fmt: skip
        await ui.reply(
            interaction,
            f"Added proposal #{added.id}: **{added.title}**, last exchanged"
            f"{_on(when, note_on_date, zone) or ' today'}.",
            ephemeral=True,
        )

    @proposal_group.command(name="set", description="Record an exchange: whose move, when")
    @app_commands.describe(
        id="The proposal's number",
        move="Whose move it is now",
        date="When the exchange was, if not today",
        note="A short note for members",
    )
    @app_commands.choices(move=MOVE_CHOICES)
    @requires(Access.ORGANIZER)
    async def proposal_set(
        self,
        interaction: discord.Interaction,
        id: int,
        move: str | None = None,
        date: str | None = None,
        note: app_commands.Range[str, 1, tracker.REASON_MAX] | None = None,
    ) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        zone = await self._zone(guild)
        when, note_on_date = _past(date, zone, now)
        changed = await tracker.set_proposal(
            db, guild, id, interaction.user.id, now, whose_move=move,
            exchanged_at=when, note=note,
        )  # fmt: skip
        await ui.reply(
            interaction,
            f"Proposal #{changed.id}: now the {changed.whose_move}'s move, exchanged"
            f"{_on(when, note_on_date, zone) or ' today'}.",
            ephemeral=True,
        )

    @proposal_group.command(name="close", description="Close an item (agreed, withdrawn...)")
    @app_commands.describe(id="The proposal's number", outcome="What came of it, for members")
    @requires(Access.ORGANIZER)
    async def proposal_close(
        self,
        interaction: discord.Interaction,
        id: int,
        outcome: app_commands.Range[str, 1, tracker.REASON_MAX] | None = None,
    ) -> None:
        closed = await tracker.close_proposal(
            self.bot.db, interaction.guild_id, id, outcome, interaction.user.id,
            self.bot.clock.now(),
        )  # fmt: skip
        await ui.reply(interaction, f"Closed proposal #{closed.id}.", ephemeral=True)

    @units_group.command(name="add", description="Add a bargaining unit")
    @app_commands.describe(
        code="A short code, like 600",
        name="The full name, like Local 600, International Cinematographers Guild",
        member_count="How many members it has",
        parent="The unit it belongs to, if any",
        general="True for a general table that bargains for every unit (shown apart)",
    )
    @app_commands.autocomplete(parent=choices.unit)
    @requires(Access.ORGANIZER)
    async def units_add(
        self,
        interaction: discord.Interaction,
        code: app_commands.Range[str, 1, units.CODE_MAX],
        name: app_commands.Range[str, 1, units.NAME_MAX],
        member_count: app_commands.Range[int, 0, 10_000_000] | None = None,
        parent: str | None = None,
        general: bool = False,
    ) -> None:
        added = await units.add(
            self.bot.db,
            interaction.guild_id,
            code,
            name,
            interaction.user.id,
            self.bot.clock.now(),
            parent_code=parent,
            member_count=member_count,
            general=general,
        )
        what = " as a general table" if added.general else ""
        await ui.reply(
            interaction, f"Added **{added.label}** (`{added.code}`){what}.", ephemeral=True
        )

    @units_group.command(name="edit", description="Rename a unit or change its members")
    @app_commands.describe(
        unit="The unit to change",
        name="Its new name",
        member_count="How many members it has",
        parent="The unit it belongs to",
        general="True for a general table that bargains for every unit (shown apart)",
    )
    @app_commands.autocomplete(unit=choices.unit, parent=choices.unit)
    @requires(Access.ORGANIZER)
    async def units_edit(
        self,
        interaction: discord.Interaction,
        unit: str,
        name: app_commands.Range[str, 1, units.NAME_MAX] | None = None,
        member_count: app_commands.Range[int, 0, 10_000_000] | None = None,
        parent: str | None = None,
        general: bool | None = None,
    ) -> None:
        edited = await units.edit(
            self.bot.db,
            interaction.guild_id,
            unit,
            interaction.user.id,
            self.bot.clock.now(),
            name=name,
            parent_code=parent,
            member_count=member_count,
            general=general,
        )
        await ui.reply(interaction, f"Saved **{edited.label}**.", ephemeral=True)

    @units_group.command(name="remove", description="Remove a unit with no history")
    @app_commands.describe(unit="The unit to remove")
    @app_commands.autocomplete(unit=choices.unit)
    @requires(Access.ORGANIZER)
    async def units_remove(self, interaction: discord.Interaction, unit: str) -> None:
        removed = await units.remove(
            self.bot.db, interaction.guild_id, unit, interaction.user.id, self.bot.clock.now()
        )
        await ui.reply(interaction, f"Removed **{removed.label}**.", ephemeral=True)


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Tracker(bot))
