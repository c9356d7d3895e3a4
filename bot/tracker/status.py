"""The bargaining tracker: where each unit stands, since when, and how we got here.

Every status change is a dated, authored row linked to the update that announced it; a unit's
status is its newest row. Days are counted in the server's time zone, by calendar date, so
"Local 600 reached its tentative agreement on March 20 and members saw the details on June 28"
is 100 days whatever the hour.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot import updates
from bot.core import audit, delivery, guild_settings, timers, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.paths import DEMO_DIR
from bot.core.render import Colour, embed, message, truncate
from bot.core.timeparse import discord_timestamp

log = logging.getLogger("rankfile.tracker")

NOTE_MAX = 1000
REASON_MAX = 500
SILENCE_KIND = "tracker.silence"
# The committee post's button (cogs/tracker.py matches it as a DynamicItem).
NO_NEWS_ID = "rf:tr:nonews:{unit_id}"


@dataclass(frozen=True)
class Status:
    """One status of the lifecycle; side states (strike votes) sit beside negotiations."""

    code: str
    label: str
    rank: int
    side: bool = False
    colour: str = "#99AAB5"


# In lifecycle order. `rank` decides what "backwards" means; side states share negotiations'.
STATUSES: dict[str, Status] = {
    s.code: s
    for s in (
        Status("not_started", "Not started", 0, colour="#D0D5DA"),
        Status("negotiating", "In negotiations", 1, colour="#5865F2"),
        Status("strike_vote", "Strike authorization vote", 1, side=True, colour="#FAA61A"),
        Status("strike_authorized", "Strike authorized", 1, side=True, colour="#ED4245"),
        Status("tentative_agreement", "Tentative agreement", 2, colour="#FEE75C"),
        Status("summary_released", "Summary released", 3, colour="#9B59B6"),
        Status("moa_released", "MOA released", 4, colour="#EB459E"),
        Status("ratification_vote", "Ratification vote", 5, colour="#3BA55C"),
        Status("ratified", "Ratified", 6, colour="#57F287"),
        Status("rejected", "Rejected", 6, colour="#992D22"),
    )
}
# Statuses that mean a unit has (had) a tentative agreement.
AT_OR_PAST_TA = tuple(s.code for s in STATUSES.values() if s.rank >= 2 and s.code != "rejected")
# Statuses that mean members have seen the details of their agreement.
DETAILS_OUT = ("summary_released", "moa_released", "ratification_vote", "ratified", "rejected")

INSERT = (
    "INSERT INTO tracker_status_change (guild_id, unit_id, status, reached_at, note, author_id, "
    "update_id, forced, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
HISTORY = (
    "SELECT * FROM tracker_status_change WHERE guild_id = ? AND unit_id = ? ORDER BY reached_at, id"
)
ALL_HISTORY = (
    "SELECT * FROM tracker_status_change WHERE guild_id = ? ORDER BY unit_id, reached_at, id"
)
CURRENT = (
    "SELECT * FROM tracker_status_change WHERE guild_id = ? AND unit_id = ? "
    "ORDER BY reached_at DESC, id DESC LIMIT 1"
)
EXISTS = (
    "SELECT 1 FROM tracker_status_change WHERE guild_id = ? AND unit_id = ? AND status = ? "
    "AND reached_at = ?"
)
# When members last heard anything about each unit: one row per unit, kept by updates.publish
# (a retracted update counts: members heard it).
LAST_HEARD = "SELECT unit_id, heard_at, kind FROM unit_last_heard WHERE guild_id = ?"
LAST_HEARD_ONE = "SELECT heard_at, kind FROM unit_last_heard WHERE guild_id = ? AND unit_id = ?"
# The whole overview in one query (each query costs a round trip to the database thread):
# every unit with its last-heard row, its open withheld mark and its history as JSON.
OVERVIEW = """
SELECT b.*, h.heard_at, h.kind AS heard_kind,
       w.id AS w_id, w.reason AS w_reason, w.expected_at AS w_expected, w.marked_at AS w_marked,
       (SELECT json_group_array(json_array(c.id, c.status, c.reached_at, c.note, c.author_id,
                                           c.update_id, c.forced))
        FROM (SELECT * FROM tracker_status_change c WHERE c.unit_id = b.id
              ORDER BY c.reached_at, c.id) c) AS history
