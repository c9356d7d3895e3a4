"""/announce: organizers broadcast an announcement now or later, and follow its delivery.

`/announce send` opens a modal (title, message, link); the preview shows exactly what will be
posted with Send / Cancel buttons that only the author can press (they carry the draft's id,
so they keep working after a restart). `/announce list`, `/announce cancel`, `/announce status`.
"""

from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands

from bot import announcements, subscriptions
from bot.announcements import Announcement
from bot.core import delivery, guild_settings, render, timeparse
from bot.core.errors import UserError
from bot.core.render import Colour, embed, truncate
from bot.glue import ui
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, ensure, requires

# What each delivery state is called for organizers.
STATE_WORDS = {
    "sent": "sent",
    "pending": "pending",
    "skipped": "skipped",
    "failed": "failed",
    "cancelled": "cancelled",
}


def _counts_line(counts: dict[str, int]) -> str:
    shown = [f"{STATE_WORDS[s]} {n}" for s, n in counts.items() if n]
    return " · ".join(shown) or "nothing queued"


def _when_text(announcement: Announcement, zone: str) -> str:
    if announcement.scheduled_for is None:
        return "Now, when you press Send"
    return timeparse.echo(announcement.scheduled_for, zone)


def _shown_time(announcement: Announcement):
    return announcement.scheduled_for or announcement.queued_at or announcement.created_at


def _reason_text(reason: str) -> str:
    return delivery.REASON_TEXT.get(reason, reason)


async def _check_channel(interaction: discord.Interaction, channel_id: int) -> None:
    """UserError unless the organizer may post in the channel themselves (the bot must not
    post for them where they could not), and the bot can see, post and embed there."""
    guild = interaction.guild
    if guild is None:
        return
    channel = guild.get_channel(channel_id)
    if channel is None or not isinstance(channel, discord.TextChannel | discord.Thread):
        raise UserError(
            f"I can't post in <#{channel_id}>: pick a text channel I can see, or fix the "
            "announcements channel with `/setup channels announcements:`."
        )
    author = interaction.user
    if isinstance(author, discord.Member):
        theirs = channel.permissions_for(author)
        if not (theirs.view_channel and theirs.send_messages):
            raise UserError(
                f"You can't post in {channel.mention} yourself, so the bot won't post there "
                "for you: pick a channel you can post in, or ask an admin."
            )
    me = guild.me
    if me is None:
        return
    perms = channel.permissions_for(me)
    missing = [
        name
        for name, ok in (
            ("View Channel", perms.view_channel),
            ("Send Messages", perms.send_messages),
            ("Embed Links", perms.embed_links),
        )
        if not ok
    ]
    if missing:
        raise UserError(
            f"I can't post in {channel.mention}: I need {', '.join(missing)} there. Give the "
            "bot's role those permissions in the channel, or pick another channel."
        )


class AnnounceModal(ui.Modal, title="New announcement"):
    """Title, message and link; the options of the command ride along."""

    heading: discord.ui.TextInput = discord.ui.TextInput(
        label="Title", custom_id="title", max_length=announcements.TITLE_MAX
    )
    message: discord.ui.TextInput = discord.ui.TextInput(
        label="Message",
        custom_id="message",
        style=discord.TextStyle.paragraph,
        max_length=announcements.BODY_MAX,
    )
    link: discord.ui.TextInput = discord.ui.TextInput(
        label="Link (optional)",
        custom_id="link",
        required=False,
        max_length=announcements.LINK_MAX,
        placeholder="https://",
    )

    def __init__(
        self,
        bot: Rankfile,
        *,
        channel_id: int,
        role_id: int | None,
        when: str | None,
        dm_subscribers: bool,
    ) -> None:
        super().__init__()
        self.bot = bot
        self.channel_id = channel_id
        self.role_id = role_id
        self.when = when
        self.dm_subscribers = dm_subscribers

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        db = self.bot.db
        guild_id = interaction.guild_id
        draft = await announcements.draft(
            db,
            guild_id,
            interaction.user.id,
            self.bot.clock.now(),
            title=self.heading.value,
            body=self.message.value,
            link=self.link.value,
            channel_id=self.channel_id,
            role_id=self.role_id,
            when=self.when,
            dm_subscribers=self.dm_subscribers,
        )
        settings = await guild_settings.get(db, guild_id)
        dms = None
        if draft.dm_subscribers:
            dms = len(await subscriptions.subscribers(db, guild_id, announcements=True))
        await ui.reply(
            interaction,
            "**Preview**: this is what members will see. Nothing is sent until you press Send.",
            embeds=[announcements.embed(draft), preview_embed(draft, settings.timezone, dms)],
            view=preview_view(draft),
            ephemeral=True,
        )


