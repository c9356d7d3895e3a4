"""The transparency log members read with `/privacy log`: who exported, looked at or changed
the union's data (audit rows of the actions below), as counts with dates and who."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.db import Database, from_db, to_db

# The audit actions members may see, with what the log calls them.
TRANSPARENCY: dict[str, str] = {
    "cat.export": "CAT roster exported",
    "cat.logs_export": "conversation logs exported",
    "cat.view": "the CAT roster looked at by a coordinator",
    "cat.logs_view": "conversation logs read by a coordinator",
    "cat.digest_view": "the CAT weekly digest read by a coordinator",
    "cat.approve": "CAT sign-ups approved",
    "cat.remove": "volunteers removed from the CAT",
    "townhall.export": "town hall questions exported (with the names of those who gave them)",
    "privacy.export": "members exported their own data",
    "privacy.delete": "members deleted their own data",
    "privacy.close": "campaign closed",
    "privacy.reopen": "campaign reopened",
    "privacy.retention": "retention runs (personal data deleted)",
    "privacy.checklist": "safety checklist acknowledged",
}

TRANSPARENCY_ROWS = (
    "SELECT action, actor_id, count(*) AS n, min(at) AS first_at, max(at) AS last_at "
    "FROM audit_log WHERE guild_id = ? AND action IN ({marks}) AND at >= ? "
    "GROUP BY action, actor_id ORDER BY max(at) DESC"
)
MY_RECORD_ROWS = (
    "SELECT action, actor_id, at FROM audit_log WHERE guild_id = ? AND subject = ? "
    "AND action IN ({marks}) ORDER BY at DESC LIMIT 10"
)
VOLUNTEER_ID = "SELECT id FROM cat_volunteer WHERE guild_id = ? AND user_id = ?"


@dataclass(frozen=True)
class LogLine:
    """One kind of access by one person: how many times, first and last."""

    action: str
    label: str
    actor_id: int | None
    count: int
    first_at: datetime
    last_at: datetime


async def transparency_log(db: Database, guild_id: int, since: datetime) -> list[LogLine]:
    """Who looked at or changed the union's data since `since`, as counts and dates."""
    marks = ", ".join("?" for _ in TRANSPARENCY)
    rows = await db.fetchall(
        TRANSPARENCY_ROWS.format(marks=marks), (guild_id, *TRANSPARENCY, to_db(since))
    )
    return [
        LogLine(
            r["action"],
            TRANSPARENCY[r["action"]],
            r["actor_id"],
            r["n"],
            from_db(r["first_at"]),
            from_db(r["last_at"]),  # type: ignore[arg-type]
        )
        for r in rows
    ]


async def my_record_log(db: Database, guild_id: int, user_id: int) -> list[LogLine]:
    """Coordinators' actions on this member's own CAT record, newest first."""
    volunteer_id = await db.fetchval(VOLUNTEER_ID, (guild_id, user_id))
    if volunteer_id is None:
        return []
    marks = ", ".join("?" for _ in TRANSPARENCY)
    rows = await db.fetchall(
        MY_RECORD_ROWS.format(marks=marks),
        (guild_id, f"cat_volunteer:{volunteer_id}", *TRANSPARENCY),
    )
    return [
        LogLine(
            r["action"],
            TRANSPARENCY[r["action"]],
            r["actor_id"],
            1,
            from_db(r["at"]),
            from_db(r["at"]),
        )  # type: ignore[arg-type]
        for r in rows
    ]
