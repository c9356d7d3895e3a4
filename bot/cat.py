"""The Contract Action Team: volunteers, their sign-ups, conversation logs and coverage.

A member signs up once per server (UNIQUE (guild_id, user_id)); signing up again updates
the same row, so double-clicks and bursts never duplicate. Conversations are logged as
counts per unit with the concern heard, never with a coworker's name. The roster is
personal data: only coordinators see it, and nothing here logs it or puts it in an error.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import audit, charts, delivery, render, units
from bot.db import Database, from_db, to_db
from bot.errors import Conflict, NotFound, UserError

log = logging.getLogger("rankfile.cat")

NAME_MAX = 100
FIELD_MAX = 100
CONCERN_MAX = 60
COUNT_MAX = 500
DEFAULT_RATIO = 10
STATUSES = ("active", "pending", "left", "removed")
# What joining asks, from common CAT practice (SEIU 521's five commitments, Labor Notes).
COMMITMENTS = (
    "Hold one-on-one conversations with the coworkers I work with, and bring back what I hear",
    "Pass on bargaining news and turn coworkers out to actions",
    "Carry surveys and petitions",
    "Come to regular CAT meetings and a CAT training",
)
DEFAULT_CONCERNS = ("wages", "AI", "health", "hours", "safety", "pension", "residuals")

UPSERT = (
    "INSERT INTO cat_volunteer (guild_id, user_id, unit_id, display_name, department, "
    "availability, contact, status, commitment_accepted_at, joined_at, updated_at) "
    "VALUES (:guild_id, :user_id, :unit_id, :name, :department, :availability, :contact, "
    ":status, :now, :now, :now) "
    "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
    "unit_id = excluded.unit_id, display_name = excluded.display_name, "
    "department = excluded.department, availability = excluded.availability, "
    "contact = excluded.contact, updated_at = excluded.updated_at, "
    # A current volunteer keeps their status; one who left or was removed comes back.
    "status = CASE WHEN cat_volunteer.status IN ('active', 'pending') THEN cat_volunteer.status "
    "ELSE :rejoin_status END, "
    "joined_at = CASE WHEN cat_volunteer.status IN ('active', 'pending') "
    "THEN cat_volunteer.joined_at ELSE excluded.joined_at END, "
    "commitment_accepted_at = CASE WHEN cat_volunteer.status IN ('active', 'pending') "
    "THEN cat_volunteer.commitment_accepted_at ELSE excluded.commitment_accepted_at END, "
    "left_at = CASE WHEN cat_volunteer.status IN ('active', 'pending') "
    "THEN cat_volunteer.left_at ELSE NULL END"
)
SELECT_VOLUNTEER = (
    "SELECT v.*, u.code AS unit_code, u.name AS unit_name FROM cat_volunteer v "
    "JOIN bargaining_unit u ON u.id = v.unit_id"
)
GET_BY_USER = SELECT_VOLUNTEER + " WHERE v.guild_id = ? AND v.user_id = ?"
STATUS_OF = "SELECT status FROM cat_volunteer WHERE guild_id = ? AND user_id = ?"
SET_STATUS = (
    "UPDATE cat_volunteer SET status = ?, updated_at = ?, left_at = ? "
    "WHERE guild_id = ? AND user_id = ?"
)
APPROVE = (
    "UPDATE cat_volunteer SET status = 'active', approved_at = ?, approved_by = ?, updated_at = ? "
    "WHERE guild_id = ? AND user_id = ? AND status = 'pending'"
)
SET_ROLE_STATE = "UPDATE cat_volunteer SET role_state = ? WHERE guild_id = ? AND user_id = ?"
ROSTER = (
    SELECT_VOLUNTEER + " WHERE v.guild_id = :guild_id "
    "AND (:unit_id IS NULL OR v.unit_id = :unit_id) "
    "AND (:status IS NULL OR v.status = :status) "
    "ORDER BY u.code, v.display_name COLLATE NOCASE, v.id LIMIT :limit OFFSET :offset"
)
ROSTER_COUNT = (
    "SELECT count(*) FROM cat_volunteer WHERE guild_id = :guild_id "
    "AND (:unit_id IS NULL OR unit_id = :unit_id) AND (:status IS NULL OR status = :status)"
)
ROLE_FAILURES = (
    "SELECT count(*) FROM cat_volunteer WHERE guild_id = ? AND status = 'active' "
    "AND role_state = 'failed'"
)
INSERT_CONVERSATION = (
    "INSERT INTO cat_conversation (guild_id, volunteer_id, unit_id, count, logged_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
INSERT_CONCERN_HEARD = (
    "INSERT INTO cat_conversation_concern (conversation_id, concern) VALUES (?, ?) "
    "ON CONFLICT DO NOTHING"
)
CONCERNS = "SELECT name FROM cat_concern WHERE guild_id = ? ORDER BY id"
ADD_CONCERN = (
    "INSERT INTO cat_concern (guild_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)
REMOVE_CONCERN = "DELETE FROM cat_concern WHERE guild_id = ? AND name = ?"
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
MY_CONVERSATIONS = "SELECT coalesce(sum(count), 0) FROM cat_conversation WHERE volunteer_id = ?"
DELETE_VOLUNTEER = "DELETE FROM cat_volunteer WHERE guild_id = ? AND user_id = ?"


@dataclass(frozen=True)
class Volunteer:
    """One member's CAT record in one server."""

    id: int
    guild_id: int
    user_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    display_name: str
    department: str
    availability: str
    contact: str
    status: str
    role_state: str
    commitment_accepted_at: datetime
    joined_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    approved_by: int | None
    left_at: datetime | None

    @property
    def current(self) -> bool:
        """Active or waiting for approval (not left, not removed)."""
        return self.status in ("active", "pending")


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: the record, whether it is new (or a return), and the status before."""

    volunteer: Volunteer
    joined: bool
    previous_status: str | None


@dataclass(frozen=True)
class Logged:
    """One logging action as recorded."""

    id: int
    unit: units.Unit
    count: int
    concern: str | None
    week_total: int


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
        """Active volunteers in every unit."""
        return sum(u.volunteers for u in self.units)

    @property
    def members(self) -> int:
        """Members of every unit with a member count."""
        return sum(u.member_count or 0 for u in self.units)

    @property
    def conversations_week(self) -> int:
        """Conversations logged this week in every unit."""
        return sum(u.conversations_week for u in self.units)

    @property
    def conversations_total(self) -> int:
        """Conversations logged ever in every unit."""
        return sum(u.conversations_total for u in self.units)


def _from_row(row: Any) -> Volunteer:
    return Volunteer(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        unit_id=row["unit_id"],
        unit_code=row["unit_code"],
        unit_name=row["unit_name"],
        display_name=row["display_name"],
        department=row["department"],
        availability=row["availability"],
        contact=row["contact"],
        status=row["status"],
        role_state=row["role_state"],
        commitment_accepted_at=from_db(row["commitment_accepted_at"]),  # type: ignore[arg-type]
        joined_at=from_db(row["joined_at"]),  # type: ignore[arg-type]
        updated_at=from_db(row["updated_at"]),  # type: ignore[arg-type]
        approved_at=from_db(row["approved_at"]),
        approved_by=row["approved_by"],
        left_at=from_db(row["left_at"]),
    )


def _field(value: str | None, label: str, limit: int = FIELD_MAX) -> str:
    """A form field, trimmed and single-spaced; UserError when empty or too long."""
    text = " ".join((value or "").split())
    if not text:
        raise UserError(f"The {label} is empty: fill it in and send the form again.")
    if len(text) > limit:
        raise UserError(
            f"The {label} is {len(text)} characters long; keep it to {limit} and send the form "
            "again."
        )
    return text


async def get_volunteer(db: Database, guild_id: int, user_id: int) -> Volunteer | None:
    """The member's CAT record in this server, or None when they never signed up."""
    row = await db.fetchone(GET_BY_USER, (guild_id, user_id))
    return _from_row(row) if row else None


