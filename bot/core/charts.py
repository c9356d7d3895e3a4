"""The one way to draw a PNG: matplotlib's Agg backend, a fixed size and look, bytes out.

Drawing is CPU work: cogs call the capability's chart function through
`asyncio.to_thread(...)` so the event loop keeps answering members.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # no display on servers; must come before pyplot

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

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


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
