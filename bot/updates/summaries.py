"""Structured summaries: what a tentative agreement (or MOA) changes, article by article.

Organizers write a YAML file (per article or topic: current terms, new terms, the kind of
change, a plain-language note) and attach it to an update; it is validated field by field and
stored whole or not at all. Members browse it article by article, the current and new terms
side by side, split over several fields (never cut) when longer than Discord allows, or as one
Markdown document. Every note is shown as a summary, not contract language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from bot.core import audit
from bot.core.db import Database, from_db, to_db
from bot.core.errors import NotFound, UserError
from bot.core.render import Colour, embed, truncate
from bot.updates import model

KINDS = ("added", "changed", "removed")
ITEMS_MAX = 60
ARTICLE_MAX = 100
TERMS_MAX = 8000
NOTE_MAX = 1000
TITLE_MAX = 200
FILE_MAX = 512_000
FIELD_MAX = 1024  # Discord's limit for an embed field's value
NOT_CONTRACT = "Plain-language summary, not contract language"
ERRORS_SHOWN = 10

UPSERT = (
    "INSERT INTO update_summary (update_id, guild_id, title, imported_at, imported_by) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (update_id) DO UPDATE SET title = excluded.title, "
    "imported_at = excluded.imported_at, imported_by = excluded.imported_by"
)
CLEAR_ITEMS = "DELETE FROM update_summary_item WHERE update_id = ?"
INSERT_ITEM = (
    "INSERT INTO update_summary_item (update_id, position, article, kind, current_terms, "
    "new_terms, note) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
GET = "SELECT * FROM update_summary WHERE guild_id = ? AND update_id = ?"
ITEMS = "SELECT * FROM update_summary_item WHERE update_id = ? ORDER BY position"


@dataclass(frozen=True)
class Item:
    """One article or topic of a summary."""

    article: str
    kind: str
    current: str | None
    new: str | None
    note: str


@dataclass(frozen=True)
class Summary:
    """A stored summary of an update."""

    update_id: int
    title: str | None
    items: tuple[Item, ...]
    imported_at: datetime

    def counts(self) -> dict[str, int]:
        """How many articles are added, changed, removed."""
        return {k: sum(1 for i in self.items if i.kind == k) for k in KINDS}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise TypeError
    text = str(value).strip()
    return text or None


def parse(text: str) -> tuple[str | None, list[Item]]:
    """Read and check a summary file; UserError listing every bad field (up to ten).

    The file is a mapping with an optional `title` and `items`, a list of mappings with
    `article`, `kind` (added, changed, removed), `current` (not for added), `new` (not for
    removed) and `note` (plain language).
    """
    if len(text) > FILE_MAX:
        raise UserError(f"The file is {len(text):,} characters; keep it under {FILE_MAX:,}.")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UserError(
            f"The file is not valid YAML{where}. It should look like:\n"
            "```yaml\nitems:\n  - article: Wages\n    kind: changed\n    current: ...\n"
            "    new: ...\n    note: ...\n```"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise UserError("The file needs an `items:` list, one entry per article or topic.")
    raw = data["items"]
    problems: list[str] = []
    title = None
    try:
        title = _text(data.get("title"))
    except TypeError:
        problems.append("`title` must be text.")
    if title and len(title) > TITLE_MAX:
        problems.append(f"`title` is {len(title)} characters; keep it to {TITLE_MAX}.")
    if not raw:
        problems.append("`items` is empty: add at least one article.")
    if len(raw) > ITEMS_MAX:
        problems.append(f"{len(raw)} items; a summary has at most {ITEMS_MAX}.")
    items: list[Item] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw[:ITEMS_MAX], start=1):
        if not isinstance(entry, dict):
            problems.append(f"Item {n}: should be a mapping with article, kind, note...")
            continue
        name = f"Item {n}"
        values: dict[str, str | None] = {}
        for key in ("article", "kind", "current", "new", "note"):
            try:
                values[key] = _text(entry.get(key))
            except TypeError:
                problems.append(f"{name}: `{key}` must be text, not a list or mapping.")
                values[key] = None
        article, kind = values["article"], (values["kind"] or "").lower()
        if article:
            name = f"Item {n} ({truncate(article, 40)})"
        unknown = sorted(set(entry) - {"article", "kind", "current", "new", "note"})
        if unknown:
            problems.append(f"{name}: unknown field `{unknown[0]}`.")
        if not article:
            problems.append(f"{name}: `article` is missing.")
        elif len(article) > ARTICLE_MAX:
            problems.append(f"{name}: `article` is over {ARTICLE_MAX} characters.")
        elif article.lower() in seen:
            problems.append(f"{name}: the same article is listed twice.")
        if article:
            seen.add(article.lower())
        if kind not in KINDS:
            problems.append(f"{name}: `kind` must be added, changed or removed.")
        if kind in ("changed", "removed") and not values["current"]:
            problems.append(f"{name}: `current` (the terms today) is missing.")
        if kind in ("changed", "added") and not values["new"]:
            problems.append(f"{name}: `new` (the proposed terms) is missing.")
        for key in ("current", "new"):
            if values[key] and len(values[key] or "") > TERMS_MAX:
                problems.append(f"{name}: `{key}` is over {TERMS_MAX:,} characters.")
        if not values["note"]:
            problems.append(f"{name}: `note` (what it means, in plain words) is missing.")
        elif len(values["note"] or "") > NOTE_MAX:
            problems.append(f"{name}: `note` is over {NOTE_MAX} characters.")
        items.append(
            Item(article or "", kind, values["current"], values["new"], values["note"] or "")
        )
    if problems:
        more = len(problems) - ERRORS_SHOWN
        shown = "\n".join(f"• {p}" for p in problems[:ERRORS_SHOWN])
        raise UserError(
            "The summary was not saved:\n" + shown + (f"\n…and {more} more." if more > 0 else "")
        )
    return title, items


async def import_summary(
    db: Database, guild_id: int, update_id: int, text: str, actor_id: int | None, now: datetime
) -> Summary:
    """Validate a summary file and store it on the update, replacing any earlier one
    (audited); nothing is saved when any field is bad."""
    title, items = parse(text)
    async with db.transaction():
        update = await model.get(db, guild_id, update_id)
        if update.retracted:
            raise UserError(f"Update #{update_id} was retracted: attach the summary to another.")
        await db.execute(UPSERT, (update_id, guild_id, title, to_db(now), actor_id))
        await db.execute(CLEAR_ITEMS, (update_id,))
        await db.executemany(
            INSERT_ITEM,
            [
                (update_id, n, i.article, i.kind, i.current, i.new, i.note)
                for n, i in enumerate(items)
            ],
        )
        await audit.record(
            db, guild_id, actor_id, "update.summary", f"update {update_id}", f"{len(items)}", now
        )
    return await get(db, guild_id, update_id)


async def get(db: Database, guild_id: int, update_id: int) -> Summary:
    """The summary attached to an update, or NotFound."""
    row = await db.fetchone(GET, (guild_id, update_id))
    if row is None:
        raise NotFound(
            f"Update #{update_id} has no summary of changes (yet). `/updates list` shows updates."
        )
    items = tuple(
        Item(r["article"], r["kind"], r["current_terms"], r["new_terms"], r["note"])
        for r in await db.fetchall(ITEMS, (update_id,))
    )
    return Summary(update_id, row["title"], items, from_db(row["imported_at"]))


# -- rendering ---------------------------------------------------------------------------

_KIND_LABEL = {"added": "➕ Added", "changed": "✏️ Changed", "removed": "➖ Removed"}


def chunks(text: str, size: int = FIELD_MAX) -> list[str]:
    """Text in pieces of at most `size` characters, split at line or word ends, never cut
    off: joined back they hold every word."""
    text = text.strip()
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut < size // 2:
            cut = text.rfind(" ", 0, size)
        if cut < size // 2:
            cut = size
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    out.append(text)
    return out


def overview_embed(update: model.Update, summary: Summary) -> dict[str, Any]:
    """`/updates changes ID`: counts by kind and the articles."""
    counts = summary.counts()
    head = " · ".join(f"{counts[k]} {k}" for k in KINDS)
    lines = [f"{_KIND_LABEL[i.kind]} · {truncate(i.article, 80)}" for i in summary.items]
    return embed(
        summary.title or f"What changes: #{update.id} · {truncate(update.title, 150)}",
        truncate(f"**{len(summary.items)} articles:** {head}\n\n" + "\n".join(lines), 4000),
        footer=f"{NOT_CONTRACT}. Pick an article below to read it side by side.",
        colour=Colour.INFO,
    )


def article_parts(summary: Summary, index: int) -> list[dict[str, Any]]:
    """One article as embeds, one per part: current and new terms side by side; terms longer
    than a field continue in the next part (split at a line or word, never cut off)."""
    item = summary.items[index]
    current = chunks(item.current or "—")
    new = chunks(item.new or "—")
    total = max(len(current), len(new))
    note = f"**What it means** ({NOT_CONTRACT.lower()}): {item.note}"
    out = []
    for n in range(total):
        part = f" · part {n + 1} of {total}" if total > 1 else ""
        more = " (continued)" if n else ""
        out.append(
            embed(
                f"{_KIND_LABEL[item.kind]} · {truncate(item.article, 200)}{part}",
                note,
                fields=[
                    ("Current terms" + more, current[n] if n < len(current) else "—", True),
                    ("New terms" + more, new[n] if n < len(new) else "—", True),
                ],
                colour=Colour.INFO,
            )
        )
    return out


def pages(summary: Summary) -> list[tuple[str, int, int]]:
    """Every (label, article index, part) a member can open, in order."""
    out = []
    for index, item in enumerate(summary.items):
        total = max(len(chunks(item.current or "—")), len(chunks(item.new or "—")))
        for part in range(total):
            suffix = f" (part {part + 1} of {total})" if total > 1 else ""
            out.append((truncate(item.article, 100 - len(suffix)) + suffix, index, part))
    return out


def markdown(update: model.Update, summary: Summary) -> str:
    """The whole comparison as a Markdown document (`format: file`)."""
    counts = summary.counts()
    lines = [
        f"# {summary.title or 'What changes'}",
        "",
        f"Update #{update.id}: {update.title}",
        "",
        f"> {NOT_CONTRACT}. The ratification materials hold the contract language.",
        "",
        "| | count |",
        "|---|---|",
        *[f"| {k} | {counts[k]} |" for k in KINDS],
        "",
    ]
    for item in summary.items:
        lines += [
            f"## {item.article} ({item.kind})",
            "",
            "### Current terms",
            "",
            item.current or "—",
            "",
            "### New terms",
            "",
            item.new or "—",
            "",
            f"**What it means** (summary, not contract language): {item.note}",
            "",
        ]
    return "\n".join(lines)
