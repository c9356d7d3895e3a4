"""/setup: an admin names the channels, the roles and the time zone."""

from __future__ import annotations

import zoneinfo

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot import cat, privacy, site
from bot.core import guild_settings, limits
from bot.core.errors import UserError
from bot.core.render import Colour, embed
from bot.glue import permissions, ui
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires
from bot.glue.ui import reply
from bot.ops import doctor

_ZONES = sorted(zoneinfo.available_timezones())


def _channel(value: int | None) -> str:
    return f"<#{value}>" if value else "not set"


def _role(value: int | None) -> str:
    return f"<@&{value}>" if value else "not set"


def settings_embed(settings: guild_settings.GuildSettings, notes: list[str] = ()) -> dict:  # type: ignore[assignment]
    """The server's settings as one embed (shown by /setup show and after each change)."""
    missing = settings.missing()
    description = "\n".join(notes) if notes else None
    return embed(
        "rankfile settings",
        description,
        fields=[
            ("Announcements channel", _channel(settings.announcements_channel_id), True),
            ("Updates channel", _channel(settings.updates_channel_id), True),
            ("Committee channel (private)", _channel(settings.committee_channel_id), True),
            ("Organizer role", _role(settings.organizer_role_id), True),
            ("CAT role", _role(settings.cat_role_id), True),
            ("CAT coordinator role", _role(settings.coordinator_role_id), True),
            ("Time zone", settings.timezone, True),
            (
                "Plain text in posts",
                "on" if settings.plain_text_posts else "off (`/setup accessibility`)",
                True,
            ),
            (
                "Still to set",
                "\n".join(f"`{guild_settings.SETUP_OPTION[m]}`" for m in missing)
                if missing
                else "Nothing: setup is complete.",
                False,
            ),
        ],
        colour=Colour.INFO if not missing else Colour.WARNING,
    )


def check_embed(checks: list[doctor.Check]) -> dict:
    """The doctor's verdicts as one embed: a line per check, the fix under each failure."""
    lines = []
    for c in checks:
        mark = {"PASS": "✅ ok", "WARN": "⚠️ to do", "FAIL": "❌ problem"}[c.verdict]
        lines.append(f"{mark} · **{c.name}**: {c.detail}")
        if c.fix:
            lines.append(f"↳ fix: {c.fix}")
    bad = sum(not c.ok for c in checks)
    return embed(
        "rankfile check",
        "\n".join(lines),
        footer=f"{len(checks) - bad} passed, {bad} failed (same checks as `rankfile doctor`)",
        colour=Colour.SUCCESS if not bad else Colour.DANGER,
    )


