"""Keeping the site current: after a change organizers make (an update posted, edited or
retracted, an event, the tracker, the site's settings), the bot rebuilds the site into the
server's folder a minute later, once however many changes came in that minute; and again
each night, since days waited and what is coming up change with the date.

The request is a timer row (`site.rebuild`, one pending per minute at most) written inside
the change's transaction through the audit log's hook (bot.wiring registers it), so a
restart never loses it. When it fires, what is public is read inside the timer's transaction
(a consistent snapshot, a fraction of a second); rendering and writing the folder (seconds for
a long campaign) run afterwards in a thread, one build at a time in the order asked, so the
database is never held while files are written. A build that fails is logged and the
previous site stays; the nightly rebuild (scheduled in the same transaction) tries again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import guild_settings, timers
from bot.core.db import Database, from_db
from bot.site import builder, gather, settings

log = logging.getLogger("rankfile.site")

REBUILD = "site.rebuild"
DEBOUNCE = timedelta(minutes=1)
# Audit actions after which the public site may have changed: what organizers publish, and the
# site's own settings. (A new time zone in /setup shows from the nightly rebuild on.)
TRIGGERS = ("update.", "event.", "tracker.", "unit.", "site.")
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


# Builds under way (rendering and writing), oldest first; each waits for the one before it.
_BUILDS: list[asyncio.Task[None]] = []


async def _write(snap: gather.Snapshot, out: Path, before: asyncio.Task[None] | None) -> None:
    if before is not None:
        await asyncio.wait([before])
    try:
        built = await asyncio.to_thread(builder.render_and_write, snap, out)
    except Exception:
        log.exception("the public site could not be rebuilt; the previous one stays")
        return
    log.info("site rebuilt: %s files, %s bytes", built.files, built.total_bytes)


def _forget_finished() -> None:
    # Tasks of another event loop (a test's, closed) can never be awaited from this one.
    loop = asyncio.get_running_loop()
    _BUILDS[:] = [t for t in _BUILDS if not t.done() and t.get_loop() is loop]


async def settled() -> None:
    """Wait for the builds under way (tests, and a clean shutdown)."""
    _forget_finished()
    while _BUILDS:
        await asyncio.wait([_BUILDS[-1]])
        _forget_finished()


async def fire(db: Database, timer: timers.Timer, now: datetime) -> None:
    """Read what is public now, and build it into the server's folder once the database is
    free; make sure one rebuild waits for tonight."""
    chosen = await settings.get(db, timer.guild_id)
    if not chosen.out_dir:
        return
    snap = await gather.gather(db, timer.guild_id, now)
    if not await _pending(db, timer.guild_id):
        zone = (await guild_settings.get(db, timer.guild_id)).timezone
        night = next_night(now, zone)
        await timers.schedule(db, timer.guild_id, REBUILD, timer.guild_id, night, now)
    _forget_finished()
    before = _BUILDS[-1] if _BUILDS else None
    _BUILDS.append(asyncio.create_task(_write(snap, Path(chosen.out_dir), before)))


TIMERS: dict[str, timers.Handler] = {REBUILD: fire}
