"""Discord's limits on DMs and invalid requests, as the delivery worker keeps them."""

from __future__ import annotations

from datetime import timedelta

from bot.core import delivery, dm_limits
from bot.glue.invalid_requests import InvalidRequests
from tests.support import T0, fresh_db


async def test_new_dm_budget_counts_channels_opened_in_the_last_24_hours(tmp_path):
    db = await fresh_db(tmp_path)
    for user in range(3):
        await delivery.remember_dm_channel(db, 100 + user, 900 + user, T0 - timedelta(hours=30))
    for user in range(3, 5):
        await delivery.remember_dm_channel(db, 100 + user, 900 + user, T0 - timedelta(hours=2))
    assert await dm_limits.budget_wait(db, T0, budget=3) is None
    await delivery.remember_dm_channel(db, 200, 999, T0 - timedelta(hours=1))
    # Three opened within the day: the next may open when the oldest of them is a day old.
    assert await dm_limits.budget_wait(db, T0, budget=3) == T0 + timedelta(hours=22)
    await db.close()


async def test_split_says_how_many_dms_go_now_and_how_many_later(tmp_path):
    db = await fresh_db(tmp_path)
    await delivery.remember_dm_channel(db, 1, 11, T0 - timedelta(days=3))  # known: free
    await delivery.remember_dm_channel(db, 2, 12, T0 - timedelta(hours=1))  # known, today
    members = [1, 2, 3, 4, 5, 6]
    # Budget 3, one used today: 2 of the 4 new members now, 2 later; known ones always now.
    assert await dm_limits.split(db, members, T0, budget=3) == (4, 2)
    assert await dm_limits.split(db, members, T0, budget=900) == (6, 0)
    await db.close()


async def test_closed_dms_are_remembered_for_a_week_unless_the_member_comes_back(tmp_path):
    db = await fresh_db(tmp_path)
    await dm_limits.mark_closed(db, 7, T0)
    assert await dm_limits.closed_recently(db, 7, T0 + timedelta(days=6))
    assert not await dm_limits.closed_recently(db, 7, T0 + timedelta(days=8))
    await dm_limits.member_is_back(db, 7)
    assert not await dm_limits.closed_recently(db, 7, T0 + timedelta(days=1))
    await db.close()


async def test_invalid_requests_pause_sending_at_the_threshold():
    told = []
    guard = InvalidRequests(pause_at=5, on_unauthorized=lambda: told.append("401"))
    for status in (200, 204, 404, 400):
        guard.record(status)
    assert guard.count() == 0
    for status in (403, 429, 403, 429):
        guard.record(status)
    guard.record(429, shared=True)  # another bot's shared limit: Discord does not count it
    assert guard.count() == 4 and not guard.paused
    guard.record(401)
    assert guard.paused and told == ["401"]


async def test_the_pause_ends_when_the_window_moves_on():
    guard = InvalidRequests(pause_at=2, window=0.2)
    guard.record(403)
    guard.record(403)
    assert guard.paused
    await guard.wait_until_allowed()
    assert not guard.paused
