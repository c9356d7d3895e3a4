"""Per-server settings chosen with /setup: channels, roles and the time zone."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from bot.core import audit
from bot.core.db import Database, to_db
from bot.core.errors import UserError
from bot.core.timeparse import parse_zone

DEFAULT_TIMEZONE = "America/Los_Angeles"

GET = "SELECT * FROM guild_settings WHERE guild_id = ?"
ENSURE = "INSERT INTO guild_settings (guild_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING"

# What each setting is called in /setup, so a command that needs one can say which to run.
SETUP_OPTION = {
    "announcements_channel_id": "/setup channels announcements:",
    "updates_channel_id": "/setup channels updates:",
    "committee_channel_id": "/setup channels committee:",
    "organizer_role_id": "/setup roles organizer:",
    "cat_role_id": "/setup roles cat:",
    "coordinator_role_id": "/setup roles coordinator:",
    "timezone": "/setup timezone zone:",
}
LABEL = {
    "announcements_channel_id": "announcements channel",
    "updates_channel_id": "updates channel",
    "committee_channel_id": "committee channel",
    "organizer_role_id": "organizer role",
    "cat_role_id": "CAT role",
    "coordinator_role_id": "CAT coordinator role",
    "timezone": "time zone",
}


@dataclass(frozen=True)
class GuildSettings:
    """One server's settings; ids are None until /setup names them."""

    guild_id: int
    announcements_channel_id: int | None = None
    updates_channel_id: int | None = None
    committee_channel_id: int | None = None
    organizer_role_id: int | None = None
    cat_role_id: int | None = None
    coordinator_role_id: int | None = None
    timezone: str = DEFAULT_TIMEZONE
    # The CAT (migration 0006): sign-ups wait for a coordinator when set; coverage target
    # as members per volunteer; the coordinators' private channel.
    cat_requires_approval: int = 0
    cat_target_ratio: int = 10
    cat_channel_id: int | None = None
    # Transparency (migration 0011): days without an update before organizers are nudged.
    silence_days: int = 7
    # Readable by everyone (migration 0018): channel posts carry their plain text beside the
    # embed, for members who turned embeds off.
    plain_text_posts: int = 0

    def missing(self, *names: str) -> list[str]:
        """The named settings (all of SETUP_OPTION by default) that are not set yet."""
        return [n for n in (names or tuple(SETUP_OPTION)) if getattr(self, n) in (None, "")]

    def require(self, name: str) -> Any:
        """The setting's value, or a UserError naming the /setup option that sets it."""
        value = getattr(self, name)
        if value in (None, ""):
            raise UserError(
                f"This server has no {LABEL.get(name, name)} yet: an admin can set it with "
                f"`{SETUP_OPTION.get(name, '/setup')}`."
            )
        return value


_FIELDS = {f.name for f in fields(GuildSettings)}


def _from_row(row: Any) -> GuildSettings:
    # Later migrations add columns; take those the dataclass knows.
    return GuildSettings(**{k: row[k] for k in row.keys() if k in _FIELDS})


async def get(db: Database, guild_id: int) -> GuildSettings:
    """The server's settings (defaults when /setup has never run)."""
    row = await db.fetchone(GET, (guild_id,))
    return _from_row(row) if row else GuildSettings(guild_id=guild_id)


async def update(
    db: Database, guild_id: int, actor_id: int | None, now: datetime, **changes: Any
) -> GuildSettings:
    """Change some settings (validated), audited, and return the new settings."""
    unknown = set(changes) - (_FIELDS - {"guild_id"})
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    if "timezone" in changes:
        changes["timezone"] = parse_zone(changes["timezone"]).key
    async with db.transaction():
        await db.execute(ENSURE, (guild_id, to_db(now)))
        for name, value in changes.items():
            # Column names come from the dataclass, never from member input.
            await db.execute(
                f"UPDATE guild_settings SET {name} = ?, updated_at = ? WHERE guild_id = ?",
                (value, to_db(now), guild_id),
            )
        if changes:
            detail = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
            await audit.record(db, guild_id, actor_id, "setup.update", None, detail, now)
    return await get(db, guild_id)
