"""/townhall: questions in advance for a town hall (members ask and upvote); /townhall-run
(organizers, hidden from members): review, answer, merge, export, and the recap after it."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import events
from bot.core import render
from bot.core.render import Colour, embed
from bot.events import questions as tq
from bot.glue import ui
from bot.glue.app import Rankfile
from bot.glue.permissions import HIDDEN_BEHIND, Access, requires
from cogs.events.components import view_from_rows

log = logging.getLogger("rankfile.townhall")

# The form's choice of who sees the asker's name: a select, anonymous unless changed.
ANONYMOUS, NAMED = "anonymous", "named"


def _names(interaction: discord.Interaction, questions: list[tq.Question]) -> dict[int, str]:
    """Display names of the (non-anonymous) authors, for organizers only."""
    guild = interaction.guild
    found: dict[int, str] = {}
    for q in questions:
        if q.author_id is None or guild is None:
            continue
        member = guild.get_member(q.author_id)
        # Uncached members show as a mention: Discord renders the name, and nothing pings.
        found[q.author_id] = member.display_name if member else f"<@{q.author_id}>"
    return found


async def _member_list(bot: Rankfile, event: events.Event) -> tuple[dict, discord.ui.View | None]:
    shown = tq.shown(await tq.ordered(bot.db, event.id))
    listing = tq.question_embed(event, shown, organizer=False, names={})
    return listing, view_from_rows(tq.upvote_buttons(shown))


class AskModal(ui.Modal):
    """The Ask a question button's form: the question, and who sees the name, chosen from a
    list that starts on Anonymous (never typed: "Yes." must not post a name)."""

    def __init__(self, event: events.Event) -> None:
        super().__init__(title="Ask a question")
        self.event = event
        self.question = discord.ui.TextInput(
            label="Your question",
            style=discord.TextStyle.paragraph,
            max_length=tq.QUESTION_MAX,
        )
        self.who = discord.ui.Select(
            custom_id="anonymity",
            required=False,
            options=[
                discord.SelectOption(
                    label="Anonymous: no one sees my name",
                    value=ANONYMOUS,
                    description="Not even organizers (the default)",
                    default=True,
                ),
                discord.SelectOption(
                    label="With my name",
                    value=NAMED,
                    description="Organizers see who asked; other members never do",
                ),
            ],
        )
        self.add_item(self.question)
        self.add_item(discord.ui.Label(text="Who sees your name?", component=self.who))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        # Anything but an explicit "With my name" is anonymous.
        anonymous = list(self.who.values) != [NAMED]
        q = await tq.ask(
            bot.db,
            None,
            self.event.id,
            interaction.user.id,
            self.question.value,
            anonymous,
            bot.clock.now(),
        )
        await ui.reply(interaction, _asked_text(self.event, q), ephemeral=True)


def _asked_text(event: events.Event, q: tq.Question) -> str:
    who = "anonymously: no one sees who asked" if q.anonymous else "with your name"
    return (
        f"❓ Question #{q.id} for **{event.title}** submitted {who}. Others can upvote it "
        f"with `/townhall questions event: {event.id}`; you'll get a DM when it's answered."
    )


class AskButton(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=tq.ASK_PATTERN
):
    """Ask a question (opens the form) / Questions (the list with upvote buttons)."""

    def __init__(self, action: str, event_id: int, button: discord.ui.Button | None = None):
        super().__init__(
            button or discord.ui.Button(label=action, custom_id=f"townhall:{action}:{event_id}")
        )
        self.action = action
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> AskButton:
        return cls(match["action"], int(match["event_id"]), item)

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        event = await events.get_any(bot.db, self.event_id)
        if self.action == "ask":
            await ui.open_form(interaction, AskModal(event))
            return
        listing, view = await _member_list(bot, event)
        await ui.reply(interaction, embeds=[listing], view=view, ephemeral=True)


class UpvoteButton(
    ui.ReportsErrors, discord.ui.DynamicItem[discord.ui.Button], template=tq.UPVOTE_PATTERN
):
    """▲ on a question: one vote per member, pressing again takes it back."""

    def __init__(self, question_id: int, button: discord.ui.Button | None = None) -> None:
        super().__init__(
            button or discord.ui.Button(label="▲", custom_id=f"townhall:up:{question_id}")
        )
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> UpvoteButton:
        return cls(int(match["question_id"]), item)

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Rankfile = interaction.client  # type: ignore[assignment]
        q, counted = await tq.toggle_upvote(
            bot.db, self.question_id, interaction.user.id, bot.clock.now()
        )
        event = await events.get_any(bot.db, q.event_id)
        listing, view = await _member_list(bot, event)
        text = (
            f"▲ Your vote for #{q.id} counts ({q.votes})."
            if counted
            else f"Your vote for #{q.id} was taken back ({q.votes})."
        )
        await ui.update(interaction, text, embeds=[listing], view=view)


class Townhall(commands.Cog):
    """Questions in advance and the recap."""

    townhall = app_commands.Group(
        name="townhall", description="Questions for town halls, in advance", guild_only=True
    )
    run = app_commands.Group(
        name="townhall-run",
        description="Review, answer and merge town hall questions; the recap (organizers)",
        default_permissions=HIDDEN_BEHIND[Access.ORGANIZER],
        guild_only=True,
    )

    def __init__(self, bot: Rankfile) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AskButton, UpvoteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AskButton, UpvoteButton)

    @townhall.command(name="ask", description="Ask a question for a town hall, in advance")
    @app_commands.describe(
        event="The town hall's number (from /events upcoming)",
        question="Your question",
        anonymous="True (the default): no one sees your name, organizers included",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        event: int,
        question: str,
        anonymous: bool = True,
    ) -> None:
        q = await tq.ask(
            self.bot.db,
            interaction.guild_id,
            event,
            interaction.user.id,
            question,
            anonymous,
            self.bot.clock.now(),
        )
        found = await events.get(self.bot.db, interaction.guild_id, event)
        await ui.reply(interaction, _asked_text(found, q), ephemeral=True)

    @townhall.command(name="questions", description="A town hall's questions, to upvote")
    @app_commands.describe(event="The town hall's number")
    async def questions(self, interaction: discord.Interaction, event: int) -> None:
        found = await events.get(self.bot.db, interaction.guild_id, event)
        listing, view = await _member_list(self.bot, found)
        await ui.reply(interaction, embeds=[listing], view=view, ephemeral=True)

    @run.command(name="review", description="Questions ordered by votes (organizers)")
    @app_commands.describe(event="The town hall's number")
    @requires(Access.ORGANIZER)
    async def review(self, interaction: discord.Interaction, event: int) -> None:
        found = await events.get(self.bot.db, interaction.guild_id, event)
        questions = await tq.ordered(self.bot.db, event)
        listing = tq.question_embed(
            found, questions, organizer=True, names=_names(interaction, questions)
        )
        await ui.reply(interaction, embeds=[listing], ephemeral=True)

    @run.command(name="answer", description="Mark a question answered (organizers)")
    @app_commands.describe(question="The question's number", answer="The answer, for the recap")
    @requires(Access.ORGANIZER)
    async def answer(
        self, interaction: discord.Interaction, question: int, answer: str | None = None
    ) -> None:
        q = await tq.answer(
            self.bot.db,
            interaction.guild_id,
            question,
            interaction.user.id,
            answer,
            self.bot.clock.now(),
        )
        await ui.reply(
            interaction,
            f"Question #{q.id} marked answered. The recap (`/townhall-run recap`) tells its asker.",
            ephemeral=True,
        )

    @run.command(name="merge", description="Merge a question into another (organizers)")
    @app_commands.describe(question="The duplicate's number", into="The question it joins")
    @requires(Access.ORGANIZER)
    async def merge(self, interaction: discord.Interaction, question: int, into: int) -> None:
        target = await tq.merge(
            self.bot.db,
            interaction.guild_id,
            question,
            into,
            interaction.user.id,
            self.bot.clock.now(),
        )
        await ui.reply(
            interaction,
            f"Question #{question} merged into #{into}; #{into} now has "
            f"{render.count(target.votes, 'vote', 'votes')}.",
            ephemeral=True,
        )

    @run.command(name="export", description="The ordered questions as a file (organizers)")
    @app_commands.describe(event="The town hall's number")
    @requires(Access.ORGANIZER)
    async def export(self, interaction: discord.Interaction, event: int) -> None:
        await events.get(self.bot.db, interaction.guild_id, event)
        names = _names(interaction, await tq.ordered(self.bot.db, event))
        data, count = await tq.export(
            self.bot.db,
            interaction.guild_id,
            event,
            interaction.user.id,
            names,
            self.bot.clock.now(),
        )
        await ui.reply(
            interaction,
            f"{render.count(count, 'question', 'questions')}, ordered by votes (anonymous ones "
            "without an author). This export is recorded in the members' transparency log "
            "(`/privacy log`).",
            files=[(f"townhall-{event}-questions.csv", data)],
            ephemeral=True,
        )

    @run.command(name="hide", description="Hide a question from members, or show it again")
    @app_commands.describe(
        question="The question's number",
        hidden="True hides it (not listed, voted on or in the recap); False shows it again",
    )
    @requires(Access.ORGANIZER)
    async def hide(
        self, interaction: discord.Interaction, question: int, hidden: bool = True
    ) -> None:
        q = await tq.hide(
            self.bot.db,
            interaction.guild_id,
            question,
            interaction.user.id,
            hidden,
            self.bot.clock.now(),
        )
        text = (
            f"Question #{q.id} is hidden: members no longer see it or vote on it."
            if q.hidden
            else f"Question #{q.id} is shown to members again."
        )
        await ui.reply(interaction, text, ephemeral=True)

    @run.command(name="recap", description="Post the recap and tell askers (organizers)")
    @app_commands.describe(
        event="The town hall's number",
        text="What was covered",
        links="Links to recordings or slides",
    )
    @requires(Access.ORGANIZER)
    async def recap(
        self, interaction: discord.Interaction, event: int, text: str, links: str | None = None
    ) -> None:
        update, told = await tq.recap(
            self.bot.db,
            interaction.guild_id,
            event,
            interaction.user.id,
            text,
            links,
            self.bot.clock.now(),
        )
        await ui.reply(
            interaction,
            embeds=[
                embed(
                    "Recap posted",
                    f"Update #{update.id} is on its way to the updates channel; "
                    f"{render.count(told, 'answered question', 'answered questions')}: the "
                    "asker of each will get a DM about it.",
                    colour=Colour.SUCCESS,
                )
            ],
            ephemeral=True,
        )


async def setup(bot: Rankfile) -> None:
    """Load the cog."""
    await bot.add_cog(Townhall(bot))
