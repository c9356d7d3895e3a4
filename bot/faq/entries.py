"""FAQ entries: add, edit, remove, aliases, the YAML file (import, export) and the demo.

Every change writes the entry's row and its full-text row (`faq_fts`, the candidates of the
search) in one transaction, audited, and drops the server's cached search index.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.core import audit
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.paths import DEMO_DIR
from bot.faq import _cache
from bot.faq.text import KEY_MAX, content_terms, make_key

QUESTION_MAX = 200
ANSWER_MAX = 3000
ALIASES_MAX = 1000
URL_MAX = 500

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
FTS_INSERT = "INSERT INTO faq_fts (rowid, question, aliases, answer) VALUES (?, ?, ?, ?)"
FTS_DELETE = "DELETE FROM faq_fts WHERE rowid = ?"


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


def _fts_text(text: str) -> str:
    return " ".join(content_terms(text))


async def _write_index(
    db: Database, guild_id: int, entry_id: int, question: str, answer: str, extra: str
) -> None:
    _cache.forget(db, guild_id)
    await db.execute(FTS_DELETE, (entry_id,))
    await db.execute(
        FTS_INSERT,
        (
            entry_id,
            _fts_text(question),
            _fts_text(extra),
            _fts_text(answer),
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
        _cache.forget(db, guild_id)
        await db.execute(FTS_DELETE, (entry_id,))
        await db.execute(DELETE, (guild_id, entry_id))
        await audit.record(db, guild_id, actor_id, "faq.remove", f"faq #{entry_id}", entry.key, now)
    return entry


def merge_aliases(entry: Entry, phrasings: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The entry's aliases with members' phrasings added (new ones only, while they fit)."""
    known = {p.casefold() for p in (entry.question, *entry.aliases)}
    merged = list(entry.aliases)
    for phrasing in phrasings:
        cleaned = " ".join(phrasing.split())[:QUESTION_MAX]
        if not cleaned or cleaned.casefold() in known:
            continue
        if len("\n".join((*merged, cleaned))) > ALIASES_MAX:
            break
        merged.append(cleaned)
        known.add(cleaned.casefold())
    return tuple(merged)


async def add_aliases(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    entry_id: int,
    phrasings: list[str] | tuple[str, ...],
    now: datetime,
) -> Entry:
    """Add members' own phrasings to an entry's aliases (audited as an edit)."""
    async with db.transaction():
        entry = await get(db, guild_id, entry_id)
        aliases = merge_aliases(entry, phrasings)
        if aliases == entry.aliases and phrasings:
            if len("\n".join((*entry.aliases, phrasings[0]))) > ALIASES_MAX:
                raise UserError(
                    f"FAQ #{entry.id} has no room for another alias ({ALIASES_MAX} characters"
                    " in all): edit it with `/faqs edit` to make room."
                )
            return entry
        return await edit(
            db,
            guild_id,
            actor_id,
            entry.id,
            now,
            question=entry.question,
            answer=entry.answer,
            aliases=aliases,
            tags=entry.tags,
            source_url=entry.source_url,
        )


async def get(db: Database, guild_id: int, entry_id: int) -> Entry:
    """One entry of this server, or NotFound."""
    row = await db.fetchone(BY_ID, (guild_id, entry_id))
    if row is None:
        raise NotFound(f"There is no FAQ entry #{entry_id}: pick one from the list as you type.")
    return _entry(row)


async def by_key(db: Database, guild_id: int, key: str) -> Entry | None:
    """The entry with this key (from the YAML file's `id`), or None."""
    row = await db.fetchone(BY_KEY, (guild_id, key))
    return _entry(row) if row is not None else None


async def all_entries(db: Database, guild_id: int) -> list[Entry]:
    """Every entry of the server, oldest first."""
    return [_entry(r) for r in await db.fetchall(ALL, (guild_id,))]


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
    return yaml.dump(
        {"entries": entries},
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


class _BlockDumper(yaml.SafeDumper):
    """YAML an organizer can edit by hand: multi-line text as `|` blocks, long lines folded
    (`>`), never quoted strings broken across lines."""


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data.rstrip("\n") else ">" if len(data) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BlockDumper.add_representer(str, _text)


async def load_demo(db: Database, guild_id: int, now: datetime) -> str:
    """Load data/demo/faq.yaml into a server (idempotent)."""
    text = (Path(DEMO_DIR) / "faq.yaml").read_text(encoding="utf-8")
    report = await import_entries(db, guild_id, text, now)
    return f"faq: {report.summary()}"
