"""What is public, gathered from the domain into dataclasses that cannot hold a member.

Each dataclass here carries only what the site shows: no author, editor or creator id, no
RSVP, question or volunteer. An update or event is gathered when its organizer marked it
public and the server publishes that section; the tracker and proposals when the server
publishes them. Reads only; one consistent snapshot at `now`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot import events, tracker
from bot.core import guild_settings, units
from bot.core.db import Database, from_db
from bot.events.model import Event
from bot.site import settings as site_settings
from bot.site.settings import SiteSettings
from bot.tracker import withheld as tracker_withheld
from bot.tracker.model import ALL_HISTORY, STATUSES, change_from_row, days_between
from bot.updates import summaries

# Public updates with their topics and unit codes, newest first (one query however many).
PUBLIC_UPDATES = """
SELECT u.id, u.kind, u.title, u.body, u.source_url, u.published_at, u.edited_at,
       u.retracted_at, u.retraction_note,
    (SELECT group_concat(topic, '|') FROM bargaining_update_topic t WHERE t.update_id = u.id)
        AS topic_list,
    (SELECT group_concat(b.code, '|') FROM bargaining_update_unit x
        JOIN bargaining_unit b ON b.id = x.unit_id WHERE x.update_id = u.id) AS unit_list
FROM bargaining_update u
WHERE u.guild_id = ? AND u.public = 1
ORDER BY u.published_at DESC, u.id DESC
"""
PUBLIC_REVISIONS = """
SELECT r.update_id, r.title, r.body, r.source_url, r.replaced_at
FROM bargaining_update_revision r JOIN bargaining_update u ON u.id = r.update_id
WHERE u.guild_id = ? AND u.public = 1
ORDER BY r.update_id, r.id
"""
SUMMARISED = "SELECT update_id FROM update_summary WHERE guild_id = ?"
PUBLIC_EVENTS = "SELECT id FROM event WHERE guild_id = ? AND public = 1 ORDER BY id"
PROPOSALS = """
SELECT id, unit_id, title, whose_move, last_exchange_at, note, state, outcome, closed_at
FROM proposal WHERE guild_id = ? ORDER BY title COLLATE NOCASE, last_exchange_at DESC, id
"""
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Revision:
    """An update's earlier text, and when the next edit replaced it."""

    title: str
    body: str
    source_url: str | None
    replaced_at: datetime


@dataclass(frozen=True)
class PublicUpdate:
    """An update as the site shows it (no author, no editor)."""

    id: int
    kind: str
    title: str
    body: str
    source_url: str | None
    published_at: datetime
    edited_at: datetime | None
    retracted_at: datetime | None
    retraction_note: str | None
    topics: tuple[str, ...]
    unit_codes: tuple[str, ...]
    revisions: tuple[Revision, ...] = ()
    has_summary: bool = False


@dataclass(frozen=True)
class Step:
    """One dated step of a unit's history."""

    status: str
    label: str
    reached_at: datetime
    note: str | None
    update_id: int | None  # the public update that announced it, if public
    corrected: bool


@dataclass(frozen=True)
class DateMove:
    """A move of the expected date of withheld details."""

    old: datetime
    new: datetime
    on: datetime
    reason: str | None


@dataclass(frozen=True)
class Held:
    """Details withheld: why, when expected, and how late."""

    reason: str
    expected_at: datetime
    overdue_days: int
    moves: tuple[DateMove, ...]


@dataclass(frozen=True)
class PublicProposal:
    """An item at a unit's table."""

    id: int
    unit_code: str
    unit_label: str
    unit_slug: str
    article: str
    whose_move: str
    last_exchange_at: datetime
    note: str | None
    open: bool
    outcome: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class PublicUnit:
    """A unit on the tracker: status, dates, days waited, history."""

    code: str
    slug: str
    label: str
    member_count: int | None
    status: str
    status_label: str
    since: datetime | None
    tentative_at: datetime | None
    details_at: datetime | None
    days_waiting: int | None
    days_to_details: int | None
    days_since_ta: int | None
    days_since_details: int | None
    last_heard: datetime | None
    last_heard_no_news: bool
    held: Held | None
    history: tuple[Step, ...]
    proposals: tuple[PublicProposal, ...] = ()


