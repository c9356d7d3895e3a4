"""The Contract Action Team: volunteers, their sign-ups, conversation logs and coverage.

A member signs up once per server (UNIQUE (guild_id, user_id)); signing up again updates
the same row, so double-clicks and bursts never duplicate. Conversations are logged as
counts per unit with the concern heard, never with a coworker's name. The roster is
personal data: only coordinators see it, and nothing here logs it or puts it in an error.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import privacy
from bot.core import audit, charts, delivery, render, timers, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError

log = logging.getLogger("rankfile.cat")

NAME_MAX = 100
FIELD_MAX = 100
CONCERN_MAX = 60
COUNT_MAX = 500
DEFAULT_RATIO = 10
STATUSES = ("active", "pending", "left", "removed")
# What joining asks, from common CAT practice (SEIU 521's five commitments, Labor Notes).
COMMITMENTS = (
    "Turn out to actions, and help turn my coworkers out",
    "Hold one-on-one conversations with the coworkers I work with, and bring back what I hear",
    "Carry bargaining surveys and petitions",
    "Come to regular CAT meetings",
    "Attend a CAT training",
)
# The assessment scale as unions print it: 1 is the strongest support; 0 is "not assessed".
DEFAULT_LEVELS = {1: "leader", 2: "supporter", 3: "undecided", 4: "not interested", 5: "opposed"}
NOT_ASSESSED = "not assessed"
SCALE_NOTE = "1 is the strongest support, 5 the strongest opposition; 0 is not assessed."
LABEL_MAX = 40
METHODS = ("in person", "phone", "text", "video")
MAX_CONCERNS = 3
COMMITMENT_MAX = 200
# Editors Guild practice: a CAT member keeps in touch with 8 to 35 coworkers they know.
LIST_MIN, LIST_MAX = 8, 35
QUIET_DAYS = 14
CHECK_IN_DAYS = 30
DISTRIBUTION_DAYS = 30
PULSE_DAYS = 14
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
    "SELECT v.*, u.code AS unit_code, u.name AS unit_name, s.name AS shift_name "
    "FROM cat_volunteer v JOIN bargaining_unit u ON u.id = v.unit_id "
    "LEFT JOIN unit_shift s ON s.id = v.shift_id"
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
    "AND (:scope IS NULL OR v.unit_id IN (SELECT value FROM json_each(:scope))) "
    "ORDER BY u.code, v.display_name COLLATE NOCASE, v.id LIMIT :limit OFFSET :offset"
)
ROSTER_COUNT = (
    "SELECT count(*) FROM cat_volunteer WHERE guild_id = :guild_id "
    "AND (:unit_id IS NULL OR unit_id = :unit_id) AND (:status IS NULL OR status = :status) "
    "AND (:scope IS NULL OR unit_id IN (SELECT value FROM json_each(:scope)))"
)
ROLE_FAILURES = (
    "SELECT count(*) FROM cat_volunteer WHERE guild_id = ? AND status = 'active' "
    "AND role_state = 'failed'"
)
INSERT_CONVERSATION = (
    "INSERT INTO cat_conversation "
    "(guild_id, volunteer_id, unit_id, shift_id, count, level, method, logged_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
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
UNIT_RATIOS = "SELECT id, cat_target_ratio FROM bargaining_unit WHERE guild_id = ?"
VOLUNTEERS_PER_SHIFT = (
    "SELECT shift_id, count(*) AS n FROM cat_volunteer WHERE guild_id = ? AND status = 'active' "
    "AND shift_id IS NOT NULL GROUP BY shift_id"
)
SHIFTS_OF_GUILD = "SELECT * FROM unit_shift WHERE guild_id = ? ORDER BY unit_id, id"
SET_SIGNUP_EXTRAS = (
    "UPDATE cat_volunteer SET shift_id = coalesce(?, shift_id), "
    "supervises_none = coalesce(?, supervises_none) WHERE guild_id = ? AND user_id = ?"
)
SET_STATUS_ONLY = (
    "UPDATE cat_volunteer SET status = ?, updated_at = ? WHERE guild_id = ? AND user_id = ?"
)
SHIFT_BY_NAME = "SELECT id FROM unit_shift WHERE guild_id = ? AND unit_id = ? AND name = ?"


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
    shift_id: int | None = None
    shift_name: str | None = None
    list_size: int | None = None
    training_at: datetime | None = None
    supervises_none: bool | None = None

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
    level: int = 0
    level_label: str = NOT_ASSESSED
    method: str | None = None
    shift: str | None = None
    concerns: tuple[str, ...] = ()


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
    ratio: int = DEFAULT_RATIO
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
        shift_id=row["shift_id"],
        shift_name=row["shift_name"],
        list_size=row["list_size"],
        training_at=from_db(row["training_at"]),
        supervises_none=None if row["supervises_none"] is None else bool(row["supervises_none"]),
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
    supervises_none: bool | None = None,
) -> SignUp:
    """Record the commitment form: a new volunteer, a return, or new details for a current one.

    One row per member and server, whatever arrives at once. A new (or returning) volunteer
    is active, or pending when the server requires approval (always pending after a
    coordinator removed them, or when they could not confirm they supervise none of the
    coworkers they will talk with: a coordinator talks to them first), and gets a welcome DM
    queued in the same transaction. `supervises_none` None leaves the recorded answer as is.
    The shift is matched from the availability field when it names one of the unit's shifts.
    Refused until an admin acknowledged the safety checklist (bot.privacy).
    """
    await privacy.require_checklist(db, guild_id)
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
        if supervises_none is False:
            status = "pending"
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
        shift_id = await db.fetchval(
            SHIFT_BY_NAME, (guild_id, found.id, fields["availability"]), None
        )
        await db.execute(SET_SIGNUP_EXTRAS, (shift_id, supervises_none, guild_id, user_id))
        if supervises_none is False and previous == "active":
            await db.execute(SET_STATUS_ONLY, ("pending", to_db(now), guild_id, user_id))
        volunteer = await get_volunteer(db, guild_id, user_id)
        assert volunteer is not None  # noqa: S101 - written just above in this transaction
        joined = previous not in ("active", "pending")
        if joined:
            # The weekly digest starts with the CAT's first volunteer (or the first scope).
            await ensure_digest(db, guild_id, now)
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
    if volunteer.status == "pending" and volunteer.supervises_none is False:
        first = (
            "Thanks for signing up for the Contract Action Team. You said you may supervise "
            "some of the coworkers you'd talk with, so a CAT coordinator will talk it over "
            "with you first; you'll get the CAT role once they approve."
        )
    elif volunteer.status == "pending":
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
    guild_id: int,
    unit_id: int | None,
    status: str | None,
    limit: int = -1,
    offset: int = 0,
    scope: set[int] | None = None,
) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise UserError(f"A status is one of: {', '.join(STATUSES)}.")
    return {
        "guild_id": guild_id,
        "unit_id": unit_id,
        "status": status,
        "limit": limit,
        "offset": offset,
        "scope": None if scope is None else json.dumps(sorted(scope)),
    }


async def roster(
    db: Database,
    guild_id: int,
    *,
    unit_id: int | None = None,
    status: str | None = None,
    limit: int = 10,
    offset: int = 0,
    scope: set[int] | None = None,
) -> list[Volunteer]:
    """Volunteers of the server by unit then name (coordinators only: personal data).

    `scope` (unit ids) limits it to a scoped coordinator's units; None means every unit.
    """
    params = _roster_params(guild_id, unit_id, status, limit, offset, scope)
    rows = await db.fetchall(ROSTER, params)
    return [_from_row(r) for r in rows]


async def roster_count(
    db: Database,
    guild_id: int,
    *,
    unit_id: int | None = None,
    status: str | None = None,
    scope: set[int] | None = None,
) -> int:
    """How many volunteers match the roster's filters."""
    params = _roster_params(guild_id, unit_id, status, scope=scope)
    return int(await db.fetchval(ROSTER_COUNT, params, 0))


