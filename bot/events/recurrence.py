"""Recurring meetings: a town hall that repeats weekly, every two weeks or monthly.

Its next occurrences are sessions (each with its own RSVPs and reminders); a timer at the end
of the next one keeps UPCOMING_OCCURRENCES ahead, and the cog mirrors new ones as Discord
scheduled events (SYNC_TOPIC).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.core import timeparse, timers
from bot.core.db import Database, to_db
from bot.core.errors import UserError
from bot.events import model, reminders
from bot.events.model import Event

RECUR_TIMER = "event.recur"
SYNC_TOPIC = "events.sync"  # the cog mirrors new occurrences as Discord scheduled events
UPCOMING_OCCURRENCES = 4
REPEATS = ("weekly", "biweekly", "monthly")
SET_RECURRENCE = "UPDATE event SET recurrence = ? WHERE id = ?"
UNSYNCED = (
    "SELECT DISTINCT e.id, e.guild_id FROM event e JOIN event_session s ON s.event_id = e.id "
    "WHERE e.kind = 'townhall' AND e.state = 'scheduled' AND s.state = 'scheduled' "
    "AND s.discord_event_id IS NULL AND s.starts_at > ? ORDER BY e.id"
)


def occurrence(rule: dict[str, Any], index: int) -> tuple[datetime, datetime]:
    """The `index`-th occurrence (0 = the first) as UTC (start, end), computed on the wall
    clock of the event's zone so that noon stays noon across DST changes."""
    zone = timeparse.parse_zone(rule["zone"])
    first = datetime.fromisoformat(rule["start"])  # naive local wall time
    if rule["freq"] in ("weekly", "biweekly"):
        step = 7 if rule["freq"] == "weekly" else 14
        day = first.date() + timedelta(days=step * index)
    else:
        month0 = first.month - 1 + index
        year, month = first.year + month0 // 12, month0 % 12 + 1
        start_of_month = date(year, month, 1)
        shift = (rule["weekday"] - start_of_month.weekday()) % 7
        day = start_of_month + timedelta(days=shift + 7 * (rule["nth"] - 1))
    starts = datetime.combine(day, time(first.hour, first.minute), tzinfo=zone).astimezone(UTC)
    return starts, starts + timedelta(seconds=rule["length"])


def make_rule(freq: str, starts_at: datetime, ends_at: datetime, zone: str) -> dict[str, Any]:
    """A repeat rule from the first occurrence: weekly, every two weeks, or monthly on the
    same nth weekday (the 1st to 4th; a 5th is refused since not every month has one)."""
    if freq not in REPEATS:
        raise UserError("Repeat is `weekly`, `biweekly` (every two weeks) or `monthly`.")
    local = starts_at.astimezone(timeparse.parse_zone(zone))
    nth = (local.day - 1) // 7 + 1
    if freq == "monthly" and nth > 4:
        raise UserError(
            "A monthly meeting repeats on the 1st to 4th weekday of the month; this date is "
            "a 5th one, which most months lack. Pick an earlier date."
        )
    return {
        "freq": freq,
        "zone": zone,
        "start": local.replace(tzinfo=None).isoformat(),
        "length": int((ends_at - starts_at).total_seconds()),
        "nth": nth,
        "weekday": local.weekday(),
        "made": 1,
    }


async def make_recurring(
    db: Database, guild_id: int, event_id: int, freq: str, now: datetime
) -> Event:
    """Turn a new town hall into a recurring meeting: its next occurrences become sessions
    (each with its own RSVPs and reminders) and a timer keeps them topped up."""
    async with db.transaction():
        event = await model.get(db, guild_id, event_id)
        if event.kind != "townhall":
            raise UserError("Only town halls and meetings can repeat.")
        rule = make_rule(freq, event.session.starts_at, event.closes_at, event.timezone)
        await db.execute(SET_RECURRENCE, (json.dumps(rule), event_id))
        # The creating organizer's reply mirrors these occurrences itself: no notify.
        event = await _top_up(db, await model.get(db, guild_id, event_id), now, notify=False)
    return event


async def _top_up(db: Database, event: Event, now: datetime, *, notify: bool = True) -> Event:
    """Add occurrences until UPCOMING_OCCURRENCES are ahead; timer at the next one's end."""
    rule = dict(event.recurrence or {})
    upcoming = [s for s in event.sessions if s.starts_at > now]
    while len(upcoming) < UPCOMING_OCCURRENCES:
        starts, ends = occurrence(rule, rule["made"])
        rule["made"] += 1
        position = await db.fetchval(model.NEXT_POSITION, (event.id,))
        await db.execute(
            model.INSERT_SESSION,
            (event.id, position, to_db(starts), to_db(ends), event.session.place),
        )
        upcoming.append(None)  # type: ignore[arg-type]
    await db.execute(SET_RECURRENCE, (json.dumps(rule), event.id))
    event = await model.get_any(db, event.id)
    await reminders.reschedule(db, event, now)
    await timers.cancel_subject(db, RECUR_TIMER, event.id)
    live = [s for s in model.live_sessions(event, now) if (s.ends_at or s.starts_at) > now]
    if live:
        await timers.schedule(
            db, event.guild_id, RECUR_TIMER, event.id, live[0].ends_at or live[0].starts_at, now
        )
    if notify:
        db.notify(SYNC_TOPIC)
    return event


async def _recur(db: Database, timer: timers.Timer, now: datetime) -> None:
    """An occurrence ended: add the next ones (their Discord scheduled events follow)."""
    event = await model.get_any(db, int(timer.subject_id or 0))
    if event.state == "scheduled" and event.recurrence:
        await _top_up(db, event, now)


async def unsynced(db: Database, now: datetime) -> list[Event]:
    """Town halls with an upcoming session not yet mirrored as a Discord scheduled event."""
    rows = await db.fetchall(UNSYNCED, (to_db(now),))
    return [await model.get(db, r[1], r[0]) for r in rows]


# Timer kinds handled here; bot.events.TIMERS collects them for bot.wiring.
TIMERS: dict[str, timers.Handler] = {RECUR_TIMER: _recur}
