"""RSVPs per session (Going, Maybe, Not going) and the RSVP reminders.

Members RSVP per session, with a choice to show their name to organizers; organizers see
counts per session and per unit, and only the names of members who chose to show them.

RSVP reminders (timer kind `event.rsvp`, subject = the RSVP row): on the first Going or Maybe,
a DM at once with the session's .ics file (once per session: toggling Not going and Going
again does not send it again); then 24 hours and 1 hour before; for an online session a
"starting now" DM with the link 10 minutes before. Not going stops them; RSVPing to another
session of the same event moves them (one session per member per event).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core import limits, timeparse, timers, units
from bot.core.db import Database, to_db
from bot.core.delivery import Target, enqueue, file_part
from bot.core.errors import Conflict, UserError
from bot.core.render import message
from bot.events import calendar, model, reminders
from bot.events.model import Event, Session

log = logging.getLogger("rankfile.townhalls")

RSVP_TIMER = "event.rsvp"
STATUSES = ("going", "maybe", "not_going")
STATUS_LABEL = {"going": "Going", "maybe": "Maybe", "not_going": "Not going"}
# The RSVP reminder sequence: (step, offset before the session's start).
RSVP_STEPS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("1h", timedelta(hours=1)),
)
STARTING_NOW = ("now", timedelta(minutes=10))
URL = re.compile(r"https?://\S+")

# The member's RSVPs to the event's other sessions (moved away from when they pick another).
OTHER_RSVPS = (
    "SELECT r.rowid, r.session_id FROM event_rsvp r JOIN event_session s ON s.id = r.session_id "
    "WHERE s.event_id = ? AND r.user_id = ? AND r.session_id != ?"
)
DELETE_RSVP = "DELETE FROM event_rsvp WHERE rowid = ?"
PUT_RSVP = (
    "INSERT INTO event_rsvp (session_id, user_id, status, unit_id, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, user_id) DO UPDATE SET "
    "status = excluded.status, unit_id = coalesce(excluded.unit_id, event_rsvp.unit_id), "
    "updated_at = excluded.updated_at"
)
RSVP_ROW = "SELECT rowid, * FROM event_rsvp WHERE session_id = ? AND user_id = ?"
CALENDAR_SENT = "UPDATE event_rsvp SET calendar_sent_at = ? WHERE rowid = ?"
SET_SHOW_NAME = "UPDATE event_rsvp SET show_name = ? WHERE session_id = ? AND user_id = ?"
SET_UNIT = "UPDATE event_rsvp SET unit_id = ? WHERE session_id = ? AND user_id = ?"
SESSION_COUNTS = "SELECT status, count(*) FROM event_rsvp WHERE session_id = ? GROUP BY status"
UNIT_COUNTS = (
    "SELECT unit_id, status, count(*) FROM event_rsvp WHERE session_id = ? GROUP BY unit_id, status"
)
# Names only of members who chose to show them, and only Going or Maybe.
SHOWN_NAMES = (
    "SELECT user_id, status FROM event_rsvp WHERE session_id = ? AND show_name = 1 "
    "AND status != 'not_going' ORDER BY status, updated_at"
)
SESSION_RSVPS = (
    "SELECT rowid, user_id FROM event_rsvp WHERE session_id = ? AND status != 'not_going'"
)


@dataclass(frozen=True)
class SessionCounts:
    """What organizers see of one session: counts, per unit, and the names shown to them."""

    session: Session
    going: int
    maybe: int
    not_going: int
    per_unit: tuple[tuple[str, int, int], ...]  # (unit label, going, maybe)
    shown: tuple[tuple[int, str], ...]  # (user id, status) of members who chose to show


def is_online(place: str | None) -> bool:
    """An online session is one whose place is a link."""
    return bool(place and URL.search(place))


def link_of(place: str | None) -> str | None:
    """The link in a session's place, if any."""
    found = URL.search(place or "")
    return found.group(0) if found else None


