"""The outbox on a temporary database: what enqueue writes, and how each delivery ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core import delivery, render
from bot.core.delivery import Target
from bot.core.errors import Conflict, NotFound
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db

PAYLOAD = render.message("Town hall Thursday at 6")


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def test_enqueue_writes_one_broadcast_and_one_row_per_distinct_target(db):
    targets = [Target.channel(10), Target.dm(1), Target.dm(2), Target.dm(1)]
    bid = await delivery.enqueue(db, GUILD, "announcement", PAYLOAD, targets, T0, author_id=7)
    assert await delivery.counts(db, bid) == {
        "pending": 3,
        "sent": 0,
        "skipped": 0,
        "failed": 0,
        "cancelled": 0,
    }
    due = await delivery.due(db, T0)
    assert [(d.target_kind, d.target_id) for d in due] == [("channel", 10), ("dm", 1), ("dm", 2)]
    assert due[0].payload["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    "payload",
    [
        {"content": "no mentions key"},
        {"content": "@everyone", "allowed_mentions": {"parse": ["everyone"]}},
        {"allowed_mentions": {"parse": []}},
    ],
)
async def test_enqueue_refuses_payloads_that_could_ping_or_are_empty(db, payload):
    with pytest.raises(ValueError):
        await delivery.enqueue(db, GUILD, "announcement", payload, [Target.dm(1)], T0)
    assert await db.fetchval("SELECT count(*) FROM broadcast") == 0


async def test_a_scheduled_broadcast_is_not_due_before_its_time(db):
    later = T0 + timedelta(hours=2)
    await delivery.enqueue(db, GUILD, "a", PAYLOAD, [Target.dm(1)], T0, scheduled_for=later)
    assert await delivery.due(db, T0) == []
    assert await delivery.next_due(db) == later
    assert len(await delivery.due(db, later)) == 1


async def test_end_states_reasons_and_retries(db):
    bid = await delivery.enqueue(
        db, GUILD, "a", PAYLOAD, [Target.dm(1), Target.dm(2), Target.dm(3), Target.dm(4)], T0
    )
    d1, d2, d3, d4 = await delivery.due(db, T0)
    await delivery.mark_sent(db, d1.id, 500, 900, T0)
    await delivery.mark_skipped(db, d2.id, "dms_closed", T0)
    await delivery.retry_later(db, d3.id, T0 + timedelta(seconds=4), "discord error 503", T0)
    await delivery.postpone(db, d4.id, T0 + timedelta(seconds=2), "rate_limited", T0)
    assert [d.id for d in await delivery.due(db, T0)] == []
    again = {d.id: d for d in await delivery.due(db, T0 + timedelta(seconds=5))}
    assert again[d3.id].attempts == 1
    assert again[d4.id].attempts == 0  # a 429 is not an attempt
    await delivery.mark_failed(db, d3.id, "discord error 503", T0)
    counts = await delivery.counts(db, bid)
    assert (counts["sent"], counts["skipped"], counts["failed"], counts["pending"]) == (1, 1, 1, 1)
    reasons = await delivery.reasons(db, bid)
    assert ("skipped", "dms_closed", 1) in reasons
    assert ("failed", "discord error 503", 1) in reasons
    assert await delivery.sent_messages(db, bid) == [("dm", 1, 500, 900)]


async def test_cancel_stops_what_is_pending_once(db):
    later = T0 + timedelta(days=1)
    bid = await delivery.enqueue(
        db, GUILD, "a", PAYLOAD, [Target.dm(1), Target.dm(2)], T0, scheduled_for=later
    )
    with pytest.raises(NotFound):
        await delivery.cancel(db, OTHER_GUILD, bid, T0)
    assert await delivery.cancel(db, GUILD, bid, T0) == 2
    with pytest.raises(Conflict):
        await delivery.cancel(db, GUILD, bid, T0)
    assert await delivery.due(db, later) == []
    assert (await delivery.get_broadcast(db, GUILD, bid)).state == "cancelled"


async def test_a_send_accepted_after_cancel_still_counts_as_sent(db):
    bid = await delivery.enqueue(db, GUILD, "a", PAYLOAD, [Target.dm(1), Target.dm(2)], T0)
    d1, _ = await delivery.due(db, T0)
    await delivery.cancel(db, GUILD, bid, T0)
    await delivery.mark_sent(db, d1.id, 5, 6, T0)
    counts = await delivery.counts(db, bid)
    assert (counts["sent"], counts["cancelled"]) == (1, 1)


async def test_counts_many_and_dm_channels(db):
    a = await delivery.enqueue(db, GUILD, "a", PAYLOAD, [Target.dm(1)], T0)
    b = await delivery.enqueue(db, GUILD, "a", PAYLOAD, [Target.dm(1), Target.dm(2)], T0)
    many = await delivery.counts_many(db, [a, b])
    assert many[a]["pending"] == 1 and many[b]["pending"] == 2
    await delivery.remember_dm_channel(db, 1, 77, T0)
    assert await delivery.dm_channel(db, 1) == 77
    await delivery.forget_dm_channel(db, 1, 77)
    assert await delivery.dm_channel(db, 1) is None
