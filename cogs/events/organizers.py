"""/event (organizers, hidden from members): create, edit and cancel town halls, votes and
deadlines; their reminders, sessions, RSVP counts and turnout; the Discord scheduled events
that mirror town halls."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import events
from bot.core import guild_settings, render, timeparse, units
from bot.core.errors import UserError
from bot.core.render import Colour, embed, truncate
from bot.glue import ui
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires
from cogs.events.components import DetailsModal, PreviewView, resolve_roles

log = logging.getLogger("rankfile.events")

KIND_CHOICES = [
    app_commands.Choice(name="Town hall, webinar, meeting or rally", value="townhall"),
    app_commands.Choice(name="Vote (ratification, strike authorization, survey)", value="vote"),
    app_commands.Choice(name="Deadline (a single moment)", value="deadline"),
]
REPEAT_CHOICES = [
    app_commands.Choice(name="Weekly", value="weekly"),
    app_commands.Choice(name="Every two weeks", value="biweekly"),
    app_commands.Choice(name="Monthly on the same weekday (e.g. 2nd Tuesday)", value="monthly"),
]


def _iso(when: datetime) -> str:
    return when.isoformat()


def _scheduled_event_body(event: events.Event, session: events.Session) -> dict[str, Any]:
    """The Discord scheduled event (external: its place or link) mirroring a session."""
    name = event.title
    if len([s for s in event.sessions if s.state == "scheduled"]) > 1:
        # Several sessions: each scheduled event says which one it is.
        name = f"{event.title} ({events.session_label(session, event.timezone)})"
    body: dict[str, Any] = {
        "name": truncate(name, events.TITLE_MAX),
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": truncate(session.place or "Online", events.PLACE_MAX)},
        "scheduled_start_time": _iso(session.starts_at),
        "scheduled_end_time": _iso(session.ends_at or session.starts_at),
    }
    description = event.description
    if event.thread_id:
        link = f"https://discord.com/channels/{event.guild_id}/{event.thread_id}"
        description = f"{description}\n\nDiscussion: {link}".strip()
    if description:
        body["description"] = truncate(description, events.DESCRIPTION_MAX)
    return body


def _why(error: discord.HTTPException) -> str:
    return f"Discord answered {error.status}: {truncate(error.text or 'no reason given', 200)}"


class EventsOrganizers(commands.Cog):
    """Town halls, votes and deadlines with reminders: what organizers run."""

    event = app_commands.Group(
        name="event",
        description="Create and manage town halls, votes and deadlines (organizers)",
        default_permissions=HIDDEN_BEHIND[Access.ORGANIZER],
        guild_only=True,
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot
        self._sync_tasks: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        # New occurrences of recurring meetings are added by a timer: mirror them after commit.
        self.bot.db.subscribe(events.SYNC_TOPIC, self._schedule_sync)

    async def _open_thread(self, event: events.Event) -> tuple[events.Event, str]:
        """Open the town hall's discussion thread in the announcements channel (after commit);
        a failure is reported and never loses the event."""
        settings = await guild_settings.get(self.bot.db, event.guild_id)
        if not settings.announcements_channel_id:
            return event, "⚠️ No discussion thread: set the announcements channel with `/setup`."
        try:
            made = await self.bot.http.start_thread_without_message(
                settings.announcements_channel_id,
                name=truncate(event.title, 100),
                auto_archive_duration=10080,
                type=11,
            )
        except discord.HTTPException as error:
            log.warning("discussion thread failed for event %s: %s", event.id, error.status)
            return event, f"⚠️ The discussion thread could not be opened ({_why(error)})."
        event = await events.set_thread(self.bot.db, event, int(made["id"]), self.bot.clock.now())
        return event, f"Discussion thread: <#{event.thread_id}>."

    def _schedule_sync(self) -> None:
        task = asyncio.get_running_loop().create_task(self._sync_new())
        self._sync_tasks.add(task)
        task.add_done_callback(self._sync_tasks.discard)

    async def _sync_new(self) -> None:
        """Create the Discord scheduled events of occurrences that have none yet."""
        for event in await events.unsynced(self.bot.db, self.bot.clock.now()):
            await self._sync_discord(event, only_missing=True)

    async def _zone(self, guild_id: int | None) -> str:
        return (await guild_settings.get(self.bot.db, guild_id or 0)).timezone

    @event.command(name="create", description="Create a town hall, vote or deadline")
    @app_commands.describe(
        kind="What it is",
        start="When it starts or voting opens, in the server's time zone (e.g. July 13 noon)",
        end="When it ends or voting closes (a town hall defaults to one hour)",
        place="Where, or the meeting link (needed for a town hall)",
        units="Bargaining units it is for, by code, separated by commas (e.g. 600, 700)",
        how_to_vote="For a vote: the official way to vote (link or instructions); required",
        roles="For a vote: eligible roles, by name or mention, separated by commas",
        repeat="For a meeting: repeat weekly, every two weeks, or monthly on the same weekday",
        thread="For a town hall: open a discussion thread in the announcements channel",
        public="Also publish it on the public site and its calendar (default: Discord only)",
    )
    @app_commands.choices(kind=KIND_CHOICES, repeat=REPEAT_CHOICES)
    @requires(Access.ORGANIZER)
    async def create(
        self,
        interaction: discord.Interaction,
        kind: app_commands.Choice[str],
        start: str,
        end: str | None = None,
        place: str | None = None,
        units: str | None = None,
        how_to_vote: str | None = None,
        roles: str | None = None,
        repeat: app_commands.Choice[str] | None = None,
        thread: bool = False,
        public: bool = False,
    ) -> None:
        zone = await self._zone(interaction.guild_id)
        times = events.parse_times(kind.value, start, end, zone, self.bot.clock.now())
        unit_ids = await events.resolve_units(self.bot.db, interaction.guild_id, units)
        role_ids = resolve_roles(interaction, roles)
        if role_ids and kind.value != "vote":
            raise UserError("Eligible roles are for votes only: leave `roles` out.")
        # Checked now so that a bad place is refused before the modal is typed.
        events.make_draft(
            kind.value,
            "check",
            "",
            times[0],
            times[1],
            place,
            unit_ids,
            zone,
            how_to_vote,
            repeat=repeat.value if repeat else None,
        )

        async def preview(interaction: discord.Interaction, draft: events.Draft) -> None:
            await self.preview(interaction, dataclasses.replace(draft, public=public))

        await ui.open_form(
            interaction,
            DetailsModal(
                preview,
                kind.value,
                times,
                place=place,
                unit_ids=unit_ids,
                zone=zone,
                how_to_vote=how_to_vote,
                role_ids=role_ids,
                repeat=repeat.value if repeat else None,
                thread=thread,
            ),
        )

    async def preview(self, interaction: discord.Interaction, draft: events.Draft) -> None:
        """Echo what was understood, as Discord timestamps and the server's wall time."""
        lines = [f"**{events.KIND_LABEL[draft.kind]}: {draft.title}**"]
        opening = {"vote": "Opens", "deadline": "At"}.get(draft.kind, "Starts")
        lines.append(f"{opening}: {timeparse.echo(draft.starts_at, draft.timezone)}")
        if draft.ends_at is not None:
            closing = "Closes" if draft.kind == "vote" else "Ends"
            lines.append(f"{closing}: {timeparse.echo(draft.ends_at, draft.timezone)}")
        if draft.place:
            lines.append(f"Where: {draft.place}")
        if draft.repeat:
            lines.append(
                f"Repeats: {draft.repeat}; the next {events.UPCOMING_OCCURRENCES} "
                "occurrences each get their own Discord scheduled event."
            )
        offsets = await events.default_offsets(self.bot.db, interaction.guild_id, draft.kind)
        if not draft.repeat:  # a repeating town hall's later occurrences get every one
            offsets = events.offsets_ahead_of(
                draft.kind, draft.starts_at, draft.ends_at, offsets, self.bot.clock.now()
            )
        lines.append(f"Reminders: {events.describe_offsets(offsets, draft.kind)}")
        if draft.kind == "townhall":
            lines.append("A Discord scheduled event will be created for it.")
        if draft.public:
            lines.append("It will be on the public site and its calendar too.")
        lines.append("\nSave it?")
        await ui.reply(
            interaction,
            embeds=[embed("Check the times", "\n".join(lines), colour=Colour.WARNING)],
            view=PreviewView(self.save, draft, interaction.user.id),
            ephemeral=True,
        )

    async def save(self, interaction: discord.Interaction, draft: events.Draft) -> None:
        """Save the previewed event, then mirror a town hall as a Discord scheduled event."""
        now = self.bot.clock.now()
        event = await events.create(
            self.bot.db, interaction.guild_id, interaction.user.id, draft, now
        )
        notes = [f"Saved as event #{event.id}."]
        if draft.discussion:
            event, note = await self._open_thread(event)
            notes.append(note)
        notes += await self._sync_discord(event)
        await ui.update(
            interaction,
            "\n".join(notes),
            embeds=[events.event_embed(event, now)],
            view=None,
        )

    async def _sync_discord(self, event: events.Event, *, only_missing: bool = False) -> list[str]:
        """Create, edit or delete the Discord scheduled events of a town hall (after commit).

        A failure is reported to the organizer and never loses the event. Sessions already
        over are left alone; `only_missing` creates the missing ones only (new occurrences).
        """
        if event.kind != "townhall":
            return []
        notes: list[str] = []
        http = self.bot.http
        now = self.bot.clock.now()
        for session in event.sessions:
            if (session.ends_at or session.starts_at) < now and session.state == "scheduled":
                continue
            if only_missing and (session.discord_event_id or session.state != "scheduled"):
                continue
            try:
                if event.state == "cancelled" or session.state == "cancelled":
                    if session.discord_event_id:
                        await http.delete_scheduled_event(event.guild_id, session.discord_event_id)
                        await events.set_discord_event(self.bot.db, session.id, None)
                        notes.append("The Discord scheduled event was deleted.")
                elif session.discord_event_id:
                    await http.edit_scheduled_event(
                        event.guild_id,
                        session.discord_event_id,
                        **_scheduled_event_body(event, session),
                    )
                    notes.append("The Discord scheduled event was updated.")
                else:
                    made = await http.create_guild_scheduled_event(
                        event.guild_id, **_scheduled_event_body(event, session)
                    )
                    await events.set_discord_event(self.bot.db, session.id, int(made["id"]))
                    notes.append("A Discord scheduled event was created for it.")
            except discord.NotFound:
                if session.discord_event_id:
                    # Deleted by hand in Discord: forget it; the next edit creates a new one.
                    await events.set_discord_event(self.bot.db, session.id, None)
                notes.append("The Discord scheduled event was gone (deleted in Discord).")
            except discord.HTTPException as error:
                log.warning("scheduled event sync failed for event %s: %s", event.id, error.status)
                notes.append(
                    f"⚠️ The event is saved, but the Discord scheduled event could not be "
                    f"updated ({_why(error)}). `/event edit id: {event.id}` tries again."
                )
        return notes

    @event.command(name="edit", description="Change an event; its reminders follow")
    @app_commands.describe(
        id="The event's number (from /events upcoming)",
        title="New title",
        description="New description",
        start="New start or opening (server's time zone); the length is kept",
        end="New end or close",
        place="New place or link",
        units="New bargaining units, by code, separated by commas",
        how_to_vote="For a vote: the official way to vote",
    )
    @requires(Access.ORGANIZER)
    async def edit(
        self,
        interaction: discord.Interaction,
        id: int,
        title: str | None = None,
        description: str | None = None,
        start: str | None = None,
        end: str | None = None,
        place: str | None = None,
        units: str | None = None,
        how_to_vote: str | None = None,
    ) -> None:
        db, now = self.bot.db, self.bot.clock.now()
        event = await events.get(db, interaction.guild_id, id)
        zone = event.timezone
        starts_at = timeparse.parse_local_time(start, zone, now) if start else None
        ends_at = timeparse.parse_local_time(end, zone, now, allow_past=True) if end else None
        if ends_at is not None and event.kind == "deadline":
            raise UserError("A deadline is a single moment: it has no end.")
        unit_ids = await events.resolve_units(db, interaction.guild_id, units) if units else None
        updated = await events.edit(
            db,
            interaction.guild_id,
            id,
            interaction.user.id,
            now,
            title=title,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            how_to_vote=how_to_vote,
            unit_ids=unit_ids,
        )
        lines = [f"Event #{id} saved."]
        if starts_at or ends_at:
            lines.append(f"Starts: {timeparse.echo(updated.session.starts_at, zone)}")
            if updated.session.ends_at:
                lines.append(f"Ends: {timeparse.echo(updated.session.ends_at, zone)}")
            lines.append("Its reminders were rescheduled.")
        lines += await self._sync_discord(updated)
        await ui.reply(
            interaction,
            "\n".join(lines),
            embeds=[events.event_embed(updated, now)],
            ephemeral=True,
        )

    @event.command(name="cancel", description="Cancel an event and tell those who asked")
    @app_commands.describe(id="The event's number", reason="Why (shown to members)")
    @requires(Access.ORGANIZER)
    async def cancel(
        self,
        interaction: discord.Interaction,
        id: int,
        reason: str | None = None,
    ) -> None:
        now = self.bot.clock.now()
        event, told = await events.cancel(
            self.bot.db, interaction.guild_id, id, interaction.user.id, reason, now
        )
        lines = [
            f"Event #{id} cancelled. Its reminders are stopped; the announcements channel and "
            f"{render.count(told, 'member', 'members')} who asked for reminders will be told."
        ]
        lines += await self._sync_discord(event)
        await ui.reply(interaction, "\n".join(lines), ephemeral=True)

    @event.command(name="reminders", description="See and change an event's reminders")
    @app_commands.describe(
        id="The event's number",
        offsets="New offsets, e.g. `7d, 1d, 1h` (votes: `open, 3d, 1d, 3h`), `default` or `none`",
    )
    @requires(Access.ORGANIZER)
    async def reminders(
        self,
        interaction: discord.Interaction,
        id: int,
        offsets: str | None = None,
    ) -> None:
        db, now = self.bot.db, self.bot.clock.now()
        event = await events.get(db, interaction.guild_id, id)
        notes = []
        if offsets is not None:
            chosen = events.parse_offsets(offsets, event.kind)
            event, count = await events.set_offsets(
                db, interaction.guild_id, id, interaction.user.id, chosen, now
            )
            notes.append(f"Saved: {render.count(count, 'reminder', 'reminders')} pending.")
        in_force = await events.offsets_of(db, event)
        source = "this event's own" if event.reminder_offsets is not None else "the server default"
        lines = [f"Offsets ({source}): {events.describe_offsets(in_force, event.kind)}", ""]
        state_words = {
            "pending": "⏳ due",
            "fired": "✅ sent",
            "missed": "⚠️ missed",
            "failed": "❌ failed",
        }
        shown = [t for t in await events.reminder_timers(db, id) if t.state in state_words]
        for t in shown:
            word = state_words[t.state]
            late = " (late)" if t.late else ""
            what = events.describe_offset(t.payload.get("offset"), event.kind)
            lines.append(
                f"{word}{late} {timeparse.discord_timestamp(t.due_at, 'F')} "
                f"({timeparse.discord_timestamp(t.due_at, 'R')}): {what}"
            )
        if not shown:
            lines.append("No reminders (all offsets are already past, or set to none).")
        if any(t.state == "missed" for t in shown):
            lines.append("\nMissed: the bot was offline until after the event started or closed.")
        await ui.reply(
            interaction,
            "\n".join(notes) or None,
            embeds=[embed(f"Reminders for #{id}: {event.title}", "\n".join(lines))],
            ephemeral=True,
        )

    @event.command(name="defaults", description="The server's default reminders for a kind")
    @app_commands.describe(
        kind="Which kind of event",
        offsets="e.g. `7d, 1d, 1h` (votes may include `open`), or `default` for the built-in",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @requires(Access.ORGANIZER)
    async def defaults(
        self, interaction: discord.Interaction, kind: app_commands.Choice[str], offsets: str
    ) -> None:
        chosen = events.parse_offsets(offsets, kind.value)
        result = await events.set_default_offsets(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            kind.value,
            chosen,
            self.bot.clock.now(),
        )
        await ui.reply(
            interaction,
            f"Default reminders for {events.KIND_LABEL[kind.value].lower()}s: "
            f"{events.describe_offsets(result, kind.value)}. Events without their own "
            "offsets were rescheduled.",
            ephemeral=True,
        )

    session_group = app_commands.Group(
        name="session", description="Sessions of a town hall, windows of a vote", parent=event
    )

    @session_group.command(name="add", description="Add a session (town hall) or window (vote)")
    @app_commands.describe(
        id="The event's number",
        start="When the session starts or the window opens (server's time zone)",
        end="When it ends or closes (a town hall session defaults to one hour)",
        place="Where, or the meeting link (defaults to the first session's)",
    )
    @requires(Access.ORGANIZER)
    async def session_add(
        self,
        interaction: discord.Interaction,
        id: int,
        start: str,
        end: str | None = None,
        place: str | None = None,
    ) -> None:
        db, now = self.bot.db, self.bot.clock.now()
        event = await events.get(db, interaction.guild_id, id)
        starts_at = timeparse.parse_local_time(start, event.timezone, now)
        ends_at = (
            timeparse.parse_local_time(end, event.timezone, now, allow_past=True) if end else None
        )
        if ends_at is None and event.kind == "vote":
            raise UserError("A vote window needs its close: give `end`.")
        event, session = await events.add_session(
            db, interaction.guild_id, id, interaction.user.id, starts_at, ends_at, place, now
        )
        word = "Window" if event.kind == "vote" else "Session"
        lines = [
            f"{word} {session.position} added to #{id}: "
            f"{timeparse.echo(session.starts_at, event.timezone)} to "
            f"{timeparse.echo(session.ends_at or session.starts_at, event.timezone)}.",
            "Reminders were rescheduled.",
        ]
        lines += await self._sync_discord(event)
        await ui.reply(
            interaction, "\n".join(lines), embeds=[events.event_embed(event, now)], ephemeral=True
        )

    @session_group.command(name="cancel", description="Cancel one session or occurrence")
    @app_commands.describe(id="The event's number", session="The session's number (1, 2, ...)")
    @requires(Access.ORGANIZER)
    async def session_cancel(
        self,
        interaction: discord.Interaction,
        id: int,
        session: int,
    ) -> None:
        event, cancelled, told = await events.cancel_session(
            self.bot.db,
            interaction.guild_id,
            id,
            session,
            interaction.user.id,
            self.bot.clock.now(),
        )
        lines = [
            f"Session {session} of #{id} cancelled; the others stay. "
            f"{render.count(told, 'member', 'members')} who RSVPed will be told."
        ]
        lines += await self._sync_discord(event)
        await ui.reply(interaction, "\n".join(lines), ephemeral=True)

    @event.command(name="rsvps", description="RSVP counts per session and per unit")
    @app_commands.describe(id="The event's number")
    @requires(Access.ORGANIZER)
    async def rsvps(self, interaction: discord.Interaction, id: int) -> None:
        event = await events.get(self.bot.db, interaction.guild_id, id)
        fields = []
        for c in await events.rsvp_counts(self.bot.db, interaction.guild_id, id):
            if c.session.state != "scheduled":
                continue
            lines = [f"Going {c.going} · Maybe {c.maybe} · Not going {c.not_going}"]
            lines += [f"{truncate(label, 60)}: going {g}, maybe {m}" for label, g, m in c.per_unit]
            if c.shown:
                names = ", ".join(
                    f"<@{user_id}>{' (maybe)' if status == 'maybe' else ''}"
                    for user_id, status in c.shown
                )
                lines.append(f"Chose to show their name: {names}")
            when = timeparse.discord_timestamp(c.session.starts_at, "f")
            label = f"Session {c.session.position}: {when}"
            fields.append((label[:250], truncate("\n".join(lines), 1000), False))
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    f"RSVPs: {event.title}",
                    "Counts; names only of members who chose to show them to organizers.",
                    fields=fields,
                )
            ],
            ephemeral=True,
        )

    @event.command(name="turnout", description="Counts for an event: reminders, RSVPs, I voted")
    @app_commands.describe(id="The event's number")
    @requires(Access.ORGANIZER)
    async def turnout(self, interaction: discord.Interaction, id: int) -> None:
        event = await events.get(self.bot.db, interaction.guild_id, id)
        counts = await events.turnout(self.bot.db, interaction.guild_id, id)
        fields = [
            ("Asked for reminders", str(counts.asked_reminders), True),
            ("Going", str(counts.going), True),
            ("Not going", str(counts.not_going), True),
        ]
        files: list[tuple[str, bytes, str]] = []
        if event.kind == "vote":
            fields.append(
                ("Said they voted", events.share(counts.said_voted, counts.eligible), True)
            )
            for label, n, members in counts.per_unit:
                fields.append((truncate(label, 200), events.share(n, members), True))
            _, points = await events.turnout_series(self.bot.db, interaction.guild_id, id)
            members_by_code = {}
            for unit_id in event.unit_ids:
                unit = await units.get(self.bot.db, interaction.guild_id, unit_id)
                members_by_code[unit.code] = unit.member_count
            zone = (await guild_settings.get(self.bot.db, interaction.guild_id)).timezone
            png = await asyncio.to_thread(
                events.turnout_chart, event, points, members_by_code, zone
            )
            said = events.turnout_description(event, points, members_by_code)
            files.append((f"turnout-{id}.png", png, said))
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    f"Turnout: {event.title}",
                    "Counts only: the bot never shows who RSVPed or who said they voted.",
                    fields=fields,
                )
            ],
            files=files,
            ephemeral=True,
        )
