"""Where each unit stands along the tracker: moving a unit to a status, its history, the
overview of every unit, and how they look to members.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import updates
from bot.core import audit, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, UserError
from bot.core.render import Colour, embed, truncate
from bot.core.timeparse import discord_timestamp
from bot.tracker import model, silence, withheld
from bot.tracker.model import (
    CURRENT,
    DETAILS_OUT,
    INSERT,
    LAST_HEARD_ONE,
    NOTE_MAX,
    SILENT_STATUSES,
    STATUSES,
    Overview,
    StatusChange,
    UnitStanding,
    Withheld,
    date_text,
    days_between,
    find_status,
    standing_of,
)

# The whole overview in one query (each query costs a round trip to the database thread):
# every unit with its last-heard row, its open withheld mark and its history as JSON.
OVERVIEW = """
SELECT b.*, h.heard_at, h.kind AS heard_kind,
       w.id AS w_id, w.reason AS w_reason, w.expected_at AS w_expected, w.marked_at AS w_marked,
       (SELECT json_group_array(json_array(c.id, c.status, c.reached_at, c.note, c.author_id,
                                           c.update_id, c.forced))
        FROM (SELECT * FROM tracker_status_change c WHERE c.unit_id = b.id
              ORDER BY c.reached_at, c.id) c) AS history
FROM bargaining_unit b
LEFT JOIN unit_last_heard h ON h.unit_id = b.id
LEFT JOIN withheld_details w ON w.unit_id = b.id AND w.released_at IS NULL
WHERE b.guild_id = ?
ORDER BY b.parent_id IS NOT NULL, b.code
"""


async def overview(db: Database, guild_id: int, now: datetime, zone: str) -> Overview:
    """Every unit at a glance, with the totals ("10 of 13 units have reached a TA")."""
    standings = []
    for row in await db.fetchall(OVERVIEW, (guild_id,)):
        changes = [
            StatusChange(c[0], row["id"], c[1], from_db(c[2]), c[3], c[4], c[5], bool(c[6]))
            for c in json.loads(row["history"] or "[]")
        ]
        held = None
        if row["w_id"] is not None:
            held = Withheld(
                row["w_id"],
                row["id"],
                row["w_reason"],
                from_db(row["w_expected"]),
                from_db(row["w_marked"]),
            )
        standings.append(
            standing_of(
                units.Unit(
                    row["id"],
                    row["guild_id"],
                    row["code"],
                    row["name"],
                    row["parent_id"],
                    row["member_count"],
                ),
                changes,
                from_db(row["heard_at"]),
                now,
                zone,
                held,
                row["heard_kind"],
            )
        )
    return Overview(
        standings,
        total=len(standings),
        reached_ta=sum(1 for s in standings if s.tentative_at is not None),
        ratified=sum(1 for s in standings if s.status == "ratified"),
        negotiating=sum(1 for s in standings if s.status == "negotiating"),
        waiting=sum(1 for s in standings if s.days_waiting is not None),
    )


async def standing(
    db: Database, guild_id: int, unit_text: str, now: datetime, zone: str
) -> tuple[UnitStanding, list[StatusChange]]:
    """One unit's standing and history (for `/tracker show unit:`)."""
    unit = await units.find(db, guild_id, unit_text)
    changes = await model.history(db, guild_id, unit.id)
    heard = await db.fetchone(LAST_HEARD_ONE, (guild_id, unit.id))
    held = await withheld.open_mark(db, guild_id, unit.id)
    return standing_of(
        unit,
        changes,
        from_db(heard[0]) if heard else None,
        now,
        zone,
        held,
        heard[1] if heard else None,
    ), changes


async def set_status(
    db: Database,
    guild_id: int,
    unit_text: str,
    status_text: str,
    actor_id: int | None,
    now: datetime,
    *,
    note: str | None = None,
    reached_at: datetime | None = None,
    force: bool = False,
    post_update: bool = True,
    update_id: int | None = None,
) -> tuple[StatusChange, updates.Update | None]:
    """Move a unit to a status (audited), posting an update about it unless told not to.

    Refuses a move backwards in the lifecycle (or to a date before the current status) unless
    `force`; a rejected agreement may go back to negotiations without it.
    """
    status = find_status(status_text)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise UserError(f"The note is {len(note)} characters; keep it to {NOTE_MAX}.")
    when = reached_at or now
    if when > now:
        raise UserError("A status is reached today or in the past: give a date that has come.")
    async with db.transaction():
        unit = await units.find(db, guild_id, unit_text)
        row = await db.fetchone(CURRENT, (guild_id, unit.id))
        current = model.change_from_row(row) if row else None
        if current is not None and not force:
            was = STATUSES.get(current.status)
            if current.status == status.code:
                raise Conflict(f"{unit.label} is already at **{status.label}**.")
            backwards = was is not None and status.rank < was.rank and was.code != "rejected"
            if backwards:
                raise UserError(
                    f"{unit.label} is at **{was.label}**; **{status.label}** would move it back. "
                    "If that is right (a deal fell through), run it again with `force: True`."
                )
            if when < current.reached_at:
                raise UserError(
                    f"{unit.label} reached **{current.label}** after that date: give a later date, "
                    "or `force: True` to record it anyway."
                )
        published = None
        if post_update:
            draft = updates.Draft(
                f"{unit.label}: {status.label.lower()}",
                note or f"{unit.label} is now at: {status.label}.",
                None,
                (),
                (unit,),
            )
            published = await updates.publish(db, guild_id, actor_id, draft, now, kind="status")
            update_id = published.id
        if status.code in DETAILS_OUT:
            await db.execute(withheld.WITHHELD_RELEASE, (to_db(now), guild_id, unit.id))
        if not post_update:
            await silence.arm_silence(db, guild_id, None, [unit.id], now)
        change_id = await db.execute(
            INSERT,
            (
                guild_id,
                unit.id,
                status.code,
                to_db(when),
                note,
                actor_id,
                update_id,
                int(force),
                to_db(now),
            ),
        )
        await audit.record(
            db, guild_id, actor_id, "tracker.set", f"unit {unit.code}", status.code, now
        )
        changed = model.change_from_row(
            await db.fetchone("SELECT * FROM tracker_status_change WHERE id = ?", (change_id,))
        )
    return changed, published


