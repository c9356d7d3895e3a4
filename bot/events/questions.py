"""Questions in advance for a town hall: asked (optionally anonymously), upvoted, answered.

Members ask with `/townhall ask` or the event's Ask a question button; others upvote with a
button (one vote per member; pressing again takes it back; a second press within a moment is
a double click and changes nothing). Organizers see the questions ordered by votes, mark them
answered or merged (a merged question's votes go to the one it joins), and export the ordered
list as a file. After the town hall the recap (an update linked to the event, bot.updates)
carries the answers, and each asker gets a DM pointing to theirs.

Privacy: an anonymous question shows no author to anyone, organizers included; the asker's
id is kept only to send that DM.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import updates
from bot.core import audit, timeparse, units
from bot.core.db import Database, from_db, to_db
from bot.core.delivery import Target, enqueue
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.render import embed, message, truncate
from bot.events import model
from bot.events.model import Event

log = logging.getLogger("rankfile.townhall")

QUESTION_MAX = 1000  # fits an embed field (1024) with its vote count
ANSWER_MAX = 1000
RECAP_MAX = 3000
DOUBLE_CLICK = timedelta(seconds=2)
UPVOTE_PATTERN = r"townhall:up:(?P<question_id>[0-9]+)"
ASK_PATTERN = r"townhall:(?P<action>ask|list):(?P<event_id>[0-9]+)"

INSERT = (
    "INSERT INTO townhall_question (event_id, user_id, anonymous, text, created_at) "
    "VALUES (?, ?, ?, ?, ?)"
)
GET = (
    "SELECT q.*, (SELECT count(*) FROM townhall_upvote u WHERE u.question_id = q.id) AS votes "
    "FROM townhall_question q WHERE q.id = ?"
)
ORDERED = (
    "SELECT q.*, (SELECT count(*) FROM townhall_upvote u WHERE u.question_id = q.id) AS votes "
    "FROM townhall_question q WHERE q.event_id = ? ORDER BY "
    "CASE q.state WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, votes DESC, q.id"
)
UPVOTE = (
    "INSERT INTO townhall_upvote (question_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)
UPVOTED_AT = "SELECT at FROM townhall_upvote WHERE question_id = ? AND user_id = ?"
UNVOTE = "DELETE FROM townhall_upvote WHERE question_id = ? AND user_id = ?"
COUNT = "SELECT count(*) FROM townhall_upvote WHERE question_id = ?"
ANSWER = "UPDATE townhall_question SET state = 'answered', answer = ?, answered_at = ? WHERE id = ?"
MERGE = "UPDATE townhall_question SET state = 'merged', merged_into = ? WHERE id = ?"
MOVE_VOTES = (
    "INSERT INTO townhall_upvote (question_id, user_id, at) "
    "SELECT ?, user_id, at FROM townhall_upvote WHERE question_id = ? ON CONFLICT DO NOTHING"
)
SET_RECAP = "UPDATE event SET recap_update_id = ? WHERE id = ?"


@dataclass(frozen=True)
class Question:
    """One question; `author_id` is None when it was asked anonymously."""

    id: int
    event_id: int
    author_id: int | None
    anonymous: bool
    text: str
    state: str
    merged_into: int | None
    answer: str | None
    votes: int
    created_at: datetime


def _question(row: Any) -> Question:
    return Question(
        row["id"],
        row["event_id"],
        None if row["anonymous"] else row["user_id"],
        bool(row["anonymous"]),
        row["text"],
        row["state"],
        row["merged_into"],
        row["answer"],
        int(row["votes"]),
        from_db(row["created_at"]),  # type: ignore[arg-type]
    )


def clean_question(text: str | None) -> str:
    """A question's text, or UserError when empty or over the limit."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise UserError("The question is empty: type what you'd like answered.")
    if len(cleaned) > QUESTION_MAX:
        raise UserError(
            f"The question is {len(cleaned)} characters; the most is {QUESTION_MAX}. "
            "Please shorten it."
        )
    return cleaned


async def _town_hall(db: Database, event_id: int, guild_id: int | None) -> Event:
    event = (
        await model.get(db, guild_id, event_id)
        if guild_id is not None
        else await model.get_any(db, event_id)
    )
    if event.kind != "townhall":
        raise UserError(f"#{event_id} is not a town hall: questions are for town halls.")
    return event


