"""The bot killed (SIGKILL) at random points, then restarted: nothing acknowledged is lost.

The bot runs in a child process (real clock, real scheduler) against the fake Discord in
this one (bot/sandbox/crash.py); each scenario kills it several times at random moments and
starts it again. 21 kill points over the three scenarios; bench/crash.py runs many more.
A failing run prints its seed: RANKFILE_CRASH_SEED=<seed> replays the same kill points.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from bot.sandbox import crash

KILLS = 7  # per scenario: 21 kill points in all


def _rng() -> tuple[int, random.Random]:
    seed = int(os.environ.get("RANKFILE_CRASH_SEED") or time.time_ns())
    return seed, random.Random(seed)


def _check(out: crash.Outcome, seed: int) -> None:
    where = f"seed {seed}; see the child's log in the test's tmp_path"
    assert out.problems == [], f"{out.problems} ({where})"
    assert out.lost == 0, where
    assert out.duplicates == 0, where
    assert out.kills >= KILLS - 1, f"only {out.kills} kills landed ({where})"


async def test_broadcast_survives_kills(tmp_path: Path) -> None:
    """Every member of a queued DM broadcast gets it exactly once across kills."""
    seed, rng = _rng()
    out = await crash.broadcast(tmp_path, rng, members=30, kills=KILLS)
    _check(out, seed)
    assert out.acknowledged == 30


async def test_cat_signups_survive_kills(tmp_path: Path) -> None:
    """A burst of sign-ups: every answered one is on the roster once, with the CAT role."""
    seed, rng = _rng()
    out = await crash.cat(tmp_path, rng, members=8, kills=KILLS)
    _check(out, seed)
    assert out.acknowledged == 8  # the unanswered ones retried after the restart


async def test_due_reminders_survive_kills(tmp_path: Path) -> None:
    """Reminders coming due while the bot dies: each posts once, or shows as missed."""
    seed, rng = _rng()
    out = await crash.reminders(tmp_path, rng, count=10, window=4.0, kills=KILLS)
    _check(out, seed)
    assert out.missed == 2  # the two already past their useful_until, never posted
