"""The CAT's charts as PNG bytes: coverage per unit and shift, one unit's levels and pulse;
and what each shows in words (the attachment's description: screen readers read it out).

Rendering is CPU work: callers run these in a thread.
"""

from __future__ import annotations

from bot.cat import reports
from bot.core import charts
from bot.core.render import Limits, listing

# Beside the colours, the target bars are hatched and every bar carries its number.
TARGET_HATCH = "//"


def _bars(cov: reports.Coverage) -> list[tuple[str, int, int, bool]]:
    """(label, active volunteers, target, uncovered) per unit and per shift, as drawn."""
    bars: list[tuple[str, int, int, bool]] = []
    for u in cov.units:
        if u.volunteers or u.target or u.shifts:
            bars.append(("  " * u.depth + u.code, u.volunteers, u.target or 0, False))
        for sh in u.shifts:
            label = "  " * u.depth + f"{u.code} · {sh.name}"
            bars.append((label, sh.volunteers, sh.target or 0, sh.uncovered))
    return bars


def coverage_description(cov: reports.Coverage) -> str:
    """What the coverage chart shows and its numbers, within Discord's 1,024 characters."""
    head = (
        "Bar chart of CAT coverage: for each unit and shift, active volunteers (solid bar) "
        f'beside the target (hatched grey bar), uncovered shifts marked "uncovered". Target: '
        f"1 volunteer per {cov.ratio} members; active volunteers in all: {cov.volunteers}. "
        "By unit and shift:"
    )
    lines = [
        f"{label.strip()}: {volunteers} active"
        + (f" of a target of {target}" if target else ", no target set")
        + (", uncovered" if uncovered else "")
        for label, volunteers, target, uncovered in _bars(cov)
    ]
    if not lines:
        lines = ["no units with members or volunteers yet"]
    return listing(lines, Limits.ATTACHMENT_DESCRIPTION, head=head, sep="; ")


def unit_description(report: reports.UnitReport) -> str:
    """What the unit chart shows (levels, then the concerns pulse) and its numbers."""
    levels = [*range(1, 6), 0]
    counts = ", ".join(
        f"{k} {report.scale.label(k)}: {report.distribution.get(k, 0)}" for k in levels
    )
    head = (
        f"Two bar charts for {report.unit.code}. Left: conversations by level over the last "
        f"{reports.DISTRIBUTION_DAYS} days (1 strongest, 0 not assessed): {counts}. Right: "
    )
    if not report.pulse:
        return head + f"no concerns logged in the last {2 * reports.PULSE_DAYS} days."
    head += (
        f"concerns in the last {reports.PULSE_DAYS} days (solid) against the "
        f"{reports.PULSE_DAYS} days before (hatched):"
    )
    lines = [f"{name} {now} (before {before})" for name, now, before in report.pulse[:8]]
    return listing(lines, Limits.ATTACHMENT_DESCRIPTION, head=head, sep="; ")


def coverage_chart(cov: reports.Coverage) -> bytes:
    """A PNG bar chart: per unit and per shift, active volunteers beside the target, the
    uncovered ones marked (CPU work: use a thread)."""
    bars = _bars(cov)
    with charts.figure(width=10, height=max(3.0, 0.45 * len(bars) + 1.5)) as fig:
        ax = fig.add_subplot(1, 1, 1)
        positions = list(range(len(bars)))
        targets = ax.barh(
            [p + 0.2 for p in positions],
            [b[2] for b in bars],
            height=0.4,
            color=charts.GREY,
            hatch=TARGET_HATCH,
            edgecolor="white",
            label="target (hatched)",
        )
        active = ax.barh(
            [p - 0.2 for p in positions],
            [b[1] for b in bars],
            height=0.4,
            color=charts.PALETTE[0],
            label="active volunteers (solid)",
        )
        ax.bar_label(targets, padding=2, fontsize=7)
        ax.bar_label(active, padding=2, fontsize=7)
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
        drawn = left.bar(
            [str(k) for k in levels],
            [report.distribution.get(k, 0) for k in levels],
            color=[charts.PALETTE[i % len(charts.PALETTE)] for i in range(6)],
        )
        left.bar_label(drawn, padding=2, fontsize=8)
        left.set_title(f"{report.unit.code}: last {reports.DISTRIBUTION_DAYS} days (1 = strongest)")
        left.set_xlabel(
            ", ".join(f"{k} {report.scale.label(k)}" for k in levels[:5]) + ", 0 not assessed",
            fontsize=8,
        )
        right = fig.add_subplot(1, 2, 2)
        names = [c for c, _, _ in report.pulse][:8]
        positions = list(range(len(names)))
        recent = right.barh(
            [p - 0.2 for p in positions],
            [n for _, n, _ in report.pulse][:8],
            height=0.4,
            color=charts.PALETTE[0],
            label=f"last {reports.PULSE_DAYS} days (solid)",
        )
        before = right.barh(
            [p + 0.2 for p in positions],
            [n for _, _, n in report.pulse][:8],
            height=0.4,
            color=charts.GREY,
            hatch=TARGET_HATCH,
            edgecolor="white",
            label=f"{reports.PULSE_DAYS} days before (hatched)",
        )
        right.bar_label(recent, padding=2, fontsize=7)
        right.bar_label(before, padding=2, fontsize=7)
        right.set_yticks(positions)
        right.set_yticklabels(names)
        right.invert_yaxis()
        right.set_title("Concerns pulse")
        if names:
            right.legend(loc="lower right")
        else:
            right.text(0.5, 0.5, "no concerns logged", ha="center", transform=right.transAxes)
        return charts.to_png(fig)
