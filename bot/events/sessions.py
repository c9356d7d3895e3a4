"""Several sessions per town hall, several windows per vote: adding and cancelling them."""

from __future__ import annotations

from datetime import datetime

from bot.core import audit, timeparse, timers
from bot.core.db import Database, to_db
from bot.core.delivery import Target, enqueue
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.render import message
from bot.events import model, reminders, rsvps
from bot.events.model import Event, Session

MAX_SESSIONS = 12
CANCEL_SESSION = "UPDATE event_session SET state = 'cancelled' WHERE id = ? AND state = 'scheduled'"
BUMP_SEQUENCE = "UPDATE event SET sequence = sequence + 1, updated_at = ? WHERE id = ?"


def check_session(
    event: Event,
    starts_at: datetime,
    ends_at: datetime | None,
    now: datetime,
    *,
    ignore: int | None = None,
) -> None:
    """Refuse a session or window in the past, ending before it starts, or overlapping another."""
    word = "window" if event.kind == "vote" else "session"
    if event.kind == "deadline":
        raise UserError("A deadline is a single moment: it has no sessions.")
    if starts_at < now:
        raise UserError(f"That {word} would start in the past: give a time in the future.")
    if ends_at is None or ends_at <= starts_at:
        closing = "close" if event.kind == "vote" else "end"
        raise UserError(f"The {word} must {closing} after it opens: give an `end` after `start`.")
    for s in event.sessions:
        if s.state != "scheduled" or s.id == ignore:
            continue
        other_end = s.ends_at or s.starts_at
        if starts_at < other_end and s.starts_at < ends_at:
            raise UserError(
                f"That {word} overlaps {word} {s.position} "
                f"({timeparse.format_local(s.starts_at, event.timezone)} to "
                f"{timeparse.format_local(other_end, event.timezone)}): pick another time."
            )


async def add_session(
    db: Database,
    guild_id: int,
    event_id: int,
    actor_id: int | None,
    starts_at: datetime,
    ends_at: datetime | None,
    place: str | None,
    now: datetime,
) -> tuple[Event, Session]:
    """Add a session (town hall) or window (vote); reminders follow in the same transaction."""
    async with db.transaction():
        event = await model.get(db, guild_id, event_id)
        if event.state != "scheduled":
            raise Conflict(f"Event #{event_id} was cancelled: it can't get new sessions.")
        if ends_at is None and event.kind == "townhall":
            ends_at = starts_at + model.DEFAULT_LENGTH
        check_session(event, starts_at, ends_at, now)
        live = [s for s in event.sessions if s.state == "scheduled"]
        if len(live) >= MAX_SESSIONS:
            raise UserError(f"An event has at most {MAX_SESSIONS} sessions.")
        where = model.clean_text(place, model.PLACE_MAX, "place or link") or None
        if event.kind == "townhall":
            where = where or event.session.place
        position = await db.fetchval(model.NEXT_POSITION, (event_id,))
        session_id = await db.execute(
            model.INSERT_SESSION, (event_id, position, to_db(starts_at), to_db(ends_at), where)
        )
        await db.execute(BUMP_SEQUENCE, (to_db(now), event_id))
        event = await model.get(db, guild_id, event_id)
        count = await reminders.reschedule(db, event, now)
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.session_add",
            f"event:{event_id}",
            f"session {session_id}; {count} reminders pending",
            now,
        )
    return event, next(s for s in event.sessions if s.id == session_id)


async def cancel_session(
    db: Database, guild_id: int, event_id: int, position: int, actor_id: int | None, now: datetime
) -> tuple[Event, Session, int]:
    """Cancel one session or occurrence (the others stay); its RSVP reminders stop and those
    who RSVPed are told by DM. Returns the event, the session and how many were told."""
    async with db.transaction():
        event = await model.get(db, guild_id, event_id)
        session = next((s for s in event.sessions if s.position == position), None)
        if session is None:
            raise NotFound(f"Event #{event_id} has no session {position}.")
        live = [s for s in event.sessions if s.state == "scheduled"]
        if session.state != "scheduled":
            raise Conflict(f"Session {position} was already cancelled.")
        if len(live) == 1:
            raise UserError(
                f"That is the event's only session: `/event cancel id: {event_id}` cancels it all."
            )
        await db.execute(CANCEL_SESSION, (session.id,))
        await db.execute(BUMP_SEQUENCE, (to_db(now), event_id))
        rows = await db.fetchall(rsvps.SESSION_RSVPS, (session.id,))
        for rowid, _ in rows:
            await timers.cancel_subject(db, rsvps.RSVP_TIMER, rowid)
        event = await model.get(db, guild_id, event_id)
        await reminders.reschedule(db, event, now)
        if rows:
            when = timeparse.discord_timestamp(session.starts_at, "F")
            await enqueue(
                db,
                guild_id,
                "event.session_cancel",
                message(
                    f"❌ The {when} session of **{event.title}** is cancelled. "
                    f"The other sessions go ahead: `/events show id: {event_id}`."
                ),
                [Target.dm(user_id) for _, user_id in rows],
                now,
                author_id=actor_id,
                subject=f"event:{event_id}",
            )
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.session_cancel",
            f"event:{event_id}",
            f"session {session.id}; {len(rows)} members told",
            now,
        )
    cancelled = next(s for s in event.sessions if s.id == session.id)
    return event, cancelled, len(rows)
