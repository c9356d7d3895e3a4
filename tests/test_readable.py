"""Readable by everyone, below Discord: members' preferences, charts that say what they show,
and statuses never told by colour alone."""

from __future__ import annotations

import re

import pytest

from bot import tracker, updates
from bot.core import preferences, units
from bot.core.render import Limits
from bot.events import charts as event_charts
from bot.tracker import charts as tracker_charts
from bot.tracker.model import STATUSES
from tests.support import GUILD, T0, fresh_db

ZONE = "America/Los_Angeles"


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def test_plain_text_preference_is_per_member_and_server_and_cached(db):
    assert await preferences.plain_text(db, GUILD, 1) is False
    await preferences.set_plain_text(db, GUILD, 1, True, T0)
    assert await preferences.plain_text(db, GUILD, 1) is True
    assert await preferences.plain_text(db, GUILD, 2) is False
    assert await preferences.plain_text(db, GUILD + 1, 1) is False
    # Read from memory within the TTL: a reply costs no query (the row changed behind it).
    await db.execute("UPDATE member_preference SET plain_text = 0")
    assert await preferences.plain_text(db, GUILD, 1) is True
    preferences.forget(db)
    assert await preferences.plain_text(db, GUILD, 1) is False


async def test_the_timeline_in_words_names_every_unit_with_its_dates(db):
    await units.load_demo(db, GUILD, T0)
    await updates.load_demo(db, GUILD, T0)
    await tracker.load_demo(db, GUILD, T0)
    view, _ = await tracker.chart_data(db, GUILD, T0, ZONE)
    lines = tracker.timeline_lines(view, ZONE)
    assert len(lines) == view.total + len(view.tables)  # the units, then the general table
    assert (
        "600: Summary released since June 28, TA March 20, waited 100 days for the details" in lines
    )
    assert lines[-1].startswith("BA: ")
    said = tracker.timeline_description(view, ZONE)
    assert len(said) <= Limits.ATTACHMENT_DESCRIPTION
    assert said.startswith("Bargaining timeline: one row per unit")
    assert f"{view.reached_ta} of {view.total} units" in said
    assert re.search(r"… and \d+ more$", said)  # 14 units do not fit: it says so


def test_every_status_has_its_own_pattern_beside_its_colour():
    hatches = [tracker_charts.HATCH[code] for code in STATUSES]
    assert len(set(hatches)) == len(STATUSES)


def test_turnout_in_words_gives_counts_and_shares():
    points = [(T0, {"600": 12, "700": 3})]
    assert event_charts.turnout_lines(points, {"600": 40, "700": None}) == [
        "600: 12 of 40 (30%)",
        "700: 3 said they voted",
    ]
    assert len(set(event_charts.STYLES)) == len(event_charts.STYLES)
