"""The one FAQ search, used by `/faq`, its autocomplete and `rankfile faq search`.

A member's question is read in their own words: misspellings are corrected against the
server's vocabulary (rapidfuzz), then words and phrases become concepts through the thesaurus
(bot/faq/thesaurus.py), so "who negotiates for the studios" meets "who bargains for the
employers" although they share no word; a message that asks several things is read as several
questions. SQLite FTS5 (bm25, question and aliases over the answer) finds the candidates from
the concepts' words; each is scored in [0, 1] by how much of the question it covers (concepts
weighted by rarity), how much of its closest phrasing the question says, and whether it
answers the same kind of question (who, when, where, what happens if...).

Confidence: the best entry is the answer only when it scores at least THRESHOLD and clearly
beats the next one (MARGIN), unless it scores SURE. Otherwise the member is "not sure"-ed:
shown the closest matches and the committee, never one confident answer. The constants are
tuned on the `tune` half of tests/faq_labelled.yaml only (bench/faq.py reports both halves).

Member text never reaches MATCH as syntax: terms are letters and digits, each quoted.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.db import Database
from bot.core.errors import NotFound
from bot.faq import _cache, entries, thesaurus
from bot.faq.entries import Entry
from bot.faq.text import STOPWORDS, parts, stem, words

# A score from 0 to 1; below this the best match is never given as the answer.
THRESHOLD = 0.65
# ... and it must beat the next entry by this much, unless it scores SURE.
MARGIN = 0.08
SURE = 0.95
# Autocomplete and "closest matches" show weaker matches too: the member picks, the bot does
# not assert.
SUGGEST_THRESHOLD = 0.2
# Only the start of a very long question is searched (a 4,000-character paste stays fast).
QUERY_CHARS = 300
CANDIDATES = 60
# A word in more than this share of a server's entries does not pick candidates (it still
# counts in the score) unless the question has no rarer word.
COMMON = 0.25
# Weights of the score: coverage of the question, closeness to one phrasing, overlap with one
# phrasing (both ways), same intent. They add up to 1. An entry with many aliases covers most
# words of its subject in their union, so the single closest phrasing weighs more than the
# union (tuned on the tune half with the demo FAQ's members'-words aliases).
W_COVER, W_CLOSE, W_DICE, W_INTENT = 0.27, 0.37, 0.18, 0.18
# Intent: same kind of question, unknown (either side has none), different kind.
INTENT_SAME, INTENT_UNKNOWN, INTENT_OTHER = 1.0, 0.5, 0.0
# A "light" concept of the thesaurus (how a question is asked: "covered", "see") weighs this
# much of a subject's weight.
LIGHT = 0.5
# A word no entry uses ("seniority", "fund") weighs this much more than the rarest known one:
# a question about something the FAQ never mentions is not answered by the word it shares.
UNKNOWN = 1.5
# A confident answer says the question's rarest known subject, or this share of its subjects.
KEY_SHARE = 0.75
# ... and uses at most this many words no entry (nor the thesaurus) knows: a question about
# things the FAQ never mentions is not answered by the few words it shares with an entry.
MAX_UNKNOWN = 1
# An entry's answer text counts for this much of a term found in its question or aliases.
WEAK = 0.5

SIGNATURE = (
    "SELECT count(*), max(updated_at), max(id), "
    "(SELECT count(*) || ':' || coalesce(max(id), 0) FROM faq_synonym WHERE guild_id = ?1) "
    "FROM faq_entry WHERE guild_id = ?1"
)
# Weights of bm25 per column: question, aliases (and tags), answer.
FTS_SEARCH = (
    "SELECT faq_fts.rowid AS id, bm25(faq_fts, 10.0, 6.0, 1.0) AS rank FROM faq_fts "
    "JOIN faq_entry ON faq_entry.id = faq_fts.rowid "
    "WHERE faq_fts MATCH ? AND faq_entry.guild_id = ? ORDER BY rank LIMIT ?"
)


@dataclass(frozen=True)
class Match:
    """A search result: the entry, how well it answers (0 to 1), and whether to assert it."""

    entry: Entry
    score: float
    confident: bool = False


@dataclass(frozen=True)
class Answer:
    """What `/faq` does with a question: the confident match, or the closest ones."""

    match: Match | None
    closest: list[Match]

    @property
    def sure(self) -> bool:
        """A confident answer was found."""
        return self.match is not None


@dataclass(frozen=True)
class _Phrasing:
    terms: frozenset[str]
    intent: str | None


@dataclass
class _Index:
    signature: tuple[Any, ...]
    words: thesaurus.Thesaurus
    entries: dict[int, Entry] = field(default_factory=dict)
    strong: dict[int, frozenset[str]] = field(default_factory=dict)
    weak: dict[int, frozenset[str]] = field(default_factory=dict)
    phrasings: dict[int, list[_Phrasing]] = field(default_factory=dict)
    intents: dict[int, frozenset[str]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    unknown_idf: float = 1.0
    light: frozenset[str] = frozenset()
    common: frozenset[str] = frozenset()
    # The raw words behind the terms, for correcting misspellings before anything else.
    vocabulary: list[str] = field(default_factory=list)
    by_initial: dict[str, list[str]] = field(default_factory=dict)
    known: frozenset[str] = frozenset()
    used: frozenset[str] = frozenset()  # the words the entries themselves use
    # Each concept's words as the full-text index holds them (to find candidates).
    surface: dict[str, set[str]] = field(default_factory=dict)
    # Phrasings as the member wrote them, for an exact question picked from autocomplete.
    exact: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Query:
    terms: list[str]
    intent: str | None


def _read(text: str, index: _Index) -> _Query:
    terms, intent = index.words.analyse([_correct(w, index) for w in words(text)[:60]])
    return _Query(list(dict.fromkeys(terms))[:40], intent)


async def _index(db: Database, guild_id: int) -> _Index:
    row = await db.fetchone(SIGNATURE, (guild_id,))
    signature = tuple(row) if row else ()
    cached = _cache.get(db, guild_id)
    if cached is not None and cached.signature == signature:
        return cached
    generation = _cache.generation(db, guild_id)
    words_of = await thesaurus.for_guild(db, guild_id)
    index = _Index(signature, words_of)
    df: Counter[str] = Counter()
    stem_df: Counter[str] = Counter()
    used: set[str] = set()
    for entry in await entries.all_entries(db, guild_id):
        index.entries[entry.id] = entry
        phrasings = []
        for text in (entry.question, *entry.aliases):
            terms, intent = words_of.analyse(words(text))
            if terms:
                phrasings.append(_Phrasing(frozenset(terms), intent))
            index.exact.setdefault(text.strip().casefold(), entry.id)
        index.exact.setdefault(entry.question[:100].casefold(), entry.id)
        # Tags are categories shared by several entries: they count like the answer.
        tags = [t for tag in entry.tags for t in words_of.analyse(words(tag))[0]]
        strong = frozenset().union(*(p.terms for p in phrasings))
        weak = frozenset(words_of.analyse(words(entry.answer))[0]).union(tags)
        index.strong[entry.id] = strong
        index.weak[entry.id] = weak
        index.phrasings[entry.id] = phrasings
        index.intents[entry.id] = frozenset(p.intent for p in phrasings if p.intent)
        df.update(strong | weak)
        mine: set[str] = set()
        for text in (entry.question, *entry.aliases, *entry.tags, entry.answer):
            mine.update(w for w in words(text) if w not in STOPWORDS)
        used |= mine
        stem_df.update({stem(w) for w in mine})
    raw = used | words_of.vocabulary
    n = max(len(index.entries), 1)
    index.idf = {
        t: math.log(1 + n / c) * (LIGHT if t in words_of.light else 1.0) for t, c in df.items()
    }
    index.light = words_of.light
    index.unknown_idf = math.log(1 + n) * UNKNOWN
    index.vocabulary = sorted(raw)
    for word in index.vocabulary:
        index.by_initial.setdefault(word[0], []).append(word)
    index.known = frozenset(raw | words_of.known_filler)
    index.used = frozenset(used)
    # Only the words some entry uses: the others would find nothing and slow the query down.
    present = {stem(w) for w in used}
    index.surface = {
        concept: {s for s in found if s in present} for concept, found in words_of.surface().items()
    }
    # Words in most entries find every entry: the rarer words of a question pick candidates.
    index.common = frozenset(s for s, c in stem_df.items() if c > max(COMMON * n, 20))
    _cache.keep(db, guild_id, index, generation)
    return index


def _correct(word: str, index: _Index) -> str:
    """The word, or the vocabulary's closest word when it looks misspelt."""
    if (
        word in index.known
        or word in STOPWORDS
        or len(word) < 5
        or word.isdigit()
        or not index.vocabulary
    ):
        return word
    if stem(word) in index.idf:
        return word
    # Members' typos keep the first letter and are an edit or two away ("contarct", "helth",
    # "fiath"); a real word further away ("shifts", "speaks") is left alone.
    edits = 1 if len(word) < 8 else 2
    # A word with the same stem is another form, not a correction: the thesaurus's words kept
    # "as written" ("=resumed") must not swallow a different word ("resume", a CV).
    choices = [
        v
        for v in index.by_initial.get(word[0], ())
        if abs(len(v) - len(word)) <= edits and stem(v) != stem(word)
    ]
    found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=edits, limit=5)
    if not found:
        return word
    # The fewest edits, then a word the FAQ itself uses ("contrct" is its "contract", not the
    # thesaurus's "contact"), then the same length.
    return min(
        found,
        key=lambda f: (f[1], f[0] not in index.used, abs(len(f[0]) - len(word)), f[0]),
    )[0]


