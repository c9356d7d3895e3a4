"""Events: town halls, votes and deadlines, with reminders that fire once, on time.

An event has a kind (`townhall`, `vote`, `deadline`) and one or more sessions: a town hall's
session is its time and place (mirrored by a Discord scheduled event), a vote's session is
one window (opens, closes), a deadline's is its single moment. Each reminder is a timer row
(`event.reminder`, subject = the event id) due at an offset before the start (town hall,
deadline) or before the final close (vote; `open` means at a window's opening), useful until
the event starts or the vote closes: one missed while the bot was down is sent late with a
note while still useful, and marked missed otherwise (bot.timers). Editing or cancelling an
event reschedules or cancels its pending reminders in the same transaction.

Privacy: who pressed Remind me, who RSVPed and who said they voted are personal data. They
are used to send that member's DMs and to count; organizers see counts only, and nothing
here logs them. The "I voted" flag exists only to stop that member's reminders.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.core import audit, guild_settings, timeparse, timers, units
from bot.core.db import Database, from_db, to_db
from bot.core.delivery import Target, enqueue
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.render import Colour, embed, message

log = logging.getLogger("rankfile.events")

KINDS = ("townhall", "vote", "deadline")
KIND_LABEL = {"townhall": "Town hall", "vote": "Vote", "deadline": "Deadline"}
TIMER_KIND = "event.reminder"
OPEN = "open"  # the reminder at a vote window's opening

# Discord's limits for a scheduled event (name 100, description 1000, location 100).
TITLE_MAX = 100
DESCRIPTION_MAX = 1000
PLACE_MAX = 100
REASON_MAX = 300
HOW_TO_VOTE_MAX = 500
OFFSETS_MAX = 8
OFFSET_LONGEST = timedelta(days=90)
# A town hall typed without an end lasts this long (Discord needs an end for external events).
DEFAULT_LENGTH = timedelta(hours=1)

DEFAULT_OFFSETS: dict[str, tuple[int | str, ...]] = {
    "townhall": (7 * 86400, 86400, 3600),
    "vote": (OPEN, 3 * 86400, 86400, 3 * 3600),
    "deadline": (7 * 86400, 86400),
}

# custom_ids of the persistent buttons (cogs/events.py registers DynamicItems matching them).
BUTTON_ID = "event:{action}:{event_id}"
BUTTON_PATTERN = r"event:(?P<action>remind|going|notgoing|voted):(?P<event_id>[0-9]+)"
# The unit select shown after I voted on a vote for several units (counts per unit only).
UNIT_SELECT_PATTERN = r"event:unit:(?P<event_id>[0-9]+)"

INSERT_EVENT = (
    "INSERT INTO event (guild_id, kind, title, description, timezone, reminder_offsets, "
    "how_to_vote, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_SESSION = (
    "INSERT INTO event_session (event_id, position, starts_at, ends_at, place) "
    "VALUES (?, ?, ?, ?, ?)"
)
INSERT_UNIT = "INSERT INTO event_unit (event_id, unit_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
DELETE_UNITS = "DELETE FROM event_unit WHERE event_id = ?"
GET_EVENT = "SELECT * FROM event WHERE id = ? AND guild_id = ?"
GET_EVENT_ANY = "SELECT * FROM event WHERE id = ?"
SESSIONS = "SELECT * FROM event_session WHERE event_id = ? ORDER BY position"
UNIT_IDS = "SELECT unit_id FROM event_unit WHERE event_id = ? ORDER BY unit_id"
ROLE_IDS = "SELECT role_id FROM event_role WHERE event_id = ? ORDER BY role_id"
INSERT_ROLE = "INSERT INTO event_role (event_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
DELETE_ROLES = "DELETE FROM event_role WHERE event_id = ?"
VOTE_CLOSE_TIMER = "vote.close"
# The anonymous tally (no member id) and the flag's link to it, kept only while voting is open.
INSERT_TALLY = "INSERT INTO vote_tally (event_id, unit_id, at) VALUES (?, ?, ?)"
SET_TALLY_UNIT = (
    "UPDATE vote_tally SET unit_id = ? WHERE id = "
    "(SELECT tally_id FROM vote_voted WHERE event_id = ? AND user_id = ?)"
)
SET_FLAG_TALLY = "UPDATE vote_voted SET tally_id = ? WHERE event_id = ? AND user_id = ?"
TALLY_PER_UNIT = (
    "SELECT unit_id, count(*) FROM vote_tally WHERE event_id = ? GROUP BY unit_id ORDER BY unit_id"
)
TALLY_SERIES = "SELECT at, unit_id FROM vote_tally WHERE event_id = ? ORDER BY at, id"
DELETE_FLAGS = "DELETE FROM vote_voted WHERE event_id = ?"
SET_THREAD = "UPDATE event SET thread_id = ? WHERE id = ?"
UPCOMING = (
    "SELECT e.id FROM event e JOIN event_session s ON s.event_id = e.id "
    "WHERE e.guild_id = ? AND e.state = 'scheduled' AND s.state = 'scheduled' "
    "AND coalesce(s.ends_at, s.starts_at) >= ? "
    "GROUP BY e.id ORDER BY min(s.starts_at), e.id LIMIT ?"
)
ALL_FOR_GUILD = "SELECT id FROM event WHERE guild_id = ? ORDER BY id"
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
SET_OFFSETS = "UPDATE event SET reminder_offsets = ?, updated_at = ? WHERE id = ? AND guild_id = ?"
GET_DEFAULT = "SELECT offsets FROM event_reminder_default WHERE guild_id = ? AND kind = ?"
PUT_DEFAULT = (
    "INSERT INTO event_reminder_default (guild_id, kind, offsets) VALUES (?, ?, ?) "
    "ON CONFLICT (guild_id, kind) DO UPDATE SET offsets = excluded.offsets"
)
SUBSCRIBE = (
    "INSERT INTO event_subscriber (event_id, user_id, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
UNSUBSCRIBE = "DELETE FROM event_subscriber WHERE event_id = ? AND user_id = ?"
IS_SUBSCRIBED = "SELECT 1 FROM event_subscriber WHERE event_id = ? AND user_id = ?"
SUBSCRIBERS = "SELECT user_id FROM event_subscriber WHERE event_id = ? ORDER BY user_id"
# Reminder DMs skip members who said they voted (for a vote): one query, no list leaves it.
REMIND_DMS = (
    "SELECT s.user_id FROM event_subscriber s WHERE s.event_id = ? AND NOT EXISTS "
    "(SELECT 1 FROM vote_voted v WHERE v.event_id = s.event_id AND v.user_id = s.user_id) "
    "ORDER BY s.user_id"
)
COUNT_SUBSCRIBERS = "SELECT count(*) FROM event_subscriber WHERE event_id = ?"
PUT_RSVP = (
    "INSERT INTO event_rsvp (session_id, user_id, status, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (session_id, user_id) DO UPDATE SET status = excluded.status, "
    "updated_at = excluded.updated_at"
)
RSVP_COUNTS = (
    "SELECT r.status, count(*) FROM event_rsvp r JOIN event_session s ON s.id = r.session_id "
    "WHERE s.event_id = ? GROUP BY r.status"
)
PUT_VOTED = (
    "INSERT INTO vote_voted (event_id, user_id, unit_id, at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (event_id, user_id) DO UPDATE SET "
    "unit_id = coalesce(excluded.unit_id, vote_voted.unit_id)"
)
HAS_VOTED = "SELECT 1 FROM vote_voted WHERE event_id = ? AND user_id = ?"
VOTED_PER_UNIT = (
    "SELECT unit_id, count(*) FROM vote_voted WHERE event_id = ? GROUP BY unit_id ORDER BY unit_id"
)
DEMO_TITLE = "SELECT id FROM event WHERE guild_id = ? AND title = ?"


# -- data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """A town hall's time and place, a vote's window, or a deadline's moment."""

    id: int
    event_id: int
    position: int
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    discord_event_id: int | None
    state: str


