"""The demo server's campaign dates (data/demo/events.yaml)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from bot.core import guild_settings, timeparse
from bot.core.db import Database, to_db
from bot.core.paths import DEMO_DIR
from bot.events import drafts, model, reminders

DEMO_FILE = "events.yaml"
DEMO_TITLE = "SELECT id FROM event WHERE guild_id = ? AND title = ?"


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """Load the campaign's public dates (data/demo/events.yaml); idempotent by title."""
    data = yaml.safe_load((Path(DEMO_DIR) / DEMO_FILE).read_text(encoding="utf-8"))
    zone_default = (await guild_settings.get(db, guild_id)).timezone
    added = 0
    for item in data.get("events", []):
        if await db.fetchval(DEMO_TITLE, (guild_id, item["title"])):
            continue
        zone = item.get("timezone", zone_default)
        start = timeparse.parse_local_time(item["start"], zone, now, allow_past=True)
        end = (
            timeparse.parse_local_time(item["end"], zone, now, allow_past=True)
            if item.get("end")
            else None
        )
        if item["kind"] == "townhall" and end is None:
            end = start + model.DEFAULT_LENGTH
        unit_ids = await model.resolve_units(db, guild_id, ", ".join(item.get("units", [])))
        draft = drafts.make_draft(
            item["kind"],
            item["title"],
            item.get("description"),
            start,
            end,
            item.get("place"),
            unit_ids,
            zone,
            item.get("how_to_vote"),
        )
        async with db.transaction():
            event_id = await db.execute(
                model.INSERT_EVENT,
                (
                    guild_id,
                    draft.kind,
                    draft.title,
                    draft.description,
                    draft.timezone,
                    None,
                    draft.how_to_vote,
                    None,
                    to_db(now),
                    to_db(now),
                ),
            )
            await db.execute(
                model.INSERT_SESSION,
                (
                    event_id,
                    1,
                    to_db(start),
                    to_db(end) if end else None,
                    draft.place,
                ),
            )
            for unit_id in unit_ids:
                await db.execute(model.INSERT_UNIT, (event_id, unit_id))
            await reminders.reschedule(db, await model.get(db, guild_id, event_id), now)
        added += 1
    return f"events: {added} added"