async def sign_up(
    db: Database,
    guild_id: int,
    user_id: int,
    now: datetime,
    *,
    name: str,
    unit: str,
    department: str,
    availability: str,
    contact: str,
    requires_approval: bool = False,
) -> SignUp:
    """Record the commitment form: a new volunteer, a return, or new details for a current one.

    One row per member and server, whatever arrives at once. A new (or returning) volunteer
    is active, or pending when the server requires approval (always pending after a
    coordinator removed them), and gets a welcome DM queued in the same transaction.
    """
    fields = {
        "name": _field(name, "name", NAME_MAX),
        "department": _field(department, "department or craft"),
        "availability": _field(availability, "shift or availability"),
        "contact": _field(contact, "preferred contact"),
    }
    unit_text = _field(unit, "bargaining unit")
    async with db.transaction():
        found = await units.find(db, guild_id, unit_text)
        previous = await db.fetchval(STATUS_OF, (guild_id, user_id))
        status = "pending" if requires_approval or previous == "removed" else "active"
        await db.execute(
            UPSERT,
            {
                "guild_id": guild_id,
                "user_id": user_id,
                "unit_id": found.id,
                "status": status,
                "rejoin_status": status,
                "now": to_db(now),
                **fields,
            },
        )
        volunteer = await get_volunteer(db, guild_id, user_id)
        assert volunteer is not None  # noqa: S101 - written just above in this transaction
        joined = previous not in ("active", "pending")
        if joined:
            await delivery.enqueue(
                db,
                guild_id,
                "cat.welcome",
                welcome_message(volunteer),
                [delivery.Target.dm(user_id)],
                now,
                subject=f"cat_volunteer:{volunteer.id}",
            )
    log.info("cat sign-up %s in guild %s (%s)", volunteer.id, guild_id, volunteer.status)
    return SignUp(volunteer, joined, previous)


