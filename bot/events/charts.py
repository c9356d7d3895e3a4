"""The turnout chart of a vote (a PNG; cogs draw it in a thread)."""

from __future__ import annotations

from datetime import datetime

from bot.core import charts
from bot.events.model import Event


def turnout_chart(
    event: Event,
    points: list[tuple[datetime, dict[str, int]]],
    members: dict[str, int | None],
) -> bytes:
    """A PNG of turnout over time per unit: the share when the unit's count is known."""
    with charts.figure(10, 5) as fig:
        ax = fig.add_subplot(1, 1, 1)
        keys = sorted({k for _, counts in points for k in counts} | set(members))
        for i, key in enumerate(keys):
            xs = [event.starts_at] + [at for at, _ in points]
            ys = [0] + [counts.get(key, 0) for _, counts in points]
            total = members.get(key)
            if total:
                ys = [100 * y / total for y in ys]
            ax.step(xs, ys, where="post", label=key, color=charts.PALETTE[i % len(charts.PALETTE)])
        shares = all(members.get(k) for k in keys) and keys
        ax.set_ylabel("% of eligible members" if shares else "said they voted")
        ax.set_title(f"Turnout: {event.title}"[:80])
        for s in event.sessions:
            if s.state == "scheduled" and s.ends_at:
                ax.axvspan(s.starts_at, s.ends_at, color=charts.GREY, alpha=0.15)
        if keys:
            ax.legend(loc="upper left")
        fig.autofmt_xdate()
        return charts.to_png(fig)