@dataclass(frozen=True)
class Event:
    """One event with its sessions and the units it is for."""

    id: int
    guild_id: int
    kind: str
    title: str
    description: str
    timezone: str
    reminder_offsets: tuple[int | str, ...] | None
    how_to_vote: str | None
    state: str
    cancel_reason: str | None
    sequence: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    sessions: tuple[Session, ...]
    unit_ids: tuple[int, ...]
    role_ids: tuple[int, ...] = ()
    recurrence: dict[str, Any] | None = None
    thread_id: int | None = None
    recap_update_id: int | None = None

    @property
    def session(self) -> Session:
        """The first session (a simple event has only one)."""
        return self.sessions[0]

    @property
    def starts_at(self) -> datetime:
        """When it starts (a vote: when its first window opens)."""
        return min(s.starts_at for s in self.sessions)

    @property
    def closes_at(self) -> datetime:
        """When it is over: a town hall's end, a vote's final close, a deadline's moment."""
        return max(s.ends_at or s.starts_at for s in self.sessions)

    @property
    def label(self) -> str:
        """Kind and title, as a list shows it."""
        return f"{KIND_LABEL[self.kind]}: {self.title}"


@dataclass(frozen=True)
class Draft:
    """What an organizer asked for, validated, before it is saved (shown as a preview)."""

    kind: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    unit_ids: tuple[int, ...]
    timezone: str
    how_to_vote: str | None = None
    role_ids: tuple[int, ...] = ()
    repeat: str | None = None  # weekly, biweekly, monthly (town halls)
    discussion: bool = False  # open a discussion thread with it (town halls)


@dataclass(frozen=True)
class Turnout:
    """What organizers see of a vote: counts only, never who."""

    asked_reminders: int
    going: int
    not_going: int
    said_voted: int
    per_unit: tuple[tuple[str, int, int | None], ...]  # (unit label, said voted, members)
    maybe: int = 0
    eligible: int | None = None  # members in the vote's units (their counts), when known


# -- reading -------------------------------------------------------------------------------


def _offsets_from_json(text: str | None) -> tuple[int | str, ...] | None:
    if text is None:
        return None
    return tuple(o if o == OPEN else int(o) for o in json.loads(text))


def _session(row: Any) -> Session:
    return Session(
        row["id"],
        row["event_id"],
        row["position"],
        from_db(row["starts_at"]),  # type: ignore[arg-type]
        from_db(row["ends_at"]),
        row["place"],
        row["discord_event_id"],
        row["state"],
    )


async def _load(db: Database, row: Any) -> Event:
    sessions = tuple(_session(r) for r in await db.fetchall(SESSIONS, (row["id"],)))
    unit_ids = tuple(r[0] for r in await db.fetchall(UNIT_IDS, (row["id"],)))
    role_ids = tuple(r[0] for r in await db.fetchall(ROLE_IDS, (row["id"],)))
    return Event(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        title=row["title"],
        description=row["description"],
        timezone=row["timezone"],
        reminder_offsets=_offsets_from_json(row["reminder_offsets"]),
        how_to_vote=row["how_to_vote"],
        state=row["state"],
        cancel_reason=row["cancel_reason"],
        sequence=row["sequence"],
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_db(row["updated_at"]),  # type: ignore[arg-type]
        sessions=sessions,
        unit_ids=unit_ids,
        role_ids=role_ids,
        recurrence=json.loads(row["recurrence"]) if row["recurrence"] else None,
        thread_id=row["thread_id"],
        recap_update_id=row["recap_update_id"],
    )


async def get(db: Database, guild_id: int, event_id: int) -> Event:
    """One event of this server, or NotFound."""
    row = await db.fetchone(GET_EVENT, (event_id, guild_id))
    if row is None:
        raise NotFound(
            f"There is no event #{event_id} in this server: `/events upcoming` lists them."
        )
    return await _load(db, row)