FROM bargaining_unit b
LEFT JOIN unit_last_heard h ON h.unit_id = b.id
LEFT JOIN withheld_details w ON w.unit_id = b.id AND w.released_at IS NULL
WHERE b.guild_id = ?
ORDER BY b.parent_id IS NOT NULL, b.code
"""
WITHHELD_OPEN_ALL = "SELECT * FROM withheld_details WHERE guild_id = ? AND released_at IS NULL"
WITHHELD_OPEN = (
    "SELECT * FROM withheld_details WHERE guild_id = ? AND unit_id = ? AND released_at IS NULL"
)
WITHHELD_INSERT = (
    "INSERT INTO withheld_details (guild_id, unit_id, reason, expected_at, marked_at, marked_by) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
WITHHELD_MOVE = "UPDATE withheld_details SET reason = ?, expected_at = ? WHERE id = ?"
WITHHELD_RELEASE = (
    "UPDATE withheld_details SET released_at = ? WHERE guild_id = ? AND unit_id = ? "
    "AND released_at IS NULL"
)
DATE_CHANGE_INSERT = (
    "INSERT INTO withheld_date_change (withheld_id, old_expected_at, new_expected_at, reason, "
    "changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?)"
)
DATE_CHANGES = "SELECT * FROM withheld_date_change WHERE withheld_id = ? ORDER BY changed_at, id"
# Statuses in which silence is noticed: at the table, or waiting for the details of a TA.
SILENT_STATUSES = ("negotiating", "strike_vote", "strike_authorized", "tentative_agreement")


@dataclass(frozen=True)
class StatusChange:
    """One dated step in a unit's history."""

    id: int
    unit_id: int
    status: str
    reached_at: datetime
    note: str | None
    author_id: int | None
    update_id: int | None
    forced: bool

    @property
    def label(self) -> str:
        """The status as members read it."""
        return STATUSES[self.status].label if self.status in STATUSES else self.status


@dataclass(frozen=True)
class DateChange:
    """One move of a withheld unit's expected release date (kept, never overwritten)."""

    old_expected_at: datetime
    new_expected_at: datetime
    reason: str | None
    changed_at: datetime


@dataclass(frozen=True)
class Withheld:
    """A unit's details withheld after its tentative agreement: why, and until when."""

    id: int
    unit_id: int
    reason: str
    expected_at: datetime
    marked_at: datetime
    changes: tuple[DateChange, ...] = ()


@dataclass(frozen=True)
class UnitStanding:
    """A unit at a glance: its status, since when, and how long members waited for details."""

    unit: units.Unit
    current: StatusChange | None
    tentative_at: datetime | None  # when it first reached a tentative agreement
    details_at: datetime | None  # when a summary (or the MOA) was released after it
    days_waiting: int | None  # TA reached, details not out: days so far
    days_to_details: int | None  # TA to details, once they are out
    last_heard: datetime | None
    withheld: Withheld | None = None
    last_heard_kind: str | None = None

    @property
    def status(self) -> str:
        """The current status code (not_started without history)."""
        return self.current.status if self.current else "not_started"


@dataclass(frozen=True)
class Overview:
    """Every unit of the server and the totals."""

    standings: list[UnitStanding]
    total: int
    reached_ta: int
    ratified: int
    negotiating: int
    waiting: int


def _from_row(row: Any) -> StatusChange:
    return StatusChange(
        row["id"],
        row["unit_id"],
        row["status"],
        from_db(row["reached_at"]),
        row["note"],
        row["author_id"],
        row["update_id"],
        bool(row["forced"]),
    )


def days_between(start: datetime, end: datetime, zone: str | ZoneInfo) -> int:
    """Calendar days from `start` to `end` in the server's time zone (March 20 to June 28: 100)."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return (end.astimezone(tz).date() - start.astimezone(tz).date()).days


def find_status(text: str) -> Status:
    """A status by code or label (any case); UserError listing them when unknown."""
    wanted = " ".join((text or "").replace("_", " ").split()).lower()
    for status in STATUSES.values():
        if wanted in (status.code.replace("_", " "), status.label.lower()):
            return status
    names = ", ".join(s.label.lower() for s in STATUSES.values())
    raise UserError(f"No status `{truncate(text, 40)}`. Statuses: {names}.")


def _withheld_from_row(row: Any, changes: tuple[DateChange, ...] = ()) -> Withheld:
    return Withheld(
        row["id"],
        row["unit_id"],
        row["reason"],
        from_db(row["expected_at"]),
        from_db(row["marked_at"]),
        changes,
    )


def standing_of(
    unit: units.Unit,
    history: list[StatusChange],
    last_heard: datetime | None,
    now: datetime,
    zone: str,
    withheld: Withheld | None = None,
    last_heard_kind: str | None = None,
) -> UnitStanding:
    """A unit's standing from its history (oldest first), with days counted from the data."""
    current = history[-1] if history else None
    tentative_at = next((c.reached_at for c in history if c.status in AT_OR_PAST_TA), None)
    details_at = None
    if tentative_at is not None:
        details_at = next(
            (
                c.reached_at
                for c in history
                if c.status in DETAILS_OUT and c.reached_at >= tentative_at
            ),
            None,
        )
    waiting = to_details = None
    if tentative_at is not None and details_at is None and current is not None:
        if current.status == "tentative_agreement":
            waiting = days_between(tentative_at, now, zone)
    if tentative_at is not None and details_at is not None:
        to_details = days_between(tentative_at, details_at, zone)
    return UnitStanding(
        unit,
        current,
        tentative_at,
        details_at,
        waiting,
        to_details,
        last_heard,
        withheld if details_at is None else None,
        last_heard_kind,
    )