class Setup(commands.Cog):
    """Server settings for admins."""

    setup = app_commands.Group(
        name="setup",
        description="Set rankfile up for this server (admins)",
        default_permissions=HIDDEN_BEHIND[Access.ADMIN],
        guild_only=True,
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    @setup.command(name="show", description="Show this server's rankfile settings")
    @requires(Access.ADMIN)
    async def show(self, interaction: discord.Interaction) -> None:
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        state = await privacy.campaign(self.bot.db, interaction.guild_id)
        embeds = [settings_embed(settings), safety_embed(state)]
        await reply(interaction, embeds=embeds, ephemeral=True)

    @setup.command(name="check", description="Check that rankfile can work here, and how to fix it")
    @requires(Access.ADMIN)
    async def check(self, interaction: discord.Interaction) -> None:
        from bot.cli.ops import requested_intents, rest_fetcher

        # Several API reads: say "thinking" first so the 3-second window never closes.
        await interaction.response.defer(ephemeral=True, thinking=True)
        checks = await doctor.discord_checks(
            rest_fetcher(self.bot.http),
            requested_intents(self.bot.intents),
            lambda gid: guild_settings.get(self.bot.db, gid),
            only_guild=interaction.guild_id,
        )
        checks += await doctor.database_checks(
            self.bot.db, self.bot.backup_dir, self.bot.clock.now()
        )
        await reply(interaction, embeds=[check_embed(checks)], ephemeral=True)

    @setup.command(name="channels", description="Choose the channels rankfile posts in")
    @app_commands.describe(
        announcements="Where announcements and reminders are posted",
        updates="Where negotiation updates are posted",
        committee="Private channel where members' questions reach the committee",
    )
    @requires(Access.ADMIN)
    async def channels(
        self,
        interaction: discord.Interaction,
        announcements: discord.TextChannel | None = None,
        updates: discord.TextChannel | None = None,
        committee: discord.TextChannel | None = None,
    ) -> None:
        changes = {
            name: channel.id
            for name, channel in (
                ("announcements_channel_id", announcements),
                ("updates_channel_id", updates),
                ("committee_channel_id", committee),
            )
            if channel is not None
        }
        if not changes:
            raise UserError("Name at least one channel: announcements, updates or committee.")
        notes = []
        if committee is not None and interaction.guild is not None:
            everyone = committee.permissions_for(interaction.guild.default_role)
            if everyone.view_channel:
                notes.append(
                    f"Warning: everyone can see {committee.mention}. It will hold members' "
                    "questions: make it private to the committee."
                )
        await self._save(interaction, changes, notes)

    @setup.command(name="roles", description="Choose the organizer, CAT and coordinator roles")
    @app_commands.describe(
        organizer="Organizers and the bargaining committee: post updates, events, announcements",
        cat="Given to Contract Action Team volunteers when they join",
        coordinator="CAT coordinators: see the roster and coverage",
    )
    @requires(Access.ADMIN)
    async def roles(
        self,
        interaction: discord.Interaction,
        organizer: discord.Role | None = None,
        cat: discord.Role | None = None,
        coordinator: discord.Role | None = None,
    ) -> None:
        chosen = (
            ("organizer_role_id", organizer),
            ("cat_role_id", cat),
            ("coordinator_role_id", coordinator),
        )
        changes = {name: role.id for name, role in chosen if role is not None}
        if not changes:
            raise UserError("Name at least one role: organizer, cat or coordinator.")
        for _, role in chosen:
            if role is not None and role.is_default():
                raise UserError("@everyone can't be a rankfile role: pick or create a real role.")
            if role is not None and role.managed:
                raise UserError(f"{role.mention} is managed by an integration: pick another role.")
        await self._save(interaction, changes, _cat_role_notes(interaction, cat))

    @setup.command(name="timezone", description="The time zone organizers type times in")
    @app_commands.describe(zone="An IANA time zone, such as America/Los_Angeles")
    @requires(Access.ADMIN)
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        await self._save(interaction, {"timezone": zone.strip()}, [])

    @setup.command(name="cat", description="Contract Action Team: approval, target, channel")
    @app_commands.describe(
        approval="Sign-ups wait for a coordinator's approval before the CAT role",
        ratio="Coverage target: one volunteer per this many members (default 10)",
        channel="Private channel (@everyone can't see it) where coordinators hear about the CAT",
    )
    @requires(Access.ADMIN)
    async def cat(
        self,
        interaction: discord.Interaction,
        approval: bool | None = None,
        ratio: app_commands.Range[int, 1, 1000] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        changes: dict = {}
        if approval is not None:
            changes["cat_requires_approval"] = int(approval)
        if ratio is not None:
            changes["cat_target_ratio"] = ratio
        if channel is not None:
            if interaction.guild is not None and _public(interaction.guild, channel):
                raise UserError(
                    f"Everyone can see {channel.mention}: the coordinators' channel gets "
                    "volunteers' names and sign-up questions, so rankfile won't use it. Make it "
                    "private to the coordinators (and the bot), or pick a private channel."
                )
            changes["cat_channel_id"] = channel.id
        if not changes:
            raise UserError("Give at least one of approval, ratio or channel.")
        settings = await guild_settings.update(
            self.bot.db, interaction.guild_id, interaction.user.id, self.bot.clock.now(), **changes
        )
        text = (
            f"CAT sign-ups: {'wait for approval' if settings.cat_requires_approval else 'open'}; "
            f"target: one volunteer per {settings.cat_target_ratio} members; coordinators' "
            f"channel: {_channel(settings.cat_channel_id)}."
        )
        await reply(interaction, embeds=[embed("CAT settings saved", text)], ephemeral=True)

    @setup.command(name="coordinator", description="Which units a CAT coordinator sees")
    @app_commands.describe(
        member="The CAT coordinator",
        units="Unit codes separated by commas, e.g. 700, 600 (leave out: every unit)",
    )
    @requires(Access.ADMIN)
    async def coordinator(
        self,
        interaction: discord.Interaction,
        member: discord.User,
        units: str | None = None,
    ) -> None:
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        role_id = settings.require("coordinator_role_id")
        if not isinstance(member, discord.Member):
            raise UserError("That person is not a member of this server, so they can't coordinate.")
        if not any(r.id == role_id for r in member.roles):
            raise UserError(
                f"{member.mention} doesn't hold the <@&{role_id}> role: give it to them first, "
                "then register their units (the digest and the roster follow the role)."
            )
        found = await cat.set_scope(
            self.bot.db,
            interaction.guild_id,
            member.id,
            units,
            interaction.user.id,
            self.bot.clock.now(),
        )
        seen = ", ".join(escape_markdown(u.label) for u in found) or "every unit"
        await reply(
            interaction,
            f"{member.mention} coordinates {seen} (with their sub-units), and gets the weekly "
            "CAT digest by DM.",
            ephemeral=True,
        )

    @setup.command(name="silence", description="Nudge organizers after N days without an update")
    @app_commands.describe(
        days="Days without an update for a unit at the table or waiting for details (default 7)"
    )
    @requires(Access.ADMIN)
    async def silence(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 90]
    ) -> None:
        await self._save(interaction, {"silence_days": days}, [])

    @setup.command(
        name="accessibility", description="Channel posts carry their plain text beside the embed"
    )
    @app_commands.rename(plain_text_posts="plain-text-posts")
    @app_commands.describe(
        plain_text_posts="On: posts carry their text beside the embed, for members with embeds off"
    )
    @app_commands.choices(
        plain_text_posts=[
            app_commands.Choice(name="on", value="on"),
            app_commands.Choice(name="off", value="off"),
        ]
    )
    @requires(Access.ADMIN)
    async def accessibility(self, interaction: discord.Interaction, plain_text_posts: str) -> None:
        on = plain_text_posts == "on"
        note = (
            "Channel posts now carry their plain text beside the embed."
            if on
            else "Channel posts carry embeds only; members can still choose "
            "`/settings plain-text: on` for their own answers and DMs."
        )
        await self._save(interaction, {"plain_text_posts": int(on)}, [note])

    @setup.command(name="site", description="The public site: its title, address, what is public")
    @app_commands.describe(
        title="The site's title, such as: Local 99 bargaining",
        url="Where it is served, such as https://local99.org/bargaining (for feed links)",
        updates="Publish the updates organizers post with public: True",
        tracker="Publish the tracker: each unit's status, dates and days waited",
        proposals="Publish the open items at the table and whose move it is",
        events="Publish the town halls and votes created with public: True",
    )
    @requires(Access.ADMIN)
    async def public_site(
        self,
        interaction: discord.Interaction,
        title: str | None = None,
        url: str | None = None,
        updates: bool | None = None,
        tracker: bool | None = None,
        proposals: bool | None = None,
        events: bool | None = None,
    ) -> None:
        chosen = {"updates": updates, "tracker": tracker, "proposals": proposals, "events": events}
        saved = await site.configure(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            self.bot.clock.now(),
            title=title,
            url=url,
            sections={k: v for k, v in chosen.items() if v is not None},
        )
        public = [s for s in site.SECTIONS if saved.public(s)]
        lines = [
            f"Title: {saved.heading()}",
            f"Address: {saved.url or 'not set'}",
            f"Public: {', '.join(public) if public else 'nothing (the site says so)'}",
            "Never on it: any member's name, id, question, RSVP or CAT record.",
            "The site is rebuilt a minute after each change"
            if saved.out_dir
            else "No folder yet: the host sets it with `rankfile site folder` (docs/hosting.md).",
        ]
        shown = embed("Public site saved", "\n".join(lines))
        await reply(interaction, embeds=[shown], ephemeral=True)

    @setup.command(name="limits", description="Per-member limits on asking, voting, subscribing")
    @app_commands.describe(
        action="What members do (leave empty to see every limit)",
        per_day="Most uses by one member in any 24 hours",
        cooldown_seconds="Seconds one member waits between two uses",
        open_max="Most questions one member may have waiting for an answer",
        reset="Back to rankfile's default for this action",
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=name, value=name) for name in sorted(limits.LIMITS)]
    )
    @requires(Access.ADMIN)
    async def member_limits(
        self,
        interaction: discord.Interaction,
        action: str | None = None,
        per_day: app_commands.Range[int, 1, 10000] | None = None,
        cooldown_seconds: app_commands.Range[int, 0, 86400] | None = None,
        open_max: app_commands.Range[int, 1, 100] | None = None,
        reset: bool = False,
    ) -> None:
        db, guild_id = self.bot.db, interaction.guild_id
        changing = per_day is not None or cooldown_seconds is not None or open_max is not None
        if action is not None and (changing or reset):
            await limits.set_limit(
                db,
                guild_id,
                interaction.user.id,
                action,
                self.bot.clock.now(),
                cooldown_seconds=cooldown_seconds,
                per_day=per_day,
                open_max=open_max,
                reset=reset,
            )
        elif changing or reset:
            raise UserError("Choose the `action` to change.")
        names = [action] if action else sorted(limits.LIMITS)
        lines = [
            f"**{name}**: {limits.describe(await limits.limit_for(db, guild_id, name))}"
            for name in names
        ]
        shown = embed("Per-member limits", "\n".join(lines), colour=Colour.INFO)
        await reply(interaction, embeds=[shown], ephemeral=True)

    @timezone.autocomplete("zone")
    async def _zone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.lower().replace(" ", "_")
        found = [z for z in _ZONES if needle in z.lower()][:25]
        return [app_commands.Choice(name=z, value=z) for z in found]

    async def _save(
        self, interaction: discord.Interaction, changes: dict, notes: list[str]
    ) -> None:
        settings = await guild_settings.update(
            self.bot.db, interaction.guild_id, interaction.user.id, self.bot.clock.now(), **changes
        )
        await reply(
            interaction, embeds=[settings_embed(settings, ["Saved.", *notes])], ephemeral=True
        )

    # -- safety checklist and campaign retention (domain in bot/privacy) ----------------------

    campaign = app_commands.Group(
        name="campaign",
        description="Close the campaign and set how long members' data is kept",
        parent=setup,
    )

    @setup.command(name="checklist", description="Read and acknowledge the safety checklist")
    @requires(Access.ADMIN)
    async def checklist(self, interaction: discord.Interaction) -> None:
        db, guild_id = self.bot.db, interaction.guild_id
        settings = await guild_settings.get(db, guild_id)
        private = _committee_private(interaction, settings)
        cat_private = _cat_channel_private(interaction, settings)
        state = await privacy.campaign(db, guild_id)
        view = (
            None
            if state.checklist_acknowledged_at
            else ChecklistView(self.bot, private, cat_private)
        )
        await reply(
            interaction,
            embeds=[checklist_embed(private, state, cat_private)],
            view=view,
            ephemeral=True,
        )

    @campaign.command(
        name="close", description="Close the campaign: members' data is deleted later"
    )
    @requires(Access.ORGANIZER)
    async def campaign_close(self, interaction: discord.Interaction) -> None:
        state = await privacy.campaign(self.bot.db, interaction.guild_id)
        if state.closed_at is not None:
            raise UserError("The campaign is already closed. `/setup campaign reopen` undoes it.")
        text = (
            f"In {state.retention_days} days rankfile deletes this server's personal data (the "
            "CAT roster, who asked what, RSVPs, subscriptions), keeping anonymous counts "
            "(tracker, turnout, coverage). Organizers are warned 7 days before. "
            "`/setup campaign reopen` stops it until then."
        )
        view = CloseCampaignView(self.bot, interaction.user.id)
        await reply(
            interaction,
            embeds=[embed("Close the campaign?", text, colour=Colour.WARNING)],
            view=view,
            ephemeral=True,
        )

    @campaign.command(name="reopen", description="Reopen a closed campaign: nothing is deleted")
    @requires(Access.ORGANIZER)
    async def campaign_reopen(self, interaction: discord.Interaction) -> None:
        state = await privacy.reopen_campaign(
            self.bot.db, interaction.guild_id, interaction.user.id, self.bot.clock.now()
        )
        await reply(
            interaction,
            embeds=[safety_embed(state, ["Reopened: nothing will be deleted."])],
            ephemeral=True,
        )

    @campaign.command(name="retention", description="Days after closing before data is deleted")
    @app_commands.describe(days="Days between closing the campaign and deleting members' data")
    @requires(Access.ADMIN)
    async def campaign_retention(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 7, 3650]
    ) -> None:
        state = await privacy.set_retention(
            self.bot.db, interaction.guild_id, days, interaction.user.id, self.bot.clock.now()
        )
        await reply(interaction, embeds=[safety_embed(state, ["Saved."])], ephemeral=True)


