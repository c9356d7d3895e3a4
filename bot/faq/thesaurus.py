"""Members' words for the committee's: the labour-relations thesaurus the FAQ search uses.

The base thesaurus ships in `data/faq_thesaurus.yaml` (concepts, filler words, question
intents); each server's organizers add their own pairs ("crew" means "members") with
`/faqs synonym add`, kept in `faq_synonym`. Both directions hold because both words become
the same concept: the entries' phrasings and the member's question are read through the same
`Thesaurus.analyse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml

from bot.core import audit
from bot.core.db import Database, from_db, to_db
from bot.core.errors import NotFound, UserError
from bot.core.paths import DATA_DIR
from bot.faq import _cache
from bot.faq.text import STOPWORDS, stem, words

PATH = Path(DATA_DIR) / "faq_thesaurus.yaml"
TERM_MAX = 60
# The concept of filler phrases ("on the line"): matched, then dropped.
FILLER = ""
# Per server: enough for a campaign's own vocabulary, few enough to stay reviewable.
SYNONYMS_MAX = 200

ADD = (
    "INSERT INTO faq_synonym (guild_id, term, means, created_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (guild_id, term, means) DO NOTHING"
)
REMOVE = "DELETE FROM faq_synonym WHERE guild_id = ? AND term = ?"
LIST = "SELECT term, means, created_at FROM faq_synonym WHERE guild_id = ? ORDER BY term, means"
COUNT = "SELECT count(*) FROM faq_synonym WHERE guild_id = ?"


@dataclass(frozen=True)
class Synonym:
    """One server's pair: members say `term` where the FAQ says `means`."""

    term: str
    means: str
    created_at: datetime


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


@dataclass
class Thesaurus:
    """Phrases (as stem sequences) to concepts, filler stems, intents; one per server."""

    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    # Words matched as written, not by stem ("=news" in the file: news is not "new").
    exact: dict[str, str] = field(default_factory=dict)
    filler: frozenset[str] = frozenset()
    # Concepts that say how a question is asked more than what it is about: they weigh less.
    light: frozenset[str] = frozenset()
    intents: dict[tuple[str, ...], str] = field(default_factory=dict)
    # Every word the thesaurus knows, unstemmed: typos are corrected towards these too.
    vocabulary: set[str] = field(default_factory=set)
    longest: int = 1
    # Filler words as typed: never corrected, never a correction.
    known_filler: set[str] = field(default_factory=set)

    def add(self, phrase: str, concept: str) -> None:
        """Map a word or phrase to a concept (the first mapping of a phrase wins)."""
        if phrase.startswith("=") and len(words(phrase)) == 1:
            word = words(phrase)[0]
            self.exact.setdefault(word, concept)
            self.vocabulary.add(word)
            return
        stems = _stems(phrase)
        if not stems:
            return
        self.phrases.setdefault(stems, concept)
        self.longest = max(self.longest, len(stems))
        self.vocabulary.update(w for w in words(phrase) if w not in STOPWORDS)

    def concept_of(self, phrase: str) -> str | None:
        """The concept a word or phrase already maps to, if any."""
        return self.phrases.get(_stems(phrase))

    def with_synonyms(self, pairs: list[Synonym]) -> Thesaurus:
        """A copy with a server's own pairs: each term joins the concept of what it means."""
        out = Thesaurus(
            dict(self.phrases),
            dict(self.exact),
            self.filler,
            self.light,
            self.intents,
            set(self.vocabulary),
            self.longest,
            self.known_filler,
        )
        for pair in pairs:
            concept = out.concept_of(pair.means) or "_".join(_stems(pair.means))
            out.add(pair.means, concept)
            # A server's pair overrides the base: organizers know their members' words.
            stems = _stems(pair.term)
            if stems:
                out.phrases[stems] = concept
                out.longest = max(out.longest, len(stems))
                out.vocabulary.update(w for w in words(pair.term) if w not in STOPWORDS)
        return out

    def intent(self, stems: list[str]) -> str | None:
        """The kind of answer wanted: the first intent phrase in the question (longest wins)."""
        for i in range(len(stems)):
            for size in range(min(4, len(stems) - i), 0, -1):
                found = self.intents.get(tuple(stems[i : i + size]))
                if found:
                    return found
        return None

    def analyse(self, raw: list[str]) -> tuple[list[str], str | None]:
        """Concepts (or plain stems) of a text's words, in order, and its intent.

        Phrases are matched on all the words, stopwords included ("run out", "have to"), the
        longest first; what no phrase covers is kept as its stem unless it is a stopword or
        filler.
        """
        stems = [stem(w) for w in raw]
        out: list[str] = []
        i = 0
        while i < len(stems):
            for size in range(min(self.longest, len(stems) - i), 0, -1):
                concept = self.phrases.get(tuple(stems[i : i + size]))
                if size == 1 and raw[i] in self.exact:
                    concept = self.exact[raw[i]]
                if concept is not None:
                    if concept != FILLER:
                        out.append(concept)
                    i += size
                    break
            else:
                if raw[i] not in STOPWORDS and stems[i] not in self.filler:
                    out.append(stems[i])
                i += 1
        return out, self.intent(stems)

    def surface(self) -> dict[str, set[str]]:
        """Each concept's words as the full-text index holds them (stems, no stopwords)."""
        found: dict[str, set[str]] = {}
        for word, concept in self.exact.items():
            found.setdefault(concept, set()).add(stem(word))
        for stems, concept in self.phrases.items():
            if concept == FILLER:
                continue
            found.setdefault(concept, set()).update(
                s for s in stems if s not in STOPWORDS and len(s) > 1
            )
        return found


