"""The campaign's timeline as a picture: units as rows, statuses as coloured, patterned spans;
and the same facts in words (the picture's description, and the lines shown beside it)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.db import Database
from bot.core.render import Limits, count, listing, truncate
from bot.tracker import model, status
from bot.tracker.model import ALL_HISTORY, STATUSES, Overview, Status, StatusChange, UnitStanding

# A pattern per status beside its colour, so no status is told by colour alone.
HATCH = {
    "not_started": "",
    "negotiating": "//",
    "strike_vote": "xx",
    "strike_authorized": "XX",
    "tentative_agreement": "..",
    "summary_released": "\\\\",
    "moa_released": "++",
    "ratification_vote": "oo",
    "ratified": "||",
    "rejected": "--",
}


def unit_line(s: UnitStanding, zone: str) -> str:
    """One unit in words: "600: Summary released since June 28, TA March 20, waited 100 days
    for the details"."""
    label = STATUSES.get(s.status, STATUSES["not_started"]).label
    text = f"{s.unit.code}: {label}"
    if s.current is not None:
        text += f" since {model.day_text(s.current.reached_at, zone)}"
    if s.tentative_at is not None and s.status != "tentative_agreement":
        text += f", TA {model.day_text(s.tentative_at, zone)}"
    if s.days_waiting is not None:
        text += f", waiting {count(s.days_waiting, 'day', 'days')} for the details"
    elif s.days_to_details is not None:
        text += f", waited {count(s.days_to_details, 'day', 'days')} for the details"
    return text


def timeline_lines(view: Overview, zone: str) -> list[str]:
    """The timeline in words, a line per unit then per general table (the same order as the
    picture, top first)."""
    return [unit_line(s, zone) for s in [*view.standings, *view.tables]]


def timeline_description(view: Overview, zone: str) -> str:
    """What the picture shows and its key numbers (the attachment's description)."""
    head = (
        f"Bargaining timeline: one row per unit, its statuses as spans from left to right "
        f"(each status its own colour and pattern, named beside the unit), a dashed line at "
        f"today. {status.reached_text(view).replace('**', '')}. By unit:"
    )
    return listing(timeline_lines(view, zone), Limits.ATTACHMENT_DESCRIPTION, head=head, sep="; ")


def timeline_png(
    view: Overview,
    histories: dict[int, list[StatusChange]],
    now: datetime,
    zone: str,
) -> bytes:
    """A PNG timeline: units (then general tables) as rows, statuses as coloured spans, today
    marked, dates in the server's zone (CPU work: call through asyncio.to_thread)."""
    # matplotlib loads with the first chart, not when the bot starts.
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.patches import Patch

    from bot.core import charts

    rows = [*view.standings, *view.tables][::-1]
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
                    hatch=HATCH.get(status.code, ""),
                    edgecolor="white",
                    linewidth=0.5,
                )
        ax.set_yticks(range(len(rows)))
        # The current status in words beside each unit: the colour is never the only sign.
        ax.set_yticklabels(
            [
                f"{truncate(s.unit.code, 16)} · "
                + truncate(STATUSES.get(s.status, STATUSES["not_started"]).label, 26)
                for s in rows
            ]
        )
        ax.axvline(date2num(now), color="#ED4245", linestyle="--", linewidth=1.2)
        ax.text(date2num(now), len(rows) - 0.4, " today", color="#ED4245", va="bottom")
        ax.set_xlim(date2num(first) - 2, date2num(now) + 4)
        ax.set_ylim(-0.7, len(rows) - 0.1)
        ax.xaxis.set_major_formatter(DateFormatter("%b %d", tz=ZoneInfo(zone)))
        ax.set_xlabel(f"Date ({zone})")
        ax.set_title("Bargaining timeline")
        ordered = [s for s in STATUSES.values() if s.code in used]
        if ordered:
            ax.legend(
                handles=[
                    Patch(
                        facecolor=s.colour,
                        hatch=HATCH.get(s.code, ""),
                        edgecolor="white",
                        label=s.label,
                    )
                    for s in ordered
                ],
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