async def ask(
    db: Database,
    guild_id: int | None,
    event_id: int,
    user_id: int,
    text: str,
    anonymous: bool,
    now: datetime,
) -> Question:
    """Submit a question for a town hall that is scheduled and not over."""
    cleaned = clean_question(text)
    async with db.transaction():
        event = await _town_hall(db, event_id, guild_id)
        if event.state != "scheduled":
            raise Conflict(f"{event.title} was cancelled.")
        if event.closes_at < now:
            raise Conflict(f"{event.title} is over: questions are closed.")
        question_id = await db.execute(
            INSERT, (event_id, user_id, 1 if anonymous else 0, cleaned, to_db(now))
        )
    return await get(db, question_id)


async def get(db: Database, question_id: int) -> Question:
    """One question, or NotFound."""
    row = await db.fetchone(GET, (question_id,))
    if row is None:
        raise NotFound(f"There is no question #{question_id}.")
    return _question(row)


async def ordered(db: Database, event_id: int, *, open_only: bool = False) -> list[Question]:
    """The event's questions: open ones first by votes, then answered, then merged."""
    found = [_question(r) for r in await db.fetchall(ORDERED, (event_id,))]
    return [q for q in found if q.state == "open"] if open_only else found


async def toggle_upvote(
    db: Database, question_id: int, user_id: int, now: datetime
) -> tuple[Question, bool]:
    """Upvote, or take the upvote back on a second press; returns the question and whether
    the member's vote now counts. A press within DOUBLE_CLICK of the vote leaves it."""
    async with db.transaction():
        question = await get(db, question_id)
        if question.state != "open":
            raise Conflict("That question was already answered or merged: votes are closed.")
        at = await db.fetchval(UPVOTED_AT, (question_id, user_id))
        if at is None:
            await db.execute(UPVOTE, (question_id, user_id, to_db(now)))
            counted = True
        elif now - from_db(at) < DOUBLE_CLICK:  # type: ignore[operator]
            counted = True  # a double click: the first press stands
        else:
            await db.execute(UNVOTE, (question_id, user_id))
            counted = False
    return await get(db, question_id), counted


async def answer(
    db: Database,
    guild_id: int,
    question_id: int,
    actor_id: int | None,
    text: str | None,
    now: datetime,
) -> Question:
    """Mark a question answered (with the answer's text, if given); audited."""
    reply = (text or "").strip()
    if len(reply) > ANSWER_MAX:
        raise UserError(f"The answer is {len(reply)} characters; the most is {ANSWER_MAX}.")
    async with db.transaction():
        question = await get(db, question_id)
        await _town_hall(db, question.event_id, guild_id)
        await db.execute(ANSWER, (reply or None, to_db(now), question_id))
        await audit.record(
            db, guild_id, actor_id, "townhall.answer", f"question:{question_id}", None, now
        )
    return await get(db, question_id)


async def merge(
    db: Database, guild_id: int, question_id: int, into_id: int, actor_id: int | None, now: datetime
) -> Question:
    """Merge a question into another of the same town hall; its upvotes join the other's."""
    if question_id == into_id:
        raise UserError("A question can't be merged into itself.")
    async with db.transaction():
        question = await get(db, question_id)
        target = await get(db, into_id)
        await _town_hall(db, question.event_id, guild_id)
        if target.event_id != question.event_id:
            raise UserError("Both questions must be for the same town hall.")
        if target.state == "merged":
            raise UserError(
                f"Question #{into_id} was itself merged: merge into #{target.merged_into}."
            )
        await db.execute(MOVE_VOTES, (into_id, question_id))
        await db.execute(MERGE, (into_id, question_id))
        await audit.record(
            db,
            guild_id,
            actor_id,
            "townhall.merge",
            f"question:{question_id}",
            f"into {into_id}",
            now,
        )
    return await get(db, into_id)


