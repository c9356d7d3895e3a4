"""/ask: members send questions to the bargaining committee; organizers answer from its channel.

The committee channel post is sent by the delivery engine; its buttons are DynamicItems whose
custom_id carries the question id, so they keep working after a restart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import faq, questions
from bot.core.render import Colour, embed, member_text, truncate
from bot.glue import ui
from bot.glue.permissions import Access, ensure

if TYPE_CHECKING:
    from bot.glue.app import Rankfile


def _bot(interaction: discord.Interaction) -> Rankfile:
    return interaction.client  # type: ignore[return-value]


def receipt(q: questions.Question) -> dict:
    """What the member sees after asking."""
    how = "anonymously: the committee does not see your name" if q.anonymous else "with your name"
    return embed(
        f"Question #{q.number} sent to the committee",
        f"> {truncate(member_text(q.text), 1000)}\n\nSent {how}. The answer will come to you "
        "by direct message; `/ask mine` shows your questions and their answers.",
        colour=Colour.SUCCESS,
    )


class AskModal(ui.Modal, title="Ask the bargaining committee"):
    """The question form opened from the buttons under /faq's answers."""

    text: discord.ui.TextInput = discord.ui.TextInput(
        label="Your question",
        style=discord.TextStyle.paragraph,
        max_length=questions.TEXT_MAX,
    )

    def __init__(self, anonymous: bool, prefill: str = "") -> None:
        super().__init__(title="Ask anonymously" if anonymous else "Ask the bargaining committee")
        self.anonymous = anonymous
        self.text.default = truncate(prefill, questions.TEXT_MAX) if prefill else None

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        q = await questions.ask(
            bot.db,
            interaction.guild_id,  # type: ignore[arg-type]
            interaction.user.id,
            self.text.value,
            self.anonymous,
            bot.clock.now(),
        )
        await ui.reply(interaction, embeds=[receipt(q)], ephemeral=True)


class AskButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:faq:ask:(?P<anon>[01])",
):
    """Under /faq's answers: opens the question form (named or anonymous), starting from what
    the member asked /faq."""

    def __init__(self, anonymous: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=questions.ASK_LABELS[anonymous],
                style=discord.ButtonStyle.primary,
                custom_id=questions.ASK_ID.format(anonymous=int(anonymous)),
            )
        )
        self.anonymous = anonymous

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> AskButton:
        return cls(match["anon"] == "1")

    async def act(self, interaction: discord.Interaction) -> None:
        prefill = ""
        for shown in interaction.message.embeds if interaction.message else ():
            for f in shown.fields:
                if f.name == questions.ASKED_FIELD and f.value:
                    prefill = f.value
        await ui.open_form(interaction, AskModal(self.anonymous, prefill))


class AnswerModal(ui.Modal, title="Answer the question"):
    """An organizer's answer, optionally saved as an FAQ entry."""

    def __init__(self, q: questions.Question, as_faq: bool) -> None:
        super().__init__(title=f"Answer question #{q.number}"[:45])
        self.question_id = q.id
        self.as_faq = as_faq
        self.faq_question: discord.ui.TextInput | None = None
        self.aliases: discord.ui.TextInput | None = None
        if as_faq:
            self.faq_question = discord.ui.TextInput(
                label="FAQ question (as members will read it)",
                default=truncate(q.text, faq.QUESTION_MAX),
                max_length=faq.QUESTION_MAX,
            )
            self.add_item(self.faq_question)
        self.answer = discord.ui.TextInput(
            label="Answer", style=discord.TextStyle.paragraph, max_length=questions.ANSWER_MAX
        )
        self.add_item(self.answer)
        if as_faq:
            self.aliases = discord.ui.TextInput(
                label="Other ways to ask it (one per line)",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=faq.ALIASES_MAX,
            )
            self.add_item(self.aliases)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot = _bot(interaction)
        guild_id: int = interaction.guild_id  # type: ignore[assignment]
        now = bot.clock.now()
        if self.as_faq and self.faq_question is not None:
            q, _ = await questions.answer_as_faq(
                bot.db,
                guild_id,
                self.question_id,
                interaction.user.id,
                self.faq_question.value,
                self.answer.value,
                now,
                aliases=faq.split_list(self.aliases.value if self.aliases else ""),
            )
        else:
            q = await questions.answer(
                bot.db, guild_id, self.question_id, interaction.user.id, self.answer.value, now
            )
        await ui.update(interaction, embeds=[questions.committee_embed(q)], view=None)


