"""The tracker's lifecycle and records: statuses, status changes, withheld marks, standings.

Every status change is a dated, authored row linked to the update that announced it; a unit's
status is its newest row. Days are counted in the server's time zone, by calendar date, so
"Local 600 reached its tentative agreement on March 20 and members saw the details on June 28"
is 100 days whatever the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import units
from bot.core.db import Database, from_db
from bot.core.errors import UserError
from bot.core.render import truncate

NOTE_MAX = 1000
REASON_MAX = 500


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
LAST_HEARD_ONE = "SELECT heard_at, kind FROM unit_last_heard WHERE guild_id = ? AND unit_id = ?"
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


def change_from_row(row: Any) -> StatusChange:
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


def withheld_from_row(row: Any, changes: tuple[DateChange, ...] = ()) -> Withheld:
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
    return [change_from_row(r) for r in await db.fetchall(HISTORY, (guild_id, unit_id))]


def date_text(at: datetime, zone: str) -> str:
    """A date in the server's zone: "June 28, 2024"."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%B} {local.day}, {local.year}"


def day_text(at: datetime, zone: str) -> str:
    """A day in the server's zone, without the year: "June 28"."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%B} {local.day}"
