"""The CAT's embeds: the commitment, a volunteer's record, the roster line, coverage, the
scale, logs and a unit's totals. Plain dicts from bot.core.render; cogs send them."""

from __future__ import annotations

from discord.utils import escape_markdown

from bot import cat
from bot.core import render
from bot.core.render import Colour, embed
from bot.core.timeparse import discord_timestamp

ROLE_TOO_HIGH = (
    "Discord refused (the CAT role is above the bot's highest role, or the bot lacks "
    "Manage Roles). An admin can drag the bot's role above the CAT role in Server "
    "Settings → Roles; `/setup check` shows what is wrong."
)


def clean(text: str) -> str:
    """Text a member typed, shown as typed (no Markdown)."""
    return escape_markdown(text)


def commitment_embed(commitments: list[str] | tuple[str, ...] = cat.COMMITMENTS) -> dict:
    """The commitment a member accepts by pressing "I commit" (the server's own list)."""
    lines = "\n".join(f"{i}. {clean(c)}" for i, c in enumerate(commitments, 1))
    return embed(
        "Join the Contract Action Team",
        "CAT volunteers talk one-on-one with the coworkers they already know, pass on "
        "what's happening at the table, and bring back what they hear.\n\n"
        f"**As a CAT volunteer I commit to:**\n{lines}\n\n"
        "**And I confirm** that I supervise none of the coworkers I will talk with.\n\n"
        "Press **I commit** to accept both and fill in the short form. If you may supervise "
        "some of them, press **I can't confirm the supervisor part**: a coordinator will talk "
        "it over with you before you get the CAT role. We never ask for the names of the "
        "coworkers you talk with.",
        colour=Colour.INFO,
    )


def volunteer_embed(v: cat.Volunteer, logged: int, title: str = "Your CAT record") -> dict:
    """What the bot holds about one volunteer (shown to that volunteer or a coordinator)."""
    status = {
        "active": "Active volunteer",
        "pending": "Waiting for a coordinator's approval",
        "left": f"Left {discord_timestamp(v.left_at, 'D') if v.left_at else ''}",
        "removed": "Removed by a coordinator",
    }[v.status]
    return embed(
        title,
        fields=[
            ("Name", clean(v.display_name), True),
            ("Unit", clean(v.unit_name), True),
            ("Department or craft", clean(v.department), True),
            ("Shift or availability", clean(v.availability), True),
            ("Preferred contact", clean(v.contact), True),
            ("Status", status, True),
            ("Signed up", discord_timestamp(v.joined_at, "D"), True),
            ("Commitment accepted", discord_timestamp(v.commitment_accepted_at, "D"), True),
            ("Shift", clean(v.shift_name) if v.shift_name else "not set (`/cat details`)", True),
            ("List size", "not set" if v.list_size is None else str(v.list_size), True),
            (
                "Training",
                discord_timestamp(v.training_at, "D") if v.training_at else "not yet",
                True,
            ),
            ("Conversations logged", str(logged), True),
        ],
        colour=Colour.SUCCESS if v.status == "active" else Colour.NEUTRAL,
    )


def roster_line(v: cat.Volunteer) -> str:
    """One volunteer on the roster (coordinators only)."""
    return (
        f"**{clean(v.display_name)}** <@{v.user_id}> · {v.unit_code} · {clean(v.department)} · "
        f"{clean(v.availability)} · {clean(v.contact)} · {v.status}"
        + (" · role not given" if v.role_state == "failed" else "")
        + f" · since {discord_timestamp(v.joined_at, 'd')}"
    )