async def rsvp_session(
    db: Database,
    session_id: int,
    user_id: int,
    status: str,
    now: datetime,
    unit_id: int | None = None,
) -> tuple[Event, Session, bool]:
    """Going / Maybe / Not going for one session.

    Going or Maybe to another session of the same event moves the member there (their other
    RSVP and its reminders go). Going or Maybe (re)starts the reminder sequence, beginning
    with a DM carrying the session's .ics file now; Not going stops it. Returns the event,
    the session and whether the member changed anything.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown RSVP status {status!r}")
    async with db.transaction():
        event, session = await model.get_session(db, session_id)
        if event.state != "scheduled" or session.state != "scheduled":
            raise Conflict(f"That session of {event.title} was cancelled.")
        if (session.ends_at or session.starts_at) < now:
            raise Conflict(f"That session of {event.title} is over.")
        if unit_id is None and len(event.unit_ids) == 1:
            unit_id = event.unit_ids[0]
        before = await db.fetchone(RSVP_ROW, (session_id, user_id))
        if before is not None and before["status"] == status:
            return event, session, False
        await limits.take(db, event.guild_id, user_id, "event.rsvp", now)
        if status != "not_going":
            for rowid, _ in await db.fetchall(OTHER_RSVPS, (event.id, user_id, session_id)):
                await timers.cancel_subject(db, RSVP_TIMER, rowid)
                await db.execute(DELETE_RSVP, (rowid,))
        await db.execute(PUT_RSVP, (session_id, user_id, status, unit_id, to_db(now)))
        row = await db.fetchone(RSVP_ROW, (session_id, user_id))
        await timers.cancel_subject(db, RSVP_TIMER, row["rowid"])
        if status != "not_going" and row["calendar_sent_at"] is None:
            await _start_sequence(db, event, session, user_id, row["rowid"], now)
        elif status != "not_going":
            await _schedule_steps(db, event, session, row["rowid"], now)
    return event, session, True


async def rsvp(db: Database, event_id: int, user_id: int, status: str, now: datetime) -> Event:
    """Going / Maybe / Not going for the event's next session (buttons posted before sessions
    had their own); rsvp_session does the work, reminders included."""
    event = await model.get_any(db, event_id)
    model.check_open(event, now)
    live = model.live_sessions(event, now)
    if not live:
        raise Conflict(f"{event.title} has no session left to RSVP to.")
    await rsvp_session(db, live[0].id, user_id, status, now)
    return event


async def set_show_name(db: Database, session_id: int, user_id: int, show: bool) -> bool:
    """Let organizers see this member's name for the session (or not); False without an RSVP."""
    return await db.execute(SET_SHOW_NAME, (1 if show else 0, session_id, user_id)) == 1


async def set_rsvp_unit(db: Database, session_id: int, user_id: int, unit_id: int) -> None:
    """The member's unit for an RSVP (counted per unit, never listed)."""
    event, _ = await model.get_session(db, session_id)
    if unit_id not in event.unit_ids:
        raise UserError("That unit is not one this event is for.")
    await db.execute(SET_UNIT, (unit_id, session_id, user_id))


async def _start_sequence(
    db: Database,
    event: Event,
    session: Session,
    user_id: int,
    rowid: int,
    now: datetime,
) -> None:
    """The confirmation DM with the session's .ics now, then the timed reminders."""
    when = timeparse.discord_timestamp(session.starts_at, "F")
    text = (
        f"✅ You're down for **{event.title}**, {when} "
        f"({timeparse.discord_timestamp(session.starts_at, 'R')})."
    )
    if session.place:
        text += f"\nWhere: {session.place}"
    text += "\nThe attached file adds it to your calendar. Reminders: 24 hours and 1 hour before"
    text += ", and a link 10 minutes before." if is_online(session.place) else "."
    payload = message(text)
    one = replace(event, sessions=(session,))
    payload["files"] = [
        file_part(f"event-{event.id}-{session.position}.ics", calendar.calendar([one]))
    ]
    await enqueue(
        db,
        event.guild_id,
        "event.rsvp",
        payload,
        [Target.dm(user_id)],
        now,
        subject=f"event:{event.id}",
    )
    await db.execute(CALENDAR_SENT, (to_db(now), rowid))
    await _schedule_steps(db, event, session, rowid, now)