def welcome_message(volunteer: Volunteer) -> dict[str, Any]:
    """The welcome DM: what happens next (sent only to the member who signed up)."""
    if volunteer.status == "pending":
        first = (
            "Thanks for signing up for the Contract Action Team. A CAT coordinator will "
            "confirm your sign-up; you'll get the CAT role then."
        )
    else:
        first = "Welcome to the Contract Action Team: you're in, and you have the CAT role."
    steps = (
        "**Next steps**\n"
        "1. Think of the coworkers you already talk with on your shift or crew.\n"
        "2. Have one-on-one conversations: ask what matters most to them in this contract.\n"
        "3. Log them with `/cat log` (how many, which unit, the top concern: never names).\n"
        "4. Check what we hold about you with `/cat status`; leave any time with `/cat leave`."
    )
    return render.message(
        embeds=[
            render.embed(
                "Contract Action Team", f"{first}\n\n{steps}", colour=render.Colour.SUCCESS
            )
        ]
    )


async def set_role_state(db: Database, guild_id: int, user_id: int, state: str) -> None:
    """Record whether the CAT role call succeeded ('granted'), failed, or was undone ('none')."""
    await db.execute(SET_ROLE_STATE, (state, guild_id, user_id))


async def report_role_failure(
    db: Database, guild_id: int, user_id: int, now: datetime, *, channel_id: int | None, why: str
) -> None:
    """Mark the role call failed, audit it, and tell coordinators in their channel if set."""
    async with db.transaction():
        await set_role_state(db, guild_id, user_id, "failed")
        volunteer = await get_volunteer(db, guild_id, user_id)
        subject = f"cat_volunteer:{volunteer.id}" if volunteer else None
        await audit.record(db, guild_id, None, "cat.role_failed", subject, why, now)
        if channel_id:
            text = (
                f"<@{user_id}> signed up for the CAT but the bot could not give them the CAT "
                f"role: {why} Fix it, then run `/catteam approve` for them to retry."
            )
            await delivery.enqueue(
                db,
                guild_id,
                "cat.role_failed",
                render.message(
                    embeds=[render.embed("CAT role not given", text, colour=render.Colour.WARNING)]
                ),
                [delivery.Target.channel(channel_id)],
                now,
                subject=subject,
            )


async def leave(db: Database, guild_id: int, user_id: int, now: datetime) -> Volunteer:
    """The member leaves the CAT: the record is marked left, with the date."""
    async with db.transaction():
        volunteer = await get_volunteer(db, guild_id, user_id)
        if volunteer is None or not volunteer.current:
            raise NotFound("You're not on the CAT in this server, so there is nothing to leave.")
        await db.execute(SET_STATUS, ("left", to_db(now), to_db(now), guild_id, user_id))
        left = await get_volunteer(db, guild_id, user_id)
    return left  # type: ignore[return-value]


