"""Shared fixtures: a started fake Discord with the demo server, and a driver factory.

A test using them fails at teardown when the bot logged an error, a task raised and nobody
looked, the bot called a route the fake does not know, or a body broke Discord's schema.
A test that provokes one of those on purpose asserts on it and clears the list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot import wiring
from bot.sandbox.driver import Driver
from bot.sandbox.fake import FakeDiscord


@pytest.fixture(autouse=True, scope="session")
def _wired() -> None:
    """The capabilities' timer handlers and hooks, as the bot's start-up registers them."""
    wiring.install()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with the demo guild (``fake.demo``)."""
    f = FakeDiscord()
    f.validate_responses = True
    await f.start()
    f.add_demo_guild()
    try:
        yield f
    finally:
        await f.close()


MakeDriver = Callable[..., Awaitable[Driver]]


@pytest.fixture
async def make_driver(fake: FakeDiscord) -> AsyncIterator[MakeDriver]:
    """``driver = await make_driver(lambda: build_bot(fake), **kw)``: started, then stopped.

    At teardown the test fails when ``driver.errors``, ``fake.unknown_routes`` or
    ``fake.schema_errors`` are not empty.
    """
    drivers: list[Driver] = []

    async def _make(make_bot: Callable[[], Any], **kwargs: Any) -> Driver:
        d = Driver(fake, make_bot, **kwargs)
        drivers.append(d)
        await d.start()
        return d

    yield _make
    problems: list[str] = []
    for d in drivers:
        try:
            if d.bot is not None:
                await d.settle()
        finally:
            await d.stop()
        problems += [f"bot error: {e}" for e in d.errors]
    problems += [f"unknown route: {r.method} {r.path}" for r in fake.unknown_routes]
    problems += [f"schema error: {e}" for e in fake.schema_errors]
    problems += [f"fake answer off-spec: {e}" for e in fake.response_errors]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
