"""Reminders: start-up with 100,000 pending, and how late 1,000 reminders due in one minute fire.

Run from the repo root: /work/venv/bin/python bench/reminders.py  (about 1.5 minutes)

1. Start-up: 100,000 pending timers spread over 60 days; the real Scheduler with its
   APScheduler horizon (one hour) starts: catch-up query plus one job per timer due within the
   hour. Baseline in the same run: adding all 100,000 as APScheduler jobs (no horizon).
2. Lateness: 1,000 timers due within one minute, fired by the real Scheduler and APScheduler
   on the real clock; each handler queues a broadcast as an event reminder does. Floor in the
   same run: 1,000 plain asyncio sleeps to the same kind of targets (the loop's own precision).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import timers
from bot.core.clock import Clock
from bot.core.db import Database, to_db
from bot.core.delivery import Target, enqueue
from bot.core.render import message
from bot.glue.scheduler import Scheduler

GUILD = 1
PENDING = 100_000
DUE_IN_A_MINUTE = 1_000
LATENESS: list[float] = []


async def _reminder(db: Database, timer: timers.Timer, now: datetime) -> None:
    LATENESS.append((datetime.now(UTC) - timer.due_at).total_seconds())
    await enqueue(db, timer.guild_id, "bench", message("reminder"), [Target.channel(5)], now)


timers.register("bench.reminder", _reminder)


async def _fresh(path: Path) -> Database:
    db = Database(path)
    await db.open()
    await db.migrate()
    return db


async def _insert(db: Database, dues: list[datetime], now: datetime) -> None:
    rows = [
        (GUILD, "bench.reminder", i, to_db(d), None, "{}", to_db(now)) for i, d in enumerate(dues)
    ]
    async with db.transaction():
        await db.executemany(timers.INSERT, rows)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def startup(tmp: Path) -> None:
    db = await _fresh(tmp / "startup.db")
    now = datetime.now(UTC)
    span = timedelta(days=60).total_seconds()
    dues = [now + timedelta(seconds=60 + span * i / PENDING) for i in range(PENDING)]
    await _insert(db, dues, now)
    scheduler = Scheduler(db, Clock())
    started = time.perf_counter()
    await scheduler.start()
    took = time.perf_counter() - started
    jobs = len(scheduler._aps.get_jobs()) if scheduler._aps else 0
    scheduler.shutdown()
    # Baseline: every pending timer as an APScheduler job, as without a horizon.
    aps = AsyncIOScheduler(timezone=UTC)
    aps.start(paused=True)
    rows = await timers.pending_until(db, now + timedelta(days=61))
    base_start = time.perf_counter()
    for timer_id, due in rows:
        aps.add_job(_noop, "date", run_date=due, id=f"timer:{timer_id}", replace_existing=True)
    base = time.perf_counter() - base_start
    aps.shutdown(wait=False)
    await db.close()
    print(f"startup_pending_timers: {PENDING}")
    print(f"startup_jobs_in_horizon: {jobs}")
    print(f"startup_s: {took:.3f}")
    print("startup_goal_s: 2.0")
    print(f"baseline_all_jobs_s: {base:.3f}")
    print(f"startup_ratio_to_baseline: {took / base:.3f}")


async def _noop() -> None:
    return None


async def floor() -> list[float]:
    """How late plain asyncio sleeps wake, 1,000 targets over 20 seconds."""
    late: list[float] = []
    base = time.time() + 1

    async def sleeper(target: float) -> None:
        await asyncio.sleep(max(0.0, target - time.time()))
        late.append(time.time() - target)

    await asyncio.gather(
        *(sleeper(base + 20 * i / DUE_IN_A_MINUTE) for i in range(DUE_IN_A_MINUTE))
    )
    return late


async def lateness(tmp: Path) -> None:
    db = await _fresh(tmp / "lateness.db")
    now = datetime.now(UTC)
    first = now + timedelta(seconds=5)
    dues = [first + timedelta(seconds=60 * i / DUE_IN_A_MINUTE) for i in range(DUE_IN_A_MINUTE)]
    await _insert(db, dues, now)
    scheduler = Scheduler(db, Clock())
    await scheduler.start()
    deadline = time.monotonic() + 90
    while len(LATENESS) < DUE_IN_A_MINUTE and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    scheduler.shutdown()
    fired = await db.fetchval("SELECT count(*) FROM timer WHERE state = 'fired'")
    queued = await db.fetchval("SELECT count(*) FROM broadcast WHERE kind = 'bench'")
    await db.close()
    sleeps = await floor()
    ms = [x * 1000 for x in LATENESS]
    floor_ms = [x * 1000 for x in sleeps]
    print(f"reminders_due_in_one_minute: {DUE_IN_A_MINUTE}")
    print(f"reminders_fired: {fired}")
    print(f"reminders_broadcasts_queued: {queued}")
    print(f"lateness_median_ms: {statistics.median(ms):.1f}")
    print(f"lateness_p99_ms: {_pct(ms, 0.99):.1f}")
    print(f"lateness_max_ms: {max(ms):.1f}")
    print("lateness_p99_goal_ms: 250")
    print(f"floor_sleep_median_ms: {statistics.median(floor_ms):.2f}")
    print(f"floor_sleep_p99_ms: {_pct(floor_ms, 0.99):.2f}")
    ratio = statistics.median(ms) / max(statistics.median(floor_ms), 1e-3)
    print(f"lateness_median_ratio_to_floor: {ratio:.1f}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await startup(Path(tmp))
        await lateness(Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