def _fts_query(terms: set[str], prefix: str | None, index: _Index) -> str:
    """An FTS5 expression that treats every term as text: quoted, OR'd, no operators."""
    found: set[str] = set()
    for term in terms:
        found.update(index.surface.get(term, ()))
        if term.isalnum() and (term in index.idf or term not in index.surface):
            found.add(term)
    rare = {t for t in found if t not in index.common}
    parts_ = [f'"{t}"' for t in sorted(rare or found) if t.isalnum()]
    if prefix:
        parts_.append(f'"{prefix}"*')
    return " OR ".join(parts_)


def _features(
    entry_id: int, query: _Query, prefix: str | None, index: _Index
) -> tuple[float, float, float, float]:
    """What the score is made of, each in [0, 1]: how much of the question the entry covers
    (its answer counting WEAK), how much of its closest phrasing the question says, how well
    the best single phrasing and the question overlap both ways (Dice), and the intent."""
    strong, weak = index.strong[entry_id], index.weak[entry_id]
    weights = {
        t: index.idf.get(t, index.unknown_idf * (LIGHT if t in index.light else 1.0))
        for t in query.terms
    }
    total = sum(weights.values())
    got = sum(w * (1.0 if t in strong else WEAK if t in weak else 0.0) for t, w in weights.items())
    if prefix:
        total += 1.0
        got += 1.0 if any(t.startswith(prefix) for t in strong) else 0.0
    coverage = got / total if total else 0.0
    closeness = dice = 0.0
    asked = set(query.terms)
    for phrasing in index.phrasings[entry_id]:
        size = sum(index.idf.get(t, 1.0) for t in phrasing.terms)
        if size:
            shared = sum(index.idf.get(t, 1.0) for t in phrasing.terms & asked)
            closeness = max(closeness, shared / size)
            dice = max(dice, 2 * shared / (size + total) if total else 0.0)
    intents = index.intents[entry_id]
    if not query.intent or not intents:
        intent = INTENT_UNKNOWN
    else:
        intent = INTENT_SAME if query.intent in intents else INTENT_OTHER
    return coverage, closeness, dice, intent