async def history(db: Database, guild_id: int, unit_id: int) -> list[StatusChange]:
    """A unit's status changes, oldest first."""
    return [_from_row(r) for r in await db.fetchall(HISTORY, (guild_id, unit_id))]


async def overview(db: Database, guild_id: int, now: datetime, zone: str) -> Overview:
    """Every unit at a glance, with the totals ("10 of 13 units have reached a TA")."""
    standings = []
    for row in await db.fetchall(OVERVIEW, (guild_id,)):
        changes = [
            StatusChange(c[0], row["id"], c[1], from_db(c[2]), c[3], c[4], c[5], bool(c[6]))
            for c in json.loads(row["history"] or "[]")
        ]
        held = None
        if row["w_id"] is not None:
            held = Withheld(
                row["w_id"],
                row["id"],
                row["w_reason"],
                from_db(row["w_expected"]),
                from_db(row["w_marked"]),
            )
        standings.append(
            standing_of(
                units.Unit(
                    row["id"],
                    row["guild_id"],
                    row["code"],
                    row["name"],
                    row["parent_id"],
                    row["member_count"],
                ),
                changes,
                from_db(row["heard_at"]),
                now,
                zone,
                held,
                row["heard_kind"],
            )
        )
    return Overview(
        standings,
        total=len(standings),
        reached_ta=sum(1 for s in standings if s.tentative_at is not None),
        ratified=sum(1 for s in standings if s.status == "ratified"),
        negotiating=sum(1 for s in standings if s.status == "negotiating"),
        waiting=sum(1 for s in standings if s.days_waiting is not None),
    )


async def standing(
    db: Database, guild_id: int, unit_text: str, now: datetime, zone: str
) -> tuple[UnitStanding, list[StatusChange]]:
    """One unit's standing and history (for `/tracker show unit:`)."""
    unit = await units.find(db, guild_id, unit_text)
    changes = await history(db, guild_id, unit.id)
    heard = await db.fetchone(LAST_HEARD_ONE, (guild_id, unit.id))
    held = await withheld(db, guild_id, unit.id)
    return standing_of(
        unit,
        changes,
        from_db(heard[0]) if heard else None,
        now,
        zone,
        held,
        heard[1] if heard else None,
    ), changes


async def withheld(db: Database, guild_id: int, unit_id: int) -> Withheld | None:
    """The unit's open "details withheld" mark with its date history, or None."""
    row = await db.fetchone(WITHHELD_OPEN, (guild_id, unit_id))
    if row is None:
        return None
    changes = tuple(
        DateChange(
            from_db(c["old_expected_at"]),
            from_db(c["new_expected_at"]),
            c["reason"],
            from_db(c["changed_at"]),
        )
        for c in await db.fetchall(DATE_CHANGES, (row["id"],))
    )
    return _withheld_from_row(row, changes)


