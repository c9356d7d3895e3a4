"""Events end to end: create each kind, scheduled events, reminders at their offsets to the
channel and to those who asked, I voted, restart, edit, cancel, .ics, DST, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from bot import events
from bot.core import timers

SE = "/guilds/{guild_id}/scheduled-events"
SE_ONE = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
NOON_JULY_13 = datetime(2024, 7, 13, 19, 0, tzinfo=UTC)  # 12:00 PDT


async def org(rig, line):
    return await rig.command("carol", line)


async def _create(rig, line, title="MOA town hall", description="Bring questions"):
    opened = await org(rig, line)
    assert opened.modal is not None, opened.text
    preview = await rig.submit("carol", {"Title": title, "Description": description})
    assert preview.ephemeral
    preview = preview.text  # the message is edited by Save: keep what it said first
    saved = await rig.click("carol", "Save")
    event_id = int(saved.text.split("event #")[1].split(".")[0])
    return preview, saved, event_id


def _channel_posts(result, rig):
    ann = rig.demo.channel("announcements")
    return [m for m in result.messages if m.channel_id == ann]


async def test_town_hall_created_with_preview_and_scheduled_event(rig):
    preview, saved, event_id = await _create(
        rig, "/event create kind: townhall start: July 13 noon end: July 13 2pm place: Zoom link"
    )
    # The preview echoes the understood times as Discord timestamps and the wall time.
    assert f"<t:{int(NOON_JULY_13.timestamp())}:F>" in preview
    assert "12:00 PM PDT" in preview
    [post] = saved.find("POST", SE)
    assert post.json["entity_type"] == 3
    assert post.json["entity_metadata"] == {"location": "Zoom link"}
    assert post.json["scheduled_start_time"].startswith("2024-07-13T19:00:00")
    assert post.json["scheduled_end_time"].startswith("2024-07-13T21:00:00")
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    assert event.session.discord_event_id is not None
    assert "scheduled event was created" in saved.text


async def test_scheduled_event_failure_reported_and_event_kept(rig):
    rig.fake.inject("POST", SE, 403, code=50013, message="Missing Permissions")
    _, saved, event_id = await _create(
        rig, "/event create kind: townhall start: July 13 noon place: Hall"
    )
    assert "could not be updated" in saved.text
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    assert event.session.discord_event_id is None
    # /event edit tries again and succeeds.
    again = await org(rig, f"/event edit id: {event_id} place: Union hall")
    assert again.find("POST", SE)
    assert (await events.get(rig.db, rig.demo.guild_id, event_id)).session.discord_event_id


async def test_reminders_fire_at_offsets_to_channel_and_who_asked(rig):
    _, _, event_id = await _create(
        rig, "/event create kind: townhall start: July 13 noon place: Zoom"
    )
    shown = await rig.command("alice", f"/events show id: {event_id}")
    labels = [[c["label"] for c in row["components"]] for row in shown.reply["components"]]
    assert labels == [["Remind me", "Ask a question", "Questions"], ["Going", "Maybe", "Not going"]]
    pressed = await rig.click("alice", "Remind me")
    assert pressed.ephemeral and "1 day before" in pressed.text
    rig.clock.set(NOON_JULY_13 - timedelta(days=1))
    result = await rig.idle()
    posts = _channel_posts(result, rig)
    assert len(posts) == 1 and "Reminder" in posts[0].content
    bodies = [r.json for r in result.find("POST", "/channels/{channel_id}/messages")]
    assert bodies and all(b["allowed_mentions"]["parse"] == [] for b in bodies)
    [dm] = result.dms()
    assert "Reminder" in dm.content
    # The 1-hour reminder, exactly once even if the clock moves again.
    rig.clock.set(NOON_JULY_13 - timedelta(hours=1))
    result = await rig.idle()
    assert len(_channel_posts(result, rig)) == 1 and len(result.dms()) == 1
    rig.clock.advance(minutes=30)
    result = await rig.idle()
    assert result.messages == []


async def test_vote_i_voted_stops_reminders_and_turnout_counts(rig):
    _, _, event_id = await _create(
        rig,
        "/event create kind: vote start: July 15 9am end: July 18 9pm "
        "how_to_vote: Use the link in your email",
        title="Ratification",
    )
    for member in ("alice", "bob"):
        await rig.command(member, f"/events show id: {event_id}")
        await rig.click(member, "Remind me")
    rig.clock.set(datetime(2024, 7, 15, 16, 0, tzinfo=UTC))  # opens
    opened = await rig.idle()
    assert len(opened.dms()) == 2 and "Voting is open" in opened.dms()[0].content
    voted = await rig.click("alice", "I voted")
    assert voted.ephemeral and "Thanks for voting" in voted.text
    rig.clock.set(datetime(2024, 7, 16, 4, 0, tzinfo=UTC))  # 3 days before the close
    later = await rig.idle()
    [dm] = later.dms()  # bob only: alice said she voted
    assert rig.fake.find_channel(dm.channel_id).recipient_id == rig.demo.user("bob")
    counts = await org(rig, f"/event turnout id: {event_id}")
    assert counts.ephemeral and "Said they voted" in counts.text
    assert "alice" not in counts.text.lower()
    refused = await rig.command(
        "alice", f"/event turnout id: {event_id}", ignore_default_permissions=True
    )
    assert refused.ephemeral and "organizer" in refused.text


async def test_restart_fires_pending_once_and_missed_by_the_rule(rig):
    _, _, event_id = await _create(
        rig, "/event create kind: townhall start: July 13 noon place: Zoom"
    )
    await rig.command("alice", f"/events show id: {event_id}")
    await rig.click("alice", "Remind me")
    await rig.driver.stop()
    # Down across the 1-day reminder: back 3 hours later, still useful, sent late once.
    rig.clock.set(NOON_JULY_13 - timedelta(hours=21))
    await rig.driver.start()
    await rig.idle()
    late = [t for t in await events.reminder_timers(rig.db, event_id) if t.state == "fired"]
    assert len(late) == 1 and late[0].late
    await rig.restart()
    assert [t.state for t in await events.reminder_timers(rig.db, event_id)] == ["fired", "pending"]
    # Down across the 1-hour reminder and the start: missed, not sent.
    await rig.driver.stop()
    rig.clock.set(NOON_JULY_13 + timedelta(minutes=5))
    await rig.driver.start()
    await rig.idle()
    states = [t.state for t in await events.reminder_timers(rig.db, event_id)]
    assert states == ["fired", "missed"]
    shown = await org(rig, f"/event reminders id: {event_id}")
    assert "missed" in shown.text and "(late)" in shown.text
    sent = await rig.db.fetchval("SELECT count(*) FROM broadcast WHERE kind = 'event.reminder'")
    assert sent == 1
    ann = rig.demo.channel("announcements")
    [late_post] = [m for m in rig.fake.all_messages() if int(m["channel_id"]) == ann]
    assert "late" in late_post["content"]


async def test_edit_moves_reminders_and_scheduled_event_cancel_tells_everyone(rig):
    _, _, event_id = await _create(
        rig, "/event create kind: townhall start: July 13 noon place: Zoom"
    )
    await rig.command("alice", f"/events show id: {event_id}")
    await rig.click("alice", "Remind me")
    edited = await org(rig, f"/event edit id: {event_id} start: July 20 noon")
    [patch] = edited.find("PATCH", SE_ONE)
    assert patch.json["scheduled_start_time"].startswith("2024-07-20T19:00:00")
    pending = [
        t.due_at for t in await events.reminder_timers(rig.db, event_id) if t.state == "pending"
    ]
    moved = datetime(2024, 7, 20, 19, 0, tzinfo=UTC)
    assert pending == [
        moved - timedelta(days=7),
        moved - timedelta(days=1),
        moved - timedelta(hours=1),
    ]
    cancelled = await org(rig, f"/event cancel id: {event_id} reason: Venue lost")
    assert cancelled.find("DELETE", SE_ONE)
    assert len(cancelled.dms()) == 1 and "Cancelled" in cancelled.dms()[0].content
    assert "Venue lost" in cancelled.dms()[0].content
    assert len(_channel_posts(cancelled, rig)) == 1
    rig.clock.set(moved)
    assert (await rig.idle()).messages == []


async def test_deadline_and_reminder_offsets_changed(rig):
    opened = await org(rig, "/event create kind: deadline start: July 31")
    assert opened.modal is not None
    await rig.submit("carol", {"Title": "Contract expires"})
    saved = await rig.click("carol", "Save")
    assert not saved.find("POST", SE)  # only town halls become scheduled events
    event_id = int(saved.text.split("event #")[1].split(".")[0])
    changed = await org(rig, f"/event reminders id: {event_id} offsets: 2d, 6h")
    assert "2 reminders pending" in changed.text
    due = [t.due_at for t in await events.reminder_timers(rig.db, event_id) if t.state == "pending"]
    end_of_31 = datetime(2024, 8, 1, 6, 59, tzinfo=UTC)  # 23:59 PDT
    assert due == [end_of_31 - timedelta(days=2), end_of_31 - timedelta(hours=6)]
    bad = await org(rig, f"/event reminders id: {event_id} offsets: open")
    assert bad.ephemeral and "votes only" in bad.text


async def test_calendar_file_parses_back_with_the_right_instants(rig):
    _, _, event_id = await _create(
        rig, "/event create kind: townhall start: July 13 noon end: July 13 1:30pm place: Zoom"
    )
    r = await rig.command("alice", f"/events calendar id: {event_id}")
    assert r.ephemeral
    [req] = [q for q in r.requests if q.files]
    name, data = req.files[0]
    cal = icalendar.Calendar.from_ical(data)
    [vevent] = list(cal.walk("VEVENT"))
    assert vevent.decoded("dtstart") == NOON_JULY_13
    assert vevent.decoded("dtend") == NOON_JULY_13 + timedelta(minutes=90)
    assert str(vevent.decoded("dtstart").tzinfo) == "America/Los_Angeles"
    assert str(vevent["uid"]).startswith(f"event-{event_id}-")


async def test_dst_town_hall_after_the_change_reminded_at_the_right_instant(rig):
    _, _, event_id = await _create(
        rig, "/event create kind: townhall start: 2024-11-04 12:00 place: Hall"
    )
    start = datetime(2024, 11, 4, 20, 0, tzinfo=UTC)  # noon PST, after Nov 3
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    assert event.starts_at == start
    rig.clock.set(start - timedelta(days=7))
    assert len(_channel_posts(await rig.idle(), rig)) == 1
    rig.clock.set(start - timedelta(days=1, seconds=1))
    assert _channel_posts(await rig.idle(), rig) == []
    rig.clock.advance(seconds=1)
    assert len(_channel_posts(await rig.idle(), rig)) == 1


async def test_refusals(rig):
    member = await rig.command(
        "alice",
        "/event create kind: townhall start: July 13 noon place: Hall",
        ignore_default_permissions=True,
    )
    assert member.ephemeral and "organizer" in member.text and member.modal is None
    past = await org(rig, "/event create kind: townhall start: 2024-07-01 12:00 place: X")
    assert past.ephemeral and "already passed" in past.text
    backwards = await org(rig, "/event create kind: vote start: July 15 9am end: July 14 9am")
    assert backwards.ephemeral and "must come after" in backwards.text
    garbled = await org(rig, "/event create kind: deadline start: someday soon")
    assert garbled.ephemeral and "couldn't read" in garbled.text
    no_place = await org(rig, "/event create kind: townhall start: July 13 noon")
    assert no_place.ephemeral and "place" in no_place.text
    missing = await rig.command("alice", "/events show id: 999")
    assert missing.ephemeral and "no event #999" in missing.text
    assert await rig.db.fetchval("SELECT count(*) FROM event") == 0
    assert await timers.pending_count(rig.db) == 0


async def test_vote_for_several_units_counts_the_unit_a_member_names(rig):
    from bot.core import units

    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    _, _, event_id = await _create(
        rig,
        "/event create kind: vote start: July 15 9am end: July 18 9pm units: 600, 700 "
        "how_to_vote: Use the link in your email",
        title="Ratification",
    )
    rig.clock.set(datetime(2024, 7, 15, 17, 0, tzinfo=UTC))
    await rig.idle()
    await rig.command("alice", f"/events show id: {event_id}")
    voted = await rig.click("alice", "I voted")
    assert "Which unit" in voted.text
    local_600 = "Local 600, International Cinematographers Guild"
    chosen = await rig.select("alice", f"event:unit:{event_id}", [local_600])
    assert "counted for your unit" in chosen.text
    counts = await events.turnout(rig.db, rig.demo.guild_id, event_id)
    assert [(label.split(",")[0], n) for label, n, _ in counts.per_unit] == [
        ("Local 600", 1),
        ("Local 700", 0),
    ]


async def test_buttons_work_after_a_restart(rig):
    _, _, event_id = await _create(
        rig, "/event create kind: townhall start: July 13 noon place: Zoom"
    )
    await rig.command("alice", f"/events show id: {event_id}")
    await rig.restart()
    going = await rig.click("alice", "Going")
    assert going.ephemeral and "You're going" in going.text
    counts = await events.turnout(rig.db, rig.demo.guild_id, event_id)
    assert counts.going == 1
