"""Is this person still a member of the server, holding the role? A member fetch, cached briefly.

Before each DM (the delivery worker) and on every button pressed in a DM
(`permissions.ensure_member`), rankfile asks Discord for the member
(GET /guilds/{guild_id}/members/{user_id}; 404 10007 Unknown Member once they left) and
keeps the answer for `TTL` on the bot's clock, per server and member, so a broadcast to many
members costs one fetch each. A member found gone (or without the role the content is for)
gets nothing; `bot.core.departures` then drops their subscriptions, reminders and
registrations. With the Server Members intent (RANKFILE_MEMBERS_INTENT=1) the bot also hears
members leave and roles change, and forgets its cached answer at once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.core import departures, guild_settings

if TYPE_CHECKING:
    from discord.ext import commands

    from bot.core.clock import Clock
    from bot.core.db import Database

log = logging.getLogger("rankfile.membership")

TTL = timedelta(minutes=5)
# Discord's answers that mean "not a member of that server (any more)".
_GONE = {10004, 10007, 10013}  # Unknown Guild, Unknown Member, Unknown User


class Membership:
    """Members' roles per server as Discord last said, kept for `ttl`."""

    def __init__(
        self, bot: commands.Bot, db: Database, clock: Clock, *, ttl: timedelta = TTL
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.ttl = ttl
        self._known: dict[tuple[int, int], tuple[datetime, frozenset[int] | None]] = {}
        self._asking: dict[tuple[int, int], asyncio.Future[frozenset[int] | None]] = {}
        self.fetches = 0

    def cached(self, guild_id: int, user_id: int) -> bool:
        """Whether an answer younger than the TTL is at hand (no request needed)."""
        seen = self._known.get((guild_id, user_id))
        return seen is not None and self.clock.now() - seen[0] < self.ttl

    def forget(self, guild_id: int, user_id: int) -> None:
        """Drop the cached answer (the member left, or their roles changed)."""
        self._known.pop((guild_id, user_id), None)

    def remember(self, guild_id: int, user_id: int, role_ids: frozenset[int] | None) -> None:
        """Keep an answer learnt another way (an interaction's member, a gateway event)."""
        self._known[(guild_id, user_id)] = (self.clock.now(), role_ids)

    async def roles(self, guild_id: int, user_id: int) -> frozenset[int] | None:
        """The member's role ids in the server, or None when they are not a member."""
        key = (guild_id, user_id)
        if self.cached(guild_id, user_id):
            return self._known[key][1]
        asking = self._asking.get(key)
        if asking is not None:
            return await asyncio.shield(asking)
        future: asyncio.Future[frozenset[int] | None] = asyncio.get_running_loop().create_future()
        self._asking[key] = future
        try:
            found = await self._fetch(guild_id, user_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        finally:
            self._asking.pop(key, None)
        self.remember(guild_id, user_id, found)
        future.set_result(found)
        return found

    async def _fetch(self, guild_id: int, user_id: int) -> frozenset[int] | None:
        self.fetches += 1
        try:
            data = await self.bot.http.get_member(guild_id, user_id)
        except discord.NotFound as exc:
            if exc.code in _GONE:
                return None
            raise
        return frozenset(int(r) for r in data.get("roles") or ())

    async def verdict(self, guild_id: int, user_id: int, requires: str | None) -> str | None:
        """None when they may still have it; else `member_left` or `lost_role`."""
        role_ids = await self.roles(guild_id, user_id)
        settings = await guild_settings.get(self.db, guild_id)
        return departures.verdict(settings, role_ids, requires)

    async def check(self, guild_id: int, user_id: int, requires: str | None) -> str | None:
        """`verdict`, and when they are no longer entitled, the departure hooks run."""
        reason = await self.verdict(guild_id, user_id, requires)
        if reason is not None:
            await departures.departed(
                self.db, guild_id, user_id, reason, requires, self.clock.now()
            )
        return reason
