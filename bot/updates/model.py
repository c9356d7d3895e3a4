"""Negotiation updates as stored: the dataclasses, the reading queries, and how an update
looks to members (plain dicts: bot.core.render).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import render, units
from bot.core.db import Database, from_db
from bot.core.errors import NotFound
from bot.core.render import Colour, embed, truncate
from bot.core.timeparse import discord_timestamp

TITLE_MAX = 200
BODY_MAX = 3500
URL_MAX = 500
NOTE_MAX = 500
PAGE_SIZE = 5

# Topics and unit codes of an update, gathered in the same query as the update itself.
_SELECT = """
SELECT u.*,
    (SELECT group_concat(topic, '|') FROM bargaining_update_topic t WHERE t.update_id = u.id)
        AS topic_list,
    (SELECT group_concat(b.id || ':' || b.code, '|') FROM bargaining_update_unit x
        JOIN bargaining_unit b ON b.id = x.unit_id WHERE x.update_id = u.id) AS unit_list
FROM bargaining_update u
"""
BY_ID = _SELECT + "WHERE u.guild_id = ? AND u.id = ?"
LATEST = (
    _SELECT + "WHERE u.guild_id = ? AND u.retracted_at IS NULL "
    "ORDER BY u.published_at DESC, u.id DESC LIMIT 1"
)
# Filters are optional: a NULL topic or unit matches every update.
_FILTER = """
WHERE u.guild_id = :guild
  AND (:topic IS NULL OR EXISTS (SELECT 1 FROM bargaining_update_topic t
       WHERE t.update_id = u.id AND t.topic = :topic))
  AND (:unit IS NULL OR EXISTS (SELECT 1 FROM bargaining_update_unit x
       WHERE x.update_id = u.id AND x.unit_id = :unit))
