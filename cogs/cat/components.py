"""The CAT's buttons and forms, and the flows they drive: joining (the commitment, the
form, the role), logging another conversation, exporting the roster, paging through it.

The "Join the CAT" and "I commit" buttons have fixed custom_ids and are registered as
persistent views at load (cogs/cat/__init__.py), so posts made before a restart keep
working. The other views belong to one member's ephemeral answer and time out. Each roster
page shown and each export is recorded for the transparency log.
"""

from __future__ import annotations

from typing import Any

import discord

from bot import cat, privacy
from bot.core import guild_settings, render, units
from bot.core.errors import UserError
from bot.core.render import Colour, embed
from bot.glue import ui
from bot.glue.app import Rankfile
from bot.glue.permissions import Access, ensure
from bot.glue.ui import Modal, View, reply, update
from cogs.cat._common import coordinators_channel, grant_role
from cogs.cat.embeds import clean, commitment_embed, roster_line, volunteer_embed

JOIN_ID = "rankfile:cat:join"
COMMIT_ID = "rankfile:cat:commit"
SUPERVISOR_ID = "rankfile:cat:commit:supervisor"
FORM_ID = "rankfile:cat:form"
PAGE_SIZE = 10


class JoinView(View):
    """The public "Join the CAT" button (persistent: fixed custom_id, no timeout)."""

    def __init__(self, bot: Rankfile) -> None:
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(label="Join the CAT", style=discord.ButtonStyle.success, custom_id=JOIN_ID)
    async def join(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await start_join(self.bot, interaction)


class CommitView(View):
    """The "I commit" button under the commitment (persistent: fixed custom_id, no timeout)."""

    def __init__(self, bot: Rankfile) -> None:
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(
        label="I commit: open the form", style=discord.ButtonStyle.primary, custom_id=COMMIT_ID
    )
    async def commit(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await open_form(self.bot, interaction, None, supervises_none=True)

    @discord.ui.button(
        label="I can't confirm the supervisor part",
        style=discord.ButtonStyle.secondary,
        custom_id=SUPERVISOR_ID,
    )
    async def supervisor(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await open_form(self.bot, interaction, None, supervises_none=False)


def _text(label: str, placeholder: str, default: str | None, limit: int) -> discord.ui.Label:
    return discord.ui.Label(
        text=label,
        component=discord.ui.TextInput(
            style=discord.TextStyle.short,
            placeholder=placeholder,
            default=default,
            max_length=limit,
            required=True,
        ),
    )


class SignupForm(Modal, title="Contract Action Team sign-up"):
    """The commitment form: five fields (Discord's limit for a modal)."""

    def __init__(
        self,
        bot: Rankfile,
        unit_list: list[units.Unit],
        current: cat.Volunteer | None,
        opened_by: int,
        supervises_none: bool | None = None,
    ) -> None:
        # discord.py keys open modals by custom_id alone: one id per opening, so members
        # filling the form at the same time never receive each other's submissions.
        super().__init__(custom_id=f"{FORM_ID}:{opened_by}", timeout=1800)
        self.bot = bot
        self.supervises_none = supervises_none
        c = current
        self.name_field = _text(
            "Your name as the union knows it", "First and last name", c and c.display_name, 100
        )
        if 1 <= len(unit_list) <= 25:
            select = discord.ui.Select(
                custom_id="unit",
                placeholder="Choose your bargaining unit",
                options=[
                    discord.SelectOption(
                        label=render.truncate(u.label, 100),
                        value=u.code,
                        default=bool(c and c.unit_id == u.id),
                    )
                    for u in unit_list
                ],
            )
            self.unit_field = discord.ui.Label(text="Bargaining unit", component=select)
        else:
            self.unit_field = _text(
                "Bargaining unit", "Its number or name, e.g. 600", c and c.unit_code, 100
            )
        self.department_field = _text(
            "Department or craft", "e.g. Assistant editors, grip", c and c.department, 100
        )
        self.availability_field = _text(
            "Shift or availability", "e.g. days, nights, weekends", c and c.availability, 100
        )
        self.contact_field = _text(
            "Preferred contact", "e.g. Discord DM, text, at work", c and c.contact, 100
        )
        for item in (
            self.name_field,
            self.unit_field,
            self.department_field,
            self.availability_field,
            self.contact_field,
        ):
            self.add_item(item)

    def _unit_value(self) -> str:
        component = self.unit_field.component
        if isinstance(component, discord.ui.Select):
            return component.values[0] if component.values else ""
        return component.value  # type: ignore[attr-defined]

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await submit_form(
            self.bot,
            interaction,
            name=self.name_field.component.value,  # type: ignore[attr-defined]
            unit=self._unit_value(),
            department=self.department_field.component.value,  # type: ignore[attr-defined]
            availability=self.availability_field.component.value,  # type: ignore[attr-defined]
            contact=self.contact_field.component.value,  # type: ignore[attr-defined]
            supervises_none=self.supervises_none,
        )


def _select(
    custom_id: str,
    placeholder: str,
    options: list[tuple[str, str]],
    *,
    max_values: int = 1,
    required: bool = False,
) -> discord.ui.Select:
    return discord.ui.Select(
        custom_id=custom_id,
        placeholder=placeholder,
        min_values=1 if required else 0,
        max_values=min(max_values, len(options)),
        required=required,
        options=[
            discord.SelectOption(label=render.truncate(label, 100), value=value)
            for label, value in options[:25]
        ],
    )


class LogAnotherForm(Modal, title="Log another conversation"):
    """The same unit again: how it went, how, the shift and up to three concerns."""

    def __init__(
        self,
        bot: Rankfile,
        unit: units.Unit,
        scale: cat.Scale,
        shift_names: list[str],
        concern_names: list[str],
        opened_by: int,
    ) -> None:
        super().__init__(custom_id=f"rankfile:cat:logagain:{opened_by}", timeout=1800)
        self.bot = bot
        self.unit = unit
        order = [k for k in [*range(1, 6), 0] if k in scale.offered]
        self.level = _select(
            "level",
            "1 strongest support … 5 strongest opposition",
            [(f"{k} {scale.offered[k]}", str(k)) for k in order],
            required=True,
        )
        self.add_item(discord.ui.Label(text="How it went (1 is strongest)", component=self.level))
        self.method = _select("method", "How you talked", [(m, m) for m in cat.METHODS])
        self.add_item(discord.ui.Label(text="How", component=self.method))
        self.shift: discord.ui.Select | None = None
        if shift_names:
            self.shift = _select("shift", "Their shift", [(n, n) for n in shift_names])
            self.add_item(discord.ui.Label(text="Shift", component=self.shift))
        self.concerns = _select(
            "concerns",
            "Up to three concerns heard",
            [(c, c) for c in concern_names],
            max_values=cat.MAX_CONCERNS,
        )
        self.add_item(discord.ui.Label(text="Concerns heard", component=self.concerns))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await record_log(
            self.bot,
            interaction,
            unit=self.unit.code,
            level=int(self.level.values[0]) if self.level.values else None,
            method=self.method.values[0] if self.method.values else None,
            shift=self.shift.values[0] if self.shift and self.shift.values else None,
            concerns=list(self.concerns.values),
        )


class LogAnotherView(View):
    """ "Log another" under a logged conversation: the same unit, a short form."""

    def __init__(self, bot: Rankfile, owner_id: int, unit_code: str) -> None:
        super().__init__(owner_id=owner_id, timeout=1800)
        self.bot = bot
        self.unit_code = unit_code

    @discord.ui.button(label="Log another", style=discord.ButtonStyle.primary)
    async def again(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        db, guild_id = self.bot.db, interaction.guild_id
        unit = await units.find(db, guild_id, self.unit_code)
        form = LogAnotherForm(
            self.bot,
            unit,
            await cat.scale(db, guild_id),
            [sh.name for sh in await cat.shifts(db, guild_id, unit.id)],
            await cat.concern_list(db, guild_id),
            interaction.id,
        )
        await ui.open_form(interaction, form)


class ExportConfirm(View):
    """Confirm before the roster leaves the bot as a file."""

    def __init__(
        self,
        bot: Rankfile,
        owner_id: int,
        unit_id: int | None,
        status: str | None,
        scope: set[int] | None,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=300)
        self.bot = bot
        self.unit_id = unit_id
        self.status = status
        self.scope = scope

    @discord.ui.button(label="Export the roster", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await ensure(interaction, Access.COORDINATOR)
        now = self.bot.clock.now()
        data, count = await cat.export_csv(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            now,
            unit_id=self.unit_id,
            status=self.status,
            scope=self.scope,
        )
        await update(interaction, "Exported: the file is below.", view=None)
        await reply(
            interaction,
            f"The CAT roster: {render.count(count, 'volunteer', 'volunteers')}. It is personal "
            "data about union activity: keep it among the coordinators. This export, by you, "
            "is recorded in the audit log and in `/privacy log`.",
            files=[
                (f"cat-roster-{now:%Y-%m-%d-%H%M}-exported-by-{interaction.user.name}.csv", data)
            ],
            ephemeral=True,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await update(interaction, "Export cancelled: nothing left the bot.", view=None)


class LogsExportConfirm(View):
    """Confirm before the conversation logs leave the bot as a file."""

    def __init__(self, bot: Rankfile, owner_id: int, scope: set[int] | None) -> None:
        super().__init__(owner_id=owner_id, timeout=300)
        self.bot = bot
        self.scope = scope

    @discord.ui.button(label="Export the logs", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await ensure(interaction, Access.COORDINATOR)
        now = self.bot.clock.now()
        data, count = await cat.logs_csv(
            self.bot.db, interaction.guild_id, interaction.user.id, now, scope=self.scope
        )
        await update(interaction, "Exported: the file is below.", view=None)
        await reply(
            interaction,
            f"The CAT conversation logs: {render.count(count, 'log', 'logs')}. They name the "
            "volunteers who logged: keep the file among the coordinators. This export, by you, "
            "is recorded in the audit log and in `/privacy log`.",
            files=[(f"cat-logs-{now:%Y-%m-%d-%H%M}-exported-by-{interaction.user.name}.csv", data)],
            ephemeral=True,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await update(interaction, "Export cancelled: nothing left the bot.", view=None)


class RosterPager(View):
    """Previous/next over the roster, for the coordinator who asked (ephemeral)."""

    def __init__(
        self,
        bot: Rankfile,
        owner_id: int,
        unit_id: int | None,
        status: str | None,
        offset: int,
        scope: set[int] | None = None,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
        self.scope = scope
        self.bot = bot
        self.unit_id = unit_id
        self.status = status
        self.offset = offset

    async def _show(self, interaction: discord.Interaction, offset: int) -> None:
        await ensure(interaction, Access.COORDINATOR)
        page, view = await roster_page(
            self.bot,
            interaction.guild_id,
            interaction.user.id,
            self.unit_id,
            self.status,
            offset,
            self.scope,
        )
        await update(interaction, embeds=[page], view=view)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._show(interaction, max(0, self.offset - PAGE_SIZE))

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._show(interaction, self.offset + PAGE_SIZE)


# -- the flows ------------------------------------------------------------------------------


async def start_join(bot: Rankfile, interaction: discord.Interaction) -> None:
    """Show the commitment (new members) or the form itself (current volunteers)."""
    if interaction.guild_id is None:
        raise UserError("Join the CAT from inside your union's server.")
    # Say so before the member reads the commitment and fills in the form.
    await privacy.require_checklist(bot.db, interaction.guild_id)
    current = await cat.get_volunteer(bot.db, interaction.guild_id, interaction.user.id)
    if current is not None and current.current:
        await open_form(bot, interaction, current)
        return
    listed = await cat.commitment_list(bot.db, interaction.guild_id)
    await reply(
        interaction, embeds=[commitment_embed(listed)], view=CommitView(bot), ephemeral=True
    )


async def open_form(
    bot: Rankfile,
    interaction: discord.Interaction,
    current: cat.Volunteer | None,
    *,
    supervises_none: bool | None = None,
) -> None:
    """Open the sign-up form, filled in with what we hold when there is something."""
    if interaction.guild_id is None:
        raise UserError("Join the CAT from inside your union's server.")
    db = bot.db
    unit_list = await units.list_units(db, interaction.guild_id)
    if not unit_list:
        raise UserError(
            "This server has no bargaining units yet, so there is nothing to join: an "
            "organizer adds them with `/tracker-edit units add`."
        )
    if current is None:
        current = await cat.get_volunteer(db, interaction.guild_id, interaction.user.id)
    form = SignupForm(bot, unit_list, current, interaction.id, supervises_none)
    await ui.open_form(interaction, form)


async def submit_form(bot: Rankfile, interaction: discord.Interaction, **form: Any) -> None:
    """Record the form, give the CAT role once, and tell the member what happened."""
    guild_id = interaction.guild_id
    assert guild_id is not None  # the form opens only in a server
    settings = await guild_settings.get(bot.db, guild_id)
    result = await cat.sign_up(
        bot.db,
        guild_id,
        interaction.user.id,
        bot.clock.now(),
        requires_approval=bool(settings.cat_requires_approval),
        **form,
    )
    v = result.volunteer
    notes: list[str] = []
    if v.status == "active":
        problem = await grant_role(bot, guild_id, interaction.user, settings)
        if problem:
            told = (
                "Your coordinators have been told."
                if coordinators_channel(bot, settings)
                else "Tell a coordinator: their channel is not set, or everyone can read it, "
                "so the bot did not post it there."
            )
            notes.append(
                "⚠ Your sign-up is saved, but the bot could not give you the CAT role: "
                f"{problem} {told}"
            )
    if not result.joined:
        title, text = "CAT details updated", "Thanks: your details are up to date."
    elif v.status == "pending" and v.supervises_none is False:
        title = "CAT sign-up received"
        text = (
            "Thanks for signing up. Because you may supervise some of the coworkers you'd "
            "talk with, a CAT coordinator will talk it over with you first; you'll get the "
            "CAT role once they approve."
        )
    elif v.status == "pending":
        title = "CAT sign-up received"
        text = (
            "Thanks for signing up. A CAT coordinator will confirm it; you'll get the CAT "
            "role then. Check your DMs for next steps."
        )
    else:
        title = "Welcome to the CAT"
        text = "You're on the Contract Action Team. Check your DMs for next steps."
    logged = await cat.conversations_logged(bot.db, v.id)
    await reply(
        interaction,
        "\n".join([text, *notes]),
        embeds=[volunteer_embed(v, logged, title)],
        ephemeral=True,
    )


async def record_log(
    bot: Rankfile,
    interaction: discord.Interaction,
    *,
    unit: str,
    level: int | None,
    method: str | None,
    shift: str | None,
    concerns: list[str | None],
    count: int = 1,
    edit: bool = False,
) -> None:
    """Record one log and answer with what was saved and a "Log another" button."""
    settings = await guild_settings.get(bot.db, interaction.guild_id)
    logged = await cat.log_conversations(
        bot.db,
        interaction.guild_id,
        interaction.user.id,
        bot.clock.now(),
        count=count,
        unit=unit,
        level=level,
        method=method,
        shift=shift,
        concerns=concerns,
        timezone=settings.timezone,
    )
    plural = "s" if logged.count != 1 else ""
    where = clean(logged.unit.label) + (f", {clean(logged.shift)}" if logged.shift else "")
    parts = [f"Logged {logged.count} conversation{plural} with {where}."]
    parts.append(f"Level: **{logged.level} {clean(logged.level_label)}** ({cat.SCALE_NOTE})")
    if logged.method:
        parts.append(f"How: {logged.method}.")
    if logged.concerns:
        parts.append("Concerns: " + ", ".join(f"**{clean(c)}**" for c in logged.concerns))
    parts.append(f"You've logged {logged.week_total} this week. Thank you!")
    view = LogAnotherView(bot, interaction.user.id, logged.unit.code)
    if edit:
        await update(interaction, "\n".join(parts), view=view)
    else:
        await reply(interaction, "\n".join(parts), view=view, ephemeral=True)


async def roster_page(
    bot: Rankfile,
    guild_id: int | None,
    owner_id: int,
    unit_id: int | None,
    status: str | None,
    offset: int,
    scope: set[int] | None = None,
) -> tuple[dict, RosterPager | None]:
    """One page of the roster as an embed, with the pager when there is more than a page."""
    assert guild_id is not None  # /catteam is guild-only
    db = bot.db
    total = await cat.roster_count(db, guild_id, unit_id=unit_id, status=status, scope=scope)
    offset = min(offset, max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE))
    rows = await cat.roster(
        db,
        guild_id,
        unit_id=unit_id,
        status=status,
        limit=PAGE_SIZE,
        offset=offset,
        scope=scope,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    await cat.record_view(
        db,
        guild_id,
        owner_id,
        "roster",
        f"unit={unit_id or 'all'} status={status or 'all'} page={offset // PAGE_SIZE + 1} "
        f"rows={len(rows)}",
        bot.clock.now(),
    )
    body = "\n".join(roster_line(v) for v in rows) or "No volunteers match."
    page = embed(
        "CAT roster",
        body,
        footer=f"Page {offset // PAGE_SIZE + 1} of {pages} · {total} volunteer(s) · "
        "personal data: keep it within the coordinators",
        colour=Colour.INFO,
    )
    if total <= PAGE_SIZE:
        return page, None
    view = RosterPager(bot, owner_id, unit_id, status, offset, scope)
    view.previous.disabled = offset == 0
    view.next.disabled = offset + PAGE_SIZE >= total
    return page, view