async def mark_withheld(
    db: Database,
    guild_id: int,
    unit_text: str,
    reason: str,
    expected_at: datetime,
    actor_id: int | None,
    now: datetime,
    zone: str,
) -> tuple[Withheld, bool]:
    """Mark a unit's details withheld (reason and expected release date required), or move the
    expected date of a unit already marked, keeping the old date in the history (audited).

    Returns the mark and whether it is new. Refuses an empty reason, a date before today, and a
    unit without a tentative agreement or whose details are already out.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError(
            "Say why the details are withheld (members read it), like "
            "`reason: other locals are still at the table`."
        )
    if len(reason) > REASON_MAX:
        raise UserError(f"The reason is {len(reason)} characters; keep it to {REASON_MAX}.")
    if days_between(now, expected_at, zone) < 0:
        raise UserError(
            "The expected release date is in the past: give today or a later date, like "
            "`expected: June 28`."
        )
    async with db.transaction():
        unit = await units.find(db, guild_id, unit_text)
        s = standing_of(unit, await history(db, guild_id, unit.id), None, now, zone)
        if s.tentative_at is None or s.details_at is not None:
            raise UserError(
                f"{unit.label} has no tentative agreement waiting for its details "
                f"(it is at **{STATUSES[s.status].label}**): only those can be marked withheld."
            )
        current = await db.fetchone(WITHHELD_OPEN, (guild_id, unit.id))
        if current is None:
            withheld_id = await db.execute(
                WITHHELD_INSERT,
                (guild_id, unit.id, reason, to_db(expected_at), to_db(now), actor_id),
            )
            created = True
            verb = "tracker.withheld"
        else:
            withheld_id = current["id"]
            created = False
            verb = "tracker.withheld_move"
            if from_db(current["expected_at"]) != expected_at:
                await db.execute(
                    DATE_CHANGE_INSERT,
                    (withheld_id, current["expected_at"], to_db(expected_at), reason,
                     to_db(now), actor_id),
                )  # fmt: skip
            await db.execute(WITHHELD_MOVE, (reason, to_db(expected_at), withheld_id))
        await audit.record(db, guild_id, actor_id, verb, f"unit {unit.code}", None, now)
        found = await withheld(db, guild_id, unit.id)
    assert found is not None  # written in this transaction
    return found, created


# -- proposals at the table ----------------------------------------------------------------

PROPOSAL_TITLE_MAX = 150
MOVES = ("union", "employer")
PROPOSAL_INSERT = (
    "INSERT INTO proposal (guild_id, unit_id, title, whose_move, last_exchange_at, note, "
    "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
PROPOSAL_GET = "SELECT * FROM proposal WHERE guild_id = ? AND id = ?"
PROPOSAL_OPEN = (
    "SELECT * FROM proposal WHERE guild_id = ? AND unit_id = ? AND state = 'open' "
    "ORDER BY last_exchange_at DESC, id"
)
PROPOSAL_SET = (
    "UPDATE proposal SET whose_move = ?, last_exchange_at = ?, note = ? WHERE id = ? "
    "AND state = 'open'"
)
PROPOSAL_CLOSE = (
    "UPDATE proposal SET state = 'closed', outcome = ?, closed_at = ? WHERE id = ? "
    "AND state = 'open'"
)


@dataclass(frozen=True)
class Proposal:
    """An open (or closed) item at the table: whose move it is, and the last exchange."""

    id: int
    unit_id: int
    title: str
    whose_move: str
    last_exchange_at: datetime
    note: str | None
    state: str
    outcome: str | None


def _proposal(row: Any) -> Proposal:
    return Proposal(
        row["id"],
        row["unit_id"],
        row["title"],
        row["whose_move"],
        from_db(row["last_exchange_at"]),
        row["note"],
        row["state"],
        row["outcome"],
    )


def _move(text: str) -> str:
    move = (text or "").strip().lower()
    if move not in MOVES:
        raise UserError("Whose move is it: `union` or `employer`?")
    return move


def _clean_note(note: str | None) -> str | None:
    note = " ".join((note or "").split()) or None
    if note is not None and len(note) > REASON_MAX:
        raise UserError(f"The note is {len(note)} characters; keep it to {REASON_MAX}.")
    return note


async def add_proposal(
    db: Database,
    guild_id: int,
    unit_text: str,
    title: str,
    whose_move: str,
    actor_id: int | None,
    now: datetime,
    *,
    exchanged_at: datetime | None = None,
    note: str | None = None,
) -> Proposal:
    """Add an open item at a unit's table (audited)."""
    title = " ".join((title or "").split())
    if not title or len(title) > PROPOSAL_TITLE_MAX:
        raise UserError(f"Name the item in 1 to {PROPOSAL_TITLE_MAX} characters, like `Wages`.")
    move, note = _move(whose_move), _clean_note(note)
    when = exchanged_at or now
    if when > now:
        raise UserError("The last exchange is today or in the past: give a date that has come.")
    async with db.transaction():
        unit = await units.find(db, guild_id, unit_text)
        new_id = await db.execute(
            PROPOSAL_INSERT,
            (guild_id, unit.id, title, move, to_db(when), note, to_db(now), actor_id),
        )
        await audit.record(db, guild_id, actor_id, "tracker.proposal_add", f"proposal {new_id}",
                           None, now)  # fmt: skip
        return await get_proposal(db, guild_id, new_id)


async def get_proposal(db: Database, guild_id: int, proposal_id: int) -> Proposal:
    """One item by number, or NotFound."""
    row = await db.fetchone(PROPOSAL_GET, (guild_id, proposal_id))
    if row is None:
        raise NotFound(
            f"There is no proposal #{proposal_id} here: `/tracker proposals unit:` lists them."
        )
    return _proposal(row)


