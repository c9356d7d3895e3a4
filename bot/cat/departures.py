"""Volunteers and coordinators who left the server or lost their role (bot.core.departures).

A volunteer who left the server is marked left (the record stays, as when they leave the
CAT themselves); one whose CAT role was taken from them is too, unless the bot never managed
to give it (their coordinators were told, and the roster says so). A coordinator who left or
lost the coordinator role loses their `/setup coordinator` registration, so the weekly
digest stops. Registered by bot/wiring.py.
"""

from __future__ import annotations

from datetime import datetime

from bot.core import audit
from bot.core.db import Database, to_db

CURRENT = (
    "SELECT id, role_state FROM cat_volunteer WHERE guild_id = ? AND user_id = ? "
    "AND status IN ('active', 'pending')"
)
MARK_LEFT = (
    "UPDATE cat_volunteer SET status = 'left', role_state = ?, left_at = ?, updated_at = ? "
    "WHERE id = ?"
)
DROP_SCOPE = "DELETE FROM cat_coordinator WHERE guild_id = ? AND user_id = ?"


async def _mark_left(
    db: Database, guild_id: int, user_id: int, now: datetime, *, left_server: bool
) -> None:
    row = await db.fetchone(CURRENT, (guild_id, user_id))
    if row is None:
        return
    if not left_server and row["role_state"] != "granted":
        return  # the role was never given: losing it says nothing
    await db.execute(MARK_LEFT, ("none", to_db(now), to_db(now), row["id"]))
    action = "cat.left_server" if left_server else "cat.role_lost"
    await audit.record(db, guild_id, None, action, f"cat_volunteer:{row['id']}", None, now)


async def member_left(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """They left the server: off the CAT (marked left) and no longer a coordinator."""
    await _mark_left(db, guild_id, user_id, now, left_server=True)
    await lost_coordinator_role(db, guild_id, user_id, now)


async def lost_cat_role(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """The CAT role was taken from them: marked left, so no cascade or CAT DM follows."""
    await _mark_left(db, guild_id, user_id, now, left_server=False)


async def lost_coordinator_role(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """No longer a coordinator: their scope goes, and with it the weekly digest."""
    if await db.execute(DROP_SCOPE, (guild_id, user_id)):
        await audit.record(db, guild_id, None, "cat.scope_dropped", f"user:{user_id}", None, now)