async def get_any(db: Database, event_id: int) -> Event:
    """One event by id whatever its server (buttons pressed in DMs carry no server)."""
    row = await db.fetchone(GET_EVENT_ANY, (event_id,))
    if row is None:
        raise NotFound(f"Event #{event_id} no longer exists.")
    return await _load(db, row)


async def upcoming(db: Database, guild_id: int, now: datetime, limit: int = 10) -> list[Event]:
    """Scheduled events not yet over, soonest first."""
    rows = await db.fetchall(UPCOMING, (guild_id, to_db(now), limit))
    return [await get(db, guild_id, r[0]) for r in rows]


async def all_events(db: Database, guild_id: int) -> list[Event]:
    """Every event of the server, cancelled ones too, oldest first (the full calendar)."""
    return [await get(db, guild_id, r[0]) for r in await db.fetchall(ALL_FOR_GUILD, (guild_id,))]


# -- validation ----------------------------------------------------------------------------


def parse_kind(text: str) -> str:
    """`townhall` (or webinar, meeting, rally), `vote` or `deadline`."""
    word = text.strip().lower().replace(" ", "").replace("-", "")
    if word in ("townhall", "webinar", "meeting", "rally"):
        return "townhall"
    if word in ("vote", "ratification", "survey", "strikeauthorization"):
        return "vote"
    if word in ("deadline", "expiration"):
        return "deadline"
    raise UserError("The kind is `townhall` (or webinar, meeting, rally), `vote` or `deadline`.")


def parse_times(
    kind: str, start: str, end: str | None, zone: str, now: datetime
) -> tuple[datetime, datetime | None]:
    """Read the typed start (or opening, or moment) and end (or close) in the server's zone.

    Raises UserError (a TimeParseError) for an unreadable or past time, an end before the
    start, a vote without a close, or an end given to a deadline.
    """
    starts_at = timeparse.parse_local_time(start, zone, now)
    if kind == "deadline":
        if end:
            raise UserError("A deadline is a single moment: leave `end` out.")
        return starts_at, None
    if not end:
        if kind == "vote":
            raise UserError("A vote needs its close: give `end`, for example `July 18 9pm`.")
        return starts_at, starts_at + DEFAULT_LENGTH
    ends_at = timeparse.parse_local_time(end, zone, now, allow_past=True)
    if ends_at <= starts_at:
        what = "The close" if kind == "vote" else "The end"
        opening = "opening" if kind == "vote" else "start"
        raise UserError(
            f"{what} ({timeparse.format_local(ends_at, zone)}) must come after the {opening} "
            f"({timeparse.format_local(starts_at, zone)})."
        )
    return starts_at, ends_at


