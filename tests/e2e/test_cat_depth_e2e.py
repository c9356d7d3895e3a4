"""The CAT as organizers run it, end to end: nested units with shifts and coverage,
list sizes, commitments and the supervisor confirmation, logging with levels and concerns,
the scale's labels, the 30-day distribution and the 14-day pulse, scoped visibility, the
weekly digest on a clock the test moves, the export's audit entry, a permission matrix and
200 volunteers logging at once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from bot import cat
from bot.core import timers, units
from tests.e2e.test_cat_e2e import burst, burst_rig  # noqa: F401 - the fixture, reused
from tests.support import T0

ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
AS_COORDINATOR = {"ignore_default_permissions": True}
FORM = {
    "Your name as the union knows it": "Alice Ng",
    "Bargaining unit": "700",
    "Department or craft": "Assistant editors",
    "Shift or availability": "days",
    "Preferred contact": "Discord DM",
}


@pytest.fixture
async def org(rig):
    """A local with two sub-units; 700 has days (30) and nights (10)."""
    db, g = rig.db, rig.demo.guild_id
    await units.add(db, g, "IA", "IATSE West", None, T0)
    await units.add(db, g, "700", "Local 700 Editors", None, T0, parent_code="IA", member_count=40)
    await units.add(db, g, "600", "Local 600 Camera", None, T0, parent_code="IA", member_count=20)
    # dave holds the coordinator role; an admin registered him (every unit).
    await cat.set_scope(db, g, rig.demo.user("dave"), None, None, T0)
    r = await rig.command(
        "dave", "/catteam shift set unit: 700 name: days members: 30", **AS_COORDINATOR
    )
    assert "days" in r.text and "30 members" in r.text
    await rig.command(
        "dave", "/catteam shift set unit: 700 name: nights members: 10", **AS_COORDINATOR
    )
    return rig


async def join(rig, user: str, *, supervisor_ok: bool = True, **changes: str):
    first = await rig.command(user, "/cat join")
    if first.modal is None:
        label = (
            "I commit: open the form" if supervisor_ok else "I can't confirm the supervisor part"
        )
        opened = await rig.click(user, label)
        assert opened.modal is not None
    return await rig.submit(user, {**FORM, **changes})


async def test_nested_units_shifts_coverage_uncovered_and_shortfall(org):
    rig = org
    await join(rig, "alice")
    await join(rig, "bob", **{"Your name as the union knows it": "Bob Diaz"})
    rows = await rig.db.fetchall("SELECT shift_id FROM cat_volunteer")
    assert all(r["shift_id"] for r in rows)  # "days" matched the unit's shift
    cov = await rig.command("dave", "/catteam coverage", **AS_COORDINATOR)
    fields = {f["name"]: f["value"] for f in cov.embeds[0]["fields"]}
    # The local counts its sub-units: 60 members, 2 volunteers, 1:30 against 1:10.
    assert (
        "60 members, 2 volunteer(s): 1:30 against 1:10 (**4 more** needed)" in fields["IATSE West"]
    )
    editors = fields["↳ Local 700 Editors"]
    assert "· days: 30 members, 2 volunteer(s), 1:15 (1 more)" in editors
    assert "· nights: 10 members, 0 volunteer(s) — **uncovered**" in editors
    assert "Local 700 Editors, nights: uncovered" in cov.embeds[0]["description"]
    assert "Local 600 Camera: uncovered" in cov.embeds[0]["description"]
    [png] = cov.reply["attachments"]
    assert png["filename"] == "cat-coverage.png"
    # A unit's own target overrides the server's (1:20 for a freelance local).
    r = await rig.command("dave", "/catteam unit unit: 700 ratio: 20", **AS_COORDINATOR)
    assert "one volunteer per 20" in r.text
    cov = await rig.command("dave", "/catteam coverage", **AS_COORDINATOR)
    editors = {f["name"]: f["value"] for f in cov.embeds[0]["fields"]}["↳ Local 700 Editors"]
    assert "40 members, 2 volunteer(s): 1:20 against 1:20 ✓" in editors
    # Organizers see the same aggregates with /cat coverage; members don't.
    assert "CAT coverage" in (await rig.command("carol", "/cat coverage")).text
    assert "for CAT coordinators" in (await rig.command("alice", "/cat coverage")).text


async def test_bad_counts_and_unknown_shifts_are_refused_and_nothing_is_saved(org):
    rig = org
    too_many = await rig.command(
        "dave", "/catteam shift set unit: 700 name: swing members: 5", **AS_COORDINATOR
    )
    assert too_many.ephemeral and "would add up to 45" in too_many.text
    negative = await rig.command("dave", "/catteam unit unit: 700 members: -3", **AS_COORDINATOR)
    assert "can't be negative" in negative.text
    assert await rig.db.fetchval("SELECT count(*) FROM unit_shift") == 2
    await join(rig, "alice")
    unknown = await rig.command("alice", "/cat log unit: 700 shift: graveyard level: 2")
    assert "has no shift `graveyard`" in unknown.text and "days, nights" in unknown.text
    bad_level = await rig.command("alice", "/cat log unit: 700 level: 7")
    assert "A level is one of" in bad_level.text and "1 is the strongest" in bad_level.text
    over = await rig.command("alice", "/cat log unit: 700 shift: nights conversations: 11")
    assert "10 members on record" in over.text
    assert await rig.db.fetchval("SELECT count(*) FROM cat_conversation") == 0


async def test_list_size_warnings_are_kind(org):
    rig = org
    await join(rig, "alice")
    short = await rig.command("alice", "/cat details list_size: 5")
    assert "short list, and that's fine" in short.text
    fine = await rig.command("alice", "/cat details list_size: 9 shift: nights")
    assert fine.text.startswith("Saved.") and "short list" not in fine.text
    assert "nights" in fine.text
    big = await rig.command("alice", "/cat details list_size: 36")
    assert "a lot for one person" in big.text and "one volunteer for every 10" in big.text
    row = await rig.db.fetchone("SELECT list_size FROM cat_volunteer")
    assert row["list_size"] == 36
    over = await rig.command("alice", "/cat details list_size: 41")
    assert "40 members on record" in over.text


async def test_commitments_are_the_servers_and_required(org):
    rig = org
    r = await rig.command(
        "dave", "/catteam commitments add text: Wear red on Thursdays", **AS_COORDINATOR
    )
    assert "6. Wear red on Thursdays" in r.text
    await rig.command("dave", "/catteam commitments remove number: 4", **AS_COORDINATOR)
    shown = await rig.command("alice", "/cat commitments")
    assert "Wear red on Thursdays" in shown.text and "regular CAT meetings" not in shown.text
    first = await rig.command("alice", "/cat join")
    # The form does not open until the commitments (and the supervisor line) are accepted.
    assert first.modal is None and "Wear red on Thursdays" in first.text
    assert "supervise none of the coworkers" in first.text
    assert await rig.db.fetchval("SELECT count(*) FROM cat_volunteer") == 0
    lone = await rig.command("dave", "/catteam commitments remove number: 9", **AS_COORDINATOR)
    assert "Pick a number from 1 to 5" in lone.text


async def test_supervisor_confirmation_path_pending_without_role_until_approved(org):
    rig = org
    done = await join(rig, "alice", supervisor_ok=False)
    assert "talk it over with you first" in done.text
    assert done.find("PUT", ROLE_ROUTE) == []
    row = await rig.db.fetchone("SELECT status, supervises_none FROM cat_volunteer")
    assert (row["status"], row["supervises_none"]) == ("pending", 0)
    refused = await rig.command("alice", "/cat log unit: 700")
    assert "waiting for a coordinator's approval" in refused.text
    approved = await rig.command("dave", "/catteam approve member: alice", **AS_COORDINATOR)
    assert len(approved.find("PUT", ROLE_ROUTE)) == 1
    trained = await rig.command(
        "dave", "/catteam training member: alice date: 2024-07-02", **AS_COORDINATOR
    )
    assert "Training recorded" in trained.text
    assert (await cat.get_volunteer(rig.db, rig.demo.guild_id, rig.demo.users["alice"])).training_at


async def test_logging_levels_concerns_log_another_and_the_scale(org):
    rig = org
    await join(rig, "alice")
    levels = await rig.autocomplete("alice", "/cat log unit: 700 level: ")
    assert levels[0]["name"] == "1 leader (strongest)" and levels[-1]["value"] == 0
    r = await rig.command(
        "alice",
        "/cat log unit: 700 level: 2 method: phone shift: days concern: wages concern2: AI "
        "concern3: health",
    )
    assert "Level: **2 supporter**" in r.text and "1 is the strongest" in r.text
    again = await rig.click("alice", "Log another")
    assert again.modal is not None
    done = await rig.submit(
        "alice", {"level": "4", "method": "text", "shift": "nights", "concerns": "wages"}
    )
    assert "Level: **4 not interested**" in done.text and "nights" in done.text
    rows = await rig.db.fetchall("SELECT * FROM cat_conversation ORDER BY id")
    assert [(r["level"], r["method"], r["count"]) for r in rows] == [
        (2, "phone", 1),
        (4, "text", 1),
    ]
    heard = await rig.db.fetchall(
        "SELECT concern FROM cat_conversation_concern WHERE conversation_id = ? ORDER BY concern",
        (rows[0]["id"],),
    )
    assert [h["concern"] for h in heard] == ["AI", "health", "wages"]
    # A log with no assessment records 0, never NULL.
    await rig.command("alice", "/cat log unit: 700")
    assert await rig.db.fetchval("SELECT level FROM cat_conversation ORDER BY id DESC") == 0
    # Renaming keeps the number; a level in use is never retired; an unused one may be.
    renamed = await rig.command(
        "dave", "/catteam levels rename level: 5 label: anti", **AS_COORDINATOR
    )
    assert (
        "**5** anti (strongest opposition)" in renamed.text
        and "**1** leader (strongest support)" in renamed.text
    )
    refused = await rig.command("dave", "/catteam levels retire level: 2", **AS_COORDINATOR)
    assert "in use by 1 logged conversation(s)" in refused.text and "never deleted" in refused.text
    assert await rig.db.fetchval("SELECT count(*) FROM cat_level WHERE level = 2") == 0
    retired = await rig.command("dave", "/catteam levels retire level: 5", **AS_COORDINATOR)
    assert "anti (strongest opposition) · retired" in retired.text
    gone = await rig.command("alice", "/cat log unit: 700 level: 5")
    assert "A level is one of" in gone.text


async def test_distribution_and_pulse_from_the_data(org):
    rig = org
    await join(rig, "alice")
    await rig.command("alice", "/cat log unit: 700 level: 4 concern: hours")  # 46 days ago
    rig.clock.advance(days=25)
    for line in (  # 21 days ago: the 14 days before the last 14
        "/cat log unit: 700 level: 1 concern: wages conversations: 2",
        "/cat log unit: 700 level: 3 concern: AI",
    ):
        await rig.command("alice", line)
    rig.clock.advance(days=10)
    for line in (  # 11 days ago: the last 14 days
        "/cat log unit: 700 level: 2 concern: wages",
        "/cat log unit: 700 level: 2 concern: AI conversations: 3",
        "/cat log unit: 700 level: 5",
    ):
        await rig.command("alice", line)
    rig.clock.advance(days=11)
    r = await rig.command("alice", "/cat unit")
    levels, pulse = r.embeds
    assert "levels, last 30 days" in levels["title"]
    assert "1 is the strongest" in levels["footer"]["text"]
    text = levels["description"]
    assert "**1** leader · strongest: 2 (25%)" in text and "**2** supporter: 4 (50%)" in text
    assert "**4** not interested: 0" in text  # 46 days old: outside the 30 days
    assert "**AI**: 3 in the last 14 days (previous 14: 1) ↑" in pulse["description"]
    assert "**wages**: 1 in the last 14 days (previous 14: 2) ↓" in pulse["description"]
    assert "hours" not in pulse["description"]
    [png] = r.reply["attachments"]
    assert png["filename"] == "cat-unit-700.png"
    # The committee and organizers see aggregates of any unit; a member of none sees nothing.
    assert "levels, last 30 days" in (await rig.command("carol", "/cat unit unit: 600")).text
    refused = await rig.command("bob", "/cat unit unit: 700")
    assert "for that unit's CAT volunteers" in refused.text


async def test_scoped_visibility_and_scoped_export(org):
    rig = org
    await join(rig, "alice")
    await join(
        rig,
        "bob",
        **{
            "Your name as the union knows it": "Bob Diaz",
            "Bargaining unit": "600",
            "Shift or availability": "any",
        },
    )
    await rig.command("alice", "/cat log unit: 700 level: 2 concern: wages")
    await rig.command("bob", "/cat log unit: 600 level: 3 concern: AI")
    await rig.db.execute("DELETE FROM cat_coordinator")  # dave not yet registered
    bad = await rig.command("erin", "/setup coordinator member: dave units: 600, 999")
    assert "No bargaining unit `999`" in bad.text
    assert await rig.db.fetchval("SELECT count(*) FROM cat_coordinator") == 0
    ok = await rig.command("erin", "/setup coordinator member: dave units: 600")
    assert "coordinates Local 600 Camera" in ok.text
    logs = await rig.command("dave", "/catteam logs", **AS_COORDINATOR)
    assert "Local 600 Camera" in logs.text and "Local 700" not in logs.text
    assert "Bob Diaz" in logs.text and "Alice" not in logs.text
    refused = await rig.command("dave", "/catteam logs unit: 700", **AS_COORDINATOR)
    assert "outside the units you coordinate" in refused.text
    roster = await rig.command("dave", "/catteam roster", **AS_COORDINATOR)
    assert "Bob Diaz" in roster.text and "Alice" not in roster.text
    nope = await rig.command("dave", "/catteam approve member: alice", **AS_COORDINATOR)
    assert "outside the units you coordinate" in nope.text
    await rig.command("dave", "/catteam export", **AS_COORDINATOR)
    click = await rig.click("dave", "Export the roster")
    [(_, data)] = next(q for q in click.requests if q.files).files
    assert b"Bob Diaz" in data and b"Alice" not in data
    # The export is audited once, with its scope (one unit), never its content.
    [entry] = await rig.db.fetchall("SELECT * FROM audit_log WHERE action = 'cat.export'")
    assert "scope=1" in entry["detail"] and "Bob" not in entry["detail"]
    # Volunteers see their own logs only.
    mine = await rig.command("alice", "/cat mylogs")
    assert "Local 700 Editors" in mine.text and "600" not in mine.text
    # The admin is never scoped.
    everything = await rig.command("erin", "/catteam logs")
    assert "Local 700 Editors" in everything.text and "Local 600 Camera" in everything.text


async def test_weekly_digest_to_each_coordinator_on_the_clock(org):
    rig = org
    g = rig.demo.guild_id
    await join(rig, "alice")
    await join(rig, "bob", supervisor_ok=False, **{"Your name as the union knows it": "Bob Diaz"})
    await rig.command("alice", "/cat log unit: 700 shift: days level: 2")
    await rig.command("erin", "/setup coordinator member: dave units: IA")
    [timer] = await timers.for_subject(rig.db, cat.DIGEST_KIND, g)
    # T0 is Wednesday 10:00 in Los Angeles; the digest is due on Monday at 09:00 there.
    assert timer.due_at.isoformat() == "2024-07-15T16:00:00+00:00"
    rig.clock.advance(days=4)
    await rig.settle()
    assert not await rig.db.fetchall("SELECT * FROM broadcast WHERE kind = 'cat.digest'")
    rig.clock.advance(days=1, hours=1)
    fired = await rig.idle()
    [dm] = fired.dms()
    assert rig.fake.find_channel(dm.channel_id).recipient_id == rig.demo.user("dave")
    digests = await rig.db.fetchall("SELECT * FROM broadcast WHERE kind = 'cat.digest'")
    assert len(digests) == 1
    text = dm.embeds[0]["description"]
    assert "Sign-ups waiting for approval:** Bob Diaz" in text and "supervisor question" in text
    assert "Local 700 Editors, nights" in text and "Local 600 Camera" in text
    assert "Local 700 Editors, days" not in text
    assert "1 active volunteer(s), +1 since last week" in text
    # Next week's is scheduled; a month on, alice has gone quiet and is named to check in with.
    pending = [
        t for t in await timers.for_subject(rig.db, cat.DIGEST_KIND, g) if t.state == "pending"
    ]
    assert len(pending) == 1 and pending[0].due_at - timer.due_at == timedelta(days=7)
    for _ in range(5):
        rig.clock.advance(days=7)
        await rig.settle()
    last = json.loads(
        await rig.db.fetchval(
            "SELECT payload FROM broadcast WHERE kind = 'cat.digest' ORDER BY id DESC LIMIT 1"
        )
    )["embeds"][0]["description"]
    assert "To check in with (no log in 30 days):** Alice Ng" in last


MATRIX = [
    # (command, who may: a subset of alice (volunteer), carol (organizer), dave (coordinator),
    #  erin (admin)); everyone else is refused with a message naming who it is for.
    ("/cat log unit: 700", {"alice"}),
    ("/cat mylogs", {"alice"}),
    ("/cat details list_size: 10", {"alice"}),
    ("/cat unit unit: 700", {"alice", "carol", "dave", "erin"}),
    ("/cat coverage", {"carol", "dave", "erin"}),
    ("/cat commitments", {"alice", "bob", "carol", "dave", "erin"}),
    ("/catteam coverage", {"dave", "erin"}),
    ("/catteam roster", {"dave", "erin"}),
    ("/catteam export", {"dave", "erin"}),
    ("/catteam logs", {"dave", "erin"}),
    ("/catteam digest", {"dave", "erin"}),
    ("/catteam levels list", {"dave", "erin"}),
    ("/catteam levels rename level: 3 label: unsure", {"dave", "erin"}),
    ("/catteam levels retire level: 4", {"dave", "erin"}),
    ("/catteam levels restore level: 4", {"dave", "erin"}),
    ("/catteam commitments list", {"dave", "erin"}),
    ("/catteam commitments add text: Wear red", {"dave", "erin"}),
    ("/catteam shift set unit: 600 name: swing", {"dave", "erin"}),
    ("/catteam unit unit: 600 ratio: 15", {"dave", "erin"}),
    ("/catteam training member: alice date: 2024-07-01", {"dave", "erin"}),
    ("/setup coordinator member: dave units: 700", {"erin"}),
]
REFUSALS = (
    "This is for",
    "is for CAT coordinators",
    "for that unit's CAT",
    "not on the CAT",
    "Only CAT volunteers",
    "are for",
)


@pytest.mark.parametrize(("line", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
async def test_permission_matrix(org, line, allowed):
    rig = org
    await join(rig, "alice")
    for user in ("alice", "bob", "carol", "dave", "erin"):
        r = await rig.command(user, line, ignore_default_permissions=True)
        refused = any(marker in r.text for marker in REFUSALS)
        assert refused != (user in allowed), f"{user}: {line}: {r.text[:200]}"
        if user not in allowed:
            assert r.ephemeral and not r.reply.get("attachments")


async def test_200_volunteers_logging_at_once_are_recorded_once_each(burst_rig):  # noqa: F811
    rig = burst_rig
    g = rig.demo.guild_id
    names = [f"v{i:03d}" for i in range(200)]
    for name in names:
        user = rig.fake.add_user(name)
        rig.fake.add_member(rig.fake.guilds[g], user, [])
        await cat.sign_up(
            rig.db,
            g,
            user.id,
            T0,
            name=name,
            unit="700",
            department="d",
            availability="days",
            contact="DM",
        )
    async with burst(rig):
        await asyncio.gather(
            *(rig.command(n, "/cat log unit: 700 level: 2 concern: wages") for n in names)
        )
    rows = await rig.db.fetchall(
        "SELECT volunteer_id, count(*) AS n FROM cat_conversation GROUP BY volunteer_id"
    )
    assert len(rows) == 200 and {r["n"] for r in rows} == {1}
    assert await rig.db.fetchval("SELECT count(*) FROM cat_conversation_concern") == 200


async def test_digest_goes_to_the_coordination_channel_when_no_coordinator_is_registered(org):
    rig = org
    await rig.db.execute("DELETE FROM cat_coordinator")  # no coordinator registered
    await rig.command("erin", "/setup cat channel: committee")
    await join(rig, "alice")
    rig.clock.advance(days=5, hours=1)  # past Monday 09:00 in Los Angeles
    fired = await rig.idle()
    posts = [m for m in fired.messages if not m.is_dm]
    assert len(posts) == 1 and posts[0].channel_id == rig.demo.channels["committee"]
    assert "CAT weekly digest" in posts[0].embeds[0]["title"]
    assert "Local 700 Editors, nights" in posts[0].embeds[0]["description"]
