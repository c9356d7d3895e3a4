"""Text as the FAQ search sees it: words, light stems, stopwords, keys and typed lists.

The same functions cut the entries (when they are indexed) and the member's question (when it
is searched), so both meet on the same terms.
"""

from __future__ import annotations

import re
import unicodedata

KEY_MAX = 60

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
# Where one message asks several things: a question mark, a semicolon, a new line, or "and"
# before a new question word ("when does it expire and are we striking").
_PARTS = re.compile(
    r"[?;\n]+|\.\s+|\band\s+(?=(?:who|when|where|why|how|what|is|are|will|can|do|does)\b)"
)


def words(text: str) -> list[str]:
    """Lower-case words of letters and digits, accents removed: everything else is a space."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(folded.replace("'s", "").replace("’s", ""))


def stem(word: str) -> str:
    """A light English stem (ratify/ratified/ratification -> ratif), same for index and query."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 3:
            word = word[: len(word) - len(suffix)] + replacement
            break
    return word[:8]


def content_terms(text: str) -> list[str]:
    """The stems of a text's meaningful words, in order, stopwords dropped (the FTS index)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def parts(text: str) -> list[str]:
    """The questions in one message: "when does it end? are we striking" is two."""
    found = [p.strip() for p in _PARTS.split(text) if p and p.strip()]
    return found or [text]


def make_key(text: str) -> str:
    """A stable, readable key from a question ("What is a TA?" -> what-is-a-ta)."""
    return "-".join(words(text))[:KEY_MAX].strip("-") or "entry"


def split_list(text: str | None) -> tuple[str, ...]:
    """Aliases or tags typed one per line (or separated by `;`), blanks dropped."""
    if not text:
        return ()
    pieces = re.split(r"[\n;]+", text)
    return tuple(dict.fromkeys(p.strip() for p in pieces if p.strip()))
