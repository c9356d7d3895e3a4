"""The delivery engine end to end: the real bot's worker against the fake Discord.

Every delivery ends sent, skipped (with the reason) or failed; 429s are waited out; a crash
while sends are in flight, or after Discord accepted them but before the rows were marked,
is followed by a restart that sends the rest and nothing twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.core import delivery, render
from bot.core.clock import ManualClock
from bot.core.delivery import Target
from bot.glue.delivery_worker import MAX_ATTEMPTS
from bot.sandbox.fake import VIEW_CHANNEL
from tests.e2e.conftest import Rig, bot_factory
from tests.support import T0

POST = ("POST", "/channels/{channel_id}/messages")
OPEN_DM = ("POST", "/users/@me/channels")


@pytest.fixture
async def fast_rig(fake, make_driver, tmp_path) -> Rig:
    """The real bot with the pacer opened wide: the fake has no limiter on in these tests."""
    clock = ManualClock(T0)
    db_path = tmp_path / "rankfile.db"
    driver = await make_driver(bot_factory(fake, clock, db_path, delivery_rate=5000.0))
    return Rig(driver, fake, clock, db_path)


def add_members(rig: Rig, count: int, prefix: str = "m") -> list[int]:
    guild = rig.fake.guilds[rig.demo.guild_id]
    ids = []
    for n in range(count):
        user = rig.fake.add_user(f"{prefix}{n}")
        rig.fake.add_member(guild, user)
        ids.append(user.id)
    return ids


async def broadcast(rig: Rig, targets: list[Target], text: str = "Strike vote Friday") -> int:
    async with rig.db.transaction():
        return await delivery.enqueue(
            rig.db, rig.demo.guild_id, "test", render.message(text), targets, rig.clock.now()
        )


async def run_out(rig: Rig, broadcast_id: int, rounds: int = 12) -> dict[str, int]:
    """Settle, moving the clock past each backoff, until nothing of the broadcast is pending."""
    await rig.settle()
    for _ in range(rounds):
        counts = await delivery.counts(rig.db, broadcast_id)
        if counts["pending"] == 0:
            return counts
        rig.clock.advance(minutes=1)
        await rig.settle()
    return await delivery.counts(rig.db, broadcast_id)


async def wait_for_requests(rig: Rig, route: tuple[str, str], count: int) -> None:
    """Wait (in real time, bounded) until the fake has received `count` such requests."""
    for _ in range(1000):
        if len(rig.fake.requests_to(*route)) >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"the fake never saw {count} {route} requests")


def dm_messages(rig: Rig, user_id: int, text: str) -> list[dict]:
    channel = rig.fake.dm_channels.get(user_id)
    if channel is None:
        return []
    return [m for m in rig.fake.channel_messages(channel.id) if m["content"] == text]


async def test_dms_to_200_members_with_closed_dms_429s_and_5xx_all_accounted_for(fast_rig):
    rig = fast_rig
    members = add_members(rig, 200)
    closed = set(members[::10])
    for user_id in closed:
        rig.fake.set_dms_open(user_id, False)
    rig.fake.inject(*POST, 429, times=6, retry_after=0.01)
    rig.fake.inject(*OPEN_DM, 429, times=3, retry_after=0.01)
    rig.fake.inject(*POST, 503, times=15)
    rig.fake.inject(*OPEN_DM, 503, times=4)

    bid = await broadcast(rig, [Target.dm(u) for u in members])
    counts = await run_out(rig, bid)

    assert counts == {"pending": 0, "sent": 180, "skipped": 20, "failed": 0, "cancelled": 0}
    assert await delivery.reasons(rig.db, bid) == [("skipped", "dms_closed", 20)]
    for user_id in members:
        expected = 0 if user_id in closed else 1
        assert len(dm_messages(rig, user_id, "Strike vote Friday")) == expected
    posts = [r for r in rig.fake.requests_to(*POST)]
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in posts)
    assert all(r.json["enforce_nonce"] is True and r.json["nonce"].startswith("rf") for r in posts)
    # 429s were waited out (never counted), the DM channel opened once per member.
    opened = [r for r in rig.fake.requests_to(*OPEN_DM) if r.status == 200]
    assert len(opened) == 200
    assert Counter(r.status for r in posts)[429] == 6

    # A second broadcast reuses the DM channels: nothing is opened again.
    before = len(rig.fake.requests_to(*OPEN_DM))
    second = await broadcast(rig, [Target.dm(u) for u in members[:20]], "Rally at noon")
    assert (await run_out(rig, second))["sent"] == 18
    assert len(rig.fake.requests_to(*OPEN_DM)) == before


async def test_crash_with_sends_in_flight_then_restart_sends_the_rest_once(fast_rig):
    rig = fast_rig
    members = add_members(rig, 30)
    announcements = rig.demo.channel("announcements")
    # Discord takes its time with the first eight posts: the bot dies while they are in flight.
    rig.fake.inject(*POST, None, delay=0.3, times=8)
    bid = await broadcast(rig, [Target.channel(announcements)] + [Target.dm(u) for u in members])
    await wait_for_requests(rig, POST, 8)
    await rig.bot.delivery.abort()
    in_db = await delivery.counts(rig.db, bid)
    assert in_db["pending"] > 0  # the crash left work undone (and eight sends unmarked)

    await rig.restart()  # the fake finishes the eight slow posts first: accepted, not marked
    counts = await run_out(rig, bid)

    assert counts["sent"] == 31 and counts["pending"] == 0
    posted = [m for m in rig.fake.channel_messages(announcements) if m.get("nonce")]
    assert len(posted) == 1
    for user_id in members:
        assert len(dm_messages(rig, user_id, "Strike vote Friday")) == 1
    # What the database says was posted is what Discord holds.
    for _, _, channel_id, message_id in await delivery.sent_messages(rig.db, bid):
        assert rig.fake.message(message_id)["channel_id"] == str(channel_id)


async def test_accepted_but_not_marked_is_not_posted_again(fast_rig):
    rig = fast_rig
    members = add_members(rig, 10)
    bid = await broadcast(rig, [Target.dm(u) for u in members])
    await run_out(rig, bid)
    before = {u: dm_messages(rig, u, "Strike vote Friday")[0]["id"] for u in members}
    # As if the bot died after Discord answered but before these rows were committed.
    await rig.db.execute(
        "UPDATE delivery SET state = 'pending', message_id = NULL WHERE broadcast_id = ? "
        "AND id % 2 = 0",
        (bid,),
    )
    await rig.restart()
    counts = await run_out(rig, bid)
    assert counts["sent"] == 10
    for user_id in members:
        messages = dm_messages(rig, user_id, "Strike vote Friday")
        assert [m["id"] for m in messages] == [before[user_id]]


async def test_a_timed_out_send_is_retried_with_the_same_nonce(fast_rig):
    rig = fast_rig
    (member,) = add_members(rig, 1)
    rig.bot.delivery.send_timeout = 0.1
    rig.fake.inject(*POST, None, delay=0.4)
    bid = await broadcast(rig, [Target.dm(member)])
    await rig.settle()
    assert (await delivery.reasons(rig.db, bid)) == [("pending", "timed out", 1)]
    counts = await run_out(rig, bid)
    assert counts["sent"] == 1
    nonces = {r.json["nonce"] for r in rig.fake.requests_to(*POST)}
    assert len(rig.fake.requests_to(*POST)) == 2 and len(nonces) == 1
    assert len(dm_messages(rig, member, "Strike vote Friday")) == 1


async def test_failures_and_skips_never_block_the_others(fast_rig):
    rig = fast_rig
    guild = rig.fake.guilds[rig.demo.guild_id]
    hidden = rig.fake.add_channel(
        guild,
        "locked",
        overwrites=[{"id": rig.demo.bot_role_id, "type": 0, "allow": 0, "deny": VIEW_CHANNEL}],
    )
    gone = rig.fake.add_channel(guild, "old")
    rig.fake.remove_channel(gone.id)
    general = rig.demo.channel("general")

    rig.fake.inject(*POST, 503, times=MAX_ATTEMPTS)
    flaky = await broadcast(rig, [Target.channel(general)], "First")
    counts = await run_out(rig, flaky)
    assert counts["failed"] == 1
    assert await delivery.reasons(rig.db, flaky) == [("failed", "discord error 503", 1)]

    mixed = await broadcast(
        rig, [Target.channel(hidden.id), Target.channel(gone.id), Target.channel(general)], "Next"
    )
    counts = await run_out(rig, mixed)
    assert (counts["sent"], counts["skipped"]) == (1, 2)
    assert sorted(await delivery.reasons(rig.db, mixed)) == [
        ("skipped", "channel_gone", 1),
        ("skipped", "missing_access", 1),
    ]
    assert [m["content"] for m in rig.fake.channel_messages(general)] == ["Next"]
