"""/catteam: CAT coordinators' commands: the roster and its export, approvals, coverage,
the sign-up button, concerns, shifts and unit targets, the scale, commitments, training,
logs and the weekly digest.

The group is hidden from members by Discord (default_member_permissions) and every
command checks again at run time with `requires(COORDINATOR)`. A coordinator registered
with units sees only those (and their sub-units); admins see every unit.
"""

from __future__ import annotations

from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import cat
from bot.core import audit, delivery, guild_settings, render, units
from bot.core.errors import UserError
from bot.core.timeparse import discord_timestamp
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires
from bot.glue.ui import reply
from cogs.cat import components
from cogs.cat._common import (
    coverage_reply,
    ensure_can_post,
    grant_role,
    my_scope,
    take_role,
    unit_choices,
)
from cogs.cat.embeds import clean, commitment_embed, logs_embed, scale_embed

STATUS_CHOICES = [app_commands.Choice(name=s, value=s) for s in cat.STATUSES]


class CatTeam(commands.Cog):
    """The Contract Action Team as its coordinators run it: /catteam."""

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

    def now(self) -> datetime:
        """The bot's clock."""
        return self.bot.clock.now()

    async def check_member_scope(self, interaction: discord.Interaction, user_id: int) -> None:
        """Refuse a volunteer of a unit outside the coordinator's scope."""
        v = await cat.get_volunteer(self.bot.db, interaction.guild_id, user_id)
        if v is not None:
            unit = await units.get(self.bot.db, v.guild_id, v.unit_id)
            cat.check_scope(await my_scope(self.bot, interaction), unit)

    async def scoped_unit(
        self, interaction: discord.Interaction, unit: str | None
    ) -> tuple[int | None, set[int] | None]:
        """The unit asked for (checked against the scope) and the scope itself."""
        scope = await my_scope(self.bot, interaction)
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
        page, view = await components.roster_page(
            self.bot,
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
            view=components.ExportConfirm(
                self.bot, interaction.user.id, unit_id, status.value if status else None, scope
            ),
            ephemeral=True,
        )

    @roster.autocomplete("unit")
    @export.autocomplete("unit")
    async def _team_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await unit_choices(self.bot, interaction, current)

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
        problem = await grant_role(self.bot, interaction.guild_id, member, settings)
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
            problem = await take_role(self.bot, interaction.guild_id, member, settings)
            if problem:
                text += f"\n⚠ The CAT role was not removed: {problem}"
        else:
            text += " They have left the server, so there was no role to remove."
        await reply(interaction, text, ephemeral=True)

    @team.command(name="coverage", description="Volunteers per unit against the target, as a chart")
    @requires(Access.COORDINATOR)
    async def coverage(self, interaction: discord.Interaction) -> None:
        await coverage_reply(self.bot, interaction, await my_scope(self.bot, interaction))

    @team.command(name="post-signup", description="Post the Join the CAT button in a channel")
    @app_commands.describe(channel="Where members will find the button")
    @requires(Access.COORDINATOR)
    async def post_signup(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        ensure_can_post(interaction, channel)
        now = self.now()
        payload = render.message(
            embeds=[commitment_embed()],
            components=[
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 2,
                            "style": 3,
                            "label": "Join the CAT",
                            "custom_id": components.JOIN_ID,
                        }
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
        await reply(interaction, f"Shift **{clean(shift.name)}** saved ({count}).", ephemeral=True)

    @shift_group.command(name="remove", description="Remove a shift nothing uses")
    @app_commands.describe(unit="The unit", name="The shift to remove")
    @requires(Access.COORDINATOR)
    async def shift_remove(self, interaction: discord.Interaction, unit: str, name: str) -> None:
        await self.scoped_unit(interaction, unit)
        shift = await cat.remove_shift(
            self.bot.db, interaction.guild_id, unit, name, interaction.user.id, self.now()
        )
        await reply(interaction, f"Shift **{clean(shift.name)}** removed.", ephemeral=True)

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
            f"{clean(found.label)}: {found.member_count} members, target one volunteer per "
            f"{target}.",
            ephemeral=True,
        )

    @shift_set.autocomplete("unit")
    @shift_remove.autocomplete("unit")
    @unit_set.autocomplete("unit")
    async def _structure_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await unit_choices(self.bot, interaction, current)

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
                await my_scope(self.bot, interaction),
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
        await cat.record_view(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            "logs",
            f"unit={unit_id or 'all'} rows={len(entries)}",
            self.now(),
        )
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

    @team.command(
        name="logs-export", description="The conversation logs as a CSV file (confirmed, audited)"
    )
    @app_commands.describe(unit="Only this unit")
    @requires(Access.COORDINATOR)
    async def logs_export(self, interaction: discord.Interaction, unit: str | None = None) -> None:
        unit_id, scope = await self.scoped_unit(interaction, unit)
        if unit_id is not None:
            scope = cat.subtree_ids(
                await units.list_units(self.bot.db, interaction.guild_id), unit_id
            )
        count = await cat.logs_count(self.bot.db, interaction.guild_id, scope=scope)
        where = "every unit" if scope is None else "the units you coordinate"
        if unit_id is not None:
            where = "that unit"
        await reply(
            interaction,
            f"Export the conversation logs of {where} ({count} log(s)) as a file? They name "
            "the volunteers who logged; the export is recorded in the audit log and members "
            "see it in `/privacy log`.",
            view=components.LogsExportConfirm(self.bot, interaction.user.id, scope),
            ephemeral=True,
        )

    @team_logs.autocomplete("unit")
    @logs_export.autocomplete("unit")
    async def _logs_units(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await unit_choices(self.bot, interaction, current)

    @team.command(name="digest", description="Preview your weekly CAT digest now")
    @requires(Access.COORDINATOR)
    async def digest_now(self, interaction: discord.Interaction) -> None:
        scope = await my_scope(self.bot, interaction)
        content = await cat.digest(self.bot.db, interaction.guild_id, self.now(), scope=scope)
        await cat.record_view(
            self.bot.db, interaction.guild_id, interaction.user.id, "digest", "preview", self.now()
        )
        message = cat.digest_message(content, scoped=scope is not None)
        await reply(interaction, embeds=message["embeds"], ephemeral=True)