async def set_proposal(
    db: Database,
    guild_id: int,
    proposal_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    whose_move: str | None = None,
    exchanged_at: datetime | None = None,
    note: str | None = None,
) -> Proposal:
    """Record an exchange on an open item: whose move it is now and when (today by default)."""
    async with db.transaction():
        current = await get_proposal(db, guild_id, proposal_id)
        if current.state != "open":
            raise Conflict(f"Proposal #{proposal_id} is closed.")
        move = _move(whose_move) if whose_move else current.whose_move
        when = exchanged_at or now
        if when > now:
            raise UserError("The exchange is today or in the past: give a date that has come.")
        note = _clean_note(note) if note is not None else current.note
        await db.execute(PROPOSAL_SET, (move, to_db(when), note, proposal_id))
        await audit.record(db, guild_id, actor_id, "tracker.proposal_set",
                           f"proposal {proposal_id}", move, now)  # fmt: skip
        return await get_proposal(db, guild_id, proposal_id)


async def close_proposal(
    db: Database, guild_id: int, proposal_id: int, outcome: str | None, actor_id: int | None,
    now: datetime,
) -> Proposal:  # fmt: skip
    """Close an item (agreed, withdrawn...), with an optional outcome for members."""
    async with db.transaction():
        current = await get_proposal(db, guild_id, proposal_id)
        if current.state != "open":
            raise Conflict(f"Proposal #{proposal_id} is already closed.")
        await db.execute(PROPOSAL_CLOSE, (_clean_note(outcome), to_db(now), proposal_id))
        await audit.record(db, guild_id, actor_id, "tracker.proposal_close",
                           f"proposal {proposal_id}", None, now)  # fmt: skip
        return await get_proposal(db, guild_id, proposal_id)


async def open_proposals(
    db: Database, guild_id: int, unit_text: str
) -> tuple[units.Unit, list[Proposal]]:
    """A unit's open items, most recent exchange first."""
    unit = await units.find(db, guild_id, unit_text)
    return unit, [_proposal(r) for r in await db.fetchall(PROPOSAL_OPEN, (guild_id, unit.id))]


def proposals_embed(
    unit: units.Unit, items: list[Proposal], now: datetime, zone: str
) -> dict[str, Any]:
    """`/tracker proposals unit:`: each open item, whose move, the last exchange."""
    if not items:
        text = "No open items recorded at this table."
    else:
        lines = []
        for p in items:
            days = days_between(p.last_exchange_at, now, zone)
            ago = "today" if days == 0 else f"{days} day{'' if days == 1 else 's'} ago"
            who = "the union's" if p.whose_move == "union" else "the employer's"
            line = (
                f"`#{p.id}` **{truncate(p.title, 80)}** · {who} move · last exchange "
                f"{_date(p.last_exchange_at, zone)} ({ago})"
            )
            if p.note:
                line += f"\n  {truncate(p.note, 200)}"
            lines.append(line)
        text = "\n".join(lines)
    return embed(
        f"At the table: {unit.label}",
        truncate(text, 4000),
        footer=f"{len(items)} open item{'' if len(items) == 1 else 's'}",
        colour=Colour.INFO,
    )


# -- silence -----------------------------------------------------------------------------


async def arm_silence(
    db: Database, guild_id: int, update_id: int | None, unit_ids: list[int], now: datetime
) -> None:
    """(Re)start each unit's silence clock: a nudge N days from now (`/setup` silence_days),
    replacing the pending one. Called in the publication's transaction."""
    if not unit_ids:
        return
    days = (await guild_settings.get(db, guild_id)).silence_days
    for unit_id in unit_ids:
        await timers.cancel_subject(db, SILENCE_KIND, unit_id)
        await timers.schedule(db, guild_id, SILENCE_KIND, unit_id, now + timedelta(days=days), now)


def _day_text(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%B} {local.day}"


def no_news_text(unit: units.Unit, last: datetime | None, zone: str) -> tuple[str, str]:
    """The title and text a no-news update form opens with (organizers fill in the dates)."""
    met = _day_text(last, zone) if last else "..."
    return (
        f"No news this week: {unit.label}",
        f"No news this week: we met on {met}, we meet again on ... . "
        "Nothing new to report yet; we will tell you as soon as there is.",
    )


def nudge_message(unit: units.Unit, days: int, late: bool) -> dict[str, Any]:
    """The committee channel's nudge about a silent unit, with its no-news button."""
    text = (
        f"Members of **{unit.label}** have heard nothing for **{days} days**. Even no news is "
        "worth saying: post a short no-news update so they know bargaining goes on."
    )
    if late:
        text += "\n\n*(This nudge is late: the bot was offline when it came due.)*"
    button = {
        "type": 2,
        "style": 1,
        "label": "Post a no-news update",
        "custom_id": NO_NEWS_ID.format(unit_id=unit.id),
    }
    return message(
        embeds=[embed(f"Silence: {unit.label}", text, colour=Colour.WARNING)],
        components=[{"type": 1, "components": [button]}],
    )


