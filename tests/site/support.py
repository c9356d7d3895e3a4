"""Helpers for the public site's tests: a demo server, a site built from it, reading pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

from bot import demo, site
from bot.core import guild_settings
from bot.core.db import Database
from bot.site.gather import Snapshot
from tests.support import GUILD

# The sandbox's clock: the demo campaign between the TA's summary and the ratification vote.
NOW = datetime(2024, 7, 10, 17, 0, tzinfo=UTC)
ZONE = "America/Los_Angeles"
CHANNELS = {
    "announcements_channel_id": 9001,
    "updates_channel_id": 9002,
    "committee_channel_id": 9003,
}


async def demo_server(db: Database, now: datetime = NOW) -> None:
    """The demo campaign in GUILD, with the channels a live server has (every section public:
    the demo's site)."""
    await guild_settings.update(db, GUILD, None, now, timezone=ZONE, **CHANNELS)
    await demo.load(db, GUILD, now)


async def built(db: Database, out: Path, now: datetime = NOW) -> dict[str, str]:
    """Build GUILD's site into `out`; {relative path: text} of every file written."""
    await site.build(db, GUILD, out, now)
    return read_folder(out)


def read_folder(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def rendered(snap: Snapshot) -> dict[str, str]:
    return {k: v.decode("utf-8") for k, v in site.render_site(snap).items()}


def text_of(page: str) -> str:
    """A page's visible words, tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
