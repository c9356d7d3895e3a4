"""Member safety, the CAT and departures (issue 19): each finding reproduced, then held.

Someone who left the server, or lost the role a message is for, gets nothing more and loses
their subscriptions and registrations (1); `/privacy delete` takes the CAT role and leaves
`/cat leave` working (4); coordinators' views and the logs' export are in `/privacy log` (5);
concerns come from the server's list only (6); the coordinators' channel must be private (7);
logging has limits (9); an unregistered coordinator sees no unit, and `/catteam post-signup`
checks the coordinator's own permission (10).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot import cat, subscriptions
from bot.core import delivery, departures, guild_settings, units
from bot.core.clock import ManualClock
from bot.core.config import Settings
from bot.core.db import Database
from bot.glue.app import Rankfile
from bot.sandbox.fake.model import VIEW_CHANNEL
from tests.e2e.conftest import Rig
from tests.support import T0

HIDDEN = {"ignore_default_permissions": True}
FORM = {
    "Your name as the union knows it": "Bob Diaz",
    "Bargaining unit": "700",
    "Department or craft": "Camera operators",
    "Shift or availability": "days",
    "Preferred contact": "Discord DM",
}
MEMBER_ROUTE = "/guilds/{guild_id}/members/{user_id}"


async def _units(rig: Rig) -> None:
    await units.add(rig.db, rig.demo.guild_id, "700", "Local 700 Editors", None, T0)


async def _join(rig: Rig, user: str, **changes: str) -> None:
    first = await rig.command(user, "/cat join")
    if first.modal is None:
        await rig.click(user, "I commit: open the form")
    done = await rig.submit(user, {**FORM, **changes})
    assert "Can't do that" not in done.text, done.text
    await rig.settle()


async def _deliveries(db: Database, kind: str, user_id: int) -> list[tuple[str, str | None]]:
    rows = await db.fetchall(
        "SELECT d.state, d.reason FROM delivery d JOIN broadcast b ON b.id = d.broadcast_id "
        "WHERE b.kind = ? AND d.target_id = ? ORDER BY d.id",
        (kind, user_id),
    )
    return [(r["state"], r["reason"]) for r in rows]


async def _cascade_to_bob(rig: Rig) -> None:
    """An update for unit 700 and its cascade to the unit's volunteers (bob)."""
    r = await rig.command("carol", "/update post units: 700", **HIDDEN)
    await rig.submit("carol", {"Title": "Wages move", "Text": "We moved on wages."})
    await rig.click("carol", "Publish")
    await rig.settle()
    r = await rig.command(
        "carol", "/update cascade id: 1 talking_points: Ask who saw it.", **HIDDEN
    )
    assert "1 active CAT volunteer" in r.text, r.text
    await rig.click("carol", "Send the cascade")
    await rig.settle()


# -- finding 1: removed or demoted people get nothing more -------------------------------------


async def test_a_member_who_left_gets_no_dm_and_loses_subscriptions_and_cat_record(rig):
    await _units(rig)
    g, bob = rig.demo.guild_id, rig.demo.user("bob")
    await _join(rig, "bob")
    await subscriptions.subscribe(rig.db, g, bob, "all", T0)
    # She leaves; the bot is not told (no Server Members intent): the next DM finds out.
    rig.fake.remove_member(g, bob)
    rig.clock.advance(minutes=10)  # past the cached answer
    await rig.command("carol", "/update post units: 700", **HIDDEN)
    await rig.submit("carol", {"Title": "Wages move", "Text": "We moved on wages."})
    await rig.click("carol", "Publish")
    await rig.settle()
    assert await _deliveries(rig.db, "update", bob) == [("skipped", "member_left")]
    asked = [q for q in rig.fake.requests if q.route == MEMBER_ROUTE and q.status == 404]
    assert asked, "the worker asked Discord whether she is still a member"
    # What kept reaching her is dropped: her subscriptions, her place on the CAT.
    assert await subscriptions.list_for(rig.db, g, bob) == []
    assert (await cat.get_volunteer(rig.db, g, bob)).status == "left"
    refused = await rig.command(
        "carol", "/update cascade id: 1 talking_points: Ask who saw it.", **HIDDEN
    )
    assert "has an active CAT volunteer" in refused.text and "nothing was sent" in refused.text
    assert "left the server" in delivery.REASON_TEXT["member_left"]


