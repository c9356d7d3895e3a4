"""APScheduler holds in-memory jobs for the timers due within the next horizon.

The database is the truth: jobs are rebuilt from pending rows at start and refilled by one
periodic job, with stable ids (`timer:<id>`), so start-up stays flat however many timers are
pending. With a manual clock (tests, sandbox) APScheduler is not used: every move of the
clock runs what has come due.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import timers
from bot.core.clock import Clock
from bot.core.db import Database

log = logging.getLogger("rankfile.scheduler")


class Scheduler:
    """Fires due timers exactly once, on time, across restarts."""

    def __init__(
        self, db: Database, clock: Clock, *, horizon: timedelta = timedelta(hours=1)
    ) -> None:
        self.db = db
        self.clock = clock
        self.horizon = horizon
        self._aps: AsyncIOScheduler | None = None
        self._run_lock = asyncio.Lock()
        self._refill_pending = False
        self._tasks: set[asyncio.Task] = set()
        self.fired = 0

    async def start(self) -> None:
        """Catch up on what came due while the bot was down, then schedule the horizon."""
        self.db.subscribe("timers", self._on_change)
        if self.clock.manual:
            self.clock.on_change(self._on_change)
        else:
            self._aps = AsyncIOScheduler(timezone=UTC)
            self._aps.start()
            self._aps.add_job(
                self.refill,
                "interval",
                seconds=max(1, int(self.horizon.total_seconds() // 2)),
                id="timers:refill",
                replace_existing=True,
            )
        await self.run_due()
        await self.refill()

    def shutdown(self) -> None:
        """Stop firing (pending rows stay pending in the database)."""
        # A manual clock outlives the bot (tests restart it): ignore its moves from now on.
        self._stopped = True
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        for task in self._tasks:
            task.cancel()

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_change(self) -> None:
        # New timers, or a moved manual clock: look again, once, soon.
        if self._refill_pending or getattr(self, "_stopped", False):
            return
        self._refill_pending = True
        self._spawn(self._refill_soon())

    async def _refill_soon(self) -> None:
        self._refill_pending = False
        if self.clock.manual:
            await self.run_due()
        else:
            await self.refill()

    async def refill(self) -> int:
        """Add a job for each pending timer due within the horizon; return how many."""
        if self._aps is None:
            return 0
        now = self.clock.now()
        rows = await timers.pending_until(self.db, now + self.horizon)
        for timer_id, due_at in rows:
            self._aps.add_job(
                self._fire,
                "date",
                run_date=max(due_at, now),
                args=(timer_id,),
                id=f"timer:{timer_id}",
                replace_existing=True,
                misfire_grace_time=None,
            )
        return len(rows)

    async def _fire(self, timer_id: int) -> None:
        outcome = await timers.fire(self.db, timer_id, self.clock.now())
        if outcome is None:
            # Not due yet by the database's clock (a job run a hair early): look again.
            timer = await timers.get(self.db, timer_id)
            if timer and timer.state == "pending" and self._aps is not None:
                self._aps.add_job(
                    self._fire,
                    "date",
                    run_date=timer.due_at + timedelta(milliseconds=1),
                    args=(timer_id,),
                    id=f"timer:{timer_id}",
                    replace_existing=True,
                    misfire_grace_time=None,
                )
        elif outcome == "fired":
            self.fired += 1

    async def run_due(self) -> int:
        """Fire every timer due now (catch-up at start, and each move of a manual clock)."""
        count = 0
        async with self._run_lock:
            while True:
                ids = await timers.due_ids(self.db, self.clock.now())
                if not ids:
                    return count
                for timer_id in ids:
                    if await timers.fire(self.db, timer_id, self.clock.now()) == "fired":
                        count += 1
                        self.fired += 1

    async def wait_idle(self) -> None:
        """Wait for the work already started (used by tests and the sandbox)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.run_due()
