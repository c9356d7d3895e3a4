"""The turnout chart of a vote (a PNG; cogs draw it in a thread), and what it shows in words
(the attachment's description: screen readers read it out)."""

from __future__ import annotations

from datetime import datetime

from matplotlib.axes import Axes

from bot.core import charts
from bot.core.render import Limits, listing
from bot.events.model import Event

# Beside its colour, each unit's line has its own style and marker, and its name at its end.
STYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def _keys(
    points: list[tuple[datetime, dict[str, int]]], members: dict[str, int | None]
) -> list[str]:
    return sorted({k for _, counts in points for k in counts} | set(members))


def turnout_lines(
    points: list[tuple[datetime, dict[str, int]]], members: dict[str, int | None]
) -> list[str]:
    """Each unit's latest turnout in words: "600: 12 of 40 (30%)"."""
    latest = points[-1][1] if points else {}
    lines = []
    for key in _keys(points, members):
        said, total = latest.get(key, 0), members.get(key)
        if total:
            lines.append(f"{key}: {said} of {total} ({round(100 * said / total)}%)")
        else:
            lines.append(f"{key}: {said} said they voted")
    return lines


def turnout_description(
    event: Event,
    points: list[tuple[datetime, dict[str, int]]],
    members: dict[str, int | None],
) -> str:
    """What the turnout chart shows and its latest numbers, within 1,024 characters."""
    head = (
        f"Line chart of turnout over time for {event.title}: one line per unit (each its own "
        "colour, line style and marker), the share of eligible members who said they voted "
        "when every unit's size is known, else the count; shaded spans are voting sessions. "
        "Latest:"
    )
    lines = turnout_lines(points, members) or ["no turnout reported yet"]
    return listing(lines, Limits.ATTACHMENT_DESCRIPTION, head=head, sep="; ")


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
    keys = _keys(points, members)
    shares = bool(keys) and all(members.get(k) for k in keys)
    for i, key in enumerate(keys):
        xs = [event.starts_at] + [at for at, _ in points]
        ys: list[float] = [0] + [counts.get(key, 0) for _, counts in points]
        total = members.get(key)
        if shares and total:
            ys = [100 * y / total for y in ys]
        ax.step(
            xs,
            ys,
            where="post",
            label=key,
            color=charts.PALETTE[i % len(charts.PALETTE)],
            linestyle=STYLES[i % len(STYLES)],
            marker=MARKERS[i % len(MARKERS)],
            markersize=4,
        )
        ax.annotate(key, (xs[-1], ys[-1]), xytext=(4, 0), textcoords="offset points")
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
