"""The list of members who deleted their data, so a restored backup forgets them again.

`/privacy delete` records one row per member and server: a SHA-256 digest of the server's and
the member's ids, never the ids themselves (the list does not say in clear who deleted their
data; someone holding the file and a member's id can still test that id against it, which is
what re-applying the deletion needs). `rankfile db restore` carries the rows of the database it
replaces into the restored one (bot.core.backups), and the privacy capability re-applies every
deletion the list names (bot.privacy.delete.reapply_deletions) after a restore and at start-up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.core.db import Database, to_db

# Also run by bot.core.backups on a restored file that predates the table (migration 0017
# creates it the same way).
CREATE = (
    "CREATE TABLE IF NOT EXISTS deleted_member (guild_id INTEGER NOT NULL, "
    "digest TEXT NOT NULL, deleted_at TEXT NOT NULL, PRIMARY KEY (guild_id, digest))"
)
RECORD = "INSERT OR IGNORE INTO deleted_member (guild_id, digest, deleted_at) VALUES (?, ?, ?)"
ALL = "SELECT guild_id, digest, deleted_at FROM deleted_member"


def digest(guild_id: int, user_id: int) -> str:
    """The one-way digest one deleted member is listed under, in one server."""
    return hashlib.sha256(f"rankfile-deleted-member:{guild_id}:{user_id}".encode()).hexdigest()


async def record(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """List the member as deleted in this server (idempotent)."""
    await db.execute(RECORD, (guild_id, digest(guild_id, user_id), to_db(now)))


async def listed(db: Database) -> set[tuple[int, str]]:
    """Every (server id, digest) on the list."""
    return {(r[0], r[1]) for r in await db.fetchall(ALL)}


def is_listed(found: set[tuple[int, str]], guild_id: int, user_id: int) -> bool:
    """Whether the member is on the list for this server."""
    return (guild_id, digest(guild_id, user_id)) in found


def carry_over(source: Any, target: Any) -> int:
    """Copy the list from one open sqlite3 (or SQLCipher) connection to another (a restore:
    from the database being replaced into the backup put in its place); return rows copied."""
    try:
        rows: Iterable[tuple[int, str, str]] = source.execute(ALL).fetchall()
    except Exception as exc:  # the replaced file predates the list: nothing to carry
        if "no such table" in str(exc):
            return 0
        raise
    rows = list(rows)
    target.execute(CREATE)
    target.executemany(RECORD, rows)
    target.commit()
    return len(rows)
