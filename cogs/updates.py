"""/update (organizers: post, edit, retract, topics, summary, cascade) and /updates (members:
latest, list, show, search, changes); the "Post a no-news update" button of the tracker's
silence nudges, which opens the update form."""

from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands

from bot import tracker, updates
from bot.core import guild_settings, render, units
from bot.core.errors import Conflict, UserError
from bot.core.render import Colour, Limits, embed, truncate
from bot.glue import choices, permissions, ui
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires
from bot.updates import cascade, summaries


class UpdateForm(ui.Modal):
    """Title, text and source link of an update (new or edited)."""

    def __init__(
        self,
        cog: Updates,
        opened_by: int,
        *,
        topics: tuple[str, ...] = (),
        unit_list: tuple[units.Unit, ...] = (),
        editing: updates.Update | None = None,
        prefill: tuple[str, str] | None = None,
        kind: str = "update",
        public: bool = False,
    ) -> None:
        # One custom_id per opening, so two organizers' forms never cross.
        what = f"edit:{editing.id}" if editing else "post"
        title = f"Edit update #{editing.id}" if editing else "New negotiation update"
        if kind == "no_news":
            what, title = "nonews", "No-news update"
        super().__init__(title=title, custom_id=f"update:{what}:{opened_by}", timeout=1800)
        self.cog, self.topics, self.unit_list, self.editing = cog, topics, unit_list, editing
        self.kind, self.public = kind, public
        self.headline = discord.ui.TextInput(
            label="Title",
            max_length=updates.TITLE_MAX,
            placeholder="Wages: what we proposed today",
            default=editing.title if editing else (prefill[0] if prefill else None),
        )
        self.body = discord.ui.TextInput(
            label="Text",
            style=discord.TextStyle.paragraph,
            max_length=updates.BODY_MAX,
            default=editing.body if editing else (prefill[1] if prefill else None),
        )
        self.source = discord.ui.TextInput(
            label="Source link (optional)",
            required=False,
            max_length=updates.URL_MAX,
            placeholder="https://...",
            default=editing.source_url if editing else None,
        )
        for item in (self.headline, self.body, self.source):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        db, now = self.cog.bot.db, self.cog.bot.clock.now()
        if self.editing is not None:
            await permissions.ensure(interaction, Access.ORGANIZER)
            edited = await updates.edit(
                db,
                interaction.guild_id,
                self.editing.id,
                interaction.user.id,
                now,
                title=self.headline.value,
                body=self.body.value,
                source_url=self.source.value,
            )
            await ui.reply(
                interaction,
                f"Update #{edited.id} edited: the posted messages are being updated "
                "and marked edited.",
                embeds=[updates.update_embed(edited)],
                ephemeral=True,
            )
            return
        title, body, url = updates.clean_text(
            self.headline.value, self.body.value, self.source.value
        )
        draft = updates.Draft(
            title, body, url, self.topics, self.unit_list, self.kind, public=self.public
        )
        readers = await updates.audience(
            db, interaction.guild_id, draft.topics, [u.id for u in draft.units]
        )
        preview = updates.Update(
            0, interaction.guild_id, self.kind, title, body, url, interaction.user.id, now,
            None, None, None, None, None, None, draft.topics,
            tuple(u.id for u in draft.units), tuple(u.code for u in draft.units),
        )  # fmt: skip
        shown = updates.update_embed(preview)
        shown["title"] = truncate("Preview · " + title, Limits.TITLE)
        await ui.reply(
            interaction,
            "This goes to the updates channel and by DM to "
            f"**{render.count(len(readers), 'subscriber', 'subscribers')}**"
            + (", and on the public site" if self.public else "")
            + ". Publish it?",
            embeds=[shown],
            view=PublishView(self.cog, draft, interaction.user.id),
            ephemeral=True,
        )


