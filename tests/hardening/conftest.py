"""Fixtures of the hardening tests: one bot per test module, on its own event loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hardening.harness import SyncRig


@pytest.fixture(scope="module")
def shared_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncRig]:
    """A started rig shared by a module's tests (starting one per command costs most of the run)."""
    with SyncRig(tmp_path_factory.mktemp("rig")) as sync_rig:
        yield sync_rig
    leftover = sync_rig.problems()
    assert not leftover, "\n".join(leftover)


# The e2e `rig` (real bot, demo server set up) for the async hardening tests.
from tests.e2e.conftest import rig  # noqa: E402, F401
