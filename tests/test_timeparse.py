"""The organizer-facing time parser: every accepted form, the errors, and DST both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserError
from bot.core.timeparse import (
    TimeParseError,
    discord_timestamp,
    echo,
    format_duration,
    format_local,
    parse_duration,
    parse_local_time,
    parse_past_time,
    parse_zone,
)

LA = "America/Los_Angeles"
# Wednesday, July 10, 2024 12:00 PDT.
NOW = datetime(2024, 7, 10, 19, 0, tzinfo=UTC)


def la(*args: int) -> datetime:
    """A Los Angeles wall time, as the UTC instant the parser should return."""
    return datetime(*args, tzinfo=ZoneInfo(LA)).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-07-13 12:00", la(2024, 7, 13, 12, 0)),
        ("2024-07-13 12pm", la(2024, 7, 13, 12, 0)),
        ("2024-07-13T12:00", la(2024, 7, 13, 12, 0)),
        ("2024-07-13 12:00:00", la(2024, 7, 13, 12, 0)),
        ("7/13/2024 6:30pm", la(2024, 7, 13, 18, 30)),
        ("7/13/24 6:30pm", la(2024, 7, 13, 18, 30)),
        ("7/13 6:30pm", la(2024, 7, 13, 18, 30)),
        ("July 13 noon", la(2024, 7, 13, 12, 0)),
        ("Jul 13 2024 6:30 PM", la(2024, 7, 13, 18, 30)),
        ("Jul. 13th, 2024 6:30 p.m.", la(2024, 7, 13, 18, 30)),
        ("July 13 at 18:00", la(2024, 7, 13, 18, 0)),
        ("13 July 2024 18:00", la(2024, 7, 13, 18, 0)),
        ("13th of July 6pm", la(2024, 7, 13, 18, 0)),
        ("Saturday, July 13, 2024 12:00", la(2024, 7, 13, 12, 0)),
        ("tomorrow 6pm", la(2024, 7, 11, 18, 0)),
        ("tomorrow 9am", la(2024, 7, 11, 9, 0)),
        ("6pm tomorrow", la(2024, 7, 11, 18, 0)),
        ("today 17:00", la(2024, 7, 10, 17, 0)),
        ("tonight 7pm", la(2024, 7, 10, 19, 0)),
        ("saturday noon", la(2024, 7, 13, 12, 0)),
        ("sat noon", la(2024, 7, 13, 12, 0)),
        ("this saturday 10am", la(2024, 7, 13, 10, 0)),
        ("next friday 6pm", la(2024, 7, 12, 18, 0)),
        # Today is Wednesday: "wednesday 1pm" is later today, 11am has gone so next week.
        ("wednesday 1pm", la(2024, 7, 10, 13, 0)),
        ("wednesday 11am", la(2024, 7, 17, 11, 0)),
        ("next wednesday 1pm", la(2024, 7, 17, 13, 0)),
        ("in 2 hours", NOW + timedelta(hours=2)),
        ("in 30 minutes", NOW + timedelta(minutes=30)),
        ("in 3 days", NOW + timedelta(days=3)),
        ("in 1h30m", NOW + timedelta(hours=1, minutes=30)),
        ("in an hour", NOW + timedelta(hours=1)),
        ("now", NOW),
        ("midnight", la(2024, 7, 11, 0, 0)),
        ("noon", la(2024, 7, 10, 12, 0)),  # exactly now: not in the past
        ("1pm", la(2024, 7, 10, 13, 0)),
        ("11am", la(2024, 7, 11, 11, 0)),  # already gone today: tomorrow
        ("12am", la(2024, 7, 11, 0, 0)),
        ("friday midnight", la(2024, 7, 13, 0, 0)),  # the end of Friday
        ("friday 00:00", la(2024, 7, 12, 0, 0)),  # the start of Friday
        # A bare date is a deadline: 23:59 local.
        ("2024-07-31", la(2024, 7, 31, 23, 59)),
        ("July 31", la(2024, 7, 31, 23, 59)),
        ("tomorrow", la(2024, 7, 11, 23, 59)),
        ("today", la(2024, 7, 10, 23, 59)),
        ("friday", la(2024, 7, 12, 23, 59)),
        # Without a year: the nearer occurrence (ahead of today here).
        ("July 10 1pm", la(2024, 7, 10, 13, 0)),
        ("sept 3", la(2024, 9, 3, 23, 59)),
        ("December 31", la(2024, 12, 31, 23, 59)),
        ("saturday july 13 noon", la(2024, 7, 13, 12, 0)),
        # Case and spacing do not matter.
        ("  SATURDAY    Noon ", la(2024, 7, 13, 12, 0)),
        ("TOMORROW 6PM", la(2024, 7, 11, 18, 0)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    result = parse_local_time(text, LA, NOW)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The 2024 campaign's "4 PM Eastern" webinar, typed in a Pacific server.
        ("July 13 4 PM Eastern", datetime(2024, 7, 13, 20, 0, tzinfo=UTC)),
        ("July 13 4pm ET", datetime(2024, 7, 13, 20, 0, tzinfo=UTC)),
        ("July 13 4pm EST", datetime(2024, 7, 13, 20, 0, tzinfo=UTC)),  # civil time, EDT
        ("July 13 4pm eastern time", datetime(2024, 7, 13, 20, 0, tzinfo=UTC)),
        ("July 13 4pm CT", datetime(2024, 7, 13, 21, 0, tzinfo=UTC)),
        ("July 13 4pm Central", datetime(2024, 7, 13, 21, 0, tzinfo=UTC)),
        ("July 13 4pm MT", datetime(2024, 7, 13, 22, 0, tzinfo=UTC)),
        ("July 13 4pm Mountain", datetime(2024, 7, 13, 22, 0, tzinfo=UTC)),
        ("July 13 4pm PT", datetime(2024, 7, 13, 23, 0, tzinfo=UTC)),
        ("July 13 4pm Pacific", datetime(2024, 7, 13, 23, 0, tzinfo=UTC)),
        ("July 13 4pm UTC", datetime(2024, 7, 13, 16, 0, tzinfo=UTC)),
        ("2024-07-13T12:00Z", datetime(2024, 7, 13, 12, 0, tzinfo=UTC)),
    ],
)
def test_zone_suffix_overrides_server_zone(text: str, expected: datetime) -> None:
    assert parse_local_time(text, LA, NOW) == expected


def test_zone_can_be_a_zoneinfo_and_a_year_less_date_uses_that_zone() -> None:
    # 03:00 UTC on July 11 is still July 10 in Los Angeles, already July 11 in UTC.
    now = datetime(2024, 7, 11, 3, 0, tzinfo=UTC)
    assert parse_local_time("July 10", ZoneInfo(LA), now) == la(2024, 7, 10, 23, 59)
    with pytest.raises(TimeParseError, match="already passed"):
        parse_local_time("July 10", "UTC", now)  # yesterday in UTC: passed, not next year


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_local_time("noon", LA, datetime(2024, 7, 10, 12, 0))


# DST: the same wall time maps to different UTC hours either side of a change.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-09 12:00", datetime(2024, 3, 9, 20, 0, tzinfo=UTC)),  # PST, UTC-8
        ("2024-03-11 12:00", datetime(2024, 3, 11, 19, 0, tzinfo=UTC)),  # PDT, UTC-7
        ("2024-03-10 01:59", datetime(2024, 3, 10, 9, 59, tzinfo=UTC)),  # just before the gap
        ("2024-03-10 03:00", datetime(2024, 3, 10, 10, 0, tzinfo=UTC)),  # just after it
        ("2024-11-02 12:00", datetime(2024, 11, 2, 19, 0, tzinfo=UTC)),  # PDT
        ("2024-11-04 12:00", datetime(2024, 11, 4, 20, 0, tzinfo=UTC)),  # PST
        # 01:30 happens twice on Nov 3: the first (PDT) is chosen.
        ("2024-11-03 01:30", datetime(2024, 11, 3, 8, 30, tzinfo=UTC)),
        ("2024-11-03 02:30", datetime(2024, 11, 3, 10, 30, tzinfo=UTC)),
    ],
)
def test_dst_both_sides(text: str, expected: datetime) -> None:
    assert parse_local_time(text, LA, datetime(2024, 1, 1, tzinfo=UTC)) == expected


def test_time_alone_across_fall_back() -> None:
    # Nov 2 23:00 PDT; "noon" is Nov 3 12:00 PST, 25 hours of wall clock later.
    now = datetime(2024, 11, 3, 6, 0, tzinfo=UTC)
    assert parse_local_time("noon", LA, now) == datetime(2024, 11, 3, 20, 0, tzinfo=UTC)
    assert parse_local_time("in 1 day", LA, now) == now + timedelta(days=1)


def test_spring_forward_gap_is_refused_with_a_suggestion() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_local_time("2024-03-10 02:30", LA, datetime(2024, 1, 1, tzinfo=UTC))
    message = str(caught.value)
    assert "jump" in message
    assert "03:00" in message
    assert "02:30" in message


def test_gap_in_a_zone_named_by_suffix() -> None:
    with pytest.raises(TimeParseError, match="03:00"):
        parse_local_time("March 10 2024 2:15am ET", LA, datetime(2024, 1, 1, tzinfo=UTC))


def test_time_alone_skips_a_gap_that_has_already_passed() -> None:
    # 04:00 PDT on the spring-forward day: today's 02:30 never existed, tomorrow's does.
    now = datetime(2024, 3, 10, 11, 0, tzinfo=UTC)
    assert parse_local_time("2:30am", LA, now) == datetime(2024, 3, 11, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "whenever", "soon", "2024-07-13 noonish", "in", "in a while"],
)
def test_unparseable(text: str) -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_local_time(text, LA, NOW)
    # The member is shown examples that work.
    assert "tomorrow 9am" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2024-02-30", "no day 30"),
        ("13/7/2024", "month first"),
        ("25:00", "00:00 to 23:59"),
        ("13pm", "12-hour"),
        ("0am", "12-hour"),
        ("friday july 13 2024", "is a Saturday, not a Friday"),
        ("in 0 minutes", "more than zero"),
        ("in 99999999999 weeks", "too long"),
        ("in 99999999 weeks", "too far"),
    ],
)
def test_invalid_values_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(TimeParseError, match=fragment):
        parse_local_time(text, LA, NOW)


@pytest.mark.parametrize("text", ["2024-07-09 12:00", "today 9am", "July 1 2024", "11:59"])
def test_past_is_refused_unless_allowed(text: str) -> None:
    if text == "11:59":
        # A time alone is never in the past: it means tomorrow.
        assert parse_local_time(text, LA, NOW) > NOW
        return
    with pytest.raises(TimeParseError, match="already passed"):
        parse_local_time(text, LA, NOW)
    assert parse_local_time(text, LA, NOW, allow_past=True) < NOW


def test_past_message_spells_the_time() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_local_time("2024-07-09 12:00", LA, NOW)
    assert "Tuesday, July 9, 2024 12:00 PM PDT" in str(caught.value)


def test_error_is_a_value_error_and_a_user_error() -> None:
    assert issubclass(TimeParseError, ValueError)
    assert issubclass(TimeParseError, UserError)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("America/Los_Angeles", "America/Los_Angeles"),
        ("america/new_york", "America/New_York"),
        ("  Europe/London ", "Europe/London"),
        ("UTC", "UTC"),
        ("Pacific", "America/Los_Angeles"),
        ("eastern time", "America/New_York"),
        ("CT", "America/Chicago"),
        ("mountain", "America/Denver"),
    ],
)
def test_parse_zone(name: str, key: str) -> None:
    assert parse_zone(name).key == key


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus_Mons", "America", "../../etc/passwd", "x" * 300]
)
def test_unknown_zone(name: str) -> None:
    with pytest.raises(TimeParseError, match="America/Los_Angeles|IANA"):
        parse_zone(name)


def test_unknown_zone_suggests_close_names() -> None:
    with pytest.raises(TimeParseError, match="Europe/London"):
        parse_zone("Europe/Londn")


def test_unknown_server_zone_in_parse_local_time() -> None:
    with pytest.raises(TimeParseError, match="time zone"):
        parse_local_time("noon", "Nowhere/Special", NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("1 day", timedelta(days=1)),
        ("3h", timedelta(hours=3)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1 hour and 30 minutes", timedelta(hours=1, minutes=30)),
        ("2 weeks", timedelta(weeks=2)),
        ("1w", timedelta(weeks=1)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("an hour", timedelta(hours=1)),
        ("  3 DAYS ", timedelta(days=3)),
        ("15 mins", timedelta(minutes=15)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0m", "0 days", "-1d", "7", "d", "7 fortnights", "1h30", "3 days ago", "1e5m"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(TimeParseError, match="7d"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(days=7), "7 days"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(days=1, hours=3), "1 day 3 hours"),
        (timedelta(minutes=90), "1 hour 30 minutes"),
        (timedelta(weeks=2), "14 days"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=30), "30 seconds"),
        (timedelta(0), "0 seconds"),
    ],
)
def test_format_duration(td: timedelta, expected: str) -> None:
    assert format_duration(td) == expected


def test_format_duration_round_trips_parse_duration() -> None:
    for text in ("7d", "1 day", "3h", "90m", "1h30m", "2 weeks"):
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError):
        format_duration(timedelta(minutes=-1))


def test_discord_timestamp() -> None:
    when = datetime(2024, 7, 13, 19, 0, tzinfo=UTC)
    assert discord_timestamp(when) == "<t:1720897200:F>"
    for style in "tTdDfFR":
        assert discord_timestamp(when, style) == f"<t:1720897200:{style}>"
    # The same instant in another zone is the same timestamp.
    assert discord_timestamp(when.astimezone(ZoneInfo(LA)), "R") == "<t:1720897200:R>"


@pytest.mark.parametrize("style", ["", "x", "FF", "r"])
def test_discord_timestamp_rejects_unknown_style(style: str) -> None:
    with pytest.raises(ValueError):
        discord_timestamp(NOW, style)


def test_discord_timestamp_rejects_naive() -> None:
    with pytest.raises(ValueError):
        discord_timestamp(datetime(2024, 7, 13, 12, 0))


def test_echo_spells_the_local_time() -> None:
    when = la(2024, 7, 13, 12, 0)
    assert echo(when, LA) == (
        "<t:1720897200:F> (<t:1720897200:R>) · Saturday, July 13, 2024 12:00 PM PDT"
    )
    assert (
        format_local(la(2024, 12, 1, 0, 5), ZoneInfo(LA)) == "Sunday, December 1, 2024 12:05 AM PST"
    )
    assert format_local(when, "America/New_York").endswith("3:00 PM EDT")


def test_parse_then_echo_round_trip() -> None:
    result = parse_local_time("July 13 noon", LA, NOW)
    assert "Saturday, July 13, 2024 12:00 PM PDT" in echo(result, LA)


def test_a_date_past_this_year_for_a_future_thing_is_refused_with_both_readings() -> None:
    with pytest.raises(TimeParseError) as caught:
        parse_local_time("July 1 5pm", LA, NOW)
    said = str(caught.value)
    assert "already passed this year (Monday, July 1, 2024 5:00 PM PDT)" in said
    assert "Tuesday, July 1, 2025 5:00 PM PDT" in said and "`2025-07-01 17:00`" in said
    # What it suggests is read as meant.
    assert parse_local_time("2025-07-01 17:00", LA, NOW) == la(2025, 7, 1, 17, 0)
    assert parse_local_time("July 1 2025 5pm", LA, NOW) == la(2025, 7, 1, 17, 0)
    with pytest.raises(TimeParseError, match="the next one, Tuesday, February 29, 2028"):
        parse_local_time("2/29", LA, NOW)  # February 29, 2024 or 2028: asked, not guessed


@pytest.mark.parametrize("text", ["July 9 noon", "yesterday 5pm", "yesterday", "july 8"])
def test_a_date_just_past_is_called_past(text: str) -> None:
    with pytest.raises(TimeParseError, match="That time has already passed"):
        parse_local_time(text, LA, NOW)
    assert parse_local_time("yesterday 5pm", LA, NOW, allow_past=True) == la(2024, 7, 9, 17, 0)


def test_a_date_nearer_next_year_is_next_year() -> None:
    december = datetime(2024, 12, 20, 20, 0, tzinfo=UTC)
    assert parse_local_time("January 5 9am", LA, december) == la(2025, 1, 5, 9, 0)


def test_a_past_thing_takes_the_last_occurrence_and_says_when_it_is_last_year() -> None:
    when, note = parse_past_time("August 20", LA, NOW)
    assert when == la(2023, 8, 20, 23, 59)
    assert "not this year's, which is still ahead" in note and "type the year" in note
    when, note = parse_past_time("March 20", LA, NOW)
    assert (when, note) == (la(2024, 3, 20, 23, 59), "")
    assert parse_past_time("today", LA, NOW) == (NOW, "")
    assert parse_past_time("yesterday 5pm", LA, NOW) == (la(2024, 7, 9, 17, 0), "")
    assert parse_past_time("August 20 2023", LA, NOW) == (la(2023, 8, 20, 23, 59), "")
