"""The search's in-memory index per database file and server, and when to drop it.

Every change of a server's entries or synonyms calls `forget` inside its transaction; the
search also rebuilds when the stored signature moves (a change made by another process, such
as `rankfile faq import`). A change committed while an index was being built makes that index
stale: `keep` then refuses it, so it is used once and not kept.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.core.db import Database

_INDEXES: dict[tuple[str, int], Any] = {}
_GENERATION: Counter[tuple[str, int]] = Counter()


def key(db: Database, guild_id: int) -> tuple[str, int]:
    """The cache key of one server in one database."""
    return (str(db.path), guild_id)


def forget(db: Database, guild_id: int) -> None:
    """Drop the server's cached index (called inside the transaction that changes it)."""
    k = key(db, guild_id)
    _GENERATION[k] += 1
    _INDEXES.pop(k, None)


def generation(db: Database, guild_id: int) -> int:
    """How many times the server's index was dropped (read before building one)."""
    return _GENERATION[key(db, guild_id)]


def get(db: Database, guild_id: int) -> Any:
    """The cached index, or None."""
    return _INDEXES.get(key(db, guild_id))


def keep(db: Database, guild_id: int, index: Any, built_at_generation: int) -> None:
    """Cache a freshly built index unless a change was committed while it was built."""
    if _GENERATION[key(db, guild_id)] == built_at_generation:
        _INDEXES[key(db, guild_id)] = index
