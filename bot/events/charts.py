"""The turnout chart of a vote (a PNG; cogs draw it in a thread)."""

from __future__ import annotations

from datetime import datetime

from matplotlib.axes import Axes

from bot.core import charts
from bot.events.model import Event


def turnout_chart(
    event: Event,
    points: list[tuple[datetime, dict[str, int]]],
    members: dict[str, int | None],
    zone: str,
) -> bytes:
    """A PNG of turnout over time per unit: the share when every unit's count is known, else
    how many said they voted (whole numbers); time in the server's zone."""
    with charts.figure(10, 5) as fig:
        draw_turnout(fig.add_subplot(1, 1, 1), event, points, members, zone)
        fig.autofmt_xdate()
        return charts.to_png(fig)


def draw_turnout(
    ax: Axes,
    event: Event,
    points: list[tuple[datetime, dict[str, int]]],
    members: dict[str, int | None],
    zone: str,
) -> None:
    """The turnout chart on one set of axes (what `turnout_chart` renders)."""
    keys = sorted({k for _, counts in points for k in counts} | set(members))
    shares = bool(keys) and all(members.get(k) for k in keys)
    for i, key in enumerate(keys):
        xs = [event.starts_at] + [at for at, _ in points]
        ys: list[float] = [0] + [counts.get(key, 0) for _, counts in points]
        total = members.get(key)
        if shares and total:
            ys = [100 * y / total for y in ys]
        ax.step(xs, ys, where="post", label=key, color=charts.PALETTE[i % len(charts.PALETTE)])
    ax.set_ylabel("% of eligible members" if shares else "members who said they voted")
    if shares:
        ax.set_ylim(0, 100)
    else:
        charts.count_axis(ax.yaxis)
    ax.set_title(f"Turnout: {event.title}"[:80])
    for s in event.sessions:
        if s.state == "scheduled" and s.ends_at:
            ax.axvspan(s.starts_at, s.ends_at, color=charts.GREY, alpha=0.15)
    charts.time_axis(ax, zone)
    if keys:
        ax.legend(loc="upper left")