async def _schedule_steps(
    db: Database, event: Event, session: Session, rowid: int, now: datetime
) -> int:
    steps = list(RSVP_STEPS)
    if is_online(session.place):
        steps.append(STARTING_NOW)
    count = 0
    for step, before in steps:
        due = session.starts_at - before
        if due < now:
            continue
        await timers.schedule(
            db,
            event.guild_id,
            RSVP_TIMER,
            rowid,
            due,
            now,
            useful_until=session.ends_at if step == "now" else session.starts_at,
            payload={"session_id": session.id, "step": step},
        )
        count += 1
    return count


async def reschedule_rsvps(db: Database, event: Event, now: datetime) -> None:
    """After an edit moved sessions: every RSVP's reminders follow its session's new time."""
    for session in event.sessions:
        for rowid, _ in await db.fetchall(SESSION_RSVPS, (session.id,)):
            await timers.cancel_subject(db, RSVP_TIMER, rowid)
            if event.state == "scheduled" and session.state == "scheduled":
                await _schedule_steps(db, event, session, rowid, now)


async def _fire_rsvp(db: Database, timer: timers.Timer, now: datetime) -> None:
    """One step of a member's RSVP reminders, by DM."""
    row = await db.fetchone("SELECT rowid, * FROM event_rsvp WHERE rowid = ?", (timer.subject_id,))
    if row is None or row["status"] == "not_going" or row["user_id"] <= 0:
        return  # no RSVP, not going, or the member deleted their data (an anonymous count)
    event, session = await model.get_session(db, row["session_id"])
    if event.state != "scheduled" or session.state != "scheduled":
        return
    if await reminders.will_remind(db, event.id, row["user_id"], session.id, timer.due_at):
        # Going and Remind me both: the event's reminder of this moment is the one DM.
        log.info("rsvp reminder %s left to the event's reminder", timer.id)
        return
    title = f"**{event.title}**"
    when = timeparse.discord_timestamp(session.starts_at, "R")
    if timer.payload.get("step") == "now":
        text = f"🔴 Starting now: {title}. Join here: {link_of(session.place) or session.place}"
    else:
        full = timeparse.discord_timestamp(session.starts_at, "F")
        text = f"📅 Reminder: {title} starts {when} ({full})."
        if session.place:
            text += f"\nWhere: {session.place}"
    if timer.late:
        text += "\n_Sent late: the bot could not send this reminder on time._"
    text += "\nCan't make it? Press Not going on the event and these reminders stop."
    await enqueue(
        db,
        event.guild_id,
        "event.rsvp",
        message(text),
        [Target.dm(row["user_id"])],
        now,
        subject=f"event:{event.id}",
    )
    log.info("rsvp reminder %s for session %s queued", timer.id, session.id)


async def rsvp_counts(db: Database, guild_id: int, event_id: int) -> list[SessionCounts]:
    """Per session: Going / Maybe / Not going, per unit, and names shown by choice."""
    event = await model.get(db, guild_id, event_id)
    labels = {u: (await units.get(db, guild_id, u)).label for u in event.unit_ids}
    result = []
    for session in event.sessions:
        totals = dict(await db.fetchall(SESSION_COUNTS, (session.id,)))
        per: dict[Any, dict[str, int]] = {}
        for unit_id, status, n in await db.fetchall(UNIT_COUNTS, (session.id,)):
            per.setdefault(unit_id, {})[status] = n
        per_unit = tuple(
            (
                labels.get(u, "Unit not given") if u is not None else "Unit not given",
                per.get(u, {}).get("going", 0),
                per.get(u, {}).get("maybe", 0),
            )
            for u in [*event.unit_ids, *([None] if None in per else [])]
        )
        shown = tuple((r[0], r[1]) for r in await db.fetchall(SHOWN_NAMES, (session.id,)))
        result.append(
            SessionCounts(
                session,
                int(totals.get("going", 0)),
                int(totals.get("maybe", 0)),
                int(totals.get("not_going", 0)),
                per_unit,
                shown,
            )
        )
    return result


# Timer kinds handled here; bot.events.TIMERS collects them for bot.wiring.
TIMERS: dict[str, timers.Handler] = {RSVP_TIMER: _fire_rsvp}
