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

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot import audit, cat, delivery, guild_settings, render, units
from bot.app import Rankfile
from bot.errors import UserError
from bot.permissions import HIDDEN_BEHIND, Access, ensure, requires
from bot.render import Colour, embed
from bot.timeparse import discord_timestamp
from bot.ui import Modal, View, reply, update

log = logging.getLogger("rankfile.cat")

JOIN_ID = "rankfile:cat:join"
COMMIT_ID = "rankfile:cat:commit"
FORM_ID = "rankfile:cat:form"
PAGE_SIZE = 10
ROLE_TOO_HIGH = (
    "Discord refused (the CAT role is above the bot's highest role, or the bot lacks "
    "Manage Roles). An admin can drag the bot's role above the CAT role in Server "
    "Settings → Roles; `/setup check` shows what is wrong."
)
ROLE_GONE = "the CAT role no longer exists: an admin can pick one with `/setup roles cat:`."
STATUS_CHOICES = [app_commands.Choice(name=s, value=s) for s in cat.STATUSES]


def _clean(text: str) -> str:
    return escape_markdown(text)


def commitment_embed() -> dict:
    """The commitment a member accepts by pressing "I commit"."""
    lines = "\n".join(f"• {c}" for c in cat.COMMITMENTS)
    return embed(
        "Join the Contract Action Team",
        "CAT volunteers talk one-on-one with the coworkers they already know, pass on "
        "what's happening at the table, and bring back what they hear.\n\n"
        f"**As a CAT volunteer I commit to:**\n{lines}\n\n"
        "Press **I commit** to accept and fill in the short form. We never ask for the "
        "names of the coworkers you talk with.",
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
    """Coverage per unit against the target ratio, with this week's and all conversations."""
    notes = [
        f"Target: one volunteer per **{cov.ratio}** members. "
        f"Active volunteers: **{cov.volunteers}**. Conversations logged: "
        f"**{cov.conversations_week}** this week (since {discord_timestamp(cov.week_start, 'D')}), "
        f"**{cov.conversations_total}** in all."
    ]
    if cov.role_failures:
        notes.append(
            f"⚠ {cov.role_failures} active volunteer(s) did not get the CAT role: {ROLE_TOO_HIGH}"
        )
    fields = []
    for u in cov.units:
        if u.member_count is None:
            target = "no member count on record"
        else:
            target = f"{u.volunteers} of {u.target} needed for {u.member_count} members"
            if u.shortfall:
                target += f" (**{u.shortfall} more**)"
            else:
                target += " ✓"
        lines = [f"Volunteers: {target}" if u.member_count is not None else target]
        if u.member_count is None:
            lines = [f"Volunteers: {u.volunteers} ({target})"]
        if u.pending:
            lines.append(f"Pending approval: {u.pending}")
        lines.append(
            f"Conversations: {u.conversations_week} this week, {u.conversations_total} in all"
        )
        if u.top_concerns:
            lines.append("Top concerns: " + ", ".join(f"{c} ({n})" for c, n in u.top_concerns))
        fields.append((u.name, "\n".join(lines), False))
    return embed(
        "CAT coverage",
        "\n".join(notes),
        fields=fields,
        colour=Colour.WARNING if cov.role_failures else Colour.INFO,
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
        await self.cog.open_form(interaction, None)


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
    ) -> None:
        # discord.py keys open modals by custom_id alone: one id per opening, so members
        # filling the form at the same time never receive each other's submissions.
        super().__init__(custom_id=f"{FORM_ID}:{opened_by}", timeout=1800)
        self.cog = cog
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
        )


