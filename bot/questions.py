"""Questions members send to the bargaining committee, and the committee's answers.

A question gets a number per server, is posted in the private committee channel (through the
delivery engine, with Answer / Answer as FAQ / Dismiss buttons) and is answered by DM to the
member who asked (also through the delivery engine). An anonymous question never shows its
author: `author_id` is kept only so the answer can reach them, and `/ask mine` can list it.
Whether the answer reached the member is read from its delivery row (sent, skipped, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import faq
from bot.core import audit, delivery, guild_settings, limits
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.personal_data import ANONYMISE, DELETE, NotPersonal, Use, holds_id, holds_text
from bot.core.render import Colour, embed, member_text, message, truncate
from bot.core.timeparse import discord_timestamp

TEXT_MAX = 1000
ANSWER_MAX = 3000

# custom_ids of the committee post's buttons (cogs/ask.py matches them as DynamicItems).
ANSWER_ID = "rf:q:answer:{id}"
AS_FAQ_ID = "rf:q:faq:{id}"
DISMISS_ID = "rf:q:dismiss:{id}"
HIDE_ID = "rf:q:hide:{id}"
HIDDEN_TEXT = "_Hidden by an organizer: its text is no longer shown here._"
# The buttons under /faq's answers that open the question form, named or anonymous (cogs/faq.py
# offers them, cogs/ask.py handles them), and the field of /faq's reply holding what the member
# typed, which the form starts from.
ASK_ID = "rf:faq:ask:{anonymous}"
ASK_LABELS = {False: "Didn't answer it? Ask the committee", True: "Ask anonymously"}
ASKED_FIELD = "You asked"

INSERT = (
    "INSERT INTO committee_question (guild_id, number, author_id, anonymous, text, created_at) "
    "SELECT ?, coalesce(max(number), 0) + 1, ?, ?, ?, ? FROM committee_question "
    "WHERE guild_id = ?"
)
SET_POST = "UPDATE committee_question SET post_broadcast_id = ? WHERE id = ?"
HIDE = "UPDATE committee_question SET hidden_at = ? WHERE id = ? AND hidden_at IS NULL"
OPEN_OF_MEMBER = (
    "SELECT count(*) FROM committee_question WHERE guild_id = ? AND author_id = ? "
    "AND state = 'open'"
)
# The posts that name the member (as asker, or as the organizer who answered or dismissed).
NAMING = (
    "SELECT id FROM committee_question WHERE guild_id = ? AND "
    "((author_id = ? AND anonymous = 0) OR answered_by = ?)"
)
POSTED = "SELECT post_broadcast_id FROM committee_question WHERE id = ?"
ANSWER = (
    "UPDATE committee_question SET state = 'answered', answer = ?, answered_by = ?, "
    "answered_at = ?, faq_entry_id = ?, answer_broadcast_id = ? WHERE id = ? AND state = 'open'"
)
DISMISS = (
    "UPDATE committee_question SET state = 'dismissed', answered_by = ?, answered_at = ? "
    "WHERE id = ? AND state = 'open'"
)
# The answer's delivery: one DM, so one row; its end state says whether it reached the member.
SELECT = (
    "SELECT q.*, d.state AS delivery_state, d.reason AS delivery_reason "
    "FROM committee_question q LEFT JOIN delivery d ON d.broadcast_id = q.answer_broadcast_id "
)
BY_ID = SELECT + "WHERE q.guild_id = ? AND q.id = ?"
MINE = SELECT + "WHERE q.guild_id = ? AND q.author_id = ? ORDER BY q.number DESC LIMIT ?"
RECENT = SELECT + "WHERE q.guild_id = ? ORDER BY q.number DESC LIMIT ?"


@dataclass(frozen=True)
class Question:
    """One question to the committee."""

    id: int
    guild_id: int
    number: int
    author_id: int
    anonymous: bool
    text: str
    state: str
    answer: str | None
    answered_by: int | None
    answered_at: datetime | None
    faq_entry_id: int | None
    created_at: datetime
    delivery_state: str | None
    delivery_reason: str | None
    hidden_at: datetime | None = None

    @property
    def answer_status(self) -> str:
        """Where the answer stands for the member, in words."""
        if self.state == "dismissed":
            return "closed by the committee without an answer"
        if self.state == "open":
            return "waiting for the committee"
        return {
            "sent": "answered: sent to you by DM",
            "pending": "answered: on its way by DM",
            "skipped": "answered, but undeliverable by DM (your DMs are closed)",
            "failed": "answered, but the DM could not be sent",
        }.get(self.delivery_state or "", "answered")


def _question(row: Any) -> Question:
    return Question(
        row["id"],
        row["guild_id"],
        row["number"],
        row["author_id"],
        bool(row["anonymous"]),
        row["text"],
        row["state"],
        row["answer"],
        row["answered_by"],
        from_db(row["answered_at"]),
        row["faq_entry_id"],
        from_db(row["created_at"]),  # type: ignore[arg-type]
        row["delivery_state"],
        row["delivery_reason"],
        from_db(row["hidden_at"]),
    )


def _button(label: str, style: int, custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": custom_id}


def committee_embed(q: Question, *, forget: int | None = None) -> dict[str, Any]:
    """The committee channel's view of a question: never the author when it is anonymous,
    nor anything that could point to them (the exact time, whether their DMs are closed).
    `forget`: a member who deleted their data, shown as "a former member"."""

    def who(user_id: int | None) -> str:
        return delivery.REDACTED if user_id == forget else f"<@{user_id}>"

    asker = "Anonymous" if q.anonymous or q.author_id <= 0 else who(q.author_id)
    # The day only for an anonymous question: the minute could match a member's activity.
    when = discord_timestamp(q.created_at, "D" if q.anonymous else "f")
    fields: list[tuple[str, str, bool]] = [
        ("Asked by", asker, True),
        ("Asked", when, True),
        ("Status", q.state, True),
    ]
    if q.state == "answered" and q.answer:
        fields.append(("Answer", q.answer, False))
        if q.answered_by:
            fields.append(("Answered by", who(q.answered_by), True))
        if q.faq_entry_id:
            fields.append(("FAQ entry", f"#{q.faq_entry_id}", True))
        if q.delivery_state in ("skipped", "failed") and not q.anonymous:
            fields.append(("Delivery", "the member's DMs are closed: not delivered", True))
    elif q.state == "dismissed" and q.answered_by:
        fields.append(("Dismissed by", who(q.answered_by), True))
    colour = {"open": Colour.INFO, "answered": Colour.SUCCESS}.get(q.state, Colour.NEUTRAL)
    text = HIDDEN_TEXT if q.hidden_at else member_text(q.text)
    return embed(f"Question #{q.number}", text, fields=fields, colour=colour)


def committee_buttons(q: Question) -> list[dict[str, Any]]:
    """The organizers' buttons on an open question (none once it is closed)."""
    if q.state != "open":
        return []
    row = [
        _button("Answer", 1, ANSWER_ID.format(id=q.id)),
        _button("Answer as FAQ", 2, AS_FAQ_ID.format(id=q.id)),
        _button("Dismiss", 4, DISMISS_ID.format(id=q.id)),
    ]
    if not q.hidden_at:
        row.append(_button("Hide", 2, HIDE_ID.format(id=q.id)))
    return [{"type": 1, "components": row}]