def _cat_role_notes(interaction: discord.Interaction, cat: discord.Role | None) -> list[str]:
    """Warnings about a CAT role the bot could never give (said at once, as `/setup check`
    would later): a role above the bot's own, or no Manage Roles permission."""
    guild = interaction.guild
    me = guild.me if guild is not None else None
    if cat is None or me is None:
        return []
    if cat >= me.top_role:
        return [
            f"Warning: {cat.mention} sits above the bot's highest role ({me.top_role.mention}), "
            "so the bot can never give it to volunteers. In Server Settings > Roles, drag "
            f"{me.top_role.mention} above {cat.mention}, or pick a lower role."
        ]
    if not interaction.app_permissions.manage_roles:
        return [
            f"Warning: the bot lacks the Manage Roles permission, so it can't give {cat.mention} "
            f"to volunteers. In Server Settings > Roles > {me.top_role.name} > Permissions, turn "
            "on Manage Roles."
        ]
    return []


def _public(guild: discord.Guild, channel: discord.abc.GuildChannel) -> bool:
    """Whether @everyone can see the channel."""
    return channel.permissions_for(guild.default_role).view_channel


def _private(interaction: discord.Interaction, channel_id: int | None) -> bool | None:
    """Whether @everyone is kept out of a channel (None: not set or not seen)."""
    guild = interaction.guild
    channel = guild.get_channel(channel_id or 0) if guild else None
    if guild is None or channel is None:
        return None
    return not _public(guild, channel)


