"""Questions in advance for a town hall: asked (optionally anonymously), upvoted, answered.

Members ask with `/townhall ask` or the event's Ask a question button; others upvote with a
button (one vote per member; pressing again takes it back; a second press within a moment is
a double click and changes nothing). Organizers see the questions ordered by votes, mark them
answered or merged (a merged question's votes go to the one it joins), and export the ordered
list as a file (the export is recorded in the transparency log). Organizers can hide a
question: members no longer see it or vote on it, and the recap leaves it out. After the town
hall the recap (an update linked to the event, bot.updates) carries the answers, and each
answered question's asker gets a DM pointing to the answer: one DM per question.

Privacy: an anonymous question shows no author to anyone, organizers included; the asker's
id is kept only to send that DM. Nothing shown to organizers counts askers (a count of people
next to a count of questions tells who asked anonymously): counts are of questions.
Limits: bot.core.limits (a cooldown, a daily cap, at most a few open questions per member).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import updates
from bot.core import audit, csv_export, limits, render, timeparse, units
from bot.core.db import Database, from_db, to_db
from bot.core.delivery import Target, enqueue
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.render import embed, member_text, message, truncate
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
SET_HIDDEN = "UPDATE townhall_question SET hidden_at = ? WHERE id = ?"
OPEN_OF_MEMBER = (
    "SELECT count(*) FROM townhall_question WHERE event_id = ? AND user_id = ? AND state = 'open'"
)
ASKER = "SELECT user_id FROM townhall_question WHERE id = ?"


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
    hidden: bool = False


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
        row["hidden_at"] is not None,
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
        limit = await limits.limit_for(db, event.guild_id, "townhall.ask")
        waiting = int(await db.fetchval(OPEN_OF_MEMBER, (event_id, user_id), 0))
        limits.check_open(limit, waiting, f"questions for {event.title}")
        await limits.take(db, event.guild_id, user_id, "townhall.ask", now)
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
    """The event's questions: open ones first by votes, then answered, then merged (hidden
    ones included: organizers see them marked; `shown` leaves them out for members)."""
    found = [_question(r) for r in await db.fetchall(ORDERED, (event_id,))]
    return [q for q in found if q.state == "open"] if open_only else found


def shown(questions: list[Question]) -> list[Question]:
    """What members see: not merged, not hidden by organizers."""
    return [q for q in questions if q.state != "merged" and not q.hidden]


async def toggle_upvote(
    db: Database, question_id: int, user_id: int, now: datetime
) -> tuple[Question, bool]:
    """Upvote, or take the upvote back on a second press; returns the question and whether
    the member's vote now counts. A press within DOUBLE_CLICK of the vote leaves it."""
    async with db.transaction():
        question = await get(db, question_id)
        if question.state != "open" or question.hidden:
            raise Conflict("That question was already answered or merged: votes are closed.")
        event = await model.get_any(db, question.event_id)
        await limits.take(db, event.guild_id, user_id, "townhall.upvote", now)
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


EXPORT_HEADER = ("rank", "id", "votes", "state", "hidden", "question", "asked by", "answer")


async def export(
    db: Database,
    guild_id: int,
    event_id: int,
    actor_id: int | None,
    names: dict[int, str],
    now: datetime,
) -> tuple[bytes, int]:
    """The ordered list as CSV (bot.core.csv_export: no cell runs as a formula) and its row
    count; anonymous questions have an empty author. Recorded in the audit log and the
    members' transparency log (`townhall.export`), without its content."""
    async with db.transaction():
        await _town_hall(db, event_id, guild_id)
        questions = await ordered(db, event_id)
        await audit.record(
            db,
            guild_id,
            actor_id,
            "townhall.export",
            f"event:{event_id}",
            f"rows={len(questions)}",
            now,
        )
    rows = [
        (
            rank,
            q.id,
            q.votes,
            q.state,
            "yes" if q.hidden else "",
            q.text,
            "" if q.author_id is None else names.get(q.author_id, str(q.author_id)),
            q.answer or "",
        )
        for rank, q in enumerate(questions, 1)
    ]
    return csv_export.to_csv(EXPORT_HEADER, rows), len(rows)


async def hide(
    db: Database, guild_id: int, question_id: int, actor_id: int | None, hidden: bool, now: datetime
) -> Question:
    """Hide a question from members (no longer listed, voted on or in the recap), or show it
    again; audited."""
    async with db.transaction():
        question = await get(db, question_id)
        await _town_hall(db, question.event_id, guild_id)
        await db.execute(SET_HIDDEN, (to_db(now) if hidden else None, question_id))
        await audit.record(
            db,
            guild_id,
            actor_id,
            "townhall.hide" if hidden else "townhall.unhide",
            f"question:{question_id}",
            None,
            now,
        )
    return await get(db, question_id)


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
            by += " · hidden from members" if q.hidden else ""
        value = truncate(member_text(q.text), 900)
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
        if q.state == "open" and not q.hidden
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
    answers to the top questions; DM the asker of each answered question, one DM per
    question. Returns the update and how many questions were answered (never a count of
    askers: next to the questions, it would tell who asked anonymously)."""
    body = (text or "").strip()
    if not body:
        raise UserError("The recap is empty: say what was covered.")
    if len(body) > RECAP_MAX:
        raise UserError(f"The recap is {len(body)} characters; the most is {RECAP_MAX}.")
    async with db.transaction():
        event = await _town_hall(db, event_id, guild_id)
        answered = [q for q in await ordered(db, event_id) if q.state == "answered"]
        public = [q for q in answered if not q.hidden]
        parts = [body]
        if links and links.strip():
            parts.append(f"Recordings and links: {links.strip()}")
        if public:
            parts.append("**Answers to the top questions**")
            for q in public[:10]:
                said = truncate(q.answer or "Answered at the town hall.", 400)
                parts.append(f"**Q:** {truncate(member_text(q.text), 200)}\n**A:** {said}")
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
        for q in answered:
            user_id = int(await db.fetchval(ASKER, (q.id,), 0))
            if user_id <= 0:
                continue  # the asker deleted their data: no one to tell
            reply = q.answer or "It was answered at the town hall."
            await enqueue(
                db,
                guild_id,
                "townhall.answer",
                message(
                    f"💬 Your question for **{event.title}** was answered.\n"
                    f"> {truncate(member_text(q.text), 300)}\n**Answer:** {truncate(reply, 800)}\n"
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
            f"update {update.id}; "
            f"{render.count(len(answered), 'answered question', 'answered questions')}, "
            "one DM each",
            now,
        )
    return update, len(answered)
