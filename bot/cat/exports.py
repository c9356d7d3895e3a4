"""Coordinators' views and exports of the CAT's member data, each recorded in the audit log so
members read them in `/privacy log` (bot.privacy.transparency lists the actions).

- `record_view`: a roster page, the conversation logs or the digest looked at
- `logs_csv`: the conversation logs of a coordinator's units as CSV (confirmed in the cog,
  like the roster's export), through the one CSV writer (bot/core/csv_export.py)
"""

from __future__ import annotations

import json
from datetime import datetime

from bot.cat import commitments
from bot.core import audit, csv_export
from bot.core.db import Database

# What each view is recorded as (bot.privacy.transparency names them for members).
VIEWS = {"roster": "cat.view", "logs": "cat.logs_view", "digest": "cat.digest_view"}

LOGS_FOR_EXPORT = (
    "SELECT c.logged_at, u.code AS unit_code, s.name AS shift_name, c.count, c.level, "
    "c.method, v.display_name, "
    "(SELECT group_concat(concern, '; ') FROM cat_conversation_concern k "
    "WHERE k.conversation_id = c.id) AS concerns FROM cat_conversation c "
    "JOIN bargaining_unit u ON u.id = c.unit_id LEFT JOIN unit_shift s ON s.id = c.shift_id "
    "LEFT JOIN cat_volunteer v ON v.id = c.volunteer_id WHERE c.guild_id = :guild_id "
    "AND (:scope IS NULL OR c.unit_id IN (SELECT value FROM json_each(:scope))) "
    "ORDER BY c.logged_at, c.id"
)
LOGS_COUNT = (
    "SELECT count(*) FROM cat_conversation c WHERE c.guild_id = :guild_id "
    "AND (:scope IS NULL OR c.unit_id IN (SELECT value FROM json_each(:scope)))"
)
LOG_COLUMNS = (
    "logged_at",
    "unit",
    "shift",
    "conversations",
    "level",
    "level_label",
    "method",
    "concerns",
    "volunteer",
)


async def record_view(
    db: Database, guild_id: int, actor_id: int, what: str, detail: str | None, now: datetime
) -> None:
    """A coordinator looked at member data (`what`: roster, logs, digest): audited, so it
    shows in the transparency log. `detail` holds filters and counts, never a name."""
    await audit.record(db, guild_id, actor_id, VIEWS[what], f"cat {what}", detail, now)


def _scope_param(scope: set[int] | None) -> str | None:
    return None if scope is None else json.dumps(sorted(scope))


async def logs_count(db: Database, guild_id: int, *, scope: set[int] | None = None) -> int:
    """How many logging actions an export of these units would hold."""
    params = {"guild_id": guild_id, "scope": _scope_param(scope)}
    return int(await db.fetchval(LOGS_COUNT, params, 0))


async def logs_csv(
    db: Database, guild_id: int, actor_id: int, now: datetime, *, scope: set[int] | None = None
) -> tuple[bytes, int]:
    """The conversation logs of `scope`'s units (None: all) as CSV bytes and the row count;
    the export is audited (`cat.logs_export`, without its content)."""
    params = {"guild_id": guild_id, "scope": _scope_param(scope)}
    async with db.transaction():
        rows = await db.fetchall(LOGS_FOR_EXPORT, params)
        scale = await commitments.scale(db, guild_id)
        detail = f"scope={'all' if scope is None else len(scope)} rows={len(rows)}"
        await audit.record(db, guild_id, actor_id, "cat.logs_export", "cat logs", detail, now)
    table = [
        [
            r["logged_at"],
            r["unit_code"],
            r["shift_name"] or "",
            r["count"],
            r["level"] or 0,
            scale.label(r["level"] or 0) if (r["level"] or 0) in (0, *scale.labels) else "",
            r["method"] or "",
            r["concerns"] or "",
            r["display_name"] or "(deleted)",
        ]
        for r in rows
    ]
    return csv_export.to_csv(LOG_COLUMNS, table), len(rows)
