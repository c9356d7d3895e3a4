"""An event as members see it: the embed, its times, and its buttons (plain dicts, no discord
import; cogs/events registers the DynamicItems matching the custom_ids)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core import timeparse
from bot.core.render import Colour, embed
from bot.events.model import Event, Session, live_sessions

# custom_ids of the persistent buttons (cogs/events registers DynamicItems matching them).
BUTTON_ID = "event:{action}:{event_id}"
BUTTON_PATTERN = r"event:(?P<action>remind|going|notgoing|voted):(?P<event_id>[0-9]+)"
# The unit select shown after I voted on a vote for several units (counts per unit only).
UNIT_SELECT_PATTERN = r"event:unit:(?P<event_id>[0-9]+)"
# custom_ids of the per-session RSVP buttons and the show-my-name toggle.
RSVP_PATTERN = r"rsvp:(?P<status>going|maybe|notgoing):(?P<session_id>[0-9]+)"
NAME_PATTERN = r"rsvp:name:(?P<show>[01]):(?P<session_id>[0-9]+)"
RSVP_UNIT_PATTERN = r"rsvp:unit:(?P<session_id>[0-9]+)"


def when_text(event: Event) -> str:
    """The event's times as Discord timestamps, by kind."""
    lines = []
    for s in event.sessions:
        if s.state == "cancelled" and event.state != "cancelled":
            # One cancelled session or occurrence: shown struck through, the others stand.
            lines.append(f"~~{timeparse.discord_timestamp(s.starts_at, 'F')}~~ (cancelled)")
            continue
        start = timeparse.discord_timestamp(s.starts_at, "F")
        rel = timeparse.discord_timestamp(s.starts_at, "R")
        if event.kind == "deadline":
            lines.append(f"{start} ({rel})")
        elif event.kind == "vote":
            end = timeparse.discord_timestamp(s.ends_at or s.starts_at, "F")
            lines.append(f"Opens {start} ({rel})\nCloses {end}")
        else:
            end = timeparse.discord_timestamp(s.ends_at or s.starts_at, "t")
            lines.append(f"{start} to {end} ({rel})")
    return "\n".join(lines)


def event_embed(event: Event, now: datetime, *, footer: str | None = None) -> dict[str, Any]:
    """The event as members see it: kind, title, description, when, where, how to vote."""
    cancelled = event.state == "cancelled"
    title = f"{'CANCELLED: ' if cancelled else ''}{event.label}"
    fields: list[tuple[str, str, bool]] = [("When", when_text(event), False)]
    places = [s.place for s in event.sessions if s.place]
    if places:
        fields.append(("Where", "\n".join(places), False))
    if event.how_to_vote:
        fields.append(("How to vote", event.how_to_vote, False))
    if event.thread_id:
        fields.append(("Discussion", f"<#{event.thread_id}>", False))
    if cancelled and event.cancel_reason:
        fields.append(("Why it was cancelled", event.cancel_reason, False))
    colour = Colour.DANGER if cancelled else Colour.INFO
    if not cancelled and event.closes_at < now:
        colour = Colour.NEUTRAL
    return embed(
        title,
        event.description or None,
        fields=fields,
        colour=colour,
        footer=footer
        or f"Event #{event.id} · /events calendar id: {event.id} adds it to your calendar",
    )


def button_id(action: str, event_id: int) -> str:
    """The custom_id of one of an event's persistent buttons."""
    return BUTTON_ID.format(action=action, event_id=event_id)


def buttons(event: Event, now: datetime | None = None) -> list[dict[str, Any]]:
    """The event's buttons as message components: Remind me, I voted (votes), Ask a question
    and Questions (town halls), then a Going / Maybe / Not going row per upcoming session."""
    if event.state != "scheduled":
        return []
    row = [_button("remind", event.id, "Remind me", 1)]
    if event.kind == "vote":
        row.append(_button("voted", event.id, "I voted", 3))
    if event.kind == "townhall":
        row.append(_plain(f"townhall:ask:{event.id}", "Ask a question", 1))
        row.append(_plain(f"townhall:list:{event.id}", "Questions", 2))
    rows = [{"type": 1, "components": row}]
    if event.kind == "townhall":
        rows += rsvp_buttons(event, now or datetime.min.replace(tzinfo=event.starts_at.tzinfo))
    return rows


def _plain(custom_id: str, label: str, style: int) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label[:80], "custom_id": custom_id}


def _button(action: str, event_id: int, label: str, style: int) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": button_id(action, event_id)}


def session_label(session: Session, zone: str) -> str:
    """A session as a button or list shows it: its local day and time (no markup)."""
    local = session.starts_at.astimezone(timeparse.parse_zone(zone))
    return local.strftime("%a %b %-d, %-I:%M %p").replace(":00 ", " ")


def rsvp_buttons(event: Event, now: datetime) -> list[dict[str, Any]]:
    """One row per upcoming session (at most 4): Going, Maybe, Not going."""
    if event.state != "scheduled" or event.kind == "deadline":
        return []
    sessions = live_sessions(event, now)[:4]
    rows = []
    for s in sessions:
        suffix = f" · {session_label(s, event.timezone)}" if len(sessions) > 1 else ""
        rows.append(
            {
                "type": 1,
                "components": [
                    _plain(f"rsvp:going:{s.id}", f"Going{suffix}", 3),
                    _plain(f"rsvp:maybe:{s.id}", "Maybe", 2),
                    _plain(f"rsvp:notgoing:{s.id}", "Not going", 2),
                ],
            }
        )
    return rows


def name_button(session_id: int, show: bool) -> dict[str, Any]:
    """The toggle offered after an RSVP: show (or hide) my name to organizers."""
    label = "Show my name to organizers" if show else "Hide my name from organizers"
    return _plain(f"rsvp:name:{1 if show else 0}:{session_id}", label, 2)
