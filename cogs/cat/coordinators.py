"""/cat for members (join, leave, status, log) and /catteam for CAT coordinators.

Coordinator commands live in their own top-level group, hidden from members by Discord
(default_member_permissions) and checked again at run time with `requires(COORDINATOR)`.
Joining: the commitment is shown first and accepted with a button; the button opens the
form (a modal). A current volunteer goes straight to the form to update their details.
The "Join the CAT" and "I commit" buttons have fixed custom_ids and are registered as
persistent views, so they keep working after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot import cat, privacy
from bot.core import audit, delivery, guild_settings, render, units
from bot.core.errors import UserError
from bot.core.render import Colour, embed
from bot.core.timeparse import discord_timestamp
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, access_levels, ensure, is_admin, requires
from bot.glue.ui import Modal, View, reply, update

log = logging.getLogger("rankfile.cat")

JOIN_ID = "rankfile:cat:join"
COMMIT_ID = "rankfile:cat:commit"
SUPERVISOR_ID = "rankfile:cat:commit:supervisor"
FORM_ID = "rankfile:cat:form"
PAGE_SIZE = 10
ROLE_TOO_HIGH = (
    "Discord refused (the CAT role is above the bot's highest role, or the bot lacks "
    "Manage Roles). An admin can drag the bot's role above the CAT role in Server "
    "Settings → Roles; `/setup check` shows what is wrong."
)
ROLE_GONE = "the CAT role no longer exists: an admin can pick one with `/setup roles cat:`."
STATUS_CHOICES = [app_commands.Choice(name=s, value=s) for s in cat.STATUSES]
METHOD_CHOICES = [app_commands.Choice(name=m, value=m) for m in cat.METHODS]


def _clean(text: str) -> str:
    return escape_markdown(text)


def commitment_embed(commitments: list[str] | tuple[str, ...] = cat.COMMITMENTS) -> dict:
    """The commitment a member accepts by pressing "I commit" (the server's own list)."""
    lines = "\n".join(f"{i}. {_clean(c)}" for i, c in enumerate(commitments, 1))
    return embed(
        "Join the Contract Action Team",
        "CAT volunteers talk one-on-one with the coworkers they already know, pass on "
        "what's happening at the table, and bring back what they hear.\n\n"
        f"**As a CAT volunteer I commit to:**\n{lines}\n\n"
        "**And I confirm** that I supervise none of the coworkers I will talk with.\n\n"
        "Press **I commit** to accept both and fill in the short form. If you may supervise "
        "some of them, press **I can't confirm the supervisor part**: a coordinator will talk "
        "it over with you before you get the CAT role. We never ask for the names of the "
        "coworkers you talk with.",
        colour=Colour.INFO,
    )


def volunteer_embed(v: cat.Volunteer, logged: int, title: str = "Your CAT record") -> dict:
    """What the bot holds about one volunteer (shown to that volunteer or a coordinator)."""
    status = {
        "active": "Active volunteer",
        "pending": "Waiting for a coordinator's approval",
        "left": f"Left {discord_timestamp(v.left_at, 'D') if v.left_at else ''}",
        "removed": "Removed by a coordinator",
    }[v.status]
    return embed(
        title,
        fields=[
            ("Name", _clean(v.display_name), True),
            ("Unit", _clean(v.unit_name), True),
            ("Department or craft", _clean(v.department), True),
            ("Shift or availability", _clean(v.availability), True),
            ("Preferred contact", _clean(v.contact), True),
            ("Status", status, True),
            ("Signed up", discord_timestamp(v.joined_at, "D"), True),
            ("Commitment accepted", discord_timestamp(v.commitment_accepted_at, "D"), True),
            ("Shift", _clean(v.shift_name) if v.shift_name else "not set (`/cat details`)", True),
            ("List size", "not set" if v.list_size is None else str(v.list_size), True),
            (
                "Training",
                discord_timestamp(v.training_at, "D") if v.training_at else "not yet",
                True,
            ),
            ("Conversations logged", str(logged), True),
        ],
        colour=Colour.SUCCESS if v.status == "active" else Colour.NEUTRAL,
    )


def roster_line(v: cat.Volunteer) -> str:
    """One volunteer on the roster (coordinators only)."""
    return (
        f"**{_clean(v.display_name)}** <@{v.user_id}> · {v.unit_code} · {_clean(v.department)} · "
        f"{_clean(v.availability)} · {_clean(v.contact)} · {v.status}"
        + (" · role not given" if v.role_state == "failed" else "")
        + f" · since {discord_timestamp(v.joined_at, 'd')}"
    )


def coverage_embed(cov: cat.Coverage) -> dict:
    """Coverage per unit and shift: members, active volunteers, the ratio against the target,
    the shortfall, and the uncovered shifts named; this week's and all conversations."""
    notes = [
        f"Server target: one volunteer per **{cov.ratio}** members (units may set their own). "
        f"Active volunteers: **{cov.volunteers}**. Conversations logged: "
        f"**{cov.conversations_week}** this week (since {discord_timestamp(cov.week_start, 'D')}), "
        f"**{cov.conversations_total}** in all."
    ]
    if cov.uncovered:
        shown = cov.uncovered[:15]
        more = f" and {len(cov.uncovered) - 15} more" if len(cov.uncovered) > 15 else ""
        notes.append("**Uncovered:** " + "; ".join(f"{_clean(n)}: uncovered" for n in shown) + more)
    if cov.role_failures:
        notes.append(
            f"⚠ {cov.role_failures} active volunteer(s) did not get the CAT role: {ROLE_TOO_HIGH}"
        )
    fields = []
    for u in cov.units[:25]:
        lines = []
        if u.member_count is None:
            lines.append(f"Volunteers: {u.volunteers} (no member count on record)")
        else:
            line = (
                f"{u.member_count} members, {u.volunteers} volunteer(s): "
                f"{cat.ratio_text(u.member_count, u.volunteers)} against 1:{u.ratio}"
            )
            line += f" (**{u.shortfall} more** needed)" if u.shortfall else " ✓"
            lines.append(line)
        for sh in u.shifts:
            members = "?" if sh.member_count is None else str(sh.member_count)
            line = f"· {_clean(sh.name)}: {members} members, {sh.volunteers} volunteer(s)"
            if sh.uncovered:
                line += " — **uncovered**"
            elif sh.shortfall:
                line += f", {cat.ratio_text(sh.member_count, sh.volunteers)} ({sh.shortfall} more)"
            else:
                line += f", {cat.ratio_text(sh.member_count, sh.volunteers)} ✓"
            lines.append(line)
        if u.pending:
            lines.append(f"Pending approval: {u.pending}")
        lines.append(
            f"Conversations: {u.conversations_week} this week, {u.conversations_total} in all"
        )
        if u.top_concerns:
            lines.append("Top concerns: " + ", ".join(f"{c} ({n})" for c, n in u.top_concerns))
        name = ("↳ " * min(u.depth, 1)) + ("  " * max(0, u.depth - 1)) + u.name
        fields.append((render.truncate(name, 256), render.truncate("\n".join(lines), 1024), False))
    return embed(
        "CAT coverage",
        "\n".join(notes),
        fields=fields,
        colour=Colour.WARNING if cov.role_failures or cov.uncovered else Colour.INFO,
    )


class JoinView(View):
    """The public "Join the CAT" button (persistent: fixed custom_id, no timeout)."""

    def __init__(self, cog: Cat) -> None:
        super().__init__(timeout=None)
        self.cog = cog

    @discord.ui.button(label="Join the CAT", style=discord.ButtonStyle.success, custom_id=JOIN_ID)
    async def join(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self.cog.start_join(interaction)


class CommitView(View):
    """The "I commit" button under the commitment (persistent: fixed custom_id, no timeout)."""

    def __init__(self, cog: Cat) -> None:
        super().__init__(timeout=None)
        self.cog = cog

    @discord.ui.button(
        label="I commit: open the form", style=discord.ButtonStyle.primary, custom_id=COMMIT_ID
    )
    async def commit(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self.cog.open_form(interaction, None, supervises_none=True)

    @discord.ui.button(
        label="I can't confirm the supervisor part",
        style=discord.ButtonStyle.secondary,
        custom_id=SUPERVISOR_ID,
    )
    async def supervisor(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self.cog.open_form(interaction, None, supervises_none=False)


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
        cog: Cat,
        unit_list: list[units.Unit],
        current: cat.Volunteer | None,
        opened_by: int,
        supervises_none: bool | None = None,
    ) -> None:
        # discord.py keys open modals by custom_id alone: one id per opening, so members
        # filling the form at the same time never receive each other's submissions.
        super().__init__(custom_id=f"{FORM_ID}:{opened_by}", timeout=1800)
        self.cog = cog
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
        await self.cog.submit_form(
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
        cog: Cat,
        unit: units.Unit,
        scale: cat.Scale,
        shift_names: list[str],
        concern_names: list[str],
        opened_by: int,
    ) -> None:
        super().__init__(custom_id=f"rankfile:cat:logagain:{opened_by}", timeout=1800)
        self.cog = cog
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
        await self.cog.record_log(
            interaction,
            unit=self.unit.code,
            level=int(self.level.values[0]) if self.level.values else None,
            method=self.method.values[0] if self.method.values else None,
            shift=self.shift.values[0] if self.shift and self.shift.values else None,
            concerns=list(self.concerns.values),
        )


class LogAnotherView(View):
    """ "Log another" under a logged conversation: the same unit, a short form."""

    def __init__(self, cog: Cat, owner_id: int, unit_code: str) -> None:
        super().__init__(owner_id=owner_id, timeout=1800)
        self.cog = cog
        self.unit_code = unit_code

    @discord.ui.button(label="Log another", style=discord.ButtonStyle.primary)
    async def again(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        db, guild_id = self.cog.bot.db, interaction.guild_id
        unit = await units.find(db, guild_id, self.unit_code)
        form = LogAnotherForm(
            self.cog,
            unit,
            await cat.scale(db, guild_id),
            [sh.name for sh in await cat.shifts(db, guild_id, unit.id)],
            await cat.concern_list(db, guild_id),
            interaction.id,
        )
        await interaction.response.send_modal(form)


class ExportConfirm(View):
    """Confirm before the roster leaves the bot as a file."""

    def __init__(
        self,
        cog: Cat,
        owner_id: int,
        unit_id: int | None,
        status: str | None,
        scope: set[int] | None,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=300)
        self.cog = cog
        self.unit_id = unit_id
        self.status = status
        self.scope = scope

    @discord.ui.button(label="Export the roster", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await ensure(interaction, Access.COORDINATOR)
        now = self.cog.now()
        data, count = await cat.export_csv(
            self.cog.bot.db,
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
            f"The CAT roster: {count} volunteer(s). It is personal data about union activity: "
            "keep it among the coordinators. This export is recorded in the audit log, and the "
            "file says so on its first line.",
            files=[(f"cat-roster-{now:%Y-%m-%d}.csv", data)],
            ephemeral=True,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await update(interaction, "Export cancelled: nothing left the bot.", view=None)


class RosterPager(View):
    """Previous/next over the roster, for the coordinator who asked (ephemeral)."""

    def __init__(
        self,
        cog: Cat,
        owner_id: int,
        unit_id: int | None,
        status: str | None,
        offset: int,
        scope: set[int] | None = None,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
        self.scope = scope
        self.cog = cog
        self.unit_id = unit_id
        self.status = status
        self.offset = offset

    async def _show(self, interaction: discord.Interaction, offset: int) -> None:
        await ensure(interaction, Access.COORDINATOR)
        page, view = await self.cog.roster_page(
            interaction.guild_id, interaction.user.id, self.unit_id, self.status, offset, self.scope
        )
        await update(interaction, embeds=[page], view=view)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._show(interaction, max(0, self.offset - PAGE_SIZE))

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._show(interaction, self.offset + PAGE_SIZE)


async def _unit_choices(
    bot: Rankfile, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    found = await units.matching(bot.db, interaction.guild_id or 0, current)
    return [
        app_commands.Choice(name=render.truncate(u.label, 100), value=u.code) for u in found[:25]
    ]


class Cat(commands.Cog):
    """The Contract Action Team: sign-ups, the roster, coverage and conversation logs."""

    cat_group = app_commands.Group(
        name="cat", description="The Contract Action Team: join, leave, log conversations"
    )
    team = app_commands.Group(
        name="catteam",
        description="CAT coordinators: the roster, approvals, coverage",
        default_permissions=HIDDEN_BEHIND[Access.COORDINATOR],
        guild_only=True,
    )
    concerns = app_commands.Group(
        name="concerns", description="The concerns offered when logging", parent=team
    )
    # /cat cascade status (issue 11; the domain is bot/cascade.py, also /update cascade-status).
    cascade_group = app_commands.Group(
        name="cascade", description="Updates cascaded through the CAT", parent=cat_group
    )

    @cascade_group.command(name="status", description="A cascade's confirmations and reach")
    @app_commands.describe(id="The cascade's number")
    @requires(Access.COORDINATOR)
    async def cascade_status(self, interaction: discord.Interaction, id: int) -> None:  # noqa: A002
        from bot.updates import (
            cascade,  # issue 11's module; imported here to keep this edit additive
        )

        found, figures = await cascade.status(
            self.bot.db, interaction.guild_id or 0, id, self.now()
        )
        await reply(interaction, embeds=[cascade.status_embed(found, figures)], ephemeral=True)

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        """Register the persistent buttons so posts made before a restart keep working."""
        self.bot.add_view(JoinView(self))
        self.bot.add_view(CommitView(self))

    def now(self) -> datetime:
        """The bot's clock."""
        return self.bot.clock.now()

    # -- joining ---------------------------------------------------------------------------

    async def start_join(self, interaction: discord.Interaction) -> None:
        """Show the commitment (new members) or the form itself (current volunteers)."""
        if interaction.guild_id is None:
            raise UserError("Join the CAT from inside your union's server.")
        # Say so before the member reads the commitment and fills in the form.
        await privacy.require_checklist(self.bot.db, interaction.guild_id)
        current = await cat.get_volunteer(self.bot.db, interaction.guild_id, interaction.user.id)
        if current is not None and current.current:
            await self.open_form(interaction, current)
            return
        listed = await cat.commitment_list(self.bot.db, interaction.guild_id)
        await reply(
            interaction, embeds=[commitment_embed(listed)], view=CommitView(self), ephemeral=True
        )

    async def open_form(
        self,
        interaction: discord.Interaction,
        current: cat.Volunteer | None,
        *,
        supervises_none: bool | None = None,
    ) -> None:
        """Open the sign-up form, filled in with what we hold when there is something."""
        if interaction.guild_id is None:
            raise UserError("Join the CAT from inside your union's server.")
        db = self.bot.db
        unit_list = await units.list_units(db, interaction.guild_id)
        if not unit_list:
            raise UserError(
                "This server has no bargaining units yet, so there is nothing to join: an "
                "organizer adds them with `/tracker units add`."
            )
        if current is None:
            current = await cat.get_volunteer(db, interaction.guild_id, interaction.user.id)
        form = SignupForm(self, unit_list, current, interaction.id, supervises_none)
        await interaction.response.send_modal(form)

    async def submit_form(self, interaction: discord.Interaction, **form: Any) -> None:
        """Record the form, give the CAT role once, and tell the member what happened."""
        guild_id = interaction.guild_id
        assert guild_id is not None  # noqa: S101 - the form opens only in a server
        settings = await guild_settings.get(self.bot.db, guild_id)
        result = await cat.sign_up(
            self.bot.db,
            guild_id,
            interaction.user.id,
            self.now(),
            requires_approval=bool(settings.cat_requires_approval),
            **form,
        )
        v = result.volunteer
        notes: list[str] = []
        if v.status == "active":
            problem = await self.grant_role(guild_id, interaction.user, settings)
            if problem:
                notes.append(
                    "⚠ Your sign-up is saved, but the bot could not give you the CAT role: "
                    f"{problem} Your coordinators have been told."
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
        logged = await cat.conversations_logged(self.bot.db, v.id)
        await reply(
            interaction,
            "\n".join([text, *notes]),
            embeds=[volunteer_embed(v, logged, title)],
            ephemeral=True,
        )

    async def grant_role(
        self,
        guild_id: int,
        member: discord.User | discord.Member,
        settings: guild_settings.GuildSettings,
    ) -> str | None:
        """Give the CAT role unless the member has it; a sentence when Discord refused."""
        role_id = settings.cat_role_id
        if not role_id:
            return "this server has no CAT role yet (an admin sets it with `/setup roles cat:`)."
        if isinstance(member, discord.Member) and any(r.id == role_id for r in member.roles):
            await cat.set_role_state(self.bot.db, guild_id, member.id, "granted")
            return None
        try:
            await self.bot.http.add_role(
                guild_id, member.id, role_id, reason="Joined the Contract Action Team"
            )
        except discord.Forbidden:
            why = ROLE_TOO_HIGH
        except discord.NotFound:
            why = ROLE_GONE
        else:
            await cat.set_role_state(self.bot.db, guild_id, member.id, "granted")
            return None
        log.warning("CAT role not given in guild %s", guild_id)
        await cat.report_role_failure(
            self.bot.db,
            guild_id,
            member.id,
            self.now(),
            channel_id=settings.cat_channel_id,
            why=why,
        )
        return why

    async def take_role(
        self,
        guild_id: int,
        member: discord.User | discord.Member,
        settings: guild_settings.GuildSettings,
    ) -> str | None:
        """Remove the CAT role when the member has it; a sentence when Discord refused."""
        role_id = settings.cat_role_id
        if not role_id or not isinstance(member, discord.Member):
            return None
        if not any(r.id == role_id for r in member.roles):
            await cat.set_role_state(self.bot.db, guild_id, member.id, "none")
            return None
        try:
            await self.bot.http.remove_role(
                guild_id, member.id, role_id, reason="Left the Contract Action Team"
            )
        except discord.Forbidden:
            return ROLE_TOO_HIGH
        except discord.NotFound:
            return None
        await cat.set_role_state(self.bot.db, guild_id, member.id, "none")
        return None

    # -- members ---------------------------------------------------------------------------

    @cat_group.command(name="join", description="Join the Contract Action Team (or update)")
    async def join(self, interaction: discord.Interaction) -> None:
        await self.start_join(interaction)

    @cat_group.command(name="leave", description="Leave the Contract Action Team")
    async def leave(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            raise UserError("Leave the CAT from inside your union's server.")
        v = await cat.leave(self.bot.db, interaction.guild_id, interaction.user.id, self.now())
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        problem = await self.take_role(interaction.guild_id, interaction.user, settings)
        text = (
            "You've left the Contract Action Team. Thank you for what you did; you can "
            "come back any time with `/cat join`."
        )
        if problem:
            text += f"\n⚠ The bot could not remove the CAT role: {problem}"
        logged = await cat.conversations_logged(self.bot.db, v.id)
        await reply(interaction, text, embeds=[volunteer_embed(v, logged)], ephemeral=True)

    @cat_group.command(name="status", description="What the bot holds about you as a volunteer")
    async def status(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            raise UserError("Check your CAT status from inside your union's server.")
        v = await cat.get_volunteer(self.bot.db, interaction.guild_id, interaction.user.id)
        if v is None:
            await reply(
                interaction,
                "You're not on the Contract Action Team, and the bot holds nothing about you "
                "as a volunteer. Join with `/cat join`.",
                ephemeral=True,
            )
            return
        logged = await cat.conversations_logged(self.bot.db, v.id)
        await reply(interaction, embeds=[volunteer_embed(v, logged)], ephemeral=True)

    @cat_group.command(name="log", description="Log a one-on-one conversation: unit, how it went")
    @app_commands.describe(
        unit="The bargaining unit of the coworker you talked with",
        level="How it went, 1 (strongest support) to 5 (strongest opposition), 0 not assessed",
        method="How you talked",
        shift="Their shift (when the unit has shifts)",
        concern="The top concern you heard (pick one or type your own)",
        concern2="A second concern heard",
        concern3="A third concern heard",
        conversations="How many one-on-one conversations this covers (default 1)",
    )
    @app_commands.choices(method=METHOD_CHOICES)
    async def log_conversations(
        self,
        interaction: discord.Interaction,
        unit: str,
        level: int | None = None,
        method: app_commands.Choice[str] | None = None,
        shift: str | None = None,
        concern: str | None = None,
        concern2: str | None = None,
        concern3: str | None = None,
        conversations: app_commands.Range[int, 1, cat.COUNT_MAX] = 1,
    ) -> None:
        if interaction.guild_id is None:
            raise UserError("Log conversations from inside your union's server.")
        await self.record_log(
            interaction,
            unit=unit,
            level=level,
            method=method.value if method else None,
            shift=shift,
            concerns=[concern, concern2, concern3],
            count=conversations,
        )

    async def record_log(
        self,
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
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        logged = await cat.log_conversations(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            self.now(),
            count=count,
            unit=unit,
            level=level,
            method=method,
            shift=shift,
            concerns=concerns,
            timezone=settings.timezone,
        )
        plural = "s" if logged.count != 1 else ""
        where = _clean(logged.unit.label) + (f", {_clean(logged.shift)}" if logged.shift else "")
        parts = [f"Logged {logged.count} conversation{plural} with {where}."]
        parts.append(f"Level: **{logged.level} {_clean(logged.level_label)}** ({cat.SCALE_NOTE})")
        if logged.method:
            parts.append(f"How: {logged.method}.")
        if logged.concerns:
            parts.append("Concerns: " + ", ".join(f"**{_clean(c)}**" for c in logged.concerns))
        parts.append(f"You've logged {logged.week_total} this week. Thank you!")
        view = LogAnotherView(self, interaction.user.id, logged.unit.code)
        if edit:
            await update(interaction, "\n".join(parts), view=view)
        else:
            await reply(interaction, "\n".join(parts), view=view, ephemeral=True)

    @log_conversations.autocomplete("unit")
    async def _log_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _unit_choices(self.bot, interaction, current)

    @log_conversations.autocomplete("level")
    async def _log_levels(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        offered = await cat.level_labels(self.bot.db, interaction.guild_id or 0)
        order = [*range(1, 6), 0]
        return [
            app_commands.Choice(
                name=f"{k} {offered[k]}" + (" (strongest)" if k == 1 else ""), value=k
            )
            for k in order
            if k in offered and str(current).strip().lower() in f"{k} {offered[k]}".lower()
        ]

    @log_conversations.autocomplete("shift")
    async def _log_shifts(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._shift_choices(interaction, current)

    async def _shift_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed_unit = getattr(interaction.namespace, "unit", None)
        db, guild_id = self.bot.db, interaction.guild_id or 0
        found: list[cat.Shift] = []
        if typed_unit:
            try:
                unit = await units.find(db, guild_id, str(typed_unit))
            except UserError:
                return []
            found = await cat.shifts(db, guild_id, unit.id)
        else:
            v = await cat.get_volunteer(db, guild_id, interaction.user.id)
            if v is not None:
                found = await cat.shifts(db, guild_id, v.unit_id)
        needle = current.strip().lower()
        return [
            app_commands.Choice(name=sh.name, value=sh.name)
            for sh in found
            if needle in sh.name.lower()
        ][:25]

    @log_conversations.autocomplete("concern")
    @log_conversations.autocomplete("concern2")
    @log_conversations.autocomplete("concern3")
    async def _log_concerns(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        listed = await cat.concern_list(self.bot.db, interaction.guild_id or 0)
        needle = current.strip().lower()
        found = [c for c in listed if needle in c.lower()]
        choices = [app_commands.Choice(name=c, value=c) for c in found[:24]]
        if current.strip() and all(c.lower() != needle for c in listed):
            typed = render.truncate(current.strip(), cat.CONCERN_MAX)
            choices.insert(0, app_commands.Choice(name=typed, value=typed))
        return choices[:25]

    # -- coordinators ------------------------------------------------------------------------

    async def roster_page(
        self,
        guild_id: int | None,
        owner_id: int,
        unit_id: int | None,
        status: str | None,
        offset: int,
        scope: set[int] | None = None,
    ) -> tuple[dict, RosterPager | None]:
        """One page of the roster as an embed, with the pager when there is more than a page."""
        assert guild_id is not None  # noqa: S101 - /catteam is guild-only
        db = self.bot.db
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
        view = RosterPager(self, owner_id, unit_id, status, offset, scope)
        view.previous.disabled = offset == 0
        view.next.disabled = offset + PAGE_SIZE >= total
        return page, view

    async def my_scope(self, interaction: discord.Interaction) -> set[int] | None:
        """The units this coordinator sees (None: all; admins always see all)."""
        if is_admin(interaction):
            return None
        return await cat.scope_of(self.bot.db, interaction.guild_id, interaction.user.id)

    async def check_member_scope(self, interaction: discord.Interaction, user_id: int) -> None:
        """Refuse a volunteer of a unit outside the coordinator's scope."""
        v = await cat.get_volunteer(self.bot.db, interaction.guild_id, user_id)
        if v is not None:
            unit = await units.get(self.bot.db, v.guild_id, v.unit_id)
            cat.check_scope(await self.my_scope(interaction), unit)

    async def scoped_unit(
        self, interaction: discord.Interaction, unit: str | None
    ) -> tuple[int | None, set[int] | None]:
        """The unit asked for (checked against the scope) and the scope itself."""
        scope = await self.my_scope(interaction)
        if not unit:
            return None, scope
        found = await units.find(self.bot.db, interaction.guild_id, unit)
        cat.check_scope(scope, found)
        return found.id, scope

    @team.command(name="roster", description="The CAT roster, a page at a time (private)")
    @app_commands.describe(unit="Only this bargaining unit", status="Only volunteers in this state")
    @app_commands.choices(status=STATUS_CHOICES)
    @requires(Access.COORDINATOR)
    async def roster(
        self,
        interaction: discord.Interaction,
        unit: str | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        unit_id, scope = await self.scoped_unit(interaction, unit)
        page, view = await self.roster_page(
            interaction.guild_id,
            interaction.user.id,
            unit_id,
            status.value if status else None,
            0,
            scope,
        )
        await reply(interaction, embeds=[page], view=view, ephemeral=True)

    @team.command(name="export", description="The CAT roster as a CSV file (confirmed, audited)")
    @app_commands.describe(unit="Only this bargaining unit", status="Only volunteers in this state")
    @app_commands.choices(status=STATUS_CHOICES)
    @requires(Access.COORDINATOR)
    async def export(
        self,
        interaction: discord.Interaction,
        unit: str | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        unit_id, scope = await self.scoped_unit(interaction, unit)
        count = await cat.roster_count(
            self.bot.db,
            interaction.guild_id,
            unit_id=unit_id,
            status=status.value if status else None,
            scope=scope,
        )
        where = "every unit" if scope is None and unit_id is None else "the units you coordinate"
        if unit_id is not None:
            where = "that unit"
        await reply(
            interaction,
            f"Export the CAT roster of {where} ({count} volunteer(s)) as a file? It is personal "
            "data about union activity; the export is recorded in the audit log.",
            view=ExportConfirm(
                self, interaction.user.id, unit_id, status.value if status else None, scope
            ),
            ephemeral=True,
        )

    @roster.autocomplete("unit")
    @export.autocomplete("unit")
    async def _team_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _unit_choices(self.bot, interaction, current)

    @team.command(name="approve", description="Approve a pending CAT sign-up (gives the role)")
    @app_commands.describe(member="The member whose sign-up to approve")
    @requires(Access.COORDINATOR)
    async def approve(self, interaction: discord.Interaction, member: discord.User) -> None:
        if not isinstance(member, discord.Member):
            raise UserError(
                "That member has left the server, so they can't be approved: their sign-up "
                "stays as it is."
            )
        await self.check_member_scope(interaction, member.id)
        await cat.approve(
            self.bot.db, interaction.guild_id, member.id, interaction.user.id, self.now()
        )
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        problem = await self.grant_role(interaction.guild_id, member, settings)
        text = f"{member.mention} is an active CAT volunteer."
        if problem:
            text += f"\n⚠ The CAT role was not given: {problem}"
        await reply(interaction, text, ephemeral=True)

    @team.command(name="remove", description="Take a member off the CAT (removes the role)")
    @app_commands.describe(member="The volunteer to take off the CAT")
    @requires(Access.COORDINATOR)
    async def remove(self, interaction: discord.Interaction, member: discord.User) -> None:
        await self.check_member_scope(interaction, member.id)
        await cat.remove(
            self.bot.db, interaction.guild_id, member.id, interaction.user.id, self.now()
        )
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        text = f"{member.mention} is off the CAT; their record is kept, marked removed."
        if isinstance(member, discord.Member):
            problem = await self.take_role(interaction.guild_id, member, settings)
            if problem:
                text += f"\n⚠ The CAT role was not removed: {problem}"
        else:
            text += " They have left the server, so there was no role to remove."
        await reply(interaction, text, ephemeral=True)

    @team.command(name="coverage", description="Volunteers per unit against the target, as a chart")
    @requires(Access.COORDINATOR)
    async def coverage(self, interaction: discord.Interaction) -> None:
        await self.coverage_reply(interaction, await self.my_scope(interaction))

    @team.command(name="post-signup", description="Post the Join the CAT button in a channel")
    @app_commands.describe(channel="Where members will find the button")
    @requires(Access.COORDINATOR)
    async def post_signup(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        now = self.now()
        payload = render.message(
            embeds=[commitment_embed()],
            components=[
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 3, "label": "Join the CAT", "custom_id": JOIN_ID}
                    ],
                }
            ],
        )
        db = self.bot.db
        listed = await cat.commitment_list(db, interaction.guild_id)
        payload["embeds"] = [commitment_embed(listed)]
        async with db.transaction():
            await delivery.enqueue(
                db,
                interaction.guild_id,
                "cat.signup_post",
                payload,
                [delivery.Target.channel(channel.id)],
                now,
                author_id=interaction.user.id,
            )
            await audit.record(
                db,
                interaction.guild_id,
                interaction.user.id,
                "cat.post_signup",
                f"channel:{channel.id}",
                None,
                now,
            )
        await reply(
            interaction,
            f"The Join the CAT button is on its way to {channel.mention}.",
            ephemeral=True,
        )

    @concerns.command(name="list", description="The concerns offered when volunteers log")
    @requires(Access.COORDINATOR)
    async def concerns_list(self, interaction: discord.Interaction) -> None:
        listed = await cat.concern_list(self.bot.db, interaction.guild_id)
        await reply(interaction, "Concerns: " + ", ".join(listed), ephemeral=True)

    @concerns.command(name="add", description="Add a concern to the list offered when logging")
    @app_commands.describe(name="The concern, e.g. parking")
    @requires(Access.COORDINATOR)
    async def concerns_add(self, interaction: discord.Interaction, name: str) -> None:
        listed = await cat.add_concern(
            self.bot.db, interaction.guild_id, name, interaction.user.id, self.now()
        )
        await reply(interaction, "Concerns: " + ", ".join(listed), ephemeral=True)

    @concerns.command(name="remove", description="Take a concern off the list offered")
    @app_commands.describe(name="The concern to take off (past logs keep it)")
    @requires(Access.COORDINATOR)
    async def concerns_remove(self, interaction: discord.Interaction, name: str) -> None:
        listed = await cat.remove_concern(
            self.bot.db, interaction.guild_id, name, interaction.user.id, self.now()
        )
        await reply(interaction, "Concerns: " + ", ".join(listed), ephemeral=True)

    # -- issue 12: the CAT as organizers run it -------------------------------------------------

    async def coverage_reply(
        self, interaction: discord.Interaction, scope: set[int] | None
    ) -> None:
        """Coverage per unit and shift as embeds and the PNG (aggregates only)."""
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        cov = await cat.coverage(
            self.bot.db,
            interaction.guild_id,
            self.now(),
            ratio=settings.cat_target_ratio,
            timezone=settings.timezone,
            scope=scope,
        )
        png = await asyncio.to_thread(cat.coverage_chart, cov)
        await reply(
            interaction,
            embeds=[coverage_embed(cov)],
            files=[("cat-coverage.png", png)],
            ephemeral=True,
        )

    @cat_group.command(name="coverage", description="CAT coverage per unit and shift (aggregates)")
    async def public_coverage(self, interaction: discord.Interaction) -> None:
        levels = await access_levels(interaction)
        if not levels & {Access.COORDINATOR, Access.ORGANIZER}:
            raise UserError(
                "Coverage is for CAT coordinators, organizers and the bargaining committee. "
                "Your own unit's totals are in `/cat unit`."
            )
        scope = None if Access.ORGANIZER in levels else await self.my_scope(interaction)
        await self.coverage_reply(interaction, scope)

    @cat_group.command(name="commitments", description="What joining the CAT asks of a volunteer")
    async def commitments(self, interaction: discord.Interaction) -> None:
        listed = await cat.commitment_list(self.bot.db, interaction.guild_id or 0)
        await reply(interaction, embeds=[commitment_embed(listed)], ephemeral=True)

    @cat_group.command(name="mylogs", description="The conversations you logged (only you see it)")
    async def mylogs(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            raise UserError("Check your logs from inside your union's server.")
        v = await cat.get_volunteer(self.bot.db, interaction.guild_id, interaction.user.id)
        if v is None:
            raise UserError("You're not on the CAT here, so there are no logs of yours.")
        entries = await cat.logs(self.bot.db, interaction.guild_id, volunteer_id=v.id)
        labels = await cat.scale(self.bot.db, interaction.guild_id)
        await reply(
            interaction,
            embeds=[logs_embed("Your logged conversations", entries, labels, names=None)],
            ephemeral=True,
        )

    @cat_group.command(
        name="details", description="Your shift and how many coworkers you keep up with"
    )
    @app_commands.describe(
        shift="Your shift in your unit",
        list_size="How many coworkers you stay in touch with (usually 8 to 35)",
    )
    async def details(
        self,
        interaction: discord.Interaction,
        shift: str | None = None,
        list_size: int | None = None,
    ) -> None:
        if interaction.guild_id is None:
            raise UserError("Update your details from inside your union's server.")
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        v, notes = await cat.set_details(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            self.now(),
            shift=shift,
            list_size=list_size,
            server_ratio=settings.cat_target_ratio,
        )
        logged = await cat.conversations_logged(self.bot.db, v.id)
        text = "\n".join(["Saved.", *notes])
        await reply(interaction, text, embeds=[volunteer_embed(v, logged)], ephemeral=True)

    @details.autocomplete("shift")
    async def _details_shifts(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._shift_choices(interaction, current)

    @cat_group.command(
        name="unit", description="A unit's totals: levels over 30 days, concerns pulse"
    )
    @app_commands.describe(unit="The unit (yours when left out)")
    async def unit_totals(self, interaction: discord.Interaction, unit: str | None = None) -> None:
        if interaction.guild_id is None:
            raise UserError("Check unit totals from inside your union's server.")
        db, guild_id = self.bot.db, interaction.guild_id
        levels = await access_levels(interaction)
        mine = await cat.get_volunteer(db, guild_id, interaction.user.id)
        if unit:
            found = await units.find(db, guild_id, unit)
        elif mine is not None:
            found = await units.get(db, guild_id, mine.unit_id)
        else:
            raise UserError("Name the unit: `/cat unit unit:700`.")
        if Access.ORGANIZER in levels:
            pass  # organizers and the committee see every unit's aggregates
        elif Access.COORDINATOR in levels:
            cat.check_scope(await self.my_scope(interaction), found)
        elif mine is None or not mine.current or mine.unit_id != found.id:
            raise UserError(
                "Unit totals are for that unit's CAT volunteers, its coordinators and the "
                "organizers. Join with `/cat join` to see your unit's."
            )
        report = await cat.unit_report(db, guild_id, found, self.now())
        png = await asyncio.to_thread(cat.unit_chart, report)
        await reply(
            interaction,
            embeds=unit_embeds(report),
            files=[(f"cat-unit-{found.code}.png", png)],
            ephemeral=True,
        )

    @unit_totals.autocomplete("unit")
    async def _totals_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _unit_choices(self.bot, interaction, current)

    # -- coordinators: structure, scale, commitments, training, logs, digest ------------------

    shift_group = app_commands.Group(
        name="shift", description="A unit's shifts and their member counts", parent=team
    )
    levels_group = app_commands.Group(
        name="levels", description="The assessment scale's labels (1 is strongest)", parent=team
    )
    commitments_group = app_commands.Group(
        name="commitments", description="What joining the CAT asks", parent=team
    )

    @shift_group.command(name="set", description="Add a shift to a unit, or set its member count")
    @app_commands.describe(
        unit="The unit", name="The shift, e.g. days, nights, swing", members="Members on it"
    )
    @requires(Access.COORDINATOR)
    async def shift_set(
        self,
        interaction: discord.Interaction,
        unit: str,
        name: str,
        members: int | None = None,
    ) -> None:
        _, scope = await self.scoped_unit(interaction, unit)
        shift = await cat.set_shift(
            self.bot.db,
            interaction.guild_id,
            unit,
            name,
            interaction.user.id,
            self.now(),
            member_count=members,
        )
        count = "no member count" if shift.member_count is None else f"{shift.member_count} members"
        await reply(interaction, f"Shift **{_clean(shift.name)}** saved ({count}).", ephemeral=True)

    @shift_group.command(name="remove", description="Remove a shift nothing uses")
    @app_commands.describe(unit="The unit", name="The shift to remove")
    @requires(Access.COORDINATOR)
    async def shift_remove(self, interaction: discord.Interaction, unit: str, name: str) -> None:
        await self.scoped_unit(interaction, unit)
        shift = await cat.remove_shift(
            self.bot.db, interaction.guild_id, unit, name, interaction.user.id, self.now()
        )
        await reply(interaction, f"Shift **{_clean(shift.name)}** removed.", ephemeral=True)

    @team.command(name="unit", description="A unit's member count and its own coverage target")
    @app_commands.describe(
        unit="The unit",
        members="How many members the unit has",
        ratio="Its own target: one volunteer per this many members (else the server's)",
    )
    @requires(Access.COORDINATOR)
    async def unit_set(
        self,
        interaction: discord.Interaction,
        unit: str,
        members: int | None = None,
        ratio: int | None = None,
    ) -> None:
        await self.scoped_unit(interaction, unit)
        found = await cat.set_unit(
            self.bot.db,
            interaction.guild_id,
            unit,
            interaction.user.id,
            self.now(),
            member_count=members,
            ratio=ratio,
        )
        target = await cat.unit_ratio(
            self.bot.db,
            interaction.guild_id,
            found.id,
            (await guild_settings.get(self.bot.db, interaction.guild_id)).cat_target_ratio,
        )
        await reply(
            interaction,
            f"{_clean(found.label)}: {found.member_count} members, target one volunteer per "
            f"{target}.",
            ephemeral=True,
        )

    @shift_set.autocomplete("unit")
    @shift_remove.autocomplete("unit")
    @unit_set.autocomplete("unit")
    async def _structure_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _unit_choices(self.bot, interaction, current)

    @levels_group.command(name="list", description="The assessment scale and its labels")
    @requires(Access.COORDINATOR)
    async def levels_list(self, interaction: discord.Interaction) -> None:
        scale = await cat.scale(self.bot.db, interaction.guild_id)
        await reply(interaction, embeds=[scale_embed(scale)], ephemeral=True)

    @levels_group.command(name="rename", description="Rename a level (its number never changes)")
    @app_commands.describe(level="1 to 5", label="The server's own label")
    @requires(Access.COORDINATOR)
    async def levels_rename(self, interaction: discord.Interaction, level: int, label: str) -> None:
        scale = await cat.rename_level(
            self.bot.db, interaction.guild_id, level, label, interaction.user.id, self.now()
        )
        await reply(interaction, "Saved.", embeds=[scale_embed(scale)], ephemeral=True)

    @levels_group.command(name="retire", description="Stop offering a level no log uses")
    @app_commands.describe(level="1 to 5")
    @requires(Access.COORDINATOR)
    async def levels_retire(self, interaction: discord.Interaction, level: int) -> None:
        scale = await cat.retire_level(
            self.bot.db, interaction.guild_id, level, interaction.user.id, self.now()
        )
        await reply(interaction, "Retired.", embeds=[scale_embed(scale)], ephemeral=True)

    @levels_group.command(name="restore", description="Offer a retired level again")
    @app_commands.describe(level="1 to 5")
    @requires(Access.COORDINATOR)
    async def levels_restore(self, interaction: discord.Interaction, level: int) -> None:
        scale = await cat.restore_level(
            self.bot.db, interaction.guild_id, level, interaction.user.id, self.now()
        )
        await reply(interaction, "Restored.", embeds=[scale_embed(scale)], ephemeral=True)

    @commitments_group.command(name="list", description="What joining asks, numbered")
    @requires(Access.COORDINATOR)
    async def commitments_list(self, interaction: discord.Interaction) -> None:
        listed = await cat.commitment_list(self.bot.db, interaction.guild_id)
        await reply(interaction, embeds=[commitment_embed(listed)], ephemeral=True)

    @commitments_group.command(name="add", description="Add a commitment to the sign-up")
    @app_commands.describe(text="What volunteers commit to, e.g. Wear red on Thursdays")
    @requires(Access.COORDINATOR)
    async def commitments_add(self, interaction: discord.Interaction, text: str) -> None:
        listed = await cat.add_commitment(
            self.bot.db, interaction.guild_id, text, interaction.user.id, self.now()
        )
        await reply(interaction, "Added.", embeds=[commitment_embed(listed)], ephemeral=True)

    @commitments_group.command(name="remove", description="Take a commitment off the sign-up")
    @app_commands.describe(number="Its number in `/cat commitments`")
    @requires(Access.COORDINATOR)
    async def commitments_remove(self, interaction: discord.Interaction, number: int) -> None:
        listed = await cat.remove_commitment(
            self.bot.db, interaction.guild_id, number, interaction.user.id, self.now()
        )
        await reply(interaction, "Removed.", embeds=[commitment_embed(listed)], ephemeral=True)

    @team.command(
        name="training", description="Record the date a volunteer attended a CAT training"
    )
    @app_commands.describe(member="The volunteer", date="The training date, YYYY-MM-DD")
    @requires(Access.COORDINATOR)
    async def training(
        self, interaction: discord.Interaction, member: discord.User, date: str
    ) -> None:
        v = await cat.get_volunteer(self.bot.db, interaction.guild_id, member.id)
        if v is not None:
            cat.check_scope(
                await self.my_scope(interaction),
                await units.get(self.bot.db, v.guild_id, v.unit_id),
            )
        v = await cat.record_training(
            self.bot.db, interaction.guild_id, member.id, date, interaction.user.id, self.now()
        )
        await reply(
            interaction,
            f"Training recorded for {member.mention}: {discord_timestamp(v.training_at, 'D')}.",
            ephemeral=True,
        )

    @team.command(name="logs", description="Recent conversation logs in the units you coordinate")
    @app_commands.describe(unit="Only this unit")
    @requires(Access.COORDINATOR)
    async def team_logs(self, interaction: discord.Interaction, unit: str | None = None) -> None:
        unit_id, scope = await self.scoped_unit(interaction, unit)
        if unit_id is not None:
            scope = cat.subtree_ids(
                await units.list_units(self.bot.db, interaction.guild_id), unit_id
            )
        entries = await cat.logs(self.bot.db, interaction.guild_id, scope=scope, limit=20)
        names = {
            v.id: v.display_name
            for v in await cat.roster(self.bot.db, interaction.guild_id, limit=-1, scope=scope)
        }
        labels = await cat.scale(self.bot.db, interaction.guild_id)
        await reply(
            interaction,
            embeds=[logs_embed("CAT conversation logs", entries, labels, names=names)],
            ephemeral=True,
        )

    @team_logs.autocomplete("unit")
    async def _logs_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _unit_choices(self.bot, interaction, current)

    @team.command(name="digest", description="Preview your weekly CAT digest now")
    @requires(Access.COORDINATOR)
    async def digest_now(self, interaction: discord.Interaction) -> None:
        scope = await self.my_scope(interaction)
        content = await cat.digest(self.bot.db, interaction.guild_id, self.now(), scope=scope)
        message = cat.digest_message(content, scoped=scope is not None)
        await reply(interaction, embeds=message["embeds"], ephemeral=True)


def scale_embed(scale: cat.Scale) -> dict:
    """The scale with the server's labels, the strongest end named, retired levels marked."""
    lines = [
        f"**{k}** {_clean(scale.label(k))}"
        + (" (strongest support)" if k == 1 else "")
        + (" (strongest opposition)" if k == 5 else "")
        + (" · retired" if k in scale.retired else "")
        for k in range(1, 6)
    ]
    lines.append(f"**0** {cat.NOT_ASSESSED}")
    return embed("Assessment scale", "\n".join(lines), footer=cat.SCALE_NOTE)


def logs_embed(
    title: str,
    entries: list[cat.LogEntry],
    scale: cat.Scale,
    *,
    names: dict[int, str] | None,
) -> dict:
    """Logs as lines: when, unit and shift, how many, level, how, concerns; never coworkers."""
    lines = []
    for e in entries:
        who = ""
        if names is not None and e.volunteer_id is not None:
            who = f" · by {_clean(names.get(e.volunteer_id, 'a former volunteer'))}"
        where = _clean(e.unit) + (f", {_clean(e.shift)}" if e.shift else "")
        level = scale.label(e.level) if e.level in scale.labels or e.level == 0 else "?"
        lines.append(
            f"{discord_timestamp(e.logged_at, 'd')} · {where} · {e.count} · "
            f"level {e.level} {_clean(level)}"
            + (f" · {e.method}" if e.method else "")
            + (f" · {_clean(e.concerns)}" if e.concerns else "")
            + who
        )
    return embed(
        title, "\n".join(lines) or "Nothing logged yet.", footer=cat.SCALE_NOTE, colour=Colour.INFO
    )


def unit_embeds(report: cat.UnitReport) -> list[dict]:
    """The 30-day level distribution and the 14-day concerns pulse, as two embeds."""
    total = sum(report.distribution.values())
    rows = []
    for k in [*range(1, 6), 0]:
        n = report.distribution.get(k, 0)
        share = f" ({round(100 * n / total)}%)" if total else ""
        strongest = " · strongest" if k == 1 else ""
        rows.append(f"**{k}** {_clean(report.scale.label(k))}{strongest}: {n}{share}")
    levels = embed(
        f"{_clean(report.unit.label)}: levels, last {cat.DISTRIBUTION_DAYS} days",
        "\n".join(rows),
        footer=f"{cat.SCALE_NOTE} Counts of conversations; no coworker is named.",
        colour=Colour.INFO,
    )
    pulse_rows = [
        f"**{_clean(c)}**: {now} in the last {cat.PULSE_DAYS} days (previous {cat.PULSE_DAYS}: "
        f"{before})" + (" ↑" if now > before else " ↓" if now < before else "")
        for c, now, before in report.pulse[:15]
    ]
    pulse = embed(
        f"{_clean(report.unit.label)}: concerns pulse",
        "\n".join(pulse_rows) or "No concerns logged in the last 28 days.",
        colour=Colour.INFO,
    )
    return [levels, pulse]


def coordinator_command(group: app_commands.Group) -> app_commands.Command:
    """`/setup coordinator member: units:` for the /setup group (admins): which units a CAT
    coordinator sees. Defined here, beside the CAT it scopes; cogs/setup.py adds it."""

    async def coordinator(
        self: commands.Cog,
        interaction: discord.Interaction,
        member: discord.User,
        units: str | None = None,
    ) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        found = await cat.set_scope(
            bot.db, interaction.guild_id, member.id, units, interaction.user.id, bot.clock.now()
        )
        seen = ", ".join(_clean(u.label) for u in found) or "every unit"
        await reply(
            interaction,
            f"{member.mention} coordinates {seen} (with their sub-units), and gets the weekly "
            "CAT digest by DM.",
            ephemeral=True,
        )

    # discord.py skips `self` only for functions defined in a class: say this one is.
    coordinator.__qualname__ = "Setup.coordinator"
    described = app_commands.describe(
        member="The CAT coordinator",
        units="Unit codes separated by commas, e.g. 700, 600 (leave out: every unit)",
    )(coordinator)
    checked = requires(Access.ADMIN)(described)
    return group.command(name="coordinator", description="Which units a CAT coordinator sees")(
        checked
    )


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Cat(bot))
