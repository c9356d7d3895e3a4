"""Members' subscriptions: who gets a DM when an update (or an announcement) is published.

A member subscribes to every update (`all`), to a topic, to a bargaining unit, or to
announcements. `subscribers` answers the distinct user ids a publication must reach, so each
member gets one DM however many of their subscriptions match. Announcements reach only the
members subscribed to announcements (`all` is every negotiation update, not announcements), so
the DM can name the one subscription that caused it and its "Stop these" button
(`stop_button`) or `/unsubscribe` stops them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import limits, personal_data, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.personal_data import NotPersonal, Use, holds_id, holds_text
from bot.topics import find_topic

KINDS = ("all", "topic", "unit", "announcements")

INSERT = (
    "INSERT INTO subscription (guild_id, user_id, kind, target, unit_id, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id, kind, target) DO NOTHING"
)
DELETE = "DELETE FROM subscription WHERE guild_id = ? AND user_id = ? AND kind = ? AND target = ?"
OF_USER = (
    "SELECT s.id, s.kind, s.target, s.unit_id, s.created_at, u.code AS unit_code, "
    "u.name AS unit_name FROM subscription s LEFT JOIN bargaining_unit u ON u.id = s.unit_id "
    "WHERE s.guild_id = ? AND s.user_id = ? ORDER BY s.kind, s.target"
)
# The targets are bound as a JSON array so one statement serves any number of topics or units.
SUBSCRIBERS = """
SELECT DISTINCT user_id FROM subscription
WHERE guild_id = :guild AND (
    (kind = 'all' AND NOT :announcements)
    OR (kind = 'announcements' AND :announcements)
    OR (kind = 'topic' AND target IN (SELECT value FROM json_each(:topics)))
    OR (kind = 'unit' AND unit_id IN (SELECT value FROM json_each(:units)))
)
ORDER BY user_id
"""
COUNT = "SELECT count(*) FROM subscription WHERE guild_id = ? AND kind = ? AND target = ?"
# The "Stop these" button on a DM a subscription caused (cogs/subscriptions.py matches it): the
# server is in the id because the button is pressed in a DM, outside the server.
STOP_ID = "rf:sub:stop:{kind}:{guild_id}"
STOP_PATTERN = r"rf:sub:stop:(?P<kind>announcements):(?P<guild_id>\d+)"
LABELS = {"all": "All negotiation updates", "announcements": "Announcements"}
DROP_MEMBER = "DELETE FROM subscription WHERE guild_id = ? AND user_id = ?"


@dataclass(frozen=True)
class Subscription:
    """One of a member's subscriptions."""

    id: int
    kind: str
    target: str
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    created_at: datetime

    @property
    def label(self) -> str:
        """How the subscription is shown to its member."""
        if self.kind in LABELS:
            return LABELS[self.kind]
        if self.kind == "topic":
            return f"Topic: {self.target}"
        return f"Unit: {self.unit_name or self.target}"


def _from_row(row: Any) -> Subscription:
    return Subscription(
        row["id"],
        row["kind"],
        row["target"],
        row["unit_id"],
        row["unit_code"],
        row["unit_name"],
        from_db(row["created_at"]),
    )


async def _resolve(
    db: Database, guild_id: int, kind: str, topic: str | None, unit: str | None
) -> tuple[str, int | None, str]:
    """(target, unit_id, label) for a kind and what the member typed; UserError when unknown."""
    if kind not in KINDS:
        raise UserError(f"Subscribe to one of: {', '.join(KINDS)}.")
    if kind == "topic":
        if not topic or not topic.strip():
            raise UserError("Name the topic: `/subscribe topic:wages` (autocomplete lists them).")
        name = await find_topic(db, guild_id, topic)
        return name, None, f"the topic **{name}**"
    if kind == "unit":
        if not unit or not unit.strip():
            raise UserError("Name the unit: `/subscribe unit:600` (autocomplete lists them).")
        found = await units.find(db, guild_id, unit)
        return str(found.id), found.id, f"**{found.label}**"
    return "", None, "all negotiation updates" if kind == "all" else "announcements"


async def subscribe(
    db: Database,
    guild_id: int,
    user_id: int,
    kind: str,
    now: datetime,
    *,
    topic: str | None = None,
    unit: str | None = None,
) -> str:
    """Subscribe a member; return a sentence naming what they will get. Conflict if already."""
    async with db.transaction():
        target, unit_id, label = await _resolve(db, guild_id, kind, topic, unit)
        # Unsubscribing is never limited: a member can always stop the DMs.
        await limits.take(db, guild_id, user_id, "subscription.change", now)
        if not await db.execute(INSERT, (guild_id, user_id, kind, target, unit_id, to_db(now))):
            raise Conflict(f"You are already subscribed to {label}.")
    return label


async def unsubscribe(
    db: Database,
    guild_id: int,
    user_id: int,
    kind: str,
    *,
    topic: str | None = None,
    unit: str | None = None,
) -> str:
    """Remove one of a member's subscriptions; return its label. NotFound if they had none."""
    async with db.transaction():
        target, _unit_id, label = await _resolve(db, guild_id, kind, topic, unit)
        if not await db.execute(DELETE, (guild_id, user_id, kind, target)):
            raise NotFound(f"You were not subscribed to {label}: `/subscriptions` lists yours.")
    return label


async def list_for(db: Database, guild_id: int, user_id: int) -> list[Subscription]:
    """A member's own subscriptions."""
    return [_from_row(r) for r in await db.fetchall(OF_USER, (guild_id, user_id))]


def stop_button(guild_id: int, kind: str) -> dict[str, Any]:
    """The "Stop these" button of a DM caused by a subscription of this kind."""
    return {
        "type": 2,
        "style": 2,
        "label": "Stop these",
        "custom_id": STOP_ID.format(kind=kind, guild_id=guild_id),
    }


def why_text(kind: str) -> str:
    """Why a member got a DM, and how to stop it, naming the subscription that caused it."""
    return (
        f"You get this because you subscribed to **{LABELS[kind]}**: the button below, or "
        f"`/unsubscribe what: {LABELS[kind]}`, stops them."
    )


async def subscribers(
    db: Database,
    guild_id: int,
    *,
    announcements: bool = False,
    topics: Iterable[str] = (),
    units: Iterable[int] = (),
) -> list[int]:
    """The distinct user ids subscribed to all updates, or to one of `topics` or `units`
    (unit ids); with `announcements=True`, those subscribed to announcements; ascending."""
    params = {
        "guild": guild_id,
        "announcements": 1 if announcements else 0,
        # Topic matching is case-insensitive, like the column's collation.
        "topics": json.dumps([t.strip() for t in topics]),
        "units": json.dumps([int(u) for u in units]),
    }
    rows = await db.fetchall(SUBSCRIBERS, params)
    return [int(r[0]) for r in rows]


async def member_left(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """They left the server: no more update or announcement DMs (bot.wiring registers it)."""
    await db.execute(DROP_MEMBER, (guild_id, user_id))


# -- members' data (collected by the privacy engine at start-up) ------------------------------

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "subscriptions",
        "subscription",
        "user_id",
        "guild_id",
        (
            holds_id("user_id", "who gets updates by DM"),
            holds_text("target", "the topic subscribed to"),
        ),
        ("kind", "target", "created_at"),
        personal_data.DELETE,
        "subscriptions: deleted",
    ),
    NotPersonal("subscription", ("kind",), "a kind"),
)
