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

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ShowEntryButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ShowEntryButton)

    @app_commands.command(name="faq", description="Find the answer to a question in the FAQ")
    @app_commands.describe(
        question="Your question: pick one as you type, or write your own",
        private="True: only you see the answer",
    )
    @app_commands.guild_only()
    async def faq_command(
        self, interaction: discord.Interaction, question: str, private: bool = False
    ) -> None:
        guild_id = interaction.guild_id or 0
        match = await faq.best(self.bot.db, guild_id, question)
        if match is None:
            close = await faq.search(
                self.bot.db, guild_id, question, limit=3, min_score=faq.SUGGEST_THRESHOLD
            )
            shown = embed(
                "No confident answer in the FAQ",
                "I couldn't find an answer to that in the FAQ, and I'd rather say so than guess. "
                "Ask the bargaining committee with the button below or `/ask committee`"
                + (", or look at these close questions below." if close else "."),
                fields=[(questions.ASKED_FIELD, truncate(question.strip() or "—", 1000), False)],
                colour=Colour.WARNING,
            )
            view = answer_view([m.entry for m in close])
            await ui.reply(interaction, embeds=[shown], view=view, ephemeral=True)
            return
        related = await faq.related(self.bot.db, guild_id, match.entry)
        await ui.reply(
            interaction,
            embeds=[entry_embed(match.entry)],
            view=answer_view(related),
            ephemeral=private,
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
        await interaction.response.send_modal(EntryModal())

    @faqs.command(name="edit", description="Edit an FAQ entry")
    @app_commands.describe(entry="The entry to edit (pick as you type)")
    @app_commands.autocomplete(entry=_entry_choices)
    @requires(Access.ORGANIZER)
    async def edit(self, interaction: discord.Interaction, entry: str) -> None:
        found = await faq.find_entry(self.bot.db, interaction.guild_id or 0, entry)
        await interaction.response.send_modal(EntryModal(found))

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


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Faq(bot))
