"""The FAQ: entries, the one search over them, the thesaurus of members' words, and the gaps.

- `entries`: add, edit, remove, aliases, the YAML file (import, export), the demo.
- `matching`: the search by meaning (thesaurus concepts, intent, typos), the confidence rule,
  autocomplete, related questions.
- `thesaurus`: the shipped labour-relations thesaurus and each server's own synonyms.
- `gaps`: questions the FAQ could not answer, grouped for organizers, closed by an alias or a
  new entry.

Callers use the names re-exported here (`from bot import faq; faq.ask(...)`).
"""

from __future__ import annotations

from bot.faq.entries import (
    ALIASES_MAX,
    ANSWER_MAX,
    QUESTION_MAX,
    URL_MAX,
    Entry,
    ImportReport,
    add,
    add_aliases,
    all_entries,
    by_key,
    edit,
    export_entries,
    get,
    import_entries,
    load_demo,
    merge_aliases,
    parse_file,
    remove,
)
from bot.faq.gaps import (
    KEEP_FOR,
    TIMERS,
    Gap,
    add_as_alias,
    add_entry,
    ask,
    forget_phrasings,
    gap,
    gaps,
    record_miss,
)
from bot.faq.matching import (
    SUGGEST_THRESHOLD,
    THRESHOLD,
    Answer,
    Match,
    best,
    find_entry,
    lookup,
    meanings,
    related,
    search,
    suggest,
)
from bot.faq.personal_data import PERSONAL_DATA
from bot.faq.text import KEY_MAX, content_terms, make_key, split_list, stem, words
from bot.faq.thesaurus import Synonym, add_synonym, remove_synonym, synonyms

__all__ = [
    "ALIASES_MAX",
    "ANSWER_MAX",
    "KEEP_FOR",
    "KEY_MAX",
    "PERSONAL_DATA",
    "QUESTION_MAX",
    "SUGGEST_THRESHOLD",
    "THRESHOLD",
    "TIMERS",
    "URL_MAX",
    "Answer",
    "Entry",
    "Gap",
    "ImportReport",
    "Match",
    "Synonym",
    "add",
    "add_aliases",
    "add_as_alias",
    "add_entry",
    "add_synonym",
    "all_entries",
    "ask",
    "best",
    "by_key",
    "content_terms",
    "edit",
    "export_entries",
    "find_entry",
    "forget_phrasings",
    "gap",
    "gaps",
    "get",
    "import_entries",
    "load_demo",
    "lookup",
    "make_key",
    "meanings",
    "merge_aliases",
    "parse_file",
    "record_miss",
    "related",
    "remove",
    "remove_synonym",
    "search",
    "split_list",
    "stem",
    "suggest",
    "synonyms",
    "words",
]