@dataclass(frozen=True)
class Totals:
    """The tracker's totals."""

    total: int
    reached_ta: int
    ratified: int
    waiting: int


@dataclass(frozen=True)
class Snapshot:
    """Everything the site shows, read at one instant."""

    guild_id: int
    settings: SiteSettings
    zone: str
    now: datetime
    language: str = "en"
    updates: tuple[PublicUpdate, ...] = ()
    summaries: dict[int, summaries.Summary] = field(default_factory=dict)
    units: tuple[PublicUnit, ...] = ()
    totals: Totals | None = None
    proposals: tuple[PublicProposal, ...] = ()
    events: tuple[Event, ...] = ()

    @property
    def update_ids(self) -> frozenset[int]:
        """The public updates' numbers (links go only to those)."""
        return frozenset(u.id for u in self.updates)


def slug(code: str, taken: set[str]) -> str:
    """A file name for a unit code: letters, digits, - and _ only, unique among `taken`."""
    base = _SLUG.sub("-", code).strip("-").lower() or "unit"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p for p in (text or "").split("|") if p)


async def _updates(db: Database, guild_id: int) -> tuple[PublicUpdate, ...]:
    revisions: dict[int, list[Revision]] = defaultdict(list)
    for r in await db.fetchall(PUBLIC_REVISIONS, (guild_id,)):
        revisions[r["update_id"]].append(
            Revision(r["title"], r["body"], r["source_url"], from_db(r["replaced_at"]))
        )
    with_summary = {r[0] for r in await db.fetchall(SUMMARISED, (guild_id,))}
    return tuple(
        PublicUpdate(
            id=r["id"],
            kind=r["kind"],
            title=r["title"],
            body=r["body"],
            source_url=r["source_url"],
            published_at=from_db(r["published_at"]),
            edited_at=from_db(r["edited_at"]),
            retracted_at=from_db(r["retracted_at"]),
            retraction_note=r["retraction_note"],
            topics=tuple(sorted(_split(r["topic_list"]), key=str.lower)),
            unit_codes=tuple(sorted(_split(r["unit_list"]))),
            revisions=tuple(revisions.get(r["id"], ())),
            has_summary=r["id"] in with_summary and r["retracted_at"] is None,
        )
        for r in await db.fetchall(PUBLIC_UPDATES, (guild_id,))
    )


async def _tracker(
    db: Database, guild_id: int, now: datetime, zone: str, public_updates: frozenset[int]
) -> tuple[tuple[PublicUnit, ...], Totals, dict[int, tuple[str, str, str]]]:
    view = await tracker.overview(db, guild_id, now, zone)
    histories: dict[int, list[Step]] = defaultdict(list)
    for row in await db.fetchall(ALL_HISTORY, (guild_id,)):
        c = change_from_row(row)
        histories[c.unit_id].append(
            Step(
                c.status,
                c.label,
                c.reached_at,
                c.note,
                c.update_id if c.update_id in public_updates else None,
                c.forced,
            )
        )
    taken: set[str] = set()
    out, names = [], {}
    # The units by number, then the general tables (not counted among the units' totals).
    for s in [*view.standings, *view.tables]:
        held = None
        if s.withheld is not None:
            mark = await tracker_withheld.open_mark(db, guild_id, s.unit.id)
            moves = tuple(
                DateMove(m.old_expected_at, m.new_expected_at, m.changed_at, m.reason)
                for m in (mark.changes if mark else ())
            )
            held = Held(
                s.withheld.reason,
                s.withheld.expected_at,
                max(0, days_between(s.withheld.expected_at, now, zone)),
                moves,
            )
        unit_slug = slug(s.unit.code, taken)
        names[s.unit.id] = (s.unit.code, s.unit.label, unit_slug)
        out.append(
            PublicUnit(
                code=s.unit.code,
                slug=unit_slug,
                label=s.unit.label,
                member_count=s.unit.member_count,
                status=s.status,
                status_label=STATUSES[s.status].label if s.status in STATUSES else s.status,
                since=s.current.reached_at if s.current else None,
                tentative_at=s.tentative_at,
                details_at=s.details_at,
                days_waiting=s.days_waiting,
                days_to_details=s.days_to_details,
                days_since_ta=days_between(s.tentative_at, now, zone) if s.tentative_at else None,
                days_since_details=days_between(s.details_at, now, zone) if s.details_at else None,
                last_heard=s.last_heard,
                last_heard_no_news=s.last_heard_kind == "no_news",
                held=held,
                history=tuple(histories.get(s.unit.id, ())),
            )
        )
    totals = Totals(view.total, view.reached_ta, view.ratified, view.waiting)
    return tuple(out), totals, names


