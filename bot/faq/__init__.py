"""FAQ entries and the one search over them, used by `/faq` and `rankfile faq search`.

Search: SQLite FTS5 with bm25 (question and aliases weighted over the answer) finds the
candidates; each is then scored in [0, 1] by how much of the member's question it covers
(terms weighted by rarity) and how closely it matches one phrasing of the entry. Below
THRESHOLD nothing is "confident" and the member is told so, never shown a wrong answer.

Member text never reaches MATCH as syntax: it is cut into lower-case letters and digits,
lightly stemmed, and each term is quoted. Misspellings are corrected against the server's
own vocabulary with rapidfuzz; the union's abbreviations (TA, MOA, CAT, ASA, AMPTP, MPI)
match their spelled-out forms both ways, because the index holds both.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bot.core import audit
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.paths import DEMO_DIR

QUESTION_MAX = 200
ANSWER_MAX = 3000
ALIASES_MAX = 1000
URL_MAX = 500
KEY_MAX = 60
# A score from 0 to 1; below this the best match is not shown as the answer.
THRESHOLD = 0.5
# Autocomplete shows weaker matches too: the member picks, the bot does not assert.
SUGGEST_THRESHOLD = 0.2
# Only the start of a very long question is searched (a 4,000-character paste stays fast).
QUERY_CHARS = 300
CANDIDATES = 40

INSERT = (
    "INSERT INTO faq_entry (guild_id, key, question, answer, aliases, tags, source_url, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (guild_id, key) DO NOTHING"
)
UPDATE = (
    "UPDATE faq_entry SET question = ?, answer = ?, aliases = ?, tags = ?, source_url = ?, "
    "updated_at = ? WHERE guild_id = ? AND id = ?"
)
DELETE = "DELETE FROM faq_entry WHERE guild_id = ? AND id = ?"
BY_ID = "SELECT * FROM faq_entry WHERE guild_id = ? AND id = ?"
BY_KEY = "SELECT * FROM faq_entry WHERE guild_id = ? AND key = ?"
ALL = "SELECT * FROM faq_entry WHERE guild_id = ? ORDER BY id"
SIGNATURE = "SELECT count(*), max(updated_at), max(id) FROM faq_entry WHERE guild_id = ?"
FTS_INSERT = "INSERT INTO faq_fts (rowid, question, aliases, answer) VALUES (?, ?, ?, ?)"
FTS_DELETE = "DELETE FROM faq_fts WHERE rowid = ?"
# Weights of bm25 per column: question, aliases (and tags), answer.
FTS_SEARCH = (
    "SELECT faq_fts.rowid AS id, bm25(faq_fts, 10.0, 6.0, 1.0) AS rank FROM faq_fts "
    "JOIN faq_entry ON faq_entry.id = faq_fts.rowid "
    "WHERE faq_fts MATCH ? AND faq_entry.guild_id = ? ORDER BY rank LIMIT ?"
)

# The union's abbreviations and what they stand for; both forms find the same entries.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "ta": ("tentative agreement",),
    "moa": ("memorandum of agreement",),
    "cat": ("contract action team",),
    "asa": ("area standards agreement", "area standards"),
    "amptp": ("alliance of motion picture and television producers",),
    "mpi": ("motion picture industry", "mpiphp"),
}

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each else
    ever for from further get gets getting got had has have having he her here hers him his
    how i if in into is it its itself just let me might more most much must my myself no nor
    not now of off on once only or other our ours out over own please same she should so some
    such tell than that the their theirs them then there these they this those through to too
    under until up us very was we were what whats when where whether which while who whom whos
    why will with would you your yours yourself know want need does anyone someone thing
    things mean means really still even ok okay hi hey thanks thank""".split()
)

