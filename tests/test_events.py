"""Events on a temporary database: reminders at their offsets, once; edits, cancels, votes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot import events
from bot.core import guild_settings, timers, units
from bot.core.errors import Conflict, UserError
from bot.core.timeparse import TimeParseError
from tests.support import GUILD, T0, fresh_db

LA = "America/Los_Angeles"
CHANNEL = 5000


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await guild_settings.update(database, GUILD, None, T0, announcements_channel_id=CHANNEL)
    yield database
    await database.close()


async def _make(db, kind="townhall", start="2024-07-13 12:00", end=None, place="Zoom", **kw):
    starts_at, ends_at = events.parse_times(kind, start, end, LA, T0)
    draft = events.make_draft(
        kind,
        kw.pop("title", "MOA webinar"),
        "About the MOA",
        starts_at,
        ends_at,
        place if kind == "townhall" else kw.pop("where", None),
        kw.pop("unit_ids", ()),
        LA,
        kw.pop("how_to_vote", "Use the link in your email" if kind == "vote" else None),
    )
    return await events.create(db, GUILD, 42, draft, T0)


async def _pending(db, event_id):
    return [t for t in await events.reminder_timers(db, event_id) if t.state == "pending"]


async def _broadcasts(db, kind="event.reminder"):
    return await db.fetchall("SELECT * FROM broadcast WHERE kind = ? ORDER BY id", (kind,))


async def _targets(db, broadcast_id):
    rows = await db.fetchall(
        "SELECT target_kind, target_id FROM delivery WHERE broadcast_id = ? ORDER BY id",
        (broadcast_id,),
    )
    return [tuple(r) for r in rows]


async def test_town_hall_reminders_at_default_offsets(db):
    event = await _make(db)
    noon = datetime(2024, 7, 13, 19, 0, tzinfo=UTC)  # 12:00 PDT
    assert event.starts_at == noon
    assert event.session.ends_at == noon + timedelta(hours=1)  # default length
    due = [t.due_at for t in await _pending(db, event.id)]
    # 7 days before is already past on July 10: only 1 day and 1 hour remain.
    assert due == [noon - timedelta(days=1), noon - timedelta(hours=1)]
    assert all(t.useful_until == noon for t in await _pending(db, event.id))
    assert await db.fetchone("SELECT action FROM audit_log WHERE action = 'event.create'")


async def test_reminder_fires_once_to_channel_and_subscribers(db):
    event = await _make(db)
    assert await events.toggle_reminders(db, event.id, 7, T0) is True
    timer = (await _pending(db, event.id))[0]
    outcomes = [await timers.fire(db, timer.id, timer.due_at) for _ in range(3)]
    assert outcomes == ["fired", None, None]
    [b] = await _broadcasts(db)
    assert await _targets(db, b["id"]) == [("channel", CHANNEL), ("dm", 7)]
    payload = json.loads(b["payload"])
    assert "starts <t:" in payload["content"] and "Where: Zoom" in payload["content"]
    assert payload["allowed_mentions"]["parse"] == []
    assert "late" not in payload["content"]


async def test_late_reminder_has_a_note_and_useless_one_is_missed(db):
    event = await _make(db)
    day_before, hour_before = await _pending(db, event.id)
    assert await timers.fire(db, day_before.id, day_before.due_at + timedelta(hours=3)) == "fired"
    [b] = await _broadcasts(db)
    assert "late" in json.loads(b["payload"])["content"]
    assert await timers.fire(db, hour_before.id, event.starts_at + timedelta(minutes=1)) == "missed"
    assert len(await _broadcasts(db)) == 1


async def test_dst_both_sides_of_the_fall_change(db):
    # 2024-11-03 02:00 PDT -> 01:00 PST. Noon the day before is PDT, noon the day after PST.
    before = await _make(db, start="2024-11-02 12:00", title="Before")
    after = await _make(db, start="2024-11-04 12:00", title="After")
    assert before.starts_at == datetime(2024, 11, 2, 19, 0, tzinfo=UTC)
    assert after.starts_at == datetime(2024, 11, 4, 20, 0, tzinfo=UTC)
    # The day-before reminder of the Nov 4 town hall is 24 real hours before, at 12:00 PST.
    due = [t.due_at for t in await _pending(db, after.id)]
    assert datetime(2024, 11, 3, 20, 0, tzinfo=UTC) in due


async def test_dst_spring_change_and_skipped_time_refused(db):
    after = await _make(db, start="2025-03-10 12:00", title="After spring")
    assert after.starts_at == datetime(2025, 3, 10, 19, 0, tzinfo=UTC)
    before = await _make(db, start="2025-03-08 12:00", title="Before spring")
    assert before.starts_at == datetime(2025, 3, 8, 20, 0, tzinfo=UTC)
    with pytest.raises(TimeParseError):
        events.parse_times("townhall", "2025-03-09 02:30", None, LA, T0)


async def test_vote_reminders_open_and_before_close_and_i_voted_stops_dms(db):
    await units.load_demo(db, GUILD, T0)
    unit = await units.find(db, GUILD, "600")
    vote = await _make(
        db,
        kind="vote",
        start="2024-07-15 09:00",
        end="2024-07-18 21:00",
        title="Ratification",
        how_to_vote="Check your email",
        unit_ids=(unit.id,),
    )
    close = datetime(2024, 7, 19, 4, 0, tzinfo=UTC)
    plan = [(t.payload["offset"], t.due_at) for t in await _pending(db, vote.id)]
    assert plan == [
        ("open", datetime(2024, 7, 15, 16, 0, tzinfo=UTC)),
        (3 * 86400, close - timedelta(days=3)),
        (86400, close - timedelta(days=1)),
        (3 * 3600, close - timedelta(hours=3)),
    ]
    for user in (7, 8):
        await events.toggle_reminders(db, vote.id, user, T0)
    with pytest.raises(Conflict):  # not open yet
        await events.mark_voted(db, vote.id, 7, T0)
    opening = await _pending(db, vote.id)
    assert await timers.fire(db, opening[0].id, opening[0].due_at) == "fired"
    _, first = await events.mark_voted(db, vote.id, 7, opening[0].due_at)
    _, again = await events.mark_voted(db, vote.id, 7, opening[0].due_at)
    assert (first, again) == (True, False)
    nxt = (await _pending(db, vote.id))[0]
    await timers.fire(db, nxt.id, nxt.due_at)
    first_b, second_b = await _broadcasts(db)
    assert ("dm", 7) in await _targets(db, first_b["id"])
    assert await _targets(db, second_b["id"]) == [("channel", CHANNEL), ("dm", 8)]
    assert "How to vote: Check your email" in json.loads(second_b["payload"])["content"]
    counts = await events.turnout(db, GUILD, vote.id)
    assert (counts.asked_reminders, counts.said_voted) == (2, 1)
    assert counts.per_unit[0][1] == 1 and "600" in counts.per_unit[0][0]


async def test_edit_reschedules_in_one_transaction_and_cancel_tells_subscribers(db):
    event = await _make(db)
    await events.toggle_reminders(db, event.id, 7, T0)
    new_start = datetime(2024, 7, 20, 19, 0, tzinfo=UTC)
    edited = await events.edit(db, GUILD, event.id, 42, T0, starts_at=new_start)
    assert edited.sequence == 1
    assert edited.session.ends_at == new_start + timedelta(hours=1)
    due = [t.due_at for t in await _pending(db, event.id)]
    assert due == [
        new_start - timedelta(days=7),
        new_start - timedelta(days=1),
        new_start - timedelta(hours=1),
    ]
    states = {t.state for t in await events.reminder_timers(db, event.id)}
    assert states == {"pending", "cancelled"}
    cancelled, told = await events.cancel(db, GUILD, event.id, 42, "Venue fell through", T0)
    assert told == 1 and cancelled.state == "cancelled"
    assert await _pending(db, event.id) == []
    [b] = await _broadcasts(db, "event.cancel")
    assert await _targets(db, b["id"]) == [("channel", CHANNEL), ("dm", 7)]
    with pytest.raises(Conflict):
        await events.cancel(db, GUILD, event.id, 42, None, T0)
    with pytest.raises(Conflict):
        await events.edit(db, GUILD, event.id, 42, T0, title="x")


async def test_reminder_offsets_per_event_and_per_server(db):
    event = await _make(db, start="2024-07-30 12:00")
    offsets = events.parse_offsets("2d, 30m", "townhall")
    _, count = await events.set_offsets(db, GUILD, event.id, 42, offsets, T0)
    assert count == 2
    assert [t.payload["offset"] for t in await _pending(db, event.id)] == [2 * 86400, 1800]
    other = await _make(db, start="2024-07-29 12:00", title="Other")
    await events.set_default_offsets(db, GUILD, 42, "townhall", (3600,), T0)
    assert [t.payload["offset"] for t in await _pending(db, other.id)] == [3600]
    assert len(await _pending(db, event.id)) == 2  # has its own


@pytest.mark.parametrize(
    ("text", "kind"),
    [("open", "townhall"), ("banana", "townhall"), ("200d", "deadline"), ("", "vote")],
)
def test_bad_offsets_refused(text, kind):
    with pytest.raises(UserError):
        events.parse_offsets(text, kind)


async def test_vote_offset_before_opening_refused(db):
    vote = await _make(db, kind="vote", start="2024-07-15 09:00", end="2024-07-16 09:00")
    with pytest.raises(UserError, match="before voting opens"):
        await events.set_offsets(db, GUILD, vote.id, 42, (3 * 86400,), T0)
    # The defaults (3 days before close) fall outside a one-day window: left out, not refused.
    assert [t.payload["offset"] for t in await _pending(db, vote.id)] == ["open", 86400, 10800]


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("townhall", "yesterday 6pm", None),
        ("townhall", "gibberish", None),
        ("townhall", "July 13 noon", "July 13 11am"),
        ("vote", "July 15 9am", None),
        ("vote", "July 15 9am", "July 14 9am"),
        ("deadline", "July 31", "August 1"),
    ],
)
def test_bad_times_refused(kind, start, end):
    with pytest.raises(UserError):
        events.parse_times(kind, start, end, LA, T0)


def test_bad_text_refused():
    start = T0 + timedelta(days=1)
    with pytest.raises(UserError, match="characters"):
        events.make_draft("townhall", "x" * 101, "", start, None, "Hall", (), LA)
    with pytest.raises(UserError, match="place"):
        events.make_draft("townhall", "Title", "", start, None, None, (), LA)
    with pytest.raises(UserError):
        events.make_draft("townhall", "  ", "", start, None, "Hall", (), LA)


async def test_nothing_saved_when_refused(db):
    with pytest.raises(UserError):
        await _make(db, place=None)
    assert await db.fetchval("SELECT count(*) FROM event") == 0
    assert await timers.pending_count(db) == 0


async def test_demo_load_is_idempotent(db):
    await units.load_demo(db, GUILD, T0)
    first = await events.load_demo(db, GUILD, T0)
    again = await events.load_demo(db, GUILD, T0)
    assert first == "events: 4 added" and again == "events: 0 added"
    listed = await events.upcoming(db, GUILD, T0)
    assert [e.kind for e in listed] == ["townhall", "townhall", "vote", "deadline"]
    asa = listed[1]
    # 4 PM Eastern is 1 PM Pacific: 20:00 UTC.
    assert asa.starts_at == datetime(2024, 7, 14, 20, 0, tzinfo=UTC)
    assert asa.timezone == "America/New_York"


async def test_privacy_export_and_delete(db):
    event = await _make(db)
    await events.toggle_reminders(db, event.id, 7, T0)
    await events.rsvp(db, event.id, 7, "going", T0)
    assert (await events.export_member(db, 7))["rsvps"] == [
        {"event_id": event.id, "status": "going"}
    ]
    assert await events.delete_member(db, 7) == 2
    assert await events.export_member(db, 7) == {
        "reminders_for_events": [],
        "rsvps": [],
        "said_voted_in": [],
        "town_hall_questions": [],
        "upvoted_questions": [],
    }
