"""Injected failures (429s, 5xx, 403s, slow answers) and a Discord-like rate limiter.

:meth:`Faults.inject` answers the next matching requests with a chosen status;
:meth:`Faults.rate_limit` switches on fixed-window buckets per route and major parameter,
plus a global cap, with Discord's X-RateLimit-* headers. A 429 carries ``Via: 1.1 google``:
discord.py retries a 429 only with a Via header and takes one without it for a Cloudflare
ban (``via=False`` tests that path).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from aiohttp import web

from bot.sandbox.fake.wire import error_response, json_response


@dataclass
class Fault:
    """An injected answer for the next ``times`` matching requests."""

    method: str
    route: str
    status: int | None
    times: int = 1
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None
    is_global: bool = False
    delay: float | None = None
    via: bool = True  # a 429 carries "Via: 1.1 google" (False: the Cloudflare-ban path)


@dataclass
class _Bucket:
    limit: int
    per: float
    remaining: int
    reset_at: float  # monotonic
    name: str


class RateLimiter:
    """Fixed-window buckets per route and major parameter, plus a global per-second cap."""

    def __init__(
        self,
        global_per_second: int,
        route_limits: dict[str, tuple[int, float]],
        default_limit: tuple[int, float],
    ) -> None:
        self.global_per_second = global_per_second
        self.route_limits = route_limits
        self.default_limit = default_limit
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_window: list[float] = []

    def _limit_for(self, method: str, route: str) -> tuple[str, tuple[int, float]]:
        for key in (f"{method} {route}", route):
            if key in self.route_limits:
                return key, self.route_limits[key]
        return f"{method} {route}", self.default_limit

    def check(
        self, method: str, route: str, params: dict[str, str]
    ) -> tuple[dict[str, str], tuple[float, bool] | None]:
        """Return (headers, None) when allowed, or (headers, (retry_after, is_global))."""
        now = time.monotonic()
        key, (limit, per) = self._limit_for(method, route)
        major = next(
            (
                params[p]
                for p in ("channel_id", "guild_id", "webhook_id", "interaction_id")
                if p in params
            ),
            "",
        )
        bucket = self._buckets.get((key, major))
        if bucket is None or now >= bucket.reset_at:
            name = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
            bucket = _Bucket(limit, per, limit, now + per, name)
            self._buckets[(key, major)] = bucket
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Bucket": bucket.name,
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        }
        # Interaction callbacks are not bound by the global limit (Discord's documentation).
        if self.global_per_second and not route.startswith("/interactions/"):
            self._global_window = [t for t in self._global_window if now - t < 1.0]
            if len(self._global_window) >= self.global_per_second:
                retry = 1.0 - (now - self._global_window[0])
                headers["X-RateLimit-Remaining"] = str(bucket.remaining)
                headers["X-RateLimit-Global"] = "true"
                headers["X-RateLimit-Scope"] = "global"
                return headers, (max(retry, 0.001), True)
        if bucket.remaining <= 0:
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Scope"] = "user"
            return headers, (max(reset_after, 0.001), False)
        bucket.remaining -= 1
        if self.global_per_second and not route.startswith("/interactions/"):
            self._global_window.append(now)
        headers["X-RateLimit-Remaining"] = str(bucket.remaining)
        return headers, None


class Faults:
    """The fault and rate-limit controls of :class:`~bot.sandbox.fake.FakeDiscord`.

    A mixin: ``FakeDiscord.__init__`` sets ``_faults``, ``_limiter`` and ``count_429``.
    """

    _faults: list[Fault]
    _limiter: RateLimiter | None
    count_429: int

    def inject(
        self,
        method: str,
        route_template: str,
        status: int | None,
        *,
        times: int = 1,
        code: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        is_global: bool = False,
        delay: float | None = None,
        via: bool = True,
    ) -> Fault:
        """Answer the next ``times`` requests matching (method, route template) with ``status``.

        A 429 carries ``Via: 1.1 google`` (so discord.py retries) unless ``via=False`` (the
        Cloudflare-ban path). ``status=None`` with ``delay`` answers normally after a delay.
        ``route_template`` may be ``"*"``.
        """
        fault = Fault(
            method.upper(),
            route_template,
            status,
            times,
            code,
            message,
            retry_after,
            is_global,
            delay,
            via,
        )
        self._faults.append(fault)
        return fault

    def rate_limit(
        self,
        global_per_second: int = 50,
        route_limits: dict[str, tuple[int, float]] | None = None,
        *,
        default_limit: tuple[int, float] = (5, 5.0),
    ) -> None:
        """Switch on a Discord-like rate limiter.

        ``route_limits`` maps ``"POST /channels/{channel_id}/messages"`` (or a template
        alone) to ``(requests, per_seconds)``, bucketed per major parameter like Discord.
        Every answer then carries X-RateLimit-* headers; excess requests get 429s.
        """
        self._limiter = RateLimiter(global_per_second, route_limits or {}, default_limit)

    def rate_limit_off(self) -> None:
        """Switch the rate limiter off."""
        self._limiter = None

    def _take_fault(self, method: str, route: str) -> Fault | None:
        for f in self._faults:
            if f.times > 0 and f.method in (method, "*") and f.route in (route, "*"):
                f.times -= 1
                if f.times <= 0:
                    self._faults.remove(f)
                return f
        return None

    def _fault_response(self, fault: Fault) -> web.Response:
        status = fault.status or 500
        if status == 429:
            self.count_429 += 1
            retry = fault.retry_after if fault.retry_after is not None else 0.01
            headers = {
                "Retry-After": str(max(1, int(retry + 0.999))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": "fault"
                + hashlib.sha1(fault.route.encode(), usedforsecurity=False).hexdigest()[:10],
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            if fault.via:
                headers["Via"] = "1.1 google"
            body = {
                "message": fault.message or "You are being rate limited.",
                "retry_after": retry,
                "global": fault.is_global,
                "code": fault.code or 0,
            }
            return json_response(body, 429, headers)
        if status >= 500 and fault.code is None:
            # Discord's 5xx often come from the edge as text: discord.py handles both.
            return json_response(
                {"message": fault.message or "500: Internal Server Error", "code": 0}, status
            )
        return error_response(status, fault.code or 0, fault.message or f"{status}: injected")
