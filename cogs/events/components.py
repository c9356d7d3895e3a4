"""The events capability's buttons, selects and forms.

The persistent ones (Remind me, I voted, RSVPs, show my name, the unit selects) are
DynamicItems: the row id is in the custom_id, so they answer on any message after any restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import discord

from bot import events
from bot.core import timeparse, units
from bot.core.errors import UserError
from bot.core.render import truncate
from bot.glue import permissions, ui
from bot.glue.app import Rankfile
from bot.glue.permissions import Access

_STYLES = {
    1: discord.ButtonStyle.primary,
    2: discord.ButtonStyle.secondary,
    3: discord.ButtonStyle.success,
    4: discord.ButtonStyle.danger,
}


def member_roles(interaction: discord.Interaction) -> tuple[int, ...] | None:
    """The pressing member's role ids (None in DMs, where roles are unknown)."""
    roles = getattr(interaction.user, "roles", None)
    return None if roles is None else tuple(r.id for r in roles)


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
                ahead = events.offsets_ahead(event, await events.offsets_of(db, event), now)
                text = (
                    f"🔔 You'll get a DM for **{event.title}**: "
                    f"{events.describe_offsets(ahead, event.kind)}. Press Remind me again to stop."
                    if ahead
                    else f"🔔 Noted, but no reminder is left to send before **{event.title}**: "
                    "it is too close. Press Remind me again to undo."
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
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=events.RSVP_PATTERN
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
        event, session, changed = await events.rsvp_session(
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
            text += (
                " The calendar file comes by DM (once per session); reminders 24 h and 1 h before."
            )
        text += "\nOrganizers see only counts, unless you choose to show them your name."
        view = view_from_rows([{"type": 1, "components": [events.name_button(session.id, True)]}])
        assert view is not None
        if len(event.unit_ids) > 1:
            view.add_item(await RsvpUnitSelect.build(bot.db, event, session.id))
        await ui.reply(interaction, text, view=view, ephemeral=True)


class NameButton(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=events.NAME_PATTERN
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
        if not await events.set_show_name(bot.db, self.session_id, interaction.user.id, self.show):
            raise UserError("RSVP first (Going or Maybe), then choose to show your name.")
        text = (
            "Organizers will see your name for this session."
            if self.show
            else "Your name is hidden: organizers see only counts."
        )
        row = {"type": 1, "components": [events.name_button(self.session_id, not self.show)]}
        await ui.update(interaction, text, view=view_from_rows([row]))


class RsvpUnitSelect(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Select],
    template=events.RSVP_UNIT_PATTERN,
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
        await events.set_rsvp_unit(bot.db, self.session_id, interaction.user.id, int(values[0]))
        await ui.reply(interaction, "Thanks: counted for your unit.", ephemeral=True)


# What the organizers' cog does with a draft: preview it, or save it.
DraftStep = Callable[[discord.Interaction, events.Draft], Awaitable[None]]


class DetailsModal(ui.Modal):
    """Title and description of a new event; then the preview."""

    def __init__(
        self,
        preview: DraftStep,
        kind: str,
        times: tuple[datetime, datetime | None],
        **opts: Any,
    ):
        super().__init__(title=f"New {events.KIND_LABEL[kind].lower()}")
        self.preview, self.kind, self.times, self.opts = preview, kind, times, opts
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
        await self.preview(interaction, draft)


class PreviewView(ui.View):
    """Save or Cancel after the organizer has seen the times as the bot understood them."""

    def __init__(self, save: DraftStep, draft: events.Draft, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
        self.on_save, self.draft = save, draft

    @discord.ui.button(label="Save", style=discord.ButtonStyle.success)
    async def save(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        # Organizers only, checked again when the button is pressed.
        await permissions.ensure(interaction, Access.ORGANIZER)
        self.stop()
        await self.on_save(interaction, self.draft)

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
