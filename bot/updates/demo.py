"""Demo content of the updates: the campaign's main updates (data/demo/updates.yaml) and the
structured summary of the Basic Agreement TA (data/demo/ba_summary.yaml), dated as in the
public record. Nothing is sent.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot import topics
from bot.core import units
from bot.core.db import Database, to_db
from bot.core.paths import DEMO_DIR
from bot.updates import publishing, summaries

DEMO_KEY = "SELECT value FROM meta WHERE key = ?"
DEMO_KEY_SET = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"


def demo_instant(value: Any, zone: str = "America/Los_Angeles") -> datetime:
    """A date from the demo YAML as noon in the campaign's zone (so calendar days are right)."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return datetime.combine(day, time(12), ZoneInfo(zone))


async def load_demo_units(db: Database, guild_id: int, now: datetime) -> None:
    """The units the campaign's timeline adds (data/demo/timeline.yaml: the general
    negotiations table), which demo updates concern too; idempotent."""
    data = yaml.safe_load((DEMO_DIR / "timeline.yaml").read_text(encoding="utf-8"))
    for entry in data.get("units", ()):
        row = (guild_id, str(entry["code"]), entry["name"], None, entry.get("member_count"))
        await db.execute(units.INSERT, (*row, to_db(now)))


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """The campaign's main updates (data/demo/updates.yaml) and the summary of the Basic
    Agreement TA, dated as in the public record; entries after `now` wait for a later load.
    Idempotent; nothing is sent. The tracker's timeline, which links to these updates, is
    loaded after them (bot.wiring.DEMO)."""
    data = yaml.safe_load((DEMO_DIR / "updates.yaml").read_text(encoding="utf-8"))
    added = 0
    await topics.topics(db, guild_id, now)
    # The timeline's extra units (the general negotiations table) must exist before updates.
    await load_demo_units(db, guild_id, now)
    async with db.transaction():
        for entry in data["updates"]:
            when = demo_instant(entry["date"])
            key = f"demo_update:{guild_id}:{entry['key']}"
            if when > now or await db.fetchval(DEMO_KEY, (key,)) is not None:
                continue
            for name in entry.get("topics", ()):
                await db.execute(topics.TOPIC_INSERT, (guild_id, name, to_db(now)))
            draft = await publishing.make_draft(
                db,
                guild_id,
                entry["title"],
                entry["body"],
                entry.get("source"),
                ", ".join(entry.get("topics", ())),
                ", ".join(str(u) for u in entry.get("units", ())),
            )
            update = await publishing.publish(
                db, guild_id, None, draft, now, deliver=False, published_at=when
            )
            await db.execute(DEMO_KEY_SET, (key, str(update.id)))
            added += 1
    summary = await load_demo_summary(db, guild_id, now)
    return f"updates: {added} added; {summary}"


async def load_demo_summary(db: Database, guild_id: int, now: datetime) -> str:
    """The structured summary of the Basic Agreement TA (data/demo/ba_summary.yaml) on its
    update, once that update is loaded. Idempotent."""
    text = (DEMO_DIR / "ba_summary.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    value = await db.fetchval(DEMO_KEY, (f"demo_update:{guild_id}:{data['update']}",))
    if value is None:
        return "summary: waits for its update"
    body = yaml.safe_dump({"title": data["title"], "items": data["items"]}, allow_unicode=True)
    found = await summaries.import_summary(db, guild_id, int(value), body, None, now)
    return f"summary: {len(found.items)} articles"