async def ask(
    db: Database, guild_id: int, author_id: int, text: str, anonymous: bool, now: datetime
) -> Question:
    """Record a member's question and queue its post in the committee channel."""
    text = text.strip()
    if not text:
        raise UserError("Type your question for the committee.")
    if len(text) > TEXT_MAX:
        raise UserError(
            f"Keep your question under {TEXT_MAX} characters (it has {len(text)}): "
            "shorten it or split it into two questions."
        )
    settings = await guild_settings.get(db, guild_id)
    channel_id = settings.require("committee_channel_id")
    async with db.transaction():
        limit = await limits.limit_for(db, guild_id, "question.ask")
        waiting = int(await db.fetchval(OPEN_OF_MEMBER, (guild_id, author_id), 0))
        limits.check_open(limit, waiting, "questions to the committee")
        await limits.take(db, guild_id, author_id, "question.ask", now)
        question_id = await db.execute(
            INSERT, (guild_id, author_id, int(anonymous), text, to_db(now), guild_id)
        )
        q = await get(db, guild_id, question_id)
        payload = message(embeds=[committee_embed(q)], components=committee_buttons(q))
        broadcast_id = await delivery.enqueue(
            db,
            guild_id,
            "question.post",
            payload,
            [delivery.Target.channel(channel_id)],
            now,
            subject=f"question:{question_id}",
        )
        await db.execute(SET_POST, (broadcast_id, question_id))
    return q


