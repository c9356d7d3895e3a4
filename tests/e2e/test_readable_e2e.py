"""Readable by everyone, end to end: `/settings plain-text`, plain DMs, `/setup accessibility`,
and attachments' descriptions through the reply path and the delivery path."""

from __future__ import annotations

from bot.core import delivery, render
from bot.core.delivery import Target
from bot.core.render import embed

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def dm_messages(rig, name: str) -> list[dict]:
    channel = rig.fake.dm_channels.get(rig.demo.users[name])
    return rig.fake.channel_messages(channel.id) if channel else []


async def queue(rig, targets: list[Target], title: str = "Ratification vote") -> None:
    payload = render.message(
        embeds=[
            embed(
                title,
                "Vote at the [union's voting service](https://vote.example.org/ba).",
                fields=[("Turnout so far", "12 of 40 (30%)")],
            )
        ]
    )
    payload["files"] = [delivery.file_part("turnout.png", PNG, "Turnout: 12 of 40 (30%)")]
    async with rig.db.transaction():
        await delivery.enqueue(rig.db, rig.demo.guild_id, "test", payload, targets, rig.clock.now())
    await rig.settle()


async def test_a_member_who_reads_plain_text_gets_every_answer_as_text(rig):
    r = await rig.command("alice", "/settings plain-text: on")
    # The confirmation itself already comes as text.
    assert r.ephemeral and r.embeds == []
    assert "Plain text: On: answers and DMs" in r.content
    r = await rig.command("alice", "/help")
    assert r.embeds == [] and "`/help` What rankfile can do for you" in r.content
    assert len(r.content) <= render.Limits.CONTENT
    r = await rig.command("alice", "/subscribe topic: pizza")  # an error, through the one handler
    assert r.embeds == [] and "No topic `pizza`" in r.content
    # Only alice: bob still gets embeds.
    r = await rig.command("bob", "/help")
    assert r.embeds and not r.content
    r = await rig.command("alice", "/settings")
    assert "Plain text: On" in r.content
    r = await rig.command("alice", "/settings plain-text: off")
    assert r.embeds and "Off: answers and DMs come as embeds" in r.text


async def test_dms_to_a_member_who_reads_plain_text_are_text_with_described_files(rig):
    await rig.command("alice", "/settings plain-text: on")
    await queue(rig, [Target.dm(rig.demo.users["alice"]), Target.dm(rig.demo.users["bob"])])
    [alice] = dm_messages(rig, "alice")
    assert alice["embeds"] == []
    assert "**Ratification vote**" in alice["content"]
    assert "union's voting service: <https://vote.example.org/ba>" in alice["content"]
    assert "Turnout so far: 12 of 40 (30%)" in alice["content"]
    [bob] = dm_messages(rig, "bob")
    assert bob["embeds"][0]["title"] == "Ratification vote" and not bob["content"]
    # The file keeps its description on both, through the delivery worker's multipart post.
    for sent in (alice, bob):
        [file] = sent["attachments"]
        assert file["filename"] == "turnout.png"
        assert file["description"] == "Turnout: 12 of 40 (30%)"
    # An edit of the DMs (as `/update edit` queues one) keeps each in its reader's form.
    edits = [Target.edit(m["channel_id"], m["id"]) for m in (alice, bob)]
    await queue(rig, edits, title="Ratification vote (edited)")
    [alice], [bob] = dm_messages(rig, "alice"), dm_messages(rig, "bob")
    assert alice["embeds"] == [] and "**Ratification vote (edited)**" in alice["content"]
    assert bob["embeds"][0]["title"] == "Ratification vote (edited)" and not bob["content"]


async def test_a_server_can_have_its_posts_carry_their_plain_text(rig):
    general = rig.demo.channel("general")
    await queue(rig, [Target.channel(general)])
    before = rig.fake.channel_messages(general)[-1]
    assert before["embeds"] and not before["content"]
    r = await rig.command("erin", "/setup accessibility plain-text-posts: on")
    assert "Channel posts now carry their plain text" in r.text
    assert "Plain text in posts: on" in r.text
    await queue(rig, [Target.channel(general)])
    after = rig.fake.channel_messages(general)[-1]
    assert after["embeds"][0]["title"] == "Ratification vote"
    assert "Turnout so far: 12 of 40 (30%)" in after["content"]
    assert after["attachments"][0]["description"] == "Turnout: 12 of 40 (30%)"
