"""Negotiation updates: organizers publish, members read, list and search them.

An update is published in one transaction: its row, its topics and units, a broadcast to the
updates channel and one DM per subscriber (bot.subscriptions), and an audit entry. Edits and
retractions edit every message the publication posted (channel and DMs) through the delivery
engine; a retraction keeps the row and replaces the text with a visible note, never a delete.
Topics come from a per-server list (seeded with the usual ones on first use).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from bot import subscriptions
from bot.core import audit, delivery, guild_settings, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.paths import DEMO_DIR
from bot.core.render import Colour, embed, message, truncate
from bot.core.timeparse import discord_timestamp

TITLE_MAX = 200
BODY_MAX = 3500
URL_MAX = 500
NOTE_MAX = 500
QUERY_MAX = 200
PAGE_SIZE = 5
TOPICS_PER_UPDATE = 10
UNITS_PER_UPDATE = 25

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
INSERT = (
    "INSERT INTO bargaining_update (guild_id, kind, title, body, source_url, author_id, "
    "published_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_TOPIC = "INSERT INTO bargaining_update_topic (update_id, topic) VALUES (?, ?)"
INSERT_UNIT = "INSERT INTO bargaining_update_unit (update_id, unit_id) VALUES (?, ?)"
SET_BROADCAST = "UPDATE bargaining_update SET broadcast_id = ? WHERE id = ?"
EDIT = (
    "UPDATE bargaining_update SET title = ?, body = ?, source_url = ?, edited_at = ?, "
    "edited_by = ? WHERE guild_id = ? AND id = ? AND retracted_at IS NULL"
)
RETRACT = (
    "UPDATE bargaining_update SET retracted_at = ?, retracted_by = ?, retraction_note = ? "
    "WHERE guild_id = ? AND id = ? AND retracted_at IS NULL"
)
# bm25 weights: a word in the title counts five times one in the body. Ranking costs a bm25
# per match, so only the newest RANK_CAP matches are ranked (FTS5 walks rowids in order
# cheaply): SEARCH_FLOOR finds the lowest rowid among them. Snippets are cut in Python from
# the ten bodies returned (FTS5's snippet() re-reads the words' whole doclists per row, which
# cost more than the search itself).
RANK_CAP = 200
SNIPPET_WORDS = 24
SEARCH_FLOOR = """
SELECT rowid FROM bargaining_update_fts WHERE bargaining_update_fts MATCH :query
ORDER BY rowid DESC LIMIT 1 OFFSET :offset
"""
SEARCH = """
SELECT u.id, u.title, u.body, u.published_at
FROM bargaining_update_fts f JOIN bargaining_update u ON u.id = f.rowid
WHERE bargaining_update_fts MATCH :query AND f.rowid >= :floor
  AND u.guild_id = :guild AND u.retracted_at IS NULL
