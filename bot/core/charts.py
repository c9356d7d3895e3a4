"""The one way to draw a PNG: matplotlib's Agg backend, a fixed size and look, bytes out.

Drawing is CPU work: cogs call the capability's chart function through
`asyncio.to_thread(...)` so the event loop keeps answering members. Axes that count people
use `count_axis` (whole numbers from zero: never 0.2 voters); time axes use `time_axis`, in
the server's zone and labelled with it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display on servers; must come before pyplot

from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

DPI = 100
# One palette for every chart, readable on Discord's dark and light themes.
PALETTE = ["#5865F2", "#57F287", "#FEE75C", "#EB459E", "#ED4245", "#9B59B6", "#3BA55C", "#FAA61A"]
GREY = "#99AAB5"


@contextmanager
def figure(width: float = 10, height: float = 6) -> Iterator[Figure]:
    """A new figure in the house style; closed when the block ends."""
    fig = plt.figure(figsize=(width, height), dpi=DPI)
    try:
        yield fig
    finally:
        plt.close(fig)


def count_axis(axis: Axis) -> None:
    """An axis of counts (people, volunteers): whole-number ticks, starting at zero."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if axis.axis_name == "y":
        axis.axes.set_ylim(bottom=0, top=max(1, axis.axes.get_ylim()[1]))
    else:
        axis.axes.set_xlim(left=0, right=max(1, axis.axes.get_xlim()[1]))


def time_axis(ax: Axes, zone: str | ZoneInfo) -> None:
    """The x axis as dates and times in the server's zone, labelled with it."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    locator = AutoDateLocator(tz=tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=tz))
    ax.set_xlabel(f"Time ({tz.key})")


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