def _clean_text(value: str | None, limit: int, what: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise UserError(f"The {what} can't be empty.")
    if len(text) > limit:
        raise UserError(
            f"The {what} is {len(text)} characters; the most is {limit} "
            "(Discord's limit for scheduled events). Please shorten it."
        )
    return text


def make_draft(
    kind: str,
    title: str,
    description: str | None,
    starts_at: datetime,
    ends_at: datetime | None,
    place: str | None,
    unit_ids: tuple[int, ...],
    timezone: str,
    how_to_vote: str | None = None,
    role_ids: tuple[int, ...] = (),
    repeat: str | None = None,
    discussion: bool = False,
) -> Draft:
    """Validate what an organizer typed into a Draft; UserError says what to fix."""
    if kind not in KINDS:
        raise UserError("The kind is `townhall`, `vote` or `deadline`.")
    title = " ".join(_clean_text(title, TITLE_MAX, "title", required=True).split())
    text = _clean_text(description, DESCRIPTION_MAX, "description")
    where = _clean_text(place, PLACE_MAX, "place or link") or None
    if kind == "townhall" and where is None:
        raise UserError("A town hall needs a place or a link: give `place`.")
    how = _clean_text(how_to_vote, HOW_TO_VOTE_MAX, "way to vote") or None
    if kind == "vote" and how is None:
        # The bot never takes a ballot: members must be told the official way to vote.
        raise UserError(
            "A vote needs the official way to vote: give `how_to_vote` (the voting service's "
            "link or the instructions)."
        )
    if repeat:
        from bot.events import townhalls

        if kind != "townhall":
            raise UserError("Only town halls and meetings can repeat: leave `repeat` out.")
        townhalls.make_rule(repeat, starts_at, ends_at or starts_at + DEFAULT_LENGTH, timezone)
    if discussion and kind != "townhall":
        raise UserError("A discussion thread is for town halls: leave `thread` out.")
    return Draft(
        kind,
        title,
        text,
        starts_at,
        ends_at,
        where,
        unit_ids,
        timezone,
        how,
        role_ids,
        repeat,
        discussion,
    )


def parse_offsets(text: str, kind: str) -> tuple[int | str, ...] | None:
    """Read reminder offsets: `7d, 1d, 1h`; `open` for a vote's opening; `default`; `none`.

    Returns None for `default` (the server's default for the kind), () for `none`.
    """
    cleaned = text.strip().lower()
    if cleaned in ("default", "defaults"):
        return None
    if cleaned in ("none", "off", "no"):
        return ()
    found: list[int | str] = []
    for part in (p.strip() for p in cleaned.replace(";", ",").split(",")):
        if not part:
            continue
        if part in (OPEN, "opening", "at opening"):
            if kind != "vote":
                raise UserError("`open` (a reminder when voting opens) is for votes only.")
            value: int | str = OPEN
        else:
            length = timeparse.parse_duration(part.removesuffix(" before"))
            if length > OFFSET_LONGEST:
                raise UserError(
                    f"`{part}` is too far ahead: reminders go at most "
                    f"{OFFSET_LONGEST.days} days before."
                )
            value = int(length.total_seconds())
        if value not in found:
            found.append(value)
    if not found:
        raise UserError("Give offsets such as `7d, 1d, 1h`, or `default`, or `none`.")
    if len(found) > OFFSETS_MAX:
        raise UserError(f"At most {OFFSETS_MAX} reminders per event.")
    return tuple(sorted(found, key=lambda o: (-1, 0) if o == OPEN else (0, -int(o))))


def describe_offset(offset: int | str, kind: str) -> str:
    """An offset in words: "at opening", "1 day before closing", "7 days before"."""
    if offset == OPEN:
        return "when voting opens"
    length = timeparse.format_duration(timedelta(seconds=int(offset)))
    return f"{length} before closing" if kind == "vote" else f"{length} before"


def describe_offsets(offsets: tuple[int | str, ...], kind: str) -> str:
    """A list of offsets in words, or "none"."""
    return ", ".join(describe_offset(o, kind) for o in offsets) or "none"


# -- reminders -----------------------------------------------------------------------------


async def default_offsets(db: Database, guild_id: int, kind: str) -> tuple[int | str, ...]:
    """The server's default offsets for a kind (the built-in ones until changed)."""
    stored = _offsets_from_json(await db.fetchval(GET_DEFAULT, (guild_id, kind)))
    return stored if stored is not None else DEFAULT_OFFSETS[kind]


async def offsets_of(db: Database, event: Event) -> tuple[int | str, ...]:
    """The offsets in force for an event: its own, else the server's default for its kind."""
    if event.reminder_offsets is not None:
        return event.reminder_offsets
    return await default_offsets(db, event.guild_id, event.kind)


def planned(
    event: Event, offsets: tuple[int | str, ...]
) -> list[tuple[int, int | str, datetime, datetime]]:
    """(session id, offset, due, useful until) of every reminder the offsets make.

    Town halls: before each session's start. Deadlines: before the moment. Votes: `open` at
    each window's opening; the others before the final close, only while a window is open
    (reminders pause between windows). Due times outside the event are left out.
    """
    plan: list[tuple[int, int | str, datetime, datetime]] = []
    live = [s for s in event.sessions if s.state == "scheduled"]
    if event.kind == "vote":
        if not live:
            return plan
        close = max(s.ends_at or s.starts_at for s in live)
        for offset in offsets:
            if offset == OPEN:
                plan += [(s.id, OPEN, s.starts_at, s.ends_at or close) for s in live]
                continue
            due = close - timedelta(seconds=int(offset))
            inside = [s for s in live if s.starts_at <= due < (s.ends_at or close)]
            if inside:
                plan.append((inside[0].id, offset, due, close))
        return sorted(plan, key=lambda p: p[2])
    for s in live:
        for offset in offsets:
            if offset == OPEN:
                continue
            plan.append((s.id, offset, s.starts_at - timedelta(seconds=int(offset)), s.starts_at))
    return sorted(plan, key=lambda p: p[2])


def check_offsets_fit(event: Event, offsets: tuple[int | str, ...]) -> None:
    """Refuse offsets that fall outside the event (a vote's reminder before it opens)."""
    if event.kind != "vote":
        return
    # Only offsets before the first opening are refused; one between windows is paused.
    close = event.closes_at
    outside = [
        o for o in offsets if o != OPEN and close - timedelta(seconds=int(o)) < event.starts_at
    ]
    if outside:
        raise UserError(
            "These reminders would fall before voting opens: "
            f"{describe_offsets(tuple(outside), event.kind)}. The window is "
            f"{timeparse.format_duration(event.closes_at - event.starts_at)} long; "
            "use shorter offsets or `open`."
        )


async def _schedule_reminders(db: Database, event: Event, now: datetime) -> int:
    """Cancel the event's pending reminders and schedule the ones still ahead; return count."""
    await timers.cancel_subject(db, TIMER_KIND, event.id)
    if event.kind == "vote":
        await timers.cancel_subject(db, VOTE_CLOSE_TIMER, event.id)
    if event.state != "scheduled":
        return 0
    if event.kind == "vote":
        # At the final close the per-member flags are deleted, leaving the anonymous counts.
        await timers.schedule(db, event.guild_id, VOTE_CLOSE_TIMER, event.id, event.closes_at, now)
    count = 0
    for session_id, offset, due, useful_until in planned(event, await offsets_of(db, event)):
        if due < now:
            continue  # already past when (re)scheduled: nothing to remind of late
        await timers.schedule(
            db,
            event.guild_id,
            TIMER_KIND,
            event.id,
            due,
            now,
            useful_until=useful_until,
            payload={"session_id": session_id, "offset": offset},
        )
        count += 1
    return count


async def reschedule(db: Database, event: Event, now: datetime) -> int:
    """Reschedule an event's reminders (and a vote's close) after its sessions changed."""
    return await _schedule_reminders(db, event, now)


async def _close_vote(db: Database, timer: timers.Timer, now: datetime) -> None:
    """The vote's final close: delete every per-member I-voted flag; the tally stays."""
    gone = await db.execute(DELETE_FLAGS, (timer.subject_id,))
    log.info("vote %s closed: %d per-member flags deleted", timer.subject_id, gone)


async def reminders(db: Database, event_id: int) -> list[timers.Timer]:
    """Every reminder timer of an event, in due order, whatever its state (for organizers)."""
    return await timers.for_subject(db, TIMER_KIND, event_id)


async def _fire_reminder(db: Database, timer: timers.Timer, now: datetime) -> None:
    """Queue one reminder: a post in the announcements channel and a DM to each who asked."""
    event = await get_any(db, int(timer.subject_id or 0))
    if event.state != "scheduled":
        return
    offset = timer.payload.get("offset")
    session = next((s for s in event.sessions if s.id == timer.payload.get("session_id")), None)
    session = session or event.session
    settings = await guild_settings.get(db, event.guild_id)
    targets = [Target.dm(r[0]) for r in await db.fetchall(REMIND_DMS, (event.id,))]
    if settings.announcements_channel_id:
        targets.insert(0, Target.channel(settings.announcements_channel_id))
    if not targets:
        return
    text = reminder_text(event, session, offset, late=timer.late)
    payload = message(text, embeds=[event_embed(event, now)], components=buttons(event, now))
    await enqueue(
        db, event.guild_id, "event.reminder", payload, targets, now, subject=f"event:{event.id}"
    )
    log.info("event %s reminder %s queued to %d targets", event.id, timer.id, len(targets))


def reminder_text(event: Event, session: Session, offset: Any, *, late: bool) -> str:
    """The line a reminder leads with (times as Discord timestamps)."""
    start_f = timeparse.discord_timestamp(session.starts_at, "F")
    start_r = timeparse.discord_timestamp(session.starts_at, "R")
    title = f"**{event.title}**"
    if event.kind == "vote":
        close = event.closes_at
        close_f = timeparse.discord_timestamp(close, "F")
        close_r = timeparse.discord_timestamp(close, "R")
        if offset == OPEN:
            text = f"🗳️ Voting is open: {title}. It closes {close_f} ({close_r})."
        else:
            text = f"🗳️ Reminder: voting on {title} closes {close_r} ({close_f})."
        if event.how_to_vote:
            text += f"\nHow to vote: {event.how_to_vote}"
    elif event.kind == "deadline":
        text = f"⏳ Reminder: {title} is {start_r} ({start_f})."
    else:
        text = f"📅 Reminder: {title} starts {start_r} ({start_f})."
        if session.place:
            text += f"\nWhere: {session.place}"
    if late:
        text += "\n_Sent late: the bot could not send this reminder on time._"
    return text


# -- rendering (plain dicts, no discord import) ---------------------------------------------


def when_text(event: Event) -> str:
    """The event's times as Discord timestamps, by kind."""
    lines = []
    for s in event.sessions:
        if s.state == "cancelled" and event.state != "cancelled":
            # One cancelled session or occurrence: shown struck through, the others stand.
            lines.append(f"~~{timeparse.discord_timestamp(s.starts_at, 'F')}~~ (cancelled)")
            continue
        start = timeparse.discord_timestamp(s.starts_at, "F")
        rel = timeparse.discord_timestamp(s.starts_at, "R")
        if event.kind == "deadline":
            lines.append(f"{start} ({rel})")
        elif event.kind == "vote":
            end = timeparse.discord_timestamp(s.ends_at or s.starts_at, "F")
            lines.append(f"Opens {start} ({rel})\nCloses {end}")
        else:
            end = timeparse.discord_timestamp(s.ends_at or s.starts_at, "t")
            lines.append(f"{start} to {end} ({rel})")
    return "\n".join(lines)


def event_embed(event: Event, now: datetime, *, footer: str | None = None) -> dict[str, Any]:
    """The event as members see it: kind, title, description, when, where, how to vote."""
    cancelled = event.state == "cancelled"
    title = f"{'CANCELLED: ' if cancelled else ''}{event.label}"
    fields: list[tuple[str, str, bool]] = [("When", when_text(event), False)]
    places = [s.place for s in event.sessions if s.place]
    if places:
        fields.append(("Where", "\n".join(places), False))
    if event.how_to_vote:
        fields.append(("How to vote", event.how_to_vote, False))
    if event.thread_id:
        fields.append(("Discussion", f"<#{event.thread_id}>", False))
    if cancelled and event.cancel_reason:
        fields.append(("Why it was cancelled", event.cancel_reason, False))
    colour = Colour.DANGER if cancelled else Colour.INFO
    if not cancelled and event.closes_at < now:
        colour = Colour.NEUTRAL
    return embed(
        title,
        event.description or None,
        fields=fields,
        colour=colour,
        footer=footer
        or f"Event #{event.id} · /events calendar id: {event.id} adds it to your calendar",
    )


def button_id(action: str, event_id: int) -> str:
    """The custom_id of one of an event's persistent buttons."""
    return BUTTON_ID.format(action=action, event_id=event_id)


def buttons(event: Event, now: datetime | None = None) -> list[dict[str, Any]]:
    """The event's buttons as message components: Remind me, I voted (votes), Ask a question
    and Questions (town halls), then a Going / Maybe / Not going row per upcoming session."""
    from bot.events import townhalls

    if event.state != "scheduled":
        return []
    row = [_button("remind", event.id, "Remind me", 1)]
    if event.kind == "vote":
        row.append(_button("voted", event.id, "I voted", 3))
    if event.kind == "townhall":
        row.append(_plain(f"townhall:ask:{event.id}", "Ask a question", 1))
        row.append(_plain(f"townhall:list:{event.id}", "Questions", 2))
    rows = [{"type": 1, "components": row}]
    if event.kind == "townhall":
        rows += townhalls.rsvp_buttons(
            event, now or datetime.min.replace(tzinfo=event.starts_at.tzinfo)
        )
    return rows


def _plain(custom_id: str, label: str, style: int) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": custom_id}


def _button(action: str, event_id: int, label: str, style: int) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": button_id(action, event_id)}


# -- changes -------------------------------------------------------------------------------


async def _unit_ids(db: Database, guild_id: int, typed: str | None) -> tuple[int, ...]:
    if not typed or not typed.strip():
        return ()
    found: list[int] = []
    for part in typed.replace(";", ",").split(","):
        if part.strip():
            unit = await units.find(db, guild_id, part)
            if unit.id not in found:
                found.append(unit.id)
    return tuple(found)


async def resolve_units(db: Database, guild_id: int, typed: str | None) -> tuple[int, ...]:
    """Unit ids from a comma-separated list of codes or names (NotFound names the bad one)."""
    return await _unit_ids(db, guild_id, typed)


async def create(
    db: Database, guild_id: int, actor_id: int | None, draft: Draft, now: datetime
) -> Event:
    """Save an event, its session, its units and its reminders in one transaction (audited)."""
    if draft.starts_at < now - timedelta(minutes=5):
        raise UserError("That time has already passed: please give a time in the future.")
    async with db.transaction():
        event_id = await db.execute(
            INSERT_EVENT,
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
            INSERT_SESSION,
            (
                event_id,
                1,
                to_db(draft.starts_at),
                to_db(draft.ends_at) if draft.ends_at else None,
                draft.place,
            ),
        )
        for unit_id in draft.unit_ids:
            await db.execute(INSERT_UNIT, (event_id, unit_id))
        for role_id in draft.role_ids:
            await db.execute(INSERT_ROLE, (event_id, role_id))
        event = await get(db, guild_id, event_id)
        count = await _schedule_reminders(db, event, now)
        if draft.repeat:
            from bot.events import townhalls

            # In the same transaction: the next occurrences become sessions.
            event = await townhalls.make_recurring(db, guild_id, event_id, draft.repeat, now)
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.create",
            f"event:{event_id}",
            f"{draft.kind}, {count} reminders",
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
        event = await get(db, guild_id, event_id)
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
        draft = make_draft(
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
                await db.execute(INSERT_UNIT, (event_id, unit_id))
        updated = await get(db, guild_id, event_id)
        if updated.reminder_offsets is not None:
            check_offsets_fit(updated, updated.reminder_offsets)
        count = await _schedule_reminders(db, updated, now)
        if starts_at is not None or ends_at is not None or place is not None:
            from bot.events import townhalls

            await townhalls.reschedule_session(db, updated, now)
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
            f"{', '.join(changed) or 'nothing'}; {count} reminders pending",
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
    why = _clean_text(reason, REASON_MAX, "reason") or None
    async with db.transaction():
        event = await get(db, guild_id, event_id)
        if await db.execute(CANCEL_EVENT, (why, to_db(now), event_id)) != 1:
            raise Conflict(f"Event #{event_id} was already cancelled.")
        await db.execute(CANCEL_SESSIONS, (event_id,))
        stopped = await timers.cancel_subject(db, TIMER_KIND, event_id)
        event = await get(db, guild_id, event_id)
        members = [r[0] for r in await db.fetchall(SUBSCRIBERS, (event_id,))]
        settings = await guild_settings.get(db, guild_id)
        targets = [Target.dm(u) for u in members]
        if settings.announcements_channel_id:
            targets.insert(0, Target.channel(settings.announcements_channel_id))
        if targets:
            text = f"❌ Cancelled: **{event.title}** ({when_text(event).splitlines()[0]})."
            if why:
                text += f"\nWhy: {why}"
            await enqueue(
                db,
                guild_id,
                "event.cancel",
                message(text, embeds=[event_embed(event, now)]),
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
            f"{stopped} pending reminders cancelled; {len(members)} members told",
            now,
        )
    return event, len(members)


async def set_offsets(
    db: Database,
    guild_id: int,
    event_id: int,
    actor_id: int | None,
    offsets: tuple[int | str, ...] | None,
    now: datetime,
) -> tuple[Event, int]:
    """Change an event's reminder offsets (None: the server's default); reschedule them.
    Returns the event and how many reminders are now pending."""
    async with db.transaction():
        event = await get(db, guild_id, event_id)
        if event.state != "scheduled":
            raise Conflict(f"Event #{event_id} was cancelled: it has no reminders to change.")
        if offsets is not None:
            check_offsets_fit(event, offsets)
        stored = json.dumps(list(offsets)) if offsets is not None else None
        await db.execute(SET_OFFSETS, (stored, to_db(now), event_id, guild_id))
        event = replace(event, reminder_offsets=offsets)
        count = await _schedule_reminders(db, event, now)
        shown = describe_offsets(await offsets_of(db, event), event.kind)
        await audit.record(
            db, guild_id, actor_id, "event.reminders", f"event:{event_id}", shown, now
        )
    return event, count


async def set_default_offsets(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    kind: str,
    offsets: tuple[int | str, ...] | None,
    now: datetime,
) -> tuple[int | str, ...]:
    """Change the server's default offsets for a kind (None: back to the built-in ones).

    Events that follow the default are rescheduled in the same transaction.
    """
    async with db.transaction():
        if offsets is None:
            await db.execute(
                "DELETE FROM event_reminder_default WHERE guild_id = ? AND kind = ?",
                (guild_id, kind),
            )
        else:
            await db.execute(PUT_DEFAULT, (guild_id, kind, json.dumps(list(offsets))))
        for event in await upcoming(db, guild_id, now, limit=1000):
            if event.kind == kind and event.reminder_offsets is None:
                await _schedule_reminders(db, event, now)
        chosen = await default_offsets(db, guild_id, kind)
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.reminder_defaults",
            kind,
            describe_offsets(chosen, kind),
            now,
        )
    return chosen


async def set_thread(db: Database, event: Event, thread_id: int, now: datetime) -> Event:
    """Record the event's discussion thread and post the event in it (through delivery)."""
    async with db.transaction():
        await db.execute(SET_THREAD, (thread_id, event.id))
        event = await get(db, event.guild_id, event.id)
        await enqueue(
            db,
            event.guild_id,
            "event.thread",
            message(
                f"💬 Discussion for **{event.title}**: questions, rides, who's covering shifts.",
                embeds=[event_embed(event, now)],
                components=buttons(event, now),
            ),
            [Target.channel(thread_id)],
            now,
            subject=f"event:{event.id}",
        )
    return event


async def set_discord_event(db: Database, session_id: int, discord_event_id: int | None) -> None:
    """Record the Discord scheduled event that mirrors a session (None once deleted)."""
    await db.execute(SET_DISCORD_EVENT, (discord_event_id, session_id))


# -- members -------------------------------------------------------------------------------


def _open(event: Event, now: datetime) -> None:
    if event.state != "scheduled":
        raise Conflict(f"{event.title} was cancelled.")
    if event.closes_at < now:
        raise Conflict(f"{event.title} is over.")


def check_eligible(event: Event, member_role_ids: tuple[int, ...] | None) -> None:
    """Refuse a member without one of a vote's eligible roles (None: roles unknown, as in DMs)."""
    if event.kind != "vote" or not event.role_ids or member_role_ids is None:
        return
    if not set(event.role_ids) & set(member_role_ids):
        raise UserError(
            f"{event.title} is for members with one of its eligible roles; if you should be "
            "eligible, ask an organizer to check your roles."
        )


async def toggle_reminders(
    db: Database,
    event_id: int,
    user_id: int,
    now: datetime,
    member_role_ids: tuple[int, ...] | None = None,
) -> bool:
    """Remind me: start (True) or stop (False) this member's DM reminders for the event."""
    async with db.transaction():
        event = await get_any(db, event_id)
        if await db.fetchval(IS_SUBSCRIBED, (event_id, user_id)):
            await db.execute(UNSUBSCRIBE, (event_id, user_id))
            return False
        _open(event, now)
        check_eligible(event, member_role_ids)
        await db.execute(SUBSCRIBE, (event_id, user_id, to_db(now)))
        return True


async def stop_reminders(db: Database, event_id: int, user_id: int) -> bool:
    """Stop this member's DM reminders for the event; False when there were none."""
    return await db.execute(UNSUBSCRIBE, (event_id, user_id)) == 1


async def rsvp(db: Database, event_id: int, user_id: int, status: str, now: datetime) -> Event:
    """Going / Maybe / Not going for the event's next session (buttons posted before sessions
    had their own); bot.townhalls.rsvp does the work, reminders included."""
    from bot.events import townhalls

    event = await get_any(db, event_id)
    _open(event, now)
    live = townhalls.live_sessions(event, now)
    if not live:
        raise Conflict(f"{event.title} has no session left to RSVP to.")
    await townhalls.rsvp(db, live[0].id, user_id, status, now)
    return event


async def mark_voted(
    db: Database,
    event_id: int,
    user_id: int,
    now: datetime,
    unit_id: int | None = None,
    member_role_ids: tuple[int, ...] | None = None,
) -> tuple[Event, bool]:
    """I voted: stops this member's reminders for the vote and counts once.

    The unit is taken from the vote when it is for one unit, else from `unit_id` (a member
    may name it afterwards). The count goes to the anonymous tally; the per-member flag only
    stops reminders and is deleted at the final close. Returns the event and whether this
    was the first press.
    """
    async with db.transaction():
        event = await get_any(db, event_id)
        if event.kind != "vote":
            raise UserError("I voted is for votes only.")
        if event.state != "scheduled":
            raise Conflict(f"{event.title} was cancelled.")
        if now < event.starts_at:
            raise Conflict(
                f"Voting on {event.title} opens "
                f"{timeparse.discord_timestamp(event.starts_at, 'R')}: "
                "press I voted after you vote."
            )
        if now >= event.closes_at:
            raise Conflict(f"Voting on {event.title} has closed.")
        check_eligible(event, member_role_ids)
        if unit_id is None and len(event.unit_ids) == 1:
            unit_id = event.unit_ids[0]
        if unit_id is not None and unit_id not in event.unit_ids:
            raise UserError("That unit does not take part in this vote.")
        first = not await db.fetchval(HAS_VOTED, (event_id, user_id))
        await db.execute(PUT_VOTED, (event_id, user_id, unit_id, to_db(now)))
        if first:
            tally_id = await db.execute(INSERT_TALLY, (event_id, unit_id, to_db(now)))
            await db.execute(SET_FLAG_TALLY, (tally_id, event_id, user_id))
        elif unit_id is not None:
            await db.execute(SET_TALLY_UNIT, (unit_id, event_id, user_id))
    return event, first


async def turnout(db: Database, guild_id: int, event_id: int) -> Turnout:
    """Counts for organizers: asked for reminders, going, not going, said voted, per unit."""
    event = await get(db, guild_id, event_id)
    rsvps = dict(await db.fetchall(RSVP_COUNTS, (event_id,)))
    # From the anonymous tally: it outlives the per-member flags deleted at the close.
    per_unit_rows = {r[0]: r[1] for r in await db.fetchall(TALLY_PER_UNIT, (event_id,))}
    per_unit: list[tuple[str, int, int | None]] = []
    eligible: int | None = 0
    for unit_id in event.unit_ids:
        unit = await units.get(db, guild_id, unit_id)
        per_unit.append((unit.label, per_unit_rows.get(unit_id, 0), unit.member_count))
        eligible = (
            None
            if unit.member_count is None or eligible is None
            else (eligible + unit.member_count)
        )
    if per_unit_rows.get(None):
        per_unit.append(("Unit not given", per_unit_rows[None], None))
    return Turnout(
        asked_reminders=int(await db.fetchval(COUNT_SUBSCRIBERS, (event_id,), 0)),
        going=int(rsvps.get("going", 0)),
        not_going=int(rsvps.get("not_going", 0)),
        said_voted=sum(per_unit_rows.values()),
        per_unit=tuple(per_unit),
        maybe=int(rsvps.get("maybe", 0)),
        eligible=eligible if event.unit_ids else None,
    )


def share(said_voted: int, members: int | None) -> str:
    """Turnout as a share: said they voted over the unit's eligible members ("12 of 40, 30%")."""
    if not members:
        return str(said_voted)
    return f"{said_voted} of {members} ({said_voted / members:.0%})"


async def turnout_series(
    db: Database, guild_id: int, event_id: int
) -> tuple[Event, list[tuple[datetime, dict[str, int]]]]:
    """Cumulative said-voted counts per unit label at each press, for the chart over time."""
    event = await get(db, guild_id, event_id)
    labels = {u: (await units.get(db, guild_id, u)).code for u in event.unit_ids}
    running: dict[str, int] = {labels[u]: 0 for u in event.unit_ids}
    points: list[tuple[datetime, dict[str, int]]] = []
    for at, unit_id in await db.fetchall(TALLY_SERIES, (event_id,)):
        key = labels.get(unit_id, "unit not given")
        running[key] = running.get(key, 0) + 1
        points.append((from_db(at), dict(running)))  # type: ignore[arg-type]
    return event, points


def turnout_chart(
    event: Event,
    points: list[tuple[datetime, dict[str, int]]],
    members: dict[str, int | None],
) -> bytes:
    """A PNG of turnout over time per unit: the share when the unit's count is known."""
    from bot.core import charts

    with charts.figure(10, 5) as fig:
        ax = fig.add_subplot(1, 1, 1)
        keys = sorted({k for _, counts in points for k in counts} | set(members))
        for i, key in enumerate(keys):
            xs = [event.starts_at] + [at for at, _ in points]
            ys = [0] + [counts.get(key, 0) for _, counts in points]
            total = members.get(key)
            if total:
                ys = [100 * y / total for y in ys]
            ax.step(xs, ys, where="post", label=key, color=charts.PALETTE[i % len(charts.PALETTE)])
        shares = all(members.get(k) for k in keys) and keys
        ax.set_ylabel("% of eligible members" if shares else "said they voted")
        ax.set_title(f"Turnout: {event.title}"[:80])
        for s in event.sessions:
            if s.state == "scheduled" and s.ends_at:
                ax.axvspan(s.starts_at, s.ends_at, color=charts.GREY, alpha=0.15)
        if keys:
            ax.legend(loc="upper left")
        fig.autofmt_xdate()
        return charts.to_png(fig)


# -- privacy --------------------------------------------------------------------------------


async def export_member(db: Database, user_id: int) -> dict[str, Any]:
    """What this module holds about one member (for /privacy export)."""
    subs = [
        r[0]
        for r in await db.fetchall(
            "SELECT event_id FROM event_subscriber WHERE user_id = ?", (user_id,)
        )
    ]
    rsvps = [
        {"event_id": r[0], "status": r[1]}
        for r in await db.fetchall(
            "SELECT s.event_id, r.status FROM event_rsvp r JOIN event_session s "
            "ON s.id = r.session_id WHERE r.user_id = ?",
            (user_id,),
        )
    ]
    voted = [
        r[0]
        for r in await db.fetchall("SELECT event_id FROM vote_voted WHERE user_id = ?", (user_id,))
    ]
    questions = [
        {"event_id": r[0], "question": r[1], "anonymous": bool(r[2]), "state": r[3]}
        for r in await db.fetchall(
            "SELECT event_id, text, anonymous, state FROM townhall_question WHERE user_id = ?",
            (user_id,),
        )
    ]
    upvoted = [
        r[0]
        for r in await db.fetchall(
            "SELECT question_id FROM townhall_upvote WHERE user_id = ?", (user_id,)
        )
    ]
    return {
        "reminders_for_events": subs,
        "rsvps": rsvps,
        "said_voted_in": voted,
        "town_hall_questions": questions,
        "upvoted_questions": upvoted,
    }


async def delete_member(db: Database, user_id: int) -> int:
    """Forget one member's reminders, RSVPs, I-voted flags, questions and upvotes; return
    rows deleted."""
    async with db.transaction():
        n = await db.execute("DELETE FROM event_subscriber WHERE user_id = ?", (user_id,))
        # RSVP reminder timers go with their RSVP rows (subject = the row).
        for (rowid,) in await db.fetchall(
            "SELECT rowid FROM event_rsvp WHERE user_id = ?", (user_id,)
        ):
            await timers.cancel_subject(db, "event.rsvp", rowid)
        n += await db.execute("DELETE FROM event_rsvp WHERE user_id = ?", (user_id,))
        n += await db.execute("DELETE FROM vote_voted WHERE user_id = ?", (user_id,))
        n += await db.execute("DELETE FROM townhall_upvote WHERE user_id = ?", (user_id,))
        n += await db.execute("DELETE FROM townhall_question WHERE user_id = ?", (user_id,))
    return n


# -- demo ------------------------------------------------------------------------------------


DEMO_FILE = "events.yaml"


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """Load the campaign's public dates (data/demo/events.yaml); idempotent by title."""
    from bot.core.paths import DEMO_DIR

    data = yaml.safe_load((Path(DEMO_DIR) / DEMO_FILE).read_text(encoding="utf-8"))
    zone_default = (await guild_settings.get(db, guild_id)).timezone
    added = 0
    for item in data.get("events", []):
        if await db.fetchval(DEMO_TITLE, (guild_id, item["title"])):
            continue
        zone = item.get("timezone", zone_default)
        start = timeparse.parse_local_time(item["start"], zone, now, allow_past=True)
        end = (
            timeparse.parse_local_time(item["end"], zone, now, allow_past=True)
            if item.get("end")
            else None
        )
        if item["kind"] == "townhall" and end is None:
            end = start + DEFAULT_LENGTH
        unit_ids = await _unit_ids(db, guild_id, ", ".join(item.get("units", [])))
        draft = make_draft(
            item["kind"],
            item["title"],
            item.get("description"),
            start,
            end,
            item.get("place"),
            unit_ids,
            zone,
            item.get("how_to_vote"),
        )
        async with db.transaction():
            event_id = await db.execute(
                INSERT_EVENT,
                (
                    guild_id,
                    draft.kind,
                    draft.title,
                    draft.description,
                    draft.timezone,
                    None,
                    draft.how_to_vote,
                    None,
                    to_db(now),
                    to_db(now),
                ),
            )
            await db.execute(
                INSERT_SESSION,
                (
                    event_id,
                    1,
                    to_db(start),
                    to_db(end) if end else None,
                    draft.place,
                ),
            )
            for unit_id in unit_ids:
                await db.execute(INSERT_UNIT, (event_id, unit_id))
            await _schedule_reminders(db, await get(db, guild_id, event_id), now)
        added += 1
    return f"events: {added} added"


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {VOTE_CLOSE_TIMER: _close_vote, TIMER_KIND: _fire_reminder}