async def approve(
    db: Database, guild_id: int, user_id: int, actor_id: int, now: datetime
) -> Volunteer:
    """A coordinator approves a pending sign-up (audited); an active one is approved again
    only to retry the role (returned unchanged)."""
    async with db.transaction():
        volunteer = await get_volunteer(db, guild_id, user_id)
        if volunteer is None:
            raise NotFound("That member has not signed up for the CAT.")
        if volunteer.status in ("left", "removed"):
            raise Conflict(
                f"That member's sign-up is {volunteer.status}: they can sign up again with "
                "`/cat join`."
            )
        if volunteer.status == "pending":
            await db.execute(APPROVE, (to_db(now), actor_id, to_db(now), guild_id, user_id))
        await audit.record(
            db, guild_id, actor_id, "cat.approve", f"cat_volunteer:{volunteer.id}", None, now
        )
        approved = await get_volunteer(db, guild_id, user_id)
    return approved  # type: ignore[return-value]


async def remove(
    db: Database, guild_id: int, user_id: int, actor_id: int, now: datetime
) -> Volunteer:
    """A coordinator takes a volunteer off the CAT (audited); the record stays, marked removed."""
    async with db.transaction():
        volunteer = await get_volunteer(db, guild_id, user_id)
        if volunteer is None or not volunteer.current:
            raise NotFound("That member is not on the CAT (active or pending).")
        await db.execute(SET_STATUS, ("removed", to_db(now), to_db(now), guild_id, user_id))
        await audit.record(
            db, guild_id, actor_id, "cat.remove", f"cat_volunteer:{volunteer.id}", None, now
        )
        removed = await get_volunteer(db, guild_id, user_id)
    return removed  # type: ignore[return-value]


def _roster_params(
    guild_id: int, unit_id: int | None, status: str | None, limit: int = -1, offset: int = 0
) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise UserError(f"A status is one of: {', '.join(STATUSES)}.")
    return {
        "guild_id": guild_id,
        "unit_id": unit_id,
        "status": status,
        "limit": limit,
        "offset": offset,
    }


