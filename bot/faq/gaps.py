"""What members ask that the FAQ does not answer, and how organizers close the gap.

A question `/faq` had no confident answer for is kept in `faq_miss`: its text only (never
who asked), for 90 days (timer `faq.gaps_expire`), declared in bot/privacy's DECLARATION and
deleted by the retention purge. `/faqs gaps` shows the most frequent ones, grouped when they
mean the same thing (the same concepts, as the search reads them), each with the entry it came
closest to. An organizer closes a gap by adding its phrasings as aliases of an entry, or by
writing a new entry with them; either way its rows are deleted, and the next member who asks
it that way gets the answer.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import audit, timers
from bot.core.db import Database, from_db, to_db
from bot.core.errors import NotFound
from bot.faq import entries, matching
from bot.faq.entries import Entry
from bot.faq.text import words

log = logging.getLogger("rankfile.faq")

KEEP_FOR = timedelta(days=90)
EXPIRE_TIMER = "faq.gaps_expire"
TEXT_MAX = 300
# How many recent misses are grouped (a server's 90 days, bounded).
WINDOW = 2000
# Two phrasings are one gap when they share this much of their meaning (Jaccard on concepts).
SAME_GAP = 0.5

INSERT = (
    "INSERT INTO faq_miss (guild_id, text, closest_entry_id, closest_score, asked_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
RECENT = (
    "SELECT id, text, closest_entry_id, asked_at FROM faq_miss "
    "WHERE guild_id = ? AND asked_at >= ? ORDER BY asked_at DESC, id DESC LIMIT ?"
)
DELETE_ONE = "DELETE FROM faq_miss WHERE guild_id = ? AND id = ?"
DELETE_TEXT = "DELETE FROM faq_miss WHERE guild_id = ? AND lower(text) = lower(?)"
EXPIRE = "DELETE FROM faq_miss WHERE guild_id = ? AND asked_at <= ?"
OLDEST = "SELECT min(asked_at) FROM faq_miss WHERE guild_id = ?"
COUNT = "SELECT count(*) FROM faq_miss WHERE guild_id = ?"


@dataclass(frozen=True)
class Gap:
    """Members' unanswered phrasings that mean the same thing, most frequent first."""

    id: int  # the id of one of its rows: names the gap for the organizers' buttons
    phrasings: tuple[tuple[str, int], ...]  # (text, how many times), most frequent first
    count: int
    last_asked: datetime
    closest: Entry | None  # the entry the search came closest to, if any
    miss_ids: tuple[int, ...]

    @property
    def text(self) -> str:
        """The most frequent phrasing."""
        return self.phrasings[0][0]


async def ask(db: Database, guild_id: int, text: str, now: datetime) -> matching.Answer:
    """A member's question to the FAQ: the answer, or the closest matches and a kept miss."""
    found = await matching.lookup(db, guild_id, text)
    if not found.sure:
        await record_miss(db, guild_id, text, found, now)
    return found


async def record_miss(
    db: Database, guild_id: int, text: str, found: matching.Answer, now: datetime
) -> int | None:
    """Keep a question the FAQ could not answer (text only); None for text with no words."""
    cleaned = " ".join(text.split())[:TEXT_MAX]
    if not words(cleaned):
        return None
    closest = found.closest[0] if found.closest else None
    async with db.transaction():
        miss_id = await db.execute(
            INSERT,
            (
                guild_id,
                cleaned,
                closest.entry.id if closest else None,
                closest.score if closest else None,
                to_db(now),
            ),
        )
        await _arm_expiry(db, guild_id, now + KEEP_FOR, now)
    return miss_id


async def _arm_expiry(db: Database, guild_id: int, due: datetime, now: datetime) -> None:
    armed = await timers.for_subject(db, EXPIRE_TIMER, guild_id)
    if not any(t.state == "pending" for t in armed):
        await timers.schedule(db, guild_id, EXPIRE_TIMER, guild_id, due, now)


async def _expire(db: Database, timer: timers.Timer, now: datetime) -> None:
    """Timer: delete the server's misses older than 90 days; re-arm for the oldest left."""
    guild_id = timer.guild_id
    gone = await db.execute(EXPIRE, (guild_id, to_db(now - KEEP_FOR)))
    oldest = from_db(await db.fetchval(OLDEST, (guild_id,)))
    if oldest is not None:
        await timers.schedule(db, guild_id, EXPIRE_TIMER, guild_id, oldest + KEEP_FOR, now)
    log.info("faq gaps expired in guild %s: %s rows", guild_id, gone)


TIMERS: dict[str, timers.Handler] = {EXPIRE_TIMER: _expire}


