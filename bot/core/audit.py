"""The audit log: who did what, when, for every organizer action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.db import Database, from_db, to_db

INSERT = (
    "INSERT INTO audit_log (guild_id, actor_id, action, subject, detail, at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
RECENT = (
    "SELECT id, actor_id, action, subject, detail, at FROM audit_log "
    "WHERE guild_id = ? ORDER BY id DESC LIMIT ? OFFSET ?"
)
COUNT = "SELECT count(*) FROM audit_log WHERE guild_id = ?"
# Who did it when no member is recorded: a member's own privacy request is never named; the
# bot acts by itself on timers; everything else without a member came from the command line
# (`rankfile demo load`, `rankfile faq import`, ...).
NO_MEMBER = {
    "privacy.export": "a member (not named)",
    "privacy.delete": "a member (not named)",
    "privacy.retention": "rankfile (retention, by itself)",
    "cat.role_failed": "rankfile (by itself)",
}
COMMAND_LINE = "rankfile (command line)"

# Called inside the change's transaction with (db, guild_id, action, now) after each audit row;
# added at start-up by bot.wiring (the public site schedules its rebuild there).
RecordHook = Callable[[Database, int, str, datetime], Awaitable[None]]
_RECORD_HOOKS: list[RecordHook] = []


@dataclass(frozen=True)
class AuditEntry:
    """One organizer action."""

    id: int
    actor_id: int | None
    action: str
    subject: str | None
    detail: str | None
    at: datetime

    @property
    def actor(self) -> str:
        """Who did it, as the log shows it: the member's mention, or what acted without one."""
        if self.actor_id is not None:
            return f"<@{self.actor_id}>"
        return NO_MEMBER.get(self.action, COMMAND_LINE)


async def record(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    action: str,
    subject: str | None,
    detail: str | None,
    now: datetime,
) -> int:
    """Write one audit row (call inside the transaction that makes the change)."""
    row_id = await db.execute(INSERT, (guild_id, actor_id, action, subject, detail, to_db(now)))
    for hook in _RECORD_HOOKS:
        await hook(db, guild_id, action, now)
    return row_id


def on_record(hook: RecordHook) -> None:
    """Call `hook` after every audit row, inside the change's transaction (once per hook)."""
    if hook not in _RECORD_HOOKS:
        _RECORD_HOOKS.append(hook)


async def recent(db: Database, guild_id: int, limit: int = 20, offset: int = 0) -> list[AuditEntry]:
    """The server's newest audit entries first."""
    rows = await db.fetchall(RECENT, (guild_id, limit, offset))
    return [
        AuditEntry(r["id"], r["actor_id"], r["action"], r["subject"], r["detail"], from_db(r["at"]))
        for r in rows
    ]


async def count(db: Database, guild_id: int) -> int:
    """How many audit entries the server has."""
    return int(await db.fetchval(COUNT, (guild_id,), 0))
