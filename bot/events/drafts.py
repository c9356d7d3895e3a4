"""What an organizer typed, read and validated into a Draft before anything is saved."""

from __future__ import annotations

from datetime import datetime

from bot.core import timeparse
from bot.core.errors import UserError
from bot.events import recurrence
from bot.events.model import (
    DEFAULT_LENGTH,
    DESCRIPTION_MAX,
    HOW_TO_VOTE_MAX,
    KINDS,
    PLACE_MAX,
    TITLE_MAX,
    Draft,
    clean_text,
)


def parse_times(
    kind: str, start: str, end: str | None, zone: str, now: datetime
) -> tuple[datetime, datetime | None]:
    """Read the typed start (or opening, or moment) and end (or close) in the server's zone.

    Raises UserError (a TimeParseError) for an unreadable or past time, an end before the
    start, a vote without a close, or an end given to a deadline.
    """
    starts_at = timeparse.parse_local_time(start, zone, now)
    if kind == "deadline":
        if end:
            raise UserError("A deadline is a single moment: leave `end` out.")
        return starts_at, None
    if not end:
        if kind == "vote":
            raise UserError("A vote needs its close: give `end`, for example `July 18 9pm`.")
        return starts_at, starts_at + DEFAULT_LENGTH
    ends_at = timeparse.parse_local_time(end, zone, now, allow_past=True)
    if ends_at <= starts_at:
        what = "The close" if kind == "vote" else "The end"
        opening = "opening" if kind == "vote" else "start"
        raise UserError(
            f"{what} ({timeparse.format_local(ends_at, zone)}) must come after the {opening} "
            f"({timeparse.format_local(starts_at, zone)})."
        )
    return starts_at, ends_at


def make_draft(
    kind: str,
    title: str,
    description: str | None,
    starts_at: datetime,
    ends_at: datetime | None,
    place: str | None,
    unit_ids: tuple[int, ...],
    timezone: str,
    how_to_vote: str | None = None,
    role_ids: tuple[int, ...] = (),
    repeat: str | None = None,
    discussion: bool = False,
) -> Draft:
    """Validate what an organizer typed into a Draft; UserError says what to fix."""
    if kind not in KINDS:
        raise UserError("The kind is `townhall`, `vote` or `deadline`.")
    title = " ".join(clean_text(title, TITLE_MAX, "title", required=True).split())
    text = clean_text(description, DESCRIPTION_MAX, "description")
    where = clean_text(place, PLACE_MAX, "place or link") or None
    if kind == "townhall" and where is None:
        raise UserError("A town hall needs a place or a link: give `place`.")
    how = clean_text(how_to_vote, HOW_TO_VOTE_MAX, "way to vote") or None
    if kind == "vote" and how is None:
        # The bot never takes a ballot: members must be told the official way to vote.
        raise UserError(
            "A vote needs the official way to vote: give `how_to_vote` (the voting service's "
            "link or the instructions)."
        )
    if repeat:
        if kind != "townhall":
            raise UserError("Only town halls and meetings can repeat: leave `repeat` out.")
        recurrence.make_rule(repeat, starts_at, ends_at or starts_at + DEFAULT_LENGTH, timezone)
    if discussion and kind != "townhall":
        raise UserError("A discussion thread is for town halls: leave `thread` out.")
    return Draft(
        kind,
        title,
        text,
        starts_at,
        ends_at,
        where,
        unit_ids,
        timezone,
        how,
        role_ids,
        repeat,
        discussion,
    )
