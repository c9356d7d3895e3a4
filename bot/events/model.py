"""An event and its sessions: the data, the SQL that reads them, and the lookups.

An event has a kind (`townhall`, `vote`, `deadline`) and one or more sessions: a town hall's
session is its time and place (mirrored by a Discord scheduled event), a vote's session is
one window (opens, closes), a deadline's is its single moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError

KINDS = ("townhall", "vote", "deadline")
KIND_LABEL = {"townhall": "Town hall", "vote": "Vote", "deadline": "Deadline"}
OPEN = "open"  # the reminder at a vote window's opening

# Discord's limits for a scheduled event (name 100, description 1000, location 100).
TITLE_MAX = 100
DESCRIPTION_MAX = 1000
PLACE_MAX = 100
REASON_MAX = 300
HOW_TO_VOTE_MAX = 500
# A town hall typed without an end lasts this long (Discord needs an end for external events).
DEFAULT_LENGTH = timedelta(hours=1)

INSERT_EVENT = (
    "INSERT INTO event (guild_id, kind, title, description, timezone, reminder_offsets, "
    "how_to_vote, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_SESSION = (
    "INSERT INTO event_session (event_id, position, starts_at, ends_at, place) "
    "VALUES (?, ?, ?, ?, ?)"
)
INSERT_UNIT = "INSERT INTO event_unit (event_id, unit_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
GET_EVENT = "SELECT * FROM event WHERE id = ? AND guild_id = ?"
GET_EVENT_ANY = "SELECT * FROM event WHERE id = ?"
SESSIONS = "SELECT * FROM event_session WHERE event_id = ? ORDER BY position"
UNIT_IDS = "SELECT unit_id FROM event_unit WHERE event_id = ? ORDER BY unit_id"
ROLE_IDS = "SELECT role_id FROM event_role WHERE event_id = ? ORDER BY role_id"
GET_SESSION = "SELECT * FROM event_session WHERE id = ?"
NEXT_POSITION = "SELECT coalesce(max(position), 0) + 1 FROM event_session WHERE event_id = ?"
UPCOMING = (
    "SELECT e.id FROM event e JOIN event_session s ON s.event_id = e.id "
    "WHERE e.guild_id = ? AND e.state = 'scheduled' AND s.state = 'scheduled' "
    "AND coalesce(s.ends_at, s.starts_at) >= ? "
    "GROUP BY e.id ORDER BY min(s.starts_at), e.id LIMIT ?"
)


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
    public: bool = False  # also on the public site (bot.site), when the server publishes one


# -- reading -------------------------------------------------------------------------------


def offsets_from_json(text: str | None) -> tuple[int | str, ...] | None:
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
        reminder_offsets=offsets_from_json(row["reminder_offsets"]),
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


async def get_session(db: Database, session_id: int) -> tuple[Event, Session]:
    """A session and its event, or NotFound."""
    row = await db.fetchone(GET_SESSION, (session_id,))
    if row is None:
        raise NotFound("That session no longer exists.")
    event = await get_any(db, row["event_id"])
    session = next(s for s in event.sessions if s.id == session_id)
    return event, session


def live_sessions(event: Event, now: datetime) -> list[Session]:
    """Sessions not cancelled and not over, soonest first."""
    return sorted(
        (s for s in event.sessions if s.state == "scheduled" and (s.ends_at or s.starts_at) >= now),
        key=lambda s: s.starts_at,
    )


def check_open(event: Event, now: datetime) -> None:
    """Refuse a member's action on an event that was cancelled or is over."""
    if event.state != "scheduled":
        raise Conflict(f"{event.title} was cancelled.")
    if event.closes_at < now:
        raise Conflict(f"{event.title} is over.")


def clean_text(value: str | None, limit: int, what: str, *, required: bool = False) -> str:
    """Typed text trimmed; UserError when required and empty, or over Discord's limit."""
    text = (value or "").strip()
    if required and not text:
        raise UserError(f"The {what} can't be empty.")
    if len(text) > limit:
        raise UserError(
            f"The {what} is {len(text)} characters; the most is {limit} "
            "(Discord's limit for scheduled events). Please shorten it."
        )
    return text


async def resolve_units(db: Database, guild_id: int, typed: str | None) -> tuple[int, ...]:
    """Unit ids from a comma-separated list of codes or names (NotFound names the bad one)."""
    if not typed or not typed.strip():
        return ()
    found: list[int] = []
    for part in typed.replace(";", ",").split(","):
        if part.strip():
            unit = await units.find(db, guild_id, part)
            if unit.id not in found:
                found.append(unit.id)
    return tuple(found)
