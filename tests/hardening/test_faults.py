"""Faults end to end: Discord answers 429 (route and global), 5xx, 403, slowly, or drops the
gateway. Every command still answers (or says it could not), every queued delivery ends in a
final state, and no member gets a message twice.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.core import delivery, render
from bot.core.delivery import Target

CALLBACK = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
POST = ("POST", "/channels/{channel_id}/messages")
# Read commands any member has; each must still answer under every fault.
READS = ["/help", "/subscriptions", "/ask mine"]


def _answered(r) -> bool:
    return r.callback_type is not None and (r.reply is not None or r.callback_type == 9)


@pytest.mark.parametrize(
    "fault",
    [
        dict(status=429, retry_after=0.05),
        dict(status=429, retry_after=0.05, is_global=True),
        dict(status=500),
        dict(status=502),
        dict(status=503),
        dict(status=None, delay=0.3),
    ],
    ids=["429-route", "429-global", "500", "502", "503", "slow"],
)
async def test_commands_answer_through_faults(rig, fault):
    known = set(rig.driver.command_names())
    for line in READS:
        if line.lstrip("/") not in known:
            continue
        rig.fake.inject(*CALLBACK, times=1, **fault)
        r = await rig.command("alice", line)
        assert _answered(r), f"{line} went unanswered under {fault}"
        statuses = [q.status for q in r.find(*CALLBACK)]
        if fault.get("status"):
            assert statuses[0] == fault["status"] and statuses[-1] == 200, statuses


async def test_a_refused_callback_is_not_an_unhandled_error(rig):
    # Discord refuses the answer (403): the handler's fallback logs a warning, nothing crashes.
    rig.fake.inject(*CALLBACK, 403, times=2, code=50001, message="Missing Access")
    r = await rig.command("alice", "/help")
    # Tried once, then once more by the error path; both refused; nothing else was sent.
    assert [q.status for q in r.find(*CALLBACK)] == [403, 403]
    assert [q.route for q in r.requests] == [CALLBACK[1], CALLBACK[1]]


async def test_broadcast_through_mixed_faults_and_a_gateway_drop(rig):
    guild = rig.fake.guilds[rig.demo.guild_id]
    members = []
    for n in range(30):
        user = rig.fake.add_user(f"h{n}")
        rig.fake.add_member(guild, user)
        members.append(user.id)
    rig.fake.set_dms_open(members[0], False)  # 403 50007: skipped, not failed
    for status in (429, 500, 502, 503):
        rig.fake.inject(*POST, status, times=2, retry_after=0.05)
    rig.fake.inject(*POST, None, times=3, delay=0.2)
    async with rig.db.transaction():
        bid = await delivery.enqueue(
            rig.db,
            rig.demo.guild_id,
            "test",
            render.message("Strike vote Friday @everyone"),
            [Target.dm(m) for m in members] + [Target.channel(rig.demo.channels["general"])],
            rig.clock.now(),
        )
    await rig.fake.drop_gateway()
    r = await rig.command("alice", "/help")  # the resumed session still answers
    assert _answered(r)
    counts = await delivery.counts(rig.db, bid)
    for _ in range(15):
        if counts["pending"] == 0:
            break
        rig.clock.advance(minutes=1)
        await rig.settle()
        counts = await delivery.counts(rig.db, bid)
    assert counts["pending"] == 0, counts
    assert counts["sent"] + counts["skipped"] + counts["failed"] == len(members) + 1
    assert counts["skipped"] >= 1
    # Nothing twice: one stored message per DM channel and one in #general.
    per_channel = Counter(
        int(m["channel_id"])
        for m in rig.fake.all_messages()
        if "Strike vote" in (m.get("content") or "")
    )
    assert per_channel and max(per_channel.values()) == 1, per_channel
    assert counts["sent"] == sum(per_channel.values())
    assert rig.fake.resume_count >= 1
