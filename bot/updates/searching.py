"""Searching the updates' words (SQLite FTS5): a safe query from member text, ranking,
and snippets with the matching words in bold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.db import Database, from_db
from bot.core.errors import UserError
from bot.core.render import Colour, embed, truncate
from bot.core.timeparse import discord_timestamp

QUERY_MAX = 200
# bm25 weights: a word in the title counts five times one in the body. Ranking costs a bm25
# per match, so only the newest RANK_CAP matches are ranked (FTS5 walks rowids in order
# cheaply): SEARCH_FLOOR finds the lowest rowid among them. Snippets are cut in Python from
# the ten bodies returned (FTS5's snippet() re-reads the words' whole doclists per row, which
# cost more than the search itself).
RANK_CAP = 200
SNIPPET_WORDS = 24
# The floor counts this server's live updates only: another server's cannot push them out.
SEARCH_FLOOR = """
SELECT f.rowid FROM bargaining_update_fts f JOIN bargaining_update u ON u.id = f.rowid
WHERE bargaining_update_fts MATCH :query AND u.guild_id = :guild AND u.retracted_at IS NULL
ORDER BY f.rowid DESC LIMIT 1 OFFSET :offset
"""
SEARCH = """
SELECT u.id, u.title, u.body, u.published_at
FROM bargaining_update_fts f JOIN bargaining_update u ON u.id = f.rowid
WHERE bargaining_update_fts MATCH :query AND f.rowid >= :floor
  AND u.guild_id = :guild AND u.retracted_at IS NULL
ORDER BY bm25(bargaining_update_fts, 5.0, 1.0), u.published_at DESC
LIMIT :limit
"""
# Highlight markers for search snippets (Discord bold).
HIGHLIGHT_OPEN, HIGHLIGHT_CLOSE = "**", "**"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    """One search result: the update and the matching words highlighted in a snippet."""

    id: int
    title: str
    published_at: datetime
    snippet: str


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
    floor = await db.fetchval(
        SEARCH_FLOOR, {"query": match, "guild": guild_id, "offset": RANK_CAP - 1}
    )
    rows = await db.fetchall(
        SEARCH, {"query": match, "guild": guild_id, "limit": limit, "floor": floor or 0}
    )
    return [
        SearchHit(r["id"], r["title"], from_db(r["published_at"]), snippet(r["body"], query))
        for r in rows
    ]


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
