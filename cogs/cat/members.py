"""/cat: what members do on the Contract Action Team: join (the commitment, then the form),
leave, see what the bot holds about them, log one-on-one conversations, read their logs,
set their shift and list size, and see their unit's totals.

Coverage is here too (`/cat coverage`), answered only to coordinators, organizers and the
committee; everything else coordinators run is in /catteam (cogs/cat/coordinators.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import cat
from bot.core import guild_settings, units
from bot.core.errors import NotFound, UserError
from bot.glue import roles
from bot.glue.app import Rankfile
from bot.glue.permissions import Access, access_levels
from bot.glue.ui import reply
from cogs.cat import components
from cogs.cat._common import coverage_reply, my_scope, take_role, unit_choices
from cogs.cat.embeds import commitment_embed, logs_embed, unit_embeds, volunteer_embed

METHOD_CHOICES = [app_commands.Choice(name=m, value=m) for m in cat.METHODS]


class CatMembers(commands.Cog):
    """The Contract Action Team as members see it: /cat."""

    cat_group = app_commands.Group(
        name="cat", description="The Contract Action Team: join, leave, log conversations"
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    def now(self) -> datetime:
        """The bot's clock."""
        return self.bot.clock.now()

    @cat_group.command(name="join", description="Join the Contract Action Team (or update)")
    async def join(self, interaction: discord.Interaction) -> None:
        await components.start_join(self.bot, interaction)

    @cat_group.command(name="leave", description="Leave the Contract Action Team")
    async def leave(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            raise UserError("Leave the CAT from inside your union's server.")
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        try:
            v = await cat.leave(self.bot.db, interaction.guild_id, interaction.user.id, self.now())
        except NotFound:
            # No current record (deleted with /privacy delete, or left) but the role stayed:
            # leaving still takes it.
            if not roles.holds(interaction.user, settings.cat_role_id):
                raise
            problem = await take_role(self.bot, interaction.guild_id, interaction.user, settings)
            text = "You're not on the CAT's roster here; the CAT role you still had is removed."
            if problem:
                text = (
                    "You're not on the CAT's roster here, but the bot could not remove the "
                    f"CAT role: {problem}"
                )
            await reply(interaction, text, ephemeral=True)
            return
        problem = await take_role(self.bot, interaction.guild_id, interaction.user, settings)
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
        concern="The top concern you heard (from the server's list; 'other' if none fits)",
        concern2="A second concern heard (from the list)",
        concern3="A third concern heard (from the list)",
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
        await components.record_log(
            self.bot,
            interaction,
            unit=unit,
            level=level,
            method=method.value if method else None,
            shift=shift,
            concerns=[concern, concern2, concern3],
            count=conversations,
        )

    @log_conversations.autocomplete("unit")
    async def _log_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await unit_choices(self.bot, interaction, current)

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
        # The server's list only: what was typed is never offered back (it could name someone).
        found = [c for c in listed if needle in c.lower()]
        return [app_commands.Choice(name=c, value=c) for c in found[:25]]

    @cat_group.command(name="coverage", description="CAT coverage per unit and shift (aggregates)")
    async def public_coverage(self, interaction: discord.Interaction) -> None:
        levels = await access_levels(interaction)
        if not levels & {Access.COORDINATOR, Access.ORGANIZER}:
            raise UserError(
                "Coverage is for CAT coordinators, organizers and the bargaining committee. "
                "Your own unit's totals are in `/cat unit`."
            )
        scope = None if Access.ORGANIZER in levels else await my_scope(self.bot, interaction)
        await coverage_reply(self.bot, interaction, scope)

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
        own_unit = mine is not None and mine.current and mine.unit_id == found.id
        if Access.ORGANIZER in levels:
            pass  # organizers and the committee see every unit's aggregates
        elif Access.COORDINATOR in levels and not own_unit:
            cat.check_scope(await my_scope(self.bot, interaction), found)
        elif not own_unit:
            raise UserError(
                "Unit totals are for that unit's CAT volunteers, its coordinators and the "
                "organizers. Join with `/cat join` to see your unit's."
            )
        report = await cat.unit_report(db, guild_id, found, self.now())
        png = await asyncio.to_thread(cat.unit_chart, report)
        await reply(
            interaction,
            embeds=unit_embeds(report),
            files=[(f"cat-unit-{found.code}.png", png, cat.unit_description(report))],
            ephemeral=True,
        )

    @unit_totals.autocomplete("unit")
    async def _totals_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await unit_choices(self.bot, interaction, current)