CSV_COLUMNS = (
    "user_id",
    "name",
    "unit",
    "shift",
    "department_or_craft",
    "shift_or_availability",
    "preferred_contact",
    "status",
    "role",
    "joined_at",
    "approved_at",
    "left_at",
    "training_at",
    "list_size",
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
    scope: set[int] | None = None,
) -> tuple[bytes, int]:
    """The roster as CSV bytes and its row count; the export is audited (without its content),
    and the file's first line says so, with the audit entry's number."""
    async with db.transaction():
        rows = await roster(db, guild_id, unit_id=unit_id, status=status, limit=-1, scope=scope)
        filters = (
            f"unit={unit_id or 'all'} status={status or 'all'} "
            f"scope={'all' if scope is None else len(scope)} rows={len(rows)}"
        )
        entry = await audit.record(db, guild_id, actor_id, "cat.export", "cat roster", filters, now)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                f"# CAT roster exported {to_db(now)} by user {actor_id}; this export is recorded "
                f"in the audit log (entry {entry}). Personal data: keep it among the coordinators."
            ]
        )
        writer.writerow(CSV_COLUMNS)
        for v in rows:
            logged = await db.fetchval(MY_CONVERSATIONS, (v.id,), 0)
            writer.writerow(
                [
                    str(v.user_id),
                    _csv_safe(v.display_name),
                    v.unit_code,
                    _csv_safe(v.shift_name or ""),
                    _csv_safe(v.department),
                    _csv_safe(v.availability),
                    _csv_safe(v.contact),
                    v.status,
                    v.role_state,
                    to_db(v.joined_at),
                    to_db(v.approved_at) if v.approved_at else "",
                    to_db(v.left_at) if v.left_at else "",
                    to_db(v.training_at) if v.training_at else "",
                    "" if v.list_size is None else v.list_size,
                    logged,
                ]
            )
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
    count: int = 1,
    unit: str,
    concern: str | None = None,
    timezone: str = "UTC",
    level: int | None = None,
    method: str | None = None,
    shift: str | None = None,
    concerns: list[str | None] | None = None,
) -> Logged:
    """Record one-on-one conversations held: how many, with which unit and shift, how it went
    on the server's 1-5 scale (0 when not assessed), how, and up to three concerns heard.

    Only an active volunteer logs; no coworker is named. The count must be at least 1 and
    no larger than the unit's (or the shift's) member count when there is one. Nothing is
    written when anything is wrong.
    """
    if count < 1 or count > COUNT_MAX:
        raise UserError(f"Log between 1 and {COUNT_MAX} conversations at a time.")
    typed = [c for c in [concern, *(concerns or [])] if c and c.strip()]
    if len(typed) > MAX_CONCERNS:
        raise UserError(
            f"Pick at most {MAX_CONCERNS} concerns for one conversation (you gave {len(typed)})."
        )
    how = None
    if method is not None and method.strip():
        how = method.strip().lower()
        if how not in METHODS:
            raise UserError(f"How you talked is one of: {', '.join(METHODS)}.")
    async with db.transaction():
        volunteer = await get_volunteer(db, guild_id, user_id)
        if volunteer is None or volunteer.status in ("left", "removed"):
            raise UserError("Only CAT volunteers log conversations: join with `/cat join` first.")
        if volunteer.status == "pending":
            raise UserError(
                "Your CAT sign-up is waiting for a coordinator's approval: you can log "
                "conversations once you're approved."
            )
        labels = await level_labels(db, guild_id)
        assessed = 0 if level is None else level
        if assessed not in labels:
            raise UserError(
                f"A level is one of {', '.join(f'{k} {v}' for k, v in sorted(labels.items()))}"
                f" ({SCALE_NOTE})"
            )
        found = await units.find(db, guild_id, unit)
        if found.member_count is not None and count > found.member_count:
            raise UserError(
                f"{found.label} has {found.member_count} members on record, fewer than "
                f"{count}: check the number, or log with the right unit."
            )
        on_shift = await find_shift(db, guild_id, found, shift) if shift else None
        if on_shift and on_shift.member_count is not None and count > on_shift.member_count:
            raise UserError(
                f"{found.label}, {on_shift.name} has {on_shift.member_count} members on record, "
                f"fewer than {count}: check the number."
            )
        heard: list[str] = []
        for text in typed:
            name = await _canonical_concern(db, guild_id, text)
            if name and name.lower() not in (h.lower() for h in heard):
                heard.append(name)
        row_id = await db.execute(
            INSERT_CONVERSATION,
            (
                guild_id,
                volunteer.id,
                found.id,
                on_shift.id if on_shift else None,
                count,
                assessed,
                how,
                to_db(now),
            ),
        )
        for name in heard:
            await db.execute(INSERT_CONCERN_HEARD, (row_id, name))
        week = await db.fetchval(
            "SELECT coalesce(sum(count), 0) FROM cat_conversation "
            "WHERE volunteer_id = ? AND logged_at >= ?",
            (volunteer.id, to_db(week_start(now, timezone))),
            0,
        )
    return Logged(
        row_id,
        found,
        count,
        heard[0] if heard else None,
        int(week),
        level=assessed,
        level_label=labels[assessed],
        method=how,
        shift=on_shift.name if on_shift else None,
        concerns=tuple(heard),
    )