async def _proposals(
    db: Database, guild_id: int, names: dict[int, tuple[str, str, str]]
) -> tuple[PublicProposal, ...]:
    if not names:
        taken: set[str] = set()
        for u in await units.list_units(db, guild_id):
            names[u.id] = (u.code, u.label, slug(u.code, taken))
    out = []
    for r in await db.fetchall(PROPOSALS, (guild_id,)):
        code, label, unit_slug = names.get(r["unit_id"], ("?", "?", ""))
        out.append(
            PublicProposal(
                id=r["id"],
                unit_code=code,
                unit_label=label,
                unit_slug=unit_slug,
                article=r["title"],
                whose_move=r["whose_move"],
                last_exchange_at=from_db(r["last_exchange_at"]),
                note=r["note"],
                open=r["state"] == "open",
                outcome=r["outcome"],
                closed_at=from_db(r["closed_at"]),
            )
        )
    return tuple(out)


async def gather(db: Database, guild_id: int, now: datetime) -> Snapshot:
    """Everything the server publishes, read in one transaction at `now`."""
    async with db.transaction():
        chosen = await site_settings.get(db, guild_id)
        zone = (await guild_settings.get(db, guild_id)).timezone
        found_updates: tuple[PublicUpdate, ...] = ()
        found_summaries: dict[int, summaries.Summary] = {}
        if chosen.public_updates:
            found_updates = await _updates(db, guild_id)
            for u in found_updates:
                if u.has_summary:
                    found_summaries[u.id] = await summaries.get(db, guild_id, u.id)
        public_ids = frozenset(u.id for u in found_updates)
        found_units: tuple[PublicUnit, ...] = ()
        totals = None
        names: dict[int, tuple[str, str, str]] = {}
        if chosen.public_tracker:
            found_units, totals, names = await _tracker(db, guild_id, now, zone, public_ids)
        found_proposals: tuple[PublicProposal, ...] = ()
        if chosen.public_proposals:
            found_proposals = await _proposals(db, guild_id, names)
            if found_units:
                by_unit: dict[str, list[PublicProposal]] = defaultdict(list)
                for p in found_proposals:
                    by_unit[p.unit_code].append(p)
                found_units = tuple(
                    replace(u, proposals=tuple(by_unit.get(u.code, ()))) for u in found_units
                )
        found_events: tuple[Event, ...] = ()
        if chosen.public_events:
            rows = await db.fetchall(PUBLIC_EVENTS, (guild_id,))
            found_events = tuple([await events.get(db, guild_id, r[0]) for r in rows])
    return Snapshot(
        guild_id=guild_id,
        settings=chosen,
        zone=zone,
        now=now,
        updates=found_updates,
        summaries=found_summaries,
        units=found_units,
        totals=totals,
        proposals=found_proposals,
        events=found_events,
    )
