"""Discord-facing helpers shared by every cog: one way to reply, one error report, base views.

Message content is built by bot.render as plain dicts; this module turns them into what
discord.py sends, always with explicit allowed mentions. A member who chose plain text
(`/settings plain-text`) gets every answer in its plain form only (`render.plain_messages`);
in a server that asked for it, public answers carry the plain text beside their embeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.core import guild_settings, preferences, render
from bot.core.errors import UserError
from bot.core.render import Colour, embed
from bot.core.timeparse import TimeParseError

log = logging.getLogger("rankfile")

# Nothing the bot says pings anyone unless a command means it to.
NO_PINGS = discord.AllowedMentions.none()
# Discord drops an interaction whose first answer comes after 3 s. A handler that has not
# answered within this budget is deferred for it, so the member sees "thinking" at once.
ANSWER_BUDGET = 0.5
# A form (modal) can only be the first answer, so an interaction that may open one is given
# longer before the watchdog defers it (then the member gets an "Open the form" button).
FORM_BUDGET = 2.0
_ANSWER_LOCK = "rankfile.answer_lock"
_TRIED = "rankfile.answer_tried"
_ANSWERED = "rankfile.answered"  # a first answer was sent (even if Discord refused it)
_PUBLIC_IF = "public_if"
_OPENS_FORM = "opens_form"


def to_embed(data: dict) -> discord.Embed:
    """A render.embed() dict as a discord.Embed."""
    return discord.Embed.from_dict(data)


# An attachment: (file name, bytes) or (file name, bytes, description). An image must have a
# description (what it shows and its key numbers): screen readers read it out.
Attachment = tuple[str, bytes] | tuple[str, bytes, str]


def to_file(name: str, data: bytes, description: str | None = None) -> discord.File:
    """Bytes as an attachment, with its description (cut to Discord's 1,024 characters)."""
    limit = render.Limits.ATTACHMENT_DESCRIPTION
    said = render.truncate(description, limit) if description else None
    return discord.File(io.BytesIO(data), filename=name, description=said)


def _files(files: Sequence[Attachment]) -> list[discord.File]:
    return [to_file(*item) for item in files]


async def reads_plain_text(interaction: discord.Interaction) -> bool:
    """Whether the member who acted reads the bot as plain text only (`/settings`)."""
    db = getattr(interaction.client, "db", None)
    if db is None:
        return False
    return await preferences.plain_text(db, interaction.guild_id, interaction.user.id)


async def _posts_plain_text(interaction: discord.Interaction) -> bool:
    db = getattr(interaction.client, "db", None)
    if db is None or interaction.guild_id is None:
        return False
    return bool((await guild_settings.get(db, interaction.guild_id)).plain_text_posts)


def _answered(interaction: discord.Interaction) -> asyncio.Event:
    event = interaction.extras.get(_ANSWERED)
    if event is None:
        event = interaction.extras[_ANSWERED] = asyncio.Event()
    return event


def _mark_answered(interaction: discord.Interaction) -> None:
    """A first answer was sent (even if Discord refuses it): the watchdog stands down."""
    interaction.extras[_TRIED] = True
    _answered(interaction).set()


def _answer_lock(interaction: discord.Interaction) -> asyncio.Lock:
    """One first answer per interaction: the handler's and the watchdog's never cross."""
    lock = interaction.extras.get(_ANSWER_LOCK)
    if lock is None:
        lock = interaction.extras[_ANSWER_LOCK] = asyncio.Lock()
    return lock


def answers_in_public(when: Callable[[Any], bool]) -> Callable[[Any], Any]:
    """Mark a slash command whose answer is public when `when(namespace)` is true (every other
    command answers privately), so that a deferral keeps the answer's visibility."""

    def mark(command: Any) -> Any:
        extras = getattr(command, "extras", None)
        if extras is None:  # a plain callback, before app_commands.command wraps it
            command.__rankfile_public_if__ = when
        else:
            extras[_PUBLIC_IF] = when
        return command

    return mark


def opens_form(command: Any) -> Any:
    """Mark a slash command that answers with a form (give it FORM_BUDGET)."""
    command.extras[_OPENS_FORM] = True
    return command


class FormButtons:
    """The custom ids of buttons that answer with a form, registered by cogs at start-up."""

    def __init__(self) -> None:
        self._patterns: list[re.Pattern[str]] = []

    def add(self, pattern: str) -> None:
        """Buttons whose custom id matches `pattern` (a regex, whole id) open a form."""
        if all(p.pattern != pattern for p in self._patterns):
            self._patterns.append(re.compile(pattern))

    def match(self, custom_id: str) -> bool:
        """Whether a pressed button opens a form."""
        return any(p.fullmatch(custom_id) for p in self._patterns)


FORM_BUTTONS = FormButtons()


def _may_open_form(interaction: discord.Interaction) -> bool:
    if interaction.type is discord.InteractionType.application_command:
        command = interaction.command
        return bool(command is not None and command.extras.get(_OPENS_FORM))
    if interaction.type is discord.InteractionType.component:
        return FORM_BUTTONS.match(str((interaction.data or {}).get("custom_id", "")))
    return False


def _answers_publicly(interaction: discord.Interaction) -> bool:
    command = interaction.command
    if command is None:
        return False
    when = command.extras.get(_PUBLIC_IF) or getattr(
        getattr(command, "callback", None), "__rankfile_public_if__", None
    )
    return bool(when and when(interaction.namespace))


async def acknowledge_in_time(
    interaction: discord.Interaction, budget: float = ANSWER_BUDGET
) -> None:
    """The one acknowledgement path: called for every interaction as it arrives, it defers the
    interaction when its handler has not answered within `budget` seconds.

    A slash command or a form sent from one shows "thinking", privately unless the command
    answers in public; a button, a select or a form opened from a message is deferred as an
    update of that message, after which the handler may still edit it or send new messages.
    Autocomplete cannot be deferred (its answers must simply be fast)."""
    if interaction.type is discord.InteractionType.autocomplete:
        return
    wait = max(budget, FORM_BUDGET) if _may_open_form(interaction) else budget
    # Ends at once when the handler answers (nothing left running for the interaction).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_answered(interaction).wait(), wait)
        return
    async with _answer_lock(interaction):
        if interaction.response.is_done() or interaction.extras.get(_TRIED):
            return
        if interaction.client.is_closed():
            return
        try:
            if interaction.type is discord.InteractionType.application_command:
                public = _answers_publicly(interaction)
                await interaction.response.defer(ephemeral=not public, thinking=True)
            elif interaction.message is not None:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException:
            log.warning("could not defer an interaction in time")


async def open_form(interaction: discord.Interaction, modal: discord.ui.Modal) -> None:
    """Open a form (modal). A form can only be the first answer: when the interaction was
    already deferred (a slow moment), the member gets a button that opens it instead."""
    async with _answer_lock(interaction):
        if not interaction.response.is_done():
            _mark_answered(interaction)
            await interaction.response.send_modal(modal)
            return
    await interaction.followup.send(
        "The form is ready:",
        view=_OpenForm(modal, owner_id=interaction.user.id),
        ephemeral=True,
        allowed_mentions=NO_PINGS,
    )


async def defer(interaction: discord.Interaction, *, ephemeral: bool = True) -> None:
    """Defer now, before slow work whose answer follows (a chart, a file, a call to Discord)."""
    async with _answer_lock(interaction):
        if interaction.response.is_done():
            return
        _mark_answered(interaction)
        if interaction.type is discord.InteractionType.component:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embeds: Sequence[dict] = (),
    view: discord.ui.View | None = None,
    files: Sequence[Attachment] = (),
    ephemeral: bool = False,
) -> None:
    """Answer an interaction: the first answer, or a followup when it was already answered.

    To a member who reads plain text, the answer is its plain form only, in as many messages
    as it needs (the buttons and files on the last); a public answer in a server that asked
    for it carries the plain text beside its embeds."""
    messages: list[str | None] = [content]
    if embeds and await reads_plain_text(interaction):
        messages = list(render.plain_messages({"content": content, "embeds": list(embeds)}))
        messages = messages or [None]
        embeds = ()
    elif embeds and not ephemeral and await _posts_plain_text(interaction):
        messages = [render.with_plain_text({"content": content, "embeds": list(embeds)})["content"]]
    last = len(messages) - 1
    for index, text in enumerate(messages):
        kwargs: dict[str, Any] = {
            "content": text,
            "embeds": [to_embed(e) for e in embeds] if index == last else [],
            "ephemeral": ephemeral,
            "allowed_mentions": NO_PINGS,
            "files": _files(files) if index == last else [],
        }
        if view is not None and index == last:
            kwargs["view"] = view
        await _send(interaction, kwargs)


