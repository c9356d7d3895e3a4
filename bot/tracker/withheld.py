"""Details withheld: a unit whose tentative agreement's details are not out yet, why, and
when they are expected; each move of the expected date is kept, never overwritten.
"""

from __future__ import annotations

from datetime import datetime

from bot.core import audit, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import UserError
from bot.core.render import truncate
from bot.tracker import model
from bot.tracker.model import REASON_MAX, STATUSES, DateChange, Withheld, date_text, days_between

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


async def open_mark(db: Database, guild_id: int, unit_id: int) -> Withheld | None:
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
    return model.withheld_from_row(row, changes)


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
        s = model.standing_of(unit, await model.history(db, guild_id, unit.id), None, now, zone)
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
        found = await open_mark(db, guild_id, unit.id)
    assert found is not None  # written in this transaction
    return found, created


def withheld_text(w: Withheld, now: datetime, zone: str) -> str:
    """Details withheld: the reason, the expected date, and "overdue by N days" past it."""
    expected = date_text(w.expected_at, zone)
    text = f"🔒 Details withheld: {truncate(w.reason, 200)} · expected {expected}"
    overdue = days_between(w.expected_at, now, zone)
    if overdue > 0:
        text += f" · **overdue by {overdue} day{'' if overdue == 1 else 's'}**"
    return text


def withheld_history(w: Withheld, zone: str) -> list[str]:
    """Each move of the expected date: "expected May 1, moved to June 1 on April 28: reason"."""
    return [
        f"expected {date_text(c.old_expected_at, zone)}, "
        f"moved to {date_text(c.new_expected_at, zone)} on {date_text(c.changed_at, zone)}"
        + (f": {truncate(c.reason, 200)}" if c.reason else "")
        for c in w.changes
    ]
