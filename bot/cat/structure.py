"""A unit's shifts and member counts, its own coverage target, and a volunteer's list size.

A shift's member count and a unit's add up: the shifts of a unit never count more members
than the unit. A sub-unit without its own target takes its nearest parent's, else the
server's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cat import _forms, signups
from bot.core import audit, render, units
from bot.core.db import Database, to_db
from bot.core.errors import Conflict, UserError

DEFAULT_RATIO = 10
# Editors Guild practice: a CAT member keeps in touch with 8 to 35 coworkers they know.
LIST_MIN, LIST_MAX = 8, 35
SHIFT_NAME_MAX = 40

SHIFTS_OF_UNIT = "SELECT * FROM unit_shift WHERE guild_id = ? AND unit_id = ? ORDER BY id"
UPSERT_SHIFT = (
    "INSERT INTO unit_shift (guild_id, unit_id, name, member_count, created_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (unit_id, name) DO UPDATE SET "
    "member_count = coalesce(excluded.member_count, unit_shift.member_count)"
)
SHIFT_BY_UNIT_NAME = "SELECT * FROM unit_shift WHERE guild_id = ? AND unit_id = ? AND name = ?"
DELETE_SHIFT = "DELETE FROM unit_shift WHERE id = ?"
SHIFT_IN_USE = (
    "SELECT (SELECT count(*) FROM cat_conversation WHERE shift_id = :id) "
    "+ (SELECT count(*) FROM cat_volunteer WHERE shift_id = :id)"
)
SET_UNIT_CAT = (
    "UPDATE bargaining_unit SET member_count = coalesce(?, member_count), "
    "cat_target_ratio = coalesce(?, cat_target_ratio) WHERE guild_id = ? AND id = ?"
)
SET_DETAILS = (
    "UPDATE cat_volunteer SET shift_id = coalesce(?, shift_id), "
    "list_size = coalesce(?, list_size), updated_at = ? WHERE guild_id = ? AND user_id = ?"
)
SHIFTS_OF_GUILD = "SELECT * FROM unit_shift WHERE guild_id = ? ORDER BY unit_id, id"
UNIT_RATIOS = "SELECT id, cat_target_ratio FROM bargaining_unit WHERE guild_id = ?"


@dataclass(frozen=True)
class Shift:
    """One shift of a unit, with its member count."""

    id: int
    unit_id: int
    name: str
    member_count: int | None


def _shift(row: Any) -> Shift:
    return Shift(row["id"], row["unit_id"], row["name"], row["member_count"])


async def shifts(db: Database, guild_id: int, unit_id: int) -> list[Shift]:
    """The shifts of one unit, in the order they were added."""
    return [_shift(r) for r in await db.fetchall(SHIFTS_OF_UNIT, (guild_id, unit_id))]


async def find_shift(db: Database, guild_id: int, unit: units.Unit, text: str) -> Shift:
    """The unit's shift a member typed (any case), or a UserError naming the unit's shifts."""
    row = await db.fetchone(SHIFT_BY_UNIT_NAME, (guild_id, unit.id, " ".join(text.split())))
    if row is not None:
        return _shift(row)
    known = ", ".join(s.name for s in await shifts(db, guild_id, unit.id)) or "none yet"
    raise UserError(
        f"{unit.label} has no shift `{render.truncate(text, 40)}`. Its shifts: {known} "
        "(coordinators add them with `/catteam shift`)."
    )


async def by_unit(db: Database, guild_id: int) -> dict[int, list[Shift]]:
    """Every shift of the server, by unit id, each unit's in the order they were added."""
    found: dict[int, list[Shift]] = {}
    for r in await db.fetchall(SHIFTS_OF_GUILD, (guild_id,)):
        found.setdefault(r["unit_id"], []).append(_shift(r))
    return found


async def ratio_overrides(db: Database, guild_id: int) -> dict[int, int]:
    """The units that set their own coverage target: unit id to members per volunteer."""
    return {
        r["id"]: r["cat_target_ratio"]
        for r in await db.fetchall(UNIT_RATIOS, (guild_id,))
        if r["cat_target_ratio"]
    }


async def set_shift(
    db: Database,
    guild_id: int,
    unit: str,
    name: str,
    actor_id: int,
    now: datetime,
    *,
    member_count: int | None = None,
) -> Shift:
    """Add a shift to a unit, or set its member count (audited). The shifts' counts together
    can't exceed the unit's member count."""
    text = _forms.clean(name, "shift name", SHIFT_NAME_MAX)
    _forms.not_negative(member_count, "member count")
    async with db.transaction():
        found = await units.find(db, guild_id, unit)
        if member_count is not None and found.member_count is not None:
            others = sum(
                s.member_count or 0
                for s in await shifts(db, guild_id, found.id)
                if s.name.lower() != text.lower()
            )
            if others + member_count > found.member_count:
                raise UserError(
                    f"{found.label} has {found.member_count} members on record; its shifts "
                    f"would add up to {others + member_count}. Check the numbers, or raise the "
                    "unit's count with `/catteam unit members:` first."
                )
        await db.execute(UPSERT_SHIFT, (guild_id, found.id, text, member_count, to_db(now)))
        row = await db.fetchone(SHIFT_BY_UNIT_NAME, (guild_id, found.id, text))
        await audit.record(
            db, guild_id, actor_id, "cat.shift_set", f"unit {found.code}", f"{text}", now
        )
    return _shift(row)