async def fire_silence(db: Database, timer: timers.Timer, now: datetime) -> None:
    """A unit's silence clock ran out: nudge the committee channel if the unit is still at the
    table or waiting for details and nothing was posted since; never repeated until the next
    update re-arms it."""
    unit_id = timer.subject_id
    if unit_id is None:
        return
    settings = await guild_settings.get(db, timer.guild_id)
    try:
        unit = await units.get(db, timer.guild_id, unit_id)
    except NotFound:
        return
    heard = await db.fetchone(LAST_HEARD_ONE, (timer.guild_id, unit_id))
    row = await db.fetchone(CURRENT, (timer.guild_id, unit_id))
    if row is None or row["status"] not in SILENT_STATUSES:
        return
    since = from_db(heard[0]) if heard else from_db(row["reached_at"])
    due = since + timedelta(days=settings.silence_days)
    if due > now + timedelta(minutes=1):
        # The setting grew since the clock was armed: wait for the new due time.
        await timers.schedule(db, timer.guild_id, SILENCE_KIND, unit_id, due, now)
        return
    if settings.committee_channel_id is None:
        log.warning("silence nudge for unit %s skipped: no committee channel", unit_id)
        return
    await delivery.enqueue(
        db,
        timer.guild_id,
        "tracker.silence",
        nudge_message(unit, days_between(since, now, settings.timezone), timer.late),
        [delivery.Target.channel(settings.committee_channel_id)],
        now,
        subject=f"unit {unit_id}",
    )


async def set_status(
    db: Database,
    guild_id: int,
    unit_text: str,
    status_text: str,
    actor_id: int | None,
    now: datetime,
    *,
    note: str | None = None,
    reached_at: datetime | None = None,
    force: bool = False,
    post_update: bool = True,
    update_id: int | None = None,
) -> tuple[StatusChange, updates.Update | None]:
    """Move a unit to a status (audited), posting an update about it unless told not to.

    Refuses a move backwards in the lifecycle (or to a date before the current status) unless
    `force`; a rejected agreement may go back to negotiations without it.
    """
    status = find_status(status_text)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise UserError(f"The note is {len(note)} characters; keep it to {NOTE_MAX}.")
    when = reached_at or now
    if when > now:
        raise UserError("A status is reached today or in the past: give a date that has come.")
    async with db.transaction():
        unit = await units.find(db, guild_id, unit_text)
        row = await db.fetchone(CURRENT, (guild_id, unit.id))
        current = _from_row(row) if row else None
        if current is not None and not force:
            was = STATUSES.get(current.status)
            if current.status == status.code:
                raise Conflict(f"{unit.label} is already at **{status.label}**.")
            backwards = was is not None and status.rank < was.rank and was.code != "rejected"
            if backwards:
                raise UserError(
                    f"{unit.label} is at **{was.label}**; **{status.label}** would move it back. "
                    "If that is right (a deal fell through), run it again with `force: True`."
                )
            if when < current.reached_at:
                raise UserError(
                    f"{unit.label} reached **{current.label}** after that date: give a later date, "
                    "or `force: True` to record it anyway."
                )
        published = None
        if post_update:
            draft = updates.Draft(
                f"{unit.label}: {status.label.lower()}",
                note or f"{unit.label} is now at: {status.label}.",
                None,
                (),
                (unit,),
            )
            published = await updates.publish(db, guild_id, actor_id, draft, now, kind="status")
            update_id = published.id
        if status.code in DETAILS_OUT:
            await db.execute(WITHHELD_RELEASE, (to_db(now), guild_id, unit.id))
        if not post_update:
            await arm_silence(db, guild_id, None, [unit.id], now)
        change_id = await db.execute(
            INSERT,
            (
                guild_id,
                unit.id,
                status.code,
                to_db(when),
                note,
                actor_id,
                update_id,
                int(force),
                to_db(now),
            ),
        )
        await audit.record(
            db, guild_id, actor_id, "tracker.set", f"unit {unit.code}", status.code, now
        )
        changed = _from_row(
            await db.fetchone("SELECT * FROM tracker_status_change WHERE id = ?", (change_id,))
        )
    return changed, published


# -- rendering ---------------------------------------------------------------------------


def _when(at: datetime | None) -> str:
    return discord_timestamp(at, "D") if at else "—"


