"""The cascade: an update goes to every active CAT volunteer of its units, who pass it on.

Each volunteer gets a DM with the update and the organizer's talking points and a "Reached
some" button that asks how many coworkers they reached (a number, never names). Coordinators
read, per unit, who confirmed, how many were reached, and the share of the unit's members,
now and as it stood 24 and 48 hours after the start; a volunteer who has not confirmed after
24 hours gets one reminder (a timer).

Volunteers are read from the CAT's table (cat_volunteer, migration 0006) directly, so this
module depends on that table's landed columns only, not on bot.cat's functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import audit, delivery, render, timers
from bot.core.db import Database, from_db, to_db
from bot.core.errors import NotFound, UserError
from bot.core.render import Colour, embed, message, truncate
from bot.updates import model

TALKING_MAX = 500
REMIND_AFTER = timedelta(hours=24)
REMIND_KIND = "cascade.remind"
# The DM's button (cogs/updates.py matches it as a DynamicItem).
REACHED_ID = "rf:cas:reached:{id}"

# Active volunteers of the units and of the units directly under them.
VOLUNTEERS = """
SELECT v.user_id, v.unit_id FROM cat_volunteer v
WHERE v.guild_id = :guild AND v.status = 'active'
  AND (v.unit_id IN (SELECT value FROM json_each(:units))
       OR v.unit_id IN (SELECT b.id FROM bargaining_unit b
                        WHERE b.parent_id IN (SELECT value FROM json_each(:units))))
ORDER BY v.unit_id, v.user_id
"""
INSERT = (
    "INSERT INTO cascade (guild_id, update_id, talking_points, started_at, started_by) "
    "VALUES (?, ?, ?, ?, ?)"
)
SET_BROADCAST = "UPDATE cascade SET broadcast_id = ? WHERE id = ?"
INSERT_VOLUNTEER = (
    "INSERT INTO cascade_volunteer (cascade_id, user_id, unit_id) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
GET = "SELECT * FROM cascade WHERE guild_id = ? AND id = ?"
ASKED = "SELECT * FROM cascade_volunteer WHERE cascade_id = ? AND user_id = ?"
REPORT = (
    "UPDATE cascade_volunteer SET reached = ?, confirmed_at = coalesce(confirmed_at, ?) "
    "WHERE cascade_id = ? AND user_id = ?"
)
INSERT_REPORT = (
    "INSERT INTO cascade_report (cascade_id, user_id, reached, reported_at) VALUES (?, ?, ?, ?)"
)
UNCONFIRMED = (
    "SELECT user_id FROM cascade_volunteer WHERE cascade_id = ? AND confirmed_at IS NULL "
    "AND reminded_at IS NULL"
)
MARK_REMINDED = (
    "UPDATE cascade_volunteer SET reminded_at = ? WHERE cascade_id = ? AND confirmed_at IS NULL "
    "AND reminded_at IS NULL"
)
ALL_ASKED = "SELECT * FROM cascade_volunteer WHERE cascade_id = ?"
GUILD_OF = "SELECT guild_id FROM cascade WHERE id = ?"
# A volunteer who left the server or lost the CAT role gets no reminder (the 24-hour one).
NO_REMINDER = (
    "UPDATE cascade_volunteer SET reminded_at = ? WHERE user_id = ? AND confirmed_at IS NULL "
    "AND reminded_at IS NULL AND cascade_id IN (SELECT id FROM cascade WHERE guild_id = ?)"
)
# Each volunteer's latest answer up to a moment: the figures as they stood then.
AS_OF = """
SELECT r.user_id, r.reached FROM cascade_report r
WHERE r.cascade_id = :cascade AND r.reported_at <= :until
  AND r.id = (SELECT max(r2.id) FROM cascade_report r2 WHERE r2.cascade_id = r.cascade_id
              AND r2.user_id = r.user_id AND r2.reported_at <= :until)
"""
UNITS = "SELECT id, code, name, member_count FROM bargaining_unit WHERE guild_id = ?"


@dataclass(frozen=True)
class Cascade:
    """One cascade of an update."""

    id: int
    guild_id: int
    update_id: int
    talking_points: str
    started_at: datetime


@dataclass(frozen=True)
class UnitFigures:
    """A unit's figures at one moment."""

    code: str
    asked: int
    confirmed: int
    reached: int
    members: int | None

    @property
    def share(self) -> float | None:
        """The share of the unit's members reached (None when its size is unknown)."""
        return self.reached / self.members if self.members else None


def _cascade(row: Any) -> Cascade:
    return Cascade(
        row["id"],
        row["guild_id"],
        row["update_id"],
        row["talking_points"],
        from_db(row["started_at"]),
    )