def _committee_private(interaction: discord.Interaction, settings) -> bool | None:
    """Whether @everyone is kept out of the committee channel (None: not set or not seen)."""
    return _private(interaction, settings.committee_channel_id)


def _cat_channel_private(interaction: discord.Interaction, settings) -> bool | None:
    """Whether @everyone is kept out of the CAT coordinators' channel (None: not set)."""
    return _private(interaction, settings.cat_channel_id)


def _when(moment) -> str:
    return f"<t:{int(moment.timestamp())}:f>" if moment else "not yet"


def safety_embed(state: privacy.Campaign, notes: list[str] = ()) -> dict:  # type: ignore[assignment]
    """The checklist acknowledgement and the campaign's retention state (in /setup show)."""
    if state.purged_at:
        campaign = f"Closed; members' data deleted {_when(state.purged_at)}"
    elif state.closed_at:
        campaign = f"Closed {_when(state.closed_at)}; data deleted {_when(state.purge_due_at)}"
    else:
        campaign = "Open"
    ack = state.checklist_acknowledged_at
    return embed(
        "Safety and members' data",
        "\n".join(notes) if notes else None,
        fields=[
            (
                "Safety checklist",
                f"Acknowledged {_when(ack)}" if ack else "Not acknowledged: `/setup checklist`",
                True,
            ),
            ("Campaign", campaign, True),
            ("Retention after closing", f"{state.retention_days} days", True),
        ],
        colour=Colour.INFO if ack else Colour.WARNING,
    )


