"""The weekly CAT digest: for each coordinator, within their units, the units and shifts
with no conversation in 14 days, the volunteers to check in with, the sign-ups waiting,
and the week's change in active volunteers.

When it is due and how it is scheduled lives in `timing`; this module says what it holds
and sends it when its timer fires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.cat import reports, structure, timing
from bot.cat import scope as scopes
from bot.core import audit, delivery, render, timers, units
from bot.core.db import Database, to_db

log = logging.getLogger("rankfile.cat")

QUIET_DAYS = 14
CHECK_IN_DAYS = 30

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
COORDINATORS_CHANNEL = "SELECT cat_channel_id FROM guild_settings WHERE guild_id = ?"


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
    shift_rows = await structure.by_unit(db, guild_id)
    for unit, _depth in reports.unit_tree(await units.list_units(db, guild_id)):
        if not in_scope(unit.id):
            continue
        if last_unit.get(unit.id, "") < quiet_since:
            quiet.append(unit.label)
        for sh in shift_rows.get(unit.id, []):
            if last_shift.get(sh.id, "") < quiet_since:
                quiet.append(f"{unit.label}, {sh.name}")
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


async def fire_digest(db: Database, timer: timers.Timer, now: datetime) -> None:
    """Send each registered coordinator their scope's digest by DM; with none registered,
    post the whole server's in the coordinators' channel. Then schedule next week's.

    Each DM goes only if its coordinator still holds the coordinator role when it is sent,
    and the channel's copy only if @everyone cannot read the channel (the delivery worker
    checks both); each one queued is recorded in the transparency log."""
    guild_id = timer.guild_id
    people = await scopes.coordinators(db, guild_id)
    sent = 0
    for user_id in people:
        units_seen = await scopes.scope_of(db, guild_id, user_id)
        content = await digest(db, guild_id, now, scope=units_seen)
        await delivery.enqueue(
            db,
            guild_id,
            timing.DIGEST_KIND,
            digest_message(content, scoped=units_seen is not None, late=timer.late),
            [delivery.Target.dm(user_id, requires="coordinator")],
            now,
            subject=f"timer:{timer.id}",
        )
        await audit.record(db, guild_id, user_id, "cat.digest_view", "cat digest", "DM", now)
        sent += 1
    if not people:
        channel = await db.fetchval(COORDINATORS_CHANNEL, (guild_id,))
        if channel:
            content = await digest(db, guild_id, now)
            await delivery.enqueue(
                db,
                guild_id,
                timing.DIGEST_KIND,
                digest_message(content, scoped=False, late=timer.late),
                [delivery.Target.channel(channel, private=True)],
                now,
                subject=f"timer:{timer.id}",
            )
            await audit.record(
                db, guild_id, None, "cat.digest_view", "cat digest", "coordinators' channel", now
            )
            sent += 1
    log.info("cat digest for guild %s: %s sent", guild_id, sent)
    await timing.ensure_digest(db, guild_id, now + timedelta(minutes=1))