@cache
def base() -> Thesaurus:
    """The shipped thesaurus (data/faq_thesaurus.yaml), read once."""
    data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    out = Thesaurus()
    for concept, phrases in data["concepts"].items():
        for phrase in phrases:
            out.add(str(phrase), str(concept))
    out.light = frozenset(str(c) for c in data.get("light", []))
    filler = [str(item) for item in data.get("filler", [])]
    out.filler = frozenset(stem(words(item)[0]) for item in filler if len(words(item)) == 1)
    for phrase in filler:
        if len(words(phrase)) > 1:
            out.add(phrase, FILLER)
    out.known_filler = {w for item in filler for w in words(item)}
    for intent, phrases in data.get("intents", {}).items():
        for phrase in phrases:
            out.intents.setdefault(_stems(str(phrase)), str(intent))
    return out


async def synonyms(db: Database, guild_id: int) -> list[Synonym]:
    """The server's own pairs, alphabetically."""
    rows = await db.fetchall(LIST, (guild_id,))
    return [Synonym(r["term"], r["means"], from_db(r["created_at"])) for r in rows]  # type: ignore[arg-type]


async def for_guild(db: Database, guild_id: int) -> Thesaurus:
    """The base thesaurus with the server's own pairs."""
    pairs = await synonyms(db, guild_id)
    return base().with_synonyms(pairs) if pairs else base()


def _clean(text: str, what: str) -> str:
    cleaned = " ".join(text.split()).lower()
    if not words(cleaned):
        raise UserError(f"Type the {what} as a word or a short phrase.")
    if len(cleaned) > TERM_MAX:
        raise UserError(f"Keep the {what} under {TERM_MAX} characters.")
    return cleaned


async def add_synonym(
    db: Database, guild_id: int, actor_id: int | None, term: str, means: str, now: datetime
) -> Synonym:
    """Teach the search that members say `term` for the FAQ's `means` (audited)."""
    term, means = _clean(term, "members' word"), _clean(means, "FAQ's word")
    if _stems(term) == _stems(means):
        raise UserError("The two words are the same to the search already.")
    async with db.transaction():
        row = await db.fetchone(COUNT, (guild_id,))
        if row and row[0] >= SYNONYMS_MAX:
            raise UserError(
                f"This server has {SYNONYMS_MAX} synonyms: remove some with "
                "`/faqs synonym remove` first."
            )
        await db.execute(ADD, (guild_id, term, means, to_db(now)))
        _cache.forget(db, guild_id)
        await audit.record(db, guild_id, actor_id, "faq.synonym_add", term, means, now)
    return Synonym(term, means, now)


async def remove_synonym(
    db: Database, guild_id: int, actor_id: int | None, term: str, now: datetime
) -> int:
    """Forget a server's word (all its pairs, audited); NotFound if it has none."""
    term = _clean(term, "members' word")
    async with db.transaction():
        removed = await db.execute(REMOVE, (guild_id, term))
        if not removed:
            raise NotFound(
                f"“{term}” is not one of this server's synonyms: see `/faqs synonym list`."
            )
        _cache.forget(db, guild_id)
        await audit.record(db, guild_id, actor_id, "faq.synonym_remove", term, None, now)
    return removed
