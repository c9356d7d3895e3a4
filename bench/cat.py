"""1,000 concurrent CAT sign-ups end to end through the fake, beside a no-op command.

Run from the repo root: /work/venv/bin/python bench/cat.py [N]

The real bot runs against the fake Discord. First N members press a no-op command at once
(the baseline), then N members submit the CAT sign-up form at once (each had run /cat join
and pressed "I commit" beforehand). A submission's handling time runs from the moment the
interaction is dispatched to the moment the bot's answer reaches the fake (the role call and
the database work come before the answer). Printed: medians and p99s of both, their ratio,
the burst's wall time, and the checks (every sign-up recorded once, one role call each).
The fake's schema check of each body is off (the e2e tests check the shapes).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
from discord import app_commands

from bot import demo
from bot.core import units
from bot.core.clock import ManualClock
from bot.core.config import Settings
from bot.glue import ui
from bot.glue.app import Rankfile
from bot.sandbox.driver import Driver
from bot.sandbox.fake import FakeDiscord
from tests.support import T0

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
FORM = {
    "Your name as the union knows it": "Member",
    "Bargaining unit": "700",
    "Department or craft": "Assistant editors",
    "Shift or availability": "Days",
    "Preferred contact": "Discord DM",
}


@contextlib.asynccontextmanager
async def burst(driver: Driver) -> AsyncIterator[None]:
    """Actions inside only dispatch; the bot is settled once for the lot on the way out."""
    since = driver._task_seq  # where the burst began

    async def dispatch_only(*, since: int | None = None) -> None:
        return None

    driver.settle = dispatch_only  # type: ignore[method-assign]
    try:
        yield
    finally:
        del driver.settle
        await driver.settle(since=since)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def timed(fake: FakeDiscord, driver: Driver, actions: list) -> tuple[list[float], float]:
    """Dispatch every action at once; each one's time to the bot's answer, and the wall time."""
    started: dict[int, float] = {}
    mark = len(fake.requests)

    async def one(make) -> None:
        t0 = time.monotonic()
        result = await make()
        started[int(result.payload["id"])] = t0

    wall0 = time.monotonic()
    async with burst(driver):
        await asyncio.gather(*(one(a) for a in actions))
    wall = time.monotonic() - wall0
    answered = {
        int(r.params["interaction_id"]): r.at
        for r in fake.requests[mark:]
        if r.route == CALLBACK and r.method == "POST"
    }
    missing = set(started) - set(answered)
    if missing:
        raise SystemExit(f"{len(missing)} interactions got no answer")
    return [(answered[i] - t0) * 1000 for i, t0 in started.items()], wall


LOGGERS = 200


async def main(n: int) -> None:
    """Run the benchmark with n members."""
    fake = FakeDiscord(validate=False)
    await fake.start()
    # Discord always sends rate-limit headers; without them discord.py sends one request per
    # bucket at a time. Generous limits: the headers, never a 429.
    fake.rate_limit(global_per_second=1_000_000, default_limit=(1_000_000, 1.0))
    d = fake.add_demo_guild()
    tmp = Path(tempfile.mkdtemp())
    clock = ManualClock(T0)

    def make_bot() -> Rankfile:
        return Rankfile(
            Settings(db_path=tmp / "bench.db"),
            connector=fake.connector(),
            clock=clock,
            guild_ready_timeout=0.05,
            delivery_rate=100_000.0,
        )

    driver = Driver(fake, make_bot, settle_timeout=600)
    await driver.start()
    bot = driver.bot
    assert isinstance(bot, Rankfile)

    @app_commands.command(name="noop", description="Answers at once (the baseline)")
    async def noop(interaction: discord.Interaction) -> None:
        await ui.reply(interaction, "ok", ephemeral=True)

    bot.tree.add_command(noop)
    await demo.prepare_server(bot.db, d.guild_id, d.channels, d.roles, clock.now())
    await units.add(bot.db, d.guild_id, "700", "Local 700 Editors", None, T0)
    names = [f"bench{i:04}" for i in range(n)]
    guild = fake.guilds[d.guild_id]
    for name in names:
        fake.add_member(guild, fake.add_user(name), [])
    try:
        base, base_wall = await timed(
            fake, driver, [lambda u=u: driver.command(u, "/noop") for u in names]
        )
        async with burst(driver):
            await asyncio.gather(*(driver.command(u, "/cat join") for u in names))
        async with burst(driver):
            await asyncio.gather(*(driver.click(u, "I commit: open the form") for u in names))
        mark = len(fake.requests)
        joins, join_wall = await timed(
            fake,
            driver,
            [
                lambda u=u: driver.submit(u, {**FORM, "Your name as the union knows it": u})
                for u in names
            ],
        )
        rows = await bot.db.fetchval("SELECT count(*) FROM cat_volunteer")
        users = await bot.db.fetchval("SELECT count(DISTINCT user_id) FROM cat_volunteer")
        role_calls = [r for r in fake.requests[mark:] if r.route == ROLE_ROUTE]
        print(f"members: {n}")
        print(f"noop_median_ms: {statistics.median(base):.1f}")
        print(f"noop_p99_ms: {percentile(base, 99):.1f}")
        print(f"noop_burst_wall_s: {base_wall:.2f}")
        print(f"cat_join_submit_median_ms: {statistics.median(joins):.1f}")
        print(f"cat_join_submit_p99_ms: {percentile(joins, 99):.1f}")
        print(f"cat_join_burst_wall_s: {join_wall:.2f}")
        print(f"cat_join_per_second: {n / join_wall:.0f}")
        print(f"ratio_median: {statistics.median(joins) / statistics.median(base):.2f}")
        print(f"ratio_p99: {percentile(joins, 99) / percentile(base, 99):.2f}")
        print(f"signups_recorded: {rows}")
        print(f"signups_distinct_members: {users}")
        print(f"role_calls: {len(role_calls)}")
        print(f"role_calls_distinct_members: {len({r.params['user_id'] for r in role_calls})}")
        # LOGGERS volunteers log a conversation (level, method, concern) at once,
        # beside a no-op burst of the same size in the same run.
        loggers = names[:LOGGERS]
        base2, _ = await timed(
            fake, driver, [lambda u=u: driver.command(u, "/noop") for u in loggers]
        )
        line = "/cat log unit: 700 level: 2 method: phone concern: wages"
        logs, log_wall = await timed(
            fake, driver, [lambda u=u: driver.command(u, line) for u in loggers]
        )
        recorded = await bot.db.fetchval("SELECT count(*) FROM cat_conversation")
        distinct = await bot.db.fetchval(
            "SELECT count(DISTINCT volunteer_id) FROM cat_conversation"
        )
        print(f"loggers: {len(loggers)}")
        print(f"noop_{len(loggers)}_median_ms: {statistics.median(base2):.1f}")
        print(f"noop_{len(loggers)}_p99_ms: {percentile(base2, 99):.1f}")
        print(f"cat_log_median_ms: {statistics.median(logs):.1f}")
        print(f"cat_log_p99_ms: {percentile(logs, 99):.1f}")
        print(f"cat_log_burst_wall_s: {log_wall:.2f}")
        print(f"cat_log_ratio_median: {statistics.median(logs) / statistics.median(base2):.2f}")
        print(f"cat_log_ratio_p99: {percentile(logs, 99) / percentile(base2, 99):.2f}")
        print(f"logs_recorded: {recorded}")
        print(f"logs_distinct_volunteers: {distinct}")
    finally:
        await driver.stop()
        await fake.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
