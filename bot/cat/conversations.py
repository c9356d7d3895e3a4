"""One-on-one conversations as CAT volunteers log them, the concerns offered, the logs read back.

A log is a count per unit (and shift) with how it went on the server's scale, how the
volunteer talked, and up to three concerns heard: never a coworker's name. Concerns come
from the server's list only (free text could name a coworker); coordinators add to it.
A volunteer logs at most `DAILY_LOGS` times in 24 hours and `BURST_LOGS` in `BURST_WINDOW`
(a flood is refused, with when to try again). These limits are this module's own rule until
the core's per-member limits (bot/core/limits.py) land.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cat import _forms, commitments, signups, structure, timing
from bot.core import audit, render, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError

CONCERN_MAX = 60
COUNT_MAX = 500
METHODS = ("in person", "phone", "text", "video")
MAX_CONCERNS = 3
DEFAULT_CONCERNS = ("wages", "AI", "health", "hours", "safety", "pension", "residuals", "other")
DAILY_LOGS = 50
BURST_LOGS = 10
BURST_WINDOW = timedelta(minutes=10)

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
LOGS_SINCE = (
    "SELECT count(*) AS n, min(logged_at) AS first FROM cat_conversation "
    "WHERE volunteer_id = ? AND logged_at >= ?"
)
MY_WEEK = (
    "SELECT coalesce(sum(count), 0) FROM cat_conversation WHERE volunteer_id = ? AND logged_at >= ?"
)
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
class Logged:
    """One logging action as recorded."""

    id: int
    unit: units.Unit
    count: int
    concern: str | None
    week_total: int
    level: int = 0
    level_label: str = commitments.NOT_ASSESSED
    method: str | None = None
    shift: str | None = None
    concerns: tuple[str, ...] = ()


async def concern_list(db: Database, guild_id: int) -> list[str]:
    """The server's concerns offered when logging (the defaults until it names its own)."""
    rows = await db.fetchall(CONCERNS, (guild_id,))
    return [r["name"] for r in rows] or list(DEFAULT_CONCERNS)


async def add_concern(
    db: Database, guild_id: int, name: str, actor_id: int, now: datetime
) -> list[str]:
    """Add a concern to the server's list (the first one copies the defaults in); audited."""
    text = _forms.clean(name, "concern", CONCERN_MAX)
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
    """The list's spelling of a concern typed in any case; UserError when it is not listed
    (the text is never kept nor repeated: it could name a coworker)."""
    if text is None or not text.strip():
        return None
    typed = " ".join(text.split()).lower()
    for known in await concern_list(db, guild_id):
        if known.lower() == typed:
            return known
    raise UserError(
        "Concerns come from this server's list only (so no log can name a coworker): pick "
        "one the menu offers, or `other`. A coordinator adds concerns with "
        "`/catteam concerns add`."
    )


async def _check_limits(db: Database, volunteer_id: int, now: datetime) -> None:
    """Refuse a flood: DAILY_LOGS a day, BURST_LOGS within BURST_WINDOW."""
    day = await db.fetchone(LOGS_SINCE, (volunteer_id, to_db(now - timedelta(days=1))))
    if day["n"] >= DAILY_LOGS:
        again = from_db(day["first"]) + timedelta(days=1)  # type: ignore[operator]
        raise UserError(
            f"You've logged {DAILY_LOGS} times in the last 24 hours, the most a day: log again "
            f"after <t:{int(again.timestamp())}:t>. Several conversations fit in one log "
            "(`conversations:`)."
        )
    burst = await db.fetchone(LOGS_SINCE, (volunteer_id, to_db(now - BURST_WINDOW)))
    if burst["n"] >= BURST_LOGS:
        again = from_db(burst["first"]) + BURST_WINDOW  # type: ignore[operator]
        raise UserError(
            f"That's {BURST_LOGS} logs in a few minutes: wait until "
            f"<t:{int(again.timestamp())}:t>, or put several conversations in one log "
            "(`conversations:`)."
        )


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
        volunteer = await signups.get_volunteer(db, guild_id, user_id)
        if volunteer is None or volunteer.status in ("left", "removed"):
            raise UserError("Only CAT volunteers log conversations: join with `/cat join` first.")
        if volunteer.status == "pending":
            raise UserError(
                "Your CAT sign-up is waiting for a coordinator's approval: you can log "
                "conversations once you're approved."
            )
        await _check_limits(db, volunteer.id, now)
        labels = await commitments.level_labels(db, guild_id)
        assessed = 0 if level is None else level
        if assessed not in labels:
            raise UserError(
                f"A level is one of {', '.join(f'{k} {v}' for k, v in sorted(labels.items()))}"
                f" ({commitments.SCALE_NOTE})"
            )
        found = await units.find(db, guild_id, unit)
        if found.member_count is not None and count > found.member_count:
            raise UserError(
                f"{found.label} has {found.member_count} members on record, fewer than "
                f"{count}: check the number, or log with the right unit."
            )
        on_shift = await structure.find_shift(db, guild_id, found, shift) if shift else None
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
        this_week = await db.fetchval(
            MY_WEEK, (volunteer.id, to_db(timing.week_start(now, timezone))), 0
        )
    return Logged(
        row_id,
        found,
        count,
        heard[0] if heard else None,
        int(this_week),
        level=assessed,
        level_label=labels[assessed],
        method=how,
        shift=on_shift.name if on_shift else None,
        concerns=tuple(heard),
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