# -- rendering ---------------------------------------------------------------------------


def _when(at: datetime | None) -> str:
    return discord_timestamp(at, "D") if at else "—"


def standing_line(s: UnitStanding, now: datetime, zone: str) -> str:
    """One unit in the at-a-glance list."""
    code = s.unit.code
    if s.current is None:
        return f"**{code}** · Not started"
    text = f"**{code}** · {s.current.label} since {_when(s.current.reached_at)}"
    if s.days_waiting is not None:
        text += f" · ⏳ **{s.days_waiting} days** waiting for the details"
    elif s.days_to_details is not None and s.status in DETAILS_OUT:
        text += f" · details after {s.days_to_details} days"
    if s.withheld is not None:
        text += "\n  " + withheld.withheld_text(s.withheld, now, zone)
    if s.status in SILENT_STATUSES or s.withheld is not None:
        text += " · " + heard_text(s, now, zone)
    return text


def heard_text(s: UnitStanding, now: datetime, zone: str) -> str:
    """When members last heard anything about the unit: "last update 12 days ago"."""
    if s.last_heard is None:
        return "no update yet"
    days = days_between(s.last_heard, now, zone)
    when = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    return f"last update {when}" + (" (no news)" if s.last_heard_kind == "no_news" else "")


def overview_embed(view: Overview, now: datetime, zone: str) -> dict[str, Any]:
    """`/tracker show`: every unit, the totals, the waits."""
    totals = [
        f"**{view.reached_ta} of {view.total}** units have reached a tentative agreement",
        f"**{view.ratified} of {view.total}** ratified",
    ]
    if view.negotiating:
        totals.append(f"{view.negotiating} in negotiations")
    if view.waiting:
        totals.append(f"{view.waiting} waiting for the details of their agreement")
    lines = [standing_line(s, now, zone) for s in view.standings] or [
        "No bargaining units yet: organizers add them with `/tracker-edit units add`."
    ]
    description = "\n".join(totals) + "\n\n" + "\n".join(lines)
    return embed(
        "Where bargaining stands",
        description,
        footer="/tracker show unit: for one unit's history · /tracker chart for the timeline",
        colour=Colour.INFO,
        timestamp=now,
    )


def unit_embed(
    s: UnitStanding, changes: list[StatusChange], now: datetime, zone: str
) -> dict[str, Any]:
    """`/tracker show unit:`: the unit's status and history."""
    head = standing_line(s, now, zone)
    if s.unit.member_count:
        head += f"\n{s.unit.member_count:,} members"
    if s.last_heard is not None:
        heard = heard_text(s, now, zone)
        head += f"\n{heard[0].upper()}{heard[1:]} ({discord_timestamp(s.last_heard, 'D')})"
    fields = []
    if s.withheld is not None:
        waited = days_between(s.tentative_at, now, zone) if s.tentative_at else 0
        lines = [
            f"Why: {truncate(s.withheld.reason, 300)}",
            f"Expected: {date_text(s.withheld.expected_at, zone)} · waited {waited} days so far",
        ]
        overdue = days_between(s.withheld.expected_at, now, zone)
        if overdue > 0:
            lines.append(f"**Overdue by {overdue} day{'' if overdue == 1 else 's'}**")
        lines += [f"• {h}" for h in withheld.withheld_history(s.withheld, zone)]
        fields.append(("Details withheld", truncate("\n".join(lines), 1024), False))
    for c in changes:
        value = truncate(c.note, 300) if c.note else "—"
        if c.update_id:
            value += f"\nUpdate `#{c.update_id}`"
        if c.forced:
            value += " (corrected)"
        fields.append(
            (
                f"{c.label} · {c.reached_at.astimezone(ZoneInfo(zone)):%B} "
                f"{c.reached_at.astimezone(ZoneInfo(zone)).day}, "
                f"{c.reached_at.astimezone(ZoneInfo(zone)).year}",
                value,
                False,
            )
        )
    return embed(
        s.unit.label,
        head + ("" if changes else "\n\nNo status recorded yet."),
        fields=fields,
        colour=Colour.INFO,
    )
