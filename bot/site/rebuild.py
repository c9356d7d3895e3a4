"""Keeping the site current: after a change organizers make (an update posted, edited or
retracted, an event, the tracker, the site's settings), the bot rebuilds the site into the
server's folder a minute later, once however many changes came in that minute; and again
each night, since days waited and what is coming up change with the date.

The request is a timer row (`site.rebuild`, one pending per minute at most) written inside
the change's transaction through the audit log's hook (bot.wiring registers it), so a
restart never loses it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import guild_settings, timers
from bot.core.db import Database, from_db
from bot.site import builder, settings

REBUILD = "site.rebuild"
DEBOUNCE = timedelta(minutes=1)
# Audit actions after which the public site may have changed.
TRIGGERS = ("update.", "event.", "tracker.", "unit.", "site.", "setup.")
PENDING = (
    "SELECT due_at FROM timer WHERE kind = ? AND subject_id = ? AND state = 'pending' "
    "ORDER BY due_at"
)


async def _pending(db: Database, guild_id: int) -> list[datetime]:
    return [from_db(r[0]) for r in await db.fetchall(PENDING, (REBUILD, guild_id))]  # type: ignore[misc]


async def request_rebuild(db: Database, guild_id: int, now: datetime) -> bool:
    """Ask for a rebuild a minute from now, unless one is already due by then (debounce).

    Nothing happens for a server whose site has no folder. Returns whether a timer was added."""
    chosen = await settings.get(db, guild_id)
    if not chosen.out_dir:
        return False
    due = now + DEBOUNCE
    if any(when <= due for when in await _pending(db, guild_id)):
        return False
    await timers.schedule(db, guild_id, REBUILD, guild_id, due, now)
    return True


async def on_audit(db: Database, guild_id: int, action: str, now: datetime) -> None:
    """The audit log's hook: an organizer's change may show on the site; rebuild soon."""
    if action.startswith(TRIGGERS):
        await request_rebuild(db, guild_id, now)


def next_night(now: datetime, zone: str) -> datetime:
    """Five past midnight after `now`, in the server's zone (in UTC)."""
    tz = ZoneInfo(zone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 5), tz).astimezone(UTC)


async def fire(db: Database, timer: timers.Timer, now: datetime) -> None:
    """Rebuild the server's site into its folder; then make sure one waits for tonight."""
    chosen = await settings.get(db, timer.guild_id)
    if not chosen.out_dir:
        return
    await builder.build(db, timer.guild_id, Path(chosen.out_dir), now)
    if not await _pending(db, timer.guild_id):
        zone = (await guild_settings.get(db, timer.guild_id)).timezone
        night = next_night(now, zone)
        await timers.schedule(db, timer.guild_id, REBUILD, timer.guild_id, night, now)


TIMERS: dict[str, timers.Handler] = {REBUILD: fire}
