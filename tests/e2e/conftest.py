"""The `rig`: the real rankfile bot on a fresh database, set up in the fake's demo server.

    async def test_something(rig):
        r = await rig.command("alice", "/help")
        assert r.ephemeral
        rig.clock.advance(hours=1); await rig.settle()

The clock is a ManualClock starting at 2024-07-10 17:00 UTC (10:00 in Los Angeles): timers
and scheduled deliveries run when a test moves it and settles, never by sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot import demo
from bot.core.clock import ManualClock
from bot.core.config import Settings
from bot.glue.app import Rankfile
from bot.sandbox.driver import Driver
from bot.sandbox.fake import FakeDiscord
from tests.support import T0


class Rig:
    """A started driver plus what tests reach for: the clock, the demo ids, the database."""

    def __init__(self, driver: Driver, fake: FakeDiscord, clock: ManualClock, db_path: Path):
        self.driver = driver
        self.fake = fake
        self.clock = clock
        self.db_path = db_path
        self.demo = fake.demo

    @property
    def bot(self) -> Rankfile:
        """The running bot (a new object after restart())."""
        return self.driver.bot  # type: ignore[return-value]

    @property
    def db(self):
        """The running bot's database."""
        return self.bot.db

    def __getattr__(self, name: str) -> Any:
        # command, click, select, submit, autocomplete, settle, restart, ... come from the driver.
        return getattr(self.driver, name)


def bot_factory(fake: FakeDiscord, clock: ManualClock, db_path: Path, **options: Any) -> Callable:
    """A make_bot for the driver: the real Rankfile, pointed at the fake."""

    def make_bot() -> Rankfile:
        return Rankfile(
            Settings(db_path=db_path),
            connector=fake.connector(),
            clock=clock,
            guild_ready_timeout=0.05,
            **options,
        )

    return make_bot


@pytest.fixture
async def rig(fake, make_driver, tmp_path) -> Rig:
    """The real bot, started, with /setup done for the demo server."""
    clock = ManualClock(T0)
    db_path = tmp_path / "rankfile.db"
    driver = await make_driver(bot_factory(fake, clock, db_path))
    d = fake.demo
    await demo.prepare_server(driver.bot.db, d.guild_id, d.channels, d.roles, clock.now())
    return Rig(driver, fake, clock, db_path)
