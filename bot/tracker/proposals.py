"""Proposals at the table: the open items of a unit's negotiations, whose move it is, and
the date of the last exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import audit, units
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.render import Colour, embed, truncate
from bot.tracker.model import REASON_MAX, date_text, days_between

PROPOSAL_TITLE_MAX = 150
MOVES = ("union", "employer")
PROPOSAL_INSERT = (
    "INSERT INTO proposal (guild_id, unit_id, title, whose_move, last_exchange_at, note, "
    "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
PROPOSAL_GET = "SELECT * FROM proposal WHERE guild_id = ? AND id = ?"
PROPOSAL_OPEN = (
    "SELECT * FROM proposal WHERE guild_id = ? AND unit_id = ? AND state = 'open' "
    "ORDER BY last_exchange_at DESC, id"
)
PROPOSAL_SET = (
    "UPDATE proposal SET whose_move = ?, last_exchange_at = ?, note = ? WHERE id = ? "
    "AND state = 'open'"
)
PROPOSAL_CLOSE = (
    "UPDATE proposal SET state = 'closed', outcome = ?, closed_at = ? WHERE id = ? "
    "AND state = 'open'"
)


@dataclass(frozen=True)
class Proposal:
    """An open (or closed) item at the table: whose move it is, and the last exchange."""

    id: int
    unit_id: int
    title: str
    whose_move: str
    last_exchange_at: datetime
    note: str | None
    state: str
    outcome: str | None


def _proposal(row: Any) -> Proposal:
    return Proposal(
        row["id"],
        row["unit_id"],
        row["title"],
        row["whose_move"],
        from_db(row["last_exchange_at"]),
        row["note"],
        row["state"],
        row["outcome"],
    )


def _move(text: str) -> str:
    move = (text or "").strip().lower()
    if move not in MOVES:
        raise UserError("Whose move is it: `union` or `employer`?")
    return move


def _clean_note(note: str | None) -> str | None:
    note = " ".join((note or "").split()) or None
    if note is not None and len(note) > REASON_MAX:
        raise UserError(f"The note is {len(note)} characters; keep it to {REASON_MAX}.")
    return note


async def add_proposal(
    db: Database,
    guild_id: int,
    unit_text: str,
    title: str,
    whose_move: str,
    actor_id: int | None,
    now: datetime,
    *,
    exchanged_at: datetime | None = None,
    note: str | None = None,
) -> Proposal:
    """Add an open item at a unit's table (audited)."""
    title = " ".join((title or "").split())
    if not title or len(title) > PROPOSAL_TITLE_MAX:
        raise UserError(f"Name the item in 1 to {PROPOSAL_TITLE_MAX} characters, like `Wages`.")
    move, note = _move(whose_move), _clean_note(note)
    when = exchanged_at or now
    if when > now:
        raise UserError("The last exchange is today or in the past: give a date that has come.")
    async with db.transaction():
        unit = await units.find(db, guild_id, unit_text)
        new_id = await db.execute(
            PROPOSAL_INSERT,
            (guild_id, unit.id, title, move, to_db(when), note, to_db(now), actor_id),
        )
        await audit.record(db, guild_id, actor_id, "tracker.proposal_add", f"proposal {new_id}",
                           None, now)  # fmt: skip
        return await get_proposal(db, guild_id, new_id)


async def get_proposal(db: Database, guild_id: int, proposal_id: int) -> Proposal:
    """One item by number, or NotFound."""
    row = await db.fetchone(PROPOSAL_GET, (guild_id, proposal_id))
    if row is None:
        raise NotFound(
            f"There is no proposal #{proposal_id} here: `/tracker proposals unit:` lists them."
        )
    return _proposal(row)


async def set_proposal(
    db: Database,
    guild_id: int,
    proposal_id: int,
    actor_id: int | None,
    now: datetime,
    *,
    whose_move: str | None = None,
    exchanged_at: datetime | None = None,
    note: str | None = None,
) -> Proposal:
    """Record an exchange on an open item: whose move it is now and when (today by default)."""
    async with db.transaction():
        current = await get_proposal(db, guild_id, proposal_id)
        if current.state != "open":
            raise Conflict(f"Proposal #{proposal_id} is closed.")
        move = _move(whose_move) if whose_move else current.whose_move
        when = exchanged_at or now
        if when > now:
            raise UserError("The exchange is today or in the past: give a date that has come.")
        note = _clean_note(note) if note is not None else current.note
        await db.execute(PROPOSAL_SET, (move, to_db(when), note, proposal_id))
        await audit.record(db, guild_id, actor_id, "tracker.proposal_set",
                           f"proposal {proposal_id}", move, now)  # fmt: skip
        return await get_proposal(db, guild_id, proposal_id)


async def close_proposal(
    db: Database, guild_id: int, proposal_id: int, outcome: str | None, actor_id: int | None,
    now: datetime,
) -> Proposal:  # fmt: skip
    """Close an item (agreed, withdrawn...), with an optional outcome for members."""
    async with db.transaction():
        current = await get_proposal(db, guild_id, proposal_id)
        if current.state != "open":
            raise Conflict(f"Proposal #{proposal_id} is already closed.")
        await db.execute(PROPOSAL_CLOSE, (_clean_note(outcome), to_db(now), proposal_id))
        await audit.record(db, guild_id, actor_id, "tracker.proposal_close",
                           f"proposal {proposal_id}", None, now)  # fmt: skip
        return await get_proposal(db, guild_id, proposal_id)


async def open_proposals(
    db: Database, guild_id: int, unit_text: str
) -> tuple[units.Unit, list[Proposal]]:
    """A unit's open items, most recent exchange first."""
    unit = await units.find(db, guild_id, unit_text)
    return unit, [_proposal(r) for r in await db.fetchall(PROPOSAL_OPEN, (guild_id, unit.id))]


def proposals_embed(
    unit: units.Unit, items: list[Proposal], now: datetime, zone: str
) -> dict[str, Any]:
    """`/tracker proposals unit:`: each open item, whose move, the last exchange."""
    if not items:
        text = "No open items recorded at this table."
    else:
        lines = []
        for p in items:
            days = days_between(p.last_exchange_at, now, zone)
            ago = "today" if days == 0 else f"{days} day{'' if days == 1 else 's'} ago"
            who = "the union's" if p.whose_move == "union" else "the employer's"
            line = (
                f"`#{p.id}` **{truncate(p.title, 80)}** · {who} move · last exchange "
                f"{date_text(p.last_exchange_at, zone)} ({ago})"
            )
            if p.note:
                line += f"\n  {truncate(p.note, 200)}"
            lines.append(line)
        text = "\n".join(lines)
    return embed(
        f"At the table: {unit.label}",
        truncate(text, 4000),
        footer=f"{len(items)} open item{'' if len(items) == 1 else 's'}",
        colour=Colour.INFO,
    )
