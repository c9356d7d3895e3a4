"""Campaign close and retention: once the campaign is closed (or the bot is removed from the
server), the server's members' data is purged `retention_days` later as the declaration says;
organizers are warned a week before (timers `privacy.warn` and `privacy.purge`). Also the
server's campaign state (`Campaign`), which the safety checklist shares."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import audit, delivery, guild_settings, render, timers
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, UserError
from bot.privacy import declaration

log = logging.getLogger("rankfile.privacy")

DEFAULT_RETENTION_DAYS = 90
WARN_BEFORE = timedelta(days=7)
RETENTION_MIN, RETENTION_MAX = 7, 3650

# Timer kinds (subject_id is the guild id).
WARN_TIMER, PURGE_TIMER = "privacy.warn", "privacy.purge"

GET_GUILD = "SELECT * FROM privacy_guild WHERE guild_id = ?"
ENSURE_GUILD = (
    "INSERT INTO privacy_guild (guild_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING"
)
SET_RETENTION = "UPDATE privacy_guild SET retention_days = ?, updated_at = ? WHERE guild_id = ?"
CLOSE = (
    "UPDATE privacy_guild SET closed_at = ?, closed_by = ?, purge_due_at = ?, warned_at = NULL,"
    " purged_at = NULL, updated_at = ? WHERE guild_id = ?"
)
REOPEN = (
    "UPDATE privacy_guild SET closed_at = NULL, closed_by = NULL, purge_due_at = NULL,"
    " warned_at = NULL, updated_at = ? WHERE guild_id = ?"
)
REMOVED = (
    "UPDATE privacy_guild SET removed_at = ?, purge_due_at = ?, warned_at = NULL,"
    " updated_at = ? WHERE guild_id = ?"
)
READDED = (
    "UPDATE privacy_guild SET removed_at = NULL,"
    " purge_due_at = CASE WHEN closed_at IS NULL THEN NULL ELSE purge_due_at END,"
    " updated_at = ? WHERE guild_id = ?"
)
WARNED = "UPDATE privacy_guild SET warned_at = ?, updated_at = ? WHERE guild_id = ?"
PURGED = "UPDATE privacy_guild SET purged_at = ?, updated_at = ? WHERE guild_id = ?"


async def purge_guild(db: Database, guild_id: int, now: datetime) -> dict[str, int]:
    """Retention: delete or anonymise every member's data in one server (counts kept)."""
    params = {"guild": guild_id}
    changed: dict[str, int] = {}
    async with db.transaction():
        for use in declaration.declared():
            for cancel in declaration.cancel_timers_sql(use, member=False):
                await db.execute(cancel, params)
        for use in declaration.declared():
            sql = declaration.change_sql(use, member=False)
            if sql is not None:
                n = await db.execute(sql, params)
                if n:
                    changed[use.name] = n
        await db.execute(PURGED, (to_db(now), to_db(now), guild_id))
        detail = f"rows={sum(changed.values())}"
        await audit.record(db, guild_id, None, "privacy.retention", None, detail, now)
    log.info("retention purge in guild %s: %s rows", guild_id, sum(changed.values()))
    return changed


@dataclass(frozen=True)
class Campaign:
    """A server's retention state and safety-checklist acknowledgement."""

    guild_id: int
    retention_days: int = DEFAULT_RETENTION_DAYS
    closed_at: datetime | None = None
    closed_by: int | None = None
    removed_at: datetime | None = None
    purge_due_at: datetime | None = None
    warned_at: datetime | None = None
    purged_at: datetime | None = None
    checklist_acknowledged_at: datetime | None = None
    checklist_acknowledged_by: int | None = None

    @property
    def warn_at(self) -> datetime | None:
        """When organizers are warned (7 days before the purge)."""
        return self.purge_due_at - WARN_BEFORE if self.purge_due_at else None


def _campaign(row: sqlite3.Row | None, guild_id: int) -> Campaign:
    if row is None:
        return Campaign(guild_id)
    return Campaign(
        guild_id=guild_id,
        retention_days=row["retention_days"],
        closed_at=from_db(row["closed_at"]),
        closed_by=row["closed_by"],
        removed_at=from_db(row["removed_at"]),
        purge_due_at=from_db(row["purge_due_at"]),
        warned_at=from_db(row["warned_at"]),
        purged_at=from_db(row["purged_at"]),
        checklist_acknowledged_at=from_db(row["checklist_acknowledged_at"]),
        checklist_acknowledged_by=row["checklist_acknowledged_by"],
    )


async def campaign(db: Database, guild_id: int) -> Campaign:
    """The server's retention state (defaults when nothing was set)."""
    return _campaign(await db.fetchone(GET_GUILD, (guild_id,)), guild_id)


async def _schedule_purge(db: Database, guild_id: int, due: datetime, now: datetime) -> None:
    await timers.cancel_subject(db, WARN_TIMER, guild_id)
    await timers.cancel_subject(db, PURGE_TIMER, guild_id)
    if due - WARN_BEFORE > now:
        await timers.schedule(db, guild_id, WARN_TIMER, guild_id, due - WARN_BEFORE, now)
    await timers.schedule(db, guild_id, PURGE_TIMER, guild_id, due, now)


