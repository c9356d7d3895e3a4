"""The delivery worker: sends what the outbox holds, at Discord's pace, exactly once.

Each post carries a nonce derived from its delivery id with `enforce_nonce`, so if the bot
dies between Discord accepting a message and the row being marked sent, the resend after the
restart returns the same message instead of posting a second one. 429s are waited out by
discord.py's own rate-limit handling and never count as failures; a local token bucket keeps
the bot under Discord's global limit so that 429s stay rare.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import random
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.http import Route
from discord.utils import _to_json

from bot import delivery
from bot.clock import Clock
from bot.db import Database

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger("rankfile.delivery")

MAX_ATTEMPTS = 5
BACKOFF_BASE = 2.0  # seconds: 2, 4, 8, 16 between attempts, with jitter


def nonce_for(delivery_id: int) -> str:
    """The nonce of a delivery's message: stable across restarts, at most 25 characters."""
    return f"rf{delivery_id}"


class Pacer:
    """A token bucket: at most `rate` requests a second, with a small burst."""

    def __init__(self, rate: float, burst: int = 5) -> None:
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
    """Sends pending deliveries in batches, a bounded number at a time."""

    def __init__(
        self,
        bot: commands.Bot,
        db: Database,
        clock: Clock,
        *,
        concurrency: int = 8,
        rate_per_second: float = 45.0,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.concurrency = concurrency
        self.pacer = Pacer(rate_per_second)
        self._wake = asyncio.Event()
        self._batch_lock = asyncio.Lock()
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

    async def stop(self) -> None:
        """Finish the batch in flight, then stop (pending rows stay for the next start)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            async with self._batch_lock:
                self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while not self._stopping:
            try:
                worked = await self._one_batch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery batch failed; retrying shortly")
                worked = False
                await asyncio.sleep(1)
            if worked:
                continue
            self._wake.clear()
            timeout = await self._idle_timeout()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    async def _idle_timeout(self) -> float | None:
        if self.clock.manual:
            return None  # only a wake or a move of the clock brings new work
        nxt = await delivery.next_due(self.db)
        if nxt is None:
            return 60.0
        return max(0.0, min(60.0, (nxt - self.clock.now()).total_seconds()))

    async def _one_batch(self) -> bool:
        async with self._batch_lock:
            batch = await delivery.due(self.db, self.clock.now(), limit=self.concurrency * 8)
            if not batch:
                return False
            semaphore = asyncio.Semaphore(self.concurrency)

            async def bounded(item: delivery.Delivery) -> None:
                async with semaphore:
                    await self._deliver(item)

            await asyncio.gather(*(bounded(item) for item in batch))
            return True

    async def drain(self) -> None:
        """Send everything due now, then return (tests and the sandbox settle on this)."""
        if not self.bot.is_ready():
            return
        while await self._one_batch():
            pass

    # -- one delivery ----------------------------------------------------------------------

    async def _deliver(self, item: delivery.Delivery) -> None:
        now = self.clock.now
        try:
            channel_id = await self._channel_for(item)
            message_id = await self._send(item, channel_id)
        except discord.Forbidden as exc:
            reason = "dms_closed" if exc.code == 50007 else "missing_access"
            await delivery.mark_skipped(self.db, item.id, reason, now())
        except discord.NotFound as exc:
            reason = {10003: "channel_gone", 10008: "message_gone"}.get(exc.code, "member_left")
            await delivery.mark_skipped(self.db, item.id, reason, now())
        except (discord.DiscordServerError, TimeoutError, aiohttp.ClientError, OSError) as exc:
            reason = _short_reason(exc)
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await delivery.mark_failed(self.db, item.id, reason, now())
            else:
                delay = BACKOFF_BASE ** (item.attempts + 1) * random.uniform(0.8, 1.2)
                await delivery.retry_later(
                    self.db, item.id, now() + timedelta(seconds=delay), reason, now()
                )
        except discord.HTTPException as exc:
            # Discord refused the message itself (a 400): retrying will not help.
            await delivery.mark_failed(self.db, item.id, f"rejected ({exc.code})", now())
        else:
            await delivery.mark_sent(self.db, item.id, channel_id, message_id, now())
            self.sent += 1

    async def _channel_for(self, item: delivery.Delivery) -> int:
        if item.target_kind == "channel":
            return item.target_id
        known = await delivery.dm_channel(self.db, item.target_id)
        if known is not None:
            return known
        await self.pacer.wait()
        data = await self.bot.http.start_private_message(item.target_id)
        channel_id = int(data["id"])
        await delivery.remember_dm_channel(self.db, item.target_id, channel_id)
        return channel_id

    async def _send(self, item: delivery.Delivery, channel_id: int) -> int:
        body: dict[str, Any] = dict(item.payload)
        files = body.pop("files", None) or []
        await self.pacer.wait()
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
        body["attachments"] = [{"id": i, "filename": f["name"]} for i, f in enumerate(files)]
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


def _short_reason(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"discord error {exc.status}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return type(exc).__name__
