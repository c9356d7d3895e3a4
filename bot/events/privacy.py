"""What the events capability holds about one member: export and delete."""

from __future__ import annotations

from typing import Any

from bot.core import timers
from bot.core.db import Database


async def export_member(db: Database, user_id: int) -> dict[str, Any]:
    """What this module holds about one member (for /privacy export)."""
    subs = [
        r[0]
        for r in await db.fetchall(
            "SELECT event_id FROM event_subscriber WHERE user_id = ?", (user_id,)
        )
    ]
    rsvps = [
        {"event_id": r[0], "status": r[1]}
        for r in await db.fetchall(
            "SELECT s.event_id, r.status FROM event_rsvp r JOIN event_session s "
            "ON s.id = r.session_id WHERE r.user_id = ?",
            (user_id,),
        )
    ]
    voted = [
        r[0]
        for r in await db.fetchall("SELECT event_id FROM vote_voted WHERE user_id = ?", (user_id,))
    ]
    questions = [
        {"event_id": r[0], "question": r[1], "anonymous": bool(r[2]), "state": r[3]}
        for r in await db.fetchall(
            "SELECT event_id, text, anonymous, state FROM townhall_question WHERE user_id = ?",
            (user_id,),
        )
    ]
    upvoted = [
        r[0]
        for r in await db.fetchall(
            "SELECT question_id FROM townhall_upvote WHERE user_id = ?", (user_id,)
        )
    ]
    return {
        "reminders_for_events": subs,
        "rsvps": rsvps,
        "said_voted_in": voted,
        "town_hall_questions": questions,
        "upvoted_questions": upvoted,
    }


async def delete_member(db: Database, user_id: int) -> int:
    """Forget one member's reminders, RSVPs, I-voted flags, questions and upvotes; return
    rows deleted."""
    async with db.transaction():
        n = await db.execute("DELETE FROM event_subscriber WHERE user_id = ?", (user_id,))
        # RSVP reminder timers go with their RSVP rows (subject = the row).
        for (rowid,) in await db.fetchall(
            "SELECT rowid FROM event_rsvp WHERE user_id = ?", (user_id,)
        ):
            await timers.cancel_subject(db, "event.rsvp", rowid)
        n += await db.execute("DELETE FROM event_rsvp WHERE user_id = ?", (user_id,))
        n += await db.execute("DELETE FROM vote_voted WHERE user_id = ?", (user_id,))
        n += await db.execute("DELETE FROM townhall_upvote WHERE user_id = ?", (user_id,))
        n += await db.execute("DELETE FROM townhall_question WHERE user_id = ?", (user_id,))
    return n