async def conversations_logged(db: Database, volunteer_id: int) -> int:
    """How many conversations a volunteer has logged in all."""
    return int(await db.fetchval(MY_CONVERSATIONS, (volunteer_id,), 0))


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
    ratio: int = DEFAULT_RATIO,
    timezone: str = "UTC",
    scope: set[int] | None = None,
) -> Coverage:
    """Per unit (nested, a parent counting its sub-units) and per shift: members, active
    volunteers, the target from the server's ratio or the unit's own, conversations and
    the top concerns. `scope` limits the units shown (a scoped coordinator)."""
    ratio = max(1, int(ratio or DEFAULT_RATIO))
    start = week_start(now, timezone)
    all_units = await units.list_units(db, guild_id)
    overrides = {
        r["id"]: r["cat_target_ratio"] for r in await db.fetchall(UNIT_RATIOS, (guild_id,))
    }
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
    shift_rows: dict[int, list[Any]] = {}
    for r in await db.fetchall(SHIFTS_OF_GUILD, (guild_id,)):
        shift_rows.setdefault(r["unit_id"], []).append(r)
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
        week = sum(talks.get(i, (0, 0))[0] for i in tree)
        total = sum(talks.get(i, (0, 0))[1] for i in tree)
        concerns: Counter[str] = Counter()
        for i in tree:
            concerns.update(heard.get(i, Counter()))
        top = sorted(concerns.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        shifts = [
            ShiftCoverage(
                shift_id=r["id"],
                unit_label=unit.label,
                name=r["name"],
                member_count=r["member_count"],
                volunteers=on_shift.get(r["id"], 0),
                target=_target(r["member_count"], own_ratio),
            )
            for r in shift_rows.get(unit.id, [])
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
                conversations_week=int(week),
                conversations_total=int(total),
                top_concerns=top,
                depth=depth,
                ratio=own_ratio,
                shifts=shifts,
            )
        )
    failures = int(await db.fetchval(ROLE_FAILURES, (guild_id,), 0))
    return Coverage(ratio, start, rows, failures)


def coverage_chart(cov: Coverage) -> bytes:
    """A PNG bar chart: per unit and per shift, active volunteers beside the target, the
    uncovered ones marked (CPU work: use a thread)."""
    bars: list[tuple[str, int, int, bool]] = []
    for u in cov.units:
        if u.volunteers or u.target or u.shifts:
            bars.append(("  " * u.depth + u.code, u.volunteers, u.target or 0, False))
        for sh in u.shifts:
            label = "  " * u.depth + f"{u.code} · {sh.name}"
            bars.append((label, sh.volunteers, sh.target or 0, sh.uncovered))
    with charts.figure(width=10, height=max(3.0, 0.45 * len(bars) + 1.5)) as fig:
        ax = fig.add_subplot(1, 1, 1)
        positions = list(range(len(bars)))
        ax.barh(
            [p + 0.2 for p in positions],
            [b[2] for b in bars],
            height=0.4,
            color=charts.GREY,
            label="target",
        )
        ax.barh(
            [p - 0.2 for p in positions],
            [b[1] for b in bars],
            height=0.4,
            color=charts.PALETTE[0],
            label="active volunteers",
        )
        for p, b in zip(positions, bars, strict=True):
            if b[3]:
                ax.text(0.1, p - 0.2, "uncovered", va="center", color=charts.PALETTE[4])
        ax.set_yticks(positions)
        ax.set_yticklabels([b[0] for b in bars])
        ax.invert_yaxis()
        ax.set_xlabel("volunteers")
        ax.set_title(f"CAT coverage by unit and shift (server target 1 per {cov.ratio} members)")
        ax.legend(loc="lower right")
        if not bars:
            ax.text(
                0.5,
                0.5,
                "no units with members or volunteers yet",
                ha="center",
                transform=ax.transAxes,
            )
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
        "shift": volunteer.shift_name,
        "list_size": volunteer.list_size,
        "training_at": to_db(volunteer.training_at) if volunteer.training_at else None,
        "confirmed_supervises_none": volunteer.supervises_none,
        "conversations_logged": await conversations_logged(db, volunteer.id),
    }


async def delete_personal_data(db: Database, guild_id: int, user_id: int) -> int:
    """Delete a member's CAT record; their logs stay as anonymous counts. Returns rows deleted."""
    return await db.execute(DELETE_VOLUNTEER, (guild_id, user_id))


# -- issue 12: shifts, per-unit targets, list sizes ------------------------------------------

