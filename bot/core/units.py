"""Bargaining units: the locals, units or tables a campaign bargains for.

Every capability that speaks of "a unit" (the tracker, the CAT, events, votes) refers to a
row here by id and lets members type its code ("600") or name; `find` resolves either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from bot.core import audit
from bot.core.db import Database, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.paths import DEMO_DIR
from bot.core.render import truncate

CODE_MAX = 32
NAME_MAX = 100

INSERT = (
    "INSERT INTO bargaining_unit (guild_id, code, name, parent_id, member_count, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, code) DO NOTHING"
)
ALL = "SELECT * FROM bargaining_unit WHERE guild_id = ? ORDER BY parent_id IS NOT NULL, code"
BY_CODE = "SELECT * FROM bargaining_unit WHERE guild_id = ? AND code = ? COLLATE NOCASE"
BY_ID = "SELECT * FROM bargaining_unit WHERE guild_id = ? AND id = ?"
UPDATE = (
    "UPDATE bargaining_unit SET name = ?, parent_id = ?, member_count = ? "
    "WHERE guild_id = ? AND id = ?"
)
DELETE = "DELETE FROM bargaining_unit WHERE guild_id = ? AND id = ?"
CHILDREN = "SELECT count(*) FROM bargaining_unit WHERE parent_id = ?"


@dataclass(frozen=True)
class Unit:
    """One bargaining unit."""

    id: int
    guild_id: int
    code: str
    name: str
    parent_id: int | None
    member_count: int | None

    @property
    def label(self) -> str:
        """How the unit is shown: its name (which normally includes its number)."""
        return self.name if self.code in self.name else f"{self.name} ({self.code})"


def _from_row(row: Any) -> Unit:
    return Unit(
        row["id"], row["guild_id"], row["code"], row["name"], row["parent_id"], row["member_count"]
    )


def _clean(code: str, name: str, member_count: int | None) -> tuple[str, str]:
    code, name = code.strip(), " ".join(name.split())
    if not code or len(code) > CODE_MAX or any(c.isspace() for c in code):
        raise UserError(f"A unit code is one word of at most {CODE_MAX} characters, like `600`.")
    if not name or len(name) > NAME_MAX:
        raise UserError(f"A unit name is 1 to {NAME_MAX} characters.")
    if member_count is not None and member_count < 0:
        raise UserError("A member count can't be negative.")
    return code, name


async def list_units(db: Database, guild_id: int) -> list[Unit]:
    """Every unit of the server, top-level ones first, by code."""
    return [_from_row(r) for r in await db.fetchall(ALL, (guild_id,))]


async def get(db: Database, guild_id: int, unit_id: int) -> Unit:
    """One unit by id, or NotFound."""
    row = await db.fetchone(BY_ID, (guild_id, unit_id))
    if row is None:
        raise NotFound("That bargaining unit does not exist in this server.")
    return _from_row(row)


async def find(db: Database, guild_id: int, text: str) -> Unit:
    """The unit a member typed: its code (`600`, `Local 600`) or its exact name, or NotFound."""
    wanted = text.strip()
    if wanted.lower().startswith("local "):
        wanted = wanted[6:].strip()
    row = await db.fetchone(BY_CODE, (guild_id, wanted))
    if row is not None:
        return _from_row(row)
    for unit in await list_units(db, guild_id):
        if unit.name.lower() == text.strip().lower() or str(unit.id) == wanted:
            return unit
    codes = ", ".join(u.code for u in await list_units(db, guild_id)) or "none yet"
    raise NotFound(
        f"No bargaining unit `{truncate(text, 40)}` here. Units: {truncate(codes, 300)} "
        "(organizers add them with `/tracker-edit units add`)."
    )


async def matching(db: Database, guild_id: int, typed: str, limit: int = 25) -> list[Unit]:
    """Units whose code or name contains what was typed (for autocomplete)."""
    needle = typed.strip().lower()
    found = [u for u in await list_units(db, guild_id) if needle in f"{u.code} {u.name}".lower()]
    return found[:limit]


async def add(
    db: Database,
    guild_id: int,
    code: str,
    name: str,
    actor_id: int | None,
    now: datetime,
    *,
    parent_code: str | None = None,
    member_count: int | None = None,
) -> Unit:
    """Add a unit (audited); Conflict when the code is taken."""
    code, name = _clean(code, name, member_count)
    async with db.transaction():
        parent_id = (await find(db, guild_id, parent_code)).id if parent_code else None
        if not await db.execute(
            INSERT, (guild_id, code, name, parent_id, member_count, to_db(now))
        ):
            raise Conflict(f"There is already a unit with code `{code}`.")
        row = await db.fetchone(BY_CODE, (guild_id, code))
        await audit.record(db, guild_id, actor_id, "unit.add", f"unit {code}", name, now)
    return _from_row(row)


async def edit(
    db: Database,
    guild_id: int,
    code: str,
    actor_id: int | None,
    now: datetime,
    *,
    name: str | None = None,
    parent_code: str | None = None,
    member_count: int | None = None,
) -> Unit:
    """Change a unit's name, parent or member count (audited)."""
    async with db.transaction():
        unit = await find(db, guild_id, code)
        new_name = name if name is not None else unit.name
        count = member_count if member_count is not None else unit.member_count
        _clean(unit.code, new_name, count)
        parent_id = unit.parent_id
        if parent_code is not None:
            parent = await find(db, guild_id, parent_code)
            if parent.id == unit.id:
                raise UserError("A unit can't be its own parent.")
            parent_id = parent.id
        await db.execute(UPDATE, (" ".join(new_name.split()), parent_id, count, guild_id, unit.id))
        await audit.record(db, guild_id, actor_id, "unit.edit", f"unit {unit.code}", None, now)
    return await get(db, guild_id, unit.id)


async def remove(
    db: Database, guild_id: int, code: str, actor_id: int | None, now: datetime
) -> Unit:
    """Remove a unit nothing refers to (audited); Conflict when something still does."""
    async with db.transaction():
        unit = await find(db, guild_id, code)
        if await db.fetchval(CHILDREN, (unit.id,)):
            raise Conflict(f"`{unit.code}` has sub-units: remove or move them first.")
        try:
            await db.execute(DELETE, (guild_id, unit.id))
        except Exception as exc:  # a foreign key from the tracker, the CAT, events...
            if "FOREIGN KEY" not in str(exc):
                raise
            raise Conflict(
                f"`{unit.code}` is still used (tracker history, volunteers or events): it stays."
            ) from exc
        await audit.record(db, guild_id, actor_id, "unit.remove", f"unit {unit.code}", None, now)
    return unit


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """Add the demo campaign's units (idempotent)."""
    data = yaml.safe_load((DEMO_DIR / "units.yaml").read_text(encoding="utf-8"))
    added = 0
    async with db.transaction():
        for entry in data["units"]:
            added += bool(
                await db.execute(
                    INSERT,
                    (
                        guild_id,
                        str(entry["code"]),
                        entry["name"],
                        None,
                        entry.get("member_count"),
                        to_db(now),
                    ),
                )
            )
    return f"units: {added} added, {len(data['units']) - added} already there"
