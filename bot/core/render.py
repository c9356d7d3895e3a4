"""The one message and embed builder: plain dicts in Discord's JSON shape.

Cogs wrap embeds with `discord.Embed.from_dict`; the delivery engine sends payloads raw.
Everything built here is within Discord's limits, so Discord never rejects our text:
long text is cut at a word boundary with "…" (or split into several messages with
`split_text`). Lengths are counted in code points, as Discord's API counts them.

Every message also has a plain form (`plain_text`): the same facts as text, for members who
turned embeds off or read with a screen reader. Replies and DMs to a member who chose it
(`/settings plain-text`) carry only that form (`plain_payload`, `plain_messages`); a server can
have its channel posts carry it beside the embed (`with_plain_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "NO_PINGS",
    "STATUS_WORDS",
    "Colour",
    "Limits",
    "allowed_mentions",
    "count",
    "defang",
    "embed",
    "embed_length",
    "listing",
    "member_text",
    "message",
    "plain_messages",
    "plain_payload",
    "plain_text",
    "split_text",
    "with_plain_text",
    "truncate",
]

ELLIPSIS: Final = "…"
# Discord rejects empty field names and values; this stands in for them.
PLACEHOLDER: Final = "—"
_ZWSP: Final = "\u200b"


class Limits:
    """Discord's documented limits, in characters (code points) or counts."""

    TITLE: Final = 256
    DESCRIPTION: Final = 4096
    FIELD_NAME: Final = 256
    FIELD_VALUE: Final = 1024
    FIELDS: Final = 25
    FOOTER: Final = 2048
    AUTHOR: Final = 256
    EMBED_TOTAL: Final = 6000  # across all embeds of one message
    EMBEDS: Final = 10
    CONTENT: Final = 2000
    CHOICE_NAME: Final = 100  # also select option labels
    CHOICES: Final = 25
    BUTTON_LABEL: Final = 80
    MODAL_TITLE: Final = 45
    MENTION_IDS: Final = 100  # per list in allowed_mentions
    ATTACHMENT_DESCRIPTION: Final = 1024  # an attachment's alt text


class Colour:
    """The bot's embed colours, so every cog uses the same five."""

    INFO: Final = 0x3B82F6  # blue
    SUCCESS: Final = 0x22C55E  # green
    WARNING: Final = 0xF59E0B  # amber
    DANGER: Final = 0xEF4444  # red
    NEUTRAL: Final = 0x6B7280  # grey


# A status colour never speaks alone (WCAG 1.4.1): an embed in one of these colours says its
# status in words too, with at least one of these (in its title, text, fields or footer).
# Colours not listed (INFO, NEUTRAL) carry no status. The contract test checks every message.
STATUS_WORDS: Final[dict[int, tuple[str, ...]]] = {
    Colour.SUCCESS: tuple(
        "done|saved|sent|answered|welcome|status|passed|deleted|updated|cancelled|you're in|"
        "ok|✅|✓".split("|")
    ),
    Colour.WARNING: tuple(
        "before you|check|?|no confident|needed|uncovered|⚠|to do|still to set|not set|"
        "pending|waiting|missing".split("|")
    ),
    Colour.DANGER: tuple(
        "can't|cancelled|retracted|failed|problem|❌|refused|error|rejected|closed|not ".split("|")
    ),
}

# Never mutate: `message()` and `allowed_mentions()` always hand out fresh copies.
NO_PINGS: Final[dict[str, list[str]]] = {"parse": []}

# An embed keeps at least this much of its description before fields are dropped for room.
_DESCRIPTION_FLOOR: Final = 1024
# A later embed squeezed below this many characters is dropped rather than shown as a stub.
_EMBED_FLOOR: Final = 200
_LINK = re.compile(r"\[([^\]\n]+)\]\(<?(https?://[^)\s>]+)>?\)")
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
# Member text: a masked link's brackets, and a line's heading or subtext marker.
_LINK_BRACKETS = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]])")  # not already escaped
_HEADING = re.compile(r"^(\s*)(#{1,3}|-#)(?=\s)", re.MULTILINE)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")


def truncate(text: str, limit: int) -> str:
    """Return `text` if it fits in `limit`, else cut at a word boundary and end with "…".

    A single word longer than the room is cut inside. Raises ValueError if `limit` < 1.
    """
    if limit < 1:
        raise ValueError("truncate needs a limit of at least 1")
    if len(text) <= limit:
        return text
    return _cut(text, limit - len(ELLIPSIS)) + ELLIPSIS


