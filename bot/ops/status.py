"""`rankfile status`: is the bot alive, hearing from Discord, and keeping up with its work?

The running bot writes one `heartbeat` row (at start, at most every 30 s from gateway events,
and every 30 s while its gateway connection is open); `rankfile status`, from another
process (a shell, a container health check), reads it with the delivery and timer counts
and the newest backup. `problems()` is what `rankfile status --check` fails on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core import backups, delivery, timers
from bot.core.db import Database, from_db, to_db

# The bot writes the heartbeat no more often than this (gateway events can be many a second).
WRITE_EVERY = timedelta(seconds=30)
# `status --check` fails past these.
SILENT_AFTER = timedelta(minutes=5)
STUCK_AFTER = timedelta(minutes=15)

START = (
    "INSERT INTO heartbeat (id, started_at, pid, version, guild_count, updated_at) "
    "VALUES (1, ?, ?, ?, 0, ?) ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, "
    "pid = excluded.pid, version = excluded.version, guild_count = 0, "
    "updated_at = excluded.updated_at, stopped_at = NULL, last_event_at = NULL, last_event = NULL"
)
HEARD = (
    "UPDATE heartbeat SET last_event_at = ?, last_event = ?, guild_count = ?, updated_at = ?, "
    "invalid_requests = ?, sending_paused = ? WHERE id = 1"
)
STOP = "UPDATE heartbeat SET stopped_at = ?, updated_at = ? WHERE id = 1"
GET = "SELECT * FROM heartbeat WHERE id = 1"
HAS_HEARTBEAT = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'heartbeat'"


class Heartbeat:
    """The running bot's side: records start, what it last heard from Discord, and stop."""

    def __init__(self, db: Database, every: timedelta = WRITE_EVERY) -> None:
        self.db = db
        self.every = every
        self._last_write: datetime | None = None

    async def started(self, now: datetime, pid: int, version: int) -> None:
        """The bot has started on this database (clears the previous run's record)."""
        await self.db.execute(START, (to_db(now), pid, version, to_db(now)))
        self._last_write = None

    async def heard(
        self,
        event: str,
        now: datetime,
        guild_count: int,
        *,
        invalid_requests: int = 0,
        sending_paused: bool = False,
    ) -> bool:
        """Discord said something (`event`): write it down unless we did less than 30 s ago,
        with the invalid requests of the last 10 minutes and whether sending is paused."""
        if self._last_write is not None and now - self._last_write < self.every:
            return False
        self._last_write = now
        await self.db.execute(
            HEARD,
            (
                to_db(now),
                event[:40],
                guild_count,
                to_db(now),
                invalid_requests,
                int(sending_paused),
            ),
        )
        return True

    async def stopped(self, now: datetime) -> None:
        """The bot is shutting down cleanly."""
        await self.db.execute(STOP, (to_db(now), to_db(now)))


