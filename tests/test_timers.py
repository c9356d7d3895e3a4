"""Timers on a temporary database: fire once, late with a note, missed when useless."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core import timers
from bot.core.clock import ManualClock
from bot.glue.scheduler import Scheduler
from tests.support import GUILD, T0, fresh_db

FIRED: list[tuple[int, bool]] = []


async def _note(db, timer, now):
    await db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"t{timer.id}", str(now)))
    FIRED.append((timer.id, timer.late))


timers.register("test.note", _note)


async def _broken(db, timer, now):
    await db.execute("INSERT INTO meta (key, value) VALUES ('half', 'written')")
    raise RuntimeError("handler bug")


timers.register("test.broken", _broken)


@pytest.fixture
async def db(tmp_path):
    FIRED.clear()
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def test_fires_once_even_when_two_schedulers_race(db):
    timer_id = await timers.schedule(db, GUILD, "test.note", 1, T0, T0 - timedelta(hours=1))
    outcomes = await asyncio.gather(*(timers.fire(db, timer_id, T0) for _ in range(5)))
    assert outcomes.count("fired") == 1
    assert outcomes.count(None) == 4
    assert FIRED == [(timer_id, False)]
    assert await db.fetchval("SELECT count(*) FROM meta WHERE key = ?", (f"t{timer_id}",)) == 1


async def test_not_fired_before_its_time(db):
    timer_id = await timers.schedule(db, GUILD, "test.note", 1, T0, T0 - timedelta(hours=1))
    assert await timers.fire(db, timer_id, T0 - timedelta(seconds=1)) is None
    assert (await timers.get(db, timer_id)).state == "pending"


async def test_late_but_useful_fires_with_late_flag_useless_is_missed(db):
    start = T0 + timedelta(hours=2)
    late_ok = await timers.schedule(
        db, GUILD, "test.note", 1, T0, T0 - timedelta(days=1), useful_until=start
    )
    too_late = await timers.schedule(
        db, GUILD, "test.note", 2, T0, T0 - timedelta(days=1), useful_until=T0 + timedelta(hours=1)
    )
    now = T0 + timedelta(hours=1, minutes=30)  # the bot was down for 90 minutes
    assert await timers.fire(db, late_ok, now) == "fired"
    assert await timers.fire(db, too_late, now) == "missed"
    assert FIRED == [(late_ok, True)]
    assert (await timers.get(db, too_late)).state == "missed"


async def test_a_failing_handler_leaves_nothing_half_written(db):
    timer_id = await timers.schedule(db, GUILD, "test.broken", 1, T0, T0 - timedelta(hours=1))
    assert await timers.fire(db, timer_id, T0) == "failed"
    assert await db.fetchval("SELECT count(*) FROM meta WHERE key = 'half'") == 0
    assert (await timers.get(db, timer_id)).state == "failed"


async def test_cancel_subject_stops_pending_only(db):
    a = await timers.schedule(db, GUILD, "test.note", 7, T0, T0 - timedelta(hours=1))
    b = await timers.schedule(db, GUILD, "test.note", 7, T0 + timedelta(days=1), T0)
    await timers.fire(db, a, T0)
    assert await timers.cancel_subject(db, "test.note", 7) == 1
    states = [t.state for t in await timers.for_subject(db, "test.note", 7)]
    assert states == ["fired", "cancelled"]
    assert (await timers.get(db, b)).state == "cancelled"


async def test_manual_clock_scheduler_fires_on_clock_moves_and_restart_catches_up(db):
    clock = ManualClock(T0)
    ids = [
        await timers.schedule(db, GUILD, "test.note", n, T0 + timedelta(minutes=n), T0)
        for n in (10, 20, 30)
    ]
    scheduler = Scheduler(db, clock)
    await scheduler.start()
    clock.advance(minutes=15)
    await scheduler.wait_idle()
    assert [t for t, _ in FIRED] == ids[:1]
    scheduler.shutdown()
    # The bot is down past the other two; a new scheduler catches up at start, once each.
    clock.advance(minutes=30)
    restarted = Scheduler(db, clock)
    await restarted.start()
    await restarted.wait_idle()
    assert [t for t, _ in FIRED] == ids
    restarted.shutdown()


async def test_real_clock_scheduler_keeps_only_the_horizon_in_memory(db):
    from bot.core.clock import Clock

    clock = Clock()
    now = clock.now()
    for n in range(5):
        await timers.schedule(db, GUILD, "test.note", n, now + timedelta(minutes=10 + n), now)
    for n in range(5):
        await timers.schedule(db, GUILD, "test.note", n, now + timedelta(days=2 + n), now)
    scheduler = Scheduler(db, clock, horizon=timedelta(hours=1))
    await scheduler.start()
    jobs = [j.id for j in scheduler._aps.get_jobs() if j.id.startswith("timer:")]
    assert len(jobs) == 5
    scheduler.shutdown()
    assert await timers.pending_count(db) == 10
