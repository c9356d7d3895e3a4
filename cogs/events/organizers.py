"""/event (organizers) and /events (members): town halls, votes, deadlines and reminders."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import events
from bot.core import guild_settings, timeparse
from bot.core.errors import UserError
from bot.core.render import Colour, embed, truncate
from bot.events import calendar as calendar_ics
from bot.events import townhalls
from bot.glue import ui
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires

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
_STYLES = {
    1: discord.ButtonStyle.primary,
    2: discord.ButtonStyle.secondary,
    3: discord.ButtonStyle.success,
    4: discord.ButtonStyle.danger,
}


def _iso(when: datetime) -> str:
    return when.isoformat()


def member_roles(interaction: discord.Interaction) -> tuple[int, ...] | None:
    """The pressing member's role ids (None in DMs, where roles are unknown)."""
    roles = getattr(interaction.user, "roles", None)
    return None if roles is None else tuple(r.id for r in roles)


def _scheduled_event_body(event: events.Event, session: events.Session) -> dict[str, Any]:
    """The Discord scheduled event (external: its place or link) mirroring a session."""
    name = event.title
    if len([s for s in event.sessions if s.state == "scheduled"]) > 1:
        # Several sessions: each scheduled event says which one it is.
        name = f"{event.title} ({townhalls.session_label(session, event.timezone)})"
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


class EventButton(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=events.BUTTON_PATTERN
):
    """Remind me / Going / Not going / I voted: the event id in the custom_id,
    so the buttons work on any message, after any restart."""

    def __init__(self, action: str, event_id: int, button: discord.ui.Button | None = None) -> None:
        super().__init__(
            button or discord.ui.Button(label=action, custom_id=events.button_id(action, event_id))
        )
        self.action = action
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> EventButton:
        return cls(match["action"], int(match["event_id"]), item)

    async def act(self, interaction: discord.Interaction) -> None:
        await self._act(interaction)

    async def _act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        db, now, user_id = bot.db, bot.clock.now(), interaction.user.id
        if self.action == "remind":
            on = await events.toggle_reminders(
                db, self.event_id, user_id, now, member_roles(interaction)
            )
            event = await events.get_any(db, self.event_id)
            if on:
                offsets = events.describe_offsets(await events.offsets_of(db, event), event.kind)
                text = (
                    f"🔔 You'll get a DM for **{event.title}**: {offsets}. "
                    "Press Remind me again to stop."
                )
            else:
                text = f"🔕 No more reminders for **{event.title}**."
        elif self.action in ("going", "notgoing"):
            status = "going" if self.action == "going" else "not_going"
            event = await events.rsvp(db, self.event_id, user_id, status, now)
            text = (
                f"✅ You're going to **{event.title}**. Only counts are shown to organizers."
                if status == "going"
                else f"Noted: not going to **{event.title}**."
            )
        else:  # voted
            event, first = await events.mark_voted(
                db, self.event_id, user_id, now, member_role_ids=member_roles(interaction)
            )
            text = (
                f"🗳️ Thanks for voting in **{event.title}**. Your reminders for this vote have "
                "stopped. Organizers see only how many said they voted, never who."
            )
            if not first:
                text = f"You already said you voted in **{event.title}**: nothing more to do."
            if first and len(event.unit_ids) > 1:
                # Several units vote: the member may name theirs, for the per-unit count only.
                text += "\nWhich unit are you in? (Optional: only the count per unit is kept.)"
                view = discord.ui.View(timeout=None)
                view.add_item(await UnitSelect.build(db, event))
                await ui.reply(interaction, text, view=view, ephemeral=True)
                return
        await ui.reply(interaction, text, ephemeral=True)


class UnitSelect(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Select], template=events.UNIT_SELECT_PATTERN
):
    """After I voted on a vote for several units: the member's unit, counted, never listed."""

    def __init__(self, event_id: int, select: discord.ui.Select | None = None) -> None:
        super().__init__(
            select or discord.ui.Select(custom_id=f"event:unit:{event_id}", options=[])
        )
        self.event_id = event_id

    @classmethod
    async def build(cls, db: Any, event: events.Event) -> UnitSelect:
        """The select with the vote's units as options."""
        from bot.core import units

        options = [
            discord.SelectOption(
                label=truncate((await units.get(db, event.guild_id, u)).label, 100), value=str(u)
            )
            for u in event.unit_ids[:25]
        ]
        select = discord.ui.Select(
            custom_id=f"event:unit:{event.id}", placeholder="Your unit", options=options
        )
        return cls(event.id, select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: Any
    ) -> UnitSelect:
        return cls(int(match["event_id"]), item)

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
        unit_id = int(values[0])
        await events.mark_voted(
            bot.db, self.event_id, interaction.user.id, bot.clock.now(), unit_id
        )
        await ui.update(interaction, "Thanks: counted for your unit.", view=None)