async def get(db: Database, guild_id: int, question_id: int) -> Question:
    """One question of this server, or NotFound."""
    row = await db.fetchone(BY_ID, (guild_id, question_id))
    if row is None:
        raise NotFound(f"There is no question {question_id} in this server.")
    return _question(row)


async def answer(
    db: Database,
    guild_id: int,
    question_id: int,
    actor_id: int,
    text: str,
    now: datetime,
    *,
    faq_entry_id: int | None = None,
) -> Question:
    """Answer an open question: queue the DM to the member and audit it."""
    text = text.strip()
    if not text:
        raise UserError("Type the answer.")
    if len(text) > ANSWER_MAX:
        raise UserError(f"Keep the answer under {ANSWER_MAX} characters.")
    async with db.transaction():
        q = await get(db, guild_id, question_id)
        if q.state != "open":
            raise Conflict(f"Question #{q.number} is already {q.state}.")
        fields = [("You asked", member_text(q.text))]
        if faq_entry_id:
            fields.append(("In the FAQ", "This answer is now in the FAQ: `/faq`."))
        payload = message(
            embeds=[
                embed(
                    f"The committee answered your question #{q.number}",
                    text,
                    fields=fields,
                    colour=Colour.SUCCESS,
                    footer="You get this because you asked with /ask.",
                )
            ]
        )
        broadcast_id = await delivery.enqueue(
            db,
            guild_id,
            "question.answer",
            payload,
            [delivery.Target.dm(q.author_id)],
            now,
            subject=f"question:{q.id}",
        )
        await db.execute(
            ANSWER, (text, actor_id, to_db(now), faq_entry_id, broadcast_id, question_id)
        )
        detail = f"as FAQ #{faq_entry_id}" if faq_entry_id else None
        await audit.record(
            db, guild_id, actor_id, "question.answer", f"question #{q.number}", detail, now
        )
        return await get(db, guild_id, question_id)


async def answer_as_faq(
    db: Database,
    guild_id: int,
    question_id: int,
    actor_id: int,
    faq_question: str,
    text: str,
    now: datetime,
    *,
    aliases: tuple[str, ...] = (),
) -> tuple[Question, faq.Entry]:
    """Add an FAQ entry (as the organizer worded it) and answer the member with it.

    The member's own phrasing becomes one of the entry's aliases (when it is short enough to
    be a question), so the next member who asks it that way gets the answer from `/faq`; the
    FAQ's unanswered questions asked in exactly those words are closed.
    """
    async with db.transaction():
        q = await get(db, guild_id, question_id)
        if q.state != "open":
            raise Conflict(f"Question #{q.number} is already {q.state}.")
        asked = " ".join(q.text.split())
        known = {a.casefold() for a in (faq_question.strip(), *aliases)}
        fits = len("\n".join((*aliases, asked))) <= faq.ALIASES_MAX
        if len(asked) <= faq.QUESTION_MAX and asked.casefold() not in known and fits:
            aliases = (*aliases, asked)
        entry = await faq.add(db, guild_id, actor_id, faq_question, text, now, aliases=aliases)
        await faq.forget_phrasings(db, guild_id, [q.text])
        answered = await answer(
            db, guild_id, question_id, actor_id, text, now, faq_entry_id=entry.id
        )
    return answered, entry


