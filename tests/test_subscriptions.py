"""Subscriptions on a temporary database."""

from __future__ import annotations

import pytest

from bot import subscriptions
from bot.core import units
from bot.core.errors import Conflict, NotFound, UserError
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await units.load_demo(database, GUILD, T0)
    yield database
    await database.close()


async def test_subscribers_are_distinct_and_matched_by_kind(db):
    u600 = await units.find(db, GUILD, "600")
    u700 = await units.find(db, GUILD, "700")
    await subscriptions.subscribe(db, GUILD, 1, "all", T0)
    await subscriptions.subscribe(db, GUILD, 2, "topic", T0, topic="Wages")
    await subscriptions.subscribe(db, GUILD, 3, "unit", T0, unit="600")
    await subscriptions.subscribe(db, GUILD, 4, "announcements", T0)
    # Member 5 matches twice (topic and unit) and is still counted once.
    await subscriptions.subscribe(db, GUILD, 5, "topic", T0, topic="ai")
    await subscriptions.subscribe(db, GUILD, 5, "unit", T0, unit="Local 700")
    await subscriptions.subscribe(db, OTHER_GUILD, 6, "all", T0)

    assert await subscriptions.subscribers(db, GUILD) == [1]
    assert await subscriptions.subscribers(db, GUILD, topics=["WAGES"]) == [1, 2]
    assert await subscriptions.subscribers(db, GUILD, units=[u600.id]) == [1, 3]
    assert await subscriptions.subscribers(
        db, GUILD, topics=["wages", "AI"], units=[u600.id, u700.id]
    ) == [1, 2, 3, 5]
    # Announcements reach only those subscribed to them: "all" is every negotiation update.
    assert await subscriptions.subscribers(db, GUILD, announcements=True) == [4]
    assert await subscriptions.subscribers(db, OTHER_GUILD, topics=["wages"]) == [6]


async def test_subscribe_twice_unsubscribe_and_list(db):
    label = await subscriptions.subscribe(db, GUILD, 7, "unit", T0, unit="600")
    assert "Local 600" in label
    with pytest.raises(Conflict, match="already subscribed"):
        await subscriptions.subscribe(db, GUILD, 7, "unit", T0, unit="600")
    await subscriptions.subscribe(db, GUILD, 7, "topic", T0, topic="benefits")
    mine = await subscriptions.list_for(db, GUILD, 7)
    assert [s.label for s in mine] == [
        "Topic: benefits",
        "Unit: Local 600, International Cinematographers Guild",
    ]
    await subscriptions.unsubscribe(db, GUILD, 7, "unit", unit="600")
    with pytest.raises(NotFound, match="not subscribed"):
        await subscriptions.unsubscribe(db, GUILD, 7, "unit", unit="600")
    assert [s.kind for s in await subscriptions.list_for(db, GUILD, 7)] == ["topic"]
    assert await subscriptions.list_for(db, GUILD, 8) == []


async def test_unknown_topic_or_unit_is_refused_and_nothing_saved(db):
    with pytest.raises(NotFound, match="No topic `pizza`"):
        await subscriptions.subscribe(db, GUILD, 7, "topic", T0, topic="pizza")
    with pytest.raises(NotFound, match="No bargaining unit `999`"):
        await subscriptions.subscribe(db, GUILD, 7, "unit", T0, unit="999")
    with pytest.raises(UserError, match="Name the topic"):
        await subscriptions.subscribe(db, GUILD, 7, "topic", T0)
    assert await subscriptions.list_for(db, GUILD, 7) == []


async def test_removing_a_unit_removes_its_subscriptions(db):
    unit = await units.add(db, GUILD, "999", "Local 999", 1, T0)
    await subscriptions.subscribe(db, GUILD, 7, "unit", T0, unit="999")
    await units.remove(db, GUILD, "999", 1, T0)
    assert await subscriptions.subscribers(db, GUILD, units=[unit.id]) == []
