"""Town halls as unions run them: several sessions, RSVPs per session, the RSVP reminders.

A town hall (bot.events, kind `townhall`) may have several sessions at different times, each
with its own place or link and its own Discord scheduled event (the cog keeps them in step).
A vote's windows are sessions too, added the same way. Members RSVP per session: Going,
Maybe, Not going, with a choice to show their name to organizers; organizers see counts per
session and per unit, and only the names of members who chose to show them.

RSVP reminders (timer kind `event.rsvp`, subject = the RSVP row): on Going or Maybe, a DM at
once with the session's .ics file; then 24 hours and 1 hour before; for an online session a
"starting now" DM with the link 10 minutes before. Not going stops them; RSVPing to another
session of the same event moves them (one session per member per event).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import events
from bot.core import audit, timeparse, timers, units
from bot.core.db import Database, to_db
from bot.core.delivery import Target, enqueue, file_part
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.render import message
from bot.events import calendar as calendar_ics

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
MAX_SESSIONS = 12
URL = re.compile(r"https?://\S+")

# custom_ids of the per-session RSVP buttons and the show-my-name toggle.
RSVP_PATTERN = r"rsvp:(?P<status>going|maybe|notgoing):(?P<session_id>[0-9]+)"
NAME_PATTERN = r"rsvp:name:(?P<show>[01]):(?P<session_id>[0-9]+)"
RSVP_UNIT_PATTERN = r"rsvp:unit:(?P<session_id>[0-9]+)"

GET_SESSION = "SELECT * FROM event_session WHERE id = ?"
NEXT_POSITION = "SELECT coalesce(max(position), 0) + 1 FROM event_session WHERE event_id = ?"
INSERT_SESSION = (
    "INSERT INTO event_session (event_id, position, starts_at, ends_at, place) "
    "VALUES (?, ?, ?, ?, ?)"
)
CANCEL_SESSION = "UPDATE event_session SET state = 'cancelled' WHERE id = ? AND state = 'scheduled'"
BUMP_SEQUENCE = "UPDATE event SET sequence = sequence + 1, updated_at = ? WHERE id = ?"
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

    session: events.Session
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


def session_label(session: events.Session, zone: str) -> str:
    """A session as a button or list shows it: its local day and time (no markup)."""
    local = session.starts_at.astimezone(timeparse.parse_zone(zone))
    return local.strftime("%a %b %-d, %-I:%M %p").replace(":00 ", " ")


async def get_session(db: Database, session_id: int) -> tuple[events.Event, events.Session]:
    """A session and its event, or NotFound."""
    row = await db.fetchone(GET_SESSION, (session_id,))
    if row is None:
        raise NotFound("That session no longer exists.")
    event = await events.get_any(db, row["event_id"])
    session = next(s for s in event.sessions if s.id == session_id)
    return event, session


def live_sessions(event: events.Event, now: datetime) -> list[events.Session]:
    """Sessions not cancelled and not over, soonest first."""
    return sorted(
        (s for s in event.sessions if s.state == "scheduled" and (s.ends_at or s.starts_at) >= now),
        key=lambda s: s.starts_at,
    )


def check_session(
    event: events.Event,
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
) -> tuple[events.Event, events.Session]:
    """Add a session (town hall) or window (vote); reminders follow in the same transaction."""
    async with db.transaction():
        event = await events.get(db, guild_id, event_id)
        if event.state != "scheduled":
            raise Conflict(f"Event #{event_id} was cancelled: it can't get new sessions.")
        if ends_at is None and event.kind == "townhall":
            ends_at = starts_at + events.DEFAULT_LENGTH
        check_session(event, starts_at, ends_at, now)
        live = [s for s in event.sessions if s.state == "scheduled"]
        if len(live) >= MAX_SESSIONS:
            raise UserError(f"An event has at most {MAX_SESSIONS} sessions.")
        where = events._clean_text(place, events.PLACE_MAX, "place or link") or None
        if event.kind == "townhall":
            where = where or event.session.place
        position = await db.fetchval(NEXT_POSITION, (event_id,))
        session_id = await db.execute(
            INSERT_SESSION, (event_id, position, to_db(starts_at), to_db(ends_at), where)
        )
        await db.execute(BUMP_SEQUENCE, (to_db(now), event_id))
        event = await events.get(db, guild_id, event_id)
        count = await events.reschedule(db, event, now)
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
) -> tuple[events.Event, events.Session, int]:
    """Cancel one session or occurrence (the others stay); its RSVP reminders stop and those
    who RSVPed are told by DM. Returns the event, the session and how many were told."""
    async with db.transaction():
        event = await events.get(db, guild_id, event_id)
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
        rows = await db.fetchall(SESSION_RSVPS, (session.id,))
        for rowid, _ in rows:
            await timers.cancel_subject(db, RSVP_TIMER, rowid)
        event = await events.get(db, guild_id, event_id)
        await events.reschedule(db, event, now)
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


# -- RSVPs -----------------------------------------------------------------------------------


async def rsvp(
    db: Database,
    session_id: int,
    user_id: int,
    status: str,
    now: datetime,
    unit_id: int | None = None,
) -> tuple[events.Event, events.Session, bool]:
    """Going / Maybe / Not going for one session.

    Going or Maybe to another session of the same event moves the member there (their other
    RSVP and its reminders go). Going or Maybe (re)starts the reminder sequence, beginning
    with a DM carrying the session's .ics file now; Not going stops it. Returns the event,
    the session and whether the member changed anything.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown RSVP status {status!r}")
    async with db.transaction():
        event, session = await get_session(db, session_id)
        if event.state != "scheduled" or session.state != "scheduled":
            raise Conflict(f"That session of {event.title} was cancelled.")
        if (session.ends_at or session.starts_at) < now:
            raise Conflict(f"That session of {event.title} is over.")
        if unit_id is None and len(event.unit_ids) == 1:
            unit_id = event.unit_ids[0]
        before = await db.fetchone(RSVP_ROW, (session_id, user_id))
        if before is not None and before["status"] == status:
            return event, session, False
        if status != "not_going":
            for rowid, _ in await db.fetchall(OTHER_RSVPS, (event.id, user_id, session_id)):
                await timers.cancel_subject(db, RSVP_TIMER, rowid)
                await db.execute(DELETE_RSVP, (rowid,))
        await db.execute(PUT_RSVP, (session_id, user_id, status, unit_id, to_db(now)))
        row = await db.fetchone(RSVP_ROW, (session_id, user_id))
        await timers.cancel_subject(db, RSVP_TIMER, row["rowid"])
        if status != "not_going" and (before is None or before["status"] == "not_going"):
            await _start_sequence(db, event, session, user_id, row["rowid"], now)
        elif status != "not_going":
            await _schedule_steps(db, event, session, row["rowid"], now)
    return event, session, True


