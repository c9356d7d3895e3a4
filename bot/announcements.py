"""Announcements: an organizer's message to a channel (and to subscribers by DM), now or later.

`draft` checks and saves what the organizer wrote (the preview's Send / Cancel buttons carry
its id, so they survive a restart); `send` turns the draft into broadcasts for the delivery
engine in one transaction: one post in the channel (pinging only the role named, if any),
and one DM per member subscribed to announcements. A scheduled announcement is the same
broadcast with a later `scheduled_for`: the delivery worker sends it when it comes due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import subscriptions
from bot.core import audit, delivery, guild_settings, render, timeparse, timers
from bot.core.db import Database, from_db, to_db
from bot.core.delivery import Target
from bot.core.errors import Conflict, NotFound, UserError
from bot.core.personal_data import ANONYMISE, NotPersonal, Use, holds_id, holds_text

KIND = "announcement"
# A scheduled announcement's DMs are queued when it comes due, to whoever is subscribed then:
# a member who unsubscribes meanwhile gets nothing (DMs only with consent).
DM_TIMER = "announcement.dms"
TITLE_MAX = render.Limits.TITLE  # 256
BODY_MAX = 4000  # under the embed description's 4096, leaving room for the link line
LINK_MAX = 500

INSERT = (
    "INSERT INTO announcement (guild_id, author_id, title, body, link, channel_id, role_id, "
    "dm_subscribers, scheduled_for, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
GET = "SELECT * FROM announcement WHERE id = ? AND guild_id = ?"
CLAIM_DRAFT = (
    "UPDATE announcement SET state = ?, queued_at = ? WHERE id = ? AND guild_id = ? "
    "AND state = 'draft'"
)
SET_BROADCAST = "UPDATE announcement SET broadcast_id = ? WHERE id = ?"
MARK_CANCELLED = "UPDATE announcement SET state = 'cancelled' WHERE id = ? AND state = 'queued'"
BROADCASTS = (
    "SELECT id FROM broadcast WHERE guild_id = ? AND kind = 'announcement' AND subject = ? "
    "ORDER BY id"
)
LIST = (
    "SELECT * FROM announcement WHERE guild_id = ? AND state IN ('queued', 'cancelled') "
    "ORDER BY coalesce(scheduled_for, queued_at) DESC, id DESC LIMIT ?"
)
LIST_SCHEDULED = (
    "SELECT * FROM announcement WHERE guild_id = ? AND state = 'queued' "
    "AND scheduled_for > ? ORDER BY scheduled_for, id"
)
# Drafts nobody pressed Send on are kept a week for their buttons, then dropped.
DRAFTS_KEPT = timedelta(days=7)
PRUNE_DRAFTS = "DELETE FROM announcement WHERE state IN ('draft', 'discarded') AND created_at < ?"

_LINK = re.compile(r"^https?://[^\s<>]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Announcement:
    """What an organizer wrote, where it goes and when."""

    id: int
    guild_id: int
    author_id: int
    title: str
    body: str
    link: str | None
    channel_id: int
    role_id: int | None
    dm_subscribers: bool
    scheduled_for: datetime | None
    state: str
    created_at: datetime
    queued_at: datetime | None
    broadcast_id: int | None = None  # the channel post's broadcast, once sent

    @property
    def subject(self) -> str:
        """How its broadcasts name it (bot.delivery's `subject`)."""
        return f"announcement:{self.id}"


@dataclass(frozen=True)
class Status:
    """Where an announcement's deliveries stand, without naming anyone."""

    announcement: Announcement
    counts: dict[str, int]
    reasons: list[tuple[str, str, int]]
    subscribers: int  # how many DMs were queued


def _from_row(row: Any) -> Announcement:
    return Announcement(
        id=row["id"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        title=row["title"],
        body=row["body"],
        link=row["link"],
        channel_id=row["channel_id"],
        role_id=row["role_id"],
        dm_subscribers=bool(row["dm_subscribers"]),
        scheduled_for=from_db(row["scheduled_for"]),
        state=row["state"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        queued_at=from_db(row["queued_at"]),
        broadcast_id=row["broadcast_id"],
    )


def check_text(title: str, body: str, link: str | None) -> tuple[str, str, str | None]:
    """Trimmed (title, body, link), or a UserError saying what to fix."""
    title, body, link = title.strip(), body.strip(), (link or "").strip() or None
    if not title:
        raise UserError("The title is empty: give the announcement a short title.")
    if len(title) > TITLE_MAX:
        raise UserError(
            f"The title is {len(title)} characters; Discord allows {TITLE_MAX}. Shorten it."
        )
    if not body:
        raise UserError("The message is empty: write what members should know.")
    if len(body) > BODY_MAX:
        raise UserError(
            f"The message is {len(body)} characters; the most is {BODY_MAX}. Shorten it, or "
            "put the full text behind the link."
        )
    if link is not None and (len(link) > LINK_MAX or not _LINK.match(link)):
        raise UserError(
            "The link must be one web address starting with https:// (or http://), "
            f"at most {LINK_MAX} characters."
        )
    return title, body, link


async def draft(
    db: Database,
    guild_id: int,
    author_id: int,
    now: datetime,
    *,
    title: str,
    body: str,
    link: str | None,
    channel_id: int,
    role_id: int | None = None,
    when: str | None = None,
    dm_subscribers: bool = False,
) -> Announcement:
    """Check an announcement and save it as a draft for the preview; nothing is queued.

    `when` is a local time in the server's zone ("tomorrow 9am"); UserError when it cannot
    be read or has passed, when the text is empty or too long, or when the role is @everyone.
    """
    title, body, link = check_text(title, body, link)
    if role_id is not None and role_id == guild_id:
        raise UserError(
            "An announcement can't ping @everyone: pick a role (such as the members' role), or "
            "leave `role` empty to ping no one."
        )
    scheduled = None
    if when is not None and when.strip():
        settings = await guild_settings.get(db, guild_id)
        scheduled = timeparse.parse_local_time(when, settings.timezone, now)
    async with db.transaction():
        await db.execute(PRUNE_DRAFTS, (to_db(now - DRAFTS_KEPT),))
        announcement_id = await db.execute(
            INSERT,
            (
                guild_id,
                author_id,
                title,
                body,
                link,
                channel_id,
                role_id,
                int(dm_subscribers),
                to_db(scheduled) if scheduled else None,
                to_db(now),
            ),
        )
    return await get(db, guild_id, announcement_id)


async def get(db: Database, guild_id: int, announcement_id: int) -> Announcement:
    """One announcement of this server, or NotFound."""
    row = await db.fetchone(GET, (announcement_id, guild_id))
    if row is None or row["state"] == "discarded":
        raise NotFound(
            f"There is no announcement #{announcement_id} in this server: "
            "`/announce list` shows them."
        )
    return _from_row(row)


def embed(announcement: Announcement) -> dict[str, Any]:
    """The announcement as members see it."""
    body = announcement.body
    if announcement.link:
        body = f"{body}\n\n[Read more]({announcement.link})"
    return render.embed(
        announcement.title,
        body,
        url=announcement.link,
        colour=render.Colour.INFO,
        footer="Announcement",
    )


def channel_payload(announcement: Announcement) -> dict[str, Any]:
    """The channel post: the embed, and the role's mention when it pings one (only that role)."""
    if announcement.role_id is None:
        return render.message(embeds=[embed(announcement)])
    return render.message(
        f"<@&{announcement.role_id}>",
        embeds=[embed(announcement)],
        mentions=render.allowed_mentions(roles=[announcement.role_id]),
    )


def dm_payload(announcement: Announcement, guild_name: str | None = None) -> dict[str, Any]:
    """The DM to a subscriber: the embed, no ping, and why they get it."""
    where = f" in {guild_name}" if guild_name else ""
    return render.message(
        f"An announcement{where} (you subscribed to announcements; `/unsubscribe` stops them).",
        embeds=[embed(announcement)],
    )


async def send(
    db: Database,
    guild_id: int,
    announcement_id: int,
    actor_id: int,
    now: datetime,
    *,
    guild_name: str | None = None,
) -> tuple[Announcement, int]:
    """Queue a draft: the channel post and, if asked, a DM per subscriber; audited.

    Returns the announcement and how many subscribers will get a DM. Conflict if it was
    already sent or cancelled; UserError if its scheduled time has passed meanwhile.
    """
    async with db.transaction():
        announcement = await get(db, guild_id, announcement_id)
        if announcement.author_id != actor_id:
            raise UserError("Only the organizer who wrote this announcement can send it.")
        if announcement.scheduled_for is not None and announcement.scheduled_for <= now:
            raise UserError(
                "The time you chose has passed while the preview was open: run `/announce send` "
                "again with a new time, or without one to send it now."
            )
        if not await db.execute(CLAIM_DRAFT, ("queued", to_db(now), announcement_id, guild_id)):
            raise Conflict(f"Announcement #{announcement_id} was already sent or cancelled.")
        announcement = await get(db, guild_id, announcement_id)
        when = announcement.scheduled_for
        post = await delivery.enqueue(
            db,
            guild_id,
            KIND,
            channel_payload(announcement),
            [Target.channel(announcement.channel_id)],
            now,
            author_id=actor_id,
            subject=announcement.subject,
            scheduled_for=when,
        )
        await db.execute(SET_BROADCAST, (post, announcement_id))
        members: list[int] = []
        if announcement.dm_subscribers and when is not None:
            await timers.schedule(
                db,
                guild_id,
                DM_TIMER,
                announcement_id,
                when,
                now,
                payload={"guild_name": guild_name},
            )
            members = await subscriptions.subscribers(db, guild_id, announcements=True)
        elif announcement.dm_subscribers:
            members = await _queue_dms(db, announcement, now, guild_name)
        action = "announcement.schedule" if when else "announcement.send"
        detail = f"to <#{announcement.channel_id}>"
        if announcement.role_id:
            detail += f", pinging <@&{announcement.role_id}>"
        if when:
            detail += f", at {timeparse.discord_timestamp(when, 'f')}"
        if announcement.dm_subscribers:
            detail += f", DM to subscribers ({len(members)} now)"
        await audit.record(
            db, guild_id, actor_id, action, f"#{announcement_id} {announcement.title}", detail, now
        )
    return announcement, len(members)


async def _queue_dms(
    db: Database, announcement: Announcement, now: datetime, guild_name: str | None = None
) -> list[int]:
    """One DM per member subscribed to announcements now; return who (ids only)."""
    members = await subscriptions.subscribers(db, announcement.guild_id, announcements=True)
    if members:
        await delivery.enqueue(
            db,
            announcement.guild_id,
            KIND,
            dm_payload(announcement, guild_name),
            [Target.dm(m) for m in members],
            now,
            author_id=announcement.author_id,
            subject=announcement.subject,
        )
    return members


async def _scheduled_dms(db: Database, timer: timers.Timer, now: datetime) -> None:
    """A scheduled announcement came due: DM whoever is subscribed now (unless cancelled)."""
    announcement = await get(db, timer.guild_id, int(timer.subject_id or 0))
    if announcement.state == "queued":
        await _queue_dms(db, announcement, now, timer.payload.get("guild_name"))


async def discard(
    db: Database, guild_id: int, announcement_id: int, actor_id: int, now: datetime
) -> None:
    """The author pressed Cancel on the preview: the draft is dropped, nothing was queued."""
    async with db.transaction():
        announcement = await get(db, guild_id, announcement_id)
        if announcement.author_id != actor_id:
            raise UserError("Only the organizer who wrote this announcement can cancel it.")
        if not await db.execute(CLAIM_DRAFT, ("discarded", None, announcement_id, guild_id)):
            raise Conflict(f"Announcement #{announcement_id} was already sent or cancelled.")


async def _broadcast_ids(db: Database, announcement: Announcement) -> list[int]:
    rows = await db.fetchall(BROADCASTS, (announcement.guild_id, announcement.subject))
    return [r[0] for r in rows]


async def cancel(
    db: Database, guild_id: int, announcement_id: int, actor_id: int, now: datetime
) -> int:
    """Stop what is not yet sent of an announcement; return how many deliveries were stopped.

    Conflict when everything was already sent (or it was cancelled before); audited.
    """
    async with db.transaction():
        announcement = await get(db, guild_id, announcement_id)
        if announcement.state == "draft":
            raise Conflict(
                f"Announcement #{announcement_id} was never sent: its preview's Cancel button "
                "drops it."
            )
        if announcement.state == "cancelled":
            raise Conflict(f"Announcement #{announcement_id} was already cancelled.")
        dms_stopped = await timers.cancel_subject(db, DM_TIMER, announcement_id)
        stopped = 0
        for broadcast_id in await _broadcast_ids(db, announcement):
            pending = (await delivery.counts(db, broadcast_id))["pending"]
            if pending:
                stopped += await delivery.cancel(db, guild_id, broadcast_id, now)
        if not stopped and not dms_stopped:
            raise Conflict(
                f"Announcement #{announcement_id} has already been sent: there is nothing left "
                "to cancel."
            )
        await db.execute(MARK_CANCELLED, (announcement_id,))
        await audit.record(
            db,
            guild_id,
            actor_id,
            "announcement.cancel",
            f"#{announcement_id} {announcement.title}",
            f"{stopped} deliveries stopped",
            now,
        )
    return stopped


async def status(db: Database, guild_id: int, announcement_id: int) -> Status:
    """Counts by state across the announcement's broadcasts, and reasons (no member named)."""
    announcement = await get(db, guild_id, announcement_id)
    totals = dict.fromkeys(delivery.STATES, 0)
    reasons: dict[tuple[str, str], int] = {}
    dms = 0
    for broadcast_id in await _broadcast_ids(db, announcement):
        counts = await delivery.counts(db, broadcast_id)
        for state, n in counts.items():
            totals[state] += n
        for state, reason, n in await delivery.reasons(db, broadcast_id):
            reasons[(state, reason)] = reasons.get((state, reason), 0) + n
        if broadcast_id != announcement.broadcast_id:
            dms += sum(counts.values())
    ordered = sorted(((s, r, n) for (s, r), n in reasons.items()), key=lambda x: -x[2])
    return Status(announcement, totals, ordered, dms)


async def listing(
    db: Database, guild_id: int, now: datetime, limit: int = 10
) -> tuple[list[tuple[Announcement, dict[str, int]]], list[tuple[Announcement, dict[str, int]]]]:
    """(scheduled, recent): announcements still to come, then the newest, with their counts."""
    scheduled = [_from_row(r) for r in await db.fetchall(LIST_SCHEDULED, (guild_id, to_db(now)))]
    recent = [
        a
        for a in (_from_row(r) for r in await db.fetchall(LIST, (guild_id, limit + len(scheduled))))
        if a.id not in {s.id for s in scheduled}
    ][:limit]
    out: dict[int, dict[str, int]] = {}
    for a in scheduled + recent:
        totals = dict.fromkeys(delivery.STATES, 0)
        ids = await _broadcast_ids(db, a)
        for counts in (await delivery.counts_many(db, ids)).values():
            for state, n in counts.items():
                totals[state] += n
        out[a.id] = totals
    return [(a, out[a.id]) for a in scheduled], [(a, out[a.id]) for a in recent]


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {DM_TIMER: _scheduled_dms}


# -- members' data (collected by the privacy engine at start-up) ------------------------------

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "announcements_written",
        "announcement",
        "author_id",
        "guild_id",
        (
            holds_id("author_id", "the organizer who wrote it, for Send/Cancel and the audit"),
            holds_text("title", "the announcement (published to the server)"),
            holds_text("body", "the announcement (published to the server)"),
            holds_text("link", "the announcement's link"),
        ),
        ("id", "title", "state", "created_at"),
        ANONYMISE,
        "published union material stays; its author is forgotten",
        anonymise=(("author_id", "0"),),
    ),
    NotPersonal("announcement", ("state", "scheduled_for"), "a state and a time"),
)
