"""Members' data end to end: /privacy export and delete for a member with data in every
capability, the transparency log, closing the campaign and the purge, the bot's removal from
a server, and the safety checklist in /setup."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta

import pytest

from bot import cat, privacy
from bot.core import units
from bot.core.personal_data import NOBODY
from tests.support import T0
from tests.test_privacy import count, rows_of, seed

CAT_FORM = {
    "Your name as the union knows it": "Alice Ng",
    "Bargaining unit": "700",
    "Department or craft": "Assistant editors",
    "Shift or availability": "Days",
    "Preferred contact": "Discord DM",
}
HIDDEN = {"ignore_default_permissions": True}


async def alice_everywhere(rig) -> int:
    """Alice asks, subscribes and joins the CAT through commands; the rest of the declared
    tables get a row for her through the test seed (events, RSVPs, DMs...)."""
    g, alice = rig.demo.guild_id, rig.demo.users["alice"]
    await units.add(rig.db, g, "700", "Local 700 Editors", None, T0, member_count=25)
    await privacy.acknowledge_checklist(rig.db, g, rig.demo.users["erin"], T0)
    r = await rig.command("alice", "/ask committee question: Will we get retro pay?")
    assert r.ephemeral
    assert (await rig.command("alice", "/subscribe")).ephemeral
    first = await rig.command("alice", "/cat join")
    if first.modal is None:
        await rig.click("alice", "I commit: open the form")
    assert "Welcome" in (await rig.submit("alice", CAT_FORM)).text
    await rig.settle()
    await seed(rig.db, g, alice, rig.demo.users["carol"])
    # Alice also acts as an organizer on Bob (approves him, answers him, posts...).
    await seed(rig.db, g, rig.demo.users["bob"], alice)
    await rig.settle()
    return alice


def no_pings(result) -> bool:
    """Every body the action sent carries allowed_mentions that ping no one."""
    bodies = [q.json for q in result.requests if isinstance(q.json, dict)]
    bodies = [b.get("data", b) for b in bodies]
    sent = [b for b in bodies if "content" in b or "embeds" in b]
    return bool(sent) and all(b.get("allowed_mentions") == {"parse": []} for b in sent)


def attached_json(result) -> dict:
    [att] = result.reply["attachments"]
    assert att["filename"] == "rankfile-my-data.json"
    [(_, data)] = next(q for q in result.requests if q.files).files
    return json.loads(data)


async def test_export_sends_every_declared_column_to_the_member_only(rig):
    alice = await alice_everywhere(rig)
    r = await rig.command("alice", "/privacy export")
    assert r.ephemeral and no_pings(r)
    data = attached_json(r)
    assert data["member_id"] == str(alice)
    params = {"user": alice, "guild": rig.demo.guild_id}
    for use in privacy.declared():
        held = await rows_of(rig.db, use, params)
        if use.table == "member_action":
            # The export's own use of its limit is written after it was read.
            held = [r for r in held if r["action"] != "privacy.export"]
        # She did not close the campaign nor acknowledge the checklist; a table that never
        # records who (NOBODY) holds nothing of hers.
        if use.table != "privacy_guild" and use.member != NOBODY:
            assert held, use.name
        assert data["data"].get(use.name, {}).get("rows", []) == held, use.name
    questions = [q["text"] for q in data["data"]["questions_asked"]["rows"]]
    assert "Will we get retro pay?" in questions
    names = [v["display_name"] for v in data["data"]["cat_volunteer"]["rows"]]
    assert names == ["Alice Ng"]


async def test_delete_asks_first_then_leaves_only_anonymous_counts(rig):
    alice = await alice_everywhere(rig)
    g = rig.demo.guild_id
    params = {"user": alice, "guild": g}
    r = await rig.command("alice", "/privacy delete")
    assert r.ephemeral and "cannot be undone" in r.text
    # Cancel changes nothing.
    await rig.click("alice", "Cancel")
    roster = next(u for u in privacy.declared() if u.name == "cat_volunteer")
    assert await rows_of(rig.db, roster, params)  # still there
    tables = {u.table for u in privacy.declared()}
    before = {t: await count(rig.db, t) for t in tables}
    await rig.command("alice", "/privacy delete")
    done = await rig.click("alice", "Delete my data")
    assert "no longer holds anything" in done.text
    for use in privacy.declared():
        assert await rows_of(rig.db, use, params) == [], use.name
    after = {t: await count(rig.db, t) for t in tables}
    for use in privacy.declared():
        if use.on_delete == privacy.DELETE:
            assert after[use.table] < before[use.table], use.name
        elif use.table not in {u.table for u in privacy.declared() if u.on_delete == "delete"}:
            assert after[use.table] >= before[use.table], use.name  # anonymised: counts kept
    q = await rig.db.fetchone(
        "SELECT author_id, anonymous FROM committee_question WHERE text = ?",
        ("Will we get retro pay?",),
    )
    assert tuple(q) == (0, 1)
    # Her export is now empty.
    again = attached_json(await rig.command("alice", "/privacy export"))
    assert again["data"] == {}


async def test_transparency_log_shows_a_roster_export_with_who_and_when(rig):
    await alice_everywhere(rig)
    await rig.command("erin", "/setup coordinator member: dave")  # every unit
    export = await rig.command("dave", "/catteam export", **HIDDEN)
    assert export.ephemeral, export.text
    if not any(q.files for q in export.requests):  # the CAT asks to confirm first
        export = await rig.click("dave", "Export the roster")
    assert any(q.files for q in export.requests), export.text
    r = await rig.command("bob", "/privacy log")
    assert r.ephemeral
    text = r.text
    dave = rig.demo.users["dave"]
    assert f"**CAT roster exported**: once by <@{dave}>" in text
    assert "safety checklist acknowledged" in text
    assert no_pings(r)
    # Alice sees who approved her own record (the seed's organizer approved it).
    mine = await rig.command("alice", "/privacy log")
    assert "Your own CAT record" in mine.text


async def test_closed_campaign_warns_then_purges_keeping_counts(rig):
    await alice_everywhere(rig)
    g = rig.demo.guild_id
    r = await rig.command("carol", "/setup campaign close", **HIDDEN)
    assert r.ephemeral and "90 days" in r.text
    assert (await privacy.campaign(rig.db, g)).closed_at is None  # not before confirming
    done = await rig.click("carol", "Close the campaign")
    assert "Campaign closed" in done.text
    rig.clock.advance(days=83)
    await rig.settle()
    idle = await rig.idle()
    committee = rig.demo.channels["committee"]
    warned = [
        m
        for m in rig.fake.requests
        if m.method == "POST"
        and m.params.get("channel_id") == str(committee)
        and "deleted in 7 days" in json.dumps(m.json or {})
    ]
    assert warned, idle
    assert await rig.db.fetchval("SELECT count(*) FROM cat_volunteer") == 2
    rig.clock.advance(days=7)
    await rig.settle()
    assert await rig.db.fetchval("SELECT count(*) FROM cat_volunteer") == 0
    assert await rig.db.fetchval("SELECT count(*) FROM committee_question") == 0
    assert await rig.db.fetchval("SELECT sum(count) FROM cat_conversation") == 6
    assert await rig.db.fetchval("SELECT count(*) FROM event_rsvp WHERE user_id < 0") == 2
    shown = await rig.command("erin", "/setup show")
    assert "members' data deleted" in shown.text
    log = await rig.command("alice", "/privacy log")
    assert "retention runs" in log.text and "campaign closed" in log.text


async def test_removed_from_the_server_purges_after_the_delay(rig):
    await alice_everywhere(rig)
    g = rig.demo.guild_id
    await rig.fake.dispatch("GUILD_DELETE", {"id": str(g)})
    await rig.settle()
    state = await privacy.campaign(rig.db, g)
    assert state.removed_at is not None
    assert state.purge_due_at == state.removed_at + timedelta(days=90)
    rig.clock.advance(days=90)
    await rig.settle()
    assert await rig.db.fetchval("SELECT count(*) FROM cat_volunteer") == 0


async def test_checklist_acknowledged_by_an_admin_and_shown_in_setup_show(rig):
    g = rig.demo.guild_id
    # The demo set-up acknowledges the checklist: start from a server that has not.
    await rig.db.execute(
        "UPDATE privacy_guild SET checklist_acknowledged_at = NULL WHERE guild_id = ?", (g,)
    )
    shown = await rig.command("erin", "/setup show")
    assert "Not acknowledged" in shown.text
    r = await rig.command("erin", "/setup checklist")
    assert r.ephemeral and "personal devices" in r.text and "committee channel is private" in r.text
    refused = await rig.command("carol", "/setup checklist", **HIDDEN)
    assert refused.ephemeral and "Acknowledge" not in json.dumps(refused.reply["components"])
    done = await rig.click("erin", "Acknowledge")
    assert "Acknowledged" in done.text
    assert await privacy.checklist_acknowledged(rig.db, g)
    shown = await rig.command("erin", "/setup show")
    assert f"Acknowledged <t:{int(T0.timestamp())}:f>" in shown.text


# The CAT calls privacy.require_checklist in its sign-up path (a one-line hook in bot/cat.py,
# added by the integrator while the CAT code settles); until then this test is skipped.
CAT_HOOKED = "require_checklist" in inspect.getsource(cat.sign_up) or (
    "require_checklist" in inspect.getsource(cat)
)


@pytest.mark.skipif(not CAT_HOOKED, reason="bot/cat.py does not call privacy.require_checklist")
async def test_cat_sign_up_is_refused_until_the_checklist_is_acknowledged(rig):
    g = rig.demo.guild_id
    await units.add(rig.db, g, "700", "Local 700 Editors", None, T0, member_count=25)
    # Whatever the demo set-up acknowledged, start from a server that has not.
    await rig.db.execute(
        "UPDATE privacy_guild SET checklist_acknowledged_at = NULL WHERE guild_id = ?", (g,)
    )
    first = await rig.command("alice", "/cat join")
    if first.modal is None and "/setup checklist" not in first.text:
        await rig.click("alice", "I commit: open the form")
        first = await rig.submit("alice", CAT_FORM)
    assert first.ephemeral and "/setup checklist" in first.text
    assert await rig.db.fetchval("SELECT count(*) FROM cat_volunteer") == 0
    await rig.command("erin", "/setup checklist")
    await rig.click("erin", "Acknowledge")
    first = await rig.command("alice", "/cat join")
    if first.modal is None:
        await rig.click("alice", "I commit: open the form")
    assert "Welcome" in (await rig.submit("alice", CAT_FORM)).text
