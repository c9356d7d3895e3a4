"""CAT sign-ups: volunteers, joining, leaving, approval, removal, the roster and its CSV.

A member signs up once per server (UNIQUE (guild_id, user_id)); signing up again updates
the same row, so double-clicks and bursts never duplicate. The roster is personal data:
only coordinators see it, and nothing here logs it or puts it in an error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import privacy
from bot.cat import _forms, timing
from bot.core import audit, csv_export, delivery, render, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError

log = logging.getLogger("rankfile.cat")

NAME_MAX = 100
STATUSES = ("active", "pending", "left", "removed")

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
MY_CONVERSATIONS = "SELECT coalesce(sum(count), 0) FROM cat_conversation WHERE volunteer_id = ?"
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
        "name": _forms.clean(name, "name", NAME_MAX),
        "department": _forms.clean(department, "department or craft"),
        "availability": _forms.clean(availability, "shift or availability"),
        "contact": _forms.clean(contact, "preferred contact"),
    }
    unit_text = _forms.clean(unit, "bargaining unit")
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
        assert volunteer is not None  # written just above in this transaction
        joined = previous not in ("active", "pending")
        if joined:
            # The weekly digest starts with the CAT's first volunteer (or the first scope).
            await timing.ensure_digest(db, guild_id, now)
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
                [delivery.Target.channel(channel_id, private=True)],
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
    "availability",
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
    """The roster as CSV bytes (one column per fact, every cell safe for spreadsheets) and its
    row count; the export is audited (without its content)."""
    async with db.transaction():
        rows = await roster(db, guild_id, unit_id=unit_id, status=status, limit=-1, scope=scope)
        filters = (
            f"unit={unit_id or 'all'} status={status or 'all'} "
            f"scope={'all' if scope is None else len(scope)} rows={len(rows)}"
        )
        await audit.record(db, guild_id, actor_id, "cat.export", "cat roster", filters, now)
        table = []
        for v in rows:
            logged = await conversations_logged(db, v.id)
            table.append(
                [
                    str(v.user_id),
                    v.display_name,
                    v.unit_code,
                    v.shift_name or "",
                    v.department,
                    v.availability,
                    v.contact,
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
    # Where the file came from is said in its name and the reply (a first line of provenance
    # breaks spreadsheet import); the audit entry records who exported it.
    return csv_export.to_csv(CSV_COLUMNS, table), len(rows)


async def conversations_logged(db: Database, volunteer_id: int) -> int:
    """How many conversations a volunteer has logged in all."""
    return int(await db.fetchval(MY_CONVERSATIONS, (volunteer_id,), 0))
