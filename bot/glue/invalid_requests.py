"""Far from Discord's ban on invalid requests.

Discord bans a bot's IP address for a while after 10,000 invalid requests (401, 403, 429) in 10
minutes. Every response the bot gets passes through here (an aiohttp trace on discord.py's
session); the delivery worker pauses all sending while the last 10 minutes hold PAUSE_AT of
them, and a 401 (the token was reset) stops the bot with one line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from types import SimpleNamespace

import aiohttp

log = logging.getLogger("rankfile.delivery")

WINDOW = 600.0  # seconds: Discord's 10 minutes
PAUSE_AT = 2500  # a quarter of Discord's 10,000
INVALID = (401, 403, 429)


class InvalidRequests:
    """A sliding 10-minute count of the bot's invalid requests."""

    def __init__(
        self,
        *,
        pause_at: int = PAUSE_AT,
        window: float = WINDOW,
        on_unauthorized: Callable[[], None] | None = None,
    ) -> None:
        self.pause_at = pause_at
        self.window = window
        self.on_unauthorized = on_unauthorized
        self._times: deque[float] = deque()
        self._paused_logged = False

    def trace_config(self) -> aiohttp.TraceConfig:
        """The trace to give discord.py (`http_trace=`): it sees every response."""
        trace = aiohttp.TraceConfig()

        async def on_request_end(
            _session: aiohttp.ClientSession,
            _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            response = params.response
            # A 429 of a shared resource (another bot's traffic) is not counted by Discord.
            shared = response.headers.get("X-RateLimit-Scope") == "shared"
            self.record(response.status, shared=shared)

        trace.on_request_end.append(on_request_end)
        return trace

    def record(self, status: int, *, shared: bool = False) -> None:
        """Count one response."""
        if status not in INVALID or (status == 429 and shared):
            return
        self._times.append(time.monotonic())
        if status == 401 and self.on_unauthorized is not None:
            self.on_unauthorized()

    def count(self) -> int:
        """Invalid requests in the last 10 minutes."""
        cutoff = time.monotonic() - self.window
        while self._times and self._times[0] <= cutoff:
            self._times.popleft()
        return len(self._times)

    @property
    def paused(self) -> bool:
        """Whether sending is paused (too many invalid requests lately)."""
        return self.count() >= self.pause_at

    async def wait_until_allowed(self) -> None:
        """Return at once when sending is allowed; else wait until the window allows it."""
        while self.paused:
            if not self._paused_logged:
                self._paused_logged = True
                log.warning(
                    "sending paused: %s invalid requests in 10 minutes (Discord bans at 10,000)",
                    len(self._times),
                )
            wait = self._times[len(self._times) - self.pause_at] + self.window - time.monotonic()
            await asyncio.sleep(max(0.05, wait))
        if self._paused_logged:
            self._paused_logged = False
            log.info("sending resumed")
