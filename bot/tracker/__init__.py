"""The bargaining tracker: where each unit stands, since when, and how we got here.

The package's modules: `model` (the lifecycle, the records and their dataclasses, days
counted in the server's zone), `status` (moving a unit, the overview, how it looks),
`withheld` (details withheld and their expected dates), `proposals` (open items at the table),
`silence` (the committee's nudge when members hear nothing), `charts` (the timeline picture),
`demo` (the campaign's timeline). This module re-exports what the cogs and other capabilities
call, and the timer handlers bot.wiring registers.
"""

from __future__ import annotations

from bot.core import timers
from bot.tracker import silence
from bot.tracker.charts import chart_data, timeline_description, timeline_lines, timeline_png
from bot.tracker.demo import load_demo
from bot.tracker.model import (
    INSERT,
    NOTE_MAX,
    REASON_MAX,
    STATUSES,
    Overview,
    Status,
    StatusChange,
    UnitStanding,
    Withheld,
    date_text,
    days_between,
    find_status,
    history,
)
from bot.tracker.proposals import (
    PROPOSAL_TITLE_MAX,
    Proposal,
    add_proposal,
    close_proposal,
    get_proposal,
    open_proposals,
    proposals_embed,
    set_proposal,
)
from bot.tracker.silence import NO_NEWS_ID, arm_silence, no_news_text
from bot.tracker.status import (
    overview,
    overview_embed,
    reached_text,
    set_status,
    standing,
    unit_embed,
)
from bot.tracker.withheld import mark_withheld

__all__ = [
    "INSERT",
    "NOTE_MAX",
    "NO_NEWS_ID",
    "PROPOSAL_TITLE_MAX",
    "REASON_MAX",
    "STATUSES",
    "TIMERS",
    "Overview",
    "Proposal",
    "Status",
    "StatusChange",
    "UnitStanding",
    "Withheld",
    "add_proposal",
    "arm_silence",
    "chart_data",
    "close_proposal",
    "date_text",
    "days_between",
    "find_status",
    "get_proposal",
    "history",
    "load_demo",
    "mark_withheld",
    "no_news_text",
    "open_proposals",
    "overview",
    "overview_embed",
    "proposals_embed",
    "reached_text",
    "set_proposal",
    "set_status",
    "standing",
    "timeline_description",
    "timeline_lines",
    "timeline_png",
    "unit_embed",
]

# Timer kinds handled by the tracker; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {**silence.TIMERS}
