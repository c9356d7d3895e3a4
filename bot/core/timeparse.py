"""The one parser for times typed by organizers, read in the server's IANA time zone.

Everything returned is an aware datetime in UTC. Rules a reader should know:

- A bare date (``2024-07-31``, ``July 31``, ``tomorrow``, ``friday``) means 23:59 local on
  that day: organizers type dates for deadlines, and a deadline means the end of the day.
- ``midnight`` with a date means the midnight that *ends* that day (``friday midnight`` is
  the night from Friday into Saturday); ``00:00`` with a date means the start of it.
- A date without a year is the nearer of its last and its next occurrence (in the zone):
  "January 5" typed in December is next January. For a future thing, a date more than a few
  days past (``July 1`` typed on July 10) is refused with both readings offered rather than
  silently read as next year; a date just past is "already passed". For a past thing
  (``parse_past_time``) it is its last occurrence, and the echo says when that is last year.
- ``yesterday`` is the day before today (so "yesterday 5pm" is a time that has passed).
- A time without a date is its next occurrence (today if still ahead, else tomorrow).
- A weekday is the next such day whose time is still ahead; ``next friday`` is the first
  Friday after today (never today). ``this friday`` is the same as ``friday``.
- Slash dates are US style: ``7/13/2024`` is July 13.
- A trailing US zone (``PT``, ``Eastern``, ``EST``, ``UTC``, ...) overrides the server
  zone. ``EST``/``EDT`` (and the other standard/daylight pairs) both mean the region's
  civil time, whichever is in force on that date, as people use them.
- A local time skipped by a spring-forward jump is refused with a suggestion; a local
  time that happens twice at fall-back resolves to the first one (``fold=0``).
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.errors import UserError
from bot.core.render import count

__all__ = [
    "TimeParseError",
    "discord_timestamp",
    "echo",
    "format_duration",
    "format_local",
    "parse_duration",
    "parse_local_time",
    "parse_past_time",
    "parse_zone",
]

_EXAMPLES = (
    "`2024-07-13 18:00`, `July 13 6:30pm`, `tomorrow 9am`, `saturday noon`, "
    "`next friday 6pm`, `in 2 hours`, or `July 13 4pm ET`"
)
_DURATION_EXAMPLES = "`7d`, `1 day`, `3h`, `90m`, `1h30m` or `2 weeks`"
_TIMESTAMP_STYLES = frozenset("tTdDfFR")
# A deadline typed as a date alone means the end of that day.
_END_OF_DAY = time(23, 59)

_ZONE_ALIASES: dict[str, str] = {
    **dict.fromkeys(("pt", "pst", "pdt", "pacific"), "America/Los_Angeles"),
    **dict.fromkeys(("mt", "mst", "mdt", "mountain"), "America/Denver"),
    **dict.fromkeys(("ct", "cst", "cdt", "central"), "America/Chicago"),
    **dict.fromkeys(("et", "est", "edt", "eastern"), "America/New_York"),
    **dict.fromkeys(("utc", "gmt", "z"), "UTC"),
}

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS: dict[str, int] = {}
for _number, _name in enumerate((m.lower() for m in _MONTH_NAMES), start=1):
    _MONTHS[_name] = _number
    _MONTHS[_name[:3]] = _number
_MONTHS["sept"] = 9

_WEEKDAYS: dict[str, int] = {}
for _number, _name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
):
    _WEEKDAYS[_name] = _number
    _WEEKDAYS[_name[:3]] = _number
_WEEKDAYS.update({"tues": 1, "wednes": 2, "thur": 3, "thurs": 3})

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))

_ZONE_SUFFIX = re.compile(
    r"(?:^|\s|(?<=\d))(?P<zone>" + "|".join(_ZONE_ALIASES) + r")(?:\s+time)?$"
)
_TIME_12H = r"(?P<h12>\d{1,2})(?:[:.](?P<m12>\d{2}))?\s*(?P<ampm>[ap])\.?(?:m\.?)?"
_TIME_24H = r"(?P<h24>\d{1,2}):(?P<m24>\d{2})(?::(?P<s24>\d{2}))?"
_TIME_WORD = r"(?P<word>noon|midday|midnight)"
_TIME = rf"(?:{_TIME_12H}|{_TIME_24H}|{_TIME_WORD})"
_TIME_AT_END = re.compile(rf"(?:^|\s)(?:at\s+|@\s*)?{_TIME}$")
_TIME_AT_START = re.compile(rf"^{_TIME}(?:\s+(?:on\s+)?|$)")

_DATE_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_DATE_SLASH = re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?$")
_ORDINAL = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_DATE_MONTH_FIRST = re.compile(rf"^(?P<mon>{_MONTH_RE})\.?\s+{_ORDINAL}(?:\s+(?P<y>\d{{4}}))?$")
_DATE_DAY_FIRST = re.compile(
    rf"^{_ORDINAL}\s+(?:of\s+)?(?P<mon>{_MONTH_RE})\.?(?:\s+(?P<y>\d{{4}}))?$"
)
_WEEKDAY_PREFIX = re.compile(rf"^(?P<wd>{_WEEKDAY_RE})\.?\s+(?P<rest>.*\d.*)$")
_DATE_WEEKDAY = re.compile(rf"^(?:(?P<which>next|this|coming)\s+)?(?P<wd>{_WEEKDAY_RE})\.?$")
_RELATIVE = re.compile(r"^in\s+(?P<amount>.+)$")

_DURATION_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
    **dict.fromkeys(("d", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
}
_DURATION_PART = re.compile(
    r"(?P<n>\d+(?:\.\d+)?|an?)\s*(?P<unit>"
    + "|".join(sorted(_DURATION_UNITS, key=len, reverse=True))
    + r")(?![a-z])"
)
_DURATION_GLUE = re.compile(r"[\s,]*(?:and\s+)?")
# A year-less date this many days past, for a future thing, is just "already passed"; further
# back, the bot asks which year was meant instead of guessing.
_FEW_DAYS = 7


class TimeParseError(UserError, ValueError):
    """A time, zone or duration an organizer typed that the bot could not use.

    `str()` is a sentence for the organizer: what was wrong, and examples that work.
    """


def parse_zone(name: str) -> ZoneInfo:
    """Return the zone named by an IANA name (any case) or a common US alias like `Pacific`.

    Raises TimeParseError with the closest IANA names as a hint.
    """
    cleaned = name.strip()
    alias = _ZONE_ALIASES.get(cleaned.lower().removesuffix(" time"))
    if alias is not None:
        return ZoneInfo(alias)
    key = _zone_keys().get(cleaned.lower())
    if key is not None:
        return ZoneInfo(key)
    if cleaned:
        # A name the tzdata listing omits (some legacy links) may still load.
        try:
            return ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    close = difflib.get_close_matches(cleaned, sorted(_zone_keys().values()), n=3, cutoff=0.6)
    hint = ", ".join(f"`{c}`" for c in close) if close else "`America/Los_Angeles`"
    shown = cleaned if len(cleaned) <= 60 else cleaned[:59] + "…"
    raise TimeParseError(
        f"I don't know the time zone `{shown}`. Use an IANA name such as {hint}, "
        "or `Pacific`, `Mountain`, `Central`, `Eastern` or `UTC`."
    )


@cache
def _zone_keys() -> dict[str, str]:
    """Map lowercased IANA names to their real spelling (ZoneInfo keys are case-sensitive)."""
    try:
        keys = available_timezones()
    except (OSError, ValueError):  # pragma: no cover - a broken tzdata install
        keys = set()
    return {key.lower(): key for key in keys}


def _as_zone(zone: str | ZoneInfo) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else parse_zone(zone)


def parse_local_time(
    text: str, zone: str | ZoneInfo, now: datetime, *, allow_past: bool = False
) -> datetime:
    """Read `text` as a local time in `zone` (unless it names its own) and return it in UTC.

    `now` must be aware; it anchors relative words ("tomorrow", "in 2 hours", "saturday").
    See the module docstring for the rules (a bare date is 23:59 local; fall-back
    ambiguity picks the first occurrence). Raises TimeParseError when the text is not
    understood, names a time skipped by DST, or (unless `allow_past`) is before `now`.
    """
    if now.tzinfo is None:
        raise ValueError("parse_local_time needs an aware `now`")
    now = now.astimezone(UTC)
    original = text
    cleaned = " ".join(text.lower().replace(",", " ").split())
    if not cleaned:
        raise TimeParseError(f"Please give a date or time, for example {_EXAMPLES}.")

    tz = _as_zone(zone)
    suffix = _ZONE_SUFFIX.search(cleaned)
    if suffix is not None and suffix.start("zone") > 0:
        tz = ZoneInfo(_ZONE_ALIASES[suffix.group("zone")])
        cleaned = cleaned[: suffix.start("zone")].strip()
    # ISO's `T` between date and time, e.g. 2024-07-13T12:00.
    cleaned = re.sub(r"(?<=\d)t(?=\d)", " ", cleaned)

    result, other = _parse(cleaned, tz, now, original)
    if not allow_past and result < now:
        if other is not None and other > now and now - result > timedelta(days=_FEW_DAYS):
            # "July 1" on July 10: this year's has passed; next year's is a guess. Ask.
            shown = " ".join(original.split())[:100]
            raise TimeParseError(
                f"`{shown}` has already passed this year ({format_local(result, tz)}). "
                f"If you meant the next one, {format_local(other, tz)}, type the year: "
                f"`{_with_year(other, tz)}`."
            )
        raise TimeParseError(
            f"That time has already passed: {format_local(result, tz)}. "
            "Please give a time in the future."
        )
    return result


def parse_past_time(text: str, zone: str | ZoneInfo, now: datetime) -> tuple[datetime, str]:
    """Read the date of something that already happened (a status reached, a proposal passed).

    A date without a year is its last occurrence, and today (or a date alone) means no later
    than now. Returns the time in UTC and a note for the echo, "" unless the year was taken to
    be an earlier one than this year ("not this year's, which is still ahead: ...").
    Raises TimeParseError when the text is not understood.
    """
    if now.tzinfo is None:
        raise ValueError("parse_past_time needs an aware `now`")
    now = now.astimezone(UTC)
    tz = _as_zone(zone)
    cleaned = " ".join(text.lower().replace(",", " ").split())
    if not cleaned:
        raise TimeParseError(f"Please give a date, for example {_EXAMPLES}.")
    suffix = _ZONE_SUFFIX.search(cleaned)
    if suffix is not None and suffix.start("zone") > 0:
        tz = ZoneInfo(_ZONE_ALIASES[suffix.group("zone")])
        cleaned = cleaned[: suffix.start("zone")].strip()
    cleaned = re.sub(r"(?<=\d)t(?=\d)", " ", cleaned)
    result, _ = _parse(cleaned, tz, now, text, looking_back=True)
    today = now.astimezone(tz).date()
    if result > now and result.astimezone(tz).date() == today:
        return now, ""
    note = ""
    if result.astimezone(tz).year < today.year and str(result.astimezone(tz).year) not in text:
        note = "not this year's, which is still ahead: type the year if you meant another"
    return result, note


def _with_year(dt: datetime, tz: ZoneInfo) -> str:
    """A time as it can be typed back with its year: `2025-07-01 17:00`."""
    return f"{dt.astimezone(tz):%Y-%m-%d %H:%M}"


def _parse(
    cleaned: str, tz: ZoneInfo, now: datetime, original: str, *, looking_back: bool = False
) -> tuple[datetime, datetime | None]:
    """The time read, and the other reading of a year-less date (None when there is none)."""
    if cleaned == "now":
        return now, None
    relative = _RELATIVE.match(cleaned)
    if relative is not None:
        if _read_duration(relative.group("amount")) is None:
            raise _not_understood(original)
        try:
            return now + parse_duration(relative.group("amount")), None
        except OverflowError:
            raise TimeParseError("That is too far in the future.") from None

    clock, midnight, date_text = _split_time(cleaned)
    today = now.astimezone(tz).date()
    try:
        if not date_text:
            if clock is None:
                raise _not_understood(original)
            # A time alone: its next occurrence, today if still ahead.
            day = today
            if midnight or _wall(day, clock, tz) < now:
                day += timedelta(days=1)
            return _localize(day, clock, tz), None

        day, is_weekday, strictly_after, other = _parse_date(
            date_text, today, original, looking_back=looking_back
        )
        if clock is None:
            clock = _END_OF_DAY
        elif midnight:
            # "friday midnight" is the end of Friday.
            day += timedelta(days=1)
            other = other + timedelta(days=1) if other is not None else None
        if is_weekday and not strictly_after and _wall(day, clock, tz) < now:
            day += timedelta(days=7)
        return _localize(day, clock, tz), (
            _localize(other, clock, tz) if other is not None else None
        )
    except OverflowError:
        raise TimeParseError("That date is out of range.") from None


def _not_understood(original: str) -> TimeParseError:
    shown = " ".join(original.split())[:100]
    return TimeParseError(f"I couldn't read `{shown}` as a time. Try {_EXAMPLES}.")


def _split_time(cleaned: str) -> tuple[time | None, bool, str]:
    """Return (time of day, whether it was the word "midnight", the rest of the text)."""
    if cleaned in ("today", "tonight", "tomorrow"):
        return None, False, cleaned
    for pattern in (_TIME_AT_END, _TIME_AT_START):
        found = pattern.search(cleaned)
        if found is None:
            continue
        rest = (cleaned[: found.start()] + " " + cleaned[found.end() :]).strip()
        rest = re.sub(r"\s+(?:at|@|on)$", "", rest).strip()
        return _read_clock(found, cleaned), found.group("word") == "midnight", rest
    return None, False, cleaned


def _read_clock(found: re.Match[str], cleaned: str) -> time:
    if found.group("word") is not None:
        return time(12) if found.group("word") in ("noon", "midday") else time(0)
    if found.group("h12") is not None:
        hour, minute = int(found.group("h12")), int(found.group("m12") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise TimeParseError(
                f"`{found.group().strip()}` is not a time on a 12-hour clock: "
                "use 1 to 12 with am/pm (like `6:30pm`), or a 24-hour time (like `18:30`)."
            )
        hour = hour % 12 + (12 if found.group("ampm") == "p" else 0)
        return time(hour, minute)
    hour, minute = int(found.group("h24")), int(found.group("m24"))
    second = int(found.group("s24") or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeParseError(
            f"`{found.group().strip()}` is not a time of day: use 00:00 to 23:59, "
            "or am/pm like `6:30pm`."
        )
    return time(hour, minute, second)


def _parse_date(
    text: str, today: date, original: str, *, looking_back: bool = False
) -> tuple[date, bool, bool, date | None]:
    """Return (date, whether it was a weekday name, whether today is excluded, the other
    reading of a year-less date)."""
    if text == "today" or text == "tonight":
        return today, False, False, None
    if text in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1), False, False, None
    if text == "yesterday":
        return today - timedelta(days=1), False, False, None
    weekday = _DATE_WEEKDAY.match(text)
    if weekday is not None:
        target = _WEEKDAYS[weekday.group("wd")]
        strictly_after = weekday.group("which") == "next"
        ahead = (target - today.weekday()) % 7
        if strictly_after and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead), True, strictly_after, None

    # "Saturday, July 13": the weekday is checked against the date, not used to find it.
    named_weekday: int | None = None
    prefixed = _WEEKDAY_PREFIX.match(text)
    if prefixed is not None:
        named_weekday = _WEEKDAYS[prefixed.group("wd")]
        text = prefixed.group("rest")

    found = _DATE_ISO.match(text) or _DATE_SLASH.match(text)
    if found is not None:
        month = int(found.group("m"))
    else:
        found = _DATE_MONTH_FIRST.match(text) or _DATE_DAY_FIRST.match(text)
        if found is None:
            raise _not_understood(original)
        month = _MONTHS[found.group("mon")]
    day_of_month = int(found.group("d"))
    year_text = found.group("y")

    other: date | None = None
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        result = _make_date(year, month, day_of_month)
    else:
        # No year: the last and the next occurrence; the nearer one (the last one for a past
        # thing), the other kept to be offered.
        last, following = _occurrences(month, day_of_month, today)
        if looking_back:
            result, other = last, following
        elif last < today and today - last < following - today:
            result, other = last, following
        else:
            result, other = following, last

    if named_weekday is not None and other is not None and result.weekday() != named_weekday:
        # "Saturday, July 13": the year in which July 13 is a Saturday, if it is the other one.
        if other.weekday() == named_weekday:
            result, other = other, None
    if named_weekday is not None and result.weekday() != named_weekday:
        raise TimeParseError(
            f"{_MONTH_NAMES[result.month - 1]} {result.day}, {result.year} is a "
            f"{_weekday_name(result.weekday())}, not a "
            f"{_weekday_name(named_weekday)}. Please check the date."
        )
    return result, False, False, other


def _occurrences(month: int, day_of_month: int, today: date) -> tuple[date, date]:
    """The last occurrence of a month and day on or before today, and the next on or after."""
    if month == 2 and day_of_month == 29:
        _make_date(2024, month, day_of_month)  # a valid date at all
        last_year = today.year
        while not _is_leap(last_year) or date(last_year, 2, 29) > today:
            last_year -= 1
        next_year = today.year
        while not _is_leap(next_year) or date(next_year, 2, 29) < today:
            next_year += 1
        return date(last_year, 2, 29), date(next_year, 2, 29)
    this_year = _make_date(today.year, month, day_of_month)
    if this_year == today:
        return today, today
    if this_year < today:
        return this_year, _make_date(today.year + 1, month, day_of_month)
    return _make_date(today.year - 1, month, day_of_month), this_year


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _weekday_name(number: int) -> str:
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[number]


def _make_date(year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise TimeParseError(
            f"There is no month {month}: dates with slashes are read month first, "
            "like `7/13/2024` for July 13."
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise TimeParseError(
            f"{_MONTH_NAMES[month - 1]} {year} has no day {day}. Please check the date."
        ) from None


def _wall(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The local wall time as an aware datetime, unchecked (only for comparisons)."""
    return datetime.combine(day, clock, tzinfo=tz)


