"""The site as files: every page, the feeds and the stylesheet, rendered from a Snapshot.

Jinja2 with autoescaping on (everything organizers typed is escaped); every link is
relative, so the folder works from any address, from a file:// URL and from a static host,
and no page asks for anything outside its own folder. Pure: no database, no disk writes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from bot.events import calendar
from bot.events.model import Event
from bot.site.gather import PublicProposal, PublicUpdate, Snapshot
from bot.site.strings import Strings, catalogue
from bot.tracker.model import days_between

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
UPDATES_PER_PAGE = 50
FEED_ENTRIES = 50
HOME_UPDATES = 5
HOME_EVENTS = 3
UNIT_UPDATES = 20
REVISIONS_SHOWN = 10
# Characters of terms per page of a summary (a page stays well under 100 KB).
SUMMARY_PAGE_CHARS = 40_000
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_NAMESPACE = uuid.UUID("5b0e7c1e-24a1-4a8e-9a5e-2c1f0d6a7b24")


# -- filters -----------------------------------------------------------------------------


def linkify(text: str) -> Markup:
    """Escaped text with its web addresses as links (they leave only when followed)."""
    out, last = [], 0
    for match in _LINK.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}" rel="nofollow">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def paragraphs(text: str | None) -> Markup:
    """Text as HTML paragraphs: a blank line starts one, a line break stays a line break."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", (text or "").strip()) if p.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(linkify(line) for line in p.split("\n")))
        for p in parts
    )


def _local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))


def day(at: datetime | None, zone: str) -> str:
    """A date as members read it, in `zone`: "June 28, 2024"."""
    if at is None:
        return "—"
    local = _local(at, zone)
    return f"{local:%B} {local.day}, {local.year}"


def moment(at: datetime, zone: str) -> str:
    """A day and time with its zone: "Saturday, July 13, 2024, 12:00 PM PDT"."""
    local = _local(at, zone)
    hour = local.hour % 12 or 12
    return (
        f"{local:%A}, {local:%B} {local.day}, {local.year}, "
        f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    )


def iso(at: datetime) -> str:
    """The machine-readable form for <time datetime> and the feeds."""
    return at.isoformat(timespec="seconds")