def export_csv(event: Event, questions: list[Question], names: dict[int, str]) -> bytes:
    """The ordered list as CSV (rank, votes, state, question, asked by, answer); anonymous
    questions have an empty author."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "id", "votes", "state", "question", "asked by", "answer"])
    for rank, q in enumerate(questions, 1):
        author = "" if q.author_id is None else names.get(q.author_id, str(q.author_id))
        writer.writerow([rank, q.id, q.votes, q.state, q.text, author, q.answer or ""])
    return out.getvalue().encode("utf-8")


def question_embed(
    event: Event, questions: list[Question], *, organizer: bool, names: dict[int, str]
) -> dict[str, Any]:
    """The questions as a list; organizers also see authors of questions not asked anonymously."""
    fields = []
    for q in questions[:20]:
        state = {"answered": " ✅ answered", "merged": f" ↪ merged into #{q.merged_into}"}.get(
            q.state, ""
        )
        by = ""
        if organizer:
            by = " · anonymous" if q.author_id is None else f" · {names.get(q.author_id, 'member')}"
        value = truncate(q.text, 900)
        if q.answer:
            value += f"\n**Answer:** {truncate(q.answer, 100)}"
        fields.append((f"#{q.id} · ▲ {q.votes}{state}{by}", value, False))
    text = None if questions else "No questions yet: be the first with Ask a question."
    return embed(f"Questions: {event.title}", text, fields=fields, footer=f"Event #{event.id}")


def upvote_buttons(questions: list[Question]) -> list[dict[str, Any]]:
    """An upvote button per open question (at most 20, four rows of five)."""
    buttons = [
        {
            "type": 2,
            "style": 2,
            "label": f"▲ #{q.id} ({q.votes})",
            "custom_id": f"townhall:up:{q.id}",
        }
        for q in questions
        if q.state == "open"
    ][:20]
    return [{"type": 1, "components": buttons[i : i + 5]} for i in range(0, len(buttons), 5)]


async def recap(
    db: Database,
    guild_id: int,
    event_id: int,
    actor_id: int | None,
    text: str,
    links: str | None,
    now: datetime,
) -> tuple[Any, int]:
    """Post the recap as an update linked to the event (bot.updates.publish), with the
    answers to the top questions; DM each asker whose question was answered. Returns the
    update and how many askers were told."""
    body = (text or "").strip()
    if not body:
        raise UserError("The recap is empty: say what was covered.")
    if len(body) > RECAP_MAX:
        raise UserError(f"The recap is {len(body)} characters; the most is {RECAP_MAX}.")
    async with db.transaction():
        event = await _town_hall(db, event_id, guild_id)
        answered = [q for q in await ordered(db, event_id) if q.state == "answered"]
        parts = [body]
        if links and links.strip():
            parts.append(f"Recordings and links: {links.strip()}")
        if answered:
            parts.append("**Answers to the top questions**")
            for q in answered[:10]:
                said = truncate(q.answer or "Answered at the town hall.", 400)
                parts.append(f"**Q:** {truncate(q.text, 200)}\n**A:** {said}")
        when = timeparse.discord_timestamp(event.starts_at, "D")
        parts.append(f"_Recap of event #{event.id} ({when})._")
        codes = [(await units.get(db, guild_id, u)).code for u in event.unit_ids]
        draft = await updates.make_draft(
            db,
            guild_id,
            truncate(f"Recap: {event.title}", updates.TITLE_MAX),
            truncate("\n\n".join(parts), updates.BODY_MAX),
            None,
            None,
            ", ".join(codes) or None,
        )
        update = await updates.publish(db, guild_id, actor_id, draft, now, kind="recap")
        await db.execute(SET_RECAP, (update.id, event_id))
        askers: dict[int, Question] = {}
        for q in answered:
            row = await db.fetchone("SELECT user_id FROM townhall_question WHERE id = ?", (q.id,))
            askers.setdefault(row["user_id"], q)
        for user_id, q in askers.items():
            reply = q.answer or "It was answered at the town hall."
            await enqueue(
                db,
                guild_id,
                "townhall.answer",
                message(
                    f"💬 Your question for **{event.title}** was answered.\n"
                    f"> {truncate(q.text, 300)}\n**Answer:** {truncate(reply, 800)}\n"
                    f"The full recap is update #{update.id}: `/updates show id: {update.id}`."
                ),
                [Target.dm(user_id)],
                now,
                author_id=actor_id,
                subject=f"event:{event_id}",
            )
        await audit.record(
            db,
            guild_id,
            actor_id,
            "townhall.recap",
            f"event:{event_id}",
            f"update {update.id}; {len(askers)} askers told",
            now,
        )
    return update, len(askers)
