"""The delivery worker: sends what the outbox holds, at Discord's pace, exactly once.

A fixed number of sends run at a time; as soon as one ends, the next due delivery starts, so a
slow target (a 429 being waited out, a hung request) never holds the others back. Each post
carries a nonce derived from its delivery id with `enforce_nonce`, so if the bot dies between
Discord accepting a message and the row being marked sent, the resend after the restart
returns the same message instead of posting a second one. A local token bucket keeps the bot
under Discord's global limit (50 requests a second) so that 429s stay rare; those that come
are waited out by discord.py and, if they outlast its retries, postponed: never failures.

End states: `sent` (with the message id), `skipped` with the reason (DMs closed, member or
channel gone, no access), `failed` after MAX_ATTEMPTS tries of 5xx answers and timeouts.

Nothing reaches someone no longer entitled to it: before each DM the recipient must still be
a member of the server and, for privileged content, hold its role (bot.glue.membership;
skipped as `member_left` or `lost_role`, and the departure hooks drop what they had); a post
marked private is skipped as `channel_public` when @everyone can read the channel.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import logging
import random
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.http import Route
from discord.utils import _to_json

from bot.core import delivery, dm_limits, guild_settings, preferences, render
from bot.core.clock import Clock
from bot.core.db import Database
from bot.glue.invalid_requests import InvalidRequests
from bot.glue.membership import Membership

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger("rankfile.delivery")

MAX_ATTEMPTS = 5
# Sends at once: Discord answers a post in 100-300 ms, so about rate x latency are needed to
# keep the pacer's 47 a second busy (a first DM is two requests in a row).
CONCURRENCY = 20
# Discord allows 50 requests a second per bot; the rest is left for interactions' answers.
RATE_PER_SECOND = 47.0
BACKOFF_BASE = 2.0  # seconds: 2, 4, 8, 16 between attempts, with jitter
# A send that takes longer is abandoned and retried (same nonce, so never posted twice).
SEND_TIMEOUT = 90.0
# How long `stop()` lets the sends in flight finish before abandoning them.
STOP_GRACE = 10.0
# Discord codes that mean "this target will never take the message".
_GONE = {10003: "channel_gone", 10008: "message_gone", 10013: "member_left"}


def nonce_for(delivery_id: int) -> str:
    """The nonce of a delivery's message: stable across restarts, at most 25 characters."""
    return f"rf{delivery_id}"


