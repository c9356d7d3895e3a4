"""CAT coverage: per unit (nested) and per shift, active volunteers against the target,
conversations and top concerns; the unit tree; one unit's 30-day levels and 14-day pulse.

Aggregates only: counts per unit and shift, never a coworker's name.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.cat import commitments, structure, timing
from bot.core import units
from bot.core.db import Database, to_db

DISTRIBUTION_DAYS = 30
PULSE_DAYS = 14

ROLE_FAILURES = (
    "SELECT count(*) FROM cat_volunteer WHERE guild_id = ? AND status = 'active' "
    "AND role_state = 'failed'"
)
VOLUNTEERS_PER_UNIT = (
    "SELECT unit_id, count(*) AS n FROM cat_volunteer WHERE guild_id = ? AND status = 'active' "
    "GROUP BY unit_id"
)
PENDING_PER_UNIT = (
    "SELECT unit_id, count(*) AS n FROM cat_volunteer WHERE guild_id = ? AND status = 'pending' "
    "GROUP BY unit_id"
)
CONVERSATIONS_PER_UNIT = (
    "SELECT unit_id, coalesce(sum(count), 0) AS total, "
    "coalesce(sum(CASE WHEN logged_at >= ? THEN count ELSE 0 END), 0) AS week "
    "FROM cat_conversation WHERE guild_id = ? GROUP BY unit_id"
)
CONCERNS_PER_UNIT = (
    "SELECT c.unit_id, k.concern, sum(c.count) AS n FROM cat_conversation c "
    "JOIN cat_conversation_concern k ON k.conversation_id = c.id "
    "WHERE c.guild_id = ? GROUP BY c.unit_id, k.concern"
)
VOLUNTEERS_PER_SHIFT = (
    "SELECT shift_id, count(*) AS n FROM cat_volunteer WHERE guild_id = ? AND status = 'active' "
    "AND shift_id IS NOT NULL GROUP BY shift_id"
)
LEVELS_SINCE = (
    "SELECT coalesce(level, 0) AS level, sum(count) AS n FROM cat_conversation "
    "WHERE guild_id = ? AND unit_id IN (SELECT value FROM json_each(?)) AND logged_at >= ? "
    "GROUP BY coalesce(level, 0)"
)
CONCERNS_BETWEEN = (
    "SELECT k.concern, sum(c.count) AS n FROM cat_conversation c "
    "JOIN cat_conversation_concern k ON k.conversation_id = c.id "
    "WHERE c.guild_id = ? AND c.unit_id IN (SELECT value FROM json_each(?)) "
    "AND c.logged_at >= ? AND c.logged_at < ? GROUP BY k.concern"
)


@dataclass(frozen=True)
class ShiftCoverage:
    """One shift's coverage: its members, active volunteers on it, the target."""

    shift_id: int
    unit_label: str
    name: str
    member_count: int | None
    volunteers: int
    target: int | None

    @property
    def label(self) -> str:
        """ "Local 700 Editors, nights"."""
        return f"{self.unit_label}, {self.name}"

    @property
    def shortfall(self) -> int | None:
        """How many more volunteers on this shift would meet the target."""
        return None if self.target is None else max(0, self.target - self.volunteers)

    @property
    def uncovered(self) -> bool:
        """No active volunteer on this shift at all."""
        return self.volunteers == 0


def ratio_text(members: int | None, volunteers: int) -> str:
    """Members per active volunteer as organizers say it ("1:15"), or "uncovered"."""
    if not volunteers:
        return "uncovered"
    if members is None:
        return "no member count"
    return f"1:{round(members / volunteers)}"


@dataclass(frozen=True)
class UnitCoverage:
    """One unit's coverage: volunteers against the target, conversations, top concerns."""

    unit_id: int
    code: str
    name: str
    member_count: int | None
    volunteers: int
    pending: int
    target: int | None
    conversations_week: int
    conversations_total: int
    top_concerns: list[tuple[str, int]] = field(default_factory=list)
    depth: int = 0
    ratio: int = structure.DEFAULT_RATIO
    shifts: list[ShiftCoverage] = field(default_factory=list)

    @property
    def shortfall(self) -> int | None:
        """How many more active volunteers would meet the target (None without a member count)."""
        if self.target is None:
            return None
        return max(0, self.target - self.volunteers)

    @property
    def members_per_volunteer(self) -> float | None:
        """Members per active volunteer (None when either is unknown or zero)."""
        if not self.member_count or not self.volunteers:
            return None
        return self.member_count / self.volunteers


