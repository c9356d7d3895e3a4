"""The CAT end to end: joining (command, persistent button, after a restart), leaving, approval,
logging, coverage, the roster and its export, refusals, role problems and a burst of sign-ups."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io

import pytest

from bot import cat, demo
from bot.core import charts, guild_settings, units
from bot.core.clock import ManualClock
from bot.sandbox.driver import Driver
from bot.sandbox.fake import FakeDiscord, FakeRole
from tests.e2e.conftest import Rig, bot_factory
from tests.support import T0

ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
FORM = {
    "Your name as the union knows it": "Alice Ng",
    "Bargaining unit": "700",
    "Department or craft": "Assistant editors",
    "Shift or availability": "Days",
    "Preferred contact": "Discord DM",
}
# Coordinators see /catteam once an admin lets their role (Server Settings > Integrations).
AS_COORDINATOR = {"ignore_default_permissions": True}
COMMIT_LABEL = "I commit: open the form"


@pytest.fixture
async def cat_rig(rig):
    db = rig.db
    g = rig.demo.guild_id
    await units.add(db, g, "700", "Local 700 Editors", None, T0, member_count=25)
    await units.add(db, g, "600", "Local 600 Camera", None, T0, member_count=40)
    # dave holds the coordinator role; an admin registered him (every unit).
    await cat.set_scope(db, g, rig.demo.user("dave"), None, None, T0)
    return rig


async def join(rig, user: str, **changes: str):
    """/cat join, I commit, fill the form: the result of the submission."""
    first = await rig.command(user, "/cat join")
    if first.modal is None:
        assert first.ephemeral and "I commit" in first.text
        opened = await rig.click(user, "I commit: open the form")
        assert opened.modal is not None
    return await rig.submit(user, {**FORM, **changes})


def role_calls(result, method: str = "PUT"):
    return result.find(method, ROLE_ROUTE)


async def volunteers(rig):
    return await rig.db.fetchall("SELECT * FROM cat_volunteer ORDER BY id")


async def test_join_through_the_command(cat_rig):
    rig = cat_rig
    first = await rig.command("alice", "/cat join")
    assert first.ephemeral and "I commit to" in first.text and first.modal is None
    opened = await rig.click("alice", "I commit: open the form")
    modal = opened.modal
    assert modal["title"] == "Contract Action Team sign-up" and len(modal["components"]) == 5
    done = await rig.submit("alice", FORM)
    assert done.ephemeral and "Welcome to the CAT" in done.text
    calls = role_calls(done)
    assert len(calls) == 1 and calls[0].params["role_id"] == str(rig.demo.roles["cat"])
    assert calls[0].params["user_id"] == str(rig.demo.users["alice"])
    [row] = await volunteers(rig)
    assert (row["display_name"], row["status"], row["role_state"]) == (
        "Alice Ng",
        "active",
        "granted",
    )
    assert done.reply["flags"] & 64  # ephemeral: the form's answers are the member's own
    [dm] = done.dms()  # the welcome DM, sent by the delivery worker
    assert "Next steps" in dm.embeds[0]["description"] and "/cat log" in dm.embeds[0]["description"]
    assert (
        dm.message["allowed_mentions"]["parse"] == [] if "allowed_mentions" in dm.message else True
    )


async def test_joining_twice_updates_and_never_calls_the_role_again(cat_rig):
    rig = cat_rig
    await join(rig, "alice")
    again = await rig.command("alice", "/cat join")
    # A current volunteer goes straight to the form, filled in with what we hold.
    assert again.modal is not None
    values = [
        c["component"].get("value")
        for c in again.modal["components"]
        if c["component"]["type"] == 4
    ]
    assert "Alice Ng" in values
    # The fake's member now has the role: the bot sees it in the interaction and skips the call.
    done = await rig.submit("alice", {**FORM, "Shift or availability": "Nights"})
    assert "details updated" in done.text.lower() and role_calls(done) == []
    [row] = await volunteers(rig)
    assert row["availability"] == "Nights"
    welcomes = await rig.db.fetchval("SELECT count(*) FROM broadcast WHERE kind = 'cat.welcome'")
    assert welcomes == 1


async def test_double_click_on_the_form_records_one_sign_up(cat_rig):
    rig = cat_rig
    await rig.command("alice", "/cat join")
    await rig.click("alice", "I commit: open the form")
    opener = rig.fake.open_modals[rig.demo.users["alice"]]
    first = await rig.submit("alice", FORM)
    rig.fake.open_modals[rig.demo.users["alice"]] = opener  # the same form sent twice
    second = await rig.submit("alice", FORM)
    assert len(await volunteers(rig)) == 1
    assert len(role_calls(first)) + len(role_calls(second)) <= 2


async def test_join_through_the_persistent_button_after_a_restart(cat_rig):
    rig = cat_rig
    posted = await rig.command("dave", "/catteam post-signup channel: cat", **AS_COORDINATOR)
    assert posted.ephemeral
    await rig.idle()
    await rig.restart()
    clicked = await rig.click("bob", "Join the CAT")
    assert clicked.ephemeral and "I commit" in clicked.text
    await rig.click("bob", "I commit: open the form")
    done = await rig.submit("bob", {**FORM, "Your name as the union knows it": "Bob Diaz"})
    assert "Welcome" in done.text
    # bob already holds the CAT role in the demo server: no role call at all.
    assert role_calls(done) == []
    [row] = await volunteers(rig)
    assert row["display_name"] == "Bob Diaz" and row["role_state"] == "granted"


async def test_leave_and_status(cat_rig):
    rig = cat_rig
    nothing = await rig.command("alice", "/cat status")
    assert "holds nothing about you" in nothing.text
    await join(rig, "alice")
    status = await rig.command("alice", "/cat status")
    assert status.ephemeral and "Alice Ng" in status.text and "Active volunteer" in status.text
    rig.clock.advance(days=3)
    left = await rig.command("alice", "/cat leave")
    assert "left the Contract Action Team" in left.text
    assert len(role_calls(left, "DELETE")) == 1
    [row] = await volunteers(rig)
    assert row["status"] == "left" and row["left_at"].startswith("2024-07-13")
    again = await rig.command("alice", "/cat leave")
    assert again.ephemeral and "nothing to leave" in again.text


async def test_approval_mode(cat_rig):
    rig = cat_rig
    await guild_settings.update(rig.db, rig.demo.guild_id, None, T0, cat_requires_approval=1)
    done = await join(rig, "alice")
    assert "coordinator will confirm" in done.text and role_calls(done) == []
    [row] = await volunteers(rig)
    assert row["status"] == "pending"
    refused = await rig.command("alice", "/cat log conversations: 2 unit: 700")
    assert "waiting for a coordinator" in refused.text
    roster = await rig.command("dave", "/catteam roster status: pending", **AS_COORDINATOR)
    assert roster.ephemeral and "Alice Ng" in roster.text
    approved = await rig.command("dave", "/catteam approve member: alice", **AS_COORDINATOR)
    assert approved.ephemeral and "active CAT volunteer" in approved.text
    assert len(role_calls(approved)) == 1
    [row] = await volunteers(rig)
    assert row["status"] == "active" and row["approved_by"] == rig.demo.users["dave"]
    audit = await rig.db.fetchall("SELECT action, detail FROM audit_log WHERE action LIKE 'cat.%'")
    # The scope the fixture registered, the roster page looked at (transparency), the approval.
    assert [a["action"] for a in audit] == ["cat.scope", "cat.view", "cat.approve"]


async def test_logging_conversations_and_coverage(cat_rig):
    rig = cat_rig
    await join(rig, "alice")
    await join(rig, "bob", **{"Bargaining unit": "600"})
    choices = await rig.autocomplete("alice", "/cat log conversations: 3 unit: 70")
    assert [c["value"] for c in choices] == ["700"]
    concerns = await rig.autocomplete("alice", "/cat log conversations: 3 unit: 700 concern: wa")
    # The server's list only: what was typed is never offered back.
    assert [c["value"] for c in concerns] == ["wages"]
    r = await rig.command("alice", "/cat log conversations: 3 unit: 700 concern: wages")
    assert r.ephemeral and "Logged 3 conversations" in r.text and "wages" in r.text
    await rig.command("alice", "/cat log conversations: 2 unit: 700 concern: AI")
    await rig.command("bob", "/cat log conversations: 4 unit: 600 concern: Wages")
    too_many = await rig.command("bob", "/cat log conversations: 30 unit: 700")
    assert "25 members on record" in too_many.text
    unknown = await rig.command("bob", "/cat log conversations: 1 unit: 999")
    assert "No bargaining unit `999`" in unknown.text
    rig.clock.advance(days=7)
    await rig.command("alice", "/cat log conversations: 1 unit: 700 concern: wages")
    cov = await rig.command("dave", "/catteam coverage", **AS_COORDINATOR)
    assert cov.ephemeral
    fields = {f["name"]: f["value"] for f in cov.embeds[0]["fields"]}
    editors = fields["Local 700 Editors"]
    assert "25 members, 1 volunteer(s): 1:25 against 1:10 (**2 more** needed)" in editors
    assert "Conversations: 1 this week, 6 in all" in editors
    assert "Top concerns: wages (4), AI (2)" in editors
    assert "40 members, 1 volunteer(s): 1:40 against 1:10 (**3 more**" in fields["Local 600 Camera"]
    [png] = cov.reply["attachments"]
    assert png["filename"] == "cat-coverage.png"
    rows = await rig.db.fetchall("SELECT * FROM cat_conversation")
    assert sorted(r["count"] for r in rows) == [1, 2, 3, 4]
    assert not any("name" in k for k in rows[0].keys())  # no coworker is ever named


async def test_coverage_chart_is_a_png(cat_rig):
    cov = await cat.coverage(cat_rig.db, cat_rig.demo.guild_id, T0)
    assert (await asyncio.to_thread(cat.coverage_chart, cov)).startswith(charts.PNG_SIGNATURE)


async def test_export_is_a_csv_for_coordinators_and_audited(cat_rig):
    rig = cat_rig
    await join(rig, "alice")
    await join(rig, "bob", **{"Your name as the union knows it": "Bob Diaz"})
    asked = await rig.command("dave", "/catteam export", **AS_COORDINATOR)
    assert asked.ephemeral and "2 volunteer(s)" in asked.text and "audit log" in asked.text
    assert not any(q.files for q in asked.requests)  # nothing leaves before the confirmation
    assert not await rig.db.fetchall("SELECT * FROM audit_log WHERE action = 'cat.export'")
    r = await rig.click("dave", "Export the roster")
    sent = next(q for q in r.requests if q.files)
    [(filename, data)] = sent.files
    # Where it came from is in the file's name and the reply, not in a line that breaks import.
    assert filename.startswith("cat-roster-2024-07-10") and "exported-by-dave" in filename
    assert "recorded in the audit log" in sent.json["content"]
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [row["name"] for row in rows] == ["Alice Ng", "Bob Diaz"]
    assert rows[0]["unit"] == "700" and rows[0]["preferred_contact"] == "Discord DM"
    [entry] = await rig.db.fetchall("SELECT * FROM audit_log WHERE action = 'cat.export'")
    assert entry["actor_id"] == rig.demo.users["dave"] and "Alice" not in (entry["detail"] or "")


@pytest.mark.parametrize(
    "line",
    [
        "/catteam roster",
        "/catteam export",
        "/catteam coverage",
        "/catteam approve member: bob",
        "/catteam remove member: bob",
    ],
)
async def test_roster_commands_are_refused_to_members(cat_rig, line):
    rig = cat_rig
    await join(rig, "bob", **{"Your name as the union knows it": "Bob Diaz"})
    r = await rig.command("alice", line, ignore_default_permissions=True)
    assert r.ephemeral and "CAT coordinators" in r.text
    assert "Bob Diaz" not in r.text and r.reply.get("attachments") in (None, [])
    assert not any(q.method == "PUT" and q.route == ROLE_ROUTE for q in r.requests)


async def test_coordinator_commands_are_hidden_from_members(cat_rig):
    from bot.sandbox.driver import DriverError

    with pytest.raises(DriverError, match="hidden"):
        await cat_rig.command("alice", "/catteam roster")


async def test_the_cat_command_list(cat_rig):
    names = cat_rig.command_names()
    assert [n for n in names if n.split()[0] == "cat"] == [
        "cat commitments",
        "cat coverage",
        "cat details",
        "cat join",
        "cat leave",
        "cat log",
        "cat mylogs",
        "cat status",
        "cat unit",
    ]
    # A cascade's status is read with /update cascade-status; admins scope coordinators.
    assert "update cascade-status" in names and "setup coordinator" in names


async def test_remove_takes_the_role_and_is_audited(cat_rig):
    rig = cat_rig
    await join(rig, "alice")
    r = await rig.command("dave", "/catteam remove member: alice", **AS_COORDINATOR)
    assert "off the CAT" in r.text and len(role_calls(r, "DELETE")) == 1
    [row] = await volunteers(rig)
    assert row["status"] == "removed"
    again = await rig.command("dave", "/catteam remove member: alice", **AS_COORDINATOR)
    assert "not on the CAT" in again.text


async def test_bad_form_input_is_explained_and_nothing_saved(cat_rig):
    rig = cat_rig
    await rig.command("alice", "/cat join")
    await rig.click("alice", "I commit: open the form")
    r = await rig.submit("alice", {**FORM, "Preferred contact": "   "})
    assert r.ephemeral and "preferred contact is empty" in r.text
    assert await volunteers(rig) == []


async def test_a_role_above_the_bots_is_reported_and_the_sign_up_kept(cat_rig):
    rig = cat_rig
    g = rig.fake.guilds[rig.demo.guild_id]
    high = FakeRole(rig.fake.snowflake(), "cat-high", 0, 10)
    g.roles[high.id] = high
    await guild_settings.update(
        rig.db,
        rig.demo.guild_id,
        None,
        T0,
        cat_role_id=high.id,
        cat_channel_id=rig.demo.channels["committee"],
    )
    done = await join(rig, "alice")
    assert any(q.status == 403 for q in role_calls(done))
    assert "could not give you the CAT role" in done.text
    [row] = await volunteers(rig)
    assert row["status"] == "active" and row["role_state"] == "failed"
    await rig.idle()
    # The coordinators' channel is told once, who it is, why and how to fix it.
    committee = rig.demo.channels["committee"]
    [notice] = [
        m
        for m in rig.fake.channel_messages(committee)
        if "CAT role not given" in str(m.get("embeds"))
    ]
    told = str(notice["embeds"])
    assert f"<@{rig.demo.users['alice']}>" in told and "above the bot's highest role" in told
    assert "/catteam approve" in told and not int(notice.get("flags") or 0) & 64
    cov = await rig.command("dave", "/catteam coverage", **AS_COORDINATOR)
    assert "did not get the CAT role" in cov.text


async def test_approving_a_member_who_left_the_server(cat_rig):
    rig = cat_rig
    await guild_settings.update(rig.db, rig.demo.guild_id, None, T0, cat_requires_approval=1)
    await join(rig, "alice")
    await rig.fake.member_leaves(rig.demo.guild_id, rig.demo.users["alice"])
    await rig.settle()
    r = await rig.command("dave", "/catteam approve member: alice", **AS_COORDINATOR)
    assert "left the server" in r.text
    [row] = await volunteers(rig)
    assert row["status"] == "pending"


@pytest.fixture
async def burst_rig(tmp_path):
    """The rig with room for a burst: deliveries at full speed, a longer settle timeout, and
    no schema check of each of the thousands of identical bodies (the other tests check the
    same shapes one by one)."""
    fake = FakeDiscord(validate=False)
    await fake.start()
    # Rate-limit headers as Discord sends them (generous: never a 429), so that discord.py
    # runs role calls side by side instead of one per bucket at a time.
    fake.rate_limit(global_per_second=1_000_000, default_limit=(1_000_000, 1.0))
    fake.add_demo_guild()
    clock = ManualClock(T0)
    db_path = tmp_path / "rankfile.db"
    driver = Driver(
        fake, bot_factory(fake, clock, db_path, delivery_rate=100_000.0), settle_timeout=120
    )
    await driver.start()
    try:
        d = fake.demo
        await demo.prepare_server(driver.bot.db, d.guild_id, d.channels, d.roles, clock.now())
        await units.add(driver.bot.db, d.guild_id, "700", "Local 700 Editors", None, T0)
        yield Rig(driver, fake, clock, db_path)
        await driver.settle()
    finally:
        await driver.stop()
        await fake.close()
    assert driver.errors == [] and fake.unknown_routes == []


@contextlib.asynccontextmanager
async def burst(rig):
    """Actions inside only dispatch (each would otherwise wait for all the others to settle);
    the bot is settled once for the lot on the way out."""
    driver = rig.driver
    since = driver._task_seq

    async def dispatch_only(*, since: int | None = None) -> None:
        return None

    driver.settle = dispatch_only
    try:
        yield
    finally:
        del driver.settle
        await driver.settle(since=since)


async def test_a_burst_of_500_sign_ups_is_recorded_once_each(burst_rig):
    rig = burst_rig
    g = rig.demo.guild_id
    names = [f"member{i:03}" for i in range(500)]
    for name in names:
        user = rig.fake.add_user(name)
        rig.fake.add_member(rig.fake.guilds[g], user, [])
    async with burst(rig):
        await asyncio.gather(*(rig.command(n, "/cat join") for n in names))
    async with burst(rig):
        await asyncio.gather(*(rig.click(n, COMMIT_LABEL) for n in names))
    async with burst(rig):
        await asyncio.gather(
            *(rig.submit(n, {**FORM, "Your name as the union knows it": n}) for n in names)
        )
    rows = await volunteers(rig)
    assert len(rows) == 500 and len({r["user_id"] for r in rows}) == 500
    calls = [q for q in rig.fake.requests if q.method == "PUT" and q.route == ROLE_ROUTE]
    assert len(calls) == 500 and len({q.params["user_id"] for q in calls}) == 500
    # The first 100 send the form again, all at once: still one row each, no new role call.
    async with burst(rig):
        await asyncio.gather(*(rig.command(n, "/cat join") for n in names[:100]))
    async with burst(rig):
        await asyncio.gather(
            *(rig.submit(n, {**FORM, "Shift or availability": "Nights"}) for n in names[:100])
        )
    rows = await volunteers(rig)
    assert len(rows) == 500 and sum(r["availability"] == "Nights" for r in rows) == 100
    calls = [q for q in rig.fake.requests if q.method == "PUT" and q.route == ROLE_ROUTE]
    assert len(calls) == 500
    assert await rig.db.fetchval("SELECT count(*) FROM broadcast WHERE kind = 'cat.welcome'") == 500
    await rig.idle()
    sent = await rig.db.fetchval(
        "SELECT count(*) FROM delivery WHERE target_kind = 'dm' AND state = 'sent'"
    )
    assert sent == 500


async def test_setup_cat_turns_approval_on_and_sets_the_target(cat_rig):
    rig = cat_rig
    r = await rig.command("erin", "/setup cat approval: true ratio: 20 channel: committee")
    assert r.ephemeral and "wait for approval" in r.text and "one volunteer per 20" in r.text
    s = await guild_settings.get(rig.db, rig.demo.guild_id)
    assert (s.cat_requires_approval, s.cat_target_ratio) == (1, 20)
    assert s.cat_channel_id == rig.demo.channels["committee"]
    done = await join(rig, "alice")
    assert "coordinator will confirm" in done.text
    cov = await rig.command("dave", "/catteam coverage", **AS_COORDINATOR)
    assert "one volunteer per **20** members" in cov.text
    assert "25 members, 0 volunteer(s): uncovered against 1:20 (**2 more** needed)" in cov.text


async def test_roster_pages_for_the_coordinator(cat_rig):
    rig = cat_rig
    form = {"unit": "700", "department": "Editors", "availability": "Days", "contact": "DM"}
    for i in range(12):
        await cat.sign_up(rig.db, rig.demo.guild_id, 9000 + i, T0, name=f"Vol {i:02}", **form)
    first = await rig.command("dave", "/catteam roster unit: 700", **AS_COORDINATOR)
    assert first.ephemeral and "Vol 00" in first.text and "Vol 10" not in first.text
    assert "Page 1 of 2" in first.text
    second = await rig.click("dave", "Next")
    assert "Vol 10" in second.text and "Vol 11" in second.text and "Page 2 of 2" in second.text
    back = await rig.click("dave", "Previous")
    assert "Vol 00" in back.text
