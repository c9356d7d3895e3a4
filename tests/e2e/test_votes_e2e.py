"""Votes end to end: eligibility by role, two windows with reminders paused between them,
I voted stopping reminders, turnout per unit as counts and shares (embed and PNG), the
per-member flags gone after the final close, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import events
from bot.core import charts, units

OPEN_1 = datetime(2024, 7, 15, 16, 0, tzinfo=UTC)  # July 15 9am PDT
CLOSE_1 = datetime(2024, 7, 16, 0, 0, tzinfo=UTC)  # July 15 5pm PDT
OPEN_2 = datetime(2024, 7, 17, 1, 0, tzinfo=UTC)  # July 16 6pm PDT
CLOSE_2 = datetime(2024, 7, 17, 6, 0, tzinfo=UTC)  # July 16 11pm PDT


def _dm_to(result, rig, name):
    who = rig.demo.user(name)
    return [m for m in result.dms() if rig.fake.find_channel(m.channel_id).recipient_id == who]


async def _vote(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    await rig.db.execute("UPDATE bargaining_unit SET member_count = 40 WHERE code = '600'")
    await rig.db.execute("UPDATE bargaining_unit SET member_count = 10 WHERE code = '700'")
    opened = await rig.command(
        "carol",
        "/event create kind: vote start: July 15 9am end: July 15 5pm units: 600, 700 "
        "how_to_vote: https://vote.example.org/ratify roles: CAT, Organizer",
    )
    assert opened.modal is not None, opened.text
    await rig.submit("carol", {"Title": "Ratification"})
    saved = await rig.click("carol", "Save")
    event_id = int(saved.text.split("event #")[1].split(".")[0])
    night = await rig.command(
        "carol", f"/event session add id: {event_id} start: July 16 6pm end: July 16 11pm"
    )
    assert "Window 2 added" in night.text, night.text
    offsets = await rig.command("carol", f"/event reminders id: {event_id} offsets: open, 1d, 3h")
    assert "reminders pending" in offsets.text, offsets.text
    return event_id


async def test_two_windows_reminders_paused_i_voted_turnout_flags_deleted(rig):
    event_id = await _vote(rig)
    due = [t.due_at for t in await events.reminder_timers(rig.db, event_id) if t.state == "pending"]
    # At each opening and 3 hours before the final close; 1 day before falls between the
    # windows (July 15 11pm PDT): paused, not sent.
    assert due == [OPEN_1, OPEN_2, CLOSE_2 - timedelta(hours=3)]
    # Eligibility: alice holds neither role.
    refused = await rig.command("alice", f"/events show id: {event_id}")
    no = await rig.click("alice", "Remind me")
    assert no.ephemeral and "eligible roles" in no.text
    for member in ("bob", "carol"):
        await rig.command(member, f"/events show id: {event_id}")
        await rig.click(member, "Remind me")
    rig.clock.set(OPEN_1)
    first = await rig.idle()
    assert len(first.dms()) == 2 and "Voting is open" in first.dms()[0].content
    assert "https://vote.example.org/ratify" in first.dms()[0].content
    await rig.command("bob", f"/events show id: {event_id}")
    voted = await rig.click("bob", "I voted")
    assert "Thanks for voting" in voted.text
    await rig.select(
        "bob", f"event:unit:{event_id}", ["Local 600, International Cinematographers Guild"]
    )
    not_eligible = await rig.click("alice", "I voted")
    assert "eligible roles" in not_eligible.text
    rig.clock.set(CLOSE_2 - timedelta(days=1))  # between the windows
    assert (await rig.idle()).messages == []
    rig.clock.set(OPEN_2)
    second = await rig.idle()
    assert len(_dm_to(second, rig, "carol")) == 1 and _dm_to(second, rig, "bob") == []
    rig.clock.set(CLOSE_2 - timedelta(hours=3))
    last = await rig.idle()
    assert len(_dm_to(last, rig, "carol")) == 1 and _dm_to(last, rig, "bob") == []
    shown = await rig.command("carol", f"/event turnout id: {event_id}")
    assert "1 of 40 (2%)" in shown.text and "0 of 10 (0%)" in shown.text
    assert "1 of 50 (2%)" in shown.text
    assert "bob" not in shown.text.lower()
    [req] = [q for q in shown.requests if q.files]
    name, png = req.files[0]
    assert name == f"turnout-{event_id}.png" and png.startswith(charts.PNG_SIGNATURE)
    assert await rig.db.fetchval("SELECT count(*) FROM vote_voted") == 1
    # The final close: the per-member flags go, the counts stay.
    rig.clock.set(CLOSE_2)
    await rig.idle()
    assert await rig.db.fetchval("SELECT count(*) FROM vote_voted") == 0
    assert (
        await rig.db.fetchval("SELECT count(*) FROM vote_tally WHERE event_id = ?", (event_id,))
        == 1
    )
    after = await events.turnout(rig.db, rig.demo.guild_id, event_id)
    assert after.said_voted == 1 and after.per_unit[0][1] == 1
    late = await rig.click("carol", "I voted")
    assert "closed" in late.text
    assert refused.ephemeral


async def test_vote_refusals_nothing_saved(rig):
    no_way = await rig.command(
        "carol", "/event create kind: vote start: July 15 9am end: July 15 5pm"
    )
    assert no_way.ephemeral and "official way to vote" in no_way.text
    event_id = await _vote(rig)
    overlap = await rig.command(
        "carol", f"/event session add id: {event_id} start: July 15 4pm end: July 15 8pm"
    )
    assert overlap.ephemeral and "overlaps window 1" in overlap.text
    backwards = await rig.command(
        "carol", f"/event session add id: {event_id} start: July 18 6pm end: July 18 5pm"
    )
    assert backwards.ephemeral and "after it opens" in backwards.text
    no_close = await rig.command("carol", f"/event session add id: {event_id} start: July 18 6pm")
    assert no_close.ephemeral and "needs its close" in no_close.text
    assert len((await events.get(rig.db, rig.demo.guild_id, event_id)).sessions) == 2
    member = await rig.command(
        "alice", f"/event turnout id: {event_id}", ignore_default_permissions=True
    )
    assert member.ephemeral and "organizer" in member.text
    assert await rig.db.fetchval("SELECT count(*) FROM event") == 1