async def test_cascade_talking_points_need_the_cat_role(rig):
    await _units(rig)
    g, bob = rig.demo.guild_id, rig.demo.user("bob")
    await _join(rig, "bob")
    assert (await cat.get_volunteer(rig.db, g, bob)).role_state == "granted"
    await rig.fake.take_role(g, bob, rig.demo.roles["cat"])
    rig.clock.advance(minutes=10)
    await _cascade_to_bob(rig)
    assert await _deliveries(rig.db, "cascade", bob) == [("skipped", "lost_role")]
    # The role was taken from her: she is off the CAT, so no reminder or cascade follows.
    assert (await cat.get_volunteer(rig.db, g, bob)).status == "left"
    reminders = await rig.db.fetchval(
        "SELECT count(*) FROM cascade_volunteer WHERE user_id = ? AND reminded_at IS NULL", (bob,)
    )
    assert reminders == 0


async def test_the_cascade_button_pressed_after_leaving_does_nothing(rig):
    await _units(rig)
    g, bob = rig.demo.guild_id, rig.demo.user("bob")
    await _join(rig, "bob")
    await _cascade_to_bob(rig)
    assert await _deliveries(rig.db, "cascade", bob) == [("sent", None)]
    rig.fake.remove_member(g, bob)
    rig.clock.advance(minutes=10)
    pressed = await rig.click("bob", "Reached some")
    assert pressed.modal is None and "no longer a member" in pressed.text
    assert await rig.db.fetchval("SELECT count(*) FROM cascade_report") == 0
    assert (await cat.get_volunteer(rig.db, g, bob)).status == "left"


async def test_the_digest_goes_only_to_coordinators_holding_the_role(rig):
    await _units(rig)
    g, dave = rig.demo.guild_id, rig.demo.user("dave")
    refused = await rig.command("erin", "/setup coordinator member: alice")
    assert "doesn't hold" in refused.text
    assert await cat.coordinators(rig.db, g) == []
    ok = await rig.command("erin", "/setup coordinator member: dave")
    assert "coordinates every unit" in ok.text
    await _join(rig, "bob")
    # Demoted: refused the roster at once (the role check), and no digest DM either.
    await rig.fake.take_role(g, dave, rig.demo.roles["cat-coordinator"])
    roster = await rig.command("dave", "/catteam roster", **HIDDEN)
    assert "This is for CAT coordinators" in roster.text
    rig.clock.advance(days=5, hours=1)  # past Monday 09:00 in Los Angeles
    await rig.idle()
    assert await _deliveries(rig.db, "cat.digest", dave) == [("skipped", "lost_role")]
    digests = [m for m in rig.fake.all_messages() if "CAT weekly digest" in str(m.get("embeds"))]
    assert digests == []
    assert await cat.coordinators(rig.db, g) == []  # the registration is dropped


async def test_the_fake_answers_the_member_route_as_discord_does(rig):
    g, alice = rig.demo.guild_id, rig.demo.user("alice")
    here = await rig.bot.http.get_member(g, alice)
    assert here["user"]["id"] == str(alice)
    rig.fake.remove_member(g, alice)
    with pytest.raises(Exception) as gone:
        await rig.bot.http.get_member(g, alice)
    assert getattr(gone.value, "code", None) == 10007 and gone.value.status == 404


