"""Publishing negotiation updates: checking what organizers typed, the audience, publishing,
editing and retracting.

An update is published in one transaction: its row, its topics and units, a broadcast to the
updates channel and one DM per subscriber (bot.subscriptions), and an audit entry. Edits and
retractions edit every message the publication posted (channel and DMs) through the delivery
engine; a retraction keeps the row and replaces the text with a visible note, never a delete.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from bot import subscriptions
from bot.core import audit, delivery, guild_settings, render, units
from bot.core.db import Database, to_db
from bot.core.errors import Conflict, UserError
from bot.core.render import message
from bot.topics import find_topic
from bot.updates import model
from bot.updates.model import (
    BODY_MAX,
    NOTE_MAX,
    TITLE_MAX,
    URL_MAX,
    Draft,
    Update,
    retraction_embed,
    update_embed,
)

TOPICS_PER_UPDATE = 10
UNITS_PER_UPDATE = 25

INSERT = (
    "INSERT INTO bargaining_update (guild_id, kind, title, body, source_url, author_id, "
    "published_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_TOPIC = "INSERT INTO bargaining_update_topic (update_id, topic) VALUES (?, ?)"
INSERT_UNIT = "INSERT INTO bargaining_update_unit (update_id, unit_id) VALUES (?, ?)"
SET_BROADCAST = "UPDATE bargaining_update SET broadcast_id = ? WHERE id = ?"
SET_PUBLIC = "UPDATE bargaining_update SET public = 1 WHERE id = ?"
# The text an edit replaces, kept for the update's edit history (the public site shows it).
KEEP_REVISION = (
    "INSERT INTO bargaining_update_revision (update_id, title, body, source_url, replaced_at) "
    "SELECT id, title, body, source_url, ? FROM bargaining_update "
    "WHERE guild_id = ? AND id = ? AND retracted_at IS NULL"
)
EDIT = (
    "UPDATE bargaining_update SET title = ?, body = ?, source_url = ?, edited_at = ?, "
    "edited_by = ? WHERE guild_id = ? AND id = ? AND retracted_at IS NULL"
)
RETRACT = (
    "UPDATE bargaining_update SET retracted_at = ?, retracted_by = ?, retraction_note = ? "
    "WHERE guild_id = ? AND id = ? AND retracted_at IS NULL"
)
# One row per unit, moved forward by each publication (a backdated demo update never moves it
# back); /tracker reads these instead of aggregating every update.
HEARD_UPSERT = """
INSERT INTO unit_last_heard (unit_id, guild_id, update_id, kind, heard_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (unit_id) DO UPDATE SET update_id = excluded.update_id, kind = excluded.kind,
    heard_at = excluded.heard_at
WHERE excluded.heard_at >= unit_last_heard.heard_at
"""
# Called inside publish's transaction with (db, guild_id, update_id, unit_ids, now); added at
# start-up by bot.wiring (the tracker re-arms its silence nudges there).
PublishHook = Callable[[Database, int, int, list[int], datetime], Awaitable[None]]
_PUBLISH_HOOKS: list[PublishHook] = []
_URL = re.compile(r"^https?://[^\s<>]+$", re.IGNORECASE)


# -- checking what organizers typed ------------------------------------------------------


def clean_text(title: str, body: str, source_url: str | None) -> tuple[str, str, str | None]:
    """Title, body and link checked against the limits; UserError says which is wrong."""
    title = " ".join((title or "").split())
    body = (body or "").strip()
    url = (source_url or "").strip() or None
    if not title:
        raise UserError("An update needs a title.")
    if len(title) > TITLE_MAX:
        raise UserError(f"The title is {len(title)} characters; keep it to {TITLE_MAX}.")
    if not body:
        raise UserError("An update needs a text: what happened, in plain words.")
    if len(body) > BODY_MAX:
        raise UserError(
            f"The text is {len(body)} characters; keep it to {BODY_MAX} "
            "(link the full document as the source)."
        )
    if url is not None and (len(url) > URL_MAX or not _URL.match(url)):
        raise UserError("The source link must be a web address starting with https://.")
    return title, body, url


def split_list(text: str | None) -> list[str]:
    """A comma-separated option as its items (blank ones dropped)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


async def resolve_topics(db: Database, guild_id: int, text: str | None) -> tuple[str, ...]:
    """The server's topics named in a comma-separated list; NotFound names the unknown one."""
    found: list[str] = []
    for part in split_list(text):
        name = await find_topic(db, guild_id, part)
        if name not in found:
            found.append(name)
    if len(found) > TOPICS_PER_UPDATE:
        raise UserError(f"An update can have at most {TOPICS_PER_UPDATE} topics.")
    return tuple(found)


async def resolve_units(db: Database, guild_id: int, text: str | None) -> tuple[units.Unit, ...]:
    """The units named in a comma-separated list of codes; NotFound names the unknown one."""
    found: list[units.Unit] = []
    for part in split_list(text):
        unit = await units.find(db, guild_id, part)
        if unit.id not in {u.id for u in found}:
            found.append(unit)
    if len(found) > UNITS_PER_UPDATE:
        raise UserError(f"An update can concern at most {UNITS_PER_UPDATE} units.")
    return tuple(found)


async def make_draft(
    db: Database,
    guild_id: int,
    title: str,
    body: str,
    source_url: str | None,
    topic_text: str | None,
    unit_text: str | None,
) -> Draft:
    """Check everything an organizer typed for `/update post`; UserError on the first problem."""
    title, body, url = clean_text(title, body, source_url)
    return Draft(
        title,
        body,
        url,
        await resolve_topics(db, guild_id, topic_text),
        await resolve_units(db, guild_id, unit_text),
    )


async def _with_ancestors(db: Database, guild_id: int, unit_ids: Iterable[int]) -> list[int]:
    """The units and every unit above them: a local's subscribers hear about its departments."""
    parents = {u.id: u.parent_id for u in await units.list_units(db, guild_id)}
    out: list[int] = []
    for unit_id in unit_ids:
        current: int | None = unit_id
        while current is not None and current not in out:
            out.append(current)
            current = parents.get(current)
    return out


async def audience(
    db: Database, guild_id: int, topics: Sequence[str], unit_ids: Sequence[int]
) -> list[int]:
    """The members an update with these topics and units will DM (each once)."""
    return await subscriptions.subscribers(
        db, guild_id, topics=topics, units=await _with_ancestors(db, guild_id, unit_ids)
    )


# -- publishing, editing, retracting -----------------------------------------------------


async def publish(
    db: Database,
    guild_id: int,
    author_id: int | None,
    draft: Draft,
    now: datetime,
    *,
    kind: str | None = None,
    deliver: bool = True,
    published_at: datetime | None = None,
) -> Update:
    """Save the update and queue its post and its DMs, in one transaction (audited).

    `deliver=False` saves without sending (demo content); `published_at` backdates it.
    `kind` overrides the draft's ("status" from `/tracker-edit set`).
    """
    kind = kind or draft.kind
    async with db.transaction():
        update_id = await db.execute(
            INSERT,
            (
                guild_id,
                kind,
                draft.title,
                draft.body,
                draft.source_url,
                author_id,
                to_db(published_at or now),
            ),
        )
        if draft.public:
            await db.execute(SET_PUBLIC, (update_id,))
        await db.executemany(INSERT_TOPIC, [(update_id, t) for t in draft.topics])
        await db.executemany(INSERT_UNIT, [(update_id, u.id) for u in draft.units])
        heard_at = to_db(published_at or now)
        await db.executemany(
            HEARD_UPSERT, [(u.id, guild_id, update_id, kind, heard_at) for u in draft.units]
        )
        update = await model.get(db, guild_id, update_id)
        detail = None
        if deliver:
            # Demo content (not delivered, backdated) starts no silence clocks.
            for hook in _PUBLISH_HOOKS:
                await hook(db, guild_id, update_id, [u.id for u in draft.units], now)
            settings = await guild_settings.get(db, guild_id)
            channel_id = settings.require("updates_channel_id")
            readers = await audience(db, guild_id, draft.topics, [u.id for u in draft.units])
            targets = [delivery.Target.channel(channel_id)]
            targets += [delivery.Target.dm(user_id) for user_id in readers]
            broadcast_id = await delivery.enqueue(
                db,
                guild_id,
                "update",
                message(embeds=[update_embed(update)]),
                targets,
                now,
                author_id=author_id,
                subject=f"update {update_id}",
            )
            await db.execute(SET_BROADCAST, (broadcast_id, update_id))
            detail = render.count(len(readers), "subscriber DM", "subscriber DMs")
        await audit.record(
            db, guild_id, author_id, "update.post", f"update {update_id}", detail, now
        )
        return await model.get(db, guild_id, update_id)


async def _edit_posted(
    db: Database, update: Update, payload: dict[str, Any], actor_id: int | None, now: datetime
) -> int:
    """Queue an edit of every message the update's publication posted; return how many."""
    if update.broadcast_id is None:
        return 0
    posted = await delivery.sent_messages(db, update.broadcast_id)
    # Copies still waiting to be sent go out with the new text instead.
    await delivery.replace_pending_payload(db, update.broadcast_id, payload)
    if not posted:
        return 0
    targets = [
        delivery.Target.edit(channel_id, message_id) for _, _, channel_id, message_id in posted
    ]
    await delivery.enqueue(
        db,
        update.guild_id,
        "update.edit",
        payload,
        targets,
        now,
        author_id=actor_id,
        subject=f"update {update.id}",
    )
    return len(targets)


async def edit(
    db: Database,
    guild_id: int,
    update_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    title: str,
    body: str,
    source_url: str | None,
) -> Update:
    """Change an update's text, mark it edited with the time, and edit what was posted."""
    async with db.transaction():
        current = await model.get(db, guild_id, update_id)
        if current.retracted:
            raise Conflict(
                f"Update #{update_id} was retracted on {model.day_text(current.retracted_at)}: a "
                "retracted update can't be edited. Post a new update instead."
            )
        title, body, url = clean_text(title, body, source_url)
        await db.execute(KEEP_REVISION, (to_db(now), guild_id, update_id))
        await db.execute(EDIT, (title, body, url, to_db(now), actor_id, guild_id, update_id))
        update = await model.get(db, guild_id, update_id)
        copies = await _edit_posted(
            db, update, message(embeds=[update_embed(update)]), actor_id, now
        )
        await audit.record(
            db, guild_id, actor_id, "update.edit", f"update {update_id}", f"{copies} copies", now
        )
    return update


async def retract(
    db: Database,
    guild_id: int,
    update_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    note: str | None = None,
) -> Update:
    """Retract an update: its posts are replaced by a visible retraction note (audited)."""
    note = " ".join((note or "").split()) or None
    if note is not None and len(note) > NOTE_MAX:
        raise UserError(f"The retraction note is {len(note)} characters; keep it to {NOTE_MAX}.")
    async with db.transaction():
        current = await model.get(db, guild_id, update_id)
        if current.retracted:
            when = model.day_text(current.retracted_at)
            raise Conflict(f"Update #{update_id} was already retracted on {when}.")
        await db.execute(RETRACT, (to_db(now), actor_id, note, guild_id, update_id))
        update = await model.get(db, guild_id, update_id)
        copies = await _edit_posted(
            db, update, message(embeds=[retraction_embed(update)]), actor_id, now
        )
        await audit.record(
            db, guild_id, actor_id, "update.retract", f"update {update_id}", f"{copies} copies", now
        )
    return update


def on_publish(hook: PublishHook) -> None:
    """Call `hook` inside every delivered publication's transaction (once per hook)."""
    if hook not in _PUBLISH_HOOKS:
        _PUBLISH_HOOKS.append(hook)
