"""Events as an RFC 5545 calendar file (.ics) that calendar apps import.

Written with the icalendar library. Each session is one VEVENT whose UID is stable
(`event-<id>-<session id>@rankfile.<guild id>`), so importing the file again updates the
entry instead of adding a copy; SEQUENCE grows with each edit. Times are written in the zone
the organizer typed them in, with its VTIMEZONE, so a calendar app shows the same wall time
on both sides of a DST change. A cancelled event is written with STATUS:CANCELLED.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bot.events.model import KIND_LABEL, Event, Session

PRODID = "-//rankfile//union campaign events//EN"


def uid(event: Event, session: Session) -> str:
    """The stable UID of one session of an event."""
    return f"event-{event.id}-{session.id}@rankfile.{event.guild_id}"


def _vevent(event: Event, session: Session, zone: ZoneInfo) -> icalendar.Event:
    item = icalendar.Event()
    item.add("uid", uid(event, session))
    # DTSTAMP from the row, not the clock: the same event gives the same file.
    item.add("dtstamp", event.updated_at)
    item.add("sequence", event.sequence)
    item.add("summary", f"{KIND_LABEL[event.kind]}: {event.title}")
    item.add("dtstart", session.starts_at.astimezone(zone))
    if session.ends_at is not None:
        item.add("dtend", session.ends_at.astimezone(zone))
    description = event.description
    if event.how_to_vote:
        description = f"{description}\n\nHow to vote: {event.how_to_vote}".strip()
    if description:
        item.add("description", description)
    if session.place:
        item.add("location", session.place)
    cancelled = event.state == "cancelled" or session.state == "cancelled"
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    item.add("categories", [KIND_LABEL[event.kind]])
    return item


def calendar(events: Iterable[Event], name: str = "Union events") -> bytes:
    """One .ics file holding every session of `events`, each zone's VTIMEZONE included."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    first: datetime | None = None
    last: datetime | None = None
    for event in events:
        zone = ZoneInfo(event.timezone)
        for session in event.sessions:
            cal.add_component(_vevent(event, session, zone))
            end = session.ends_at or session.starts_at
            first = session.starts_at if first is None else min(first, session.starts_at)
            last = end if last is None else max(last, end)
    if first is not None and last is not None:
        # Transitions a year either side are enough for any app, and keep the file small.
        cal.add_missing_timezones(
            first_date=(first - timedelta(days=366)).date(),
            last_date=(last + timedelta(days=366)).date(),
        )
    return cal.to_ical()


def filename(event: Event | None) -> str:
    """The attachment's name: `event-12.ics`, or `events.ics` for the whole calendar."""
    return f"event-{event.id}.ics" if event is not None else "events.ics"