SHIFTS_OF_UNIT = "SELECT * FROM unit_shift WHERE guild_id = ? AND unit_id = ? ORDER BY id"
UPSERT_SHIFT = (
    "INSERT INTO unit_shift (guild_id, unit_id, name, member_count, created_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (unit_id, name) DO UPDATE SET "
    "member_count = coalesce(excluded.member_count, unit_shift.member_count)"
)
SHIFT_BY_UNIT_NAME = "SELECT * FROM unit_shift WHERE guild_id = ? AND unit_id = ? AND name = ?"
DELETE_SHIFT = "DELETE FROM unit_shift WHERE id = ?"
SHIFT_IN_USE = (
    "SELECT (SELECT count(*) FROM cat_conversation WHERE shift_id = :id) "
    "+ (SELECT count(*) FROM cat_volunteer WHERE shift_id = :id)"
)
SET_UNIT_CAT = (
    "UPDATE bargaining_unit SET member_count = coalesce(?, member_count), "
    "cat_target_ratio = coalesce(?, cat_target_ratio) WHERE guild_id = ? AND id = ?"
)
SET_DETAILS = (
    "UPDATE cat_volunteer SET shift_id = coalesce(?, shift_id), "
    "list_size = coalesce(?, list_size), updated_at = ? WHERE guild_id = ? AND user_id = ?"
)
SHIFT_NAME_MAX = 40


@dataclass(frozen=True)
class Shift:
    """One shift of a unit, with its member count."""

    id: int
    unit_id: int
    name: str
    member_count: int | None


def _shift(row: Any) -> Shift:
    return Shift(row["id"], row["unit_id"], row["name"], row["member_count"])


async def shifts(db: Database, guild_id: int, unit_id: int) -> list[Shift]:
    """The shifts of one unit, in the order they were added."""
    return [_shift(r) for r in await db.fetchall(SHIFTS_OF_UNIT, (guild_id, unit_id))]


async def find_shift(db: Database, guild_id: int, unit: units.Unit, text: str) -> Shift:
    """The unit's shift a member typed (any case), or a UserError naming the unit's shifts."""
    row = await db.fetchone(SHIFT_BY_UNIT_NAME, (guild_id, unit.id, " ".join(text.split())))
    if row is not None:
        return _shift(row)
    known = ", ".join(s.name for s in await shifts(db, guild_id, unit.id)) or "none yet"
    raise UserError(
        f"{unit.label} has no shift `{render.truncate(text, 40)}`. Its shifts: {known} "
        "(coordinators add them with `/catteam shift`)."
    )


def _count(value: int | None, what: str) -> None:
    if value is not None and value < 0:
        raise UserError(f"The {what} can't be negative: give 0 or more.")


async def set_shift(
    db: Database,
    guild_id: int,
    unit: str,
    name: str,
    actor_id: int,
    now: datetime,
    *,
    member_count: int | None = None,
) -> Shift:
    """Add a shift to a unit, or set its member count (audited). The shifts' counts together
    can't exceed the unit's member count."""
    text = _field(name, "shift name", SHIFT_NAME_MAX)
    _count(member_count, "member count")
    async with db.transaction():
        found = await units.find(db, guild_id, unit)
        if member_count is not None and found.member_count is not None:
            others = sum(
                s.member_count or 0
                for s in await shifts(db, guild_id, found.id)
                if s.name.lower() != text.lower()
            )
            if others + member_count > found.member_count:
                raise UserError(
                    f"{found.label} has {found.member_count} members on record; its shifts "
                    f"would add up to {others + member_count}. Check the numbers, or raise the "
                    "unit's count with `/catteam unit members:` first."
                )
        await db.execute(UPSERT_SHIFT, (guild_id, found.id, text, member_count, to_db(now)))
        row = await db.fetchone(SHIFT_BY_UNIT_NAME, (guild_id, found.id, text))
        await audit.record(
            db, guild_id, actor_id, "cat.shift_set", f"unit {found.code}", f"{text}", now
        )
    return _shift(row)


async def remove_shift(
    db: Database, guild_id: int, unit: str, name: str, actor_id: int, now: datetime
) -> Shift:
    """Remove a shift nothing refers to (audited); Conflict when volunteers or logs use it."""
    async with db.transaction():
        found = await units.find(db, guild_id, unit)
        shift = await find_shift(db, guild_id, found, name)
        if await db.fetchval(SHIFT_IN_USE, {"id": shift.id}, 0):
            raise Conflict(
                f"{found.label}, {shift.name} has volunteers or logged conversations: it stays."
            )
        await db.execute(DELETE_SHIFT, (shift.id,))
        await audit.record(
            db, guild_id, actor_id, "cat.shift_remove", f"unit {found.code}", shift.name, now
        )
    return shift


async def set_unit(
    db: Database,
    guild_id: int,
    unit: str,
    actor_id: int,
    now: datetime,
    *,
    member_count: int | None = None,
    ratio: int | None = None,
) -> units.Unit:
    """Set a unit's member count and/or its own coverage target (audited)."""
    _count(member_count, "member count")
    if ratio is not None and not 1 <= ratio <= 1000:
        raise UserError("A target is one volunteer per 1 to 1000 members.")
    if member_count is None and ratio is None:
        raise UserError("Give the unit's member count, its target ratio, or both.")
    async with db.transaction():
        found = await units.find(db, guild_id, unit)
        if member_count is not None:
            on_shifts = sum(s.member_count or 0 for s in await shifts(db, guild_id, found.id))
            if member_count < on_shifts:
                raise UserError(
                    f"{found.label}'s shifts already count {on_shifts} members, more than "
                    f"{member_count}: lower the shifts' counts first."
                )
        await db.execute(SET_UNIT_CAT, (member_count, ratio, guild_id, found.id))
        await audit.record(
            db,
            guild_id,
            actor_id,
            "cat.unit_set",
            f"unit {found.code}",
            f"members={member_count} ratio={ratio}",
            now,
        )
    return await units.get(db, guild_id, found.id)


async def unit_ratio(db: Database, guild_id: int, unit_id: int, server_ratio: int) -> int:
    """The unit's own target, else its nearest parent's, else the server's."""
    all_units = {u.id: u for u in await units.list_units(db, guild_id)}
    overrides = {
        r["id"]: r["cat_target_ratio"] for r in await db.fetchall(UNIT_RATIOS, (guild_id,))
    }
    node = all_units.get(unit_id)
    while node is not None:
        if overrides.get(node.id):
            return int(overrides[node.id])
        node = all_units.get(node.parent_id) if node.parent_id else None
    return max(1, int(server_ratio or DEFAULT_RATIO))