async def remove_shift(
    db: Database, guild_id: int, unit: str, name: str, actor_id: int, now: datetime
) -> Shift:
    """Remove a shift nothing refers to (audited); Conflict when volunteers or logs use it."""
    async with db.transaction():
        found = await units.find(db, guild_id, unit)
        shift = await find_shift(db, guild_id, found, name)
        if await db.fetchval(SHIFT_IN_USE, {"id": shift.id}, 0):
            raise Conflict(
                f"{found.label}, {shift.name} has volunteers or logged conversations: it stays."
            )
        await db.execute(DELETE_SHIFT, (shift.id,))
        await audit.record(
            db, guild_id, actor_id, "cat.shift_remove", f"unit {found.code}", shift.name, now
        )
    return shift


async def set_unit(
    db: Database,
    guild_id: int,
    unit: str,
    actor_id: int,
    now: datetime,
    *,
    member_count: int | None = None,
    ratio: int | None = None,
) -> units.Unit:
    """Set a unit's member count and/or its own coverage target (audited)."""
    _forms.not_negative(member_count, "member count")
    if ratio is not None and not 1 <= ratio <= 1000:
        raise UserError("A target is one volunteer per 1 to 1000 members.")
    if member_count is None and ratio is None:
        raise UserError("Give the unit's member count, its target ratio, or both.")
    async with db.transaction():
        found = await units.find(db, guild_id, unit)
        if member_count is not None:
            on_shifts = sum(s.member_count or 0 for s in await shifts(db, guild_id, found.id))
            if member_count < on_shifts:
                raise UserError(
                    f"{found.label}'s shifts already count {on_shifts} members, more than "
                    f"{member_count}: lower the shifts' counts first."
                )
        await db.execute(SET_UNIT_CAT, (member_count, ratio, guild_id, found.id))
        await audit.record(
            db,
            guild_id,
            actor_id,
            "cat.unit_set",
            f"unit {found.code}",
            f"members={member_count} ratio={ratio}",
            now,
        )
    return await units.get(db, guild_id, found.id)


async def unit_ratio(db: Database, guild_id: int, unit_id: int, server_ratio: int) -> int:
    """The unit's own target, else its nearest parent's, else the server's."""
    all_units = {u.id: u for u in await units.list_units(db, guild_id)}
    overrides = await ratio_overrides(db, guild_id)
    node = all_units.get(unit_id)
    while node is not None:
        if overrides.get(node.id):
            return int(overrides[node.id])
        node = all_units.get(node.parent_id) if node.parent_id else None
    return max(1, int(server_ratio or DEFAULT_RATIO))


def list_size_warnings(size: int, ratio: int) -> list[str]:
    """Kind notes on a list size outside 8-35 or above the unit's target (empty when fine)."""
    notes = []
    if size < LIST_MIN:
        notes.append(
            f"That's a short list, and that's fine to start with: CAT volunteers usually keep in "
            f"touch with {LIST_MIN} to {LIST_MAX} coworkers. Think of who else you see on your "
            "shift, at breaks, or on the same crew."
        )
    elif size > LIST_MAX:
        notes.append(
            f"That's a lot for one person: more than {LIST_MAX} is hard to keep up with. A "
            "coordinator can help you share it with another volunteer."
        )
    if size > ratio:
        notes.append(
            f"Your unit aims for one volunteer for every {ratio} coworkers, so {size} is more "
            "than one volunteer's share: let a coordinator know, they may recruit someone "
            "to share it with you."
        )
    return notes


async def set_details(
    db: Database,
    guild_id: int,
    user_id: int,
    now: datetime,
    *,
    shift: str | None = None,
    list_size: int | None = None,
    server_ratio: int = DEFAULT_RATIO,
) -> tuple[signups.Volunteer, list[str]]:
    """A volunteer records their shift and how many coworkers they keep in touch with;
    returns the record and the kind warnings about the list size."""
    _forms.not_negative(list_size, "list size")
    if shift is None and list_size is None:
        raise UserError("Give your shift, your list size (how many coworkers), or both.")
    async with db.transaction():
        volunteer = await signups.get_volunteer(db, guild_id, user_id)
        if volunteer is None or not volunteer.current:
            raise UserError("You're not on the CAT here: join with `/cat join` first.")
        unit = await units.get(db, guild_id, volunteer.unit_id)
        if list_size is not None and unit.member_count is not None:
            if list_size > unit.member_count:
                raise UserError(
                    f"{unit.label} has {unit.member_count} members on record, fewer than "
                    f"{list_size}: check the number."
                )
        found = await find_shift(db, guild_id, unit, shift) if shift else None
        await db.execute(
            SET_DETAILS,
            (found.id if found else None, list_size, to_db(now), guild_id, user_id),
        )
        updated = await signups.get_volunteer(db, guild_id, user_id)
        ratio = await unit_ratio(db, guild_id, unit.id, server_ratio)
    notes = list_size_warnings(list_size, ratio) if list_size is not None else []
    return updated, notes  # type: ignore[return-value]