async def roster(
    db: Database,
    guild_id: int,
    *,
    unit_id: int | None = None,
    status: str | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[Volunteer]:
    """Volunteers of the server by unit then name (coordinators only: personal data)."""
    rows = await db.fetchall(ROSTER, _roster_params(guild_id, unit_id, status, limit, offset))
    return [_from_row(r) for r in rows]


async def roster_count(
    db: Database, guild_id: int, *, unit_id: int | None = None, status: str | None = None
) -> int:
    """How many volunteers match the roster's filters."""
    params = _roster_params(guild_id, unit_id, status)
    return int(await db.fetchval(ROSTER_COUNT, params, 0))


CSV_COLUMNS = (
    "user_id",
    "name",
    "unit",
    "department_or_craft",
    "shift_or_availability",
    "preferred_contact",
    "status",
    "role",
    "joined_at",
    "approved_at",
    "left_at",
    "conversations_logged",
)


async def export_csv(
    db: Database,
    guild_id: int,
    actor_id: int,
    now: datetime,
    *,
    unit_id: int | None = None,
    status: str | None = None,
) -> tuple[bytes, int]:
    """The roster as CSV bytes and its row count; the export is audited (without its content)."""
    async with db.transaction():
        rows = await roster(db, guild_id, unit_id=unit_id, status=status, limit=-1)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for v in rows:
            logged = await db.fetchval(MY_CONVERSATIONS, (v.id,), 0)
            writer.writerow(
                [
                    str(v.user_id),
                    _csv_safe(v.display_name),
                    v.unit_code,
                    _csv_safe(v.department),
                    _csv_safe(v.availability),
                    _csv_safe(v.contact),
                    v.status,
                    v.role_state,
                    to_db(v.joined_at),
                    to_db(v.approved_at) if v.approved_at else "",
                    to_db(v.left_at) if v.left_at else "",
                    logged,
                ]
            )
        filters = f"unit={unit_id or 'all'} status={status or 'all'} rows={len(rows)}"
        await audit.record(db, guild_id, actor_id, "cat.export", "cat roster", filters, now)
    return buffer.getvalue().encode("utf-8"), len(rows)


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheets: quote it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def concern_list(db: Database, guild_id: int) -> list[str]:
    """The server's concerns offered when logging (the defaults until it names its own)."""
    rows = await db.fetchall(CONCERNS, (guild_id,))
    return [r["name"] for r in rows] or list(DEFAULT_CONCERNS)


async def add_concern(
    db: Database, guild_id: int, name: str, actor_id: int, now: datetime
) -> list[str]:
    """Add a concern to the server's list (the first one copies the defaults in); audited."""
    text = _field(name, "concern", CONCERN_MAX)
    async with db.transaction():
        if not await db.fetchall(CONCERNS, (guild_id,)):
            for default in DEFAULT_CONCERNS:
                await db.execute(ADD_CONCERN, (guild_id, default, to_db(now)))
        if not await db.execute(ADD_CONCERN, (guild_id, text, to_db(now))):
            raise Conflict(f"`{text}` is already on the list.")
        await audit.record(db, guild_id, actor_id, "cat.concern_add", None, text, now)
    return await concern_list(db, guild_id)


async def remove_concern(
    db: Database, guild_id: int, name: str, actor_id: int, now: datetime
) -> list[str]:
    """Take a concern off the list offered (logs that named it keep it); audited."""
    text = " ".join(name.split())
    async with db.transaction():
        if not await db.fetchall(CONCERNS, (guild_id,)):
            for default in DEFAULT_CONCERNS:
                await db.execute(ADD_CONCERN, (guild_id, default, to_db(now)))
        if not await db.execute(REMOVE_CONCERN, (guild_id, text)):
            raise NotFound(f"`{render.truncate(text, 60)}` is not on the list.")
        await audit.record(db, guild_id, actor_id, "cat.concern_remove", None, text, now)
    return await concern_list(db, guild_id)


async def _canonical_concern(db: Database, guild_id: int, text: str | None) -> str | None:
    """The list's spelling of a concern typed in any case, or the free text, trimmed."""
    if text is None or not text.strip():
        return None
    typed = _field(text, "concern", CONCERN_MAX)
    for known in await concern_list(db, guild_id):
        if known.lower() == typed.lower():
            return known
    return typed


def week_start(now: datetime, timezone: str) -> datetime:
    """Monday 00:00 of the current week in the server's zone, as UTC."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    return start.astimezone(UTC)


async def log_conversations(
    db: Database,
    guild_id: int,
    user_id: int,
    now: datetime,
    *,
    count: int,
    unit: str,
    concern: str | None = None,
    timezone: str = "UTC",
) -> Logged:
    """Record one-on-one conversations held: how many, with which unit, the top concern.

    Only an active volunteer logs; no coworker is named. The count must be at least 1 and
    no larger than the unit's member count when the unit has one.
    """
    if count < 1 or count > COUNT_MAX:
        raise UserError(f"Log between 1 and {COUNT_MAX} conversations at a time.")
    async with db.transaction():
        volunteer = await get_volunteer(db, guild_id, user_id)
        if volunteer is None or volunteer.status in ("left", "removed"):
            raise UserError("Only CAT volunteers log conversations: join with `/cat join` first.")
        if volunteer.status == "pending":
            raise UserError(
                "Your CAT sign-up is waiting for a coordinator's approval: you can log "
                "conversations once you're approved."
            )
        found = await units.find(db, guild_id, unit)
        if found.member_count is not None and count > found.member_count:
            raise UserError(
                f"{found.label} has {found.member_count} members on record, fewer than "
                f"{count}: check the number, or log with the right unit."
            )
        heard = await _canonical_concern(db, guild_id, concern)
        row_id = await db.execute(
            INSERT_CONVERSATION, (guild_id, volunteer.id, found.id, count, to_db(now))
        )
        if heard:
            await db.execute(INSERT_CONCERN_HEARD, (row_id, heard))
        week = await db.fetchval(
            "SELECT coalesce(sum(count), 0) FROM cat_conversation "
            "WHERE volunteer_id = ? AND logged_at >= ?",
            (volunteer.id, to_db(week_start(now, timezone))),
            0,
        )
    return Logged(row_id, found, count, heard, int(week))


async def conversations_logged(db: Database, volunteer_id: int) -> int:
    """How many conversations a volunteer has logged in all."""
    return int(await db.fetchval(MY_CONVERSATIONS, (volunteer_id,), 0))


def _target(member_count: int | None, ratio: int) -> int | None:
    if member_count is None:
        return None
    return -(-member_count // ratio)  # ceiling: 25 members at 1:10 need 3 volunteers


async def coverage(
    db: Database, guild_id: int, now: datetime, *, ratio: int = DEFAULT_RATIO, timezone: str = "UTC"
) -> Coverage:
    """Per unit: active volunteers against member count and target, conversations, concerns."""
    ratio = max(1, int(ratio or DEFAULT_RATIO))
    start = week_start(now, timezone)
    all_units = await units.list_units(db, guild_id)
    active = {r["unit_id"]: r["n"] for r in await db.fetchall(VOLUNTEERS_PER_UNIT, (guild_id,))}
    pending = {r["unit_id"]: r["n"] for r in await db.fetchall(PENDING_PER_UNIT, (guild_id,))}
    talks = {
        r["unit_id"]: (r["week"], r["total"])
        for r in await db.fetchall(CONVERSATIONS_PER_UNIT, (to_db(start), guild_id))
    }
    heard: dict[int, Counter[str]] = {}
    for r in await db.fetchall(CONCERNS_PER_UNIT, (guild_id,)):
        heard.setdefault(r["unit_id"], Counter())[r["concern"]] += r["n"]
    rows = []
    for unit in all_units:
        week, total = talks.get(unit.id, (0, 0))
        top = sorted(heard.get(unit.id, Counter()).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        rows.append(
            UnitCoverage(
                unit_id=unit.id,
                code=unit.code,
                name=unit.label,
                member_count=unit.member_count,
                volunteers=active.get(unit.id, 0),
                pending=pending.get(unit.id, 0),
                target=_target(unit.member_count, ratio),
                conversations_week=int(week),
                conversations_total=int(total),
                top_concerns=top,
            )
        )
    failures = int(await db.fetchval(ROLE_FAILURES, (guild_id,), 0))
    return Coverage(ratio, start, rows, failures)


def coverage_chart(cov: Coverage) -> bytes:
    """A PNG bar chart: per unit, active volunteers beside the target (CPU work: use a thread)."""
    shown = [u for u in cov.units if u.volunteers or u.target]
    with charts.figure(width=10, height=max(3.0, 0.45 * len(shown) + 1.5)) as fig:
        ax = fig.add_subplot(1, 1, 1)
        labels = [u.code for u in shown]
        positions = list(range(len(shown)))
        ax.barh(
            [p + 0.2 for p in positions],
            [u.target or 0 for u in shown],
            height=0.4,
            color=charts.GREY,
            label=f"target (1 per {cov.ratio} members)",
        )
        ax.barh(
            [p - 0.2 for p in positions],
            [u.volunteers for u in shown],
            height=0.4,
            color=charts.PALETTE[0],
            label="active volunteers",
        )
        ax.set_yticks(positions)
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        ax.set_xlabel("volunteers")
        ax.set_title("CAT coverage by unit")
        ax.legend(loc="lower right")
        if not shown:
            ax.text(0.5, 0.5, "no units with members or volunteers yet", ha="center")
        return charts.to_png(fig)


async def export_personal_data(db: Database, guild_id: int, user_id: int) -> dict[str, Any]:
    """What the CAT holds about one member (for their own privacy export)."""
    volunteer = await get_volunteer(db, guild_id, user_id)
    if volunteer is None:
        return {}
    return {
        "name": volunteer.display_name,
        "unit": volunteer.unit_code,
        "department_or_craft": volunteer.department,
        "shift_or_availability": volunteer.availability,
        "preferred_contact": volunteer.contact,
        "status": volunteer.status,
        "joined_at": to_db(volunteer.joined_at),
        "conversations_logged": await conversations_logged(db, volunteer.id),
    }


async def delete_personal_data(db: Database, guild_id: int, user_id: int) -> int:
    """Delete a member's CAT record; their logs stay as anonymous counts. Returns rows deleted."""
    return await db.execute(DELETE_VOLUNTEER, (guild_id, user_id))