def _cut(text: str, room: int) -> str:
    """The longest prefix of `text` within `room` ending at a word boundary, right-stripped."""
    if room <= 0:
        return ""
    if len(text) <= room:
        return text.rstrip()
    head = text[:room]
    if text[room].isspace():
        kept = head.rstrip()
    else:
        boundary = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        kept = head[:boundary].rstrip() if boundary > 0 else ""
    # No boundary (one long word): cut inside it rather than return nothing.
    return kept or head.rstrip() or head


def _read_more(url: str) -> str:
    return f"{ELLIPSIS} [Read the rest]({url})"


def _fit_description(text: str, limit: int, url: str | None) -> str:
    """Cut a description to `limit`, ending with a "Read the rest" link when one is given."""
    if len(text) <= limit:
        return text
    if url:
        suffix = _read_more(url)
        # Only worth it when the link leaves room for some of the text itself.
        if len(suffix) <= limit // 2:
            kept = _cut(text, limit - len(suffix)).rstrip(ELLIPSIS).rstrip()
            if kept:
                return kept + suffix
    return truncate(text, limit)


def _strip_read_more(text: str, url: str | None) -> str:
    """Undo `_fit_description`'s link so the text can be cut again without losing it."""
    if url and text.endswith(_read_more(url)):
        return text[: -len(_read_more(url))].rstrip()
    return text


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _field(name: str, value: str, inline: bool) -> dict[str, Any]:
    name = _text(name).strip() or PLACEHOLDER
    value = _text(value).strip() or PLACEHOLDER
    return {
        "name": truncate(name, Limits.FIELD_NAME),
        "value": truncate(value, Limits.FIELD_VALUE),
        "inline": bool(inline),
    }


def _more_field(count: int, url: str | None) -> dict[str, Any]:
    value = f"[See all]({url})" if url and len(url) < 900 else PLACEHOLDER
    return {"name": f"{ELLIPSIS} and {count} more", "value": value, "inline": False}


def embed(
    title: str,
    description: str | None = None,
    *,
    fields: Iterable[tuple[str, str] | tuple[str, str, bool]] = (),
    url: str | None = None,
    footer: str | None = None,
    colour: int | None = None,
    timestamp: datetime | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """Build an embed dict that is within every Discord limit, whatever the text.

    Each part is cut at a word boundary with "…"; a cut description ends with
    "… [Read the rest](url)" when `url` is given. Fields default to not inline; empty
    names or values become "—"; past 25, the last becomes "… and N more". If the 6000
    total is exceeded the description is cut first (down to 1024), then fields are dropped
    from the end. Raises ValueError on an empty title, a colour outside 0..0xFFFFFF, or a
    naive timestamp.
    """
    title = _text(title).strip()
    if not title:
        raise ValueError("an embed needs a non-empty title")
    result: dict[str, Any] = {"type": "rich", "title": truncate(title, Limits.TITLE)}
    source = _text(description).strip() if description is not None else ""
    if source:
        result["description"] = _fit_description(source, Limits.DESCRIPTION, url)
    if url:
        result["url"] = url
    if colour is not None:
        if not 0 <= colour <= 0xFFFFFF:
            raise ValueError(f"colour {colour!r} is not a 24-bit RGB integer")
        result["color"] = int(colour)
    if timestamp is not None:
        if timestamp.tzinfo is None:
            raise ValueError("an embed timestamp must be an aware datetime")
        result["timestamp"] = timestamp.astimezone(UTC).isoformat()
    if footer is not None and footer.strip():
        result["footer"] = {"text": truncate(footer.strip(), Limits.FOOTER)}
    if author is not None and author.strip():
        result["author"] = {"name": truncate(author.strip(), Limits.AUTHOR)}

    built = []
    for item in fields:
        name, value, *rest = item
        built.append(_field(name, value, rest[0] if rest else False))
    if len(built) > Limits.FIELDS:
        dropped = len(built) - (Limits.FIELDS - 1)
        built = built[: Limits.FIELDS - 1] + [_more_field(dropped, url)]
    if built:
        result["fields"] = built

    fitted = _fit(result, Limits.EMBED_TOTAL, source=source or None)
    assert fitted is not None  # title+footer+author alone are far under 6000
    return fitted


def embed_length(embed: dict[str, Any]) -> int:
    """Count an embed's characters as Discord does for its 6000 total.

    Title, description, field names and values, footer text and author name.
    """
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or ():
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _fields_length(fields: list[dict[str, Any]]) -> int:
    return sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)


