"""Bargaining units on a temporary database."""

from __future__ import annotations

import pytest

from bot.core import audit, units
from bot.core.errors import Conflict, NotFound, UserError
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def test_demo_units_load_once(db):
    first = await units.load_demo(db, GUILD, T0)
    again = await units.load_demo(db, GUILD, T0)
    assert first.startswith("units: 13 added")
    assert again.startswith("units: 0 added, 13 already there")
    assert [u.code for u in await units.list_units(db, GUILD)][:3] == ["44", "80", "600"]


async def test_find_by_code_local_prefix_and_name(db):
    await units.load_demo(db, GUILD, T0)
    assert (await units.find(db, GUILD, "600")).code == "600"
    assert (await units.find(db, GUILD, "Local 600")).code == "600"
    assert (await units.find(db, GUILD, "local 800, art directors guild")).code == "800"
    with pytest.raises(NotFound, match="No bargaining unit `999`"):
        await units.find(db, GUILD, "999")
    with pytest.raises(NotFound):
        await units.find(db, OTHER_GUILD, "600")  # servers never see each other's units


async def test_add_nested_edit_remove_audited(db):
    local = await units.add(db, GUILD, "700", "Local 700 Editors", 5, T0, member_count=8000)
    dept = await units.add(db, GUILD, "700-assist", "Assistant editors", 5, T0, parent_code="700")
    assert dept.parent_id == local.id
    with pytest.raises(Conflict):
        await units.add(db, GUILD, "700", "Duplicate", 5, T0)
    with pytest.raises(Conflict, match="sub-units"):
        await units.remove(db, GUILD, "700", 5, T0)
    edited = await units.edit(db, GUILD, "700-assist", 5, T0, member_count=1200)
    assert edited.member_count == 1200
    await units.remove(db, GUILD, "700-assist", 5, T0)
    actions = [e.action for e in await audit.recent(db, GUILD)]
    assert actions == ["unit.remove", "unit.edit", "unit.add", "unit.add"]


@pytest.mark.parametrize(
    ("code", "name", "count"),
    [
        ("", "x", None),
        ("two words", "x", None),
        ("a", "", None),
        ("a", "x" * 101, None),
        ("a", "x", -1),
    ],
)
async def test_bad_units_are_refused_and_nothing_saved(db, code, name, count):
    with pytest.raises(UserError):
        await units.add(db, GUILD, code, name, 5, T0, member_count=count)
    assert await units.list_units(db, GUILD) == []
