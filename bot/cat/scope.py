"""Coordinator scopes: which units a CAT coordinator sees (with their sub-units).

A coordinator registered with no unit named sees every unit; one holding the role but never
registered with `/setup coordinator` sees none (fail closed: `coordinator_scope` tells them to
ask an admin). Registering the first coordinator starts the weekly digest, which goes to each
of them for their own units.
"""

from __future__ import annotations

from datetime import datetime

from bot.cat import reports, timing
from bot.core import audit, units
from bot.core.db import Database, to_db
from bot.core.errors import UserError

SCOPE_ROWS = "SELECT unit_id FROM cat_coordinator WHERE guild_id = ? AND user_id = ?"
CLEAR_SCOPE = "DELETE FROM cat_coordinator WHERE guild_id = ? AND user_id = ?"
ADD_SCOPE = (
    "INSERT INTO cat_coordinator (guild_id, user_id, unit_id, created_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
COORDINATORS = "SELECT DISTINCT user_id FROM cat_coordinator WHERE guild_id = ? ORDER BY user_id"
REGISTERED = "SELECT 1 FROM cat_coordinator WHERE guild_id = ? AND user_id = ? LIMIT 1"
NO_SCOPE = (
    "You have the CAT coordinator role but no units yet, so you see no unit's data: ask an "
    "admin to register you with `/setup coordinator` (naming your units, or none for all)."
)


async def set_scope(
    db: Database,
    guild_id: int,
    user_id: int,
    unit_texts: str | None,
    actor_id: int,
    now: datetime,
) -> list[units.Unit]:
    """Register a coordinator with the units they see ("700, 600"; empty: every unit).

    Every unit must be this server's: an unknown one (or another server's) refuses the whole
    scope and nothing is saved. Audited. Returns the units named (empty: all).
    """
    names = [t.strip() for t in (unit_texts or "").replace(";", ",").split(",") if t.strip()]
    async with db.transaction():
        found = [await units.find(db, guild_id, name) for name in names]
        await db.execute(CLEAR_SCOPE, (guild_id, user_id))
        for unit in found or [None]:
            await db.execute(ADD_SCOPE, (guild_id, user_id, unit.id if unit else None, to_db(now)))
        detail = ",".join(u.code for u in found) or "all units"
        await audit.record(db, guild_id, actor_id, "cat.scope", f"user:{user_id}", detail, now)
        await timing.ensure_digest(db, guild_id, now)
    return found


async def scope_of(db: Database, guild_id: int, user_id: int) -> set[int] | None:
    """The unit ids a coordinator sees (with every sub-unit), or None for every unit."""
    rows = await db.fetchall(SCOPE_ROWS, (guild_id, user_id))
    named = [r["unit_id"] for r in rows if r["unit_id"] is not None]
    if not named:
        return None
    all_units = await units.list_units(db, guild_id)
    seen: set[int] = set()
    for unit_id in named:
        seen |= reports.subtree_ids(all_units, unit_id)
    return seen


async def registered(db: Database, guild_id: int, user_id: int) -> bool:
    """Whether an admin registered this coordinator with `/setup coordinator`."""
    return await db.fetchval(REGISTERED, (guild_id, user_id)) is not None


async def coordinator_scope(db: Database, guild_id: int, user_id: int) -> set[int] | None:
    """`scope_of` for a registered coordinator; UserError for one never registered."""
    if not await registered(db, guild_id, user_id):
        raise UserError(NO_SCOPE)
    return await scope_of(db, guild_id, user_id)


def check_scope(scope: set[int] | None, unit: units.Unit) -> None:
    """Refuse a unit outside a scoped coordinator's units."""
    if scope is not None and unit.id not in scope:
        raise UserError(
            f"{unit.label} is outside the units you coordinate: ask an admin to add it with "
            "`/setup coordinator`."
        )


async def coordinators(db: Database, guild_id: int) -> list[int]:
    """The coordinators registered with `/setup coordinator` (for the digest)."""
    return [r["user_id"] for r in await db.fetchall(COORDINATORS, (guild_id,))]