def _fit(
    original: dict[str, Any], budget: int, *, source: str | None = None
) -> dict[str, Any] | None:
    """Return a copy of an embed trimmed to `budget` characters, or None if it cannot fit.

    Trims the description (down to a floor), then drops fields from the end behind an
    "… and N more" field, then cuts the description further, then footer, author, title.
    `source` is the uncut description when the caller still has it.
    """
    embed = dict(original)
    fields = [dict(f) for f in embed.get("fields") or ()]
    if embed_length(embed) <= budget:
        return embed
    url = embed.get("url") or None
    text = source if source is not None else _strip_read_more(embed.get("description") or "", url)
    text_limit = min(len(embed.get("description") or ""), Limits.DESCRIPTION)

    fixed = len(embed.get("title") or "") + len((embed.get("footer") or {}).get("text") or "")
    fixed += len((embed.get("author") or {}).get("name") or "")
    floor = min(text_limit, _DESCRIPTION_FLOOR)

    # Drop fields from the end while they would squeeze the description below its floor.
    marker_count = 0
    if (
        fields
        and fields[-1]["name"].startswith(f"{ELLIPSIS} and ")
        and fields[-1]["name"].endswith(" more")
    ):
        marker_count = int(re.sub(r"\D", "", fields[-1]["name"]) or 0)
        real = fields[:-1]
    else:
        real = fields
    dropped = 0
    while (
        real
        and fixed + _fields_length(_with_more(real, dropped, marker_count, url)) + floor > budget
    ):
        real = real[:-1]
        dropped += 1
    fields = _with_more(real, dropped, marker_count, url)
    if fields:
        embed["fields"] = fields
    else:
        embed.pop("fields", None)

    room = min(budget - fixed - _fields_length(fields), text_limit)
    if text and room >= 1:
        embed["description"] = _fit_description(text, room, url)
    else:
        embed.pop("description", None)

    # Only a tiny budget reaches here: squeeze footer, then author, then title.
    for key, sub in (("footer", "text"), ("author", "name")):
        excess = embed_length(embed) - budget
        if excess > 0 and key in embed:
            current = embed[key][sub]
            if len(current) - excess >= 1:
                embed[key] = {**embed[key], sub: truncate(current, len(current) - excess)}
            else:
                embed.pop(key)
    excess = embed_length(embed) - budget
    if excess > 0:
        title = embed.get("title") or ""
        if len(title) - excess < 1:
            return None
        embed["title"] = truncate(title, len(title) - excess)
    return embed


