"""Shared helpers for domain tests: a fresh migrated database, fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.core.db import Database

T0 = datetime(2024, 7, 10, 17, 0, tzinfo=UTC)
GUILD = 111
OTHER_GUILD = 222


async def fresh_db(directory: Path) -> Database:
    """A new database file in `directory`, migrated to the newest schema."""
    db = Database(directory / "rankfile.db")
    await db.open()
    await db.migrate()
    return db
