"""`/privacy delete`: forget one member in one server, as the declaration says.

In one transaction: the capabilities' hooks redact what the bot posted naming the member (the
committee post's "Asked by", registered in bot.wiring with `on_delete`), the pending timers of
the member's rows are cancelled (the declaration's `timers`), every declared use is deleted or
anonymised, the stored copies of messages that mention the member are redacted, and the
member is listed (as a digest) among the deleted, so a restored backup forgets them again.
Then the write-ahead log is folded into the database and truncated, and with SQLite's
`secure_delete` on (bot.core.db) the deleted values are overwritten, not left in the files.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core import audit, delivery, forgotten
from bot.core.db import Database
from bot.privacy import declaration

log = logging.getLogger("rankfile.privacy")

# A capability's part of a deletion that the declaration cannot say: redact a posted message.
# Called inside the deletion's transaction, before the rows change: (db, guild, user, now).
Hook = Callable[[Database, int, int, datetime], Awaitable[None]]
_HOOKS: list[Hook] = []


def on_delete(hook: Hook) -> None:
    """Register a capability's hook, run first by every deletion (at start-up; idempotent)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


async def _forget(
    db: Database, guild_id: int, user_id: int, now: datetime, *, again: bool = False
) -> dict[str, int]:
    params = {"user": user_id, "guild": guild_id}
    changed: dict[str, int] = {}
    async with db.transaction():
        for hook in _HOOKS:
            await hook(db, guild_id, user_id, now)
        for use in declaration.declared():
            for sql in declaration.cancel_timers_sql(use, member=True):
                await db.execute(sql, params)
        for use in declaration.declared():
            sql = declaration.change_sql(use, member=True)
            if sql is not None:
                n = await db.execute(sql, params)
                if n:
                    changed[use.name] = n
        redacted = await delivery.redact_mentions(db, guild_id, user_id)
        if redacted:
            changed["messages_mentioning"] = redacted
        if not again:
            await forgotten.record(db, guild_id, user_id, now)
            await audit.record(db, guild_id, None, "privacy.delete", None, None, now)
        db.notify("deliveries")
        db.notify("timers")
    return changed


async def delete_member(db: Database, guild_id: int, user_id: int, now: datetime) -> dict[str, int]:
    """Erase one member's data in this server as the declaration says (deleted or
    anonymised, counts kept), in one transaction; return rows changed per use. The deleted
    values do not stay readable in the database's files (-wal included)."""
    changed = await _forget(db, guild_id, user_id, now)
    await db.checkpoint()
    log.info("privacy delete in guild %s: %s rows", guild_id, sum(changed.values()))
    return changed


async def reapply_deletions(db: Database, now: datetime) -> int:
    """Forget again every listed member that the database still holds data about (after a
    backup was restored); return how many members were forgotten again."""
    listed = await forgotten.listed(db)
    if not listed:
        return 0
    guilds = {g for g, _ in listed}
    found: set[tuple[int, int]] = set()
    for use in declaration.declared():
        for row in await db.fetchall(declaration.members_sql(use)):
            user_id = row[0]
            if not isinstance(user_id, int) or user_id <= 0:
                continue  # anonymised already
            for guild_id in [row[1]] if use.guild else guilds:
                if guild_id is not None and forgotten.is_listed(listed, guild_id, user_id):
                    found.add((guild_id, user_id))
    for guild_id, user_id in sorted(found):
        await _forget(db, guild_id, user_id, now, again=True)
    if found:
        await db.checkpoint()
        log.warning("re-applied %d deletions the restored database still held", len(found))
    return len(found)
