"""Events: town halls, votes and deadlines, with reminders that fire once, on time.

The capability's public face: what cogs, other capabilities and tests call, re-exported from
the modules that hold it, and the timer handlers bot.wiring registers. Inside, from the bottom:

- model: Event, Session and Draft; reading events and sessions.
- embeds: the event as members see it, its buttons (plain dicts).
- calendar: .ics files.
- votes: I voted, the anonymous tally, turnout, the vote-close timer.
- reminders: offsets, the reminder timer, Remind me.
- rsvps: Going / Maybe / Not going per session, the RSVP reminders, counts.
- recurrence: repeating meetings.  drafts: what an organizer typed, validated.
- sessions: adding and cancelling sessions and windows.
- changes: create, edit, cancel.  questions: town hall questions in advance and the recap.
- charts, privacy, demo.

Privacy: who pressed Remind me, who RSVPed and who said they voted are personal data. They
are used to send that member's DMs and to count; organizers see counts only, and nothing
here logs them. The "I voted" flag exists only to stop that member's reminders.
"""

from __future__ import annotations

from bot.core import timers
from bot.events import calendar, questions, recurrence, reminders, rsvps, votes
from bot.events.changes import cancel, create, edit, set_discord_event, set_thread
from bot.events.charts import turnout_chart, turnout_description
from bot.events.demo import load_demo
from bot.events.drafts import make_draft, parse_times
from bot.events.embeds import (
    BUTTON_PATTERN,
    NAME_PATTERN,
    RSVP_PATTERN,
    RSVP_UNIT_PATTERN,
    UNIT_SELECT_PATTERN,
    button_id,
    buttons,
    event_embed,
    name_button,
    session_label,
)
from bot.events.model import (
    DESCRIPTION_MAX,
    KIND_LABEL,
    PLACE_MAX,
    TITLE_MAX,
    Draft,
    Event,
    Session,
    get,
    get_any,
    resolve_units,
    upcoming,
)
from bot.events.privacy import delete_member, export_member
from bot.events.recurrence import (
    RECUR_TIMER,
    SYNC_TOPIC,
    UPCOMING_OCCURRENCES,
    make_rule,
    occurrence,
    unsynced,
)
from bot.events.reminders import (
    TIMER_KIND,
    default_offsets,
    describe_offset,
    describe_offsets,
    offsets_ahead,
    offsets_ahead_of,
    offsets_of,
    parse_offsets,
    reminder_timers,
    set_default_offsets,
    set_offsets,
    toggle_reminders,
)
from bot.events.rsvps import (
    RSVP_TIMER,
    rsvp,
    rsvp_counts,
    rsvp_session,
    set_rsvp_unit,
    set_show_name,
)
from bot.events.sessions import add_session, cancel_session
from bot.events.votes import VOTE_CLOSE_TIMER, Turnout, mark_voted, share, turnout, turnout_series

__all__ = [
    "BUTTON_PATTERN",
    "DESCRIPTION_MAX",
    "KIND_LABEL",
    "NAME_PATTERN",
    "PLACE_MAX",
    "RECUR_TIMER",
    "RSVP_PATTERN",
    "RSVP_TIMER",
    "RSVP_UNIT_PATTERN",
    "SYNC_TOPIC",
    "TIMERS",
    "TIMER_KIND",
    "TITLE_MAX",
    "UNIT_SELECT_PATTERN",
    "UPCOMING_OCCURRENCES",
    "VOTE_CLOSE_TIMER",
    "Draft",
    "Event",
    "Session",
    "Turnout",
    "add_session",
    "button_id",
    "buttons",
    "calendar",
    "cancel",
    "cancel_session",
    "create",
    "default_offsets",
    "delete_member",
    "describe_offset",
    "describe_offsets",
    "edit",
    "event_embed",
    "export_member",
    "get",
    "get_any",
    "load_demo",
    "make_draft",
    "make_rule",
    "mark_voted",
    "name_button",
    "occurrence",
    "offsets_ahead",
    "offsets_ahead_of",
    "offsets_of",
    "parse_offsets",
    "parse_times",
    "questions",
    "reminder_timers",
    "resolve_units",
    "rsvp",
    "rsvp_counts",
    "rsvp_session",
    "session_label",
    "set_default_offsets",
    "set_discord_event",
    "set_offsets",
    "set_rsvp_unit",
    "set_show_name",
    "set_thread",
    "share",
    "toggle_reminders",
    "turnout",
    "turnout_chart",
    "turnout_description",
    "turnout_series",
    "unsynced",
    "upcoming",
]

# Every timer kind of the capability with its handler; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {
    **votes.TIMERS,
    **reminders.TIMERS,
    **rsvps.TIMERS,
    **recurrence.TIMERS,
}