class Pacer:
    """A token bucket: at most `rate` requests a second, with a small burst."""

    def __init__(self, rate: float, burst: int = 2) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait for a token."""
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


class DeliveryWorker:
    """Sends pending deliveries, `concurrency` at a time, paced under Discord's limit."""

    def __init__(
        self,
        bot: commands.Bot,
        db: Database,
        clock: Clock,
        *,
        concurrency: int = CONCURRENCY,
        rate_per_second: float = RATE_PER_SECOND,
        send_timeout: float = SEND_TIMEOUT,
        new_dm_budget: int = dm_limits.DEFAULT_BUDGET,
        invalid_requests: InvalidRequests | None = None,
        membership: Membership | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.concurrency = concurrency
        self.send_timeout = send_timeout
        self.pacer = Pacer(rate_per_second)
        self.new_dm_budget = new_dm_budget
        self.invalid_requests = invalid_requests or InvalidRequests()
        self.membership = membership or Membership(bot, db, clock)
        self._wake = asyncio.Event()
        self._fill_lock = asyncio.Lock()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.sent = 0

    def start(self) -> None:
        """Start the loop; it wakes on new deliveries and on each move of a manual clock."""
        self.db.subscribe("delivery", self.wake)
        self.clock.on_change(self.wake)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="rankfile-delivery")

    def wake(self) -> None:
        """Look for due deliveries now."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        """How many sends are running now."""
        return len(self._inflight)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Take no new work; let the sends in flight finish for up to `grace` seconds.

        A send still running after that is abandoned unmarked: its row stays pending and the
        next start resends it with the same nonce, so Discord does not post it twice.
        """
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        running = list(self._inflight.values())
        if running and grace > 0:
            await asyncio.wait(running, timeout=grace)
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    async def abort(self) -> None:
        """Stop at once, as a crash would: sends in flight are abandoned unmarked (tests)."""
        await self.stop(grace=0)

    # -- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while not self._stopping:
            self._wake.clear()
            try:
                started = await self._fill()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("looking for due deliveries failed; retrying shortly")
                started = False
                await asyncio.sleep(1)
            if started:
                continue
            timeout = await self._idle_timeout()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _idle_timeout(self) -> float | None:
        if self.clock.manual:
            return None  # only a wake, a finished send or a move of the clock brings work
        if self._inflight:
            return None  # a finished send wakes the loop
        nxt = await delivery.next_due(self.db)
        if nxt is None:
            return 60.0
        return max(0.0, min(60.0, (nxt - self.clock.now()).total_seconds()))

    async def _fill(self) -> bool:
        """Start sends for due deliveries while there is room; True if any started."""
        if self._stopping:
            return False
        async with self._fill_lock:
            room = self.concurrency - len(self._inflight)
            if room <= 0:
                return False
            batch = await delivery.due(self.db, self.clock.now(), limit=room + len(self._inflight))
            fresh = [item for item in batch if item.id not in self._inflight][:room]
            loop = asyncio.get_running_loop()
            for item in fresh:
                task = loop.create_task(self._guarded(item), name=f"rankfile-send-{item.id}")
                self._inflight[item.id] = task
                task.add_done_callback(lambda _t, key=item.id: self._finished(key))
            return bool(fresh)

    def _finished(self, delivery_id: int) -> None:
        self._inflight.pop(delivery_id, None)
        self._wake.set()

    async def drain(self) -> None:
        """Send everything due now, then return (tests and the sandbox settle on this)."""
        if not self.bot.is_ready() or self._stopping:
            return
        while True:
            await self._fill()
            if not self._inflight:
                return
            await asyncio.wait(list(self._inflight.values()), return_when=asyncio.FIRST_COMPLETED)

    # -- one delivery ----------------------------------------------------------------------

    async def _guarded(self, item: delivery.Delivery) -> None:
        try:
            await self._deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A bug or a payload Discord's client cannot build: stop retrying this one.
            log.exception("delivery %s failed unexpectedly", item.id)
            with contextlib.suppress(Exception):
                await delivery.mark_failed(
                    self.db, item.id, f"internal error ({type(exc).__name__})", self.clock.now()
                )

    async def _pace(self) -> None:
        # Never near Discord's ban on invalid requests, never over its 50 requests a second.
        await self.invalid_requests.wait_until_allowed()
        await self.pacer.wait()

    async def _still_entitled(self, item: delivery.Delivery) -> str | None:
        """Why this target may no longer have the message (None: it may)."""
        if item.target_kind == "channel":
            if item.requires == "private" and self._readable_by_everyone(item.target_id):
                log.warning("delivery %s not posted: @everyone can read its channel", item.id)
                return "channel_public"
            return None
        if not item.guild_id:
            return None
        if not self.membership.cached(item.guild_id, item.target_id):
            await self._pace()
        return await self.membership.check(item.guild_id, item.target_id, item.requires)

    def _readable_by_everyone(self, channel_id: int) -> bool:
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            return False  # not seen: the send itself says whether it exists
        return channel.permissions_for(channel.guild.default_role).view_channel

    async def _deliver(self, item: delivery.Delivery) -> None:
        now = self.clock.now
        cached = False
        channel_id = 0
        try:
            reason = await self._still_entitled(item)
        except (discord.DiscordServerError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self._retry(item, _short_reason(exc))
            return
        except discord.RateLimited as exc:
            await self._postpone(item, exc.retry_after)
            return
        except discord.HTTPException as exc:
            if exc.status == 429:
                await self._postpone(item, None)
            else:
                # Discord would not say whether they are a member: send nothing to them.
                await delivery.mark_skipped(self.db, item.id, "missing_access", now())
            return
        if reason is not None:
            await delivery.mark_skipped(self.db, item.id, reason, now())
            return
        if item.target_kind == "dm" and await dm_limits.closed_recently(
            self.db, item.target_id, now()
        ):
            # Found closed within the week: another try would only be refused (and counted).
            await delivery.mark_skipped(self.db, item.id, "dms_closed", now())
            return
        try:
            channel_id, cached = await self._channel_for(item)
            message_id = await asyncio.wait_for(self._send(item, channel_id), self.send_timeout)
        except _OverBudget as over:
            await delivery.postpone(self.db, item.id, over.until, "dm_budget", now())
        except discord.RateLimited as exc:
            await self._postpone(item, exc.retry_after)
        except discord.Forbidden as exc:
            reason = "dms_closed" if exc.code == 50007 else "missing_access"
            if reason == "dms_closed":
                await dm_limits.mark_closed(self.db, item.target_id, now())
                closed = getattr(self.bot, "closed_dms", None)
                if closed is not None:
                    closed.add(item.target_id)
            await delivery.mark_skipped(self.db, item.id, reason, now())
        except discord.NotFound as exc:
            if item.target_kind == "dm" and cached and exc.code == 10003:
                # The remembered DM channel is gone: open a fresh one on the next try.
                await delivery.forget_dm_channel(self.db, item.target_id, channel_id)
                await self._retry(item, "dm channel gone")
                return
            reason = _GONE.get(
                exc.code, "channel_gone" if item.target_kind == "channel" else "member_left"
            )
            await delivery.mark_skipped(self.db, item.id, reason, now())
        except (discord.DiscordServerError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self._retry(item, _short_reason(exc))
        except discord.HTTPException as exc:
            if exc.status == 429:
                await self._postpone(item, None)
            elif item.target_kind == "dm" and not channel_id:
                # Discord would not open a DM with this user (unknown or deleted account).
                await delivery.mark_skipped(self.db, item.id, "member_left", now())
            else:
                # Discord refused the message itself (a 400): retrying will not help.
                await delivery.mark_failed(self.db, item.id, f"rejected ({exc.code})", now())
        else:
            await delivery.mark_sent(self.db, item.id, channel_id, message_id, now())
            self.sent += 1

    async def _retry(self, item: delivery.Delivery, reason: str) -> None:
        now = self.clock.now()
        if item.attempts + 1 >= MAX_ATTEMPTS:
            log.warning("delivery %s failed after %s attempts: %s", item.id, MAX_ATTEMPTS, reason)
            await delivery.mark_failed(self.db, item.id, reason, now)
            return
        delay = BACKOFF_BASE ** (item.attempts + 1) * random.uniform(0.8, 1.2)
        await delivery.retry_later(self.db, item.id, now + timedelta(seconds=delay), reason, now)

    async def _postpone(self, item: delivery.Delivery, retry_after: float | None) -> None:
        now = self.clock.now()
        wait = max(1.0, retry_after or 5.0)
        await delivery.postpone(
            self.db, item.id, now + timedelta(seconds=wait), "rate_limited", now
        )

    async def _channel_for(self, item: delivery.Delivery) -> tuple[int, bool]:
        """(channel id, whether it came from the remembered DM channels)."""
        if item.target_kind == "channel":
            return item.target_id, False
        known = await delivery.dm_channel(self.db, item.target_id)
        if known is not None:
            return known, True
        wait_until = await dm_limits.budget_wait(self.db, self.clock.now(), self.new_dm_budget)
        if wait_until is not None:
            raise _OverBudget(wait_until)
        await self._pace()
        data = await asyncio.wait_for(
            self.bot.http.start_private_message(item.target_id), self.send_timeout
        )
        channel_id = int(data["id"])
        await delivery.remember_dm_channel(self.db, item.target_id, channel_id, self.clock.now())
        return channel_id, False

    async def _send(self, item: delivery.Delivery, channel_id: int) -> int:
        body: dict[str, Any] = await self._readable(item, dict(item.payload))
        files = body.pop("files", None) or []
        # Belt and braces: a payload without allowed_mentions would let its text ping.
        body.setdefault("allowed_mentions", {"parse": []})
        await self._pace()
        if item.action == "edit":
            body.pop("nonce", None)
            route = Route(
                "PATCH",
                "/channels/{channel_id}/messages/{message_id}",
                channel_id=channel_id,
                message_id=item.edit_message_id,
            )
            data = await self.bot.http.request(route, json=body)
            return int(data["id"])
        body["nonce"] = nonce_for(item.id)
        body["enforce_nonce"] = True
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        if not files:
            data = await self.bot.http.request(route, json=body)
            return int(data["id"])
        body["attachments"] = [
            {"id": i, "filename": f["name"]}
            | ({"description": f["description"]} if f.get("description") else {})
            for i, f in enumerate(files)
        ]
        form: list[dict[str, Any]] = [{"name": "payload_json", "value": _to_json(body)}]
        attachments = []
        for index, file in enumerate(files):
            raw = base64.b64decode(file["data"])
            form.append(
                {
                    "name": f"files[{index}]",
                    "value": raw,
                    "filename": file["name"],
                    "content_type": "application/octet-stream",
                }
            )
            attachments.append(discord.File(io.BytesIO(raw), filename=file["name"]))
        data = await self.bot.http.request(route, form=form, files=attachments)
        return int(data["id"])

    async def _readable(self, item: delivery.Delivery, body: dict[str, Any]) -> dict[str, Any]:
        """The message as its reader asked, decided at send time: a DM to a member who chose
        plain text (`/settings plain-text`) carries only the plain form; a channel post in a
        server that asked for it (`/setup accessibility`) carries the plain text beside its
        embeds."""
        if not body.get("embeds"):
            return body
        # An edit names its channel: a member's DM channel is read as that member asked.
        member = item.target_id if item.target_kind == "dm" else None
        if item.action == "edit":
            member = await delivery.dm_owner(self.db, item.target_id)
        if member is not None:
            if await preferences.plain_text(self.db, item.guild_id, member):
                return render.plain_payload(body)
            return body
        if (await guild_settings.get(self.db, item.guild_id)).plain_text_posts:
            return render.with_plain_text(body)
        return body


class _OverBudget(Exception):
    """Opening another new DM channel now would pass the day's budget."""

    def __init__(self, until: datetime) -> None:
        super().__init__("new DM budget used")
        self.until = until


def _short_reason(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"discord error {exc.status}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return type(exc).__name__