def _score(entry_id: int, query: _Query, prefix: str | None, index: _Index) -> float:
    """How well one entry answers, from 0 to 1 (nothing covered: 0)."""
    coverage, closeness, dice, intent = _features(entry_id, query, prefix, index)
    if not coverage:
        return 0.0
    score = W_COVER * coverage + W_CLOSE * closeness + W_DICE * dice + W_INTENT * intent
    return round(min(1.0, score), 4)


def _confident(ranked: list[tuple[float, int]]) -> bool:
    """The first of a ranked list is sure enough to be the answer."""
    if not ranked or ranked[0][0] < THRESHOLD:
        return False
    second = ranked[1][0] if len(ranked) > 1 else 0.0
    return ranked[0][0] >= SURE or ranked[0][0] - second >= MARGIN


def _says_the_key(entry_id: int, query: _Query, index: _Index) -> bool:
    """The entry says the question's rarest subject (its most telling known concept), or most
    of what the question is about: two questions that share only their common words ("who
    bargains...") are not the same question."""
    # A number names a local or a year: the words around it say what is asked.
    known = [t for t in query.terms if t in index.idf and t not in index.light and not t.isdigit()]
    unknown = [
        t for t in query.terms if t not in index.idf and not t.isdigit() and t not in index.light
    ]
    if len(unknown) > MAX_UNKNOWN:
        return False
    if not known:
        return True
    said = index.strong[entry_id] | index.weak[entry_id]
    rarest = max(index.idf[t] for t in known)
    if any(t in said for t in known if index.idf[t] >= rarest - 1e-9):
        return True
    share = sum(index.idf[t] for t in known if t in said) / sum(index.idf[t] for t in known)
    return share >= KEY_SHARE