class PublishView(ui.View):
    """Publish or cancel a previewed update (only its author may press)."""

    def __init__(self, cog: Updates, draft: updates.Draft, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=1800)
        self.cog, self.draft = cog, draft

    @discord.ui.button(label="Publish", style=discord.ButtonStyle.success)
    async def publish(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await permissions.ensure(interaction, Access.ORGANIZER)
        self.stop()
        update = await updates.publish(
            self.cog.bot.db,
            interaction.guild_id,
            interaction.user.id,
            self.draft,
            self.cog.bot.clock.now(),
        )
        await ui.update(
            interaction,
            f"Published update #{update.id}: it is being posted in the updates channel "
            "and sent to its subscribers.",
            embeds=[updates.update_embed(update)],
            view=None,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await ui.update(interaction, "Cancelled: nothing was posted.", view=None)


class PagerView(ui.View):
    """Previous / Next through `/updates list` (only the member who asked may press)."""

    def __init__(
        self, cog: Updates, owner_id: int, result: updates.Page, filters: dict, label: str | None
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=900)
        self.cog, self.filters, self.label, self.number = cog, filters, label, result.page
        self._refresh(result)

    def _refresh(self, result: updates.Page) -> None:
        self.number = result.page
        self.previous.disabled = result.page <= 0
        self.next.disabled = result.page >= result.pages - 1

    async def _go(self, interaction: discord.Interaction, step: int) -> None:
        result = await updates.page(
            self.cog.bot.db, interaction.guild_id, number=self.number + step, **self.filters
        )
        self._refresh(result)
        await ui.update(interaction, embeds=[updates.page_embed(result, self.label)], view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._go(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._go(interaction, 1)


class ChangesView(ui.View):
    """A select menu of a summary's articles (parts when long); opens one side by side."""

    def __init__(self, update: updates.Update, summary: summaries.Summary, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=1800)
        self.update, self.summary = update, summary
        self.choices = summaries.pages(summary)[: Limits.CHOICES]
        self.pick = discord.ui.Select(
            custom_id="updates:changes",
            placeholder="Open an article",
            options=[
                discord.SelectOption(label=label, value=str(n))
                for n, (label, _, _) in enumerate(self.choices)
            ],
        )
        self.pick.callback = self._open
        self.add_item(self.pick)

    async def _open(self, interaction: discord.Interaction) -> None:
        _, index, part = self.choices[int(self.pick.values[0])]
        shown = summaries.article_parts(self.summary, index)[part]
        await ui.update(interaction, embeds=[shown], view=self)


class ReachedForm(ui.Modal):
    """How many coworkers a volunteer reached (a number; no names)."""

    count: discord.ui.TextInput = discord.ui.TextInput(
        label="How many coworkers did you reach?", placeholder="5", max_length=6
    )

    def __init__(self, cascade_id: int) -> None:
        super().__init__(title="Reached some coworkers", custom_id=f"cascade:reached:{cascade_id}")
        self.cascade_id = cascade_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        guild_id = await cascade.guild_of(bot.db, self.cascade_id)
        await permissions.ensure_member(interaction, guild_id, requires="cat")
        count = await cascade.report(
            bot.db, self.cascade_id, interaction.user.id, self.count.value, bot.clock.now()
        )
        await ui.reply(
            interaction,
            f"Thank you: {render.count(count, 'coworker', 'coworkers')} reached. Press again later "
            "to update your number.",
            ephemeral=True,
        )


class ReachedButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:cas:reached:(?P<id>\d+)",
):
    """ "Reached some" on a cascade DM: asks how many coworkers the volunteer reached."""

    def __init__(self, cascade_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Reached some", custom_id=cascade.REACHED_ID.format(id=cascade_id)
            )
        )
        self.cascade_id = cascade_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ReachedButton:
        return cls(int(match["id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        guild_id = await cascade.guild_of(bot.db, self.cascade_id)
        await permissions.ensure_member(interaction, guild_id, requires="cat")
        await ui.open_form(interaction, ReachedForm(self.cascade_id))


class NoNewsButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:tr:nonews:(?P<unit>\d+)",
):
    """ "Post a no-news update" on a tracker silence nudge: opens the update form, prefilled."""

    def __init__(self, unit_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Post a no-news update",
                style=discord.ButtonStyle.primary,
                custom_id=tracker.NO_NEWS_ID.format(unit_id=unit_id),
            )
        )
        self.unit_id = unit_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> NoNewsButton:
        return cls(int(match["unit"]))

    async def act(self, interaction: discord.Interaction) -> None:
        await permissions.ensure(interaction, Access.ORGANIZER)
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        guild = interaction.guild_id or 0
        unit = await units.get(bot.db, guild, self.unit_id)
        zone = (await guild_settings.get(bot.db, guild)).timezone
        standing, _ = await tracker.standing(bot.db, guild, unit.code, bot.clock.now(), zone)
        form = UpdateForm(
            bot.get_cog("Updates"),  # type: ignore[arg-type]
            interaction.user.id,
            unit_list=(unit,),
            prefill=tracker.no_news_text(unit, standing.last_heard, zone),
            kind="no_news",
        )
        await ui.open_form(interaction, form)


class CascadeView(ui.View):
    """Send or cancel a previewed cascade (only its author may press)."""

    def __init__(self, cog: Updates, update_id: int, points: str, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=1800)
        self.cog, self.update_id, self.points = cog, update_id, points

    @discord.ui.button(label="Send the cascade", style=discord.ButtonStyle.success)
    async def send(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await permissions.ensure(interaction, Access.ORGANIZER)
        self.stop()
        started, counts = await cascade.start(
            self.cog.bot.db, interaction.guild_id, self.update_id, self.points,
            interaction.user.id, self.cog.bot.clock.now(),
        )  # fmt: skip
        await ui.update(
            interaction,
            f"Cascade #{started.id} sent to "
            f"{render.count(sum(counts.values()), 'volunteer', 'volunteers')}. "
            f"`/update cascade-status id: {started.id}` follows it.",
            view=None,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await ui.update(interaction, "Cancelled: no volunteer was messaged.", view=None)


class Updates(commands.Cog):
    """Negotiation updates."""

    update = app_commands.Group(
        name="update",
        description="Post and manage negotiation updates (organizers)",
        default_permissions=HIDDEN_BEHIND[Access.ORGANIZER],
        guild_only=True,
    )
    updates_group = app_commands.Group(
        name="updates", description="Read negotiation updates", guild_only=True
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReachedButton, NoNewsButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReachedButton, NoNewsButton)

    # -- organizers ----------------------------------------------------------------------

    @update.command(name="post", description="Write a negotiation update, preview it, publish it")
    @app_commands.describe(
        topics="Topics, separated by commas (wages, AI, ...)",
        units="Bargaining units it concerns, separated by commas (600, 700, ...)",
        public="Also publish it on the public site (default: Discord only)",
    )
    @app_commands.autocomplete(topics=choices.topic_list, units=choices.unit_list)
    @requires(Access.ORGANIZER)
    async def post(
        self,
        interaction: discord.Interaction,
        topics: str | None = None,
        units: str | None = None,
        public: bool = False,
    ) -> None:
        # Check the options before the form, so nothing typed is lost to a wrong topic.
        found_topics = await updates.resolve_topics(self.bot.db, interaction.guild_id, topics)
        found_units = await updates.resolve_units(self.bot.db, interaction.guild_id, units)
        await ui.open_form(
            interaction,
            UpdateForm(
                self,
                interaction.user.id,
                topics=found_topics,
                unit_list=found_units,
                public=public,
            ),
        )

    @update.command(name="edit", description="Correct a published update (marked edited)")
    @app_commands.describe(id="The update's number, as in #12")
    @requires(Access.ORGANIZER)
    async def edit(self, interaction: discord.Interaction, id: int) -> None:
        current = await updates.get(self.bot.db, interaction.guild_id, id)
        if current.retracted:
            raise Conflict(
                f"Update #{id} was retracted: a retracted update can't be edited. "
                "Post a new update instead."
            )
        await ui.open_form(interaction, UpdateForm(self, interaction.user.id, editing=current))

    @update.command(name="retract", description="Retract an update: its posts show a retraction")
    @app_commands.describe(
        id="The update's number, as in #12", reason="Shown to members in place of the update"
    )
    @requires(Access.ORGANIZER)
    async def retract(
        self,
        interaction: discord.Interaction,
        id: int,
        reason: app_commands.Range[str, 1, updates.NOTE_MAX] | None = None,
    ) -> None:
        update = await updates.retract(
            self.bot.db,
            interaction.guild_id,
            id,
            interaction.user.id,
            self.bot.clock.now(),
            note=reason,
        )
        await ui.reply(
            interaction,
            f"Update #{id} retracted: every posted copy is being replaced by this note.",
            embeds=[updates.retraction_embed(update)],
            ephemeral=True,
        )

    @update.command(name="topics", description="Show, add or remove the topics updates use")
    @app_commands.describe(add="A new topic", remove="A topic to take off the list")
    @app_commands.autocomplete(remove=choices.topic)
    @requires(Access.ORGANIZER)
    async def topics_command(
        self,
        interaction: discord.Interaction,
        add: app_commands.Range[str, 1, updates.TOPIC_MAX] | None = None,
        remove: str | None = None,
    ) -> None:
        db, now, guild = self.bot.db, self.bot.clock.now(), interaction.guild_id
        notes = []
        if add:
            notes.append(
                f"Added **{await updates.add_topic(db, guild, add, interaction.user.id, now)}**."
            )
        if remove:
            name = await updates.remove_topic(db, guild, remove, interaction.user.id, now)
            notes.append(f"Removed **{name}** (past updates keep it).")
        names = await updates.topics(db, guild, now)
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    "Update topics",
                    "\n".join([*notes, "", ", ".join(names) or "No topics."]).strip(),
                    colour=Colour.INFO,
                )
            ],
            ephemeral=True,
        )

    # -- members -------------------------------------------------------------------------

    @updates_group.command(name="latest", description="The newest negotiation update, in full")
    async def latest(self, interaction: discord.Interaction) -> None:
        update = await updates.latest(self.bot.db, interaction.guild_id)
        if update is None:
            await ui.reply(interaction, "No negotiation updates yet.", ephemeral=True)
            return
        await ui.reply(interaction, embeds=[updates.update_embed(update)], ephemeral=True)

    @updates_group.command(name="list", description="Updates, newest first, by topic or unit")
    @app_commands.describe(topic="Only updates on this topic", unit="Only updates on this unit")
    @app_commands.autocomplete(topic=choices.topic, unit=choices.unit)
    async def list_updates(
        self, interaction: discord.Interaction, topic: str | None = None, unit: str | None = None
    ) -> None:
        db, guild = self.bot.db, interaction.guild_id
        filters: dict = {"topic": None, "unit_id": None}
        labels = []
        if topic:
            filters["topic"] = await updates.find_topic(db, guild, topic)
            labels.append(filters["topic"])
        if unit:
            found = await units.find(db, guild, unit)
            filters["unit_id"] = found.id
            labels.append(found.code)
        result = await updates.page(db, guild, **filters)
        label = ", ".join(labels) or None
        view = PagerView(self, interaction.user.id, result, filters, label)
        await ui.reply(
            interaction,
            embeds=[updates.page_embed(result, label)],
            view=view if result.pages > 1 else None,
            ephemeral=True,
        )

    @update.command(name="summary", description="Attach a structured summary of changes (YAML)")
    @app_commands.describe(
        id="The update's number (a tentative agreement or MOA update)",
        file="A YAML file: items with article, kind, current, new, note",
    )
    @requires(Access.ORGANIZER)
    async def summary(
        self,
        interaction: discord.Interaction,
        id: int,
        file: discord.Attachment,
    ) -> None:
        if file.size > summaries.FILE_MAX:
            raise UserError(f"The file is too big: keep it under {summaries.FILE_MAX:,} bytes.")
        try:
            text = (await file.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise UserError("The file is not text: save it as UTF-8 YAML (.yaml).") from None
        found = await summaries.import_summary(
            self.bot.db, interaction.guild_id, id, text, interaction.user.id, self.bot.clock.now()
        )
        counts = found.counts()
        await ui.reply(
            interaction,
            f"Summary saved on update #{id}: {len(found.items)} articles "
            f"({counts['added']} added, {counts['changed']} changed, {counts['removed']} "
            f"removed). Members read it with `/updates changes id: {id}`.",
            ephemeral=True,
        )

    @update.command(name="cascade", description="Send an update through the CAT volunteers")
    @app_commands.describe(
        id="The update's number", talking_points="What volunteers say (up to 500 characters)"
    )
    @requires(Access.ORGANIZER)
    async def cascade_command(
        self,
        interaction: discord.Interaction,
        id: int,
        talking_points: app_commands.Range[str, 1, cascade.TALKING_MAX],
    ) -> None:
        points = cascade.clean_points(talking_points)
        counts = await cascade.audience(self.bot.db, interaction.guild_id, id)
        lines = [
            f"**{code}**: {render.count(n, 'volunteer', 'volunteers')}"
            + (" (none: nobody in this unit will be messaged)" if n == 0 else "")
            for code, n in counts.items()
        ]
        await ui.reply(
            interaction,
            f"Update #{id} goes by DM to {sum(counts.values())} active CAT volunteers, with your "
            "talking points and a Reached some button:\n" + "\n".join(lines),
            view=CascadeView(self, id, points, interaction.user.id),
            ephemeral=True,
        )

    @update.command(
        name="cascade-status", description="A cascade's confirmations and reach (coordinators)"
    )
    @app_commands.describe(id="The cascade's number")
    @requires(Access.COORDINATOR)
    async def cascade_status(self, interaction: discord.Interaction, id: int) -> None:
        found, figures = await cascade.status(
            self.bot.db, interaction.guild_id, id, self.bot.clock.now()
        )
        await ui.reply(interaction, embeds=[cascade.status_embed(found, figures)], ephemeral=True)

    @updates_group.command(name="changes", description="What an agreement changes, side by side")
    @app_commands.describe(
        id="The update's number, as in #12", format="Read here (default) or as a Markdown file"
    )
    @app_commands.choices(
        format=[
            app_commands.Choice(name="here", value="here"),
            app_commands.Choice(name="file", value="file"),
        ]
    )
    async def changes(
        self,
        interaction: discord.Interaction,
        id: int,
        format: str = "here",
    ) -> None:
        update = await updates.get(self.bot.db, interaction.guild_id, id)
        summary = await summaries.get(self.bot.db, interaction.guild_id, id)
        if format == "file":
            document = summaries.markdown(update, summary).encode("utf-8")
            await ui.reply(
                interaction,
                f"The summary of update #{id}, as a Markdown file "
                "(a summary, not contract language).",
                files=[(f"update-{id}-changes.md", document)],
                ephemeral=True,
            )
            return
        await ui.reply(
            interaction,
            embeds=[summaries.overview_embed(update, summary)],
            view=ChangesView(update, summary, interaction.user.id),
            ephemeral=True,
        )

    @updates_group.command(name="show", description="One update, in full")
    @app_commands.describe(id="The update's number, as in #12")
    async def show(self, interaction: discord.Interaction, id: int) -> None:
        update = await updates.get(self.bot.db, interaction.guild_id, id)
        await ui.reply(interaction, embeds=[updates.update_embed(update)], ephemeral=True)

    @updates_group.command(name="search", description="Search the updates' words")
    @app_commands.describe(query="Words to look for, such as: health plan")
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, updates.QUERY_MAX],
    ) -> None:
        hits = await updates.search(self.bot.db, interaction.guild_id, query)
        await ui.reply(interaction, embeds=[updates.search_embed(query, hits)], ephemeral=True)


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Updates(bot))