async def dismiss(
    db: Database, guild_id: int, question_id: int, actor_id: int, now: datetime
) -> Question:
    """Close a question without an answer (audited); the member sees it in `/ask mine`."""
    async with db.transaction():
        q = await get(db, guild_id, question_id)
        if await db.execute(DISMISS, (actor_id, to_db(now), question_id)) == 0:
            raise Conflict(f"Question #{q.number} is already {q.state}.")
        await audit.record(
            db, guild_id, actor_id, "question.dismiss", f"question #{q.number}", None, now
        )
        return await get(db, guild_id, question_id)


async def hide(
    db: Database, guild_id: int, question_id: int, actor_id: int, now: datetime
) -> Question:
    """Stop showing a question's text in the committee channel (a link or a heading that
    misleads, abuse); audited. The member still sees it in `/ask mine`."""
    async with db.transaction():
        q = await get(db, guild_id, question_id)
        if await db.execute(HIDE, (to_db(now), question_id)) == 0:
            raise Conflict(f"Question #{q.number} is already hidden.")
        await audit.record(
            db, guild_id, actor_id, "question.hide", f"question #{q.number}", None, now
        )
        return await get(db, guild_id, question_id)


async def forget_member(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """`/privacy delete` (registered in bot.wiring): the committee posts that name the member
    show "a former member" instead, in Discord (an edit through the outbox) and in the stored
    copy of the post. Runs before the rows are anonymised."""
    for (question_id,) in await db.fetchall(NAMING, (guild_id, user_id, user_id)):
        q = await get(db, guild_id, question_id)
        payload = message(
            embeds=[committee_embed(q, forget=user_id)], components=committee_buttons(q)
        )
        broadcast_id = await db.fetchval(POSTED, (question_id,))
        if broadcast_id is None:
            continue
        await delivery.set_payload(db, broadcast_id, payload)
        posted = await delivery.sent_messages(db, broadcast_id)
        if posted:
            await delivery.enqueue(
                db,
                guild_id,
                "question.redact",
                payload,
                [delivery.Target.edit(channel, msg) for _, _, channel, msg in posted],
                now,
                subject=f"question:{question_id}",
            )


async def mine(db: Database, guild_id: int, author_id: int, limit: int = 10) -> list[Question]:
    """A member's own questions, newest first, with whether each answer reached them."""
    return [_question(r) for r in await db.fetchall(MINE, (guild_id, author_id, limit))]


async def recent(db: Database, guild_id: int, limit: int = 25) -> list[Question]:
    """The newest questions (any state), for the committee's overview."""
    return [_question(r) for r in await db.fetchall(RECENT, (guild_id, limit))]


def mine_lines(questions: list[Question]) -> list[tuple[str, str]]:
    """`/ask mine` as (title, text) pairs: the question, its status and its answer."""
    out = []
    for q in questions:
        anon = " (anonymous)" if q.anonymous else ""
        anon += " (hidden by the committee)" if q.hidden_at else ""
        body = f"> {truncate(member_text(q.text), 300)}\n**{q.answer_status}**"
        if q.answer:
            body += f"\n{truncate(q.answer, 600)}"
        out.append((f"#{q.number}{anon}", body))
    return out


# -- members' data (collected by the privacy engine at start-up) ------------------------------

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "questions_asked",
        "committee_question",
        "author_id",
        "guild_id",
        (
            holds_id("author_id", "to send the committee's answer back by DM"),
            holds_text("text", "the question, for the bargaining committee"),
        ),
        ("number", "anonymous", "text", "state", "answer", "answered_at", "created_at"),
        ANONYMISE,
        "the question stays for the committee, anonymous and no longer linked to the member;"
        " retention deletes it",
        anonymise=(("author_id", "0"), ("anonymous", "1")),
        purge=DELETE,
    ),
    Use(
        "questions_answered",
        "committee_question",
        "answered_by",
        "guild_id",
        (
            holds_id("answered_by", "the organizer who answered"),
            holds_text("answer", "the committee's answer, sent to the asker"),
        ),
        ("number", "answer", "answered_at"),
        ANONYMISE,
        "the answer stays (it is the committee's); who wrote it is forgotten",
        anonymise=(("answered_by", "NULL"),),
    ),
    NotPersonal("committee_question", ("state",), "a state"),
)