def list_size_warnings(size: int, ratio: int) -> list[str]:
    """Kind notes on a list size outside 8-35 or above the unit's target (empty when fine)."""
    notes = []
    if size < LIST_MIN:
        notes.append(
            f"That's a short list, and that's fine to start with: CAT volunteers usually keep in "
            f"touch with {LIST_MIN} to {LIST_MAX} coworkers. Think of who else you see on your "
            "shift, at breaks, or on the same crew."
        )
    elif size > LIST_MAX:
        notes.append(
            f"That's a lot for one person: more than {LIST_MAX} is hard to keep up with. A "
            "coordinator can help you share it with another volunteer."
        )
    if size > ratio:
        notes.append(
            f"Your unit aims for one volunteer for every {ratio} coworkers, so {size} is more "
            "than one volunteer's share: let a coordinator know, they may recruit someone "
            "to share it with you."
        )
    return notes


async def set_details(
    db: Database,
    guild_id: int,
    user_id: int,
    now: datetime,
    *,
    shift: str | None = None,
    list_size: int | None = None,
    server_ratio: int = DEFAULT_RATIO,
) -> tuple[Volunteer, list[str]]:
    """A volunteer records their shift and how many coworkers they keep in touch with;
    returns the record and the kind warnings about the list size."""
    _count(list_size, "list size")
    if shift is None and list_size is None:
        raise UserError("Give your shift, your list size (how many coworkers), or both.")
    async with db.transaction():
        volunteer = await get_volunteer(db, guild_id, user_id)
        if volunteer is None or not volunteer.current:
            raise UserError("You're not on the CAT here: join with `/cat join` first.")
        unit = await units.get(db, guild_id, volunteer.unit_id)
        if list_size is not None and unit.member_count is not None:
            if list_size > unit.member_count:
                raise UserError(
                    f"{unit.label} has {unit.member_count} members on record, fewer than "
                    f"{list_size}: check the number."
                )
        found = await find_shift(db, guild_id, unit, shift) if shift else None
        await db.execute(
            SET_DETAILS,
            (found.id if found else None, list_size, to_db(now), guild_id, user_id),
        )
        updated = await get_volunteer(db, guild_id, user_id)
        ratio = await unit_ratio(db, guild_id, unit.id, server_ratio)
    notes = list_size_warnings(list_size, ratio) if list_size is not None else []
    return updated, notes  # type: ignore[return-value]


# -- the assessment scale --------------------------------------------------------------------

LEVEL_ROWS = "SELECT * FROM cat_level WHERE guild_id = ?"
UPSERT_LEVEL = (
    "INSERT INTO cat_level (guild_id, level, label, retired) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (guild_id, level) DO UPDATE SET label = excluded.label, "
    "retired = excluded.retired"
)
LEVEL_IN_USE = (
    "SELECT coalesce(sum(count), 0) FROM cat_conversation WHERE guild_id = ? AND level = ?"
)


@dataclass(frozen=True)
class Scale:
    """The server's 1-5 scale: each level's label and whether it is offered; 1 is strongest."""

    labels: dict[int, str]
    retired: frozenset[int]

    def label(self, level: int) -> str:
        """The label of a level ("not assessed" for 0)."""
        return NOT_ASSESSED if level == 0 else self.labels[level]

    @property
    def offered(self) -> dict[int, str]:
        """The levels a volunteer can pick now (0 included)."""
        return {0: NOT_ASSESSED} | {k: v for k, v in self.labels.items() if k not in self.retired}


async def scale(db: Database, guild_id: int) -> Scale:
    """The server's assessment scale (defaults where it renamed nothing)."""
    labels = dict(DEFAULT_LEVELS)
    retired = set()
    for r in await db.fetchall(LEVEL_ROWS, (guild_id,)):
        labels[r["level"]] = r["label"]
        if r["retired"]:
            retired.add(r["level"])
    return Scale(labels, frozenset(retired))


async def level_labels(db: Database, guild_id: int) -> dict[int, str]:
    """The levels offered when logging, 0 (not assessed) to 5, with the server's labels."""
    return (await scale(db, guild_id)).offered


def _level(level: int) -> int:
    if not 1 <= level <= 5:
        raise UserError(f"Levels run from 1 to 5 ({SCALE_NOTE}); 0 can't be changed.")
    return level


async def rename_level(
    db: Database, guild_id: int, level: int, label: str, actor_id: int, now: datetime
) -> Scale:
    """Give a level the server's own label (audited); its number never changes."""
    text = _field(label, "label", LABEL_MAX)
    async with db.transaction():
        current = await scale(db, guild_id)
        retired = int(_level(level) in current.retired)
        await db.execute(UPSERT_LEVEL, (guild_id, level, text, retired))
        await audit.record(db, guild_id, actor_id, "cat.level_rename", f"level {level}", text, now)
    return await scale(db, guild_id)


async def retire_level(
    db: Database, guild_id: int, level: int, actor_id: int, now: datetime
) -> Scale:
    """Stop offering a level no log uses (audited); a level in use is never deleted."""
    async with db.transaction():
        current = await scale(db, guild_id)
        used = int(await db.fetchval(LEVEL_IN_USE, (guild_id, _level(level)), 0))
        if used:
            raise Conflict(
                f"Level {level} ({current.label(level)}) is in use by {used} logged "
                "conversation(s): a level in use is never deleted or renumbered. You can rename "
                "it with `/catteam levels rename`."
            )
        await db.execute(UPSERT_LEVEL, (guild_id, level, current.label(level), 1))
        await audit.record(db, guild_id, actor_id, "cat.level_retire", f"level {level}", None, now)
    return await scale(db, guild_id)


async def restore_level(
    db: Database, guild_id: int, level: int, actor_id: int, now: datetime
) -> Scale:
    """Offer a retired level again (audited)."""
    async with db.transaction():
        current = await scale(db, guild_id)
        await db.execute(UPSERT_LEVEL, (guild_id, _level(level), current.label(level), 0))
        await audit.record(db, guild_id, actor_id, "cat.level_restore", f"level {level}", None, now)
    return await scale(db, guild_id)


# -- commitments and training ----------------------------------------------------------------

