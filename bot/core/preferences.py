"""How each member wants the bot to talk to them: `/settings`, one row per member and server.

Today one preference: `plain_text` (answers and DMs as plain text only, no embeds, for members
who turned embeds off or read with a screen reader). The language setting adds its column to
the same table and its field here. Replies read the preference on every interaction, so it is
kept in memory for a short while (`TTL`); a change through `set_plain_text` is seen at once.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.core.db import Database, to_db

GET = "SELECT plain_text FROM member_preference WHERE guild_id = ? AND user_id = ?"
PUT_PLAIN_TEXT = (
    "INSERT INTO member_preference (guild_id, user_id, plain_text, updated_at) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
    "plain_text = excluded.plain_text, updated_at = excluded.updated_at"
)
# Seconds a preference read from the database is trusted (a /privacy delete is seen after it).
TTL: Final = 30.0


@dataclass(frozen=True)
class Preference:
    """One member's choices in one server (defaults when they never ran /settings)."""

    plain_text: bool = False


DEFAULT: Final = Preference()

_cache: weakref.WeakKeyDictionary[Database, dict[tuple[int, int], tuple[float, Preference]]] = (
    weakref.WeakKeyDictionary()
)


def _store(db: Database) -> dict[tuple[int, int], tuple[float, Preference]]:
    found = _cache.get(db)
    if found is None:
        found = _cache[db] = {}
    return found


async def get(db: Database, guild_id: int | None, user_id: int) -> Preference:
    """The member's preference (cached for TTL seconds)."""
    key = (int(guild_id or 0), int(user_id))
    store = _store(db)
    held = store.get(key)
    if held is not None and held[0] > time.monotonic():
        return held[1]
    row = await db.fetchone(GET, key)
    found = Preference(plain_text=bool(row["plain_text"])) if row else DEFAULT
    store[key] = (time.monotonic() + TTL, found)
    return found


async def plain_text(db: Database, guild_id: int | None, user_id: int) -> bool:
    """Whether the member reads the bot as plain text only."""
    return (await get(db, guild_id, user_id)).plain_text


async def set_plain_text(
    db: Database, guild_id: int, user_id: int, on: bool, now: datetime
) -> Preference:
    """Turn the member's plain-text answers and DMs on or off; return the new preference."""
    await db.execute(PUT_PLAIN_TEXT, (guild_id, user_id, int(on), to_db(now)))
    forget(db)
    return await get(db, guild_id, user_id)


def forget(db: Database | None = None) -> None:
    """Drop cached preferences (of one database, or all): after a change or a deletion."""
    if db is None:
        _cache.clear()
    else:
        _cache.pop(db, None)