def standing_line(s: UnitStanding, now: datetime, zone: str) -> str:
    """One unit in the at-a-glance list."""
    code = s.unit.code
    if s.current is None:
        return f"**{code}** · Not started"
    text = f"**{code}** · {s.current.label} since {_when(s.current.reached_at)}"
    if s.days_waiting is not None:
        text += f" · ⏳ **{s.days_waiting} days** waiting for the details"
    elif s.days_to_details is not None and s.status in DETAILS_OUT:
        text += f" · details after {s.days_to_details} days"
    if s.withheld is not None:
        text += "\n  " + withheld_text(s.withheld, now, zone)
    if s.status in SILENT_STATUSES or s.withheld is not None:
        text += " · " + heard_text(s, now, zone)
    return text


def heard_text(s: UnitStanding, now: datetime, zone: str) -> str:
    """When members last heard anything about the unit: "last update 12 days ago"."""
    if s.last_heard is None:
        return "no update yet"
    days = days_between(s.last_heard, now, zone)
    when = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    return f"last update {when}" + (" (no news)" if s.last_heard_kind == "no_news" else "")


def _date(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%B} {local.day}, {local.year}"


def withheld_text(w: Withheld, now: datetime, zone: str) -> str:
    """Details withheld: the reason, the expected date, and "overdue by N days" past it."""
    text = f"🔒 Details withheld: {truncate(w.reason, 200)} · expected {_date(w.expected_at, zone)}"
    overdue = days_between(w.expected_at, now, zone)
    if overdue > 0:
        text += f" · **overdue by {overdue} day{'' if overdue == 1 else 's'}**"
    return text


def withheld_history(w: Withheld, zone: str) -> list[str]:
    """Each move of the expected date: "expected May 1, moved to June 1 on April 28: reason"."""
    return [
        f"expected {_date(c.old_expected_at, zone)}, moved to {_date(c.new_expected_at, zone)} "
        f"on {_date(c.changed_at, zone)}" + (f": {truncate(c.reason, 200)}" if c.reason else "")
        for c in w.changes
    ]


def overview_embed(view: Overview, now: datetime, zone: str) -> dict[str, Any]:
    """`/tracker show`: every unit, the totals, the waits."""
    totals = [
        f"**{view.reached_ta} of {view.total}** units have reached a tentative agreement",
        f"**{view.ratified} of {view.total}** ratified",
    ]
    if view.negotiating:
        totals.append(f"{view.negotiating} in negotiations")
    if view.waiting:
        totals.append(f"{view.waiting} waiting for the details of their agreement")
    lines = [standing_line(s, now, zone) for s in view.standings] or [
        "No bargaining units yet: organizers add them with `/tracker units add`."
    ]
    description = "\n".join(totals) + "\n\n" + "\n".join(lines)
    return embed(
        "Where bargaining stands",
        description,
        footer="/tracker show unit: for one unit's history · /tracker chart for the timeline",
        colour=Colour.INFO,
        timestamp=now,
    )


def unit_embed(
    s: UnitStanding, changes: list[StatusChange], now: datetime, zone: str
) -> dict[str, Any]:
    """`/tracker show unit:`: the unit's status and history."""
    head = standing_line(s, now, zone)
    if s.unit.member_count:
        head += f"\n{s.unit.member_count:,} members"
    if s.last_heard is not None:
        heard = heard_text(s, now, zone)
        head += f"\n{heard[0].upper()}{heard[1:]} ({discord_timestamp(s.last_heard, 'D')})"
    fields = []
    if s.withheld is not None:
        waited = days_between(s.tentative_at, now, zone) if s.tentative_at else 0
        lines = [
            f"Why: {truncate(s.withheld.reason, 300)}",
            f"Expected: {_date(s.withheld.expected_at, zone)} · waited {waited} days so far",
        ]
        overdue = days_between(s.withheld.expected_at, now, zone)
        if overdue > 0:
            lines.append(f"**Overdue by {overdue} day{'' if overdue == 1 else 's'}**")
        lines += [f"• {h}" for h in withheld_history(s.withheld, zone)]
        fields.append(("Details withheld", truncate("\n".join(lines), 1024), False))
    for c in changes:
        value = truncate(c.note, 300) if c.note else "—"
        if c.update_id:
            value += f"\nUpdate `#{c.update_id}`"
        if c.forced:
            value += " (corrected)"
        fields.append(
            (
                f"{c.label} · {c.reached_at.astimezone(ZoneInfo(zone)):%B} "
                f"{c.reached_at.astimezone(ZoneInfo(zone)).day}, "
                f"{c.reached_at.astimezone(ZoneInfo(zone)).year}",
                value,
                False,
            )
        )
    return embed(
        s.unit.label,
        head + ("" if changes else "\n\nNo status recorded yet."),
        fields=fields,
        colour=Colour.INFO,
    )


# -- the chart ---------------------------------------------------------------------------