@dataclass(frozen=True)
class Coverage:
    """The server's coverage, unit by unit, with the target ratio and the week's start."""

    ratio: int
    week_start: datetime
    units: list[UnitCoverage]
    role_failures: int

    @property
    def volunteers(self) -> int:
        """Active volunteers in every unit (top-level units hold their sub-units' too)."""
        return sum(u.volunteers for u in self.units if u.depth == 0)

    @property
    def members(self) -> int:
        """Members of every top-level unit with a member count."""
        return sum(u.member_count or 0 for u in self.units if u.depth == 0)

    @property
    def uncovered(self) -> list[str]:
        """The shifts with no volunteer at all, and the units with members but no volunteer
        ("Local 700 Editors, nights")."""
        named = []
        for u in self.units:
            if u.member_count and not u.volunteers:
                named.append(u.name)
            named.extend(s.label for s in u.shifts if s.uncovered)
        return named

    @property
    def conversations_week(self) -> int:
        """Conversations logged this week in every unit."""
        return sum(u.conversations_week for u in self.units if u.depth == 0)

    @property
    def conversations_total(self) -> int:
        """Conversations logged ever in every unit."""
        return sum(u.conversations_total for u in self.units if u.depth == 0)


def _target(member_count: int | None, ratio: int) -> int | None:
    if member_count is None:
        return None
    return -(-member_count // ratio)  # ceiling: 25 members at 1:10 need 3 volunteers


def unit_tree(all_units: list[units.Unit]) -> list[tuple[units.Unit, int]]:
    """Units in tree order (each parent, then its sub-units by code) with their depth."""
    children: dict[int | None, list[units.Unit]] = {}
    ids = {u.id for u in all_units}
    for u in all_units:
        parent = u.parent_id if u.parent_id in ids else None
        children.setdefault(parent, []).append(u)
    out: list[tuple[units.Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in sorted(children.get(parent, []), key=lambda x: x.code):
            out.append((u, depth))
            walk(u.id, depth + 1)

    walk(None, 0)
    return out


def subtree_ids(all_units: list[units.Unit], root_id: int) -> set[int]:
    """A unit's id and every sub-unit's id below it."""
    found = {root_id}
    grew = True
    while grew:
        grew = False
        for u in all_units:
            if u.parent_id in found and u.id not in found:
                found.add(u.id)
                grew = True
    return found


async def coverage(
    db: Database,
    guild_id: int,
    now: datetime,
    *,
    ratio: int = structure.DEFAULT_RATIO,
    timezone: str = "UTC",
    scope: set[int] | None = None,
) -> Coverage:
    """Per unit (nested, a parent counting its sub-units) and per shift: members, active
    volunteers, the target from the server's ratio or the unit's own, conversations and
    the top concerns. `scope` limits the units shown (a scoped coordinator)."""
    ratio = max(1, int(ratio or structure.DEFAULT_RATIO))
    start = timing.week_start(now, timezone)
    all_units = await units.list_units(db, guild_id)
    overrides = await structure.ratio_overrides(db, guild_id)
    active = {r["unit_id"]: r["n"] for r in await db.fetchall(VOLUNTEERS_PER_UNIT, (guild_id,))}
    pending = {r["unit_id"]: r["n"] for r in await db.fetchall(PENDING_PER_UNIT, (guild_id,))}
    on_shift = {r["shift_id"]: r["n"] for r in await db.fetchall(VOLUNTEERS_PER_SHIFT, (guild_id,))}
    talks = {
        r["unit_id"]: (r["week"], r["total"])
        for r in await db.fetchall(CONVERSATIONS_PER_UNIT, (to_db(start), guild_id))
    }
    heard: dict[int, Counter[str]] = {}
    for r in await db.fetchall(CONCERNS_PER_UNIT, (guild_id,)):
        heard.setdefault(r["unit_id"], Counter())[r["concern"]] += r["n"]
    shift_rows = await structure.by_unit(db, guild_id)
    by_id = {u.id: u for u in all_units}

    def unit_ratio(u: units.Unit) -> int:
        node: units.Unit | None = u
        while node is not None:  # a sub-unit inherits its parent's own target
            if overrides.get(node.id):
                return int(overrides[node.id])
            node = by_id.get(node.parent_id) if node.parent_id else None
        return ratio

    rows = []
    for unit, depth in unit_tree(all_units):
        tree = subtree_ids(all_units, unit.id)
        if scope is not None and unit.id not in scope:
            continue
        own_ratio = unit_ratio(unit)
        members = unit.member_count
        if members is None:
            counted = [by_id[i].member_count for i in tree if i != unit.id]
            if any(c is not None for c in counted):
                members = sum(c or 0 for c in counted)
        this_week = sum(talks.get(i, (0, 0))[0] for i in tree)
        total = sum(talks.get(i, (0, 0))[1] for i in tree)
        concerns: Counter[str] = Counter()
        for i in tree:
            concerns.update(heard.get(i, Counter()))
        top = sorted(concerns.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        per_shift = [
            ShiftCoverage(
                shift_id=sh.id,
                unit_label=unit.label,
                name=sh.name,
                member_count=sh.member_count,
                volunteers=on_shift.get(sh.id, 0),
                target=_target(sh.member_count, own_ratio),
            )
            for sh in shift_rows.get(unit.id, [])
        ]
        rows.append(
            UnitCoverage(
                unit_id=unit.id,
                code=unit.code,
                name=unit.label,
                member_count=members,
                volunteers=sum(active.get(i, 0) for i in tree),
                pending=sum(pending.get(i, 0) for i in tree),
                target=_target(members, own_ratio),
                conversations_week=int(this_week),
                conversations_total=int(total),
                top_concerns=top,
                depth=depth,
                ratio=own_ratio,
                shifts=per_shift,
            )
        )
    failures = int(await db.fetchval(ROLE_FAILURES, (guild_id,), 0))
    return Coverage(ratio, start, rows, failures)


@dataclass(frozen=True)
class UnitReport:
    """One unit's aggregates: the 30-day level distribution and the 14-day concerns pulse."""

    unit: units.Unit
    scale: commitments.Scale
    distribution: dict[int, int]
    pulse: list[tuple[str, int, int]]
    since: datetime
    pulse_start: datetime

    @property
    def assessed(self) -> int:
        """Conversations with a level (1-5) in the last 30 days."""
        return sum(n for k, n in self.distribution.items() if k)


async def unit_report(db: Database, guild_id: int, unit: units.Unit, now: datetime) -> UnitReport:
    """A unit's (and its sub-units') levels over 30 days and concerns over 14 days beside
    the 14 before: counts only, no member identifiers."""
    tree = json.dumps(sorted(subtree_ids(await units.list_units(db, guild_id), unit.id)))
    since = now - timedelta(days=DISTRIBUTION_DAYS)
    distribution = dict.fromkeys(range(6), 0)
    for r in await db.fetchall(LEVELS_SINCE, (guild_id, tree, to_db(since))):
        distribution[int(r["level"])] += int(r["n"])
    mid = now - timedelta(days=PULSE_DAYS)
    early = mid - timedelta(days=PULSE_DAYS)
    recent = {
        r["concern"]: int(r["n"])
        for r in await db.fetchall(CONCERNS_BETWEEN, (guild_id, tree, to_db(mid), to_db(now)))
    }
    before = {
        r["concern"]: int(r["n"])
        for r in await db.fetchall(CONCERNS_BETWEEN, (guild_id, tree, to_db(early), to_db(mid)))
    }
    names = sorted(set(recent) | set(before), key=lambda c: (-recent.get(c, 0), c))
    pulse = [(c, recent.get(c, 0), before.get(c, 0)) for c in names]
    return UnitReport(unit, await commitments.scale(db, guild_id), distribution, pulse, since, mid)