def clean_points(text: str) -> str:
    """The organizer's talking points, checked (1 to 500 characters)."""
    text = (text or "").strip()
    if not text:
        raise UserError("Write the talking points volunteers pass on (up to 500 characters).")
    if len(text) > TALKING_MAX:
        raise UserError(f"The talking points are {len(text)} characters; keep them to 500.")
    return text


async def audience(db: Database, guild_id: int, update_id: int) -> dict[str, int]:
    """Per unit code of the update, how many active volunteers a cascade would DM.

    UserError when the update concerns no unit or no unit has an active volunteer."""
    update = await model.get(db, guild_id, update_id)
    if not update.unit_ids:
        raise UserError(
            f"Update #{update_id} concerns no bargaining unit: a cascade goes to the "
            "volunteers of the update's units."
        )
    rows = await db.fetchall(
        VOLUNTEERS, {"guild": guild_id, "units": json.dumps(list(update.unit_ids))}
    )
    codes = dict(zip(update.unit_ids, update.unit_codes, strict=True))
    counts = {code: 0 for code in update.unit_codes}
    parents = {r["id"]: r for r in await db.fetchall(UNITS, (guild_id,))}
    for row in rows:
        code = codes.get(row["unit_id"]) or parents[row["unit_id"]]["code"]
        counts[code] = counts.get(code, 0) + 1
    if not rows:
        raise UserError(
            f"No unit of update #{update_id} ({', '.join(update.unit_codes)}) has an active CAT "
            "volunteer yet: nothing was sent. `/cat join` signs volunteers up."
        )
    return counts


def dm_message(
    cascade_id: int, update: model.Update, points: str, *, reminder: bool = False
) -> dict[str, Any]:
    """The volunteer's DM: the update, the talking points, the "Reached some" button."""
    head = "Reminder: " if reminder else ""
    text = (
        f"{head}Please pass on update **#{update.id} · {truncate(update.title, 150)}** to your "
        f"coworkers (`/updates show id: {update.id}`"
        + (f", {update.source_url}" if update.source_url else "")
        + f").\n\n**Talking points**\n{points}\n\n"
        "When you have talked to some coworkers, press **Reached some** and say how many "
        "(a number; no names)."
    )
    button = {
        "type": 2,
        "style": 1,
        "label": "Reached some",
        "custom_id": REACHED_ID.format(id=cascade_id),
    }
    return message(
        embeds=[embed("Cascade: pass it on", text, colour=Colour.INFO)],
        components=[{"type": 1, "components": [button]}],
    )


async def start(
    db: Database, guild_id: int, update_id: int, points: str, actor_id: int | None, now: datetime
) -> tuple[Cascade, dict[str, int]]:
    """Send the cascade: one DM per active volunteer of the update's units, a reminder timer
    at 24 hours, audited; all in one transaction."""
    points = clean_points(points)
    async with db.transaction():
        counts = await audience(db, guild_id, update_id)
        update = await model.get(db, guild_id, update_id)
        cascade_id = await db.execute(INSERT, (guild_id, update_id, points, to_db(now), actor_id))
        rows = await db.fetchall(
            VOLUNTEERS, {"guild": guild_id, "units": json.dumps(list(update.unit_ids))}
        )
        await db.executemany(
            INSERT_VOLUNTEER, [(cascade_id, r["user_id"], r["unit_id"]) for r in rows]
        )
        broadcast_id = await delivery.enqueue(
            db,
            guild_id,
            "cascade",
            dm_message(cascade_id, update, points),
            [delivery.Target.dm(r["user_id"], requires="cat") for r in rows],
            now,
            author_id=actor_id,
            subject=f"cascade {cascade_id}",
        )
        await db.execute(SET_BROADCAST, (broadcast_id, cascade_id))
        await timers.schedule(
            db, guild_id, REMIND_KIND, cascade_id, now + REMIND_AFTER, now,
            useful_until=now + 2 * REMIND_AFTER,
        )  # fmt: skip
        await audit.record(
            db, guild_id, actor_id, "cascade.start", f"cascade {cascade_id}",
            f"update {update_id}, {render.count(len(rows), 'volunteer', 'volunteers')}", now,
        )  # fmt: skip
        return await get(db, guild_id, cascade_id), counts


async def get(db: Database, guild_id: int, cascade_id: int) -> Cascade:
    """One cascade by number, or NotFound."""
    row = await db.fetchone(GET, (guild_id, cascade_id))
    if row is None:
        raise NotFound(f"There is no cascade #{cascade_id} here.")
    return _cascade(row)


async def guild_of(db: Database, cascade_id: int) -> int:
    """The server a cascade belongs to (its DM button carries only the cascade's number)."""
    guild_id = await db.fetchval(GUILD_OF, (cascade_id,))
    if guild_id is None:
        raise NotFound(f"There is no cascade #{cascade_id}.")
    return int(guild_id)


