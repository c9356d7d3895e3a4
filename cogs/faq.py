"""/faq for members (autocomplete as they type) and /faqs add|edit|remove for organizers.

Discord cannot have `/faq question:` as a command and `/faq add` as a group at once, so the
member command is top-level `/faq` and the organizers' commands are the `/faqs` group, hidden
from members with default_permissions and checked at run time.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import faq, questions
from bot.core.render import Colour, Limits, embed, truncate
from bot.core.timeparse import discord_timestamp
from bot.glue import ui
from bot.glue.permissions import HIDDEN_BEHIND, Access, ensure, requires

if TYPE_CHECKING:
    from bot.glue.app import Rankfile


def _bot(interaction: discord.Interaction) -> Rankfile:
    return interaction.client  # type: ignore[return-value]


def entry_embed(entry: faq.Entry) -> dict:
    """One FAQ answer: question, answer, source link, last updated."""
    fields = []
    if entry.source_url:
        fields.append(("Source", entry.source_url, False))
    fields.append(("Last updated", discord_timestamp(entry.updated_at, "D"), True))
    return embed(
        entry.question,
        entry.answer,
        url=entry.source_url,
        fields=fields,
        colour=Colour.INFO,
        footer=f"FAQ #{entry.id}",
    )


class ShowEntryButton(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=r"rf:faq:show:(?P<id>\d+)"
):
    """A related question: shows its answer to whoever presses it."""

    def __init__(self, entry_id: int, label: str = "Related question") -> None:
        super().__init__(
            discord.ui.Button(
                label=truncate(label, Limits.BUTTON_LABEL),
                style=discord.ButtonStyle.secondary,
                custom_id=f"rf:faq:show:{entry_id}",
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ShowEntryButton:
        return cls(int(match["id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        entry = await faq.get(_bot(interaction).db, interaction.guild_id or 0, self.entry_id)
        await ui.reply(interaction, embeds=[entry_embed(entry)], ephemeral=True)


def answer_view(related: list[faq.Entry]) -> discord.ui.View:
    """Up to three related questions, then the ask-the-committee buttons (cogs/ask.py handles
    those)."""
    view = ui.View(timeout=None)
    for other in related[:3]:
        view.add_item(ShowEntryButton(other.id, other.question))
    for anonymous in (False, True):
        view.add_item(
            ui.RoutedButton(
                label=questions.ASK_LABELS[anonymous],
                style=discord.ButtonStyle.primary,
                custom_id=questions.ASK_ID.format(anonymous=int(anonymous)),
            )
        )
    return view


def not_sure_embed(question: str, found: faq.Answer) -> dict:
    """ "Not sure": the closest matches as buttons below, and the committee."""
    if found.closest:
        title = "Not sure: is it one of these?"
        text = (
            "I'm not sure the FAQ answers that, and I'd rather say so than guess. Is it one of "
            "the closest questions below? If not, ask the bargaining committee with the button "
            "or `/ask committee`."
        )
    else:
        title = "No confident answer in the FAQ"
        text = (
            "I couldn't find an answer to that in the FAQ, and I'd rather say so than guess. "
            "Ask the bargaining committee with the button below or `/ask committee`."
        )
    return embed(
        title,
        text,
        fields=[(questions.ASKED_FIELD, truncate(question.strip() or "—", 1000), False)],
        colour=Colour.WARNING,
    )


def not_sure_view(found: faq.Answer) -> discord.ui.View:
    """The closest matches (each shows its answer), then the ask-the-committee buttons."""
    return answer_view([m.entry for m in found.closest])


class EntryModal(ui.Modal, title="FAQ entry"):
    """Add or edit an entry: question, answer, aliases, tags, source link."""

    def __init__(self, entry: faq.Entry | None = None) -> None:
        super().__init__(title=f"Edit FAQ #{entry.id}" if entry else "Add an FAQ entry")
        self.entry_id = entry.id if entry else None
        self.question = discord.ui.TextInput(
            label="Question", max_length=faq.QUESTION_MAX, default=entry.question if entry else None
        )
        self.answer = discord.ui.TextInput(
            label="Answer",
            style=discord.TextStyle.paragraph,
            max_length=faq.ANSWER_MAX,
            default=entry.answer if entry else None,
        )
        self.aliases = discord.ui.TextInput(
            label="Other ways to ask it (one per line)",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=faq.ALIASES_MAX,
            default="\n".join(entry.aliases) if entry and entry.aliases else None,
        )
        self.tags = discord.ui.TextInput(
            label="Tags (separated by ;)",
            required=False,
            max_length=200,
            default="; ".join(entry.tags) if entry and entry.tags else None,
        )
        self.source = discord.ui.TextInput(
            label="Source link (optional)",
            required=False,
            max_length=faq.URL_MAX,
            default=entry.source_url if entry and entry.source_url else None,
        )
        for item in (self.question, self.answer, self.aliases, self.tags, self.source):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot = _bot(interaction)
        guild_id: int = interaction.guild_id  # type: ignore[assignment]
        fields = {
            "aliases": faq.split_list(self.aliases.value),
            "tags": faq.split_list(self.tags.value),
            "source_url": self.source.value or None,
        }
        if self.entry_id is None:
            entry = await faq.add(
                bot.db,
                guild_id,
                interaction.user.id,
                self.question.value,
                self.answer.value,
                bot.clock.now(),
                **fields,
            )
            note = f"Added FAQ #{entry.id}."
        else:
            entry = await faq.edit(
                bot.db,
                guild_id,
                interaction.user.id,
                self.entry_id,
                bot.clock.now(),
                question=self.question.value,
                answer=self.answer.value,
                **fields,
            )
            note = f"Saved FAQ #{entry.id}."
        await ui.reply(interaction, note, embeds=[entry_embed(entry)], ephemeral=True)


# -- members' words: what the FAQ could not answer, and the server's synonyms ---------------

GAPS_SHOWN = 5


class GapEntryModal(EntryModal):
    """A new entry for an unanswered question: its phrasings come along as aliases."""

    def __init__(self, gap: faq.Gap) -> None:
        super().__init__()
        self.miss_id = gap.id
        self.question.default = truncate(gap.text, faq.QUESTION_MAX)
        others = "\n".join(text for text, _ in gap.phrasings[1:])
        self.aliases.default = truncate(others, faq.ALIASES_MAX) or None

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot = _bot(interaction)
        entry, gap = await faq.add_entry(
            bot.db,
            interaction.guild_id or 0,
            interaction.user.id,
            self.miss_id,
            self.question.value,
            self.answer.value,
            bot.clock.now(),
            aliases=faq.split_list(self.aliases.value),
            tags=faq.split_list(self.tags.value),
            source_url=self.source.value or None,
        )
        note = f"Added FAQ #{entry.id}: the {gap.count} members who asked it that way get it now."
        await ui.reply(interaction, note, embeds=[entry_embed(entry)], ephemeral=True)


class GapAliasButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:faq:gap:alias:(?P<miss>\d+):(?P<entry>\d+)",
):
    """Organizers: the gap's phrasings become aliases of the entry it came closest to."""

    def __init__(self, miss_id: int, entry_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Add as alias to FAQ #{entry_id}",
                style=discord.ButtonStyle.primary,
                custom_id=f"rf:faq:gap:alias:{miss_id}:{entry_id}",
            )
        )
        self.miss_id, self.entry_id = miss_id, entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> GapAliasButton:
        return cls(int(match["miss"]), int(match["entry"]))

    async def act(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot = _bot(interaction)
        entry, gap = await faq.add_as_alias(
            bot.db,
            interaction.guild_id or 0,
            interaction.user.id,
            self.miss_id,
            self.entry_id,
            bot.clock.now(),
        )
        said = ", ".join(f"“{truncate(text, 80)}”" for text, _ in gap.phrasings[:3])
        await ui.reply(
            interaction,
            f"FAQ #{entry.id} now answers {said} ({gap.count} asked).",
            embeds=[entry_embed(entry)],
            ephemeral=True,
        )


class GapNewButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:faq:gap:new:(?P<miss>\d+)",
):
    """Organizers: write a new entry for the gap (its phrasings prefilled)."""

    def __init__(self, miss_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Write a new entry",
                style=discord.ButtonStyle.secondary,
                custom_id=f"rf:faq:gap:new:{miss_id}",
            )
        )
        self.miss_id = miss_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> GapNewButton:
        return cls(int(match["miss"]))

    async def act(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot = _bot(interaction)
        gap = await faq.gap(bot.db, interaction.guild_id or 0, self.miss_id, bot.clock.now())
        await ui.open_form(interaction, GapEntryModal(gap))


def gaps_embed(gaps: list[faq.Gap]) -> dict:
    """The most asked questions the FAQ had no confident answer for, grouped by meaning."""
    if not gaps:
        return embed(
            "No unanswered questions",
            "Every question members asked `/faq` in the last 90 days found a confident answer "
            "(or was answered since).",
            colour=Colour.SUCCESS,
        )
    fields = []
    for n, gap in enumerate(gaps, start=1):
        lines = [f"Asked {gap.count}×, last {discord_timestamp(gap.last_asked, 'R')}"]
        if len(gap.phrasings) > 1:
            also = "; ".join(f"“{truncate(text, 60)}”" for text, _ in gap.phrasings[1:4])
            lines.append(f"Also asked as: {also}")
        if gap.closest:
            lines.append(f"Closest: FAQ #{gap.closest.id} {truncate(gap.closest.question, 80)}")
        fields.append((f"{n}. {truncate(gap.text, 200)}", "\n".join(lines), False))
    return embed(
        "What members asked that the FAQ could not answer",
        "The last 90 days, most asked first; the same question in other words is grouped. "
        "Members' names are never kept with them.",
        fields=fields,
        colour=Colour.INFO,
    )


def gaps_view(gaps: list[faq.Gap]) -> discord.ui.View:
    """One row per gap: add it as an alias of the closest entry, or write a new entry."""
    view = ui.View(timeout=None)
    for row, gap in enumerate(gaps[:GAPS_SHOWN]):
        buttons: list[discord.ui.Item] = [GapNewButton(gap.id)]
        if gap.closest:
            buttons.insert(0, GapAliasButton(gap.id, gap.closest.id))
        for button in buttons:
            button.row = row
            view.add_item(button)
    return view


async def _entry_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for entries: questions as names, `#id` as values."""
    found = await faq.suggest(_bot(interaction).db, interaction.guild_id or 0, current)
    return [
        app_commands.Choice(
            name=truncate(f"#{e.id} {e.question}", Limits.CHOICE_NAME), value=f"#{e.id}"
        )
        for e in found[: Limits.CHOICES]
    ]


class Faq(commands.Cog):
    """The FAQ."""

    faqs = app_commands.Group(
        name="faqs",
        description="Manage the FAQ (organizers)",
        default_permissions=HIDDEN_BEHIND[Access.ORGANIZER],
        guild_only=True,
    )

    synonym = app_commands.Group(
        name="synonym", description="Teach the FAQ search members' own words", parent=faqs
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ShowEntryButton, GapAliasButton, GapNewButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ShowEntryButton, GapAliasButton, GapNewButton)

    @app_commands.command(name="faq", description="Find the answer to a question in the FAQ")
    @app_commands.describe(
        question="Your question: pick one as you type, or write your own",
        public="True: post the answer in the channel for everyone (only you see it otherwise)",
    )
    @app_commands.guild_only()
    async def faq_command(
        self, interaction: discord.Interaction, question: str, public: bool = False
    ) -> None:
        guild_id = interaction.guild_id or 0
        found = await faq.ask(self.bot.db, guild_id, question, self.bot.clock.now())
        if found.match is None:
            # Not sure: never one confident answer, always the committee (privately).
            await ui.reply(
                interaction,
                embeds=[not_sure_embed(question, found)],
                view=not_sure_view(found),
                ephemeral=True,
            )
            return
        related = await faq.related(self.bot.db, guild_id, found.match.entry)
        await ui.reply(
            interaction,
            embeds=[entry_embed(found.match.entry)],
            view=answer_view(related),
            ephemeral=not public,
        )

    @faq_command.autocomplete("question")
    async def _question_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = await faq.suggest(self.bot.db, interaction.guild_id or 0, current)
        choices = []
        for e in found[: Limits.CHOICES]:
            name = truncate(e.question, Limits.CHOICE_NAME)
            choices.append(app_commands.Choice(name=name, value=name))
        return choices

    @faqs.command(name="add", description="Add an FAQ entry")
    @requires(Access.ORGANIZER)
    async def add(self, interaction: discord.Interaction) -> None:
        await ui.open_form(interaction, EntryModal())

    @faqs.command(name="edit", description="Edit an FAQ entry")
    @app_commands.describe(entry="The entry to edit (pick as you type)")
    @app_commands.autocomplete(entry=_entry_choices)
    @requires(Access.ORGANIZER)
    async def edit(self, interaction: discord.Interaction, entry: str) -> None:
        found = await faq.find_entry(self.bot.db, interaction.guild_id or 0, entry)
        await ui.open_form(interaction, EntryModal(found))

    @faqs.command(name="remove", description="Remove an FAQ entry")
    @app_commands.describe(entry="The entry to remove (pick as you type)")
    @app_commands.autocomplete(entry=_entry_choices)
    @requires(Access.ORGANIZER)
    async def remove(self, interaction: discord.Interaction, entry: str) -> None:
        guild_id = interaction.guild_id or 0
        found = await faq.find_entry(self.bot.db, guild_id, entry)
        gone = await faq.remove(
            self.bot.db, guild_id, interaction.user.id, found.id, self.bot.clock.now()
        )
        await ui.reply(
            interaction,
            f"Removed FAQ #{gone.id}. It was:",
            embeds=[entry_embed(gone)],
            ephemeral=True,
        )

    # -- members' words: gaps and synonyms (organizers) --------------------------------------

    @faqs.command(name="gaps", description="What members asked that the FAQ could not answer")
    @requires(Access.ORGANIZER)
    async def gaps(self, interaction: discord.Interaction) -> None:
        found = await faq.gaps(
            self.bot.db, interaction.guild_id or 0, self.bot.clock.now(), limit=GAPS_SHOWN
        )
        await ui.reply(
            interaction, embeds=[gaps_embed(found)], view=gaps_view(found), ephemeral=True
        )

    @synonym.command(name="add", description="Members say this word where the FAQ says another")
    @app_commands.describe(
        word="The members' word or short phrase (e.g. crew)",
        means="The word the FAQ uses for it (e.g. members)",
    )
    @requires(Access.ORGANIZER)
    async def synonym_add(self, interaction: discord.Interaction, word: str, means: str) -> None:
        pair = await faq.add_synonym(
            self.bot.db,
            interaction.guild_id or 0,
            interaction.user.id,
            word,
            means,
            self.bot.clock.now(),
        )
        await ui.reply(
            interaction,
            f"The FAQ search now reads “{pair.term}” as “{pair.means}”, both ways.",
            ephemeral=True,
        )

    @synonym.command(name="remove", description="Forget one of this server's synonyms")
    @app_commands.describe(word="The members' word to forget")
    @requires(Access.ORGANIZER)
    async def synonym_remove(self, interaction: discord.Interaction, word: str) -> None:
        await faq.remove_synonym(
            self.bot.db, interaction.guild_id or 0, interaction.user.id, word, self.bot.clock.now()
        )
        await ui.reply(interaction, f"Forgot “{word.strip().lower()}”.", ephemeral=True)

    @synonym.command(name="list", description="This server's own synonyms for the FAQ search")
    @requires(Access.ORGANIZER)
    async def synonym_list(self, interaction: discord.Interaction) -> None:
        pairs = await faq.synonyms(self.bot.db, interaction.guild_id or 0)
        text = "\n".join(f"“{p.term}” → “{p.means}”" for p in pairs) or (
            "None yet: the shipped thesaurus already knows the usual words (studio and "
            "employer, deadline and expiry, ...). Add yours with `/faqs synonym add`."
        )
        await ui.reply(interaction, truncate(text, 1900), ephemeral=True)


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Faq(bot))
