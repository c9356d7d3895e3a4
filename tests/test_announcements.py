"""Announcements on a temporary database: drafts, send, schedule, cancel, status, listing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import announcements, subscriptions
from bot.core import audit, delivery, guild_settings, timers
from bot.core.errors import Conflict, NotFound, UserError
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db

CHANNEL, ROLE, AUTHOR, OTHER = 500, 600, 7, 8


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await guild_settings.update(database, GUILD, None, T0, timezone="America/Los_Angeles")
    yield database
    await database.close()


async def make(db, **kw):
    args = {
        "title": "Rally",
        "body": "Noon at the gate.",
        "link": None,
        "channel_id": CHANNEL,
    }
    args.update(kw)
    return await announcements.draft(db, GUILD, AUTHOR, T0, **args)


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"title": " "}, "title is empty"),
        ({"title": "x" * 257}, "257 characters"),
        ({"body": ""}, "message is empty"),
        ({"body": "x" * 4001}, "4001 characters"),
        ({"link": "ftp://x"}, "https://"),
        ({"link": "https://a b"}, "https://"),
        ({"role_id": GUILD}, "@everyone"),
        ({"when": "2024-07-09 09:00"}, "already passed"),
        ({"when": "someday"}, "couldn't read"),
    ],
)
async def test_bad_drafts_are_refused_and_nothing_is_saved(db, kw, says):
    with pytest.raises(UserError, match=says):
        await make(db, **kw)
    assert await db.fetchval("SELECT count(*) FROM announcement") == 0


async def test_send_now_queues_the_channel_post_and_audits(db):
    a = await make(db, role_id=ROLE, link="https://example.org/x")
    assert a.state == "draft" and a.scheduled_for is None
    assert await db.fetchval("SELECT count(*) FROM broadcast") == 0
    sent, dms = await announcements.send(db, GUILD, a.id, AUTHOR, T0)
    assert sent.state == "queued" and dms == 0
    (item,) = await delivery.due(db, T0)
    assert item.target_kind == "channel" and item.target_id == CHANNEL
    assert item.payload["allowed_mentions"] == {"parse": [], "roles": [str(ROLE)]}
    assert item.payload["content"] == f"<@&{ROLE}>"
    assert item.payload["embeds"][0]["url"] == "https://example.org/x"
    (entry,) = [e for e in await audit.recent(db, GUILD) if e.action.startswith("announce")]
    assert entry.action == "announcement.send" and entry.actor_id == AUTHOR
    with pytest.raises(Conflict):
        await announcements.send(db, GUILD, a.id, AUTHOR, T0)


async def test_only_the_author_may_send_or_discard(db):
    a = await make(db)
    with pytest.raises(UserError, match="Only the organizer who wrote"):
        await announcements.send(db, GUILD, a.id, OTHER, T0)
    with pytest.raises(UserError, match="Only the organizer who wrote"):
        await announcements.discard(db, GUILD, a.id, OTHER, T0)
    with pytest.raises(NotFound):
        await announcements.send(db, OTHER_GUILD, a.id, AUTHOR, T0)
    await announcements.discard(db, GUILD, a.id, AUTHOR, T0)
    with pytest.raises(NotFound):
        await announcements.get(db, GUILD, a.id)


async def test_scheduled_dms_go_to_the_subscribers_of_that_time(db):
    for member in (11, 12):
        await subscriptions.subscribe(db, GUILD, member, "announcements", T0)
    a = await make(db, when="tomorrow 9am", dm_subscribers=True)
    assert a.scheduled_for == T0.replace(hour=16) + timedelta(days=1)
    _, dms = await announcements.send(db, GUILD, a.id, AUTHOR, T0, guild_name="Local 600")
    assert dms == 2
    assert await delivery.due(db, T0) == []
    await subscriptions.unsubscribe(db, GUILD, 12, "announcements")
    (timer,) = await timers.for_subject(db, announcements.DM_TIMER, a.id)
    assert await timers.fire(db, timer.id, a.scheduled_for) == "fired"
    due = await delivery.due(db, a.scheduled_for)
    assert sorted((d.target_kind, d.target_id) for d in due) == [("channel", CHANNEL), ("dm", 11)]
    dm = next(d for d in due if d.target_kind == "dm")
    assert dm.payload["allowed_mentions"] == {"parse": []}
    assert "Local 600" in dm.payload["content"]
    assert (await announcements.status(db, GUILD, a.id)).subscribers == 1


async def test_scheduled_then_cancelled_sends_nothing(db):
    await subscriptions.subscribe(db, GUILD, 11, "announcements", T0)
    a = await make(db, when="tomorrow 9am", dm_subscribers=True)
    await announcements.send(db, GUILD, a.id, AUTHOR, T0)
    scheduled, recent = await announcements.listing(db, GUILD, T0)
    assert [s.id for s, _ in scheduled] == [a.id] and recent == []
    assert scheduled[0][1]["pending"] == 1

    assert await announcements.cancel(db, GUILD, a.id, AUTHOR, T0) == 1
    (timer,) = await timers.for_subject(db, announcements.DM_TIMER, a.id)
    assert timer.state == "cancelled"
    assert await delivery.due(db, a.scheduled_for) == []
    with pytest.raises(Conflict, match="already cancelled"):
        await announcements.cancel(db, GUILD, a.id, AUTHOR, T0)
    status = await announcements.status(db, GUILD, a.id)
    assert status.counts["cancelled"] == 1
    _, recent = await announcements.listing(db, GUILD, T0)
    assert [r.state for r, _ in recent] == ["cancelled"]


async def test_a_schedule_that_passed_while_previewing_is_refused(db):
    a = await make(db, when="in 2 hours")
    with pytest.raises(UserError, match="has passed"):
        await announcements.send(db, GUILD, a.id, AUTHOR, T0 + timedelta(hours=3))
    assert (await announcements.get(db, GUILD, a.id)).state == "draft"


async def test_status_counts_and_reasons_after_delivery(db):
    for member in (11, 12, 13):
        await subscriptions.subscribe(db, GUILD, member, "announcements", T0)
    a = await make(db, dm_subscribers=True)
    await announcements.send(db, GUILD, a.id, AUTHOR, T0)
    items = await delivery.due(db, T0)
    for item in items:
        if item.target_id == 12:
            await delivery.mark_skipped(db, item.id, "dms_closed", T0)
        elif item.target_id == 13:
            await delivery.mark_failed(db, item.id, "discord error 503", T0)
        else:
            await delivery.mark_sent(db, item.id, 1, 2, T0)
    status = await announcements.status(db, GUILD, a.id)
    assert (status.counts["sent"], status.counts["skipped"], status.counts["failed"]) == (2, 1, 1)
    assert sorted(status.reasons) == [
        ("failed", "discord error 503", 1),
        ("skipped", "dms_closed", 1),
    ]
    with pytest.raises(Conflict, match="already been sent"):
        await announcements.cancel(db, GUILD, a.id, AUTHOR, T0)
