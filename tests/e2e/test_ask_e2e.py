"""/ask end to end: an anonymous question to the committee, answered by DM, restarts, refusals."""

from __future__ import annotations

import pytest

from bot import faq, questions
from bot.core import audit, guild_settings
from bot.sandbox.driver import DriverError, iter_components

POST = ("POST", "/channels/{channel_id}/messages")


def committee_posts(rig, result) -> list:
    committee = rig.demo.channel("committee")
    return [m for m in result.messages if m.channel_id == committee]


async def ask(rig, line: str):
    r = await rig.command("alice", line)
    await rig.settle()
    return r


async def test_anonymous_question_reaches_committee_without_author_and_answer_by_dm(rig):
    alice = rig.demo.user("alice")
    r = await rig.command(
        "alice", "/ask committee question: Will @everyone get retro pay? anonymous: true"
    )
    assert r.ephemeral and "Question #1 sent" in r.embeds[0]["title"]
    await rig.settle()
    posted = [req for req in rig.fake.requests if (req.method, req.route) == POST and req.params]
    committee = rig.demo.channel("committee")
    [post] = [p for p in posted if int(p.params["channel_id"]) == committee]
    body = str(post.json)
    assert str(alice) not in body and "alice" not in body and "Anonymous" in body
    assert post.json["allowed_mentions"]["parse"] == []
    buttons = [c["label"] for c in iter_components(post.json["components"]) if c["type"] == 2]
    assert buttons == ["Answer", "Answer as FAQ", "Dismiss", "Hide"]

    opened = await rig.click("erin", "Answer")  # an admin holds every level
    assert opened.modal is not None
    await rig.submit("erin", {"Answer": "Yes: retro pay to August 1."})
    await rig.settle()
    dms = [
        m for m in rig.fake.all_messages() if rig.fake.find_channel(int(m["channel_id"])).type == 1
    ]
    assert any("retro pay to August 1" in str(m) for m in dms)
    mine = await rig.command("alice", "/ask mine")
    assert mine.ephemeral and "sent to you by DM" in mine.text
    q = (await questions.mine(rig.db, rig.demo.guild_id, alice))[0]
    assert q.state == "answered" and q.delivery_state == "sent"
    assert (await audit.recent(rig.db, rig.demo.guild_id, 1))[0].action == "question.answer"


async def test_members_are_refused_the_committee_buttons(rig):
    # A server whose committee channel is public by mistake: the buttons still refuse members.
    await guild_settings.update(
        rig.db,
        rig.demo.guild_id,
        None,
        rig.clock.now(),
        committee_channel_id=rig.demo.channel("general"),
    )
    await ask(rig, "/ask committee question: When is the town hall?")
    for label in ("Answer", "Answer as FAQ", "Dismiss"):
        r = await rig.click("bob", label)
        assert r.ephemeral and "organizer" in r.text and r.modal is None
    assert (await questions.recent(rig.db, rig.demo.guild_id))[0].state == "open"
    done = await rig.click("carol", "Dismiss")
    assert "dismissed" in str(done.reply)
    assert (await questions.recent(rig.db, rig.demo.guild_id))[0].state == "dismissed"


async def test_closed_dms_mark_the_answer_undeliverable(rig):
    rig.fake.set_dms_open(rig.demo.user("alice"), False)
    await ask(rig, "/ask committee question: Is overtime in the TA?")
    await rig.click("carol", "Answer")
    await rig.submit("carol", {"Answer": "Yes."})
    await rig.settle()
    mine = await rig.command("alice", "/ask mine")
    assert "undeliverable" in mine.text


async def test_answer_as_faq_creates_an_entry_and_buttons_survive_a_restart(rig):
    await ask(rig, "/ask committee question: is there a strike fund??")
    await rig.restart()
    opened = await rig.click("carol", "Answer as FAQ")
    assert opened.modal is not None
    await rig.submit(
        "carol",
        {
            "FAQ question (as members will read it)": "Is there a strike fund?",
            "Answer": "Yes: your local keeps one.",
        },
    )
    await rig.settle()
    [entry] = await faq.all_entries(rig.db, rig.demo.guild_id)
    assert entry.question == "Is there a strike fund?"
    found = await rig.command("bob", "/faq question: strike fund")
    assert found.embeds[0]["title"] == "Is there a strike fund?"
    # The post is closed: its buttons are gone.
    committee = rig.demo.channel("committee")
    post = [m for m in rig.fake.all_messages() if int(m["channel_id"]) == committee][-1]
    assert not post.get("components")


async def test_hostile_and_oversized_questions(rig):
    # Discord itself refuses an option over its max_length (1000), as the driver does.
    with pytest.raises(DriverError, match="at most 1000"):
        await rig.command("alice", "/ask committee question: " + "x" * 4000)
    assert await questions.recent(rig.db, rig.demo.guild_id) == []
    r = await ask(rig, '/ask committee question: @here NEAR("x") <@&1> ((')
    assert r.ephemeral
    committee = rig.demo.channel("committee")
    [post] = [m for m in rig.fake.all_messages() if int(m["channel_id"]) == committee]
    assert not post.get("mention_everyone") and not post.get("mention_roles")