"""
PAGE = _SELECT + _FILTER + "ORDER BY u.published_at DESC, u.id DESC LIMIT :limit OFFSET :offset"
PAGE_COUNT = "SELECT count(*) FROM bargaining_update u " + _FILTER
LAST_FOR_UNIT = "SELECT heard_at FROM unit_last_heard WHERE guild_id = ? AND unit_id = ?"


@dataclass(frozen=True)
class Update:
    """One negotiation update as stored (a retracted one keeps its row)."""

    id: int
    guild_id: int
    kind: str
    title: str
    body: str
    source_url: str | None
    author_id: int | None
    published_at: datetime
    broadcast_id: int | None
    edited_at: datetime | None
    edited_by: int | None
    retracted_at: datetime | None
    retracted_by: int | None
    retraction_note: str | None
    topics: tuple[str, ...]
    unit_ids: tuple[int, ...]
    unit_codes: tuple[str, ...]

    @property
    def retracted(self) -> bool:
        """Whether organizers retracted it."""
        return self.retracted_at is not None


@dataclass(frozen=True)
class Draft:
    """What an organizer typed, checked and resolved, before publishing."""

    title: str
    body: str
    source_url: str | None
    topics: tuple[str, ...]
    units: tuple[units.Unit, ...]
    kind: str = "update"  # "no_news" for a no-news update (it counts as an update)
    public: bool = False  # also on the public site (bot.site), when the server publishes one


@dataclass(frozen=True)
class Page:
    """One page of `/updates list`."""

    items: list[Update]
    page: int
    pages: int
    total: int


def day_text(when: datetime | None) -> str:
    """A date as members read it: "June 28, 2024" (UTC date; for messages, not arithmetic)."""
    return "" if when is None else f"{when:%B} {when.day}, {when.year}"


def _from_row(row: Any) -> Update:
    topic_list = tuple(t for t in (row["topic_list"] or "").split("|") if t)
    pairs = [p.split(":", 1) for p in (row["unit_list"] or "").split("|") if p]
    pairs.sort(key=lambda p: p[1])
    return Update(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        source_url=row["source_url"],
        author_id=row["author_id"],
        published_at=from_db(row["published_at"]),
        broadcast_id=row["broadcast_id"],
        edited_at=from_db(row["edited_at"]),
        edited_by=row["edited_by"],
        retracted_at=from_db(row["retracted_at"]),
        retracted_by=row["retracted_by"],
        retraction_note=row["retraction_note"],
        topics=tuple(sorted(topic_list, key=str.lower)),
        unit_ids=tuple(int(p[0]) for p in pairs),
        unit_codes=tuple(p[1] for p in pairs),
    )


# -- reading -----------------------------------------------------------------------------


async def get(db: Database, guild_id: int, update_id: int) -> Update:
    """One update of the server by number, or NotFound."""
    row = await db.fetchone(BY_ID, (guild_id, update_id))
    if row is None:
        raise NotFound(
            f"There is no update #{update_id} here: `/updates list` shows their numbers."
        )
    return _from_row(row)


async def latest(db: Database, guild_id: int) -> Update | None:
    """The newest update that was not retracted."""
    row = await db.fetchone(LATEST, (guild_id,))
    return None if row is None else _from_row(row)


async def page(
    db: Database,
    guild_id: int,
    *,
    topic: str | None = None,
    unit_id: int | None = None,
    number: int = 0,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of updates, newest first, optionally of one topic and/or unit."""
    params: dict[str, Any] = {"guild": guild_id, "topic": topic, "unit": unit_id}
    total = int(await db.fetchval(PAGE_COUNT, params, 0))
    pages = max(1, -(-total // size))
    number = min(max(0, number), pages - 1)
    rows = await db.fetchall(PAGE, {**params, "limit": size, "offset": number * size})
    return Page([_from_row(r) for r in rows], number, pages, total)


async def last_heard(db: Database, guild_id: int, unit_id: int) -> datetime | None:
    """When the newest update concerning a unit was published, retracted ones included (members
    heard those too); None: never."""
    return from_db(await db.fetchval(LAST_FOR_UNIT, (guild_id, unit_id)))


# -- rendering (plain dicts: bot.core.render) ----------------------------------------------


def update_embed(update: Update) -> dict[str, Any]:
    """The full update as members see it, in the channel, by DM and with `/updates show`."""
    if update.retracted:
        return retraction_embed(update)
    description = update.body
    if update.edited_at is not None:
        description += f"\n\n*Edited {discord_timestamp(update.edited_at, 'f')}*"
    fields = []
    if update.topics:
        fields.append(("Topics", ", ".join(update.topics), True))
    if update.unit_codes:
        fields.append(("Units", ", ".join(update.unit_codes), True))
    if update.source_url:
        fields.append(("Source", update.source_url, False))
    no_news = update.kind == "no_news"
    return embed(
        f"#{update.id} · " + ("No-news update · " if no_news else "") + update.title,
        description,
        fields=fields,
        url=update.source_url,
        footer=("No-news update" if no_news else "Negotiation update")
        + " · /subscribe to get these by DM",
        colour=Colour.INFO,
        timestamp=update.published_at,
    )


def retraction_embed(update: Update) -> dict[str, Any]:
    """What replaces a retracted update wherever it was posted: visible, dated, explained."""
    when = discord_timestamp(update.retracted_at, "f") if update.retracted_at else ""
    text = f"Organizers retracted this update on {when}."
    if update.retraction_note:
        text += f"\n\n**Why:** {update.retraction_note}"
    text += "\n\n`/updates latest` shows the newest update."
    return embed(
        f"Retracted: #{update.id} · {update.title}",
        text,
        colour=Colour.DANGER,
        timestamp=update.published_at,
        footer="Negotiation update (retracted)",
    )


def _line(update: Update) -> str:
    stamp = discord_timestamp(update.published_at, "d")
    tags = ", ".join((*update.topics, *update.unit_codes))
    if update.retracted:
        return f"`#{update.id}` ~~{truncate(update.title, 80)}~~ (retracted) · {stamp}"
    return f"`#{update.id}` **{truncate(update.title, 80)}** · {stamp}" + (
        f" · {truncate(tags, 80)}" if tags else ""
    )


def page_embed(result: Page, label: str | None = None) -> dict[str, Any]:
    """A page of `/updates list`."""
    title = "Negotiation updates" + (f": {label}" if label else "")
    if not result.items:
        return embed(title, "No updates yet." if not label else "No updates match.")
    lines = [_line(u) for u in result.items]
    lines.append("\n`/updates show id:` opens one.")
    return embed(
        title,
        "\n".join(lines),
        footer=f"Page {result.page + 1} of {result.pages} · "
        + render.count(result.total, "update", "updates"),
        colour=Colour.INFO,
    )
