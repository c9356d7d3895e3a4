"""Members who left the server or lost a role: nothing more reaches them, and each capability
drops what it keeps sending them.

The Discord side finds out (a member fetch before a DM or on a button pressed in a DM; the
member-removal event when the bot has the Server Members intent) and calls `member_left` or
`lost_role`; each capability registers, in bot/wiring.py, what it drops then: subscriptions,
event reminders, the CAT's volunteer and coordinator registrations, cascade reminders. Nothing
here imports a capability.

`verdict` is the one rule of who is still entitled to a DM: a member of the server, holding
the /setup role the content is for ("cat": the CAT role, when the server has one, since the
roster is the CAT's record; "coordinator": the coordinator role, which must be set).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from bot.core.db import Database
from bot.core.guild_settings import GuildSettings

log = logging.getLogger("rankfile.departures")

Handler = Callable[[Database, int, int, datetime], Awaitable[None]]

MEMBER_LEFT = "member_left"
LOST_ROLE = "lost_role"
# The /setup role each requirement stands for.
ROLE_SETTING = {"cat": "cat_role_id", "coordinator": "coordinator_role_id"}

_on_left: list[Handler] = []
_on_lost: dict[str, list[Handler]] = {name: [] for name in ROLE_SETTING}


def on_member_left(handler: Handler) -> None:
    """Run `handler(db, guild_id, user_id, now)` when a member is found gone (idempotent)."""
    if handler not in _on_left:
        _on_left.append(handler)


def on_lost_role(requirement: str, handler: Handler) -> None:
    """Run `handler(db, guild_id, user_id, now)` when a member no longer holds the role."""
    handlers = _on_lost[requirement]
    if handler not in handlers:
        handlers.append(handler)


def verdict(
    settings: GuildSettings, role_ids: Iterable[int] | None, requires: str | None
) -> str | None:
    """None when the member may still receive it; else why not (`member_left`, `lost_role`).

    `role_ids` None means they are not a member of the server.
    """
    if role_ids is None:
        return MEMBER_LEFT
    if requires is None or requires not in ROLE_SETTING:
        return None
    role_id = getattr(settings, ROLE_SETTING[requires])
    if role_id is None:
        # No CAT role: the roster says who volunteers. No coordinator role: nobody coordinates.
        return None if requires == "cat" else LOST_ROLE
    return None if int(role_id) in set(role_ids) else LOST_ROLE


async def member_left(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """Drop everything each capability keeps sending a member who left (one transaction)."""
    async with db.transaction():
        for handler in _on_left:
            await handler(db, guild_id, user_id, now)
    log.info("a member left a server: %s departure handlers ran", len(_on_left))


async def lost_role(
    db: Database, guild_id: int, user_id: int, requirement: str, now: datetime
) -> None:
    """Drop what a member had because of a role they no longer hold (one transaction)."""
    handlers = _on_lost.get(requirement, [])
    async with db.transaction():
        for handler in handlers:
            await handler(db, guild_id, user_id, now)
    log.info("a member lost the %s role: %s handlers ran", requirement, len(handlers))


async def departed(
    db: Database, guild_id: int, user_id: int, reason: str, requires: str | None, now: datetime
) -> None:
    """Run the hooks `verdict`'s answer calls for."""
    if reason == MEMBER_LEFT:
        await member_left(db, guild_id, user_id, now)
    elif reason == LOST_ROLE and requires in ROLE_SETTING:
        await lost_role(db, guild_id, user_id, requires, now)
