"""/announce end to end: modal, preview, Send / Cancel, now or scheduled, role pings, DMs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot import subscriptions
from bot.core import audit
from bot.sandbox import repl as sandbox
from bot.sandbox.driver import DriverError
from bot.sandbox.fake import SEND_MESSAGES, VIEW_CHANNEL
from tests.support import T0

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "announce.txt"

POST = ("POST", "/channels/{channel_id}/messages")
FIELDS = {
    "title": "Town hall on the tentative agreement",
    "message": "Come hear the bargaining committee on Thursday at 6.",
    "link": "https://example.org/ta",
}


async def write(rig, options: str = "", fields: dict | None = None, user: str = "carol"):
    """Run /announce send with options and fill its modal; return the preview."""
    opened = await rig.command(user, f"/announce send {options}".strip())
    assert opened.modal is not None, opened.text
    return await rig.submit(user, fields or FIELDS)


async def announcement_audit(rig) -> list:
    entries = await audit.recent(rig.db, rig.demo.guild_id, 50)
    return [e for e in entries if e.action.startswith("announcement.")]


def posts_to(rig, channel: str) -> list:
    cid = rig.demo.channel(channel)
    return [r for r in rig.fake.requests_to(*POST) if r.param("channel_id") == cid]


async def test_announce_now_previews_then_posts_once_with_no_pings(rig):
    preview = await write(rig)
    assert preview.ephemeral
    assert "Preview" in preview.text and FIELDS["title"] in preview.text
    assert "No one" in preview.text
    assert posts_to(rig, "announcements") == []  # nothing until Send

    sent = await rig.click("carol", "Send")
    await rig.settle()
    assert "Sent: announcement #1" in sent.text
    (post,) = posts_to(rig, "announcements")
    assert post.json["allowed_mentions"] == {"parse": []}
    assert post.json["embeds"][0]["title"] == FIELDS["title"]
    assert post.json["embeds"][0]["url"] == FIELDS["link"]
    assert post.json["nonce"].startswith("rf") and post.json["enforce_nonce"] is True

    status = await rig.command("carol", "/announce status id: 1")
    assert status.ephemeral and "sent" in status.text
    assert [f["value"] for f in status.embeds[0]["fields"][:2]] == ["1", "0"]
    (entry,) = await announcement_audit(rig)
    assert entry.action == "announcement.send" and entry.actor_id == rig.demo.user("carol")


async def test_a_role_ping_reaches_the_wire_as_exactly_that_role(rig):
    cat = rig.demo.role("cat")
    preview = await write(rig, "role: cat")
    assert f"<@&{cat}>" in preview.text
    await rig.click("carol", "Send")
    await rig.settle()
    (post,) = posts_to(rig, "announcements")
    assert post.json["allowed_mentions"] == {"parse": [], "roles": [str(cat)]}
    assert post.json["content"] == f"<@&{cat}>"


async def test_a_scheduled_announcement_echoes_its_time_and_posts_when_due(rig):
    # The rig's clock: 2024-07-10 10:00 in Los Angeles; tomorrow 9am is 16:00 UTC.
    stamp = "<t:1720713600:F>"
    preview = await write(rig, "when: tomorrow 9am channel: updates")
    assert stamp in preview.text and "Thursday, July 11, 2024 9:00 AM PDT" in preview.text
    sent = await rig.click("carol", "Send")
    assert "Scheduled: announcement #1" in sent.text and stamp in sent.text
    await rig.settle()
    assert posts_to(rig, "updates") == []

    listing = await rig.command("carol", "/announce list")
    assert "Scheduled" in listing.text and FIELDS["title"][:20] in listing.text

    rig.clock.advance(hours=22)
    await rig.settle()
    assert posts_to(rig, "updates") == []
    rig.clock.advance(hours=1)
    await rig.settle()
    assert len(posts_to(rig, "updates")) == 1
    (entry,) = await announcement_audit(rig)
    assert entry.action == "announcement.schedule"


async def test_cancel_a_scheduled_announcement_then_nothing_is_sent(rig):
    await write(rig, "when: tomorrow 9am")
    await rig.click("carol", "Send")
    cancelled = await rig.command("carol", "/announce cancel id: 1")
    assert "cancelled" in cancelled.text and "1 delivery stopped" in cancelled.text
    rig.clock.advance(days=2)
    await rig.settle()
    assert posts_to(rig, "announcements") == []
    again = await rig.command("carol", "/announce cancel id: 1")
    assert again.ephemeral and "already cancelled" in again.text
    status = await rig.command("carol", "/announce status id: 1")
    assert "Cancelled" in status.text
    actions = [e.action for e in await announcement_audit(rig)]
    assert actions == ["announcement.cancel", "announcement.schedule"]


async def test_cancel_of_a_sent_announcement_is_refused(rig):
    await write(rig)
    await rig.click("carol", "Send")
    await rig.settle()
    refused = await rig.command("carol", "/announce cancel id: 1")
    assert refused.ephemeral and "already been sent" in refused.text


async def test_dm_subscribers_get_one_dm_each_without_pings(rig):
    guild = rig.demo.guild_id
    now = rig.clock.now()
    for name in ("alice", "bob"):
        await subscriptions.subscribe(rig.db, guild, rig.demo.user(name), "announcements", now)
    rig.fake.set_dms_open(rig.demo.user("bob"), False)
    preview = await write(rig, "dm_subscribers: true role: cat")
    assert "2 subscribers" in preview.text
    await rig.click("carol", "Send")
    await rig.settle()
    alice = rig.fake.dm_channels[rig.demo.user("alice")]
    (dm,) = rig.fake.channel_messages(alice.id)
    assert dm["embeds"][0]["title"] == FIELDS["title"]
    dm_posts = [r for r in rig.fake.requests_to(*POST) if r.param("channel_id") == alice.id]
    assert dm_posts[0].json["allowed_mentions"] == {"parse": []}
    status = await rig.command("carol", "/announce status id: 1")
    assert "2 DMs to subscribers" in status.text
    assert "the member's DMs are closed" in status.text
    assert "bob" not in status.text.lower() and str(rig.demo.user("bob")) not in status.text


async def test_the_preview_cancel_button_drops_the_draft(rig):
    await write(rig)
    dropped = await rig.click("carol", "Cancel")
    assert "nothing was sent" in dropped.text
    await rig.settle()
    assert posts_to(rig, "announcements") == []
    assert await rig.db.fetchval("SELECT count(*) FROM broadcast") == 0


async def test_preview_buttons_survive_a_restart(rig):
    await write(rig)
    await rig.restart()
    await rig.click("carol", "Send")
    await rig.settle()
    assert len(posts_to(rig, "announcements")) == 1


async def test_members_are_refused(rig):
    with pytest.raises(DriverError, match="hidden"):
        await rig.command("alice", "/announce send")
    refused = await rig.command("alice", "/announce send", ignore_default_permissions=True)
    assert refused.ephemeral and refused.modal is None and "organizer" in refused.text
    refused = await rig.command("alice", "/announce list", ignore_default_permissions=True)
    assert refused.ephemeral and "organizer" in refused.text


@pytest.mark.parametrize(
    ("options", "fields", "says"),
    [
        ("when: 2024-07-09 09:00", None, "already passed"),
        ("when: when pigs fly", None, "couldn't read"),
        ("role: @everyone", None, "@everyone"),
        ("", {**FIELDS, "title": "   "}, "title is empty"),
        ("", {**FIELDS, "message": "  \n "}, "message is empty"),
        ("", {**FIELDS, "link": "not a link"}, "https://"),
    ],
)
async def test_bad_input_says_what_to_fix_and_queues_nothing(rig, options, fields, says):
    opened = await rig.command("carol", f"/announce send {options}".strip())
    if opened.modal is not None:
        opened = await rig.submit("carol", fields or FIELDS)
    assert opened.ephemeral
    assert says.lower() in opened.text.lower()
    assert await rig.db.fetchval("SELECT count(*) FROM broadcast") == 0
    assert rig.fake.requests_to(*POST) == [] or all(
        r.json.get("embeds", [{}])[0].get("title") != FIELDS["title"]
        for r in rig.fake.requests_to(*POST)
    )


async def test_a_channel_the_bot_cannot_post_in_is_refused(rig):
    guild = rig.fake.guilds[rig.demo.guild_id]
    locked = rig.fake.add_channel(
        guild,
        "locked",
        overwrites=[
            {"id": rig.demo.bot_role_id, "type": 0, "allow": VIEW_CHANNEL, "deny": SEND_MESSAGES}
        ],
    )
    await rig.fake.dispatch("CHANNEL_CREATE", locked.to_dict(rig.fake))
    refused = await rig.command("carol", "/announce send channel: locked")
    assert refused.modal is None and refused.ephemeral
    assert "Send Messages" in refused.text
    assert await rig.db.fetchval("SELECT count(*) FROM announcement") == 0


async def test_the_sandbox_script_runs_the_announcement_story(tmp_path):
    out = io.StringIO()
    bad = await sandbox.main(
        tmp_path / "sandbox.db", start=T0, script=SCRIPT, json_mode=True, out=out
    )
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert bad == 1  # alice: /announce is hidden from members
    assert "hidden from alice" in actions[-1]["error"]
    posts = [
        r
        for a in actions
        for r in a["requests"]
        if r["method"] == "POST" and r["route"] == "/channels/{channel_id}/messages"
    ]
    (announced,) = [p for p in posts if p["body"].get("nonce")]
    assert announced["body"]["embeds"][0]["title"] == "Town hall on the TA"
    mentions = announced["body"]["allowed_mentions"]
    assert mentions["parse"] == [] and len(mentions["roles"]) == 1
    by_action = {a["action"]: a for a in actions}
    assert "error" not in by_action["/announce cancel id: 2"]
    refusals = [a for a in actions if a["action"].startswith("/announce send when: 2020")]
    assert refusals and "already passed" in json.dumps(refusals[0]["requests"])


async def test_a_scheduled_announcement_dms_the_subscribers_of_that_time(rig):
    guild, now = rig.demo.guild_id, rig.clock.now()
    for name in ("alice", "dave"):
        await subscriptions.subscribe(rig.db, guild, rig.demo.user(name), "announcements", now)
    await write(rig, "when: tomorrow 9am dm_subscribers: true")
    sent = await rig.click("carol", "Send")
    assert "2 are now" in sent.text
    await subscriptions.unsubscribe(rig.db, guild, rig.demo.user("dave"), "announcements")
    await rig.restart()  # the DMs wait in the database, not in memory
    rig.clock.advance(hours=23)
    await rig.settle()
    assert len(posts_to(rig, "announcements")) == 1
    alice = rig.fake.dm_channels[rig.demo.user("alice")]
    assert [m["embeds"][0]["title"] for m in rig.fake.channel_messages(alice.id)] == [
        FIELDS["title"]
    ]
    assert rig.demo.user("dave") not in rig.fake.dm_channels