# Suffixes stripped by `stem`, longest first: (suffix, replacement).
_SUFFIXES = (
    ("ifications", "if"),
    ("ification", "if"),
    ("izations", ""),
    ("ization", ""),
    ("isations", ""),
    ("isation", ""),
    ("ifying", "if"),
    ("ations", ""),
    ("ation", ""),
    ("ified", "if"),
    ("ating", ""),
    ("nsions", "nd"),
    ("nsion", "nd"),
    ("ments", ""),
    ("ment", ""),
    ("ities", ""),
    ("ated", ""),
    ("ates", ""),
    ("ings", ""),
    ("ions", ""),
    ("ized", ""),
    ("ised", ""),
    ("ies", "i"),
    ("ied", "i"),
    ("ify", "if"),
    ("ing", ""),
    ("ion", ""),
    ("ive", ""),
    ("ize", ""),
    ("ise", ""),
    ("ate", ""),
    ("ity", ""),
    ("ers", ""),
    ("ed", ""),
    ("es", ""),
    ("er", ""),
    ("ly", ""),
    ("s", ""),
    ("e", ""),
    ("y", "i"),
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Entry:
    """One FAQ entry."""

    id: int
    guild_id: int
    key: str
    question: str
    answer: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    source_url: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Match:
    """A search result: the entry and how well it answers the question (0 to 1)."""

    entry: Entry
    score: float

    @property
    def confident(self) -> bool:
        """Good enough to show as the answer."""
        return self.score >= THRESHOLD


@dataclass(frozen=True)
class ImportReport:
    """What `import_entries` did."""

    added: list[str]
    changed: list[str]
    unchanged: list[str]

    def summary(self) -> str:
        """One line for a person."""
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.unchanged)} left as they were"
        )


# -- text --------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-case words of letters and digits, accents removed: everything else is a space."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(folded.replace("'s", "").replace("’s", ""))


def stem(word: str) -> str:
    """A light English stem (ratify/ratified/ratification -> ratif), same for index and query."""
    if len(word) <= 3 or word.isdigit() or word in ABBREVIATIONS:
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 3:
            word = word[: len(word) - len(suffix)] + replacement
            break
    return word[:8]


def _phrase_stems() -> list[tuple[tuple[str, ...], str]]:
    phrases = []
    for abbreviation, spelled in ABBREVIATIONS.items():
        for phrase in spelled:
            stems = tuple(stem(w) for w in words(phrase) if w not in STOPWORDS)
            phrases.append((stems, abbreviation))
    # Longest first, so "area standards agreement" wins over "area standards".
    return sorted(phrases, key=lambda p: -len(p[0]))


_PHRASES = _phrase_stems()
_EXPANSIONS = {
    abbreviation: [s for s in _PHRASES if s[1] == abbreviation][0][0]
    for abbreviation in ABBREVIATIONS
}


def content_terms(text: str) -> list[str]:
    """The stems of a text's meaningful words, in order, stopwords dropped."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def _canonical(terms: list[str]) -> list[str]:
    """Spelled-out abbreviations replaced by the abbreviation ("tentative agreement" -> ta)."""
    out: list[str] = []
    i = 0
    while i < len(terms):
        for stems, abbreviation in _PHRASES:
            if tuple(terms[i : i + len(stems)]) == stems:
                out.append(abbreviation)
                i += len(stems)
                break
        else:
            out.append(terms[i])
            i += 1
    return out


def index_terms(text: str) -> list[str]:
    """What the index holds for a text: its terms plus each abbreviation's other form."""
    terms = content_terms(text)
    extra: list[str] = []
    for abbreviation in _canonical(terms):
        if abbreviation in ABBREVIATIONS:
            extra.append(abbreviation)
            extra.extend(_EXPANSIONS[abbreviation])
    return terms + extra


def make_key(text: str) -> str:
    """A stable, readable key from a question ("What is a TA?" -> what-is-a-ta)."""
    return "-".join(words(text))[:KEY_MAX].strip("-") or "entry"


def split_list(text: str | None) -> tuple[str, ...]:
    """Aliases or tags typed one per line (or separated by `;`), blanks dropped."""
    if not text:
        return ()
    parts = re.split(r"[\n;]+", text)
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


# -- the in-memory index -----------------------------------------------------------------


