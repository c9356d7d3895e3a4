"""Votes: windows, who may vote, I voted, and turnout as counts only.

The bot never takes a ballot. "I voted" stops that member's reminders and adds one to an
anonymous tally (no member id); the per-member flag is deleted at the final close (the
`vote.close` timer), leaving only the counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.core import limits, timeparse, timers, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, UserError
from bot.events import model
from bot.events.model import Event

log = logging.getLogger("rankfile.events")

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
COUNT_SUBSCRIBERS = "SELECT count(*) FROM event_subscriber WHERE event_id = ?"
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


def check_eligible(event: Event, member_role_ids: tuple[int, ...] | None) -> None:
    """Refuse a member without one of a vote's eligible roles (None: roles unknown, as in DMs)."""
    if event.kind != "vote" or not event.role_ids or member_role_ids is None:
        return
    if not set(event.role_ids) & set(member_role_ids):
        raise UserError(
            f"{event.title} is for members with one of its eligible roles; if you should be "
            "eligible, ask an organizer to check your roles."
        )


async def schedule_close(db: Database, event: Event, now: datetime) -> None:
    """(Re)schedule a vote's final close, when its per-member flags are deleted."""
    if event.kind != "vote":
        return
    await timers.cancel_subject(db, VOTE_CLOSE_TIMER, event.id)
    if event.state == "scheduled":
        await timers.schedule(db, event.guild_id, VOTE_CLOSE_TIMER, event.id, event.closes_at, now)


async def _close_vote(db: Database, timer: timers.Timer, now: datetime) -> None:
    """The vote's final close: delete every per-member I-voted flag; the tally stays."""
    gone = await db.execute(DELETE_FLAGS, (timer.subject_id,))
    log.info("vote %s closed: %d per-member flags deleted", timer.subject_id, gone)


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
        event = await model.get_any(db, event_id)
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
        await limits.take(db, event.guild_id, user_id, "event.voted", now)
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
    event = await model.get(db, guild_id, event_id)
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
    event = await model.get(db, guild_id, event_id)
    labels = {u: (await units.get(db, guild_id, u)).code for u in event.unit_ids}
    running: dict[str, int] = {labels[u]: 0 for u in event.unit_ids}
    points: list[tuple[datetime, dict[str, int]]] = []
    for at, unit_id in await db.fetchall(TALLY_SERIES, (event_id,)):
        key = labels.get(unit_id, "unit not given")
        running[key] = running.get(key, 0) + 1
        points.append((from_db(at), dict(running)))  # type: ignore[arg-type]
    return event, points


# Timer kinds handled here; bot.events.TIMERS collects them for bot.wiring.
TIMERS: dict[str, timers.Handler] = {VOTE_CLOSE_TIMER: _close_vote}
