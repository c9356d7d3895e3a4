"""Shared pieces of the end-to-end benchmarks: a bot against the fake, timed interactions.

Handling time is measured from the moment the INTERACTION_CREATE frame is handed to the
fake's gateway to the moment the bot's interaction callback request reaches the fake: the
whole of discord.py's parsing, the command, the database and the HTTP reply.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import demo
from bot.core.clock import ManualClock
from bot.core.config import Settings
from bot.glue.app import Rankfile
from bot.sandbox.driver import Driver
from bot.sandbox.fake import FakeDiscord

START = datetime(2024, 7, 10, 17, 0, tzinfo=UTC)


async def start_bot(
    *, prepare: Callable[[Rankfile], Awaitable[None]] | None = None, **options: Any
) -> tuple[FakeDiscord, Driver, Path]:
    """A fake with the demo server and the real bot on a new database, set up and ready."""
    # No schema validation here: the bench measures the bot, not the fake's checks.
    fake = FakeDiscord(validate=False)
    await fake.start()
    guild = fake.add_demo_guild()
    db_path = Path(tempfile.mkdtemp(prefix="rankfile-bench-")) / "bench.db"
    clock = ManualClock(START)

    def make_bot() -> Rankfile:
        return Rankfile(
            Settings(db_path=db_path),
            connector=fake.connector(),
            clock=clock,
            guild_ready_timeout=0.05,
            **options,
        )

    driver = Driver(fake, make_bot, guild=guild)
    await driver.start()
    bot: Rankfile = driver.bot  # type: ignore[assignment]
    await demo.prepare_server(bot.db, guild.guild_id, guild.channels, guild.roles, clock.now())
    if prepare is not None:
        await prepare(bot)
    return fake, driver, db_path


async def stop_bot(fake: FakeDiscord, driver: Driver) -> None:
    """Close the bot and the fake."""
    await driver.stop()
    await fake.close()


def command_payload(driver: Driver, user: str, line: str) -> dict[str, Any]:
    """The raw INTERACTION_CREATE payload for a command line, as the driver builds it."""
    u = driver.user(user)
    channel_id = driver._channel_id(None, u)  # the bench reuses the driver's builder
    data, _, _ = driver._parse_command(line, u, channel_id, autocomplete=False)
    payload = driver._base_payload(2, u, channel_id)
    payload["data"] = data
    return payload


async def timed_burst(
    fake: FakeDiscord, driver: Driver, user: str, line: str, concurrency: int
) -> list[float]:
    """Send `concurrency` interactions at once; return each one's handling time in ms."""
    payloads = [command_payload(driver, user, line) for _ in range(concurrency)]
    ids = {p["id"] for p in payloads}
    mark = len(fake.requests)
    sent: dict[str, float] = {}
    for payload in payloads:
        sent[payload["id"]] = time.monotonic()
        await fake.dispatch("INTERACTION_CREATE", payload)
    answered: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while len(answered) < len(ids) and time.monotonic() < deadline:
        for request in fake.requests[mark:]:
            if request.route.startswith("/interactions/") and request.method == "POST":
                interaction_id = request.params.get("interaction_id")
                if interaction_id in ids and interaction_id not in answered:
                    answered[interaction_id] = request.at
        await asyncio.sleep(0.001)
    await driver.settle()
    return [(answered[i] - sent[i]) * 1000 for i in answered]


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summarise(name: str, samples: list[float], baseline: list[float] | None = None) -> None:
    """Print median and p99 (and their ratio to the baseline's) as `name: value` lines."""
    median, p99 = statistics.median(samples), percentile(samples, 99)
    print(f"{name}_median_ms: {median:.2f}")
    print(f"{name}_p99_ms: {p99:.2f}")
    if baseline:
        print(f"{name}_median_ratio_to_noop: {median / statistics.median(baseline):.2f}")
        print(f"{name}_p99_ratio_to_noop: {p99 / percentile(baseline, 99):.2f}")