def timeline_png(view: Overview, histories: dict[int, list[StatusChange]], now: datetime) -> bytes:
    """A PNG timeline: units as rows, statuses as coloured spans, today marked (CPU work:
    call through asyncio.to_thread)."""
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.patches import Patch

    from bot.core import charts

    rows = [s for s in view.standings][::-1]
    height = max(3.0, 0.45 * len(rows) + 1.8)
    with charts.figure(11, height) as fig:
        ax = fig.add_subplot(1, 1, 1)
        starts = [c.reached_at for h in histories.values() for c in h]
        first = min(starts) if starts else now
        used: dict[str, Status] = {}
        for y, s in enumerate(rows):
            changes = histories.get(s.unit.id, [])
            for i, c in enumerate(changes):
                end = changes[i + 1].reached_at if i + 1 < len(changes) else now
                if end <= c.reached_at:
                    continue
                status = STATUSES.get(c.status, STATUSES["not_started"])
                used[status.code] = status
                left = date2num(c.reached_at)
                ax.barh(
                    y,
                    date2num(end) - left,
                    left=left,
                    height=0.6,
                    color=status.colour,
                    edgecolor="white",
                    linewidth=0.5,
                )
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([truncate(s.unit.code, 16) for s in rows])
        ax.axvline(date2num(now), color="#ED4245", linestyle="--", linewidth=1.2)
        ax.text(date2num(now), len(rows) - 0.4, " today", color="#ED4245", va="bottom")
        ax.set_xlim(date2num(first) - 2, date2num(now) + 4)
        ax.set_ylim(-0.7, len(rows) - 0.1)
        ax.xaxis.set_major_formatter(DateFormatter("%b %d"))
        ax.set_title("Bargaining timeline")
        ordered = [s for s in STATUSES.values() if s.code in used]
        if ordered:
            ax.legend(
                handles=[Patch(color=s.colour, label=s.label) for s in ordered],
                loc="upper left",
                bbox_to_anchor=(1.01, 1),
                fontsize=8,
            )
        return charts.to_png(fig)


async def chart_data(
    db: Database, guild_id: int, now: datetime, zone: str
) -> tuple[Overview, dict[int, list[StatusChange]]]:
    """What `timeline_png` draws, read in one go (so the drawing thread never touches the db)."""
    view = await overview(db, guild_id, now, zone)
    by_unit: dict[int, list[StatusChange]] = {}
    for row in await db.fetchall(ALL_HISTORY, (guild_id,)):
        by_unit.setdefault(row["unit_id"], []).append(_from_row(row))
    return view, by_unit


# -- demo content ------------------------------------------------------------------------


def demo_instant(value: Any, zone: str = "America/Los_Angeles") -> datetime:
    """A date from the demo YAML as noon in the campaign's zone (so calendar days are right)."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return datetime.combine(day, time(12), ZoneInfo(zone))


async def load_demo_units(db: Database, guild_id: int, now: datetime) -> None:
    """The timeline's own units (the general negotiations table); idempotent."""
    data = yaml.safe_load((DEMO_DIR / "timeline.yaml").read_text(encoding="utf-8"))
    for entry in data.get("units", ()):
        row = (guild_id, str(entry["code"]), entry["name"], None, entry.get("member_count"))
        await db.execute(units.INSERT, (*row, to_db(now)))


async def load_demo_timeline(db: Database, guild_id: int, now: datetime) -> str:
    """The campaign's dated timeline (data/demo/timeline.yaml); changes after `now` are left
    for a later load. Idempotent."""
    data = yaml.safe_load((DEMO_DIR / "timeline.yaml").read_text(encoding="utf-8"))
    added = 0
    await load_demo_units(db, guild_id, now)
    async with db.transaction():
        for entry in data["timeline"]:
            when = demo_instant(entry["date"])
            if when > now:
                continue
            codes = entry["units"] if "units" in entry else [entry["unit"]]
            update_id = None
            if entry.get("update"):
                key = f"demo_update:{guild_id}:{entry['update']}"
                value = await db.fetchval(updates.DEMO_KEY, (key,))
                update_id = int(value) if value else None
            for code in codes:
                unit = await units.find(db, guild_id, str(code))
                status = find_status(entry["status"])
                if await db.fetchone(EXISTS, (guild_id, unit.id, status.code, to_db(when))):
                    continue
                await db.execute(
                    INSERT,
                    (
                        guild_id,
                        unit.id,
                        status.code,
                        to_db(when),
                        entry.get("note"),
                        None,
                        update_id,
                        0,
                        to_db(now),
                    ),
                )
                added += 1
    return f"tracker: {added} status changes added"


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {SILENCE_KIND: fire_silence}