async def test_the_member_check_is_cached_briefly(rig):
    g, bob = rig.demo.guild_id, rig.demo.user("bob")
    members = rig.bot.members
    assert await members.verdict(g, bob, "cat") is None
    fetched = members.fetches
    assert await members.verdict(g, bob, "cat") is None
    assert members.fetches == fetched  # cached
    rig.fake.remove_member(g, bob)
    rig.clock.advance(minutes=6)
    assert await members.verdict(g, bob, None) == departures.MEMBER_LEFT


async def test_with_the_members_intent_a_departure_is_heard_at_once(fake, make_driver, tmp_path):
    clock = ManualClock(T0)
    settings = Settings(db_path=tmp_path / "r.db", extra={"RANKFILE_MEMBERS_INTENT": "1"})

    def make_bot() -> Rankfile:
        return Rankfile(settings, connector=fake.connector(), clock=clock, guild_ready_timeout=0.05)

    driver = await make_driver(make_bot)
    assert driver.bot.intents.members
    d = fake.demo
    from bot import demo

    await demo.prepare_server(driver.bot.db, d.guild_id, d.channels, d.roles, clock.now())
    bob = d.user("bob")
    await subscriptions.subscribe(driver.bot.db, d.guild_id, bob, "all", T0)
    await fake.member_leaves(d.guild_id, bob)
    await driver.settle()
    assert await subscriptions.list_for(driver.bot.db, d.guild_id, bob) == []


# -- finding 4 (CAT): deletion takes the role, and leaving still works -------------------------


async def test_privacy_delete_takes_the_cat_role_and_cat_leave_still_works(rig):
    await _units(rig)
    g, alice = rig.demo.guild_id, rig.demo.user("alice")
    await _join(rig, "alice", **{"Your name as the union knows it": "Alice Ng"})
    cat_role = rig.demo.roles["cat"]
    assert cat_role in rig.fake.guilds[g].members[alice].roles
    await rig.command("alice", "/privacy delete")
    done = await rig.click("alice", "Delete my data")
    assert "CAT role is removed" in done.text
    assert cat_role not in rig.fake.guilds[g].members[alice].roles
    assert await cat.get_volunteer(rig.db, g, alice) is None
    # Had the role been left behind (given again by hand), /cat leave takes it.
    rig.fake.guilds[g].members[alice].roles.append(cat_role)
    left = await rig.command("alice", "/cat leave")
    assert "the CAT role you still had is removed" in left.text
    assert cat_role not in rig.fake.guilds[g].members[alice].roles


# -- finding 5 (CAT): coordinators' views and exports are in the transparency log --------------


async def test_coordinators_views_and_the_logs_export_are_in_the_transparency_log(rig):
    await _units(rig)
    await rig.command("erin", "/setup coordinator member: dave")
    await _join(rig, "bob")
    await rig.command("bob", "/cat log unit: 700 concern: wages")
    for line in ("/catteam roster", "/catteam logs", "/catteam digest", "/catteam logs-export"):
        r = await rig.command("dave", line, **HIDDEN)
        assert "Can't do that" not in r.text, (line, r.text)
    click = await rig.click("dave", "Export the logs")
    sent = next(q for q in click.requests if q.files)
    [(name, data)] = sent.files
    assert name.startswith("cat-logs-")
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0][0] == "logged_at" and "recorded in the audit log" in sent.json["content"]
    assert rows[1][1] == "700" and rows[1][7] == "wages" and rows[1][8] == "Bob Diaz"
    log = await rig.command("alice", "/privacy log")
    for label in (
        "the CAT roster looked at by a coordinator",
        "conversation logs read by a coordinator",
        "the CAT weekly digest read by a coordinator",
        "conversation logs exported",
    ):
        assert label in log.text, label


def test_every_cat_event_the_log_declares_is_recorded_somewhere():
    from pathlib import Path

    from bot.privacy.transparency import TRANSPARENCY

    root = Path(__file__).resolve().parents[2]
    files = [p for d in ("bot", "cogs") for p in (root / d).rglob("*.py")]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    declared = [a for a in TRANSPARENCY if a.startswith("cat.")]
    never = [
        a
        for a in declared
        if f'"{a}"' not in source.replace(f'"{a}": ', "")  # the declaration itself
    ]
    assert never == []