async def _load(interaction: discord.Interaction, question_id: int) -> questions.Question:
    await ensure(interaction, Access.ORGANIZER)
    return await questions.get(_bot(interaction).db, interaction.guild_id or 0, question_id)


class AnswerButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:q:(?P<kind>answer|faq):(?P<id>\d+)",
):
    """Answer (or Answer as FAQ) on a committee post: opens the answer form."""

    def __init__(self, kind: str, question_id: int) -> None:
        label = "Answer" if kind == "answer" else "Answer as FAQ"
        super().__init__(discord.ui.Button(label=label, custom_id=f"rf:q:{kind}:{question_id}"))
        self.kind = kind
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> AnswerButton:
        return cls(match["kind"], int(match["id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        q = await _load(interaction, self.question_id)
        if q.state != "open":
            await ui.update(interaction, embeds=[questions.committee_embed(q)], view=None)
            return
        await ui.open_form(interaction, AnswerModal(q, as_faq=self.kind == "faq"))


class DismissButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:q:dismiss:(?P<id>\d+)",
):
    """Dismiss on a committee post: closes the question without an answer."""

    def __init__(self, question_id: int) -> None:
        super().__init__(
            discord.ui.Button(label="Dismiss", custom_id=f"rf:q:dismiss:{question_id}")
        )
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> DismissButton:
        return cls(int(match["id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot = _bot(interaction)
        q = await questions.dismiss(
            bot.db,
            interaction.guild_id or 0,
            self.question_id,
            interaction.user.id,
            bot.clock.now(),
        )
        await ui.update(interaction, embeds=[questions.committee_embed(q)], view=None)


class HideButton(
    ui.ReportsErrors,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rf:q:hide:(?P<id>\d+)",
):
    """Hide on a committee post: its text is no longer shown (a misleading link, abuse)."""

    def __init__(self, question_id: int) -> None:
        super().__init__(discord.ui.Button(label="Hide", custom_id=f"rf:q:hide:{question_id}"))
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> HideButton:
        return cls(int(match["id"]))

    async def act(self, interaction: discord.Interaction) -> None:
        await ensure(interaction, Access.ORGANIZER)
        bot = _bot(interaction)
        q = await questions.hide(
            bot.db,
            interaction.guild_id or 0,
            self.question_id,
            interaction.user.id,
            bot.clock.now(),
        )
        view = None
        if q.state == "open":  # still to answer: the buttons stay, without Hide
            view = discord.ui.View(timeout=None)
            for item in (AnswerButton("answer", q.id), AnswerButton("faq", q.id)):
                view.add_item(item)
            view.add_item(DismissButton(q.id))
        await ui.update(interaction, embeds=[questions.committee_embed(q)], view=view)


class Ask(commands.Cog):
    """Questions to the bargaining committee."""

    ask = app_commands.Group(
        name="ask", description="Send a question to the bargaining committee", guild_only=True
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AskButton, AnswerButton, DismissButton, HideButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AskButton, AnswerButton, DismissButton, HideButton)

    @ask.command(name="committee", description="Send a question to the bargaining committee")
    @app_commands.describe(
        question="Your question (the answer comes to you by DM)",
        anonymous="True: the committee does not see your name",
    )
    async def committee(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, questions.TEXT_MAX],
        anonymous: bool = False,
    ) -> None:
        q = await questions.ask(
            self.bot.db,
            interaction.guild_id,  # type: ignore[arg-type]
            interaction.user.id,
            question,
            anonymous,
            self.bot.clock.now(),
        )
        await ui.reply(interaction, embeds=[receipt(q)], ephemeral=True)

    @ask.command(name="mine", description="Your questions to the committee and their answers")
    async def mine(self, interaction: discord.Interaction) -> None:
        found = await questions.mine(self.bot.db, interaction.guild_id or 0, interaction.user.id)
        if not found:
            text = "You have not asked the committee anything yet: use `/ask committee`."
            await ui.reply(interaction, embeds=[embed("Your questions", text)], ephemeral=True)
            return
        shown = embed(
            "Your questions to the committee",
            fields=questions.mine_lines(found),
            colour=Colour.INFO,
            footer="Only you see this.",
        )
        await ui.reply(interaction, embeds=[shown], ephemeral=True)


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Ask(bot))