def _with_more(
    real: list[dict[str, Any]], dropped: int, earlier: int, url: str | None
) -> list[dict[str, Any]]:
    """Fields plus the "… and N more" marker when any were dropped (now or before)."""
    count = dropped + earlier
    return real + [_more_field(count, url)] if count else list(real)


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into chunks of at most `limit` characters, for several messages.

    Cuts at the last paragraph break, else line break, else sentence end, else space
    within reach (the first three only in the second half of a chunk, so chunks stay
    full); a word is split only when it alone exceeds `limit`. Whitespace at each cut
    (and at both ends) is dropped, as Discord would drop it; whitespace-only text gives [].
    """
    if limit < 1:
        raise ValueError("split_text needs a limit of at least 1")
    chunks: list[str] = []
    position, end = 0, len(text)
    while True:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            return chunks
        if end - position <= limit:
            chunks.append(text[position:].rstrip())
            return chunks
        # One character past the limit, so whitespace just beyond it counts as a boundary.
        window = text[position : position + limit + 1]
        cut = _find_cut(window, limit)
        chunks.append(window[:cut].rstrip())
        position += cut


def _find_cut(window: str, limit: int) -> int:
    """Where to end a chunk inside `window` (len limit+1): an index in 1..limit."""
    half = max(1, limit // 2)
    paragraph = window.rfind("\n\n")
    if paragraph >= half:
        return paragraph
    line = window.rfind("\n")
    if line >= half:
        return line
    sentence = None
    for found in _SENTENCE_END.finditer(window):
        if found.end() <= limit:
            sentence = found.end()
    if sentence is not None and sentence >= half:
        return sentence
    for index in range(limit, 0, -1):
        if window[index].isspace():
            return index
    return limit


def count(n: int, singular: str, plural: str) -> str:
    """A number and its noun, agreeing: "1 subscriber", "2 subscribers", "0 subscribers".

    The one way counts are said (shaped like gettext's ngettext, so a translation catalogue
    can take it over): give both forms, never "volunteer(s)". Thousands get a separator.
    """
    return f"{n:,} {singular if n == 1 else plural}"


def defang(text: str) -> str:
    """Stop `@everyone` and `@here` from pinging by putting a zero-width space after `@`.

    Belt and braces with allowed_mentions; idempotent.
    """
    return _MASS_MENTION.sub(lambda m: f"@{_ZWSP}{m.group(1)}", text)


def member_text(text: str) -> str:
    """Text a member wrote, made safe to show in an embed: a masked link `[here](https://…)`
    shows as its brackets and its real address (never as official-looking link text), and a
    line starting with `#`, `##`, `###` or `-#` shows the marker instead of a heading.

    Escapes are Markdown backslashes, which Discord hides; idempotent on its own output.
    """
    escaped = _LINK_BRACKETS.sub(lambda m: f"{m[1]}\\{m[2]}", text)
    return _HEADING.sub(lambda m: f"{m[1]}\\{m[2]}", escaped)


def allowed_mentions(*, roles: Iterable[int] = (), users: Iterable[int] = ()) -> dict[str, Any]:
    """Allowed mentions that ping exactly these roles and users and nothing else.

    Starts from `{"parse": []}`; ids become strings, de-duplicated in order. Raises
    ValueError past Discord's 100 ids per list.
    """
    result: dict[str, Any] = {"parse": []}
    for key, ids in (("roles", roles), ("users", users)):
        unique = list(dict.fromkeys(str(int(i)) for i in ids))
        if len(unique) > Limits.MENTION_IDS:
            raise ValueError(f"at most {Limits.MENTION_IDS} {key} can be mentioned")
        if unique:
            result[key] = unique
    return result


def message(
    content: str | None = None,
    *,
    embeds: Sequence[dict[str, Any]] = (),
    mentions: dict[str, Any] | None = None,
    components: list[Any] | None = None,
) -> dict[str, Any]:
    """Build a message payload that Discord accepts and that pings only what is meant.

    Content is defanged and cut to 2000; at most 10 embeds; the 6000 total across embeds
    is kept by trimming the last embeds (dropping one that would be squeezed to a stub,
    and those after it). `allowed_mentions` is always present: NO_PINGS unless `mentions`
    (from `allowed_mentions()`) says otherwise. Raises ValueError if `mentions` asks
    Discord to parse mentions itself, since that would let member text ping.
    """
    payload: dict[str, Any] = {}
    if content:
        payload["content"] = truncate(defang(content), Limits.CONTENT)

    kept: list[dict[str, Any]] = []
    room = Limits.EMBED_TOTAL
    for item in list(embeds)[: Limits.EMBEDS]:
        fitted = _fit(item, room)
        if fitted is None or (embed_length(fitted) < embed_length(item) and room < _EMBED_FLOOR):
            break
        kept.append(fitted)
        room -= embed_length(fitted)
    if embeds:
        payload["embeds"] = kept

    chosen = mentions if mentions is not None else NO_PINGS
    if chosen.get("parse"):
        raise ValueError("build mentions with allowed_mentions(); parse must stay empty")
    payload["allowed_mentions"] = {
        key: list(value) if isinstance(value, list | tuple) else value
        for key, value in chosen.items()
    }
    payload["allowed_mentions"]["parse"] = []
    if components is not None:
        payload["components"] = components
    return payload


def listing(lines: Sequence[str], limit: int, *, head: str = "", sep: str = "\n") -> str:
    """`head` then as many `lines` as fit in `limit`, joined by `sep`, ending with "… and N
    more" when some are left out: a chart's description or its data as text."""
    text = head
    for index, line in enumerate(lines):
        # After the head, a line break when lines are, else a space ("...: 600: TA; 700: ...").
        glue = ("\n" if sep == "\n" else " ") if index == 0 else sep
        glue = glue if text else ""
        joined = f"{text}{glue}{line}"
        left = len(lines) - index - 1
        more = f"{sep}{ELLIPSIS} and {left} more" if left else ""
        if len(joined) + len(more) > limit:
            return truncate(f"{text}{glue}{ELLIPSIS} and {len(lines) - index} more", limit)
        text = joined
    return truncate(text, limit)