def preview_embed(draft: Announcement, zone: str, dms: int | None) -> dict:
    """Where, whom it pings, when, and how many DMs: what the author confirms."""
    return embed(
        f"Announcement #{draft.id}: before you send",
        fields=[
            ("Channel", f"<#{draft.channel_id}>", True),
            ("Pings", f"<@&{draft.role_id}>" if draft.role_id else "No one", True),
            ("When", _when_text(draft, zone), False),
            (
                "DMs",
                (
                    f"{render.count(dms, 'subscriber', 'subscribers')} of announcements"
                    if dms is not None
                    else "None"
                ),
                True,
            ),
        ],
        colour=Colour.WARNING,
    )


class SendButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"announce:send:(?P<id>\d+)",
):
    """Queue the draft (author only)."""

    def __init__(self, announcement_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Send",
                style=discord.ButtonStyle.success,
                custom_id=f"announce:send:{announcement_id}",
            )
        )
        self.announcement_id = announcement_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> SendButton:
        return cls(int(match["id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        guild = interaction.guild
        done, dms = await announcements.send(
            bot.db,
            interaction.guild_id,
            self.announcement_id,
            interaction.user.id,
            bot.clock.now(),
            guild_name=guild.name if guild else None,
        )
        settings = await guild_settings.get(bot.db, interaction.guild_id)
        if done.scheduled_for:
            head = (
                f"Scheduled: announcement #{done.id} will be posted in <#{done.channel_id}> "
                f"at {timeparse.echo(done.scheduled_for, settings.timezone)}."
            )
        else:
            head = f"Sent: announcement #{done.id} is on its way to <#{done.channel_id}>."
        if done.dm_subscribers and done.scheduled_for:
            head += (
                " Members subscribed then will get it by DM "
                f"({render.count(dms, 'member is', 'members are')} now)."
            )
        elif done.dm_subscribers:
            head += f" {render.count(dms, 'subscriber', 'subscribers')} will get it by DM."
        head += f" `/announce status id:{done.id}` shows the delivery."
        await ui.update(interaction, head, embeds=[announcements.embed(done)], view=None)


class DiscardButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"announce:discard:(?P<id>\d+)",
):
    """Drop the draft (author only)."""

    def __init__(self, announcement_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel",
                style=discord.ButtonStyle.secondary,
                custom_id=f"announce:discard:{announcement_id}",
            )
        )
        self.announcement_id = announcement_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> DiscardButton:
        return cls(int(match["id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        await announcements.discard(
            bot.db,
            interaction.guild_id,
            self.announcement_id,
            interaction.user.id,
            bot.clock.now(),
        )
        await ui.update(interaction, "Cancelled: nothing was sent.", embeds=[], view=None)


def preview_view(draft: Announcement) -> discord.ui.View:
    """Send / Cancel for a draft."""
    view = ui.View(owner_id=draft.author_id, timeout=None)
    view.add_item(SendButton(draft.id))
    view.add_item(DiscardButton(draft.id))
    return view


class Announce(commands.Cog):
    """Announcements for organizers."""

    announce = app_commands.Group(
        name="announce",
        description="Broadcast announcements and follow their delivery (organizers)",
        default_permissions=HIDDEN_BEHIND[Access.ORGANIZER],
        guild_only=True,
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    @announce.command(name="send", description="Write an announcement, preview it, send it")
    @app_commands.describe(
        channel="Where to post it (default: the announcements channel)",
        role="A role to ping (default: no one)",
        when="Send later, in the server's time zone: 2024-07-13 12:00, tomorrow 9am",
        dm_subscribers="Also DM the members subscribed to announcements",
    )
    @requires(Access.ORGANIZER)
    async def send(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        when: app_commands.Range[str, 1, 100] | None = None,
        dm_subscribers: bool = False,
    ) -> None:
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        channel_id = channel.id if channel else settings.require("announcements_channel_id")
        if role is not None and role.is_default():
            raise UserError(
                "An announcement can't ping @everyone: pick a role, or leave `role` empty to "
                "ping no one."
            )
        if when:
            # Refuse a bad time now, before the organizer types the whole message.
            timeparse.parse_local_time(when, settings.timezone, self.bot.clock.now())
        await _check_channel(interaction, channel_id)
        await ui.open_form(
            interaction,
            AnnounceModal(
                self.bot,
                channel_id=channel_id,
                role_id=role.id if role else None,
                when=when,
                dm_subscribers=dm_subscribers,
            ),
        )

    @announce.command(name="list", description="Scheduled and recent announcements, with counts")
    @requires(Access.ORGANIZER)
    async def list_(self, interaction: discord.Interaction) -> None:
        scheduled, recent = await announcements.listing(
            self.bot.db, interaction.guild_id, self.bot.clock.now()
        )
        fields = []
        if scheduled:
            lines = [
                f"**#{a.id}** {truncate(a.title, 60)} → <#{a.channel_id}> "
                f"{timeparse.discord_timestamp(a.scheduled_for, 'f')} "  # type: ignore[arg-type]
                f"({timeparse.discord_timestamp(a.scheduled_for, 'R')})"  # type: ignore[arg-type]
                for a, _ in scheduled
            ]
            fields.append(("Scheduled", "\n".join(lines), False))
        if recent:
            lines = [
                f"**#{a.id}** {truncate(a.title, 60)} · "
                f"{timeparse.discord_timestamp(_shown_time(a), 'f')}"
                f" · {'cancelled · ' if a.state == 'cancelled' else ''}{_counts_line(c)}"
                for a, c in recent
            ]
            fields.append(("Recent", "\n".join(lines), False))
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    "Announcements",
                    None if fields else "No announcements yet: `/announce send` writes one.",
                    fields=fields,
                    footer="/announce status id: for the details · /announce cancel id: to stop",
                    colour=Colour.INFO,
                )
            ],
            ephemeral=True,
        )

    @announce.command(name="cancel", description="Stop an announcement that is not sent yet")
    @app_commands.describe(id="The announcement's number, from /announce list")
    @requires(Access.ORGANIZER)
    async def cancel(
        self,
        interaction: discord.Interaction,
        id: app_commands.Range[int, 1],
    ) -> None:
        stopped = await announcements.cancel(
            self.bot.db, interaction.guild_id, id, interaction.user.id, self.bot.clock.now()
        )
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    f"Announcement #{id} cancelled",
                    f"{render.count(stopped, 'delivery', 'deliveries')} stopped; "
                    "anything already posted stays.",
                    colour=Colour.SUCCESS,
                )
            ],
            ephemeral=True,
        )

    @announce.command(name="status", description="How an announcement's delivery went")
    @app_commands.describe(id="The announcement's number, from /announce list")
    @requires(Access.ORGANIZER)
    async def status(
        self,
        interaction: discord.Interaction,
        id: app_commands.Range[int, 1],
    ) -> None:
        found = await announcements.status(self.bot.db, interaction.guild_id, id)
        a = found.announcement
        settings = await guild_settings.get(self.bot.db, interaction.guild_id)
        fields = [
            (STATE_WORDS[state], str(found.counts[state]), True)
            for state in ("sent", "pending", "skipped", "failed", "cancelled")
        ]
        why = [
            f"{state} {n}: {_reason_text(reason)}"
            for state, reason, n in found.reasons
            if state in ("skipped", "failed", "pending")
        ]
        if why:
            fields.append(("Why", "\n".join(why), False))
        when = (
            timeparse.echo(a.scheduled_for, settings.timezone)
            if a.scheduled_for
            else timeparse.discord_timestamp(a.queued_at or a.created_at, "f")
        )
        description = f"To <#{a.channel_id}> · {when}"
        if a.dm_subscribers and a.scheduled_for and a.scheduled_for > self.bot.clock.now():
            description += " · DMs to the subscribers of that time"
        elif a.dm_subscribers:
            description += f" · {render.count(found.subscribers, 'DM', 'DMs')} to subscribers"
        if a.state == "draft":
            description += "\nStill a draft: press Send on its preview."
        elif a.state == "cancelled":
            description += "\nCancelled."
        await ui.reply(
            interaction,
            embeds=[embed(f"#{a.id} {a.title}", description, fields=fields, colour=Colour.INFO)],
            ephemeral=True,
        )

    @cancel.autocomplete("id")
    @status.autocomplete("id")
    async def _id_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        scheduled, recent = await announcements.listing(
            self.bot.db, interaction.guild_id, self.bot.clock.now(), limit=25
        )
        found = [a for a, _ in scheduled + recent if current.strip() in f"{a.id} {a.title}"]
        return [
            app_commands.Choice(name=truncate(f"#{a.id} {a.title}", 100), value=a.id)
            for a in found[:25]
        ]


async def setup(bot: Rankfile) -> None:
    """Load the cog and the preview buttons (persistent across restarts)."""
    bot.add_dynamic_items(SendButton, DiscardButton)
    await bot.add_cog(Announce(bot))
