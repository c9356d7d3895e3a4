"""The bot's clock: real time in production, a clock the tests move by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time, always aware and in UTC."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)

    def on_change(self, callback: Callable[[], None]) -> None:
        """Real time moves by itself: nothing to subscribe to."""

    @property
    def manual(self) -> bool:
        """True for a clock that only moves when told to."""
        return False


class ManualClock(Clock):
    """A clock that stands still until a test (or the sandbox) moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        """The instant the clock was last set to."""
        return self._now

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` each time the clock moves (the scheduler and delivery wake on it)."""
        self._listeners.append(callback)

    @property
    def manual(self) -> bool:
        """This clock moves only when told to."""
        return True

    def set(self, when: datetime) -> None:
        """Move the clock to `when` (forwards or backwards)."""
        self._now = when.astimezone(UTC)
        for callback in list(self._listeners):
            callback()

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move the clock forward by `delta` or by timedelta keyword arguments."""
        self.set(self._now + (delta if delta is not None else timedelta(**kwargs)))
        return self._now