async def set_retention(
    db: Database, guild_id: int, days: int, actor_id: int, now: datetime
) -> Campaign:
    """Change how many days after closing the campaign its personal data is deleted."""
    if not RETENTION_MIN <= days <= RETENTION_MAX:
        raise UserError(f"Retention is between {RETENTION_MIN} and {RETENTION_MAX} days.")
    async with db.transaction():
        await db.execute(ENSURE_GUILD, (guild_id, to_db(now)))
        await db.execute(SET_RETENTION, (days, to_db(now), guild_id))
        state = await campaign(db, guild_id)
        if state.closed_at is not None and state.purged_at is None:
            due = max(state.closed_at + timedelta(days=days), now)
            await db.execute(
                CLOSE, (to_db(state.closed_at), state.closed_by, to_db(due), to_db(now), guild_id)
            )
            await _schedule_purge(db, guild_id, due, now)
        await audit.record(db, guild_id, actor_id, "privacy.retention_days", None, str(days), now)
    return await campaign(db, guild_id)


async def close_campaign(db: Database, guild_id: int, actor_id: int, now: datetime) -> Campaign:
    """Close the campaign: its personal data is purged `retention_days` later (warned 7 days
    before); refused when it is already closed."""
    async with db.transaction():
        await db.execute(ENSURE_GUILD, (guild_id, to_db(now)))
        state = await campaign(db, guild_id)
        if state.closed_at is not None:
            raise Conflict(
                f"The campaign is already closed: its data is deleted {_when(state.purge_due_at)}."
                " `/setup campaign reopen` undoes it."
            )
        due = now + timedelta(days=state.retention_days)
        await db.execute(CLOSE, (to_db(now), actor_id, to_db(due), to_db(now), guild_id))
        await _schedule_purge(db, guild_id, due, now)
        await audit.record(db, guild_id, actor_id, "privacy.close", None, None, now)
    return await campaign(db, guild_id)


async def reopen_campaign(db: Database, guild_id: int, actor_id: int, now: datetime) -> Campaign:
    """Reopen a closed campaign before its purge: the purge and the warning are cancelled."""
    async with db.transaction():
        state = await campaign(db, guild_id)
        if state.closed_at is None:
            raise Conflict("The campaign is not closed.")
        await db.execute(REOPEN, (to_db(now), guild_id))
        if state.removed_at is None:
            await timers.cancel_subject(db, WARN_TIMER, guild_id)
            await timers.cancel_subject(db, PURGE_TIMER, guild_id)
        await audit.record(db, guild_id, actor_id, "privacy.reopen", None, None, now)
    return await campaign(db, guild_id)


async def bot_removed(db: Database, guild_id: int, now: datetime) -> Campaign:
    """The bot left (or was removed from) a server: purge its data after the retention delay
    unless the bot is added back first."""
    async with db.transaction():
        await db.execute(ENSURE_GUILD, (guild_id, to_db(now)))
        state = await campaign(db, guild_id)
        due = now + timedelta(days=state.retention_days)
        if state.purge_due_at is not None and state.purged_at is None:
            due = min(due, state.purge_due_at)  # an earlier close still wins
        await db.execute(REMOVED, (to_db(now), to_db(due), to_db(now), guild_id))
        await _schedule_purge(db, guild_id, due, now)
    log.info("bot removed from guild %s: purge scheduled", guild_id)
    return await campaign(db, guild_id)


async def bot_added(db: Database, guild_id: int, now: datetime) -> Campaign:
    """The bot is in the server (again): a purge scheduled by its removal is cancelled."""
    async with db.transaction():
        state = await campaign(db, guild_id)
        if state.removed_at is None:
            return state
        await db.execute(READDED, (to_db(now), guild_id))
        if state.closed_at is None:
            await timers.cancel_subject(db, WARN_TIMER, guild_id)
            await timers.cancel_subject(db, PURGE_TIMER, guild_id)
        else:
            await _schedule_purge(
                db, guild_id, state.closed_at + timedelta(days=state.retention_days), now
            )
    log.info("bot back in guild %s: removal purge cancelled", guild_id)
    return await campaign(db, guild_id)


def _when(moment: datetime | None) -> str:
    return f"<t:{int(moment.timestamp())}:F>" if moment else "(not scheduled)"


def warning_message(state: Campaign) -> dict[str, Any]:
    """The organizers' warning, a week before the purge."""
    when = _when(state.purge_due_at)
    return render.message(
        embeds=[
            render.embed(
                "Members' data will be deleted in 7 days",
                f"The campaign was closed, so on {when} rankfile deletes the CAT roster, who "
                "asked what, RSVPs and subscriptions, keeping only anonymous counts (tracker, "
                "turnout, coverage).\n\nTo keep a copy first: `/catteam export` for the roster. "
                "To stop it: `/setup campaign reopen`.",
                colour=render.Colour.WARNING,
            )
        ]
    )


async def _warn(db: Database, timer: timers.Timer, now: datetime) -> None:
    state = await campaign(db, timer.guild_id)
    if state.purge_due_at is None or state.purged_at is not None or state.removed_at:
        return  # reopened, done, or the bot is gone (nobody to tell)
    settings = await guild_settings.get(db, timer.guild_id)
    targets = []
    if settings.committee_channel_id:
        targets.append(delivery.Target.channel(settings.committee_channel_id))
    if state.closed_by:
        targets.append(delivery.Target.dm(state.closed_by))
    if targets:
        await delivery.enqueue(
            db,
            timer.guild_id,
            "privacy.warning",
            warning_message(state),
            targets,
            now,
            subject=f"privacy_guild:{timer.guild_id}",
        )
    await db.execute(WARNED, (to_db(now), to_db(now), timer.guild_id))


async def _purge(db: Database, timer: timers.Timer, now: datetime) -> None:
    state = await campaign(db, timer.guild_id)
    if state.purge_due_at is None or state.purge_due_at > now:
        return  # reopened or re-added since: nothing to do
    await purge_guild(db, timer.guild_id, now)


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {WARN_TIMER: _warn, PURGE_TIMER: _purge}
