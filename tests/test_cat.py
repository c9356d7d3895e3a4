"""The CAT domain on a temporary database: sign-ups, leaving, approval, logs, coverage, export."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

import pytest

from bot import cat, privacy
from bot.core import audit, charts, units
from bot.core.errors import Conflict, NotFound, UserError
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db

FORM = {
    "name": "Ana Ruiz",
    "unit": "700",
    "department": "Assistant editors",
    "availability": "Days",
    "contact": "Discord DM",
}


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await units.add(database, GUILD, "700", "Local 700 Editors", None, T0, member_count=25)
    await units.add(database, GUILD, "600", "Local 600 Camera", None, T0, member_count=100)
    await units.add(database, GUILD, "44", "Local 44 Props", None, T0)
    for guild in (GUILD, OTHER_GUILD):  # the CAT takes sign-ups once the checklist is read
        await privacy.acknowledge_checklist(database, guild, None, T0)
    yield database
    await database.close()


async def deliveries(db, kind):
    return await db.fetchall(
        "SELECT d.target_kind, d.target_id FROM delivery d JOIN broadcast b "
        "ON b.id = d.broadcast_id WHERE b.kind = ?",
        (kind,),
    )


async def test_sign_up_records_once_and_queues_a_welcome_dm(db):
    first = await cat.sign_up(db, GUILD, 1, T0, **FORM)
    assert first.joined and first.previous_status is None
    v = first.volunteer
    assert (v.status, v.unit_code, v.display_name, v.department) == (
        "active",
        "700",
        "Ana Ruiz",
        "Assistant editors",
    )
    again = await cat.sign_up(
        db, GUILD, 1, T0 + timedelta(days=1), **{**FORM, "availability": "Nights", "unit": "600"}
    )
    assert not again.joined and again.previous_status == "active"
    assert again.volunteer.availability == "Nights" and again.volunteer.unit_code == "600"
    assert again.volunteer.joined_at == T0  # the first sign-up's date stays
    assert await db.fetchval("SELECT count(*) FROM cat_volunteer") == 1
    assert [tuple(r) for r in await deliveries(db, "cat.welcome")] == [("dm", 1)]


async def test_concurrent_sign_ups_never_duplicate(db):
    await asyncio.gather(*(cat.sign_up(db, GUILD, 1 + i % 50, T0, **FORM) for i in range(200)))
    assert await db.fetchval("SELECT count(*) FROM cat_volunteer") == 50
    assert len(await deliveries(db, "cat.welcome")) == 50


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "   "}, "The name is empty"),
        ({"contact": "x" * 101}, "keep it to 100"),
        ({"department": ""}, "department or craft is empty"),
        ({"unit": "999"}, "No bargaining unit `999`"),
    ],
)
async def test_bad_forms_are_refused_and_nothing_is_saved(db, change, message):
    with pytest.raises(UserError, match=message):
        await cat.sign_up(db, GUILD, 1, T0, **{**FORM, **change})
    assert await db.fetchval("SELECT count(*) FROM cat_volunteer") == 0
    assert await db.fetchval("SELECT count(*) FROM broadcast") == 0


async def test_units_of_another_server_are_unknown(db):
    with pytest.raises(NotFound):
        await cat.sign_up(db, OTHER_GUILD, 1, T0, **FORM)


async def test_approval_mode_leave_remove_and_rejoin(db):
    pending = await cat.sign_up(db, GUILD, 2, T0, **FORM, requires_approval=True)
    assert pending.volunteer.status == "pending"
    with pytest.raises(UserError, match="waiting for a coordinator"):
        await cat.log_conversations(db, GUILD, 2, T0, count=1, unit="700")
    approved = await cat.approve(db, GUILD, 2, 99, T0 + timedelta(hours=1))
    assert approved.status == "active" and approved.approved_by == 99
    left = await cat.leave(db, GUILD, 2, T0 + timedelta(days=2))
    assert left.status == "left" and left.left_at == T0 + timedelta(days=2)
    with pytest.raises(NotFound):
        await cat.leave(db, GUILD, 2, T0 + timedelta(days=2))
    back = await cat.sign_up(db, GUILD, 2, T0 + timedelta(days=3), **FORM)
    assert back.joined and back.volunteer.status == "active" and back.volunteer.left_at is None
    removed = await cat.remove(db, GUILD, 2, 99, T0 + timedelta(days=4))
    assert removed.status == "removed"
    # Back after a removal: a coordinator has to approve, whatever the server's mode.
    again = await cat.sign_up(db, GUILD, 2, T0 + timedelta(days=5), **FORM)
    assert again.volunteer.status == "pending"
    actions = [e.action for e in await audit.recent(db, GUILD)]
    assert actions[:2] == ["cat.remove", "cat.approve"]
    details = " ".join(f"{e.subject} {e.detail}" for e in await audit.recent(db, GUILD))
    assert "Ana" not in details  # no personal data in the audit log


async def test_approve_refuses_members_who_left(db):
    with pytest.raises(NotFound):
        await cat.approve(db, GUILD, 3, 99, T0)
    await cat.sign_up(db, GUILD, 3, T0, **FORM)
    await cat.leave(db, GUILD, 3, T0)
    with pytest.raises(Conflict, match="left"):
        await cat.approve(db, GUILD, 3, 99, T0)


async def test_log_conversations_validates_and_canonicalises_concerns(db):
    with pytest.raises(UserError, match="join with `/cat join`"):
        await cat.log_conversations(db, GUILD, 1, T0, count=2, unit="700")
    await cat.sign_up(db, GUILD, 1, T0, **FORM)
    logged = await cat.log_conversations(db, GUILD, 1, T0, count=3, unit="700", concern="WAGES")
    assert (logged.count, logged.concern, logged.week_total) == (3, "wages", 3)
    # Free text is refused (it could name a coworker): nothing written, the list's only.
    with pytest.raises(UserError, match="from this server's list only"):
        await cat.log_conversations(db, GUILD, 1, T0, count=1, unit="600", concern="parking")
    other = await cat.log_conversations(db, GUILD, 1, T0, count=1, unit="600", concern=" Other ")
    assert other.concern == "other" and other.week_total == 4
    with pytest.raises(UserError, match="25 members on record"):
        await cat.log_conversations(db, GUILD, 1, T0, count=26, unit="700")
    with pytest.raises(UserError, match="between 1 and"):
        await cat.log_conversations(db, GUILD, 1, T0, count=0, unit="700")
    with pytest.raises(NotFound):
        await cat.log_conversations(db, GUILD, 1, T0, count=1, unit="nope")
    assert await db.fetchval("SELECT count(*) FROM cat_conversation") == 2


async def test_coverage_from_the_data(db):
    for user in (1, 2):
        await cat.sign_up(db, GUILD, user, T0, **FORM)
    await cat.sign_up(db, GUILD, 3, T0, **{**FORM, "unit": "600"}, requires_approval=True)
    await cat.sign_up(db, GUILD, 4, T0, **{**FORM, "unit": "600"})
    await cat.leave(db, GUILD, 4, T0)
    # Last week (T0 is Wednesday 2024-07-10, 10:00 in Los Angeles), then this week.
    await cat.log_conversations(
        db, GUILD, 1, T0 - timedelta(days=7), count=5, unit="700", concern="AI"
    )
    await cat.log_conversations(db, GUILD, 1, T0, count=2, unit="700", concern="wages")
    await cat.log_conversations(db, GUILD, 2, T0, count=4, unit="700", concern="wages")
    await cat.log_conversations(db, GUILD, 2, T0, count=1, unit="600")
    cov = await cat.coverage(db, GUILD, T0, ratio=10, timezone="America/Los_Angeles")
    by = {u.code: u for u in cov.units}
    editors, camera, props = by["700"], by["600"], by["44"]
    assert (editors.member_count, editors.volunteers, editors.target, editors.shortfall) == (
        25,
        2,
        3,
        1,
    )
    assert (editors.conversations_week, editors.conversations_total) == (6, 11)
    assert editors.top_concerns == [("wages", 6), ("AI", 5)]
    assert (camera.volunteers, camera.pending, camera.target, camera.shortfall) == (0, 1, 10, 10)
    assert props.target is None and props.shortfall is None
    assert (cov.volunteers, cov.members, cov.conversations_week, cov.conversations_total) == (
        2,
        125,
        7,
        12,
    )
    assert cov.week_start.isoformat() == "2024-07-08T07:00:00+00:00"  # Monday 00:00 in LA
    one_to_twenty = await cat.coverage(db, GUILD, T0, ratio=20)
    assert {u.code: u.target for u in one_to_twenty.units}["600"] == 5
    png = cat.coverage_chart(cov)
    assert png.startswith(charts.PNG_SIGNATURE)


async def test_roster_filters_pages_and_export(db):
    for user in range(1, 13):
        await cat.sign_up(db, GUILD, user, T0, **{**FORM, "name": f"Member {user:02}"})
    await cat.sign_up(
        db, GUILD, 20, T0, **{**FORM, "unit": "600", "name": "=HYPERLINK()"}, requires_approval=True
    )
    assert await cat.roster_count(db, GUILD) == 13
    first = await cat.roster(db, GUILD, limit=10)
    assert [v.unit_code for v in first][:1] == ["600"] and len(first) == 10
    unit = await units.find(db, GUILD, "700")
    assert await cat.roster_count(db, GUILD, unit_id=unit.id) == 12
    assert [v.user_id for v in await cat.roster(db, GUILD, status="pending")] == [20]
    with pytest.raises(UserError):
        await cat.roster(db, GUILD, status="bogus")
    await cat.log_conversations(db, GUILD, 1, T0, count=3, unit="700")
    data, count = await cat.export_csv(db, GUILD, 99, T0)
    # A spreadsheet opens it as it is: the header is the first line, one column per fact.
    header = data.decode().split("\r\n", 1)[0]
    assert header.startswith("user_id,name,unit,shift,department_or_craft,availability,")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert count == 13 and len(rows) == 13
    assert rows[0]["name"] == "'=HYPERLINK()" and rows[0]["status"] == "pending"
    member1 = next(r for r in rows if r["user_id"] == "1")
    assert member1["conversations_logged"] == "3" and member1["unit"] == "700"
    entry = (await audit.recent(db, GUILD))[0]
    assert entry.action == "cat.export" and entry.actor_id == 99 and "rows=13" in entry.detail


async def test_concern_list_defaults_and_edits(db):
    assert await cat.concern_list(db, GUILD) == list(cat.DEFAULT_CONCERNS)
    listed = await cat.add_concern(db, GUILD, "Parking", 9, T0)
    assert listed[-1] == "Parking" and "wages" in listed
    with pytest.raises(Conflict):
        await cat.add_concern(db, GUILD, "parking", 9, T0)
    assert "wages" not in await cat.remove_concern(db, GUILD, "wages", 9, T0)
    with pytest.raises(NotFound):
        await cat.remove_concern(db, GUILD, "wages", 9, T0)


async def test_role_failure_is_reported_to_coordinators(db):
    await cat.sign_up(db, GUILD, 1, T0, **FORM)
    await cat.report_role_failure(db, GUILD, 1, T0, channel_id=555, why="the role is too high.")
    v = await cat.get_volunteer(db, GUILD, 1)
    assert v.role_state == "failed"
    assert [tuple(r) for r in await deliveries(db, "cat.role_failed")] == [("channel", 555)]
    assert (await cat.coverage(db, GUILD, T0)).role_failures == 1


# -- shifts, scale, scopes, commitments, digest ------------------------------------------


async def test_shifts_coverage_ratio_and_uncovered(db):
    await cat.set_shift(db, GUILD, "700", "days", 9, T0, member_count=20)
    await cat.set_shift(db, GUILD, "700", "nights", 9, T0, member_count=5)
    with pytest.raises(UserError, match="would add up to 26"):
        await cat.set_shift(db, GUILD, "700", "swing", 9, T0, member_count=1)
    with pytest.raises(UserError, match="negative"):
        await cat.set_shift(db, GUILD, "700", "swing", 9, T0, member_count=-1)
    with pytest.raises(UserError, match="shifts already count 25"):
        await cat.set_unit(db, GUILD, "700", 9, T0, member_count=24)
    for user in (1, 2):
        await cat.sign_up(db, GUILD, user, T0, **FORM)  # "Days" matches the shift "days"
    cov = await cat.coverage(db, GUILD, T0, ratio=10)
    editors = next(u for u in cov.units if u.code == "700")
    days, nights = editors.shifts
    assert (days.volunteers, days.target, days.shortfall, days.uncovered) == (2, 2, 0, False)
    assert (nights.volunteers, nights.target, nights.shortfall) == (0, 1, 1)
    assert cat.ratio_text(days.member_count, days.volunteers) == "1:10"
    assert "Local 700 Editors, nights" in cov.uncovered and "Local 600 Camera" in cov.uncovered
    await cat.set_unit(db, GUILD, "600", 9, T0, ratio=20)
    cov = await cat.coverage(db, GUILD, T0, ratio=10)
    assert {u.code: u.target for u in cov.units}["600"] == 5
    assert cat.coverage_chart(cov).startswith(charts.PNG_SIGNATURE)
    with pytest.raises(Conflict, match="has volunteers"):
        await cat.remove_shift(db, GUILD, "700", "days", 9, T0)
    await cat.remove_shift(db, GUILD, "700", "nights", 9, T0)


async def test_nested_units_roll_up_and_inherit_the_target(db):
    await units.add(db, GUILD, "W", "West", None, T0)
    await units.edit(db, GUILD, "700", None, T0, parent_code="W")
    await units.edit(db, GUILD, "600", None, T0, parent_code="W")
    await cat.set_unit(db, GUILD, "W", 9, T0, ratio=20)
    await cat.sign_up(db, GUILD, 1, T0, **FORM)
    cov = await cat.coverage(db, GUILD, T0, ratio=10)
    by = {u.code: u for u in cov.units}
    assert [u.code for u in cov.units][:3] == ["44", "W", "600"]
    assert (by["W"].member_count, by["W"].volunteers, by["W"].depth) == (125, 1, 0)
    assert (by["700"].ratio, by["700"].target, by["700"].depth) == (20, 2, 1)
    assert cov.volunteers == 1 and cov.members == 125


async def test_levels_and_concerns_on_a_log(db):
    await cat.sign_up(db, GUILD, 1, T0, **FORM)
    logged = await cat.log_conversations(
        db, GUILD, 1, T0, unit="700", level=1, method="Phone", concerns=["wages", "AI", "Wages"]
    )
    assert (logged.level, logged.level_label, logged.method) == (1, "leader", "phone")
    assert logged.concerns == ("wages", "AI")
    plain = await cat.log_conversations(db, GUILD, 1, T0, unit="700")
    assert plain.level == 0 and plain.level_label == "not assessed"
    with pytest.raises(UserError, match="at most 3 concerns"):
        await cat.log_conversations(db, GUILD, 1, T0, unit="700", concerns=["a", "b", "c", "d"])
    with pytest.raises(UserError, match="A level is one of"):
        await cat.log_conversations(db, GUILD, 1, T0, unit="700", level=6)
    with pytest.raises(UserError, match="in person, phone, text, video"):
        await cat.log_conversations(db, GUILD, 1, T0, unit="700", method="carrier pigeon")
    assert await db.fetchval("SELECT count(*) FROM cat_conversation") == 2
    scale = await cat.rename_level(db, GUILD, 1, "core leader", 9, T0)
    assert scale.label(1) == "core leader"
    with pytest.raises(Conflict, match="never deleted or renumbered"):
        await cat.retire_level(db, GUILD, 1, 9, T0)
    scale = await cat.retire_level(db, GUILD, 4, 9, T0)
    assert 4 not in scale.offered and scale.label(4) == "not interested"
    with pytest.raises(UserError, match="1 to 5"):
        await cat.rename_level(db, GUILD, 0, "x", 9, T0)
    scale = await cat.restore_level(db, GUILD, 4, 9, T0)
    assert 4 in scale.offered


async def test_report_distribution_and_pulse(db):
    await cat.sign_up(db, GUILD, 1, T0, **FORM)
    unit = await units.find(db, GUILD, "700")
    await cat.log_conversations(db, GUILD, 1, T0 - timedelta(days=40), unit="700", level=2)
    await cat.log_conversations(
        db, GUILD, 1, T0 - timedelta(days=20), unit="700", level=2, concern="wages", count=2
    )
    await cat.log_conversations(
        db, GUILD, 1, T0 - timedelta(days=3), unit="700", level=3, concern="AI"
    )
    report = await cat.unit_report(db, GUILD, unit, T0)
    assert report.distribution == {0: 0, 1: 0, 2: 2, 3: 1, 4: 0, 5: 0}
    assert report.pulse == [("AI", 1, 0), ("wages", 0, 2)]
    assert cat.unit_chart(report).startswith(charts.PNG_SIGNATURE)


async def test_scopes_refuse_other_servers_units_and_save_nothing(db):
    await units.add(db, OTHER_GUILD, "900", "Elsewhere", None, T0)
    with pytest.raises(NotFound):
        await cat.set_scope(db, GUILD, 5, "700, 900", 9, T0)
    assert await db.fetchval("SELECT count(*) FROM cat_coordinator") == 0
    assert await cat.scope_of(db, GUILD, 5) is None
    await cat.set_scope(db, GUILD, 5, "600", 9, T0)
    scope = await cat.scope_of(db, GUILD, 5)
    assert scope == {(await units.find(db, GUILD, "600")).id}
    await cat.set_scope(db, GUILD, 5, None, 9, T0)  # everything again
    assert await cat.scope_of(db, GUILD, 5) is None and await cat.coordinators(db, GUILD) == [5]
    assert await db.fetchval("SELECT count(*) FROM timer WHERE kind = 'cat.digest'") == 1


async def test_commitments_training_and_list_size(db):
    assert await cat.commitment_list(db, GUILD) == list(cat.COMMITMENTS)
    listed = await cat.add_commitment(db, GUILD, "Wear red", 9, T0)
    assert listed[-1] == "Wear red" and len(listed) == 6
    with pytest.raises(Conflict):
        await cat.add_commitment(db, GUILD, "wear RED", 9, T0)
    assert len(await cat.remove_commitment(db, GUILD, 1, 9, T0)) == 5
    await cat.sign_up(db, GUILD, 1, T0, **FORM, supervises_none=False)
    v = await cat.get_volunteer(db, GUILD, 1)
    assert (v.status, v.supervises_none) == ("pending", False)
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        await cat.record_training(db, GUILD, 1, "July 2", 9, T0)
    with pytest.raises(UserError, match="future"):
        await cat.record_training(db, GUILD, 1, "2030-01-01", 9, T0)
    v = await cat.record_training(db, GUILD, 1, "2024-07-01", 9, T0)
    assert v.training_at.date().isoformat() == "2024-07-01"
    v, notes = await cat.set_details(db, GUILD, 1, T0, list_size=20)
    assert v.list_size == 20 and len(notes) == 1 and "one volunteer for every 10" in notes[0]
    assert cat.list_size_warnings(10, 10) == []
    assert len(cat.list_size_warnings(3, 10)) == 1 and len(cat.list_size_warnings(40, 20)) == 2
    with pytest.raises(UserError, match="negative"):
        await cat.set_details(db, GUILD, 1, T0, list_size=-1)
    with pytest.raises(UserError, match="25 members"):
        await cat.set_details(db, GUILD, 1, T0, list_size=26)


async def test_digest_content(db):
    await cat.set_shift(db, GUILD, "700", "days", 9, T0, member_count=20)
    await cat.sign_up(db, GUILD, 1, T0 - timedelta(days=40), **FORM)
    await cat.sign_up(db, GUILD, 2, T0 - timedelta(days=2), **{**FORM, "name": "Bo"})
    await cat.sign_up(
        db, GUILD, 3, T0, **{**FORM, "unit": "600", "name": "Cy"}, supervises_none=False
    )
    await cat.log_conversations(db, GUILD, 2, T0, unit="700", shift="days")
    d = await cat.digest(db, GUILD, T0)
    assert "Local 700 Editors" not in d.quiet and "Local 600 Camera" in d.quiet
    assert d.check_in == [(1, "Ana Ruiz")] and d.pending == [(3, "Cy", True)]
    assert (d.volunteers_now, d.volunteers_week_ago, d.change) == (2, 1, 1)
    scoped = await cat.digest(db, GUILD, T0, scope={(await units.find(db, GUILD, "600")).id})
    assert scoped.check_in == [] and scoped.pending == [(3, "Cy", True)]
    text = cat.digest_message(d, scoped=False)["embeds"][0]["description"]
    assert "+1 since last week" in text and "supervisor question" in text


async def test_no_sign_up_before_the_safety_checklist_is_acknowledged(tmp_path):
    database = await fresh_db(tmp_path / "fresh")
    await units.add(database, GUILD, "700", "Local 700 Editors", None, T0, member_count=25)
    with pytest.raises(UserError, match="/setup checklist"):
        await cat.sign_up(database, GUILD, 1, T0, **FORM)
    assert await database.fetchval("SELECT count(*) FROM cat_volunteer") == 0
    await database.close()