def view_from_rows(rows: list[dict[str, Any]]) -> discord.ui.View | None:
    """Buttons given as component dicts, as a view; the registered DynamicItems (events,
    RSVPs, questions) answer them from their custom_ids, after any restart."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for i, row in enumerate(rows[:5]):
        for spec in row["components"]:
            view.add_item(
                discord.ui.Button(
                    label=spec["label"],
                    style=_STYLES[spec["style"]],
                    custom_id=spec["custom_id"],
                    row=i,
                )
            )
    return view


def event_view(event: events.Event, now: datetime | None = None) -> discord.ui.View | None:
    """The event's persistent buttons as a view (the same ones reminders carry)."""
    return view_from_rows(events.buttons(event, now))


class RsvpButton(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=townhalls.RSVP_PATTERN
):
    """Going / Maybe / Not going for one session (the session id in the custom_id)."""

    def __init__(self, status: str, session_id: int, button: discord.ui.Button | None = None):
        super().__init__(
            button or discord.ui.Button(label=status, custom_id=f"rsvp:{status}:{session_id}")
        )
        self.status = "not_going" if status == "notgoing" else status
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> RsvpButton:
        return cls(match["status"], int(match["session_id"]), item)

    async def act(self, interaction: discord.Interaction) -> None:
        await self._act(interaction)

    async def _act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        event, session, changed = await townhalls.rsvp(
            bot.db, self.session_id, interaction.user.id, self.status, bot.clock.now()
        )
        when = timeparse.discord_timestamp(session.starts_at, "F")
        if self.status == "not_going":
            await ui.reply(
                interaction,
                f"Noted: not going to **{event.title}** ({when}). Its reminders stopped.",
                ephemeral=True,
            )
            return
        if self.status == "going":
            text = f"✅ You're going to **{event.title}**, {when}."
        else:
            text = f"✅ Noted: maybe for **{event.title}**, {when}."
        if changed:
            text += " A DM with the calendar file is on its way; reminders 24 h and 1 h before."
        text += "\nOrganizers see only counts, unless you choose to show them your name."
        view = view_from_rows(
            [{"type": 1, "components": [townhalls.name_button(session.id, True)]}]
        )
        assert view is not None
        if len(event.unit_ids) > 1:
            view.add_item(await RsvpUnitSelect.build(bot.db, event, session.id))
        await ui.reply(interaction, text, view=view, ephemeral=True)


class NameButton(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=townhalls.NAME_PATTERN
):
    """Show (or hide) my name to organizers for one session's RSVP."""

    def __init__(self, show: bool, session_id: int, button: discord.ui.Button | None = None):
        super().__init__(
            button
            or discord.ui.Button(label="name", custom_id=f"rsvp:name:{int(show)}:{session_id}")
        )
        self.show = show
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> NameButton:
        return cls(match["show"] == "1", int(match["session_id"]), item)

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        if not await townhalls.set_show_name(
            bot.db, self.session_id, interaction.user.id, self.show
        ):
            raise UserError("RSVP first (Going or Maybe), then choose to show your name.")
        text = (
            "Organizers will see your name for this session."
            if self.show
            else "Your name is hidden: organizers see only counts."
        )
        row = {"type": 1, "components": [townhalls.name_button(self.session_id, not self.show)]}
        await ui.update(interaction, text, view=view_from_rows([row]))


class RsvpUnitSelect(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Select],
    template=townhalls.RSVP_UNIT_PATTERN,
):
    """After an RSVP to an event for several units: the member's unit, counted, never listed."""

    def __init__(self, session_id: int, select: discord.ui.Select | None = None) -> None:
        super().__init__(
            select or discord.ui.Select(custom_id=f"rsvp:unit:{session_id}", options=[])
        )
        self.session_id = session_id

    @classmethod
    async def build(cls, db: Any, event: events.Event, session_id: int) -> RsvpUnitSelect:
        """The select with the event's units as options."""
        from bot.core import units

        options = [
            discord.SelectOption(
                label=truncate((await units.get(db, event.guild_id, u)).label, 100), value=str(u)
            )
            for u in event.unit_ids[:25]
        ]
        select = discord.ui.Select(
            custom_id=f"rsvp:unit:{session_id}",
            placeholder="Your unit (optional, counted only)",
            options=options,
            row=1,
        )
        return cls(session_id, select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: Any
    ) -> RsvpUnitSelect:
        return cls(int(match["session_id"]), item)

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        values = (interaction.data or {}).get("values") or []  # type: ignore[union-attr]
        await townhalls.set_unit(bot.db, self.session_id, interaction.user.id, int(values[0]))
        await ui.reply(interaction, "Thanks: counted for your unit.", ephemeral=True)


