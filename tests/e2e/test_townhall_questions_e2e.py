"""Questions in advance end to end: asked (one anonymously, one through the event's button),
upvoted and un-upvoted, a double click counted once, ordered for organizers, answered and
merged, exported as a file, the recap as an update with a DM to each asker, refusals."""

from __future__ import annotations

import csv
import io

import pytest

from bot.events import questions as tq
from bot.sandbox.driver import DriverError


async def _town_hall(rig):
    opened = await rig.command(
        "carol", "/event create kind: townhall start: July 13 noon place: https://zoom.us/j/1"
    )
    assert opened.modal is not None, opened.text
    await rig.submit("carol", {"Title": "MOA town hall"})
    saved = await rig.click("carol", "Save")
    return int(saved.text.split("event #")[1].split(".")[0])


def _dm_to(result, rig, name):
    who = rig.demo.user(name)
    return [m for m in result.dms() if rig.fake.find_channel(m.channel_id).recipient_id == who]


async def test_ask_upvote_order_answer_merge_export_recap(rig):
    event_id = await _town_hall(rig)
    asked = await rig.command(
        "alice",
        f"/townhall ask event: {event_id} question: Will health premiums go up? anonymous: False",
    )
    assert asked.ephemeral and "Question #1" in asked.text and "with your name" in asked.text
    anon = await rig.command(
        "bob",
        f"/townhall ask event: {event_id} question: What about night premiums? anonymous: True",
    )
    assert "anonymously" in anon.text
    # The event's Ask a question button opens a form.
    await rig.command("dave", f"/events show id: {event_id}")
    form = await rig.click("dave", "Ask a question")
    assert form.modal is not None
    await rig.submit("dave", {"Your question": "Do premiums rise for dependents?"})
    # Upvotes: alice and dave on #2; dave takes his back later; a double click counts once.
    listed = await rig.command("alice", f"/townhall questions event: {event_id}")
    assert "Will health premiums go up?" in listed.text
    assert "alice" not in listed.text.lower() and "Alice" not in listed.text
    up = await rig.click("alice", "townhall:up:2")
    assert "counts (1)" in up.text
    again = await rig.click("alice", "townhall:up:2")  # same instant: a double click
    assert "counts (1)" in again.text
    await rig.command("dave", f"/townhall questions event: {event_id}")
    await rig.click("dave", "townhall:up:2")
    await rig.click("dave", "townhall:up:3")
    rig.clock.advance(seconds=5)
    back = await rig.click("dave", "townhall:up:3")
    assert "taken back (0)" in back.text
    assert await rig.db.fetchval("SELECT count(*) FROM townhall_upvote") == 2
    # Organizers see them ordered by votes; the anonymous one has no author anywhere.
    review = await rig.command("carol", f"/townhall-run review event: {event_id}")
    text = review.text
    assert text.index("#2 · ▲ 2") < text.index("#1 · ▲ 0")
    alice, bob = rig.demo.user("alice"), rig.demo.user("bob")
    assert "#2 · ▲ 2 · anonymous" in text and f"#1 · ▲ 0 · <@{alice}>" in text
    assert str(bob) not in text
    merged = await rig.command("carol", "/townhall-run merge question: 3 into: 1")
    assert "merged into #1" in merged.text
    answered = await rig.command(
        "carol", "/townhall-run answer question: 1 answer: No: premiums are frozen through 2027."
    )
    assert "marked answered" in answered.text
    await rig.command("carol", "/townhall-run answer question: 2 answer: Night premiums rise 4%.")
    exported = await rig.command("carol", f"/townhall-run export event: {event_id}")
    [req] = [q for q in exported.requests if q.files]
    name, data = req.files[0]
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert name == f"townhall-{event_id}-questions.csv"
    assert [r["id"] for r in rows] == ["2", "1", "3"]
    assert rows[0]["asked by"] == "" and rows[1]["asked by"] == f"<@{alice}>"
    # The recap: an update, and a DM to each asker whose question was answered.
    recap = await rig.command(
        "carol",
        f"/townhall-run recap event: {event_id} text: We covered premiums and the MOA. "
        "links: https://example.org/recording",
    )
    assert recap.ephemeral and "Recap posted" in recap.text, recap.text
    done = await rig.idle()
    updates_ch = rig.demo.channel("updates")
    posts = [m for m in [*recap.messages, *done.messages] if m.channel_id == updates_ch]
    assert posts and "Recap: MOA town hall" in str(posts[0].embeds)
    dms = [*recap.dms(), *done.dms()]
    alice_dm = [m for m in dms if rig.fake.find_channel(m.channel_id).recipient_id == alice]
    bob_dm = [m for m in dms if rig.fake.find_channel(m.channel_id).recipient_id == bob]
    assert len(alice_dm) == 1 and "premiums are frozen" in alice_dm[0].content
    assert len(bob_dm) == 1 and "Night premiums rise 4%" in bob_dm[0].content


async def test_question_refusals(rig):
    event_id = await _town_hall(rig)
    empty = await rig.command("alice", f"/townhall ask event: {event_id} question: ' '")
    assert empty.ephemeral
    long = await rig.command(
        "alice", f"/townhall ask event: {event_id} question: {'x' * (tq.QUESTION_MAX + 1)}"
    )
    assert long.ephemeral and "the most is 1000" in long.text
    member = await rig.command(
        "alice", f"/townhall-run review event: {event_id}", ignore_default_permissions=True
    )
    assert member.ephemeral and "organizer" in member.text
    # /townhall-run is hidden from members, and refused at run time when forced.
    with pytest.raises(DriverError, match="hidden"):
        await rig.command("alice", f"/townhall-run export event: {event_id}")
    member_export = await rig.command(
        "alice", f"/townhall-run export event: {event_id}", ignore_default_permissions=True
    )
    assert member_export.ephemeral and "organizer" in member_export.text
    assert await rig.db.fetchval("SELECT count(*) FROM townhall_question") == 0