def _similar(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


async def _groups(db: Database, guild_id: int, now: datetime) -> tuple[list, list[list[int]]]:
    """The recent misses and their groups (indexes into them), most asked first."""
    rows = await db.fetchall(RECENT, (guild_id, to_db(now - KEEP_FOR), WINDOW))
    meanings = await matching.meanings(db, guild_id, [r["text"] for r in rows])
    groups: list[tuple[frozenset[str], list[int]]] = []
    for n, meaning in enumerate(meanings):
        for concepts, members in groups:
            if _similar(concepts, meaning) >= SAME_GAP:
                members.append(n)
                break
        else:
            groups.append((meaning, [n]))
    groups.sort(key=lambda g: (-len(g[1]), g[1][0]))
    return rows, [members for _, members in groups]


async def _gap(db: Database, guild_id: int, rows: list, members: list[int]) -> Gap:
    # The same words with other capitals or punctuation are one phrasing, shown as last asked.
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for n in members:
        same = " ".join(words(rows[n]["text"]))
        counts[same] += 1
        shown.setdefault(same, " ".join(rows[n]["text"].split()))
    phrasings = tuple(
        (shown[same], count) for same, count in sorted(counts.items(), key=lambda c: (-c[1], c[0]))
    )
    closest_ids = Counter(
        rows[n]["closest_entry_id"] for n in members if rows[n]["closest_entry_id"]
    )
    closest = None
    for entry_id, _ in closest_ids.most_common():
        try:
            closest = await entries.get(db, guild_id, entry_id)
            break
        except NotFound:
            continue
    return Gap(
        id=rows[members[0]]["id"],
        phrasings=phrasings,
        count=len(members),
        last_asked=from_db(rows[members[0]]["asked_at"]),  # type: ignore[arg-type]
        closest=closest,
        miss_ids=tuple(rows[n]["id"] for n in members),
    )


async def gaps(db: Database, guild_id: int, now: datetime, limit: int = 10) -> list[Gap]:
    """The most asked unanswered questions of the last 90 days, grouped by meaning.

    A gap the FAQ now answers confidently (an entry was added or edited since) is dropped,
    and its rows deleted: nothing is kept longer than it is needed.
    """
    rows, groups = await _groups(db, guild_id, now)
    out: list[Gap] = []
    answered: list[int] = []
    for members in groups:
        if len(out) >= limit:
            break
        found = await _gap(db, guild_id, rows, members)
        if (await matching.lookup(db, guild_id, found.text, closest=0)).sure:
            answered.extend(found.miss_ids)
            continue
        out.append(found)
    if answered:
        async with db.transaction():
            for miss_id in answered:
                await db.execute(DELETE_ONE, (guild_id, miss_id))
    return out


async def gap(db: Database, guild_id: int, miss_id: int, now: datetime) -> Gap:
    """The gap one miss belongs to now; NotFound once it was answered or expired."""
    rows, groups = await _groups(db, guild_id, now)
    for members in groups:
        if any(rows[n]["id"] == miss_id for n in members):
            return await _gap(db, guild_id, rows, members)
    raise NotFound("That question was answered or has expired: see `/faqs gaps` again.")


async def add_as_alias(
    db: Database, guild_id: int, actor_id: int, miss_id: int, entry_id: int, now: datetime
) -> tuple[Entry, Gap]:
    """Close a gap: its phrasings become aliases of an entry, and its rows are deleted."""
    found = await gap(db, guild_id, miss_id, now)
    async with db.transaction():
        entry = await entries.add_aliases(
            db, guild_id, actor_id, entry_id, [text for text, _ in found.phrasings], now
        )
        await _close(db, guild_id, found)
        await audit.record(
            db, guild_id, actor_id, "faq.gap_alias", f"faq #{entry.id}", f"{found.count} asked", now
        )
    return entry, found


async def add_entry(
    db: Database,
    guild_id: int,
    actor_id: int,
    miss_id: int,
    question: str,
    answer: str,
    now: datetime,
    *,
    aliases: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    source_url: str | None = None,
) -> tuple[Entry, Gap]:
    """Close a gap with a new entry; the gap's phrasings are added to its aliases."""
    found = await gap(db, guild_id, miss_id, now)
    async with db.transaction():
        entry = await entries.add(
            db,
            guild_id,
            actor_id,
            question,
            answer,
            now,
            aliases=aliases,
            tags=tags,
            source_url=source_url,
        )
        entry = await entries.add_aliases(
            db, guild_id, actor_id, entry.id, [text for text, _ in found.phrasings], now
        )
        await _close(db, guild_id, found)
        await audit.record(
            db, guild_id, actor_id, "faq.gap_entry", f"faq #{entry.id}", f"{found.count} asked", now
        )
    return entry, found


async def _close(db: Database, guild_id: int, found: Gap) -> None:
    for miss_id in found.miss_ids:
        await db.execute(DELETE_ONE, (guild_id, miss_id))


async def forget_phrasings(db: Database, guild_id: int, texts: list[str]) -> int:
    """Delete the misses asked in exactly these words (they were answered another way)."""
    gone = 0
    for text in texts:
        gone += await db.execute(DELETE_TEXT, (guild_id, " ".join(text.split())[:TEXT_MAX]))
    return gone


async def count(db: Database, guild_id: int) -> int:
    """How many unanswered questions the server keeps."""
    return int(await db.fetchval(COUNT, (guild_id,)) or 0)