def _localize(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """Combine a local date and time in `tz` into UTC, refusing times skipped by DST."""
    # fold=0: at fall-back the first of the two occurrences.
    local = _wall(day, clock, tz)
    utc = local.astimezone(UTC)
    back = utc.astimezone(tz)
    if (back.date(), back.time()) != (local.date(), local.time()):
        start, end = _gap(local, tz)
        raise TimeParseError(
            f"{clock:%H:%M} on {_MONTH_NAMES[day.month - 1]} {day.day}, {day.year} doesn't "
            f"exist in {tz.key}: the clocks jump from {start:%H:%M} straight to {end:%H:%M}. "
            f"Did you mean {end:%H:%M}?"
        )
    return utc


def _gap(local: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local wall times where the spring-forward gap swallowing `local` starts and ends."""
    # fold=1 reads the gap with the offset after the jump, fold=0 with the one before:
    # the transition instant lies between the two, found by bisection on seconds.
    low = local.replace(fold=1).astimezone(UTC)
    high = local.replace(fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    after = high.astimezone(tz).utcoffset()
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    end = high.astimezone(tz)
    jump = end.utcoffset() - low.astimezone(tz).utcoffset()  # type: ignore[operator]
    return end - jump, end


def parse_duration(text: str) -> timedelta:
    """Read a reminder offset: `7d`, `1 day`, `3h`, `90m`, `1h30m`, `2 weeks`, `1w`, `an hour`.

    Raises TimeParseError on anything else, and on a zero duration.
    """
    total = _read_duration(text)
    if total is None:
        shown = " ".join(text.split())[:100]
        raise TimeParseError(
            f"I couldn't read `{shown}` as a length of time. Try {_DURATION_EXAMPLES}."
        )
    if total <= timedelta():
        raise TimeParseError(f"A length of time must be more than zero. Try {_DURATION_EXAMPLES}.")
    return total


def _read_duration(text: str) -> timedelta | None:
    """Sum the parts of a duration, or None if the text is not one."""
    cleaned = " ".join(text.lower().split())
    total = timedelta()
    position = 0
    parts = 0
    while position < len(cleaned):
        glue = _DURATION_GLUE.match(cleaned, position)
        if glue is not None and parts:
            position = glue.end()
        found = _DURATION_PART.match(cleaned, position)
        if found is None:
            break
        amount = found.group("n")
        count = 1.0 if amount in ("a", "an") else float(amount)
        try:
            total += count * _DURATION_UNITS[found.group("unit")]
        except OverflowError:
            raise TimeParseError("That duration is too long.") from None
        position = found.end()
        parts += 1
    if not parts or position != len(cleaned):
        return None
    return total


def format_duration(td: timedelta) -> str:
    """Spell a duration for members: "7 days", "1 hour", "1 day 3 hours", "1 hour 30 minutes".

    Days, hours and minutes; seconds only when under a minute. Raises ValueError if negative.
    """
    if td < timedelta():
        raise ValueError("format_duration needs a duration of zero or more")
    seconds = int(td.total_seconds())
    if seconds < 60:
        return count(seconds, "second", "seconds")
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = [
        count(value, one, many)
        for value, one, many in (
            (days, "day", "days"),
            (hours, "hour", "hours"),
            (minutes, "minute", "minutes"),
        )
        if value
    ]
    return " ".join(parts)


def discord_timestamp(dt: datetime, style: str = "F") -> str:
    """Return `<t:UNIX:style>`, which each Discord client shows in the reader's own zone.

    Styles: t T d D f F R. Raises ValueError on a naive datetime or an unknown style.
    """
    if style not in _TIMESTAMP_STYLES:
        raise ValueError(f"unknown Discord timestamp style {style!r}")
    if dt.tzinfo is None:
        raise ValueError("discord_timestamp needs an aware datetime")
    # Floor, not truncate: the integer second the instant falls in.
    return f"<t:{int(dt.timestamp() // 1)}:{style}>"


def format_local(dt: datetime, zone: str | ZoneInfo) -> str:
    """Spell out the wall time in `zone`: "Saturday, July 13, 2024 12:00 PM PDT"."""
    if dt.tzinfo is None:
        raise ValueError("format_local needs an aware datetime")
    local = dt.astimezone(_as_zone(zone))
    # Names spelled here, not by strftime, so the server's locale cannot change them.
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (
        f"{_weekday_name(local.weekday())}, {_MONTH_NAMES[local.month - 1]} {local.day}, "
        f"{local.year} {hour}:{local:%M} {half} {local.tzname()}"
    )


def echo(dt: datetime, zone: str | ZoneInfo) -> str:
    """How the bot echoes a parsed time before saving it.

    `<t:..:F> (<t:..:R>)` for the reader's own zone, then the server's wall time spelled
    out, e.g. "… · Saturday, July 13, 2024 12:00 PM PDT".
    """
    return f"{discord_timestamp(dt, 'F')} ({discord_timestamp(dt, 'R')}) · {format_local(dt, zone)}"