@dataclass
class _Index:
    signature: tuple[Any, ...]
    entries: dict[int, Entry] = field(default_factory=dict)
    strong: dict[int, frozenset[str]] = field(default_factory=dict)
    weak: dict[int, frozenset[str]] = field(default_factory=dict)
    phrasings: dict[int, list[frozenset[str]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    # The raw words behind the terms, for correcting misspellings before stemming.
    vocabulary: list[str] = field(default_factory=list)
    unknown_idf: float = 1.0


# Per database file and server; dropped on every change here, and rebuilt when the stored
# signature moves (a change made by another process, such as `rankfile faq import`).
_INDEXES: dict[tuple[str, int], _Index] = {}
_GENERATION: Counter[tuple[str, int]] = Counter()


def _forget(db: Database, guild_id: int) -> None:
    """Drop the server's cached index (called inside the transaction that changes entries)."""
    key = (str(db.path), guild_id)
    _GENERATION[key] += 1
    _INDEXES.pop(key, None)


def _entry(row: Any) -> Entry:
    return Entry(
        row["id"],
        row["guild_id"],
        row["key"],
        row["question"],
        row["answer"],
        tuple(json.loads(row["aliases"])),
        tuple(json.loads(row["tags"])),
        row["source_url"],
        from_db(row["created_at"]),  # type: ignore[arg-type]
        from_db(row["updated_at"]),  # type: ignore[arg-type]
    )


async def _index(db: Database, guild_id: int) -> _Index:
    row = await db.fetchone(SIGNATURE, (guild_id,))
    signature = tuple(row) if row else ()
    cache_key = (str(db.path), guild_id)
    cached = _INDEXES.get(cache_key)
    if cached is not None and cached.signature == signature:
        return cached
    generation = _GENERATION[cache_key]
    index = _Index(signature)
    df: Counter[str] = Counter()
    raw: set[str] = set()
    for r in await db.fetchall(ALL, (guild_id,)):
        entry = _entry(r)
        index.entries[entry.id] = entry
        phrasings = [frozenset(index_terms(p)) for p in (entry.question, *entry.aliases)]
        strong = frozenset().union(*phrasings, *(index_terms(t) for t in entry.tags))
        weak = frozenset(index_terms(entry.answer))
        index.strong[entry.id] = strong
        index.weak[entry.id] = weak
        index.phrasings[entry.id] = [p for p in phrasings if p]
        df.update(strong | weak)
        for text in (entry.question, *entry.aliases, *entry.tags, entry.answer):
            raw.update(w for w in words(text) if w not in STOPWORDS)
    n = max(len(index.entries), 1)
    index.idf = {t: math.log(1 + n / c) for t, c in df.items()}
    index.unknown_idf = math.log(1 + n)
    index.vocabulary = sorted(raw)
    # A change committed while this was built makes it stale: use it once, do not keep it.
    if _GENERATION[cache_key] == generation:
        _INDEXES[cache_key] = index
    return index


def _correct(word: str, index: _Index) -> str:
    """The stem of a word, or of the vocabulary's closest word when it looks misspelt."""
    term = stem(word)
    if term in index.idf or len(word) < 4 or word.isdigit() or not index.vocabulary:
        return term
    cutoff = 75 if len(word) >= 6 else 80
    found = process.extractOne(word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
    return stem(found[0]) if found else term


def _query_terms(text: str, index: _Index) -> list[str]:
    found = [w for w in words(text[:QUERY_CHARS]) if w not in STOPWORDS][:60]
    terms = [_correct(w, index) for w in found]
    return list(dict.fromkeys(_canonical(terms)))[:40]


def _fts_query(terms: list[str], prefix: str | None) -> str:
    """An FTS5 expression that treats every term as text: quoted, OR'd, no operators."""
    parts = [f'"{t}"' for t in terms]
    if prefix:
        parts.append(f'"{prefix}"*')
    return " OR ".join(parts)


def _score(entry_id: int, terms: list[str], prefix: str | None, index: _Index) -> float:
    """How well one entry answers: weighted coverage of the query, plus phrasing closeness."""
    strong, weak = index.strong[entry_id], index.weak[entry_id]
    weights = {t: index.idf.get(t, index.unknown_idf) for t in terms}
    total = sum(weights.values())
    got = sum(w * (1.0 if t in strong else 0.5 if t in weak else 0.0) for t, w in weights.items())
    if prefix:
        total += 1.0
        got += 1.0 if any(t.startswith(prefix) for t in strong) else 0.0
    coverage = got / total if total else 0.0
    # The closest phrasing (question or alias): how much of it the query says.
    closeness = 0.0
    query = set(terms)
    for phrasing in index.phrasings[entry_id]:
        size = sum(index.idf.get(t, 1.0) for t in phrasing)
        if size:
            shared = sum(index.idf.get(t, 1.0) for t in phrasing & query)
            closeness = max(closeness, shared / size)
    return round(0.7 * coverage + 0.3 * closeness, 4)


async def search(
    db: Database,
    guild_id: int,
    text: str,
    *,
    limit: int = 5,
    min_score: float = THRESHOLD,
    prefix: bool = False,
) -> list[Match]:
    """The entries that answer `text`, best first, each scoring at least `min_score`.

    The one search: `/faq`, its autocomplete (`prefix=True`: the last word may be
    unfinished) and `rankfile faq search` all call it. Any text is safe: FTS syntax,
    quotes and mentions are just words.
    """
    index = await _index(db, guild_id)
    if not index.entries:
        return []
    last = None
    if prefix:
        typed = words(text[:QUERY_CHARS])
        if typed and not text.rstrip().endswith(tuple(" .?!")) and len(typed[-1]) >= 2:
            last = typed[-1]
            text = text[: text.lower().rfind(last)] if last in text.lower() else text
    terms = _query_terms(text, index)
    if not terms and not last:
        return []
    rows = await db.fetchall(FTS_SEARCH, (_fts_query(terms, last), guild_id, CANDIDATES))
    best_rank = min((r["rank"] for r in rows), default=0.0)
    found = []
    for r in rows:
        score = _score(r["id"], terms, last, index)
        # bm25 only breaks near-ties; it is not on the same scale across questions.
        tiebreak = (r["rank"] / best_rank) * 0.001 if best_rank else 0.0
        if score >= min_score:
            found.append((score + tiebreak, score, r["id"]))
    found.sort(key=lambda f: -f[0])
    return [Match(index.entries[i], score) for _, score, i in found[:limit]]


async def best(db: Database, guild_id: int, text: str) -> Match | None:
    """The confident answer to `text`, or None. An exact question (from autocomplete) wins."""
    index = await _index(db, guild_id)
    wanted = text.strip().casefold()
    for entry in index.entries.values():
        if entry.question.casefold() == wanted or entry.question[:100].casefold() == wanted:
            return Match(entry, 1.0)
    found = await search(db, guild_id, text, limit=1)
    return found[0] if found else None


async def suggest(db: Database, guild_id: int, typed: str, limit: int = 25) -> list[Entry]:
    """Questions for autocomplete while a member types (all of them, in order, when empty)."""
    if not typed.strip():
        return (await all_entries(db, guild_id))[:limit]
    found = await search(db, guild_id, typed, limit=limit, min_score=SUGGEST_THRESHOLD, prefix=True)
    return [m.entry for m in found]


async def related(db: Database, guild_id: int, entry: Entry, limit: int = 3) -> list[Entry]:
    """Other entries close to this one (shared tags first), for "related questions" buttons."""
    found = await search(
        db, guild_id, " ".join((entry.question, *entry.aliases)), limit=limit + 1, min_score=0.15
    )
    others = [m.entry for m in found if m.entry.id != entry.id]
    if entry.tags:
        tagged = [e for e in await all_entries(db, guild_id) if set(e.tags) & set(entry.tags)]
        others = [e for e in tagged if e.id != entry.id] + others
    return list({e.id: e for e in others}.values())[:limit]


# -- entries -----------------------------------------------------------------------------


def _clean(
    question: str, answer: str, aliases: tuple[str, ...], tags: tuple[str, ...], url: str | None
) -> tuple[str, str, tuple[str, ...], tuple[str, ...], str | None]:
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        raise UserError("An FAQ entry needs both a question and an answer.")
    if len(question) > QUESTION_MAX:
        raise UserError(f"Keep the question under {QUESTION_MAX} characters.")
    if len(answer) > ANSWER_MAX:
        raise UserError(
            f"Keep the answer under {ANSWER_MAX} characters (link to the rest with the source)."
        )
    if len("\n".join(aliases)) > ALIASES_MAX:
        raise UserError(f"Keep the aliases under {ALIASES_MAX} characters in all.")
    url = (url or "").strip() or None
    if url and (len(url) > URL_MAX or not re.match(r"^https?://\S+$", url)):
        raise UserError("The source link must be a web address starting with https://.")
    return question, answer, aliases, tags, url


async def _write_index(
    db: Database, guild_id: int, entry_id: int, question: str, answer: str, extra: str
) -> None:
    _forget(db, guild_id)
    await db.execute(FTS_DELETE, (entry_id,))
    await db.execute(
        FTS_INSERT,
        (
            entry_id,
            " ".join(index_terms(question)),
            " ".join(index_terms(extra)),
            " ".join(index_terms(answer)),
        ),
    )


async def add(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    question: str,
    answer: str,
    now: datetime,
    *,
    aliases: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    source_url: str | None = None,
    key: str | None = None,
) -> Entry:
    """Add an entry (audited); Conflict if one with the same key (from the question) exists."""
    question, answer, aliases, tags, source_url = _clean(
        question, answer, aliases, tags, source_url
    )
    key = (key or make_key(question))[:KEY_MAX]
    async with db.transaction():
        entry_id = await db.execute(
            INSERT,
            (
                guild_id,
                key,
                question,
                answer,
                json.dumps(list(aliases)),
                json.dumps(list(tags)),
                source_url,
                to_db(now),
                to_db(now),
            ),
        )
        if not entry_id:
            raise Conflict(
                "An FAQ entry with that question already exists: edit it with `/faqs edit`."
            )
        await _write_index(db, guild_id, entry_id, question, answer, "\n".join((*aliases, *tags)))
        await audit.record(db, guild_id, actor_id, "faq.add", f"faq #{entry_id}", key, now)
    return await get(db, guild_id, entry_id)


async def edit(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    entry_id: int,
    now: datetime,
    *,
    question: str,
    answer: str,
    aliases: tuple[str, ...],
    tags: tuple[str, ...],
    source_url: str | None,
) -> Entry:
    """Replace an entry's text (audited, with the fields that changed)."""
    question, answer, aliases, tags, source_url = _clean(
        question, answer, aliases, tags, source_url
    )
    async with db.transaction():
        before = await get(db, guild_id, entry_id)
        changed = [
            name
            for name, old, new in (
                ("question", before.question, question),
                ("answer", before.answer, answer),
                ("aliases", before.aliases, aliases),
                ("tags", before.tags, tags),
                ("source", before.source_url, source_url),
            )
            if old != new
        ]
        if not changed:
            return before
        await db.execute(
            UPDATE,
            (
                question,
                answer,
                json.dumps(list(aliases)),
                json.dumps(list(tags)),
                source_url,
                to_db(now),
                guild_id,
                entry_id,
            ),
        )
        await _write_index(db, guild_id, entry_id, question, answer, "\n".join((*aliases, *tags)))
        await audit.record(
            db, guild_id, actor_id, "faq.edit", f"faq #{entry_id}", ", ".join(changed), now
        )
    return await get(db, guild_id, entry_id)


async def remove(
    db: Database, guild_id: int, actor_id: int | None, entry_id: int, now: datetime
) -> Entry:
    """Delete an entry (audited); return what it was."""
    async with db.transaction():
        entry = await get(db, guild_id, entry_id)
        _forget(db, guild_id)
        await db.execute(FTS_DELETE, (entry_id,))
        await db.execute(DELETE, (guild_id, entry_id))
        await audit.record(db, guild_id, actor_id, "faq.remove", f"faq #{entry_id}", entry.key, now)
    return entry


async def get(db: Database, guild_id: int, entry_id: int) -> Entry:
    """One entry of this server, or NotFound."""
    row = await db.fetchone(BY_ID, (guild_id, entry_id))
    if row is None:
        raise NotFound(f"There is no FAQ entry #{entry_id}: pick one from the list as you type.")
    return _entry(row)


async def all_entries(db: Database, guild_id: int) -> list[Entry]:
    """Every entry of the server, oldest first."""
    return [_entry(r) for r in await db.fetchall(ALL, (guild_id,))]


async def find_entry(db: Database, guild_id: int, text: str) -> Entry:
    """An entry named by organizers: `#12`, `12`, its key, or its question (autocomplete)."""
    cleaned = text.strip().lstrip("#")
    if cleaned.isdigit():
        return await get(db, guild_id, int(cleaned))
    row = await db.fetchone(BY_KEY, (guild_id, cleaned))
    if row is not None:
        return _entry(row)
    match = await best(db, guild_id, text)
    if match is None:
        raise NotFound("No FAQ entry matches that: pick one from the list as you type.")
    return match.entry


# -- files -------------------------------------------------------------------------------


def _from_file(item: dict[str, Any], position: int) -> dict[str, Any]:
    if not isinstance(item, dict) or not item.get("question") or not item.get("answer"):
        raise UserError(f"entry {position}: every entry needs a question and an answer")
    aliases = item.get("aliases") or []
    tags = item.get("tags") or []
    if isinstance(aliases, str) or isinstance(tags, str):
        raise UserError(f"entry {position}: aliases and tags are lists")
    return {
        "key": str(item.get("id") or make_key(str(item["question"])))[:KEY_MAX],
        "question": str(item["question"]),
        "answer": str(item["answer"]).strip(),
        "aliases": tuple(str(a) for a in aliases),
        "tags": tuple(str(t) for t in tags),
        "source_url": item.get("source") or item.get("source_url") or None,
    }


def parse_file(text: str) -> list[dict[str, Any]]:
    """The entries of an FAQ YAML file (`entries:` list, or a bare list); UserError if bad."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"the file is not valid YAML: {exc}") from None
    items = data.get("entries") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise UserError("the file must hold a list of entries under `entries:`")
    parsed = [_from_file(item, n) for n, item in enumerate(items, start=1)]
    keys = Counter(p["key"] for p in parsed)
    twice = [k for k, n in keys.items() if n > 1]
    if twice:
        raise UserError(f"these ids appear twice: {', '.join(twice)}")
    return parsed


async def import_entries(
    db: Database, guild_id: int, text: str, now: datetime, actor_id: int | None = None
) -> ImportReport:
    """Add or update the file's entries by id (key); entries not in the file are kept.

    Idempotent: importing the same file twice changes nothing the second time.
    """
    parsed = parse_file(text)
    added, changed, unchanged = [], [], []
    async with db.transaction():
        for item in parsed:
            row = await db.fetchone(BY_KEY, (guild_id, item["key"]))
            if row is None:
                await add(
                    db,
                    guild_id,
                    actor_id,
                    item["question"],
                    item["answer"],
                    now,
                    aliases=item["aliases"],
                    tags=item["tags"],
                    source_url=item["source_url"],
                    key=item["key"],
                )
                added.append(item["key"])
                continue
            before = _entry(row)
            after = await edit(
                db,
                guild_id,
                actor_id,
                before.id,
                now,
                question=item["question"],
                answer=item["answer"],
                aliases=item["aliases"],
                tags=item["tags"],
                source_url=item["source_url"],
            )
            (changed if after != before else unchanged).append(item["key"])
    return ImportReport(added, changed, unchanged)


async def export_entries(db: Database, guild_id: int) -> str:
    """The server's FAQ as YAML that `import_entries` reads back unchanged."""
    entries = []
    for e in await all_entries(db, guild_id):
        item: dict[str, Any] = {"id": e.key, "question": e.question, "answer": e.answer}
        if e.aliases:
            item["aliases"] = list(e.aliases)
        if e.tags:
            item["tags"] = list(e.tags)
        if e.source_url:
            item["source"] = e.source_url
        entries.append(item)
    return yaml.safe_dump({"entries": entries}, sort_keys=False, allow_unicode=True, width=100)


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """Load data/demo/faq.yaml into a server (idempotent)."""
    text = (Path(DEMO_DIR) / "faq.yaml").read_text(encoding="utf-8")
    report = await import_entries(db, guild_id, text, now)
    return f"faq: {report.summary()}"
