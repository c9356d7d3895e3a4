"""The safety checklist an admin acknowledges before the CAT accepts sign-ups."""

from __future__ import annotations

from datetime import datetime

from bot.core import audit
from bot.core.db import Database, to_db
from bot.core.errors import UserError
from bot.privacy import retention

CHECKLIST: tuple[str, ...] = (
    "Use personal devices and accounts for union work, never the employer's.",
    "Supervisors and managers are not admitted to the CAT or committee channels.",
    "The committee channel is private to the committee (rankfile checks it below).",
)

ACKNOWLEDGE = (
    "UPDATE privacy_guild SET checklist_acknowledged_at = ?, checklist_acknowledged_by = ?,"
    " updated_at = ? WHERE guild_id = ?"
)
ACKNOWLEDGED = "SELECT checklist_acknowledged_at FROM privacy_guild WHERE guild_id = ?"


async def checklist_acknowledged(db: Database, guild_id: int) -> bool:
    """Whether an admin acknowledged the safety checklist (the CAT takes sign-ups only then)."""
    return await db.fetchval(ACKNOWLEDGED, (guild_id,)) is not None


async def require_checklist(db: Database, guild_id: int) -> None:
    """Refuse (UserError) until the safety checklist is acknowledged."""
    if not await checklist_acknowledged(db, guild_id):
        raise UserError(
            "The CAT is not taking sign-ups yet: an admin must first read and acknowledge "
            "the safety checklist with `/setup checklist`."
        )


async def acknowledge_checklist(
    db: Database, guild_id: int, actor_id: int | None, now: datetime
) -> retention.Campaign:
    """Record the admin's acknowledgement of the safety checklist, with its date (audited)."""
    async with db.transaction():
        await db.execute(retention.ENSURE_GUILD, (guild_id, to_db(now)))
        await db.execute(ACKNOWLEDGE, (to_db(now), actor_id, to_db(now), guild_id))
        await audit.record(db, guild_id, actor_id, "privacy.checklist", None, None, now)
    return await retention.campaign(db, guild_id)
