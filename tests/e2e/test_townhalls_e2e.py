"""Town halls end to end: two sessions each with its Discord scheduled event, RSVPs per
session with the show-my-name choice, counts per session and per unit, and the RSVP reminder
sequence (confirmation with the .ics, 24 h, 1 h, "starting now" 10 minutes before online)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from bot import events
from bot.core import units

SE = "/guilds/{guild_id}/scheduled-events"
SE_ONE = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
NOON = datetime(2024, 7, 13, 19, 0, tzinfo=UTC)  # 12:00 PDT
EVENING = datetime(2024, 7, 14, 1, 0, tzinfo=UTC)  # 18:00 PDT on July 13
ZOOM = "https://zoom.us/j/555"


async def _town_hall(rig, *, units_opt=""):
    opened = await rig.command(
        "carol",
        f"/event create kind: townhall start: July 13 noon end: July 13 1pm place: {ZOOM}"
        + units_opt,
    )
    assert opened.modal is not None, opened.text
    await rig.submit("carol", {"Title": "MOA town hall", "Description": "Two sessions"})
    saved = await rig.click("carol", "Save")
    event_id = int(saved.text.split("event #")[1].split(".")[0])
    added = await rig.command(
        "carol",
        f"/event session add id: {event_id} start: July 13 6pm end: July 13 7pm "
        "place: Union hall, 7715 Beverly Blvd",
    )
    assert added.ephemeral and "Session 2 added" in added.text, added.text
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    return event, added


def _dm_to(result, rig, name):
    who = rig.demo.user(name)
    return [m for m in result.dms() if rig.fake.find_channel(m.channel_id).recipient_id == who]


async def test_two_sessions_each_with_its_scheduled_event(rig):
    event, added = await _town_hall(rig)
    first, second = event.sessions
    assert first.discord_event_id and second.discord_event_id
    assert first.discord_event_id != second.discord_event_id
    [post] = added.find("POST", SE)
    assert post.json["scheduled_start_time"].startswith("2024-07-14T01:00:00")
    assert post.json["entity_metadata"] == {"location": "Union hall, 7715 Beverly Blvd"}
    # The first one is kept in step: both now say which session they are.
    [patch] = added.find("PATCH", SE_ONE)
    assert "(Sat Jul 13, 12 PM)" in patch.json["name"]
    assert "(Sat Jul 13, 6 PM)" in post.json["name"]
    # Cancelling one session deletes its scheduled event and leaves the other.
    cancelled = await rig.command("carol", f"/event session cancel id: {event.id} session: 2")
    assert "Session 2 of" in cancelled.text
    assert len(cancelled.find("DELETE", SE_ONE)) == 1
    event = await events.get(rig.db, rig.demo.guild_id, event.id)
    assert [s.state for s in event.sessions] == ["scheduled", "cancelled"]
    assert event.sessions[1].discord_event_id is None


async def test_rsvps_per_session_names_only_by_choice_counts_per_unit(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    event, _ = await _town_hall(rig, units_opt=" units: 600, 700")
    first, second = event.sessions
    shown = await rig.command("alice", f"/events show id: {event.id}")
    labels = [[c["label"] for c in row["components"]] for row in shown.reply["components"]]
    assert labels[1] == ["Going · Sat Jul 13, 12 PM", "Maybe", "Not going"]
    assert labels[2] == ["Going · Sat Jul 13, 6 PM", "Maybe", "Not going"]
    going = await rig.click("alice", f"rsvp:going:{first.id}")
    assert going.ephemeral and "You're going" in going.text
    local_600 = "Local 600, International Cinematographers Guild"
    await rig.select("alice", f"rsvp:unit:{first.id}", [local_600])
    named = await rig.click("alice", "Show my name to organizers")
    assert "will see your name" in named.text
    await rig.command("bob", f"/events show id: {event.id}")
    await rig.click("bob", f"rsvp:maybe:{second.id}")
    await rig.command("dave", f"/events show id: {event.id}")
    await rig.click("dave", f"rsvp:notgoing:{first.id}")
    counts = await rig.command("carol", f"/event rsvps id: {event.id}")
    assert counts.ephemeral
    text = counts.text
    assert "Going 1 · Maybe 0 · Not going 1" in text and "Going 0 · Maybe 1 · Not going 0" in text
    assert "Local 600, International Cinematographers Guild: going 1, maybe 0" in text
    assert f"<@{rig.demo.user('alice')}>" in text
    assert str(rig.demo.user("bob")) not in text and str(rig.demo.user("dave")) not in text
    refused = await rig.command(
        "alice", f"/event rsvps id: {event.id}", ignore_default_permissions=True
    )
    assert refused.ephemeral and "organizer" in refused.text


async def test_rsvp_reminder_sequence_not_going_stops_changing_session_moves(rig):
    event, _ = await _town_hall(rig)
    first, second = event.sessions
    await rig.command("alice", f"/events show id: {event.id}")
    confirmed = await rig.click("alice", f"rsvp:going:{first.id}")
    [dm] = _dm_to(confirmed, rig, "alice")
    assert "You're down for **MOA town hall**" in dm.content
    [ics] = dm.attachments
    assert ics["filename"].endswith(".ics")
    data, _ = rig.fake.cdn[ics["url"].removeprefix("https://cdn.discordapp.com")]
    [vevent] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert vevent.decoded("dtstart") == NOON  # the session's own file: only its time
    # bob picks the evening, then moves to noon: his reminders move with him.
    await rig.command("bob", f"/events show id: {event.id}")
    await rig.click("bob", f"rsvp:going:{second.id}")
    rig.clock.advance(seconds=2)  # a member's RSVP changes are a second apart at least
    await rig.click("bob", f"rsvp:maybe:{first.id}")
    assert (
        await rig.db.fetchval(
            "SELECT count(*) FROM event_rsvp WHERE user_id = ?", (rig.demo.user("bob"),)
        )
        == 1
    )
    # dave says going, then not going: no reminders for him.
    await rig.command("dave", f"/events show id: {event.id}")
    await rig.click("dave", f"rsvp:going:{first.id}")
    rig.clock.advance(seconds=2)
    await rig.click("dave", f"rsvp:notgoing:{first.id}")
    await rig.idle()
    rig.clock.set(NOON - timedelta(hours=24))
    day = await rig.idle()
    assert len(_dm_to(day, rig, "alice")) == 1 and len(_dm_to(day, rig, "bob")) == 1
    assert _dm_to(day, rig, "dave") == []
    assert "Reminder: **MOA town hall** starts" in _dm_to(day, rig, "alice")[0].content
    rig.clock.set(NOON - timedelta(hours=1))
    hour = await rig.idle()
    assert len(_dm_to(hour, rig, "alice")) == 1 and len(_dm_to(hour, rig, "bob")) == 1
    rig.clock.set(NOON - timedelta(minutes=10))
    now = await rig.idle()
    [starting] = _dm_to(now, rig, "alice")
    assert "Starting now" in starting.content and ZOOM in starting.content
    assert _dm_to(now, rig, "dave") == []
    # The evening session is in a hall: no "starting now" for it.
    rsvp_timers = await rig.db.fetchall(
        "SELECT payload FROM timer WHERE kind = ? AND state = 'pending'", (events.RSVP_TIMER,)
    )
    assert rsvp_timers == []


async def test_session_refusals_nothing_saved(rig):
    event, _ = await _town_hall(rig)
    overlap = await rig.command(
        "carol", f"/event session add id: {event.id} start: July 13 12:30pm end: July 13 2pm"
    )
    assert overlap.ephemeral and "overlaps session 1" in overlap.text
    past = await rig.command(
        "carol", f"/event session add id: {event.id} start: 2024-07-01 12:00 end: 2024-07-01 13:00"
    )
    assert past.ephemeral and "already passed" in past.text
    backwards = await rig.command(
        "carol", f"/event session add id: {event.id} start: July 15 6pm end: July 15 5pm"
    )
    assert backwards.ephemeral and "after it opens" in backwards.text
    member = await rig.command(
        "alice",
        f"/event session add id: {event.id} start: July 20 6pm",
        ignore_default_permissions=True,
    )
    assert member.ephemeral and "organizer" in member.text
    assert len((await events.get(rig.db, rig.demo.guild_id, event.id)).sessions) == 2


async def test_weekly_meeting_across_dst_one_scheduled_event_per_occurrence(rig):
    opened = await rig.command(
        "carol",
        "/event create kind: townhall start: 2024-10-29 12:00 end: 2024-10-29 13:00 "
        "place: Union hall repeat: weekly",
    )
    assert opened.modal is not None, opened.text
    preview = await rig.submit("carol", {"Title": "Weekly organizing meeting"})
    assert "Repeats: weekly" in preview.text
    saved = await rig.click("carol", "Save")
    event_id = int(saved.text.split("event #")[1].split(".")[0])
    posts = saved.find("POST", SE)
    starts = [p.json["scheduled_start_time"][:16] for p in posts]
    # Noon in Los Angeles on both sides of November 3: 19:00 UTC, then 20:00 UTC.
    assert starts == [
        "2024-10-29T19:00",
        "2024-11-05T20:00",
        "2024-11-12T20:00",
        "2024-11-19T20:00",
    ]
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    assert event.recurrence["freq"] == "weekly"
    # Each occurrence has its own RSVPs.
    await rig.command("alice", f"/events show id: {event_id}")
    await rig.click("alice", f"rsvp:going:{event.sessions[1].id}")
    # Cancelling one occurrence leaves the others.
    cancelled = await rig.command("carol", f"/event session cancel id: {event_id} session: 2")
    assert len(cancelled.find("DELETE", SE_ONE)) == 1 and "1 member" in cancelled.text
    assert "cancelled" in cancelled.dms()[0].content
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    assert [s.state for s in event.sessions] == ["scheduled", "cancelled", "scheduled", "scheduled"]
    # After the first occurrence ends, the next one is added and mirrored in Discord.
    rig.clock.set(datetime(2024, 10, 29, 20, 0, tzinfo=UTC))
    later = await rig.idle()
    [new] = later.find("POST", SE)
    assert new.json["scheduled_start_time"].startswith("2024-11-26T20:00")
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    assert len(event.sessions) == 5 and event.sessions[4].discord_event_id


async def test_monthly_rule_keeps_the_nth_weekday(rig):
    rule = events.make_rule(
        "monthly",
        datetime(2024, 10, 8, 19, 0, tzinfo=UTC),  # 2nd Tuesday of October, noon PDT
        datetime(2024, 10, 8, 20, 0, tzinfo=UTC),
        "America/Los_Angeles",
    )
    got = [events.occurrence(rule, i)[0] for i in range(4)]
    assert got == [
        datetime(2024, 10, 8, 19, 0, tzinfo=UTC),
        datetime(2024, 11, 12, 20, 0, tzinfo=UTC),  # 2nd Tuesday, noon PST
        datetime(2024, 12, 10, 20, 0, tzinfo=UTC),
        datetime(2025, 1, 14, 20, 0, tzinfo=UTC),
    ]
    fifth = await rig.command(
        "carol",
        "/event create kind: townhall start: 2024-10-29 12:00 place: Hall repeat: monthly",
    )
    assert fifth.ephemeral and "5th" in fifth.text


async def test_discussion_thread_opened_and_linked(rig):
    opened = await rig.command(
        "carol", f"/event create kind: townhall start: July 13 noon place: {ZOOM} thread: True"
    )
    assert opened.modal is not None, opened.text
    await rig.submit("carol", {"Title": "MOA town hall", "Description": "Bring questions"})
    saved = await rig.click("carol", "Save")
    [made] = saved.find("POST", "/channels/{channel_id}/threads")
    assert made.json["name"] == "MOA town hall"
    event_id = int(saved.text.split("event #")[1].split(".")[0])
    event = await events.get(rig.db, rig.demo.guild_id, event_id)
    assert event.thread_id and f"<#{event.thread_id}>" in saved.text
    [post] = saved.find("POST", SE)
    assert f"/channels/{rig.demo.guild_id}/{event.thread_id}" in post.json["description"]
    in_thread = [m for m in saved.messages if m.channel_id == event.thread_id]
    assert in_thread and "Discussion for **MOA town hall**" in in_thread[0].content
    shown = await rig.command("alice", f"/events show id: {event_id}")
    assert f"<#{event.thread_id}>" in shown.text


async def test_going_and_remind_me_make_one_dm_per_moment(rig):
    event, _ = await _town_hall(rig)
    first, _second = event.sessions
    await rig.command("alice", f"/events show id: {event.id}")
    await rig.click("alice", f"rsvp:going:{first.id}")
    await rig.click("alice", "Remind me")
    await rig.idle()
    for before in (timedelta(hours=24), timedelta(hours=1)):
        rig.clock.set(NOON - before)
        moment = await rig.idle()
        # Remind me covers both sessions; the noon session's reminder of this moment is one DM.
        dms = [m for m in _dm_to(moment, rig, "alice") if ZOOM in m.content]
        assert len(dms) == 1, [m.content for m in dms]
        assert "Reminder: **MOA town hall**" in dms[0].content
    # Going alone still brings its own reminders: bob's 1-hour one of the evening session.
    rig.clock.set(EVENING - timedelta(hours=2))
    await rig.command("bob", f"/events show id: {event.id}")
    await rig.click("bob", f"rsvp:going:{event.sessions[1].id}")
    rig.clock.set(EVENING - timedelta(hours=1))
    assert len(_dm_to(await rig.idle(), rig, "bob")) == 1


async def test_remind_me_and_the_preview_list_only_reminders_that_will_fire(rig):
    # The town hall is 3 days away: its "7 days before" reminder can never come.
    event, _ = await _town_hall(rig)
    await rig.command("alice", f"/events show id: {event.id}")
    asked = await rig.click("alice", "Remind me")
    assert "1 day before, 1 hour before" in asked.text and "7 days" not in asked.text
    # A vote open for 36 hours: "3 days before closing" would fall before it opens.
    opened = await rig.command(
        "carol",
        "/event create kind: vote start: July 20 9am end: July 21 9pm how_to_vote: By mail ballot",
    )
    assert opened.modal is not None, opened.text
    preview = await rig.submit("carol", {"Title": "Short vote", "Description": "One day"})
    assert (
        "Reminders: when voting opens, 1 day before closing, 3 hours before closing" in preview.text
    )
    assert "3 days before closing" not in preview.text