# -- the plain form ------------------------------------------------------------------------


def _plain_links(text: str) -> str:
    """Masked links written so they say where they go: "Vote here: <https://...>"."""

    def spell(found: re.Match[str]) -> str:
        label, url = found.group(1).strip(), found.group(2)
        return f"<{url}>" if label in (url, f"<{url}>") else f"{label}: <{url}>"

    return _LINK.sub(spell, text)


def _has_name(name: str) -> bool:
    return bool(name.replace(_ZWSP, "").strip()) and name.strip() != PLACEHOLDER


def embed_text(item: dict[str, Any]) -> str:
    """One embed as plain text: author, title (and where it links), description, every field as
    "Name: value", images by their description, footer and time."""
    lines: list[str] = []
    author = (item.get("author") or {}).get("name")
    if author:
        lines.append(author)
    title = item.get("title")
    if title:
        url = item.get("url")
        lines.append(f"**{title}**" + (f" (link: <{url}>)" if url else ""))
    if item.get("description"):
        lines.append(_plain_links(item["description"]))
    for field in item.get("fields") or ():
        name, value = _text(field.get("name") or ""), _plain_links(_text(field.get("value") or ""))
        if not _has_name(name):
            lines.append(value)
        elif "\n" in value:
            lines.append(f"{name}:\n{value}")
        else:
            lines.append(f"{name}: {value}")
    for kind in ("image", "thumbnail"):
        picture = item.get(kind) or {}
        if picture.get("url"):
            said = picture.get("description") or f"<{picture['url']}>"
            lines.append(f"{'Image' if kind == 'image' else 'Picture'}: {said}")
    footer = (item.get("footer") or {}).get("text")
    if footer:
        lines.append(footer)
    if item.get("timestamp"):
        moment = datetime.fromisoformat(item["timestamp"])
        lines.append(f"<t:{int(moment.timestamp())}:f>")
    return "\n".join(line for line in lines if line.strip())


def plain_text(payload: dict[str, Any]) -> str:
    """The whole message (content, then each embed) as plain text, uncut: the same title,
    fields, numbers and links that the embeds show. Empty when the message has no text."""
    parts = [payload.get("content") or ""]
    parts += [embed_text(e) for e in payload.get("embeds") or ()]
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _rest_note(payload: dict[str, Any]) -> str:
    for item in payload.get("embeds") or ():
        if item.get("url"):
            return f"\n{ELLIPSIS} (shortened; the whole text: <{item['url']}>)"
    return f"\n{ELLIPSIS} (shortened; `/settings plain-text: off` shows the whole message)"


def _fit_plain(text: str, limit: int, note: str) -> str:
    if len(text) <= limit:
        return text
    return _cut(text, limit - len(note)).rstrip() + note


def plain_payload(payload: dict[str, Any], limit: int = Limits.CONTENT) -> dict[str, Any]:
    """The message in its plain form only: its text as content (within `limit`, ending with
    where to read the rest when cut), no embeds; mentions, buttons and files kept."""
    result = {k: v for k, v in payload.items() if k != "embeds"}
    text = plain_text(payload)
    if text:
        result["content"] = defang(_fit_plain(text, limit, _rest_note(payload)))
    if payload.get("embeds") is not None:
        result["embeds"] = []
    return result


def plain_messages(payload: dict[str, Any], limit: int = Limits.CONTENT) -> list[str]:
    """The plain form in as many messages of at most `limit` characters as it needs."""
    return [defang(chunk) for chunk in split_text(plain_text(payload), limit)]


def with_plain_text(payload: dict[str, Any], limit: int = Limits.CONTENT) -> dict[str, Any]:
    """A channel post that carries its plain text beside its embeds (content + embeds), for a
    server that asked for it; a message without embeds is returned unchanged."""
    if not payload.get("embeds"):
        return payload
    text = plain_text(payload)
    note = f"\n{ELLIPSIS} (shortened; the rest is in the embed below)"
    return {**payload, "content": defang(_fit_plain(text, limit, note))}
