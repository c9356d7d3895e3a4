"""Every word the public site shows, in one place: the catalogue a translation will extend.

The site is written in the server's language; English is the only one so far, and any other
asked for falls back to it. Templates read these as `t.key`; plural forms take a count
(`plural(n, "day")`). Nothing here is about a member.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

ENGLISH: dict[str, str] = {
    "skip": "Skip to the content",
    "nav_label": "Sections",
    "home": "Home",
    "tracker": "Tracker",
    "updates": "Updates",
    "proposals": "Proposals",
    "events": "Town halls and votes",
    "feeds": "Feeds",
    "atom_feed": "Updates feed (Atom)",
    "ics_feed": "Calendar (.ics)",
    "json_feed": "Tracker data (JSON)",
    "generated": "Page built on {when}.",
    "footer_note": (
        "Published by the organizers from their bargaining updates. This page holds nothing "
        "about any member."
    ),
    "dates_in": "Dates are in the {zone} time zone.",
    # home
    "home_intro": "Where bargaining stands, what was said and when, and what comes next.",
    "latest_updates": "Latest updates",
    "all_updates": "All updates",
    "upcoming": "Coming up",
    "nothing_public": "Nothing has been published here yet.",
    "at_a_glance": "At a glance",
    "units_ta": "{n} of {total} units have reached a tentative agreement",
    "units_ratified": "{n} of {total} ratified",
    "units_waiting": "{n} waiting for the details of their agreement",
    # tracker
    "tracker_title": "Where bargaining stands",
    "unit": "Unit",
    "status": "Status",
    "since": "Since",
    "waited": "Waited",
    "members_label": "Members",
    "members": "{n} members",
    "not_started": "Not started",
    "ta_reached": "Tentative agreement reached",
    "details_out": "Details released",
    "days_ago": "{days} ago",
    "today": "today",
    "waiting_since_ta": "{days} waiting for the details since the tentative agreement",
    "details_after": "details released {days} after the tentative agreement",
    "since_summary": "{days} since the summary",
    "withheld": "Details withheld",
    "withheld_why": "Why",
    "withheld_expected": "Expected",
    "overdue": "Overdue by {days}",
    "on_time": "Not yet due",
    "date_moved": "Expected {old}, moved to {new} on {on}",
    "history": "History",
    "no_history": "No status recorded yet.",
    "corrected": "corrected",
    "announced_in": "Announced in update #{id}",
    "last_heard": "Last update",
    "never_heard": "No update yet",
    "chart_title": "Days from tentative agreement to details",
    "chart_text": (
        "Each bar is one unit; its length is the days between its tentative agreement and the "
        "release of its details (or, still waiting, the days so far). The table gives each "
        "number."
    ),
    "chart_done": "released",
    "chart_waiting": "still waiting",
    "open_at_table": "Open at the table",
    # updates
    "updates_title": "Negotiation updates",
    "page_of": "Page {page} of {pages}",
    "newer": "Newer updates",
    "older": "Older updates",
    "published": "Published {when}",
    "edited": "Edited {when}",
    "topics": "Topics",
    "units": "Units",
    "source": "Source",
    "no_news": "No-news update",
    "retracted": "Retracted",
    "retracted_on": "The organizers retracted this update on {when}.",
    "retracted_why": "Why",
    "retracted_text": "Its text is no longer shown.",
    "edit_history": "Edit history",
    "edit_history_none": "Not edited since it was published.",
    "version_until": "Text until {when}",
    "versions_hidden": "{n} earlier versions are not shown.",
    "changes_link": "What changes, article by article",
    # summaries
    "changes_title": "What changes: {title}",
    "not_contract": (
        "A plain-language summary, not contract language. The ratification materials hold "
        "the contract language."
    ),
    "article": "Article",
    "current_terms": "Current terms",
    "new_terms": "New terms",
    "what_it_means": "What it means",
    "kind_added": "Added",
    "kind_changed": "Changed",
    "kind_removed": "Removed",
    "counts": "{added} added, {changed} changed, {removed} removed",
    "more_pages": "More articles",
    "back_to_update": "Back to the update",
    # proposals
    "proposals_title": "Proposals at the table",
    "proposals_intro": "Each open item, whose move it is, and the date of the last exchange.",
    "whose_move": "Whose move",
    "move_union": "Union's move",
    "move_employer": "Employer's move",
    "last_exchange": "Last exchange",
    "note": "Note",
    "closed_items": "Closed items",
    "outcome": "Outcome",
    "no_proposals": "No open items are recorded.",
    # events
    "events_title": "Town halls and votes",
    "events_intro": "What comes next. Add them to your calendar with the calendar feed.",
    "no_events": "Nothing is scheduled yet.",
    "kind_townhall": "Town hall",
    "kind_vote": "Vote",
    "kind_deadline": "Deadline",
    "starts": "Starts",
    "ends": "Ends",
    "opens": "Voting opens",
    "closes": "Voting closes",
    "at": "At",
    "where": "Where",
    "how_to_vote": "How to vote",
    "never_a_ballot": "This page never takes a ballot: vote only through the official way above.",
    "cancelled": "Cancelled",
    "cancelled_why": "Why",
    "for_units": "For",
    "session_cancelled": "this session is cancelled",
    "feed_title": "{title}: negotiation updates",
}

_CATALOGUES: dict[str, dict[str, str]] = {"en": ENGLISH}
_PLURALS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"day": ("{n} day", "{n} days"), "update": ("{n} update", "{n} updates")}
}


class Strings:
    """One language's catalogue: `t.key` or `t["key"]`, `t.plural(n, "day")`."""

    def __init__(self, language: str) -> None:
        self.language = language if language in _CATALOGUES else "en"
        self._words = MappingProxyType(_CATALOGUES[self.language])

    def __getattr__(self, key: str) -> str:
        try:
            return self._words[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def plural(self, n: int, word: str) -> str:
        one, many = _PLURALS[self.language][word]
        return (one if n == 1 else many).format(n=n)

    def format(self, key: str, **values: Any) -> str:
        return self._words[key].format(**values)


def catalogue(language: str | None = None) -> Strings:
    """The site's words in `language` (English when it is not translated yet)."""
    return Strings(language or "en")