COMMITMENT_ROWS = "SELECT text FROM cat_commitment WHERE guild_id = ? ORDER BY id"
ADD_COMMITMENT = (
    "INSERT INTO cat_commitment (guild_id, text, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
REMOVE_COMMITMENT = "DELETE FROM cat_commitment WHERE guild_id = ? AND text = ?"
SET_TRAINING = (
    "UPDATE cat_volunteer SET training_at = ?, updated_at = ? WHERE guild_id = ? AND user_id = ?"
)


async def commitment_list(db: Database, guild_id: int) -> list[str]:
    """What joining asks in this server (common CAT practice until the server sets its own)."""
    rows = await db.fetchall(COMMITMENT_ROWS, (guild_id,))
    return [r["text"] for r in rows] or list(COMMITMENTS)


async def _copy_default_commitments(db: Database, guild_id: int, now: datetime) -> None:
    if not await db.fetchall(COMMITMENT_ROWS, (guild_id,)):
        for text in COMMITMENTS:
            await db.execute(ADD_COMMITMENT, (guild_id, text, to_db(now)))


async def add_commitment(
    db: Database, guild_id: int, text: str, actor_id: int, now: datetime
) -> list[str]:
    """Add a commitment to the server's list (the first change copies the defaults); audited."""
    clean = _field(text, "commitment", COMMITMENT_MAX)
    async with db.transaction():
        await _copy_default_commitments(db, guild_id, now)
        if not await db.execute(ADD_COMMITMENT, (guild_id, clean, to_db(now))):
            raise Conflict("That commitment is already on the list.")
        await audit.record(db, guild_id, actor_id, "cat.commitment_add", None, clean, now)
    return await commitment_list(db, guild_id)


async def remove_commitment(
    db: Database, guild_id: int, number: int, actor_id: int, now: datetime
) -> list[str]:
    """Take commitment number `number` (1-based, as listed) off the list; audited. The list
    never becomes empty: joining always asks for something."""
    async with db.transaction():
        await _copy_default_commitments(db, guild_id, now)
        listed = await commitment_list(db, guild_id)
        if not 1 <= number <= len(listed):
            raise UserError(f"Pick a number from 1 to {len(listed)} (see `/cat commitments`).")
        if len(listed) == 1:
            raise UserError("Joining must ask for at least one commitment: add another first.")
        await db.execute(REMOVE_COMMITMENT, (guild_id, listed[number - 1]))
        await audit.record(
            db, guild_id, actor_id, "cat.commitment_remove", None, listed[number - 1], now
        )
    return await commitment_list(db, guild_id)


async def record_training(
    db: Database, guild_id: int, user_id: int, day: str, actor_id: int, now: datetime
) -> Volunteer:
    """A coordinator records the date a volunteer attended a CAT training (audited)."""
    try:
        parsed = datetime.strptime(day.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise UserError("Give the training date as YYYY-MM-DD, e.g. 2024-07-02.") from exc
    if parsed > now + timedelta(days=1):
        raise UserError("That date is in the future: record a training once it took place.")
    async with db.transaction():
        volunteer = await get_volunteer(db, guild_id, user_id)
        if volunteer is None:
            raise NotFound("That member has not signed up for the CAT.")
        await db.execute(SET_TRAINING, (to_db(parsed), to_db(now), guild_id, user_id))
        await audit.record(
            db, guild_id, actor_id, "cat.training", f"cat_volunteer:{volunteer.id}", None, now
        )
    return await get_volunteer(db, guild_id, user_id)  # type: ignore[return-value]


# -- coordinator scopes ----------------------------------------------------------------------

SCOPE_ROWS = "SELECT unit_id FROM cat_coordinator WHERE guild_id = ? AND user_id = ?"
CLEAR_SCOPE = "DELETE FROM cat_coordinator WHERE guild_id = ? AND user_id = ?"
ADD_SCOPE = (
    "INSERT INTO cat_coordinator (guild_id, user_id, unit_id, created_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
COORDINATORS = "SELECT DISTINCT user_id FROM cat_coordinator WHERE guild_id = ? ORDER BY user_id"


async def set_scope(
    db: Database,
    guild_id: int,
    user_id: int,
    unit_texts: str | None,
    actor_id: int,
    now: datetime,
) -> list[units.Unit]:
    """Register a coordinator with the units they see ("700, 600"; empty: every unit).

    Every unit must be this server's: an unknown one (or another server's) refuses the whole
    scope and nothing is saved. Audited. Returns the units named (empty: all).
    """
    names = [t.strip() for t in (unit_texts or "").replace(";", ",").split(",") if t.strip()]
    async with db.transaction():
        found = [await units.find(db, guild_id, name) for name in names]
        await db.execute(CLEAR_SCOPE, (guild_id, user_id))
        for unit in found or [None]:
            await db.execute(ADD_SCOPE, (guild_id, user_id, unit.id if unit else None, to_db(now)))
        detail = ",".join(u.code for u in found) or "all units"
        await audit.record(db, guild_id, actor_id, "cat.scope", f"user:{user_id}", detail, now)
        await ensure_digest(db, guild_id, now)
    return found


async def scope_of(db: Database, guild_id: int, user_id: int) -> set[int] | None:
    """The unit ids a coordinator sees (with every sub-unit), or None for every unit."""
    rows = await db.fetchall(SCOPE_ROWS, (guild_id, user_id))
    named = [r["unit_id"] for r in rows if r["unit_id"] is not None]
    if not named:
        return None
    all_units = await units.list_units(db, guild_id)
    seen: set[int] = set()
    for unit_id in named:
        seen |= subtree_ids(all_units, unit_id)
    return seen


def check_scope(scope: set[int] | None, unit: units.Unit) -> None:
    """Refuse a unit outside a scoped coordinator's units."""
    if scope is not None and unit.id not in scope:
        raise UserError(
            f"{unit.label} is outside the units you coordinate: ask an admin to add it with "
            "`/setup coordinator`."
        )


async def coordinators(db: Database, guild_id: int) -> list[int]:
    """The coordinators registered with `/setup coordinator` (for the digest)."""
    return [r["user_id"] for r in await db.fetchall(COORDINATORS, (guild_id,))]


# -- logs, unit totals, the 30-day distribution and the 14-day pulse ------------------------

MY_LOGS = (
    "SELECT c.*, u.name AS unit_name, u.code AS unit_code, s.name AS shift_name, "
    "(SELECT group_concat(concern, ', ') FROM cat_conversation_concern k "
    "WHERE k.conversation_id = c.id) AS concerns FROM cat_conversation c "
    "JOIN bargaining_unit u ON u.id = c.unit_id LEFT JOIN unit_shift s ON s.id = c.shift_id "
    "WHERE c.guild_id = :guild_id AND (:volunteer_id IS NULL OR c.volunteer_id = :volunteer_id) "
    "AND (:scope IS NULL OR c.unit_id IN (SELECT value FROM json_each(:scope))) "
    "ORDER BY c.logged_at DESC, c.id DESC LIMIT :limit"
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
class LogEntry:
    """One logging action as its volunteer or a coordinator sees it: counts, never names."""

    id: int
    logged_at: datetime
    unit: str
    shift: str | None
    count: int
    level: int
    method: str | None
    concerns: str
    volunteer_id: int | None


async def logs(
    db: Database,
    guild_id: int,
    *,
    volunteer_id: int | None = None,
    scope: set[int] | None = None,
    limit: int = 15,
) -> list[LogEntry]:
    """Newest logs: one volunteer's own, or those of a coordinator's units (`scope`)."""
    rows = await db.fetchall(
        MY_LOGS,
        {
            "guild_id": guild_id,
            "volunteer_id": volunteer_id,
            "scope": None if scope is None else json.dumps(sorted(scope)),
            "limit": limit,
        },
    )
    return [
        LogEntry(
            r["id"],
            from_db(r["logged_at"]),  # type: ignore[arg-type]
            r["unit_name"] if r["unit_code"] in r["unit_name"] else f"{r['unit_name']}",
            r["shift_name"],
            r["count"],
            r["level"] or 0,
            r["method"],
            r["concerns"] or "",
            r["volunteer_id"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class UnitReport:
    """One unit's aggregates: the 30-day level distribution and the 14-day concerns pulse."""

    unit: units.Unit
    scale: Scale
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
    return UnitReport(unit, await scale(db, guild_id), distribution, pulse, since, mid)


def unit_chart(report: UnitReport) -> bytes:
    """A PNG: the 30-day level distribution (1 strongest on the left) beside the concerns
    pulse (last 14 days against the 14 before). CPU work: use a thread."""
    with charts.figure(width=12, height=5) as fig:
        left = fig.add_subplot(1, 2, 1)
        levels = list(range(1, 6)) + [0]
        left.bar(
            [str(k) for k in levels],
            [report.distribution.get(k, 0) for k in levels],
            color=[charts.PALETTE[i % len(charts.PALETTE)] for i in range(6)],
        )
        left.set_title(f"{report.unit.code}: last {DISTRIBUTION_DAYS} days (1 = strongest)")
        left.set_xlabel(
            ", ".join(f"{k} {report.scale.label(k)}" for k in levels[:5]) + ", 0 not assessed",
            fontsize=8,
        )
        right = fig.add_subplot(1, 2, 2)
        names = [c for c, _, _ in report.pulse][:8]
        positions = list(range(len(names)))
        right.barh(
            [p - 0.2 for p in positions],
            [n for _, n, _ in report.pulse][:8],
            height=0.4,
            color=charts.PALETTE[0],
            label=f"last {PULSE_DAYS} days",
        )
        right.barh(
            [p + 0.2 for p in positions],
            [n for _, _, n in report.pulse][:8],
            height=0.4,
            color=charts.GREY,
            label=f"{PULSE_DAYS} days before",
        )
        right.set_yticks(positions)
        right.set_yticklabels(names)
        right.invert_yaxis()
        right.set_title("Concerns pulse")
        if names:
            right.legend(loc="lower right")
        else:
            right.text(0.5, 0.5, "no concerns logged", ha="center", transform=right.transAxes)
        return charts.to_png(fig)


# -- the weekly digest -------------------------------------------------------------------------

DIGEST_KIND = "cat.digest"
PENDING_DIGEST = (
    "SELECT count(*) FROM timer WHERE kind = 'cat.digest' AND subject_id = ? AND state = 'pending'"
)
LAST_LOG_PER_UNIT = (
    "SELECT unit_id, shift_id, max(logged_at) AS last FROM cat_conversation WHERE guild_id = ? "
    "GROUP BY unit_id, shift_id"
)
QUIET_VOLUNTEERS = (
    "SELECT v.id, v.user_id, v.display_name, v.unit_id, "
    "(SELECT max(logged_at) FROM cat_conversation c WHERE c.volunteer_id = v.id) AS last "
    "FROM cat_volunteer v WHERE v.guild_id = ? AND v.status = 'active' "
    "AND coalesce((SELECT max(logged_at) FROM cat_conversation c WHERE c.volunteer_id = v.id), "
    "coalesce(v.approved_at, v.joined_at)) < ? ORDER BY v.display_name"
)
PENDING_SIGNUPS = (
    "SELECT user_id, display_name, unit_id, supervises_none FROM cat_volunteer "
    "WHERE guild_id = ? AND status = 'pending' ORDER BY joined_at"
)
ACTIVE_AT = (
    "SELECT unit_id, count(*) AS n FROM cat_volunteer WHERE guild_id = ? "
    "AND coalesce(approved_at, joined_at) <= ? AND (left_at IS NULL OR left_at > ?) "
    "AND (status IN ('active', 'left', 'removed')) GROUP BY unit_id"
)


@dataclass(frozen=True)
class Digest:
    """What one coordinator should look at this week, within their scope."""

    quiet: list[str]
    check_in: list[tuple[int, str]]
    pending: list[tuple[int, str, bool]]
    volunteers_now: int
    volunteers_week_ago: int

    @property
    def change(self) -> int:
        """Active volunteers gained (or lost, negative) over the week."""
        return self.volunteers_now - self.volunteers_week_ago


async def digest(
    db: Database, guild_id: int, now: datetime, *, scope: set[int] | None = None
) -> Digest:
    """The weekly digest's content for a coordinator's scope: units and shifts with no
    conversation in 14 days, volunteers with no log in 30 days, pending sign-ups, and the
    week's change in active volunteers."""
    in_scope = (lambda unit_id: True) if scope is None else (lambda unit_id: unit_id in scope)
    quiet_since = to_db(now - timedelta(days=QUIET_DAYS))
    last_unit: dict[int, str] = {}
    last_shift: dict[int, str] = {}
    for r in await db.fetchall(LAST_LOG_PER_UNIT, (guild_id,)):
        last_unit[r["unit_id"]] = max(last_unit.get(r["unit_id"], ""), r["last"])
        if r["shift_id"] is not None:
            last_shift[r["shift_id"]] = r["last"]
    quiet = []
    shift_rows: dict[int, list[Any]] = {}
    for r in await db.fetchall(SHIFTS_OF_GUILD, (guild_id,)):
        shift_rows.setdefault(r["unit_id"], []).append(r)
    for unit, _depth in unit_tree(await units.list_units(db, guild_id)):
        if not in_scope(unit.id):
            continue
        if last_unit.get(unit.id, "") < quiet_since:
            quiet.append(unit.label)
        for r in shift_rows.get(unit.id, []):
            if last_shift.get(r["id"], "") < quiet_since:
                quiet.append(f"{unit.label}, {r['name']}")
    check_in = [
        (r["user_id"], r["display_name"])
        for r in await db.fetchall(
            QUIET_VOLUNTEERS, (guild_id, to_db(now - timedelta(days=CHECK_IN_DAYS)))
        )
        if in_scope(r["unit_id"])
    ]
    pending = [
        (r["user_id"], r["display_name"], r["supervises_none"] == 0)
        for r in await db.fetchall(PENDING_SIGNUPS, (guild_id,))
        if in_scope(r["unit_id"])
    ]

    async def active_at(moment: datetime) -> int:
        rows = await db.fetchall(ACTIVE_AT, (guild_id, to_db(moment), to_db(moment)))
        return sum(r["n"] for r in rows if in_scope(r["unit_id"]))

    now_n = await active_at(now)
    before = await active_at(now - timedelta(days=7))
    return Digest(quiet, check_in, pending, now_n, before)


def digest_message(d: Digest, *, scoped: bool, late: bool = False) -> dict[str, Any]:
    """The digest as a message (to a coordinator's DM or the coordinators' channel)."""
    sign = "+" if d.change > 0 else ""
    lines = [
        f"**Coverage this week:** {d.volunteers_now} active volunteer(s), {sign}{d.change} "
        "since last week" + (" (your units)" if scoped else "") + ".",
    ]
    quiet = ", ".join(d.quiet[:20]) + (
        f" and {len(d.quiet) - 20} more" if len(d.quiet) > 20 else ""
    )
    lines.append(
        f"**No conversation logged in {QUIET_DAYS} days:** " + (quiet or "none, well done.")
    )
    people = ", ".join(f"{render.truncate(n, 40)} (<@{u}>)" for u, n in d.check_in[:20])
    lines.append(f"**To check in with (no log in {CHECK_IN_DAYS} days):** " + (people or "nobody."))
    waiting = ", ".join(
        f"{render.truncate(n, 40)} (<@{u}>)" + (" — supervisor question" if sup else "")
        for u, n, sup in d.pending[:20]
    )
    lines.append("**Sign-ups waiting for approval:** " + (waiting or "none."))
    if late:
        lines.append("_This digest is late: the bot was offline when it was due._")
    return render.message(
        embeds=[render.embed("CAT weekly digest", "\n".join(lines), colour=render.Colour.INFO)]
    )


def next_digest_at(now: datetime, timezone: str) -> datetime:
    """Next Monday 09:00 in the server's zone (as UTC), strictly after `now`."""
    start = week_start(now, timezone).astimezone(ZoneInfo(timezone)) + timedelta(hours=9)
    due = start.astimezone(UTC)
    while due <= now:
        due = (start + timedelta(days=7)).astimezone(UTC)
        start += timedelta(days=7)
    return due


async def ensure_digest(db: Database, guild_id: int, now: datetime) -> None:
    """Schedule the server's weekly digest unless one is already pending."""
    if await db.fetchval(PENDING_DIGEST, (guild_id,), 0):
        return
    zone = await db.fetchval("SELECT timezone FROM guild_settings WHERE guild_id = ?", (guild_id,))
    due = next_digest_at(now, zone or "UTC")
    await timers.schedule(
        db, guild_id, DIGEST_KIND, guild_id, due, now, useful_until=due + timedelta(days=2)
    )


async def _fire_digest(db: Database, timer: timers.Timer, now: datetime) -> None:
    """Send each registered coordinator their scope's digest by DM; with none registered,
    post the whole server's in the coordinators' channel. Then schedule next week's."""
    guild_id = timer.guild_id
    people = await coordinators(db, guild_id)
    sent = 0
    for user_id in people:
        scope = await scope_of(db, guild_id, user_id)
        content = await digest(db, guild_id, now, scope=scope)
        await delivery.enqueue(
            db,
            guild_id,
            DIGEST_KIND,
            digest_message(content, scoped=scope is not None, late=timer.late),
            [delivery.Target.dm(user_id)],
            now,
            subject=f"timer:{timer.id}",
        )
        sent += 1
    if not people:
        channel = await db.fetchval(
            "SELECT cat_channel_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        if channel:
            content = await digest(db, guild_id, now)
            await delivery.enqueue(
                db,
                guild_id,
                DIGEST_KIND,
                digest_message(content, scoped=False, late=timer.late),
                [delivery.Target.channel(channel)],
                now,
                subject=f"timer:{timer.id}",
            )
            sent += 1
    log.info("cat digest for guild %s: %s sent", guild_id, sent)
    await ensure_digest(db, guild_id, now + timedelta(minutes=1))


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {DIGEST_KIND: _fire_digest}