async def _send(interaction: discord.Interaction, kwargs: dict[str, Any]) -> None:
    async with _answer_lock(interaction):
        if not interaction.response.is_done():
            _mark_answered(interaction)
            await interaction.response.send_message(**kwargs)
            return
    await interaction.followup.send(**kwargs)


async def update(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embeds: Sequence[dict] = (),
    view: discord.ui.View | None = None,
) -> None:
    """Replace the message a button or select was pressed on.

    A private message of a member who reads plain text becomes its plain form only (cut to
    one message, saying where the rest is); a public one keeps its embeds for everyone, with
    the plain text beside them when the server asked for it."""
    if embeds:
        payload = {"content": content, "embeds": list(embeds)}
        message = interaction.message
        private = message is None or message.flags.ephemeral
        if private and await reads_plain_text(interaction):
            content, embeds = render.plain_payload(payload).get("content"), ()
        elif not private and await _posts_plain_text(interaction):
            content = render.with_plain_text(payload)["content"]
    kwargs: dict[str, Any] = {
        "content": content,
        "embeds": [to_embed(e) for e in embeds],
        "view": view,
        "allowed_mentions": NO_PINGS,
    }
    async with _answer_lock(interaction):
        if not interaction.response.is_done():
            _mark_answered(interaction)
            await interaction.response.edit_message(**kwargs)
            return
    await interaction.edit_original_response(**kwargs)


