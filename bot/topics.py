"""The server's list of update topics (wages, AI, ...): what updates are tagged with and what
members subscribe to.

Seeded with the usual topics the first time it is read; organizers add and remove topics
(`/update topics`), and past updates keep a removed one. Updates and subscriptions both read
it, so it sits beside them rather than inside either.
"""

from __future__ import annotations

from datetime import datetime

from bot.core import audit
from bot.core.db import Database, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.render import truncate

DEFAULT_TOPICS = (
    "wages",
    "AI",
    "benefits",
    "working conditions",
    "subcontracting",
    "health and pension",
    "hours and safety",
)
TOPIC_MAX = 40

TOPICS = "SELECT name FROM update_topic WHERE guild_id = ? ORDER BY name COLLATE NOCASE"
TOPIC_COUNT = "SELECT count(*) FROM update_topic WHERE guild_id = ?"
TOPIC_INSERT = (
    "INSERT INTO update_topic (guild_id, name, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT (guild_id, name) DO NOTHING"
)
TOPIC_DELETE = "DELETE FROM update_topic WHERE guild_id = ? AND name = ?"
META_SEEDED = "SELECT value FROM meta WHERE key = ?"
META_SET = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"


async def topics(db: Database, guild_id: int, now: datetime | None = None) -> list[str]:
    """The server's topic list; the default topics are added the first time it is read."""
    key = f"update_topics_seeded:{guild_id}"
    # Seed once per server (a meta flag), so an organizer who removes a default keeps it removed.
    if await db.fetchval(META_SEEDED, (key,)) is None:
        async with db.transaction():
            if await db.fetchval(META_SEEDED, (key,)) is None:
                stamp = to_db(now) if now else "1970-01-01T00:00:00.000000+00:00"
                for name in DEFAULT_TOPICS:
                    await db.execute(TOPIC_INSERT, (guild_id, name, stamp))
                await db.execute(META_SET, (key, "1"))
    return [r[0] for r in await db.fetchall(TOPICS, (guild_id,))]


async def find_topic(db: Database, guild_id: int, text: str) -> str:
    """The server's spelling of a topic a member typed (any case), or NotFound listing them."""
    wanted = " ".join(text.split()).lower()
    known = await topics(db, guild_id)
    for name in known:
        if name.lower() == wanted:
            return name
    raise NotFound(
        f"No topic `{truncate(text, 40)}` here. Topics: {truncate(', '.join(known), 300)} "
        "(organizers edit the list with `/update topics`)."
    )


def _clean_topic(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > TOPIC_MAX:
        raise UserError(f"A topic is 1 to {TOPIC_MAX} characters, like `wages`.")
    return name


async def add_topic(
    db: Database, guild_id: int, name: str, actor_id: int | None, now: datetime
) -> str:
    """Add a topic to the server's list (audited); Conflict when it is there already."""
    name = _clean_topic(name)
    await topics(db, guild_id, now)
    async with db.transaction():
        if not await db.execute(TOPIC_INSERT, (guild_id, name, to_db(now))):
            raise Conflict(f"`{name}` is already a topic.")
        await audit.record(db, guild_id, actor_id, "update.topic_add", f"topic {name}", None, now)
    return name


async def remove_topic(
    db: Database, guild_id: int, name: str, actor_id: int | None, now: datetime
) -> str:
    """Remove a topic from the list (audited); past updates keep it."""
    async with db.transaction():
        found = await find_topic(db, guild_id, name)
        await db.execute(TOPIC_DELETE, (guild_id, found))
        await audit.record(
            db, guild_id, actor_id, "update.topic_remove", f"topic {found}", None, now
        )
    return found