# -- finding 6: concerns from the server's list only -------------------------------------------


async def test_free_text_concerns_are_refused_and_never_offered_back(rig):
    await _units(rig)
    await _join(rig, "bob")
    typed = "supervisor Dana Lee said she'd fire organizers"
    offered = await rig.autocomplete("bob", f"/cat log unit: 700 concern: {typed}")
    assert offered == []
    r = await rig.command("bob", f"/cat log unit: 700 concern: {typed}")
    assert "from this server's list only" in r.text and "Dana" not in r.text
    assert await rig.db.fetchval("SELECT count(*) FROM cat_conversation") == 0
    await rig.command("erin", "/setup coordinator member: dave")
    await rig.command("dave", "/catteam concerns add name: parking", **HIDDEN)
    ok = await rig.command("bob", "/cat log unit: 700 concern: Parking")
    assert "Logged 1 conversation" in ok.text and "parking" in ok.text


async def test_the_migration_turns_free_text_concerns_into_other(tmp_path):
    from bot.core.db import MIGRATIONS_DIR, load_migrations

    migrations = load_migrations()
    release = tmp_path / "before"
    release.mkdir()
    departures_step = next(m for m in migrations if m.name.endswith("_departures"))
    for m in migrations:
        if m.version < departures_step.version:
            (release / f"{m.name}.sql").write_text((MIGRATIONS_DIR / f"{m.name}.sql").read_text())
    db = Database(tmp_path / "x.db", migrations_dir=release)
    await db.open()
    await db.migrate()
    now = T0.isoformat()
    await db.execute(
        "INSERT INTO bargaining_unit (id, guild_id, code, name, created_at) "
        "VALUES (1, 5, '700', 'Editors', ?), (2, 6, '600', 'Camera', ?)",
        (now, now),
    )
    await db.execute(
        "INSERT INTO cat_concern (guild_id, name, created_at) VALUES (6, 'parking', ?)", (now,)
    )
    for cid, guild, unit in ((1, 5, 1), (2, 6, 2)):
        await db.execute(
            "INSERT INTO cat_conversation (id, guild_id, unit_id, count, logged_at) "
            "VALUES (?, ?, ?, 1, ?)",
            (cid, guild, unit, now),
        )
    for cid, concern in ((1, "Wages"), (1, "supervisor Dana Lee"), (1, "foreman Joe"),
                         (2, "parking"), (2, "wages"), (2, "boss Ann")):  # fmt: skip
        await db.execute("INSERT INTO cat_conversation_concern VALUES (?, ?)", (cid, concern))
    await db.close()
    db = Database(tmp_path / "x.db")
    await db.open()
    await db.migrate()
    rows = await db.fetchall(
        "SELECT conversation_id, concern FROM cat_conversation_concern ORDER BY 1, 2"
    )
    await db.close()
    # Server 5 has no list (the defaults): Wages stays. Server 6's list is parking (+ other).
    assert [tuple(r) for r in rows] == [(1, "Wages"), (1, "other"), (2, "other"), (2, "parking")]


# -- finding 7: the coordinators' channel must be private ---------------------------------------