ORDER BY bm25(bargaining_update_fts, 5.0, 1.0), u.published_at DESC
LIMIT :limit
"""
LAST_FOR_UNIT = "SELECT heard_at FROM unit_last_heard WHERE guild_id = ? AND unit_id = ?"
# One row per unit, moved forward by each publication (a backdated demo update never moves it
# back); /tracker reads these instead of aggregating every update.
HEARD_UPSERT = """
INSERT INTO unit_last_heard (unit_id, guild_id, update_id, kind, heard_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (unit_id) DO UPDATE SET update_id = excluded.update_id, kind = excluded.kind,
    heard_at = excluded.heard_at
WHERE excluded.heard_at >= unit_last_heard.heard_at
"""
# Copies of a publication not sent yet go out with the edited text (bot.delivery has no call for
# this; it touches only the payload of a broadcast that still has pending copies).
DEMO_KEY = "SELECT value FROM meta WHERE key = ?"
DEMO_KEY_SET = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
# Called inside publish's transaction with (db, guild_id, update_id, unit_ids, now); added at
# start-up by bot.wiring (the tracker re-arms its silence nudges there).
PublishHook = Callable[[Database, int, int, list[int], datetime], Awaitable[None]]
_PUBLISH_HOOKS: list[PublishHook] = []
# Highlight markers for search snippets (Discord bold).
HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE = "**", "**"
_URL = re.compile(r"^https?://[^\s<>]+$", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


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


@dataclass(frozen=True)
class Page:
    """One page of `/updates list`."""

    items: list[Update]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class SearchHit:
    """One search result: the update and the matching words highlighted in a snippet."""

    id: int
    title: str
    published_at: datetime
    snippet: str


def _day(when: datetime | None) -> str:
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


# -- checking what organizers typed ------------------------------------------------------


def clean_text(title: str, body: str, source_url: str | None) -> tuple[str, str, str | None]:
    """Title, body and link checked against the limits; UserError says which is wrong."""
    title = " ".join((title or "").split())
    body = (body or "").strip()
    url = (source_url or "").strip() or None
    if not title:
        raise UserError("An update needs a title.")
    if len(title) > TITLE_MAX:
        raise UserError(f"The title is {len(title)} characters; keep it to {TITLE_MAX}.")
    if not body:
        raise UserError("An update needs a text: what happened, in plain words.")
    if len(body) > BODY_MAX:
        raise UserError(
            f"The text is {len(body)} characters; keep it to {BODY_MAX} "
            "(link the full document as the source)."
        )
    if url is not None and (len(url) > URL_MAX or not _URL.match(url)):
        raise UserError("The source link must be a web address starting with https://.")
    return title, body, url


def split_list(text: str | None) -> list[str]:
    """A comma-separated option as its items (blank ones dropped)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


async def resolve_topics(db: Database, guild_id: int, text: str | None) -> tuple[str, ...]:
    """The server's topics named in a comma-separated list; NotFound names the unknown one."""
    found: list[str] = []
    for part in split_list(text):
        name = await find_topic(db, guild_id, part)
        if name not in found:
            found.append(name)
    if len(found) > TOPICS_PER_UPDATE:
        raise UserError(f"An update can have at most {TOPICS_PER_UPDATE} topics.")
    return tuple(found)


async def resolve_units(db: Database, guild_id: int, text: str | None) -> tuple[units.Unit, ...]:
    """The units named in a comma-separated list of codes; NotFound names the unknown one."""
    found: list[units.Unit] = []
    for part in split_list(text):
        unit = await units.find(db, guild_id, part)
        if unit.id not in {u.id for u in found}:
            found.append(unit)
    if len(found) > UNITS_PER_UPDATE:
        raise UserError(f"An update can concern at most {UNITS_PER_UPDATE} units.")
    return tuple(found)


async def make_draft(
    db: Database,
    guild_id: int,
    title: str,
    body: str,
    source_url: str | None,
    topic_text: str | None,
    unit_text: str | None,
) -> Draft:
    """Check everything an organizer typed for `/update post`; UserError on the first problem."""
    title, body, url = clean_text(title, body, source_url)
    return Draft(
        title,
        body,
        url,
        await resolve_topics(db, guild_id, topic_text),
        await resolve_units(db, guild_id, unit_text),
    )


async def _with_ancestors(db: Database, guild_id: int, unit_ids: Iterable[int]) -> list[int]:
    """The units and every unit above them: a local's subscribers hear about its departments."""
    parents = {u.id: u.parent_id for u in await units.list_units(db, guild_id)}
    out: list[int] = []
    for unit_id in unit_ids:
        current: int | None = unit_id
        while current is not None and current not in out:
            out.append(current)
            current = parents.get(current)
    return out


async def audience(
    db: Database, guild_id: int, topics: Sequence[str], unit_ids: Sequence[int]
) -> list[int]:
    """The members an update with these topics and units will DM (each once)."""
    return await subscriptions.subscribers(
        db, guild_id, topics=topics, units=await _with_ancestors(db, guild_id, unit_ids)
    )


# -- publishing, editing, retracting -----------------------------------------------------


async def publish(
    db: Database,
    guild_id: int,
    author_id: int | None,
    draft: Draft,
    now: datetime,
    *,
    kind: str | None = None,
    deliver: bool = True,
    published_at: datetime | None = None,
) -> Update:
    """Save the update and queue its post and its DMs, in one transaction (audited).

    `deliver=False` saves without sending (demo content); `published_at` backdates it.
    `kind` overrides the draft's ("status" from /tracker set).
    """
    kind = kind or draft.kind
    async with db.transaction():
        update_id = await db.execute(
            INSERT,
            (
                guild_id,
                kind,
                draft.title,
                draft.body,
                draft.source_url,
                author_id,
                to_db(published_at or now),
            ),
        )
        await db.executemany(INSERT_TOPIC, [(update_id, t) for t in draft.topics])
        await db.executemany(INSERT_UNIT, [(update_id, u.id) for u in draft.units])
        heard_at = to_db(published_at or now)
        await db.executemany(
            HEARD_UPSERT, [(u.id, guild_id, update_id, kind, heard_at) for u in draft.units]
        )
        update = await get(db, guild_id, update_id)
        detail = None
        if deliver:
            # Demo content (not delivered, backdated) starts no silence clocks.
            for hook in _PUBLISH_HOOKS:
                await hook(db, guild_id, update_id, [u.id for u in draft.units], now)
            settings = await guild_settings.get(db, guild_id)
            channel_id = settings.require("updates_channel_id")
            readers = await audience(db, guild_id, draft.topics, [u.id for u in draft.units])
            targets = [delivery.Target.channel(channel_id)]
            targets += [delivery.Target.dm(user_id) for user_id in readers]
            broadcast_id = await delivery.enqueue(
                db,
                guild_id,
                "update",
                message(embeds=[update_embed(update)]),
                targets,
                now,
                author_id=author_id,
                subject=f"update {update_id}",
            )
            await db.execute(SET_BROADCAST, (broadcast_id, update_id))
            detail = f"{len(readers)} subscriber DMs"
        await audit.record(
            db, guild_id, author_id, "update.post", f"update {update_id}", detail, now
        )
        return await get(db, guild_id, update_id)


async def _edit_posted(
    db: Database, update: Update, payload: dict[str, Any], actor_id: int | None, now: datetime
) -> int:
    """Queue an edit of every message the update's publication posted; return how many."""
    if update.broadcast_id is None:
        return 0
    posted = await delivery.sent_messages(db, update.broadcast_id)
    # Copies still waiting to be sent go out with the new text instead.
    await delivery.replace_pending_payload(db, update.broadcast_id, payload)
    if not posted:
        return 0
    targets = [
        delivery.Target.edit(channel_id, message_id) for _, _, channel_id, message_id in posted
    ]
    await delivery.enqueue(
        db,
        update.guild_id,
        "update.edit",
        payload,
        targets,
        now,
        author_id=actor_id,
        subject=f"update {update.id}",
    )
    return len(targets)


async def edit(
    db: Database,
    guild_id: int,
    update_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    title: str,
    body: str,
    source_url: str | None,
) -> Update:
    """Change an update's text, mark it edited with the time, and edit what was posted."""
    async with db.transaction():
        current = await get(db, guild_id, update_id)
        if current.retracted:
            raise Conflict(
                f"Update #{update_id} was retracted on {_day(current.retracted_at)}: a "
                "retracted update can't be edited. Post a new update instead."
            )
        title, body, url = clean_text(title, body, source_url)
        await db.execute(EDIT, (title, body, url, to_db(now), actor_id, guild_id, update_id))
        update = await get(db, guild_id, update_id)
        copies = await _edit_posted(
            db, update, message(embeds=[update_embed(update)]), actor_id, now
        )
        await audit.record(
            db, guild_id, actor_id, "update.edit", f"update {update_id}", f"{copies} copies", now
        )
    return update


async def retract(
    db: Database,
    guild_id: int,
    update_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    note: str | None = None,
) -> Update:
    """Retract an update: its posts are replaced by a visible retraction note (audited)."""
    note = " ".join((note or "").split()) or None
    if note is not None and len(note) > NOTE_MAX:
        raise UserError(f"The retraction note is {len(note)} characters; keep it to {NOTE_MAX}.")
    async with db.transaction():
        current = await get(db, guild_id, update_id)
        if current.retracted:
            raise Conflict(
                f"Update #{update_id} was already retracted on {_day(current.retracted_at)}."
            )
        await db.execute(RETRACT, (to_db(now), actor_id, note, guild_id, update_id))
        update = await get(db, guild_id, update_id)
        copies = await _edit_posted(
            db, update, message(embeds=[retraction_embed(update)]), actor_id, now
        )
        await audit.record(
            db, guild_id, actor_id, "update.retract", f"update {update_id}", f"{copies} copies", now
        )
    return update


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


def fts_query(text: str) -> str:
    """Member text as a safe FTS5 query: each word quoted (so operators and quotes are inert),
    all words required; the last word also matches as a prefix."""
    words = _WORD.findall(text or "")
    if not words:
        raise UserError("Search for at least one word, like `/updates search query: wages`.")
    quoted = ['"' + w.replace('"', '""') + '"' for w in words[:20]]
    quoted[-1] += "*"
    return " ".join(quoted)


def _stem(word: str) -> str:
    """A rough stem, so "benefits" highlights "benefit" as the porter tokenizer matched it."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def snippet(body: str, query: str, size: int = SNIPPET_WORDS) -> str:
    """A window of `size` words of the body around the first matching word, matches in bold."""
    stems = [_stem(w) for w in _WORD.findall(query or "")]
    tokens = body.split()

    def hit(word: str) -> bool:
        return any(word.lower().startswith(s) for s in stems)

    def bold(token: str) -> str:
        # Only the word is bold, not the punctuation around it.
        return _WORD.sub(
            lambda m: f"{HIGHLIGHT_OPEN}{m[0]}{HIGHLIGHT_CLOSE}" if hit(m[0]) else m[0], token
        )

    first = next((i for i, t in enumerate(tokens) if any(map(hit, _WORD.findall(t)))), 0)
    start = max(0, first - size // 3)
    window = tokens[start : start + size]
    shown = " ".join(bold(t) for t in window)
    return ("…" if start else "") + shown + ("…" if start + size < len(tokens) else "")


async def search(db: Database, guild_id: int, query: str, limit: int = 10) -> list[SearchHit]:
    """Updates matching every word of `query`, best first, with the words highlighted.

    Only the newest RANK_CAP matches are ranked: for a very common word an old update may
    not be offered (the newest are what members look for)."""
    if len(query or "") > QUERY_MAX:
        raise UserError(f"Keep the search to {QUERY_MAX} characters.")
    match = fts_query(query)
    floor = await db.fetchval(SEARCH_FLOOR, {"query": match, "offset": RANK_CAP - 1})
    rows = await db.fetchall(
        SEARCH, {"query": match, "guild": guild_id, "limit": limit, "floor": floor or 0}
    )
    return [
        SearchHit(r["id"], r["title"], from_db(r["published_at"]), snippet(r["body"], query))
        for r in rows
    ]


async def last_heard(db: Database, guild_id: int, unit_id: int) -> datetime | None:
    """When the newest update concerning a unit was published, retracted ones included (members
    heard those too); None: never."""
    return from_db(await db.fetchval(LAST_FOR_UNIT, (guild_id, unit_id)))


# -- rendering (plain dicts: bot.render) -------------------------------------------------


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
        footer=f"Page {result.page + 1} of {result.pages} · {result.total} updates",
        colour=Colour.INFO,
    )


def search_embed(query: str, hits: list[SearchHit]) -> dict[str, Any]:
    """Search results with their highlighted snippets."""
    title = f"Updates matching “{truncate(' '.join(query.split()), 60)}”"
    if not hits:
        return embed(title, "Nothing matches. Try fewer or other words.", colour=Colour.NEUTRAL)
    fields = [
        (
            f"#{h.id} · {truncate(h.title, 200)}",
            f"{h.snippet}\n{discord_timestamp(h.published_at, 'd')}",
            False,
        )
        for h in hits
    ]
    return embed(title, None, fields=fields, colour=Colour.INFO, footer="Best matches first")


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


# -- demo content ------------------------------------------------------------------------


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """The campaign's main updates (data/demo/updates.yaml) and its tracker timeline
    (data/demo/timeline.yaml), dated as in the public record; entries after `now` wait for a
    later load. Idempotent; nothing is sent."""
    from bot import tracker  # the tracker publishes through this module

    data = yaml.safe_load((DEMO_DIR / "updates.yaml").read_text(encoding="utf-8"))
    added = 0
    await topics(db, guild_id, now)
    # The timeline's extra units (the general negotiations table) must exist before updates.
    await tracker.load_demo_units(db, guild_id, now)
    async with db.transaction():
        for entry in data["updates"]:
            when = tracker.demo_instant(entry["date"])
            key = f"demo_update:{guild_id}:{entry['key']}"
            if when > now or await db.fetchval(DEMO_KEY, (key,)) is not None:
                continue
            for name in entry.get("topics", ()):
                await db.execute(TOPIC_INSERT, (guild_id, name, to_db(now)))
            draft = await make_draft(
                db,
                guild_id,
                entry["title"],
                entry["body"],
                entry.get("source"),
                ", ".join(entry.get("topics", ())),
                ", ".join(str(u) for u in entry.get("units", ())),
            )
            update = await publish(db, guild_id, None, draft, now, deliver=False, published_at=when)
            await db.execute(DEMO_KEY_SET, (key, str(update.id)))
            added += 1
    timeline = await tracker.load_demo_timeline(db, guild_id, now)
    summary = await load_demo_summary(db, guild_id, now)
    return f"updates: {added} added; {timeline}; {summary}"


async def load_demo_summary(db: Database, guild_id: int, now: datetime) -> str:
    """The structured summary of the Basic Agreement TA (data/demo/ba_summary.yaml) on its
    update, once that update is loaded. Idempotent."""
    from bot.updates import summaries  # summaries builds on this module

    text = (DEMO_DIR / "ba_summary.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    value = await db.fetchval(DEMO_KEY, (f"demo_update:{guild_id}:{data['update']}",))
    if value is None:
        return "summary: waits for its update"
    body = yaml.safe_dump({"title": data["title"], "items": data["items"]}, allow_unicode=True)
    found = await summaries.import_summary(db, guild_id, int(value), body, None, now)
    return f"summary: {len(found.items)} articles"


def on_publish(hook: PublishHook) -> None:
    """Call `hook` inside every delivered publication's transaction (once per hook)."""
    if hook not in _PUBLISH_HOOKS:
        _PUBLISH_HOOKS.append(hook)
