"""The .ics file parsed back by icalendar: stable UIDs, the right instants, the zone carried."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from bot import events
from bot.core import guild_settings, units
from bot.events import calendar as calendar_ics
from tests.support import GUILD, T0, fresh_db


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await guild_settings.update(database, GUILD, None, T0, announcements_channel_id=1)
    await units.load_demo(database, GUILD, T0)
    await events.load_demo(database, GUILD, T0)
    yield database
    await database.close()


def _vevents(data: bytes) -> list:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


async def test_instants_zone_and_uids_survive_a_round_trip(db):
    listed = await events.upcoming(db, GUILD, T0)
    data = calendar_ics.calendar(listed)
    parsed = {str(v["summary"]): v for v in _vevents(data)}
    webinar = parsed["Town hall: Multi-local webinar on the MOA"]
    start = webinar.decoded("dtstart")
    assert start == datetime(2024, 7, 13, 19, 0, tzinfo=UTC)
    assert str(start.tzinfo) == "America/Los_Angeles" and start.hour == 12
    assert webinar.decoded("dtend") == datetime(2024, 7, 13, 21, 0, tzinfo=UTC)
    asa = parsed["Town hall: ASA multi-local webinar on the MOA"]
    assert asa.decoded("dtstart") == datetime(2024, 7, 14, 20, 0, tzinfo=UTC)
    assert str(asa.decoded("dtstart").tzinfo) == "America/New_York"
    deadline = parsed["Deadline: Basic Agreement expires"]
    assert "dtend" not in deadline
    vote = parsed["Vote: Ratification vote: 2024 Basic Agreement"]
    assert "How to vote" in str(vote["description"])
    tzids = {str(tz["tzid"]) for tz in icalendar.Calendar.from_ical(data).walk("VTIMEZONE")}
    assert tzids == {"America/Los_Angeles", "America/New_York"}
    assert all(str(v["status"]) == "CONFIRMED" for v in parsed.values())
    # Same data, same file: UIDs and DTSTAMP come from the rows.
    assert calendar_ics.calendar(listed) == data


async def test_edit_keeps_uid_bumps_sequence_cancel_is_cancelled(db):
    event = (await events.upcoming(db, GUILD, T0))[0]
    [before] = _vevents(calendar_ics.calendar([event]))
    edited = await events.edit(db, GUILD, event.id, 1, T0, title="MOA webinar (moved)")
    [after] = _vevents(calendar_ics.calendar([edited]))
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    cancelled, _ = await events.cancel(db, GUILD, event.id, 1, "moved online", T0)
    [gone] = _vevents(calendar_ics.calendar([cancelled]))
    assert str(gone["status"]) == "CANCELLED" and gone["uid"] == before["uid"]


async def test_dst_both_sides_in_the_file(db):
    zone = "America/Los_Angeles"
    made = []
    for day in ("2024-11-02 12:00", "2024-11-04 12:00"):
        start, end = events.parse_times("townhall", day, None, zone, T0)
        draft = events.make_draft("townhall", day, "", start, end, "Hall", (), zone)
        made.append(await events.create(db, GUILD, 1, draft, T0))
    parsed = _vevents(calendar_ics.calendar(made))
    starts = [v.decoded("dtstart") for v in parsed]
    assert [s.hour for s in starts] == [12, 12]  # the wall time, both sides
    assert [s.astimezone(UTC).hour for s in starts] == [19, 20]