def checklist_embed(
    private: bool | None, state: privacy.Campaign, cat_private: bool | None = None
) -> dict:
    """The safety checklist, with the committee's and the CAT coordinators' channels' privacy
    checked."""
    lines = [f"{n}. {item}" for n, item in enumerate(privacy.CHECKLIST, start=1)]
    check = {
        True: "✅ The committee channel is private.",
        False: "❌ Everyone can see the committee channel: make it private first.",
        None: "❌ No committee channel yet: `/setup channels committee:` (a private channel).",
    }[private]
    cat_check = {
        True: "✅ The CAT coordinators' channel is private.",
        False: "❌ Everyone can see the CAT coordinators' channel: make it private first.",
        None: "· No CAT coordinators' channel (optional: `/setup cat channel:`, a private one).",
    }[cat_private]
    ack = state.checklist_acknowledged_at
    lines += [
        "",
        check,
        cat_check,
        "",
        f"Acknowledged {_when(ack)}."
        if ack
        else ("The CAT takes sign-ups only once an admin acknowledges this."),
    ]
    return embed("Safety checklist", "\n".join(lines), colour=Colour.INFO)


class ChecklistView(ui.View):
    """Acknowledge, for admins."""

    def __init__(self, bot: Rankfile, private: bool | None, cat_private: bool | None) -> None:
        super().__init__(timeout=600)
        self.bot = bot
        self.private = private
        self.cat_private = cat_private

    @discord.ui.button(label="Acknowledge", style=discord.ButtonStyle.success)
    async def acknowledge(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await permissions.ensure(interaction, Access.ADMIN)
        if not self.private:
            raise UserError(
                "The committee channel must exist and be private before the checklist can be "
                "acknowledged: fix it, then run `/setup checklist` again."
            )
        if self.cat_private is False:
            raise UserError(
                "Everyone can see the CAT coordinators' channel: make it private before the "
                "checklist can be acknowledged, then run `/setup checklist` again."
            )
        state = await privacy.acknowledge_checklist(
            self.bot.db, interaction.guild_id, interaction.user.id, self.bot.clock.now()
        )
        self.stop()
        await ui.update(
            interaction, embeds=[checklist_embed(True, state, self.cat_private)], view=None
        )


class CloseCampaignView(ui.View):
    """Close the campaign / Cancel, for the organizer who asked."""

    def __init__(self, bot: Rankfile, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=300)
        self.bot = bot

    @discord.ui.button(label="Close the campaign", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        state = await privacy.close_campaign(
            self.bot.db, interaction.guild_id, interaction.user.id, self.bot.clock.now()
        )
        self.stop()
        await ui.update(interaction, embeds=[safety_embed(state, ["Campaign closed."])], view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await ui.update(interaction, embeds=[embed("Nothing changed", None)], view=None)


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Setup(bot))
