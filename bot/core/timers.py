"""Timers: everything that must happen at a time is a row (due time in UTC, state).

The database is the only truth. A due timer is claimed with one conditional UPDATE in the
same transaction as whatever its handler writes (usually a broadcast for the delivery
engine), so it fires once however many schedulers or restarts race for it. The rule for
late timers: one that comes due while the bot was down is still fired (with `late` set, so
the message can say so) while it is useful, i.e. before its `useful_until`; after that it is
marked `missed`, never silently dropped, never sent twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.db import Database, from_db, to_db

log = logging.getLogger("rankfile.timers")

# A timer fired more than this after its due time counts as late ("sent late" note).
LATE_AFTER = timedelta(minutes=2)

INSERT = (
    "INSERT INTO timer (guild_id, kind, subject_id, due_at, useful_until, payload, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
GET = "SELECT * FROM timer WHERE id = ?"
CLAIM = (
    "UPDATE timer SET state = 'fired', fired_at = ?, late = ? "
    "WHERE id = ? AND state = 'pending' AND due_at <= ?"
)
MISS = "UPDATE timer SET state = 'missed', fired_at = ? WHERE id = ? AND state = 'pending'"
FAIL = "UPDATE timer SET state = 'failed', fired_at = ? WHERE id = ? AND state = 'pending'"
CANCEL_SUBJECT = (
    "UPDATE timer SET state = 'cancelled' WHERE kind = ? AND subject_id = ? AND state = 'pending'"
)
CANCEL_ONE = "UPDATE timer SET state = 'cancelled' WHERE id = ? AND state = 'pending'"
DUE = "SELECT id FROM timer WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?"
WITHIN = "SELECT id, due_at FROM timer WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id"
NEXT_DUE = "SELECT min(due_at) FROM timer WHERE state = 'pending'"
FOR_SUBJECT = "SELECT * FROM timer WHERE kind = ? AND subject_id = ? ORDER BY due_at, id"
COUNT_PENDING = "SELECT count(*) FROM timer WHERE state = 'pending'"


@dataclass(frozen=True)
class Timer:
    """One scheduled thing."""

    id: int
    guild_id: int
    kind: str
    subject_id: int | None
    due_at: datetime
    useful_until: datetime | None
    payload: dict[str, Any]
    state: str
    late: bool = False
    fired_at: datetime | None = None


Handler = Callable[[Database, Timer, datetime], Awaitable[None]]
_HANDLERS: dict[str, Handler] = {}


def register(kind: str, func: Handler) -> None:
    """Register the function that acts when a timer of `kind` fires (inside its transaction).

    Called at start-up by bot.wiring, never on import."""
    _HANDLERS[kind] = func


def _from_row(row: Any) -> Timer:
    return Timer(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        subject_id=row["subject_id"],
        due_at=from_db(row["due_at"]),  # type: ignore[arg-type]
        useful_until=from_db(row["useful_until"]),
        payload=json.loads(row["payload"]),
        state=row["state"],
        late=bool(row["late"]),
        fired_at=from_db(row["fired_at"]),
    )


async def schedule(
    db: Database,
    guild_id: int,
    kind: str,
    subject_id: int | None,
    due_at: datetime,
    now: datetime,
    *,
    useful_until: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Write a pending timer; the scheduler picks it up after the transaction commits."""
    timer_id = await db.execute(
        INSERT,
        (
            guild_id,
            kind,
            subject_id,
            to_db(due_at),
            to_db(useful_until) if useful_until else None,
            json.dumps(payload or {}),
            to_db(now),
        ),
    )
    db.notify("timers")
    return timer_id


async def cancel_subject(db: Database, kind: str, subject_id: int) -> int:
    """Cancel the pending timers of one subject (an event's reminders); return how many."""
    count = await db.execute(CANCEL_SUBJECT, (kind, subject_id))
    db.notify("timers")
    return count


async def cancel(db: Database, timer_id: int) -> bool:
    """Cancel one pending timer; False when it had already fired or was cancelled."""
    changed = await db.execute(CANCEL_ONE, (timer_id,)) == 1
    db.notify("timers")
    return changed


async def get(db: Database, timer_id: int) -> Timer | None:
    """One timer by id."""
    row = await db.fetchone(GET, (timer_id,))
    return _from_row(row) if row else None


async def for_subject(db: Database, kind: str, subject_id: int) -> list[Timer]:
    """Every timer of one subject, in due order, whatever its state."""
    return [_from_row(r) for r in await db.fetchall(FOR_SUBJECT, (kind, subject_id))]


async def due_ids(db: Database, now: datetime, limit: int = 500) -> list[int]:
    """Ids of pending timers due at `now`, oldest first."""
    return [r[0] for r in await db.fetchall(DUE, (to_db(now), limit))]


async def pending_until(db: Database, until: datetime) -> list[tuple[int, datetime]]:
    """(id, due time) of every pending timer due by `until` (the scheduler's horizon)."""
    rows = await db.fetchall(WITHIN, (to_db(until),))
    return [(r[0], from_db(r[1])) for r in rows]  # type: ignore[misc]


async def next_due(db: Database) -> datetime | None:
    """When the next pending timer is due, if any."""
    return from_db(await db.fetchval(NEXT_DUE))


async def pending_count(db: Database) -> int:
    """How many timers are pending."""
    return int(await db.fetchval(COUNT_PENDING, (), 0))


async def fire(db: Database, timer_id: int, now: datetime) -> str | None:
    """Claim and run one due timer; return 'fired', 'missed', 'failed', or None if not ours.

    The claim and the handler's writes commit together; a handler that raises leaves the
    timer 'failed' (logged without personal data) rather than retrying forever.
    """
    try:
        async with db.transaction():
            row = await db.fetchone(GET, (timer_id,))
            if row is None or row["state"] != "pending":
                return None
            timer = _from_row(row)
            if timer.due_at > now:
                return None
            if timer.useful_until is not None and now >= timer.useful_until:
                await db.execute(MISS, (to_db(now), timer_id))
                return "missed"
            late = now - timer.due_at > LATE_AFTER
            if await db.execute(CLAIM, (to_db(now), int(late), timer_id, to_db(now))) != 1:
                return None
            func = _HANDLERS.get(timer.kind)
            if func is None:
                raise LookupError(f"no handler for timer kind {timer.kind!r}")
            await func(db, replace(timer, late=late, state="fired", fired_at=now), now)
            return "fired"
    except Exception:
        log.exception("timer %s could not fire; marked failed", timer_id)
        async with db.transaction():
            await db.execute(FAIL, (to_db(now), timer_id))
        return "failed"