async def set_show_name(db: Database, session_id: int, user_id: int, show: bool) -> bool:
    """Let organizers see this member's name for the session (or not); False without an RSVP."""
    return await db.execute(SET_SHOW_NAME, (1 if show else 0, session_id, user_id)) == 1


async def set_unit(db: Database, session_id: int, user_id: int, unit_id: int) -> None:
    """The member's unit for an RSVP (counted per unit, never listed)."""
    event, _ = await get_session(db, session_id)
    if unit_id not in event.unit_ids:
        raise UserError("That unit is not one this event is for.")
    await db.execute(SET_UNIT, (unit_id, session_id, user_id))


async def _start_sequence(
    db: Database,
    event: events.Event,
    session: events.Session,
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
        file_part(f"event-{event.id}-{session.position}.ics", calendar_ics.calendar([one]))
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
    await _schedule_steps(db, event, session, rowid, now)


async def _schedule_steps(
    db: Database, event: events.Event, session: events.Session, rowid: int, now: datetime
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


async def reschedule_session(db: Database, event: events.Event, now: datetime) -> None:
    """After an edit moved sessions: every RSVP's reminders follow its session's new time."""
    for session in event.sessions:
        for rowid, _ in await db.fetchall(SESSION_RSVPS, (session.id,)):
            await timers.cancel_subject(db, RSVP_TIMER, rowid)
            if event.state == "scheduled" and session.state == "scheduled":
                await _schedule_steps(db, event, session, rowid, now)


async def _fire_rsvp(db: Database, timer: timers.Timer, now: datetime) -> None:
    """One step of a member's RSVP reminders, by DM."""
    row = await db.fetchone("SELECT rowid, * FROM event_rsvp WHERE rowid = ?", (timer.subject_id,))
    if row is None or row["status"] == "not_going":
        return
    event, session = await get_session(db, row["session_id"])
    if event.state != "scheduled" or session.state != "scheduled":
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


# -- organizers -------------------------------------------------------------------------------


async def counts(db: Database, guild_id: int, event_id: int) -> list[SessionCounts]:
    """Per session: Going / Maybe / Not going, per unit, and names shown by choice."""
    event = await events.get(db, guild_id, event_id)
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


def rsvp_buttons(event: events.Event, now: datetime) -> list[dict[str, Any]]:
    """One row per upcoming session (at most 4): Going, Maybe, Not going."""
    if event.state != "scheduled" or event.kind == "deadline":
        return []
    sessions = live_sessions(event, now)[:4]
    rows = []
    for s in sessions:
        suffix = f" · {session_label(s, event.timezone)}" if len(sessions) > 1 else ""
        rows.append(
            {
                "type": 1,
                "components": [
                    _button(f"rsvp:going:{s.id}", f"Going{suffix}", 3),
                    _button(f"rsvp:maybe:{s.id}", "Maybe", 2),
                    _button(f"rsvp:notgoing:{s.id}", "Not going", 2),
                ],
            }
        )
    return rows


def name_button(session_id: int, show: bool) -> dict[str, Any]:
    """The toggle offered after an RSVP: show (or hide) my name to organizers."""
    label = "Show my name to organizers" if show else "Hide my name from organizers"
    return _button(f"rsvp:name:{1 if show else 0}:{session_id}", label, 2)


def _button(custom_id: str, label: str, style: int) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label[:80], "custom_id": custom_id}


# -- recurring meetings -----------------------------------------------------------------------

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
    from datetime import date, time

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
) -> events.Event:
    """Turn a new town hall into a recurring meeting: its next occurrences become sessions
    (each with its own RSVPs and reminders) and a timer keeps them topped up."""
    async with db.transaction():
        event = await events.get(db, guild_id, event_id)
        if event.kind != "townhall":
            raise UserError("Only town halls and meetings can repeat.")
        rule = make_rule(freq, event.session.starts_at, event.closes_at, event.timezone)
        await db.execute(SET_RECURRENCE, (json.dumps(rule), event_id))
        # The creating organizer's reply mirrors these occurrences itself: no notify.
        event = await _top_up(db, await events.get(db, guild_id, event_id), now, notify=False)
    return event


