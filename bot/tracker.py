"""The bargaining tracker: where each unit stands, since when, and how we got here.

Every status change is a dated, authored row linked to the update that announced it; a unit's
status is its newest row. Days are counted in the server's time zone, by calendar date, so
"Local 600 reached its tentative agreement on March 20 and members saw the details on June 28"
is 100 days whatever the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot import audit, units, updates
from bot.db import Database, from_db, to_db
from bot.demo import DEMO_DIR
from bot.errors import Conflict, UserError
from bot.render import Colour, embed, truncate
from bot.timeparse import discord_timestamp

NOTE_MAX = 1000


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
# When members last heard anything about each unit: one query for the whole overview. A
# retracted update counts (members heard it), which keeps the query on the covering index
# bargaining_update_guild instead of reading every update's row.
LAST_HEARD = (
    "SELECT x.unit_id, max(u.published_at) FROM bargaining_update u "
    "JOIN bargaining_update_unit x ON x.update_id = u.id "
    "WHERE u.guild_id = ? GROUP BY x.unit_id"
)


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
class UnitStanding:
    """A unit at a glance: its status, since when, and how long members waited for details."""

    unit: units.Unit
    current: StatusChange | None
    tentative_at: datetime | None  # when it first reached a tentative agreement
    details_at: datetime | None  # when a summary (or the MOA) was released after it
    days_waiting: int | None  # TA reached, details not out: days so far
    days_to_details: int | None  # TA to details, once they are out
    last_heard: datetime | None

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


def standing_of(
    unit: units.Unit,
    history: list[StatusChange],
    last_heard: datetime | None,
    now: datetime,
    zone: str,
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
    return UnitStanding(unit, current, tentative_at, details_at, waiting, to_details, last_heard)


async def history(db: Database, guild_id: int, unit_id: int) -> list[StatusChange]:
    """A unit's status changes, oldest first."""
    return [_from_row(r) for r in await db.fetchall(HISTORY, (guild_id, unit_id))]


async def overview(db: Database, guild_id: int, now: datetime, zone: str) -> Overview:
    """Every unit at a glance, with the totals ("10 of 13 units have reached a TA")."""
    all_units = await units.list_units(db, guild_id)
    by_unit: dict[int, list[StatusChange]] = {}
    for row in await db.fetchall(ALL_HISTORY, (guild_id,)):
        by_unit.setdefault(row["unit_id"], []).append(_from_row(row))
    heard = {r[0]: from_db(r[1]) for r in await db.fetchall(LAST_HEARD, (guild_id,))}
    standings = [
        standing_of(u, by_unit.get(u.id, []), heard.get(u.id), now, zone) for u in all_units
    ]
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
    return standing_of(
        unit, changes, await updates.last_heard(db, guild_id, unit.id), now, zone
    ), changes


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
    return text


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
        head += f"\nLast update {discord_timestamp(s.last_heard, 'R')}"
    fields = []
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

    from bot import charts

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