def _error_embed(text: str) -> dict:
    return embed("Can't do that", text, colour=Colour.DANGER)


def explain(error: BaseException) -> tuple[str, bool]:
    """What a member is told about an error, and whether it was unexpected."""
    original = getattr(error, "original", None) or error.__cause__ or error
    if isinstance(error, app_commands.CommandInvokeError):
        original = error.original
    if isinstance(original, UserError | TimeParseError):
        return str(original), False
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} seconds.", False
    if isinstance(error, app_commands.TransformerError):
        return f"`{error.value}` is not a valid value for that option: {error}", False
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this command here.", False
    if isinstance(original, sqlite3.OperationalError):
        # Another process holds the database past the busy timeout, or the disk is full: the
        # transaction rolled back, so nothing was saved.
        if "locked" in str(original) or "busy" in str(original):
            return (
                "The bot's database is busy right now. Nothing was saved: try again in a minute.",
                False,
            )
        if "full" in str(original):
            return (
                "The bot's storage is full, so nothing was saved. Please tell an organizer; "
                "try again later.",
                False,
            )
    if isinstance(original, discord.Forbidden):
        return (
            "Discord refused: the bot is missing a permission here. An admin can run "
            "`/setup check` to see which.",
            False,
        )
    return "", True


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error handler: tell the member what went wrong, ephemerally; log the unexpected."""
    text, unexpected = explain(error)
    if unexpected:
        error_id = secrets.token_hex(4)
        command = interaction.command.qualified_name if interaction.command else "component"
        # No member text and no ids of people in the log: the command name and the error type.
        original = getattr(error, "original", error)
        log.error(
            "unexpected error %s in %s: %s",
            error_id,
            command,
            type(original).__name__,
            exc_info=(type(original), original, original.__traceback__),
        )
        text = (
            f"Something went wrong on our side (error id `{error_id}`). Nothing was saved; "
            "please try again, and tell an organizer the error id if it happens again."
        )
    try:
        await reply(interaction, embeds=[_error_embed(text)], ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error message for an interaction")


class View(discord.ui.View):
    """Base view: errors go to the one handler; `owner_id` limits who may press."""

    def __init__(self, *, owner_id: int | None = None, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the member the view was made for may press it (when it has an owner)."""
        if self.owner_id is not None and interaction.user.id != self.owner_id:
            await reply(
                interaction,
                embeds=[_error_embed("These buttons belong to the member who ran the command.")],
                ephemeral=True,
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        await report_error(interaction, error)


class ReportsErrors:
    """Mixin for DynamicItems, whose errors never reach the tree's handler: subclasses write
    `act(interaction)`, and any error it raises goes to the one error report."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.act(interaction)  # type: ignore[attr-defined]
        except Exception as error:
            await report_error(interaction, error)


class RoutedButton(discord.ui.Button):
    """A button another cog handles: a DynamicItem registered by the cog that owns the action
    matches its custom_id. The view it sits in never dispatches it, so a cog can offer another
    capability's button without importing that cog (and a press is handled once)."""

    def is_dispatchable(self) -> bool:
        return False


class _OpenForm(View):
    """One button that opens a form the interaction could no longer open itself."""

    def __init__(self, modal: discord.ui.Modal, *, owner_id: int) -> None:
        super().__init__(owner_id=owner_id)
        self.modal = modal

    @discord.ui.button(label="Open the form", style=discord.ButtonStyle.primary)
    async def open(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await open_form(interaction, self.modal)


class Modal(discord.ui.Modal):
    """Base modal: errors go to the one handler."""

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)
