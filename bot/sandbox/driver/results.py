"""What the driver reports: the result of an action, the messages the bot posted, errors.

Also Discord's numbering of option and component types, and the helpers tests use to read a
message (:func:`message_text`, :func:`iter_components`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.fake import EPHEMERAL, RecordedRequest

# Option types (https://discord.com/developers/docs/interactions/application-commands).
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
# Component types.
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 5, 6, 7, 8
SELECT_TYPES = {STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT}
LABEL, TEXT_DISPLAY, FILE_UPLOAD = 18, 10, 19


class DriverError(Exception):
    """A bad action: unknown command, option or value, nothing to click, no modal open..."""


@dataclass
class CapturedError:
    """An error the bot logged or a task exception nobody retrieved."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"[{self.source}] {self.message}"


@dataclass
class PostedMessage:
    """A message the bot created during an action (a live view of the fake's stored message)."""

    channel_id: int
    channel_name: str  # "#general" or "DM to alice"
    message: dict[str, Any]

    @property
    def id(self) -> int:
        """The message id."""
        return int(self.message["id"])

    @property
    def content(self) -> str:
        """The text content."""
        return self.message.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The embeds."""
        return self.message.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        """The components (action rows and their children)."""
        return self.message.get("components") or []

    @property
    def flags(self) -> int:
        """The message flags."""
        return int(self.message.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        """Whether only the acting member sees it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def is_dm(self) -> bool:
        """Whether it went to a DM channel."""
        return self.channel_name.startswith("DM to ")

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """The attachment objects (filename, size, url)."""
        return self.message.get("attachments") or []


@dataclass
class ActionResult:
    """What the bot did in answer to one action."""

    action: str
    user: str
    interaction_id: int | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    reply: dict[str, Any] | None = None
    ephemeral: bool = False
    modal: dict[str, Any] | None = None
    messages: list[PostedMessage] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    callback_type: int | None = None
    payload: dict[str, Any] | None = None

    @property
    def content(self) -> str:
        """The reply's content ("" when none)."""
        return (self.reply or {}).get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The reply's embeds."""
        return (self.reply or {}).get("embeds") or []

    @property
    def text(self) -> str:
        """The reply's content, embed titles, descriptions and fields as one string."""
        return message_text(self.reply or {})

    def find(self, method: str, route: str) -> list[RecordedRequest]:
        """Recorded requests of this action with a method and route template."""
        return [r for r in self.requests if r.method == method and r.route == route]

    def dms(self) -> list[PostedMessage]:
        """Messages sent to DM channels."""
        return [m for m in self.messages if m.is_dm]


def message_text(msg: dict[str, Any]) -> str:
    """Content, embed text and component labels of a message as one string (for asserts)."""
    parts = [msg.get("content") or ""]
    for e in msg.get("embeds") or []:
        for k in ("title", "description"):
            if e.get(k):
                parts.append(str(e[k]))
        for f in e.get("fields") or []:
            parts.append(f"{f.get('name', '')}: {f.get('value', '')}")
        if (e.get("footer") or {}).get("text"):
            parts.append(e["footer"]["text"])
        if (e.get("author") or {}).get("name"):
            parts.append(e["author"]["name"])
    for c in iter_components(msg.get("components") or []):
        if c.get("type") == TEXT_DISPLAY and c.get("content"):
            parts.append(c["content"])
    return "\n".join(p for p in parts if p)


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first, through rows, containers, sections and labels."""
    for c in components:
        yield c
        if c.get("components"):
            yield from iter_components(c["components"])
        if isinstance(c.get("accessory"), dict):
            yield from iter_components([c["accessory"]])
        if isinstance(c.get("component"), dict):
            yield from iter_components([c["component"]])
