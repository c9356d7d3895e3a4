"""Demo content of the tracker: the campaign's dated timeline (data/demo/timeline.yaml), its
status changes linked to the demo updates that announced them (loaded before it)."""

from __future__ import annotations

from datetime import datetime

import yaml

from bot.core import units
from bot.core.db import Database, to_db
from bot.core.paths import DEMO_DIR
from bot.tracker.model import EXISTS, INSERT, find_status
from bot.updates import demo as update_demo


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """The campaign's dated timeline (data/demo/timeline.yaml); changes after `now` are left
    for a later load. Idempotent."""
    data = yaml.safe_load((DEMO_DIR / "timeline.yaml").read_text(encoding="utf-8"))
    added = 0
    await update_demo.load_demo_units(db, guild_id, now)
    async with db.transaction():
        for entry in data["timeline"]:
            when = update_demo.demo_instant(entry["date"])
            if when > now:
                continue
            codes = entry["units"] if "units" in entry else [entry["unit"]]
            update_id = None
            if entry.get("update"):
                key = f"demo_update:{guild_id}:{entry['update']}"
                value = await db.fetchval(update_demo.DEMO_KEY, (key,))
                update_id = int(value) if value else None
            for code in codes:
                unit = await units.find(db, guild_id, str(code))
                status = find_status(entry["status"])
                if await db.fetchone(EXISTS, (guild_id, unit.id, status.code, to_db(when))):
                    continue
                await db.execute(
                    INSERT,
                    (
                        guild_id,
                        unit.id,
                        status.code,
                        to_db(when),
                        entry.get("note"),
                        None,
                        update_id,
                        0,
                        to_db(now),
                    ),
                )
                added += 1
    return f"tracker: {added} status changes added"
