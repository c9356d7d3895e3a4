"""`/privacy export`: everything the bot holds about one member, as the declaration says."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from bot.core import audit, limits
from bot.core.db import Database, to_db
from bot.privacy import declaration

log = logging.getLogger("rankfile.privacy")


async def export_member(db: Database, guild_id: int, user_id: int, now: datetime) -> dict[str, Any]:
    """Everything the bot holds about one member in this server (and their DM channel),
    as one JSON-ready dict keyed by the declaration's uses."""
    params = {"user": user_id, "guild": guild_id}
    out: dict[str, Any] = {
        "about": "Everything rankfile holds about you in this server, by table.",
        "server_id": str(guild_id),
        "member_id": str(user_id),
        "generated_at": to_db(now),
        "data": {},
    }
    async with db.transaction():
        for use in declaration.declared():
            rows = [dict(r) for r in await db.fetchall(declaration.select_sql(use), params)]
            if rows:
                out["data"][use.name] = {
                    "table": use.table,
                    "why": "; ".join(f"{c.column}: {c.purpose}" for c in use.columns),
                    "on_delete": use.why,
                    "rows": rows,
                }
        # After reading: this export's own use of the limit is not part of it.
        await limits.take(db, guild_id, user_id, "privacy.export", now)
        # Counted, never named: who exports their own data is nobody's business.
        await audit.record(db, guild_id, None, "privacy.export", None, None, now)
    log.info("privacy export in guild %s", guild_id)
    return out


def export_json(data: dict[str, Any]) -> bytes:
    """The export as the file the member receives."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