async def test_the_coordinators_channel_must_be_private(rig):
    g = rig.demo.guild_id
    refused = await rig.command("erin", "/setup cat channel: general")
    assert "Everyone can see" in refused.text
    assert (await guild_settings.get(rig.db, g)).cat_channel_id is None
    ok = await rig.command("erin", "/setup cat channel: committee")
    assert "coordinators' channel: <#" in ok.text
    # Made public afterwards: the digest is not posted there, and the checks say so.
    committee = rig.fake.guilds[g].channels[rig.demo.channels["committee"]]
    committee.permission_overwrites = [
        o for o in committee.permission_overwrites if not (o["type"] == 0 and o["id"] == g)
    ] + [{"type": 0, "id": g, "allow": VIEW_CHANNEL, "deny": 0}]
    await rig.fake._send_dispatch("CHANNEL_UPDATE", committee.to_dict(rig.fake))
    await _units(rig)
    await _join(rig, "bob")
    rig.clock.advance(days=5, hours=1)
    await rig.idle()
    rows = await rig.db.fetchall(
        "SELECT d.state, d.reason FROM delivery d JOIN broadcast b ON b.id = d.broadcast_id "
        "WHERE b.kind = 'cat.digest'"
    )
    assert [tuple(r) for r in rows] == [("skipped", "channel_public")]
    checklist = await rig.command("erin", "/setup checklist")
    assert "Everyone can see the CAT coordinators' channel" in checklist.text
    check = await rig.command("erin", "/setup check")
    assert "CAT coordinators' privacy**: everyone can see #committee" in check.text


# -- finding 9: limits on logging ---------------------------------------------------------------


async def test_a_volunteer_cannot_flood_the_logs(rig):
    await _units(rig)
    await _join(rig, "bob")
    said = []
    for _ in range(cat.conversations.BURST_LOGS + 1):
        said.append((await rig.command("bob", "/cat log unit: 700")).text)
    assert all("Logged 1 conversation" in t for t in said[:-1])
    assert "wait until" in said[-1]
    for _ in range(4):
        rig.clock.advance(minutes=11)
        for _ in range(cat.conversations.BURST_LOGS):
            await rig.command("bob", "/cat log unit: 700")
    capped = await rig.command("bob", "/cat log unit: 700")
    assert "the most a day" in capped.text
    assert await rig.db.fetchval("SELECT count(*) FROM cat_conversation") == 50
    rig.clock.advance(days=1)
    assert "Logged 1" in (await rig.command("bob", "/cat log unit: 700")).text


# -- finding 10 (CAT): fail closed, and the coordinator's own permission -----------------------


async def test_an_unregistered_coordinator_sees_no_unit(rig):
    await _units(rig)
    await _join(rig, "bob")
    for line in ("/catteam roster", "/catteam logs", "/catteam coverage", "/catteam digest"):
        r = await rig.command("dave", line, **HIDDEN)
        assert "no units yet" in r.text and "Bob Diaz" not in r.text, line
    r = await rig.command("dave", "/cat unit unit: 700")
    assert "no units yet" in r.text
    await rig.command("erin", "/setup coordinator member: dave")
    assert "Bob Diaz" in (await rig.command("dave", "/catteam roster", **HIDDEN)).text


async def test_post_signup_checks_the_coordinators_own_permission(rig):
    g, dave = rig.demo.guild_id, rig.demo.user("dave")
    secret = rig.fake.add_channel(
        g,
        "bargaining-team",
        overwrites=[
            {"type": 0, "id": g, "allow": 0, "deny": VIEW_CHANNEL},
            {"type": 1, "id": rig.fake.bot_user.id, "allow": VIEW_CHANNEL, "deny": 0},
        ],
    )
    await rig.fake._send_dispatch("CHANNEL_CREATE", secret.to_dict(rig.fake))
    await rig.command("erin", "/setup coordinator member: dave")
    r = await rig.command("dave", "/catteam post-signup channel: bargaining-team", **HIDDEN)
    assert "You can't post in" in r.text
    assert not [m for m in rig.fake.messages[secret.id]]
    _ = dave
    ok = await rig.command("dave", "/catteam post-signup channel: cat", **HIDDEN)
    assert "on its way" in ok.text


def test_the_delivery_targets_refuse_an_unknown_requirement():
    with pytest.raises(ValueError):
        delivery.Target.dm(1, requires="admin")
    assert delivery.Target.dm(1, requires="coordinator").requires == "coordinator"
    assert delivery.Target.channel(2, private=True).requires == "private"
    _ = timedelta
