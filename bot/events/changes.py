"""Creating, editing and cancelling events; their discussion thread and Discord mirror.

Every change reschedules the event's reminders in the same transaction and is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import audit, guild_settings, render, timeparse, timers
from bot.core.db import Database, to_db
from bot.core.delivery import Target, enqueue
from bot.core.errors import Conflict, UserError
from bot.core.render import message
from bot.events import drafts, embeds, model, recurrence, reminders, rsvps
from bot.events.model import Draft, Event

INSERT_ROLE = "INSERT INTO event_role (event_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
DELETE_UNITS = "DELETE FROM event_unit WHERE event_id = ?"
UPDATE_EVENT = (
    "UPDATE event SET title = ?, description = ?, how_to_vote = ?, sequence = sequence + 1, "
    "updated_at = ? WHERE id = ?"
)
UPDATE_SESSION = "UPDATE event_session SET starts_at = ?, ends_at = ?, place = ? WHERE id = ?"
SET_DISCORD_EVENT = "UPDATE event_session SET discord_event_id = ? WHERE id = ?"
CANCEL_EVENT = (
    "UPDATE event SET state = 'cancelled', cancel_reason = ?, sequence = sequence + 1, "
    "updated_at = ? WHERE id = ? AND state = 'scheduled'"
)
CANCEL_SESSIONS = "UPDATE event_session SET state = 'cancelled' WHERE event_id = ?"
SET_THREAD = "UPDATE event SET thread_id = ? WHERE id = ?"
SET_PUBLIC = "UPDATE event SET public = 1 WHERE id = ?"


async def create(
    db: Database, guild_id: int, actor_id: int | None, draft: Draft, now: datetime
) -> Event:
    """Save an event, its session, its units and its reminders in one transaction (audited)."""
    if draft.starts_at < now - timedelta(minutes=5):
        raise UserError("That time has already passed: please give a time in the future.")
    async with db.transaction():
        event_id = await db.execute(
            model.INSERT_EVENT,
            (
                guild_id,
                draft.kind,
                draft.title,
                draft.description,
                draft.timezone,
                None,
                draft.how_to_vote,
                actor_id,
                to_db(now),
                to_db(now),
            ),
        )
        await db.execute(
            model.INSERT_SESSION,
            (
                event_id,
                1,
                to_db(draft.starts_at),
                to_db(draft.ends_at) if draft.ends_at else None,
                draft.place,
            ),
        )
        if draft.public:
            await db.execute(SET_PUBLIC, (event_id,))
        for unit_id in draft.unit_ids:
            await db.execute(model.INSERT_UNIT, (event_id, unit_id))
        for role_id in draft.role_ids:
            await db.execute(INSERT_ROLE, (event_id, role_id))
        event = await model.get(db, guild_id, event_id)
        count = await reminders.reschedule(db, event, now)
        if draft.repeat:
            # In the same transaction: the next occurrences become sessions.
            event = await recurrence.make_recurring(db, guild_id, event_id, draft.repeat, now)
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.create",
            f"event:{event_id}",
            f"{draft.kind}, {render.count(count, 'reminder', 'reminders')}",
            now,
        )
    return event


async def edit(
    db: Database,
    guild_id: int,
    event_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    title: str | None = None,
    description: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place: str | None = None,
    how_to_vote: str | None = None,
    unit_ids: tuple[int, ...] | None = None,
) -> Event:
    """Change an event; its pending reminders are rescheduled in the same transaction."""
    async with db.transaction():
        event = await model.get(db, guild_id, event_id)
        if event.state != "scheduled":
            raise Conflict(f"Event #{event_id} was cancelled: it can't be edited.")
        session = event.session
        new_start = starts_at or session.starts_at
        new_end = ends_at if ends_at is not None else session.ends_at
        if starts_at is not None and ends_at is None and session.ends_at is not None:
            # Moving the start alone keeps the length.
            new_end = new_start + (session.ends_at - session.starts_at)
        if new_end is not None and new_end <= new_start:
            raise UserError(
                "The end must come after the start: "
                f"{timeparse.format_local(new_start, event.timezone)} to "
                f"{timeparse.format_local(new_end, event.timezone)}."
            )
        draft = drafts.make_draft(
            event.kind,
            title if title is not None else event.title,
            description if description is not None else event.description,
            new_start,
            new_end,
            place if place is not None else session.place,
            unit_ids if unit_ids is not None else event.unit_ids,
            event.timezone,
            how_to_vote if how_to_vote is not None else event.how_to_vote,
        )
        if starts_at is not None and new_start < now:
            raise UserError("That time has already passed: please give a time in the future.")
        await db.execute(
            UPDATE_EVENT, (draft.title, draft.description, draft.how_to_vote, to_db(now), event_id)
        )
        await db.execute(
            UPDATE_SESSION,
            (to_db(new_start), to_db(new_end) if new_end else None, draft.place, session.id),
        )
        if unit_ids is not None:
            await db.execute(DELETE_UNITS, (event_id,))
            for unit_id in unit_ids:
                await db.execute(model.INSERT_UNIT, (event_id, unit_id))
        updated = await model.get(db, guild_id, event_id)
        if updated.reminder_offsets is not None:
            reminders.check_offsets_fit(updated, updated.reminder_offsets)
        count = await reminders.reschedule(db, updated, now)
        if starts_at is not None or ends_at is not None or place is not None:
            await rsvps.reschedule_rsvps(db, updated, now)
        changed = [
            name
            for name, value in (
                ("title", title),
                ("description", description),
                ("start", starts_at),
                ("end", ends_at),
                ("place", place),
                ("how_to_vote", how_to_vote),
                ("units", unit_ids),
            )
            if value is not None
        ]
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.edit",
            f"event:{event_id}",
            f"{', '.join(changed) or 'nothing'}; "
            f"{render.count(count, 'reminder', 'reminders')} pending",
            now,
        )
    return updated


async def cancel(
    db: Database,
    guild_id: int,
    event_id: int,
    actor_id: int | None,
    reason: str | None,
    now: datetime,
) -> tuple[Event, int]:
    """Cancel an event: its reminders stop, and everyone who asked for them is told (DM),
    as is the announcements channel. Returns the event and how many members were told."""
    why = model.clean_text(reason, model.REASON_MAX, "reason") or None
    async with db.transaction():
        event = await model.get(db, guild_id, event_id)
        if await db.execute(CANCEL_EVENT, (why, to_db(now), event_id)) != 1:
            raise Conflict(f"Event #{event_id} was already cancelled.")
        await db.execute(CANCEL_SESSIONS, (event_id,))
        stopped = await timers.cancel_subject(db, reminders.TIMER_KIND, event_id)
        event = await model.get(db, guild_id, event_id)
        members = await reminders.subscribers(db, event_id)
        settings = await guild_settings.get(db, guild_id)
        targets = [Target.dm(u) for u in members]
        if settings.announcements_channel_id:
            targets.insert(0, Target.channel(settings.announcements_channel_id))
        if targets:
            text = f"❌ Cancelled: **{event.title}** ({embeds.when_text(event).splitlines()[0]})."
            if why:
                text += f"\nWhy: {why}"
            await enqueue(
                db,
                guild_id,
                "event.cancel",
                message(text, embeds=[embeds.event_embed(event, now)]),
                targets,
                now,
                author_id=actor_id,
                subject=f"event:{event_id}",
            )
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.cancel",
            f"event:{event_id}",
            f"{render.count(stopped, 'pending reminder', 'pending reminders')} cancelled; "
            f"{render.count(len(members), 'member', 'members')} told",
            now,
        )
    return event, len(members)


async def set_thread(db: Database, event: Event, thread_id: int, now: datetime) -> Event:
    """Record the event's discussion thread and post the event in it (through delivery)."""
    async with db.transaction():
        await db.execute(SET_THREAD, (thread_id, event.id))
        event = await model.get(db, event.guild_id, event.id)
        await enqueue(
            db,
            event.guild_id,
            "event.thread",
            message(
                f"💬 Discussion for **{event.title}**: questions, rides, who's covering shifts.",
                embeds=[embeds.event_embed(event, now)],
                components=embeds.buttons(event, now),
            ),
            [Target.channel(thread_id)],
            now,
            subject=f"event:{event.id}",
        )
    return event


async def set_discord_event(db: Database, session_id: int, discord_event_id: int | None) -> None:
    """Record the Discord scheduled event that mirrors a session (None once deleted)."""
    await db.execute(SET_DISCORD_EVENT, (discord_event_id, session_id))
