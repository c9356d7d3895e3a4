"""The demo server's public site: every section published, the demo's updates and events
(all from the public record) marked public. Loaded last (bot.wiring.DEMO); idempotent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from bot.core.db import Database
from bot.core.paths import DEMO_DIR
from bot.site import settings

DEMO_TITLE = "IATSE West Coast studio locals: 2024 Basic Agreement bargaining"
DEMO_UPDATES = (
    "UPDATE bargaining_update SET public = 1 WHERE guild_id = ? AND public = 0 AND id IN "
    "(SELECT CAST(value AS INTEGER) FROM meta WHERE key LIKE ?)"
)
DEMO_EVENT = "UPDATE event SET public = 1 WHERE guild_id = ? AND title = ? AND public = 0"


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """Publish the demo campaign's site settings, updates and events."""
    current = await settings.get(db, guild_id)
    if not current.title:
        await settings.configure(
            db,
            guild_id,
            None,
            now,
            title=DEMO_TITLE,
            sections={s: True for s in settings.SECTIONS},
        )
    data = yaml.safe_load((Path(DEMO_DIR) / "events.yaml").read_text(encoding="utf-8"))
    async with db.transaction():
        marked = await db.execute(DEMO_UPDATES, (guild_id, f"demo_update:{guild_id}:%"))
        for item in data.get("events", []):
            marked += await db.execute(DEMO_EVENT, (guild_id, item["title"]))
    return f"site: every section public, {marked} updates and events marked public"
