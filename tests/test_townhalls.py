"""Town halls, votes and questions on a temporary database: sessions, RSVP reminders that
move with the member, the anonymous tally that outlives the flags, upvotes, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import events
from bot.core import guild_settings, timers
from bot.core.errors import UserError
from bot.events import questions as tq
from tests.support import GUILD, T0, fresh_db

LA = "America/Los_Angeles"
NOON = datetime(2024, 7, 13, 19, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await guild_settings.update(database, GUILD, None, T0, announcements_channel_id=5000)
    yield database
    await database.close()


async def _town_hall(db, place="https://zoom.us/j/9"):
    draft = events.make_draft(
        "townhall", "MOA town hall", "", NOON, NOON + timedelta(hours=1), place, (), LA
    )
    event = await events.create(db, GUILD, 42, draft, T0)
    event, _ = await events.add_session(
        db, GUILD, event.id, 42, NOON + timedelta(hours=6), NOON + timedelta(hours=7), None, T0
    )
    return event


async def _rsvp_timers(db):
    return await db.fetchall(
        "SELECT subject_id, due_at, payload FROM timer WHERE kind = ? AND state = 'pending' "
        "ORDER BY due_at",
        (events.RSVP_TIMER,),
    )


async def test_sessions_refuse_overlap_past_and_backwards(db):
    event = await _town_hall(db)
    with pytest.raises(UserError, match="overlaps session 1"):
        await events.add_session(
            db, GUILD, event.id, 42, NOON, NOON + timedelta(minutes=30), None, T0
        )
    with pytest.raises(UserError, match="in the past"):
        await events.add_session(db, GUILD, event.id, 42, T0 - timedelta(days=1), T0, None, T0)
    with pytest.raises(UserError, match="after it opens"):
        await events.add_session(
            db, GUILD, event.id, 42, NOON + timedelta(days=2), NOON + timedelta(days=1), None, T0
        )
    assert len((await events.get(db, GUILD, event.id)).sessions) == 2


async def test_rsvp_sequence_moves_with_the_session_and_stops_on_not_going(db):
    event = await _town_hall(db)
    first, second = event.sessions
    await events.rsvp_session(db, first.id, 7, "going", T0)
    due = [r["due_at"] for r in await _rsvp_timers(db)]
    # Online session: 24 h, 1 h and 10 minutes before.
    assert len(due) == 3
    confirmation = await db.fetchone("SELECT payload FROM broadcast WHERE kind = 'event.rsvp'")
    assert '"files"' in confirmation["payload"] and ".ics" in confirmation["payload"]
    # A member's RSVP changes are a second apart at least (bot.core.limits).
    await events.rsvp_session(db, second.id, 7, "maybe", T0 + timedelta(seconds=5))
    rows = await _rsvp_timers(db)
    assert len(rows) == 3 and all(f'"session_id": {second.id}' in r["payload"] for r in rows)
    assert await db.fetchval("SELECT count(*) FROM event_rsvp WHERE user_id = 7") == 1
    # Same answer again: nothing changes, no second confirmation.
    _, _, changed = await events.rsvp_session(db, second.id, 7, "maybe", T0 + timedelta(seconds=6))
    assert changed is False
    await events.rsvp_session(db, second.id, 7, "not_going", T0 + timedelta(seconds=7))
    assert await _rsvp_timers(db) == []


async def test_vote_tally_outlives_the_flags(db):
    starts, ends = NOON, NOON + timedelta(hours=8)
    draft = events.make_draft("vote", "Ratify", "", starts, ends, None, (), LA, "By email")
    event = await events.create(db, GUILD, 42, draft, T0)
    await events.mark_voted(db, event.id, 7, starts + timedelta(hours=1))
    await events.mark_voted(db, event.id, 7, starts + timedelta(hours=2))  # counts once
    close = [t for t in await timers.for_subject(db, events.VOTE_CLOSE_TIMER, event.id)]
    assert [t.due_at for t in close] == [ends]
    assert await timers.fire(db, close[0].id, ends) == "fired"
    assert await db.fetchval("SELECT count(*) FROM vote_voted") == 0
    counts = await events.turnout(db, GUILD, event.id)
    assert counts.said_voted == 1
    _, series = await events.turnout_series(db, GUILD, event.id)
    assert len(series) == 1


async def test_upvotes_toggle_and_double_clicks(db):
    event = await _town_hall(db)
    q = await tq.ask(db, GUILD, event.id, 7, "  Will premiums rise?  ", True, T0)
    assert q.text == "Will premiums rise?" and q.author_id is None
    _, counted = await tq.toggle_upvote(db, q.id, 8, T0)
    again, counted_again = await tq.toggle_upvote(db, q.id, 8, T0 + timedelta(seconds=1))
    assert counted and counted_again and again.votes == 1
    back, still = await tq.toggle_upvote(db, q.id, 8, T0 + timedelta(seconds=10))
    assert not still and back.votes == 0
    with pytest.raises(UserError, match="empty"):
        await tq.ask(db, GUILD, event.id, 7, "   ", False, T0)


async def test_weekly_occurrences_keep_the_wall_clock_across_dst(db):
    rule = events.make_rule(
        "biweekly",
        datetime(2024, 10, 29, 19, 0, tzinfo=UTC),
        datetime(2024, 10, 29, 20, 0, tzinfo=UTC),
        LA,
    )
    assert events.occurrence(rule, 1)[0] == datetime(2024, 11, 12, 20, 0, tzinfo=UTC)


async def test_privacy_export_and_delete_cover_questions_and_rsvps(db):
    event = await _town_hall(db)
    await events.rsvp_session(db, event.sessions[0].id, 7, "going", T0)
    q = await tq.ask(db, GUILD, event.id, 7, "Question?", False, T0)
    await tq.toggle_upvote(db, q.id, 7, T0)
    held = await events.export_member(db, 7)
    assert held["town_hall_questions"][0]["question"] == "Question?"
    assert held["upvoted_questions"] == [q.id]
    assert await events.delete_member(db, 7) >= 3
    assert await _rsvp_timers(db) == []
    assert await db.fetchval("SELECT count(*) FROM townhall_question") == 0