class DetailsModal(ui.Modal):
    """Title and description of a new event; then the preview."""

    def __init__(
        self, cog: Events, kind: str, times: tuple[datetime, datetime | None], **opts: Any
    ):
        super().__init__(title=f"New {events.KIND_LABEL[kind].lower()}")
        self.cog, self.kind, self.times, self.opts = cog, kind, times, opts
        self.name = discord.ui.TextInput(
            label="Title", max_length=events.TITLE_MAX, placeholder="Town hall on the MOA"
        )
        self.body = discord.ui.TextInput(
            label="Description",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=events.DESCRIPTION_MAX,
        )
        self.add_item(self.name)
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        draft = events.make_draft(
            self.kind,
            self.name.value,
            self.body.value,
            self.times[0],
            self.times[1],
            self.opts["place"],
            self.opts["unit_ids"],
            self.opts["zone"],
            self.opts["how_to_vote"],
            self.opts.get("role_ids", ()),
            self.opts.get("repeat"),
            self.opts.get("thread", False) and self.kind == "townhall",
        )
        await self.cog.preview(interaction, draft)


class PreviewView(ui.View):
    """Save or Cancel after the organizer has seen the times as the bot understood them."""

    def __init__(self, cog: Events, draft: events.Draft, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
        self.cog, self.draft = cog, draft

    @discord.ui.button(label="Save", style=discord.ButtonStyle.success)
    async def save(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await permissions_ensure(interaction)
        self.stop()
        await self.cog.save(interaction, self.draft)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def drop(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await ui.update(interaction, "Not saved: nothing was created.", view=None)


def resolve_roles(interaction: discord.Interaction, typed: str | None) -> tuple[int, ...]:
    """Role ids from `@Role, Name, 123` (UserError names a role that isn't in the server)."""
    if not typed or not typed.strip() or interaction.guild is None:
        return ()
    found: list[int] = []
    for part in (p.strip() for p in typed.split(",")):
        if not part:
            continue
        digits = part.strip("<@&>")
        role = (
            interaction.guild.get_role(int(digits))
            if digits.isdigit()
            else discord.utils.find(
                lambda r, name=part.lstrip("@").lower(): r.name.lower() == name,
                interaction.guild.roles,
            )
        )
        if role is None:
            raise UserError(f"There is no role `{truncate(part, 50)}` in this server.")
        if role.id not in found:
            found.append(role.id)
    return tuple(found)


async def permissions_ensure(interaction: discord.Interaction) -> None:
    """Organizers only, checked again when a button is pressed."""
    from bot.glue import permissions

    await permissions.ensure(interaction, Access.ORGANIZER)


class Events(commands.Cog):
    """Town halls, votes and deadlines with reminders."""

    event = app_commands.Group(
        name="event",
        description="Create and manage town halls, votes and deadlines (organizers)",
        default_permissions=HIDDEN_BEHIND[Access.ORGANIZER],
        guild_only=True,
    )
    events_group = app_commands.Group(
        name="events", description="Upcoming town halls, votes and deadlines", guild_only=True
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot
        self._sync_tasks: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        # New occurrences of recurring meetings are added by a timer: mirror them after commit.
        self.bot.db.subscribe(townhalls.SYNC_TOPIC, self._schedule_sync)
        self.bot.add_dynamic_items(EventButton, UnitSelect, RsvpButton, NameButton, RsvpUnitSelect)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(
            EventButton, UnitSelect, RsvpButton, NameButton, RsvpUnitSelect
        )

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
        for event in await townhalls.unsynced(self.bot.db, self.bot.clock.now()):
            await self._sync_discord(event, only_missing=True)

    async def _zone(self, guild_id: int | None) -> str:
        return (await guild_settings.get(self.bot.db, guild_id or 0)).timezone

    # -- organizers ---------------------------------------------------------------------

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
        await interaction.response.send_modal(
            DetailsModal(
                self,
                kind.value,
                times,
                place=place,
                unit_ids=unit_ids,
                zone=zone,
                how_to_vote=how_to_vote,
                role_ids=role_ids,
                repeat=repeat.value if repeat else None,
                thread=thread,
            )
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
                f"Repeats: {draft.repeat}; the next {townhalls.UPCOMING_OCCURRENCES} "
                "occurrences each get their own Discord scheduled event."
            )
        offsets = await events.default_offsets(self.bot.db, interaction.guild_id, draft.kind)
        lines.append(f"Reminders: {events.describe_offsets(offsets, draft.kind)}")
        if draft.kind == "townhall":
            lines.append("A Discord scheduled event will be created for it.")
        lines.append("\nSave it?")
        await ui.reply(
            interaction,
            embeds=[embed("Check the times", "\n".join(lines), colour=Colour.WARNING)],
            view=PreviewView(self, draft, interaction.user.id),
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
        id: int,  # noqa: A002 - the option members see
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
        id: int,  # noqa: A002
        reason: str | None = None,
    ) -> None:
        now = self.bot.clock.now()
        event, told = await events.cancel(
            self.bot.db, interaction.guild_id, id, interaction.user.id, reason, now
        )
        lines = [
            f"Event #{id} cancelled. Its reminders are stopped; the announcements channel and "
            f"{told} member{'s' if told != 1 else ''} who asked for reminders will be told."
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
        id: int,  # noqa: A002
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
            notes.append(f"Saved: {count} reminder{'s' if count != 1 else ''} pending.")
        in_force = await events.offsets_of(db, event)
        source = "this event's own" if event.reminder_offsets is not None else "the server default"
        lines = [f"Offsets ({source}): {events.describe_offsets(in_force, event.kind)}", ""]
        state_words = {
            "pending": "⏳ due",
            "fired": "✅ sent",
            "missed": "⚠️ missed",
            "failed": "❌ failed",
        }
        shown = [t for t in await events.reminders(db, id) if t.state in state_words]
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
        id: int,  # noqa: A002
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
        event, session = await townhalls.add_session(
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
        session: int,  # noqa: A002
    ) -> None:
        event, cancelled, told = await townhalls.cancel_session(
            self.bot.db,
            interaction.guild_id,
            id,
            session,
            interaction.user.id,
            self.bot.clock.now(),
        )
        lines = [
            f"Session {session} of #{id} cancelled; the others stay. "
            f"{told} member{'s' if told != 1 else ''} who RSVPed will be told."
        ]
        lines += await self._sync_discord(event)
        await ui.reply(interaction, "\n".join(lines), ephemeral=True)

    @event.command(name="rsvps", description="RSVP counts per session and per unit")
    @app_commands.describe(id="The event's number")
    @requires(Access.ORGANIZER)
    async def rsvps(self, interaction: discord.Interaction, id: int) -> None:  # noqa: A002
        event = await events.get(self.bot.db, interaction.guild_id, id)
        fields = []
        for c in await townhalls.counts(self.bot.db, interaction.guild_id, id):
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
    async def turnout(self, interaction: discord.Interaction, id: int) -> None:  # noqa: A002
        event = await events.get(self.bot.db, interaction.guild_id, id)
        counts = await events.turnout(self.bot.db, interaction.guild_id, id)
        fields = [
            ("Asked for reminders", str(counts.asked_reminders), True),
            ("Going", str(counts.going), True),
            ("Not going", str(counts.not_going), True),
        ]
        files: list[tuple[str, bytes]] = []
        if event.kind == "vote":
            fields.append(
                ("Said they voted", events.share(counts.said_voted, counts.eligible), True)
            )
            for label, n, members in counts.per_unit:
                fields.append((truncate(label, 200), events.share(n, members), True))
            _, points = await events.turnout_series(self.bot.db, interaction.guild_id, id)
            from bot.core import units

            members_by_code = {}
            for unit_id in event.unit_ids:
                unit = await units.get(self.bot.db, interaction.guild_id, unit_id)
                members_by_code[unit.code] = unit.member_count
            png = await asyncio.to_thread(events.turnout_chart, event, points, members_by_code)
            files.append((f"turnout-{id}.png", png))
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

    # -- members ------------------------------------------------------------------------

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
    async def show(self, interaction: discord.Interaction, id: int) -> None:  # noqa: A002
        event = await events.get(self.bot.db, interaction.guild_id, id)
        await ui.reply(
            interaction,
            embeds=[events.event_embed(event, self.bot.clock.now())],
            view=event_view(event, self.bot.clock.now()),
            ephemeral=True,
        )

    @events_group.command(name="calendar", description="An .ics file for your calendar app")
    @app_commands.describe(id="One event's number; leave out for every upcoming event")
    async def calendar(self, interaction: discord.Interaction, id: int | None = None) -> None:  # noqa: A002
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


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Events(bot))