async def _ranked(
    db: Database, guild_id: int, text: str, prefix: bool
) -> tuple[_Index, list[Match]]:
    """Every candidate entry, best first, each with its score and whether it is confident."""
    index = await _index(db, guild_id)
    if not index.entries:
        return index, []
    text = text[:QUERY_CHARS]
    last = None
    if prefix:
        typed = words(text)
        if typed and not text.rstrip().endswith(tuple(" .?!")) and len(typed[-1]) >= 2:
            last = typed[-1]
            text = text[: text.lower().rfind(last)] if last in text.lower() else text
    # Autocomplete reads what is typed as one question; a sent message may hold several.
    queries = [_read(p, index) for p in ([text] if prefix else parts(text))]
    queries = [q for q in queries if q.terms] or ([_Query([], None)] if last else [])
    if not queries:
        return index, []
    asked = {t for q in queries for t in q.terms}
    rows = await db.fetchall(FTS_SEARCH, (_fts_query(asked, last, index), guild_id, CANDIDATES))
    best_rank = min((r["rank"] for r in rows), default=0.0)
    tiebreak = {r["id"]: (r["rank"] / best_rank) * 0.001 if best_rank else 0.0 for r in rows}
    per_query = []
    for query in queries:
        scored = sorted(
            ((_score(r["id"], query, last, index), r["id"]) for r in rows),
            key=lambda s: -(s[0] + tiebreak[s[1]]),
        )
        per_query.append((scored, query))
    # The answer comes from the question the FAQ answers best; the others add close matches.
    per_query.sort(key=lambda found: -(found[0][0][0] if found[0] else 0.0))
    sure = _confident(per_query[0][0]) and _says_the_key(
        per_query[0][0][0][1], per_query[0][1], index
    )
    per_query = [scored for scored, _ in per_query]
    best: dict[int, float] = {}
    for scored in per_query:
        for score, entry_id in scored:
            best[entry_id] = max(best.get(entry_id, 0.0), score)
    order = sorted(best, key=lambda i: -(best[i] + tiebreak[i]))
    if per_query[0]:
        top = per_query[0][0][1]
        order = [top] + [i for i in order if i != top]
    matches = [
        Match(index.entries[i], best[i], confident=sure and n == 0) for n, i in enumerate(order)
    ]
    return index, matches


async def meanings(db: Database, guild_id: int, texts: list[str]) -> list[frozenset[str]]:
    """What each text means to the search: its concepts, typos corrected (to group texts)."""
    index = await _index(db, guild_id)
    return [
        frozenset(t for part in parts(text[:QUERY_CHARS]) for t in _read(part, index).terms)
        for text in texts
    ]


async def search(
    db: Database,
    guild_id: int,
    text: str,
    *,
    limit: int = 5,
    min_score: float = THRESHOLD,
    prefix: bool = False,
) -> list[Match]:
    """The entries closest to `text`, best first, each scoring at least `min_score`.

    Only the first can be `confident` (see `lookup` for the decision `/faq` makes). Any text
    is safe: FTS syntax, quotes and mentions are just words; `prefix=True` (autocomplete)
    reads the last word as unfinished.
    """
    _, matches = await _ranked(db, guild_id, text, prefix)
    return [m for m in matches if m.score >= min_score][:limit]


async def lookup(db: Database, guild_id: int, text: str, *, closest: int = 3) -> Answer:
    """What to tell a member who asked `text`: the confident answer, or the closest matches.

    An exact question or alias (picked from autocomplete) is always the answer.
    """
    index, matches = await _ranked(db, guild_id, text, False)
    exact = index.exact.get(text.strip().casefold())
    if exact is not None:
        return Answer(Match(index.entries[exact], 1.0, confident=True), [])
    if matches and matches[0].confident:
        return Answer(matches[0], [])
    near = [m for m in matches if m.score >= SUGGEST_THRESHOLD][:closest]
    return Answer(None, near)


async def best(db: Database, guild_id: int, text: str) -> Match | None:
    """The confident answer to `text`, or None."""
    return (await lookup(db, guild_id, text, closest=0)).match


async def suggest(db: Database, guild_id: int, typed: str, limit: int = 25) -> list[Entry]:
    """Questions for autocomplete while a member types (all of them, in order, when empty)."""
    if not typed.strip():
        return (await entries.all_entries(db, guild_id))[:limit]
    found = await search(db, guild_id, typed, limit=limit, min_score=SUGGEST_THRESHOLD, prefix=True)
    return [m.entry for m in found]


async def related(db: Database, guild_id: int, entry: Entry, limit: int = 3) -> list[Entry]:
    """Other entries close to this one (shared tags first), for "related questions" buttons."""
    found = await search(
        db, guild_id, "\n".join((entry.question, *entry.aliases)), limit=limit + 1, min_score=0.15
    )
    others = [m.entry for m in found if m.entry.id != entry.id]
    if entry.tags:
        tagged = [
            e for e in await entries.all_entries(db, guild_id) if set(e.tags) & set(entry.tags)
        ]
        others = [e for e in tagged if e.id != entry.id] + others
    return list({e.id: e for e in others}.values())[:limit]


async def find_entry(db: Database, guild_id: int, text: str) -> Entry:
    """An entry named by organizers: `#12`, `12`, its key, or its question (autocomplete)."""
    cleaned = text.strip().lstrip("#")
    if cleaned.isdigit():
        return await entries.get(db, guild_id, int(cleaned))
    found = await entries.by_key(db, guild_id, cleaned)
    if found is not None:
        return found
    match = await best(db, guild_id, text)
    if match is None:
        raise NotFound("No FAQ entry matches that: pick one from the list as you type.")
    return match.entry