@dataclass(frozen=True)
class Status:
    """What `rankfile status` shows."""

    now: datetime
    schema_version: int
    started_at: datetime | None
    stopped_at: datetime | None
    last_event_at: datetime | None
    last_event: str | None
    guild_count: int
    pid: int | None
    deliveries_pending: int
    oldest_pending_due: datetime | None
    deliveries_failed: int
    invalid_requests: int
    sending_paused: bool
    reminders_pending: int
    next_reminder: datetime | None
    last_backup: backups.BackupFile | None

    @property
    def uptime(self) -> timedelta | None:
        """How long the bot has been running (None when stopped or never started)."""
        if self.started_at is None or self.stopped_at is not None:
            return None
        return self.now - self.started_at

    def to_json(self) -> dict[str, Any]:
        """The status as plain JSON values (times ISO 8601 UTC, durations in seconds)."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        def ago(value: datetime | None) -> float | None:
            return round((self.now - value).total_seconds(), 1) if value else None

        return {
            "now": iso(self.now),
            "schema_version": self.schema_version,
            "running": self.started_at is not None and self.stopped_at is None,
            "started_at": iso(self.started_at),
            "stopped_at": iso(self.stopped_at),
            "uptime_seconds": self.uptime.total_seconds() if self.uptime else None,
            "pid": self.pid,
            "servers": self.guild_count,
            "gateway_last_event_at": iso(self.last_event_at),
            "gateway_last_event": self.last_event,
            "gateway_silent_seconds": ago(self.last_event_at),
            "deliveries_pending": self.deliveries_pending,
            "deliveries_oldest_pending_due": iso(self.oldest_pending_due),
            "deliveries_failed": self.deliveries_failed,
            "invalid_requests_10min": self.invalid_requests,
            "sending_paused": self.sending_paused,
            "reminders_pending": self.reminders_pending,
            "reminders_next_due": iso(self.next_reminder),
            "last_backup": str(self.last_backup.path) if self.last_backup else None,
            "last_backup_at": iso(self.last_backup.made_at) if self.last_backup else None,
            "problems": problems(self),
        }


async def read(db: Database, now: datetime, backup_dir: Path) -> Status:
    """Read the status from an open database (any process; nothing is written)."""
    version = await db.schema_version()
    row = None
    if await db.fetchval(HAS_HEARTBEAT, (), 0):
        row = await db.fetchone(GET)
    pending, oldest = await delivery.backlog(db, now)
    return Status(
        now=now,
        schema_version=version,
        started_at=from_db(row["started_at"]) if row else None,
        stopped_at=from_db(row["stopped_at"]) if row else None,
        last_event_at=from_db(row["last_event_at"]) if row else None,
        last_event=row["last_event"] if row else None,
        guild_count=int(row["guild_count"]) if row else 0,
        pid=row["pid"] if row else None,
        deliveries_pending=pending,
        oldest_pending_due=oldest,
        deliveries_failed=await delivery.failed_total(db),
        invalid_requests=int(row["invalid_requests"]) if row else 0,
        sending_paused=bool(row["sending_paused"]) if row else False,
        reminders_pending=await timers.pending_count(db),
        next_reminder=await timers.next_due(db),
        last_backup=backups.latest(backup_dir),
    )


def problems(
    status: Status, *, silent_after: timedelta = SILENT_AFTER, stuck_after: timedelta = STUCK_AFTER
) -> list[str]:
    """Why the bot is not healthy (empty when it is): what `status --check` fails on."""
    found = []
    if status.started_at is None:
        found.append("the bot has never started on this database: start it (`rankfile run`)")
        return found
    if status.stopped_at is not None:
        found.append(f"the bot stopped at {_when(status.stopped_at)}: start it again")
        return found
    if status.last_event_at is None or status.now - status.last_event_at > silent_after:
        since = _ago(status.now, status.last_event_at or status.started_at)
        found.append(
            f"no word from Discord for {since}: read the bot's log (`journalctl -u rankfile` "
            "or `docker compose logs`) and check the machine's network"
        )
    if status.oldest_pending_due is not None and (
        status.now - status.oldest_pending_due > stuck_after
    ):
        found.append(
            f"{status.deliveries_pending} deliveries stuck, the oldest due "
            f"{_ago(status.now, status.oldest_pending_due)} ago: read the bot's log"
        )
    if status.sending_paused:
        found.append(
            f"sending paused: {status.invalid_requests} invalid requests (401, 403, 429) in 10 "
            "minutes, near Discord's ban at 10,000; it resumes by itself: read the bot's log"
        )
    return found


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(int((now - then).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def render(status: Status) -> str:
    """The status as lines a person reads in a terminal."""
    s = status
    lines = []
    if s.started_at is None:
        lines.append("bot:         never started on this database")
    elif s.stopped_at is not None:
        lines.append(f"bot:         stopped at {_when(s.stopped_at)}")
    else:
        uptime = _ago(s.now, s.started_at)
        lines.append(
            f"bot:         running for {uptime} (since {_when(s.started_at)}, pid {s.pid})"
        )
    lines.append(f"servers:     {s.guild_count}")
    if s.last_event_at is None:
        lines.append("gateway:     nothing heard yet")
    else:
        lines.append(f"gateway:     last heard {_ago(s.now, s.last_event_at)} ago ({s.last_event})")
    due = (
        f", the oldest due {_ago(s.now, s.oldest_pending_due)} ago" if s.oldest_pending_due else ""
    )
    lines.append(f"deliveries:  {s.deliveries_pending} pending{due}; {s.deliveries_failed} failed")
    paused = " (sending paused)" if s.sending_paused else ""
    lines.append(f"invalid:     {s.invalid_requests} requests refused in 10 min{paused}")
    nxt = f", next due {_when(s.next_reminder)}" if s.next_reminder else ""
    lines.append(f"reminders:   {s.reminders_pending} pending{nxt}")
    if s.last_backup is None:
        lines.append("last backup: none yet")
    else:
        b = s.last_backup
        lines.append(f"last backup: {_ago(s.now, b.made_at)} ago ({b.path})")
    lines.append(f"schema:      version {s.schema_version}")
    found = problems(s)
    lines.append("health:      ok" if not found else "health:      PROBLEM")
    lines.extend(f"  - {p}" for p in found)
    return "\n".join(lines)
