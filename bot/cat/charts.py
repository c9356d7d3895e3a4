"""The CAT's charts as PNG bytes: coverage per unit and shift, one unit's levels and pulse.

Rendering is CPU work: callers run these in a thread.
"""

from __future__ import annotations

from bot.cat import reports
from bot.core import charts


def coverage_chart(cov: reports.Coverage) -> bytes:
    """A PNG bar chart: per unit and per shift, active volunteers beside the target, the
    uncovered ones marked (CPU work: use a thread)."""
    bars: list[tuple[str, int, int, bool]] = []
    for u in cov.units:
        if u.volunteers or u.target or u.shifts:
            bars.append(("  " * u.depth + u.code, u.volunteers, u.target or 0, False))
        for sh in u.shifts:
            label = "  " * u.depth + f"{u.code} · {sh.name}"
            bars.append((label, sh.volunteers, sh.target or 0, sh.uncovered))
    with charts.figure(width=10, height=max(3.0, 0.45 * len(bars) + 1.5)) as fig:
        ax = fig.add_subplot(1, 1, 1)
        positions = list(range(len(bars)))
        ax.barh(
            [p + 0.2 for p in positions],
            [b[2] for b in bars],
            height=0.4,
            color=charts.GREY,
            label="target",
        )
        ax.barh(
            [p - 0.2 for p in positions],
            [b[1] for b in bars],
            height=0.4,
            color=charts.PALETTE[0],
            label="active volunteers",
        )
        for p, b in zip(positions, bars, strict=True):
            if b[3]:
                ax.text(0.1, p - 0.2, "uncovered", va="center", color=charts.PALETTE[4])
        ax.set_yticks(positions)
        ax.set_yticklabels([b[0] for b in bars])
        ax.invert_yaxis()
        ax.set_xlabel("volunteers")
        ax.set_title(f"CAT coverage by unit and shift (server target 1 per {cov.ratio} members)")
        ax.legend(loc="lower right")
        if not bars:
            ax.text(
                0.5,
                0.5,
                "no units with members or volunteers yet",
                ha="center",
                transform=ax.transAxes,
            )
        return charts.to_png(fig)


def unit_chart(report: reports.UnitReport) -> bytes:
    """A PNG: the 30-day level distribution (1 strongest on the left) beside the concerns
    pulse (last 14 days against the 14 before). CPU work: use a thread."""
    with charts.figure(width=12, height=5) as fig:
        left = fig.add_subplot(1, 2, 1)
        levels = list(range(1, 6)) + [0]
        left.bar(
            [str(k) for k in levels],
            [report.distribution.get(k, 0) for k in levels],
            color=[charts.PALETTE[i % len(charts.PALETTE)] for i in range(6)],
        )
        left.set_title(f"{report.unit.code}: last {reports.DISTRIBUTION_DAYS} days (1 = strongest)")
        left.set_xlabel(
            ", ".join(f"{k} {report.scale.label(k)}" for k in levels[:5]) + ", 0 not assessed",
            fontsize=8,
        )
        right = fig.add_subplot(1, 2, 2)
        names = [c for c, _, _ in report.pulse][:8]
        positions = list(range(len(names)))
        right.barh(
            [p - 0.2 for p in positions],
            [n for _, n, _ in report.pulse][:8],
            height=0.4,
            color=charts.PALETTE[0],
            label=f"last {reports.PULSE_DAYS} days",
        )
        right.barh(
            [p + 0.2 for p in positions],
            [n for _, _, n in report.pulse][:8],
            height=0.4,
            color=charts.GREY,
            label=f"{reports.PULSE_DAYS} days before",
        )
        right.set_yticks(positions)
        right.set_yticklabels(names)
        right.invert_yaxis()
        right.set_title("Concerns pulse")
        if names:
            right.legend(loc="lower right")
        else:
            right.text(0.5, 0.5, "no concerns logged", ha="center", transform=right.transAxes)
        return charts.to_png(fig)
