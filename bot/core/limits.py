"""Per-member limits on everything a member does that writes or posts: a cooldown between two
uses of an action, a cap per rolling day, and (for questions) a cap on open ones.

One table, `LIMITS`, says what each action allows by default; a server may change one with
`/setup limits` (table `member_limit`). A capability calls `take(...)` inside the transaction
of the action, before it writes: over a limit it raises `RateLimited`, a UserError saying when
the member can try again, and the transaction (the action) is rolled back. `check_open` is the
cap on open questions, counted by the capability that owns them.

Each use is one row of `member_action` (the member's id, the action, the time), kept a day
and deleted by `/privacy delete` (declared in bot.core.personal_data).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core import audit
from bot.core.db import Database, from_db, to_db
from bot.core.errors import UserError
from bot.core.timeparse import discord_timestamp

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    """What one member may do of one action: `cooldown` between two uses, `per_day` uses in
    any 24 hours, and at most `open_max` open at once (questions; None: no such cap)."""

    what: str  # the action in words, as in "you can {what} again ..."
    cooldown: timedelta
    per_day: int
    open_max: int | None = None


# The defaults (a server can change them with /setup limits). Generous for a member acting in
# good faith, far below a flood: 60 anonymous questions in a second become one. A cooldown of 0
# where a second use right away is normal (an upvote on each question of a list, the unit
# asked right after I voted) and nothing is posted: the daily cap still holds.
LIMITS: dict[str, Limit] = {
    "question.ask": Limit("ask the committee", timedelta(seconds=60), 10, open_max=5),
    "townhall.ask": Limit("ask a town hall question", timedelta(seconds=30), 10, open_max=5),
    "townhall.upvote": Limit("upvote", timedelta(0), 200),
    "event.rsvp": Limit("change your RSVP", timedelta(seconds=1), 60),
    "event.remind": Limit("change your reminders", timedelta(seconds=1), 60),
    # No cooldown: the unit select right after I voted is the same action.
    "event.voted": Limit("say you voted", timedelta(0), 30),
    # No cooldown: one row each, nothing posted; several topics in a row is normal use.
    "subscription.change": Limit("subscribe", timedelta(0), 50),
    "privacy.export": Limit("export your data", timedelta(minutes=1), 10),
}

PRUNE = "DELETE FROM member_action WHERE at < ?"
WINDOW = (
    "SELECT count(*) AS n, min(at) AS first_at, max(at) AS last_at FROM member_action "
    "WHERE guild_id = ? AND user_id = ? AND action = ? AND at >= ?"
)
RECORD = "INSERT INTO member_action (guild_id, user_id, action, at) VALUES (?, ?, ?, ?)"
OVERRIDE = "SELECT * FROM member_limit WHERE guild_id = ? AND action = ?"
PUT_OVERRIDE = (
    "INSERT INTO member_limit (guild_id, action, cooldown_seconds, per_day, open_max) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, action) DO UPDATE SET "
    "cooldown_seconds = excluded.cooldown_seconds, per_day = excluded.per_day, "
    "open_max = excluded.open_max"
)
DROP_OVERRIDE = "DELETE FROM member_limit WHERE guild_id = ? AND action = ?"


class RateLimited(UserError):
    """Over a limit: the message says when the member can try again."""

    def __init__(self, message: str, retry_at: datetime | None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


async def limit_for(db: Database, guild_id: int, action: str) -> Limit:
    """The limit in force for an action in this server (its /setup limits, else the default)."""
    base = LIMITS[action]
    row = await db.fetchone(OVERRIDE, (guild_id, action))
    if row is None:
        return base
    return replace(
        base,
        cooldown=timedelta(seconds=row["cooldown_seconds"]),
        per_day=row["per_day"],
        open_max=row["open_max"] if base.open_max is not None else None,
    )


def _again(limit: Limit, at: datetime) -> str:
    return (
        f"You can {limit.what} again {discord_timestamp(at, 'R')} ({discord_timestamp(at, 'T')})."
    )


async def take(db: Database, guild_id: int, user_id: int, action: str, now: datetime) -> None:
    """Count one use of `action` by the member, or raise RateLimited when the cooldown since
    their last use has not passed or they reached the day's cap. Call inside the action's
    transaction, before it writes."""
    limit = await limit_for(db, guild_id, action)
    async with db.transaction():
        await db.execute(PRUNE, (to_db(now - DAY),))
        row = await db.fetchone(WINDOW, (guild_id, user_id, action, to_db(now - DAY)))
        used = int(row["n"]) if row else 0
        last = from_db(row["last_at"]) if row else None
        if last is not None and now - last < limit.cooldown:
            at = last + limit.cooldown
            raise RateLimited(f"One moment: that was quick. {_again(limit, at)}", at)
        if used >= limit.per_day:
            at = from_db(row["first_at"]) + DAY  # type: ignore[index,operator]
            raise RateLimited(
                f"That is the most for one day ({limit.per_day}). {_again(limit, at)}", at
            )
        await db.execute(RECORD, (guild_id, user_id, action, to_db(now)))


def check_open(limit: Limit, open_now: int, noun: str) -> None:
    """Refuse one more open `noun` when the member already has `limit.open_max` waiting."""
    if limit.open_max is not None and open_now >= limit.open_max:
        raise RateLimited(
            f"You already have {open_now} {noun} waiting for an answer (the most is "
            f"{limit.open_max}). You can ask again when one is answered or closed.",
            None,
        )


async def set_limit(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    action: str,
    now: datetime,
    *,
    cooldown_seconds: int | None = None,
    per_day: int | None = None,
    open_max: int | None = None,
    reset: bool = False,
) -> Limit:
    """Change this server's limit for one action (`reset`: back to the default); audited."""
    if action not in LIMITS:
        raise UserError(f"Choose one of: {', '.join(sorted(LIMITS))}.")
    async with db.transaction():
        if reset:
            await db.execute(DROP_OVERRIDE, (guild_id, action))
        else:
            current = await limit_for(db, guild_id, action)
            cooldown = int(current.cooldown.total_seconds())
            cooldown = cooldown if cooldown_seconds is None else cooldown_seconds
            day = current.per_day if per_day is None else per_day
            most_open = current.open_max if open_max is None else open_max
            if not 0 <= cooldown <= 86400:
                raise UserError("The cooldown is between 0 and 86400 seconds (a day).")
            if not 1 <= day <= 10000:
                raise UserError("The daily cap is between 1 and 10000.")
            if most_open is not None and not 1 <= most_open <= 100:
                raise UserError("The cap on open questions is between 1 and 100.")
            await db.execute(PUT_OVERRIDE, (guild_id, action, cooldown, day, most_open))
        chosen = await limit_for(db, guild_id, action)
        detail = (
            f"{action}: cooldown {int(chosen.cooldown.total_seconds())}s, {chosen.per_day}/day"
            + (f", {chosen.open_max} open" if chosen.open_max is not None else "")
        )
        await audit.record(db, guild_id, actor_id, "setup.limits", action, detail, now)
    return chosen


def describe(limit: Limit) -> str:
    """A limit in words, for /setup."""
    seconds = int(limit.cooldown.total_seconds())
    text = f"{limit.per_day} a day" + (f", {seconds} s apart" if seconds else "")
    if limit.open_max is not None:
        text += f", at most {limit.open_max} open"
    return text