async def _top_up(
    db: Database, event: events.Event, now: datetime, *, notify: bool = True
) -> events.Event:
    """Add occurrences until UPCOMING_OCCURRENCES are ahead; timer at the next one's end."""
    rule = dict(event.recurrence or {})
    upcoming = [s for s in event.sessions if s.starts_at > now]
    while len(upcoming) < UPCOMING_OCCURRENCES:
        starts, ends = occurrence(rule, rule["made"])
        rule["made"] += 1
        position = await db.fetchval(NEXT_POSITION, (event.id,))
        await db.execute(
            INSERT_SESSION,
            (event.id, position, to_db(starts), to_db(ends), event.session.place),
        )
        upcoming.append(None)  # type: ignore[arg-type]
    await db.execute(SET_RECURRENCE, (json.dumps(rule), event.id))
    event = await events.get_any(db, event.id)
    await events.reschedule(db, event, now)
    await timers.cancel_subject(db, RECUR_TIMER, event.id)
    live = [s for s in live_sessions(event, now) if (s.ends_at or s.starts_at) > now]
    if live:
        await timers.schedule(
            db, event.guild_id, RECUR_TIMER, event.id, live[0].ends_at or live[0].starts_at, now
        )
    if notify:
        db.notify(SYNC_TOPIC)
    return event


async def _recur(db: Database, timer: timers.Timer, now: datetime) -> None:
    """An occurrence ended: add the next ones (their Discord scheduled events follow)."""
    event = await events.get_any(db, int(timer.subject_id or 0))
    if event.state == "scheduled" and event.recurrence:
        await _top_up(db, event, now)


async def unsynced(db: Database, now: datetime) -> list[events.Event]:
    """Town halls with an upcoming session not yet mirrored as a Discord scheduled event."""
    rows = await db.fetchall(UNSYNCED, (to_db(now),))
    return [await events.get(db, r[1], r[0]) for r in rows]


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {RSVP_TIMER: _fire_rsvp, RECUR_TIMER: _recur}
