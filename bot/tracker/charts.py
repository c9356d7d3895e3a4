"""The campaign's timeline as a picture: units as rows, statuses as coloured spans."""

from __future__ import annotations

from datetime import datetime

from bot.core.db import Database
from bot.core.render import truncate
from bot.tracker import model, status
from bot.tracker.model import ALL_HISTORY, STATUSES, Overview, Status, StatusChange


def timeline_png(view: Overview, histories: dict[int, list[StatusChange]], now: datetime) -> bytes:
    """A PNG timeline: units as rows, statuses as coloured spans, today marked (CPU work:
    call through asyncio.to_thread)."""
    # matplotlib loads with the first chart, not when the bot starts.
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.patches import Patch

    from bot.core import charts

    rows = [s for s in view.standings][::-1]
    height = max(3.0, 0.45 * len(rows) + 1.8)
    with charts.figure(11, height) as fig:
        ax = fig.add_subplot(1, 1, 1)
        starts = [c.reached_at for h in histories.values() for c in h]
        first = min(starts) if starts else now
        used: dict[str, Status] = {}
        for y, s in enumerate(rows):
            changes = histories.get(s.unit.id, [])
            for i, c in enumerate(changes):
                end = changes[i + 1].reached_at if i + 1 < len(changes) else now
                if end <= c.reached_at:
                    continue
                status = STATUSES.get(c.status, STATUSES["not_started"])
                used[status.code] = status
                left = date2num(c.reached_at)
                ax.barh(
                    y,
                    date2num(end) - left,
                    left=left,
                    height=0.6,
                    color=status.colour,
                    edgecolor="white",
                    linewidth=0.5,
                )
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([truncate(s.unit.code, 16) for s in rows])
        ax.axvline(date2num(now), color="#ED4245", linestyle="--", linewidth=1.2)
        ax.text(date2num(now), len(rows) - 0.4, " today", color="#ED4245", va="bottom")
        ax.set_xlim(date2num(first) - 2, date2num(now) + 4)
        ax.set_ylim(-0.7, len(rows) - 0.1)
        ax.xaxis.set_major_formatter(DateFormatter("%b %d"))
        ax.set_title("Bargaining timeline")
        ordered = [s for s in STATUSES.values() if s.code in used]
        if ordered:
            ax.legend(
                handles=[Patch(color=s.colour, label=s.label) for s in ordered],
                loc="upper left",
                bbox_to_anchor=(1.01, 1),
                fontsize=8,
            )
        return charts.to_png(fig)


async def chart_data(
    db: Database, guild_id: int, now: datetime, zone: str
) -> tuple[Overview, dict[int, list[StatusChange]]]:
    """What `timeline_png` draws, read in one go (so the drawing thread never touches the db)."""
    view = await status.overview(db, guild_id, now, zone)
    by_unit: dict[int, list[StatusChange]] = {}
    for row in await db.fetchall(ALL_HISTORY, (guild_id,)):
        by_unit.setdefault(row["unit_id"], []).append(model.change_from_row(row))
    return view, by_unit
