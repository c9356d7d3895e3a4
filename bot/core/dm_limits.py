"""Discord's unwritten limits on direct messages, kept in the database.

Discord restricts a bot that opens DM channels with many members it never messaged (reports
of quarantine start around 1,000 new channels a day): new DM channels are budgeted per rolling
24 hours, and a broadcast over budget sends the rest when the budget allows. A member whose
DMs are closed (Discord's 403 50007) is not tried again for a week, unless they use the bot in
the meantime: every refused request counts towards Discord's ban on invalid requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.core.db import Database, from_db, to_db

DEFAULT_BUDGET = 900  # new DM channels per rolling 24 hours (RANKFILE_NEW_DM_BUDGET)
WINDOW = timedelta(hours=24)
CLOSED_FOR = timedelta(days=7)

OPENED_SINCE = "SELECT count(*), min(opened_at) FROM dm_channel WHERE opened_at > ?"
KNOWN = "SELECT user_id FROM dm_channel WHERE user_id IN ({marks})"
CLOSE = (
    "INSERT INTO dm_closed (user_id, closed_at) VALUES (?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET closed_at = excluded.closed_at"
)
CLOSED_SINCE = "SELECT 1 FROM dm_closed WHERE user_id = ? AND closed_at > ?"
ALL_CLOSED = "SELECT user_id FROM dm_closed WHERE closed_at > ?"
REOPEN = "DELETE FROM dm_closed WHERE user_id = ?"


async def budget_wait(db: Database, now: datetime, budget: int) -> datetime | None:
    """None when a new DM channel may be opened now; else when the budget next allows one."""
    opened, oldest = await db.fetchone(OPENED_SINCE, (to_db(now - WINDOW),))
    if opened < budget:
        return None
    return from_db(oldest) + WINDOW


async def split(
    db: Database, user_ids: Iterable[int], now: datetime, budget: int
) -> tuple[int, int]:
    """How many of these DMs go out now and how many wait for the new-DM budget."""
    ids = list(dict.fromkeys(user_ids))
    known: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await db.fetchall(KNOWN.format(marks=",".join("?" * len(chunk))), chunk)
        known.update(row[0] for row in rows)
    opened, _ = await db.fetchone(OPENED_SINCE, (to_db(now - WINDOW),))
    new = len(ids) - len(known)
    later = max(0, new - max(0, budget - opened))
    return len(ids) - later, later


async def mark_closed(db: Database, user_id: int, now: datetime) -> None:
    """Discord said this member's DMs are closed: don't try again for a week."""
    await db.execute(CLOSE, (user_id, to_db(now)))


async def closed_recently(db: Database, user_id: int, now: datetime) -> bool:
    """Whether the member's DMs were found closed in the last week."""
    return await db.fetchval(CLOSED_SINCE, (user_id, to_db(now - CLOSED_FOR))) is not None


async def closed_members(db: Database, now: datetime) -> set[int]:
    """Members whose DMs were found closed in the last week."""
    return {row[0] for row in await db.fetchall(ALL_CLOSED, (to_db(now - CLOSED_FOR),))}


async def member_is_back(db: Database, user_id: int) -> None:
    """The member used the bot: their DMs may be open again, try them next time."""
    await db.execute(REOPEN, (user_id,))