class RosterPager(View):
    """Previous/next over the roster, for the coordinator who asked (ephemeral)."""

    def __init__(
        self, cog: Cat, owner_id: int, unit_id: int | None, status: str | None, offset: int
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
        self.cog = cog
        self.unit_id = unit_id
        self.status = status
        self.offset = offset

    async def _show(self, interaction: discord.Interaction, offset: int) -> None:
        await ensure(interaction, Access.COORDINATOR)
        page, view = await self.cog.roster_page(
            interaction.guild_id, interaction.user.id, self.unit_id, self.status, offset
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
        current = await cat.get_volunteer(self.bot.db, interaction.guild_id, interaction.user.id)
        if current is not None and current.current:
            await self.open_form(interaction, current)
            return
        await reply(interaction, embeds=[commitment_embed()], view=CommitView(self), ephemeral=True)

    async def open_form(
        self, interaction: discord.Interaction, current: cat.Volunteer | None
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
        await interaction.response.send_modal(SignupForm(self, unit_list, current, interaction.id))

    async def submit_form(self, interaction: discord.Interaction, **form: str) -> None:
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

    @cat_group.command(name="log", description="Log one-on-one conversations you held")
    @app_commands.describe(
        conversations="How many one-on-one conversations you held",
        unit="The bargaining unit of the coworkers you talked with",
        concern="The top concern you heard (pick one or type your own)",
    )
    async def log_conversations(
        self,
        interaction: discord.Interaction,
        conversations: app_commands.Range[int, 1, cat.COUNT_MAX],
        unit: str,
        concern: str | None = None,
    ) -> None:
        if interaction.guild_id is None:
            raise UserError("Log conversations from inside your union's server.")
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        logged = await cat.log_conversations(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            self.now(),
            count=conversations,
            unit=unit,
            concern=concern,
            timezone=settings.timezone,
        )
        heard = f" Top concern: **{_clean(logged.concern)}**." if logged.concern else ""
        plural = "s" if logged.count != 1 else ""
        await reply(
            interaction,
            f"Logged {logged.count} conversation{plural} with {_clean(logged.unit.label)}.{heard}"
            f" You've logged {logged.week_total} this week. Thank you!",
            ephemeral=True,
        )

    @log_conversations.autocomplete("unit")
    async def _log_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _unit_choices(self.bot, interaction, current)

    @log_conversations.autocomplete("concern")
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
    ) -> tuple[dict, RosterPager | None]:
        """One page of the roster as an embed, with the pager when there is more than a page."""
        assert guild_id is not None  # noqa: S101 - /catteam is guild-only
        db = self.bot.db
        total = await cat.roster_count(db, guild_id, unit_id=unit_id, status=status)
        offset = min(offset, max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE))
        rows = await cat.roster(
            db, guild_id, unit_id=unit_id, status=status, limit=PAGE_SIZE, offset=offset
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
        view = RosterPager(self, owner_id, unit_id, status, offset)
        view.previous.disabled = offset == 0
        view.next.disabled = offset + PAGE_SIZE >= total
        return page, view

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
        unit_id = (await units.find(self.bot.db, interaction.guild_id, unit)).id if unit else None
        page, view = await self.roster_page(
            interaction.guild_id,
            interaction.user.id,
            unit_id,
            status.value if status else None,
            0,
        )
        await reply(interaction, embeds=[page], view=view, ephemeral=True)

    @team.command(name="export", description="The CAT roster as a CSV file (private, audited)")
    @app_commands.describe(unit="Only this bargaining unit", status="Only volunteers in this state")
    @app_commands.choices(status=STATUS_CHOICES)
    @requires(Access.COORDINATOR)
    async def export(
        self,
        interaction: discord.Interaction,
        unit: str | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        unit_id = (await units.find(self.bot.db, interaction.guild_id, unit)).id if unit else None
        now = self.now()
        data, count = await cat.export_csv(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            now,
            unit_id=unit_id,
            status=status.value if status else None,
        )
        name = f"cat-roster-{now:%Y-%m-%d}.csv"
        await reply(
            interaction,
            f"The CAT roster: {count} volunteer(s). It is personal data about union activity: "
            "keep it among the coordinators. This export is recorded in the audit log.",
            files=[(name, data)],
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
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        cov = await cat.coverage(
            self.bot.db,
            interaction.guild_id,
            self.now(),
            ratio=settings.cat_target_ratio,
            timezone=settings.timezone,
        )
        png = await asyncio.to_thread(cat.coverage_chart, cov)
        await reply(
            interaction,
            embeds=[coverage_embed(cov)],
            files=[("cat-coverage.png", png)],
            ephemeral=True,
        )

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


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Cat(bot))
