"""`/privacy delete`: forget one member in one server, as the declaration says."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core import audit
from bot.core.db import Database
from bot.privacy import declaration

log = logging.getLogger("rankfile.privacy")


async def delete_member(db: Database, guild_id: int, user_id: int, now: datetime) -> dict[str, int]:
    """Erase one member's data in this server as the declaration says (deleted or
    anonymised, counts kept), in one transaction; return rows changed per use."""
    params = {"user": user_id, "guild": guild_id}
    changed: dict[str, int] = {}
    async with db.transaction():
        for use in declaration.declared():
            sql = declaration.change_sql(use, member=True)
            if sql is not None:
                n = await db.execute(sql, params)
                if n:
                    changed[use.name] = n
        await audit.record(db, guild_id, None, "privacy.delete", None, None, now)
        db.notify("deliveries")
    log.info("privacy delete in guild %s: %s rows", guild_id, sum(changed.values()))
    return changed
