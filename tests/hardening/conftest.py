"""Fixtures of the hardening tests: one bot per test module, on its own event loop."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.hardening import logscan
from tests.hardening.harness import SyncRig


@pytest.fixture(scope="session", autouse=True)
def capture_logs() -> Iterator[logscan.Capture]:
    """Every log line of the hardening session, scanned when the session ends: a token or a
    member's id or text in any of them fails the run (an error at the last test's teardown)."""
    root = logging.getLogger()
    root.addHandler(logscan.CAPTURE)
    # INFO, as the bot logs in production (bot.logs), so the scan sees what an operator keeps.
    levels = {n: logging.getLogger(n).level for n in ("rankfile", "discord")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield logscan.CAPTURE
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        root.removeHandler(logscan.CAPTURE)
    hits = logscan.scan()
    assert hits == [], "\n".join(hits[:20])


@pytest.fixture(autouse=True)
def _register_rig(request: pytest.FixtureRequest) -> None:
    # The async tests' rig: its database and token join the session's scan.
    if "rig" in request.fixturenames:
        r = request.getfixturevalue("rig")
        logscan.register(r.db_path, r.fake.token)


@pytest.fixture(scope="module")
def shared_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncRig]:
    """A started rig shared by a module's tests (starting one per command costs most of the run)."""
    with SyncRig(tmp_path_factory.mktemp("rig")) as sync_rig:
        yield sync_rig
    leftover = sync_rig.problems()
    assert not leftover, "\n".join(leftover)


# The e2e `rig` (real bot, demo server set up) for the async hardening tests.
from tests.e2e.conftest import rig  # noqa: E402, F401