@cache
def environment() -> Environment:
    """The one Jinja2 environment (autoescaped, strict about undefined names)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(paragraphs=paragraphs, linkify=linkify, iso=iso)
    return env


# -- pages -------------------------------------------------------------------------------


class Pages:
    """Renders one Snapshot into {relative path: bytes}."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.t: Strings = catalogue(snap.language)
        self.zone = snap.zone
        self.files: dict[str, bytes] = {}
        s = snap.settings
        self.sections = {
            "tracker": s.public_tracker,
            "updates": s.public_updates,
            "proposals": s.public_proposals,
            "events": s.public_events,
        }
        self.unit_slugs = {u.code: u.slug for u in snap.units}

    def days(self, n: int) -> str:
        return self.t.plural(n, "day")

    def ago(self, at: datetime | None) -> str:
        if at is None:
            return ""
        n = days_between(at, self.snap.now, self.zone)
        return self.t.today if n <= 0 else self.t.format("days_ago", days=self.days(n))

    def page(self, path: str, template: str, current: str, title: str, **values: Any) -> None:
        depth = path.count("/")
        context = {
            "t": self.t,
            "root": "../" * depth,
            "current": current,
            "page_title": title,
            "site_title": self.snap.settings.heading(),
            "sections": self.sections,
            "zone": self.zone,
            "now": self.snap.now,
            "day": lambda at: day(at, self.zone),
            "moment": moment,
            "days": self.days,
            "ago": self.ago,
            "unit_slugs": self.unit_slugs,
            "kind_label": lambda k: self.t[f"kind_{k}"],
            **values,
        }
        html = environment().get_template(template).render(context)
        self.files[path] = html.encode("utf-8")

    def render(self) -> dict[str, bytes]:
        snap = self.snap
        self.files["static/site.css"] = (STATIC / "site.css").read_bytes()
        upcoming = self.upcoming_events()
        self.page(
            "index.html",
            "home.html.j2",
            "home",
            snap.settings.heading(),
            latest=snap.updates[:HOME_UPDATES],
            totals=snap.totals,
            upcoming=upcoming[:HOME_EVENTS],
        )
        if self.sections["tracker"]:
            self.tracker()
        if self.sections["updates"]:
            self.updates()
        if self.sections["proposals"]:
            self.proposals()
        if self.sections["events"]:
            self.page(
                "events/index.html",
                "events.html.j2",
                "events",
                self.t.events_title,
                events=upcoming,
            )
            name = f"{snap.settings.heading()}: {self.t.events_title}"
            self.files["events.ics"] = calendar.calendar(snap.events, name)
        return self.files

    # -- sections ------------------------------------------------------------------------

    def tracker(self) -> None:
        snap = self.snap
        waits = [u for u in snap.units if u.tentative_at is not None]
        longest = max((u.days_to_details or u.days_waiting or 0 for u in waits), default=0)
        self.page(
            "tracker/index.html",
            "tracker.html.j2",
            "tracker",
            self.t.tracker_title,
            units=snap.units,
            totals=snap.totals,
            waits=waits,
            longest=max(longest, 1),
        )
        by_unit: dict[str, list[PublicUpdate]] = defaultdict(list)
        for u in snap.updates:
            for code in u.unit_codes:
                if len(by_unit[code]) < UNIT_UPDATES:
                    by_unit[code].append(u)
        for unit in snap.units:
            self.page(
                f"tracker/{unit.slug}.html",
                "unit.html.j2",
                "tracker",
                unit.label,
                unit=unit,
                about=by_unit.get(unit.code, ()),
            )
        self.files["tracker.json"] = tracker_json(snap)

    def updates(self) -> None:
        snap = self.snap
        items = snap.updates
        pages = max(1, -(-len(items) // UPDATES_PER_PAGE))
        for n in range(pages):
            chunk = items[n * UPDATES_PER_PAGE : (n + 1) * UPDATES_PER_PAGE]
            self.page(
                update_page_name(n),
                "updates.html.j2",
                "updates",
                self.t.updates_title,
                items=chunk,
                number=n + 1,
                pages=pages,
                newer=update_page_name(n - 1).removeprefix("updates/") if n > 0 else None,
                older=update_page_name(n + 1).removeprefix("updates/") if n + 1 < pages else None,
            )
        for u in items:
            shown = u.revisions[-REVISIONS_SHOWN:]
            self.page(
                f"updates/{u.id}.html",
                "update.html.j2",
                "updates",
                u.title,
                u=u,
                revisions=tuple(reversed(shown)),
                hidden=len(u.revisions) - len(shown),
                changes=f"{u.id}-changes.html" if u.id in snap.summaries else None,
            )
            if u.id in snap.summaries:
                self.changes(u)
        self.files["updates.atom"] = self.atom()

    def changes(self, u: PublicUpdate) -> None:
        summary = self.snap.summaries[u.id]
        groups: list[list[Any]] = [[]]
        size = 0
        for item in summary.items:
            length = len(item.current or "") + len(item.new or "") + len(item.note)
            if groups[-1] and size + length > SUMMARY_PAGE_CHARS:
                groups.append([])
                size = 0
            groups[-1].append(item)
            size += length
        names = [f"{u.id}-changes.html"] + [
            f"{u.id}-changes-{n}.html" for n in range(2, len(groups) + 1)
        ]
        counts = summary.counts()
        for n, group in enumerate(groups):
            self.page(
                f"updates/{names[n]}",
                "changes.html.j2",
                "updates",
                self.t.format("changes_title", title=summary.title or u.title),
                u=u,
                summary=summary,
                items=group,
                counts=counts,
                pages=names,
                number=n,
            )

    def proposals(self) -> None:
        by_article: dict[str, list[PublicProposal]] = defaultdict(list)
        for p in self.snap.proposals:
            if p.open:
                by_article[p.article].append(p)
        closed = [p for p in self.snap.proposals if not p.open]
        self.page(
            "proposals/index.html",
            "proposals.html.j2",
            "proposals",
            self.t.proposals_title,
            articles=sorted(by_article.items(), key=lambda kv: kv[0].lower()),
            closed=closed,
        )

    def upcoming_events(self) -> list[Event]:
        now = self.snap.now
        live = [e for e in self.snap.events if e.closes_at >= now]
        return sorted(live, key=lambda e: (e.starts_at, e.id))

    def atom(self) -> bytes:
        snap = self.snap
        base = snap.settings.url
        entries = []
        for u in snap.updates[:FEED_ENTRIES]:
            changed = max(x for x in (u.published_at, u.edited_at, u.retracted_at) if x)
            link = f"{base}/updates/{u.id}.html" if base else None
            entries.append(
                {
                    "id": link or f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{snap.guild_id}:{u.id}')}",
                    "link": link,
                    "u": u,
                    "updated": changed,
                }
            )
        newest = max((e["updated"] for e in entries), default=snap.now)
        feed_id = (
            f"{base}/updates.atom"
            if base
            else (f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{snap.guild_id}:feed')}")
        )
        xml = (
            environment()
            .get_template("atom.xml.j2")
            .render(
                t=self.t,
                title=self.t.format("feed_title", title=snap.settings.heading()),
                author=snap.settings.heading(),
                base=base,
                feed_id=feed_id,
                updated=newest,
                entries=entries,
                day=lambda at: day(at, self.zone),
            )
        )
        return xml.encode("utf-8")


def update_page_name(n: int) -> str:
    """The n-th page (from 0) of the updates list."""
    return "updates/index.html" if n == 0 else f"updates/page-{n + 1}.html"


def tracker_json(snap: Snapshot) -> bytes:
    """The tracker for other sites: every unit's status, dates, waits and history."""

    def when(at: datetime | None) -> str | None:
        return iso(at) if at else None

    data = {
        "title": snap.settings.heading(),
        "generated_at": iso(snap.now),
        "timezone": snap.zone,
        "totals": None if snap.totals is None else vars(snap.totals),
        "units": [
            {
                "code": u.code,
                "name": u.label,
                "member_count": u.member_count,
                "status": u.status,
                "status_label": u.status_label,
                "since": when(u.since),
                "tentative_agreement_at": when(u.tentative_at),
                "details_released_at": when(u.details_at),
                "days_waiting": u.days_waiting,
                "days_to_details": u.days_to_details,
                "last_update_at": when(u.last_heard),
                "withheld": None
                if u.held is None
                else {
                    "reason": u.held.reason,
                    "expected_at": when(u.held.expected_at),
                    "overdue_days": u.held.overdue_days,
                },
                "history": [
                    {
                        "status": s.status,
                        "label": s.label,
                        "reached_at": when(s.reached_at),
                        "note": s.note,
                        "update": s.update_id,
                    }
                    for s in u.history
                ],
            }
            for u in snap.units
        ],
    }
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def render_site(snap: Snapshot) -> dict[str, bytes]:
    """Every file of the site: {path relative to the site's folder: content}."""
    return Pages(snap).render()