def coverage_embed(cov: cat.Coverage) -> dict:
    """Coverage per unit and shift: members, active volunteers, the ratio against the target,
    the shortfall, and the uncovered shifts named; this week's and all conversations."""
    notes = [
        f"Server target: one volunteer per **{cov.ratio}** members (units may set their own). "
        f"Active volunteers: **{cov.volunteers}**. Conversations logged: "
        f"**{cov.conversations_week}** this week (since {discord_timestamp(cov.week_start, 'D')}), "
        f"**{cov.conversations_total}** in all."
    ]
    if cov.uncovered:
        shown = cov.uncovered[:15]
        more = f" and {len(cov.uncovered) - 15} more" if len(cov.uncovered) > 15 else ""
        notes.append("**Uncovered:** " + "; ".join(f"{clean(n)}: uncovered" for n in shown) + more)
    if cov.role_failures:
        notes.append(
            f"⚠ {cov.role_failures} active volunteer(s) did not get the CAT role: {ROLE_TOO_HIGH}"
        )
    fields = []
    for u in cov.units[:25]:
        lines = []
        if u.member_count is None:
            lines.append(f"Volunteers: {u.volunteers} (no member count on record)")
        else:
            line = (
                f"{u.member_count} members, {u.volunteers} volunteer(s): "
                f"{cat.ratio_text(u.member_count, u.volunteers)} against 1:{u.ratio}"
            )
            line += f" (**{u.shortfall} more** needed)" if u.shortfall else " ✓ covered"
            lines.append(line)
            # The chart's target bar, in words too.
            lines.append(f"Target: {render.count(u.target or 0, 'volunteer', 'volunteers')}")
        for sh in u.shifts:
            members = "?" if sh.member_count is None else str(sh.member_count)
            line = f"· {clean(sh.name)}: {members} members, {sh.volunteers} volunteer(s)"
            if sh.uncovered:
                line += " — **uncovered**"
            elif sh.shortfall:
                line += f", {cat.ratio_text(sh.member_count, sh.volunteers)} ({sh.shortfall} more)"
            else:
                line += f", {cat.ratio_text(sh.member_count, sh.volunteers)} ✓ covered"
            lines.append(line)
        if u.pending:
            lines.append(f"Pending approval: {u.pending}")
        lines.append(
            f"Conversations: {u.conversations_week} this week, {u.conversations_total} in all"
        )
        if u.top_concerns:
            lines.append("Top concerns: " + ", ".join(f"{c} ({n})" for c, n in u.top_concerns))
        name = ("↳ " * min(u.depth, 1)) + ("  " * max(0, u.depth - 1)) + u.name
        fields.append((render.truncate(name, 256), render.truncate("\n".join(lines), 1024), False))
    return embed(
        "CAT coverage",
        "\n".join(notes),
        fields=fields,
        colour=Colour.WARNING if cov.role_failures or cov.uncovered else Colour.INFO,
    )


def scale_embed(scale: cat.Scale) -> dict:
    """The scale with the server's labels, the strongest end named, retired levels marked."""
    lines = [
        f"**{k}** {clean(scale.label(k))}"
        + (" (strongest support)" if k == 1 else "")
        + (" (strongest opposition)" if k == 5 else "")
        + (" · retired" if k in scale.retired else "")
        for k in range(1, 6)
    ]
    lines.append(f"**0** {cat.NOT_ASSESSED}")
    return embed("Assessment scale", "\n".join(lines), footer=cat.SCALE_NOTE)


def logs_embed(
    title: str,
    entries: list[cat.LogEntry],
    scale: cat.Scale,
    *,
    names: dict[int, str] | None,
) -> dict:
    """Logs as lines: when, unit and shift, how many, level, how, concerns; never coworkers."""
    lines = []
    for e in entries:
        who = ""
        if names is not None and e.volunteer_id is not None:
            who = f" · by {clean(names.get(e.volunteer_id, 'a former volunteer'))}"
        where = clean(e.unit) + (f", {clean(e.shift)}" if e.shift else "")
        level = scale.label(e.level) if e.level in scale.labels or e.level == 0 else "?"
        lines.append(
            f"{discord_timestamp(e.logged_at, 'd')} · {where} · {e.count} · "
            f"level {e.level} {clean(level)}"
            + (f" · {e.method}" if e.method else "")
            + (f" · {clean(e.concerns)}" if e.concerns else "")
            + who
        )
    return embed(
        title, "\n".join(lines) or "Nothing logged yet.", footer=cat.SCALE_NOTE, colour=Colour.INFO
    )


def unit_embeds(report: cat.UnitReport) -> list[dict]:
    """The 30-day level distribution and the 14-day concerns pulse, as two embeds."""
    total = sum(report.distribution.values())
    rows = []
    for k in [*range(1, 6), 0]:
        n = report.distribution.get(k, 0)
        share = f" ({round(100 * n / total)}%)" if total else ""
        strongest = " · strongest" if k == 1 else ""
        rows.append(f"**{k}** {clean(report.scale.label(k))}{strongest}: {n}{share}")
    levels = embed(
        f"{clean(report.unit.label)}: levels, last {cat.DISTRIBUTION_DAYS} days",
        "\n".join(rows),
        footer=f"{cat.SCALE_NOTE} Counts of conversations; no coworker is named.",
        colour=Colour.INFO,
    )
    pulse_rows = [
        f"**{clean(c)}**: {now} in the last {cat.PULSE_DAYS} days (previous {cat.PULSE_DAYS}: "
        f"{before})" + (" ↑ up" if now > before else " ↓ down" if now < before else "")
        for c, now, before in report.pulse[:15]
    ]
    pulse = embed(
        f"{clean(report.unit.label)}: concerns pulse",
        "\n".join(pulse_rows) or "No concerns logged in the last 28 days.",
        colour=Colour.INFO,
    )
    return [levels, pulse]