async def volunteer_gone(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """They left the server or lost the CAT role: no cascade reminder (bot.wiring registers
    it; the DMs themselves need the role when sent)."""
    await db.execute(NO_REMINDER, (to_db(now), user_id, guild_id))


async def report(db: Database, cascade_id: int, user_id: int, text: str, now: datetime) -> int:
    """A volunteer's answer (from a DM, so no server in hand): how many coworkers they reached
    so far, a whole number, not negative, not above their unit's size. Returns it."""
    try:
        count = int((text or "").strip())
    except ValueError:
        raise UserError("Give a whole number, like 5.") from None
    if count < 0:
        raise UserError("The number reached can't be negative.")
    async with db.transaction():
        asked = await db.fetchone(ASKED, (cascade_id, user_id))
        if asked is None:
            raise UserError("This cascade was not sent to you, so there is nothing to confirm.")
        size = await db.fetchval(
            "SELECT member_count FROM bargaining_unit WHERE id = ?", (asked["unit_id"],)
        )
        if size is not None and count > size:
            raise UserError(f"Your unit has {size:,} members: give a number from 0 to {size:,}.")
        await db.execute(REPORT, (count, to_db(now), cascade_id, user_id))
        await db.execute(INSERT_REPORT, (cascade_id, user_id, count, to_db(now)))
    return count


async def fire_reminder(db: Database, timer: timers.Timer, now: datetime) -> None:
    """24 hours on: one reminder DM to each volunteer who has not confirmed."""
    if timer.subject_id is None:
        return
    try:
        cascade = await get(db, timer.guild_id, timer.subject_id)
    except NotFound:
        return
    users = [r[0] for r in await db.fetchall(UNCONFIRMED, (cascade.id,))]
    if not users:
        return
    update = await model.get(db, timer.guild_id, cascade.update_id)
    await db.execute(MARK_REMINDED, (to_db(now), cascade.id))
    await delivery.enqueue(
        db,
        timer.guild_id,
        "cascade.remind",
        dm_message(cascade.id, update, cascade.talking_points, reminder=True),
        [delivery.Target.dm(u, requires="cat") for u in users],
        now,
        subject=f"cascade {cascade.id}",
    )


async def status(
    db: Database, guild_id: int, cascade_id: int, now: datetime
) -> tuple[Cascade, dict[str, list[UnitFigures]]]:
    """Per unit, the figures now and as they stood at 24 and 48 hours (those that have come):
    volunteers asked, confirmed, coworkers reached, members."""
    cascade = await get(db, guild_id, cascade_id)
    unit_rows = {r["id"]: r for r in await db.fetchall(UNITS, (guild_id,))}
    asked = await db.fetchall(ALL_ASKED, (cascade_id,))
    moments = {"now": now}
    for hours in (24, 48):
        at = cascade.started_at + timedelta(hours=hours)
        if at <= now:
            moments[f"{hours} h"] = at
    out: dict[str, list[UnitFigures]] = {}
    for label, until in moments.items():
        latest = {
            r["user_id"]: r["reached"]
            for r in await db.fetchall(AS_OF, {"cascade": cascade_id, "until": to_db(until)})
        }
        per_unit: dict[int, list[int]] = {}
        for a in asked:
            row = per_unit.setdefault(a["unit_id"], [0, 0, 0])
            row[0] += 1
            if a["user_id"] in latest:
                row[1] += 1
                row[2] += latest[a["user_id"]]
        out[label] = [
            UnitFigures(unit_rows[u]["code"], n, c, r, unit_rows[u]["member_count"])
            for u, (n, c, r) in sorted(per_unit.items(), key=lambda kv: unit_rows[kv[0]]["code"])
        ]
    return cascade, out


def status_embed(cascade: Cascade, figures: dict[str, list[UnitFigures]]) -> dict[str, Any]:
    """`cascade-status`: per unit, confirmed, reached, share of members; now, 24 h, 48 h."""
    fields = []
    for label, rows in figures.items():
        lines = []
        for f in rows:
            share = f" · {f.share:.0%} of {f.members:,} members" if f.share is not None else ""
            lines.append(
                f"**{f.code}** · {f.confirmed} of "
                f"{render.count(f.asked, 'volunteer', 'volunteers')} confirmed · "
                f"{render.count(f.reached, 'coworker', 'coworkers')} reached{share}"
            )
        fields.append(
            (f"As of {label}" if label != "now" else "Now", "\n".join(lines) or "—", False)
        )
    return embed(
        f"Cascade #{cascade.id} of update #{cascade.update_id}",
        f"Talking points: {truncate(cascade.talking_points, 300)}",
        fields=fields,
        colour=Colour.INFO,
        footer="Counts only: volunteers report numbers, never names.",
    )


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {REMIND_KIND: fire_reminder}
