"""The CAT's week in the server's time zone: when it starts, and the weekly digest's timer.

Scheduling the digest sits here, below the digest: a first sign-up and a first coordinator
start it, and the digest itself reads the sign-ups and the coordinators' scopes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import timers
from bot.core.db import Database

DIGEST_KIND = "cat.digest"
PENDING_DIGEST = (
    "SELECT count(*) FROM timer WHERE kind = 'cat.digest' AND subject_id = ? AND state = 'pending'"
)
SERVER_ZONE = "SELECT timezone FROM guild_settings WHERE guild_id = ?"


def week_start(now: datetime, timezone: str) -> datetime:
    """Monday 00:00 of the current week in the server's zone, as UTC."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    return start.astimezone(UTC)


def next_digest_at(now: datetime, timezone: str) -> datetime:
    """Next Monday 09:00 in the server's zone (as UTC), strictly after `now`."""
    start = week_start(now, timezone).astimezone(ZoneInfo(timezone)) + timedelta(hours=9)
    due = start.astimezone(UTC)
    while due <= now:
        due = (start + timedelta(days=7)).astimezone(UTC)
        start += timedelta(days=7)
    return due


async def ensure_digest(db: Database, guild_id: int, now: datetime) -> None:
    """Schedule the server's weekly digest unless one is already pending."""
    if await db.fetchval(PENDING_DIGEST, (guild_id,), 0):
        return
    zone = await db.fetchval(SERVER_ZONE, (guild_id,))
    due = next_digest_at(now, zone or "UTC")
    await timers.schedule(
        db, guild_id, DIGEST_KIND, guild_id, due, now, useful_until=due + timedelta(days=2)
    )
