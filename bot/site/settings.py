"""A server's public site: its title and address, which sections are public, and the folder
the bot rebuilds it into. Nothing is public until an admin says so with `/setup site`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core import audit
from bot.core.db import Database, to_db
from bot.core.errors import UserError

TITLE_MAX = 120
URL_MAX = 300
SECTIONS = ("updates", "tracker", "proposals", "events")
_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)

GET = "SELECT * FROM site_settings WHERE guild_id = ?"
ENSURE = (
    "INSERT INTO site_settings (guild_id, updated_at) VALUES (?, ?) "
    "ON CONFLICT (guild_id) DO NOTHING"
)
# Column names come from SECTIONS and the fixed list below, never from what was typed.
SET = "UPDATE site_settings SET {assignments}, updated_at = ? WHERE guild_id = ?"
SET_FOLDER = "UPDATE site_settings SET out_dir = ?, updated_at = ? WHERE guild_id = ?"
SET_UPDATE_PUBLIC = "UPDATE bargaining_update SET public = ? WHERE guild_id = ? AND id = ?"
SET_EVENT_PUBLIC = "UPDATE event SET public = ? WHERE guild_id = ? AND id = ?"


@dataclass(frozen=True)
class SiteSettings:
    """What a server publishes outside Discord (all off by default)."""

    guild_id: int
    title: str = ""
    url: str | None = None
    public_updates: bool = False
    public_tracker: bool = False
    public_proposals: bool = False
    public_events: bool = False
    out_dir: str | None = None

    @property
    def anything_public(self) -> bool:
        """Whether any section is published."""
        return any(self.public(s) for s in SECTIONS)

    def public(self, section: str) -> bool:
        """Whether one section (updates, tracker, proposals, events) is published."""
        return bool(getattr(self, f"public_{section}"))

    def heading(self, fallback: str = "Bargaining") -> str:
        """The site's title (a plain default before an admin names it)."""
        return self.title or fallback


def _from_row(row: Any) -> SiteSettings:
    return SiteSettings(
        guild_id=row["guild_id"],
        title=row["title"],
        url=row["url"],
        public_updates=bool(row["public_updates"]),
        public_tracker=bool(row["public_tracker"]),
        public_proposals=bool(row["public_proposals"]),
        public_events=bool(row["public_events"]),
        out_dir=row["out_dir"],
    )


async def get(db: Database, guild_id: int) -> SiteSettings:
    """The server's site settings (defaults, nothing public, when it has none)."""
    row = await db.fetchone(GET, (guild_id,))
    return SiteSettings(guild_id) if row is None else _from_row(row)


def clean_url(url: str) -> str:
    """The site's public address, checked: https://..., no trailing slash."""
    url = url.strip().rstrip("/")
    if len(url) > URL_MAX or not _URL.match(url):
        raise UserError(
            "The site's address must start with https://, like https://local99.org/bargaining."
        )
    return url


async def configure(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    title: str | None = None,
    url: str | None = None,
    sections: dict[str, bool] | None = None,
) -> SiteSettings:
    """Change the site's title, address and public sections (audited); None leaves a value."""
    changes: dict[str, Any] = {}
    if title is not None:
        title = " ".join(title.split())
        if not title or len(title) > TITLE_MAX:
            raise UserError(f"Give the site a title of 1 to {TITLE_MAX} characters.")
        changes["title"] = title
    if url is not None:
        changes["url"] = clean_url(url) if url.strip() else None
    for section, on in (sections or {}).items():
        if section not in SECTIONS:
            raise UserError(f"No section `{section}`: {', '.join(SECTIONS)}.")
        changes[f"public_{section}"] = int(bool(on))
    if not changes:
        raise UserError("Give at least one of title, url, or a section to publish or hide.")
    assignments = ", ".join(f"{column} = ?" for column in changes)
    async with db.transaction():
        await db.execute(ENSURE, (guild_id, to_db(now)))
        await db.execute(
            SET.format(assignments=assignments), (*changes.values(), to_db(now), guild_id)
        )
        shown = sorted(k for k in changes if k.startswith("public_") and changes[k])
        await audit.record(
            db, guild_id, actor_id, "site.settings", "site", ",".join(shown) or None, now
        )
        return await get(db, guild_id)


async def set_folder(
    db: Database, guild_id: int, folder: Path | None, now: datetime
) -> SiteSettings:
    """The folder the bot rebuilds the site into after each public change (None: stop).

    Set on the host (`rankfile site folder`), never from Discord: a folder is the host's.
    The path is absolute (the bot's working folder may differ from the command's)."""
    if folder is not None and not folder.is_absolute():
        raise UserError(f"Give the site's folder as an absolute path, not {folder}.")
    value = str(folder) if folder is not None else None
    async with db.transaction():
        await db.execute(ENSURE, (guild_id, to_db(now)))
        await db.execute(SET_FOLDER, (value, to_db(now), guild_id))
        await audit.record(db, guild_id, None, "site.folder", "site", None, now)
        return await get(db, guild_id)


async def set_public(
    db: Database,
    guild_id: int,
    kind: str,
    item_id: int,
    public: bool,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Put one update or event on the public site, or take it off (audited)."""
    sql = {"update": SET_UPDATE_PUBLIC, "event": SET_EVENT_PUBLIC}[kind]
    async with db.transaction():
        if await db.execute(sql, (int(public), guild_id, item_id)) != 1:
            raise UserError(f"There is no {kind} #{item_id} here.")
        verb = "site.publish" if public else "site.unpublish"
        await audit.record(db, guild_id, actor_id, verb, f"{kind} {item_id}", None, now)
