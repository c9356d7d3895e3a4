"""Reminders: the offsets, the timer that fires them, and who asked for them by DM.

Each reminder is a timer row (`event.reminder`, subject = the event id) due at an offset
before the start (town hall, deadline) or before the final close (vote; `open` means at a
window's opening), useful until the event starts or the vote closes: one missed while the bot
was down is sent late with a note while still useful, and marked missed otherwise
(bot.core.timers). Editing or cancelling an event reschedules or cancels its pending
reminders in the same transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.core import audit, guild_settings, limits, timeparse, timers
from bot.core.db import Database, to_db
from bot.core.delivery import Target, enqueue
from bot.core.errors import Conflict, UserError
from bot.core.render import message
from bot.events import embeds, model, votes
from bot.events.model import OPEN, Event, Session

log = logging.getLogger("rankfile.events")

TIMER_KIND = "event.reminder"
OFFSETS_MAX = 8
OFFSET_LONGEST = timedelta(days=90)

DEFAULT_OFFSETS: dict[str, tuple[int | str, ...]] = {
    "townhall": (7 * 86400, 86400, 3600),
    "vote": (OPEN, 3 * 86400, 86400, 3 * 3600),
    "deadline": (7 * 86400, 86400),
}

SET_OFFSETS = "UPDATE event SET reminder_offsets = ?, updated_at = ? WHERE id = ? AND guild_id = ?"
GET_DEFAULT = "SELECT offsets FROM event_reminder_default WHERE guild_id = ? AND kind = ?"
PUT_DEFAULT = (
    "INSERT INTO event_reminder_default (guild_id, kind, offsets) VALUES (?, ?, ?) "
    "ON CONFLICT (guild_id, kind) DO UPDATE SET offsets = excluded.offsets"
)
SUBSCRIBE = (
    "INSERT INTO event_subscriber (event_id, user_id, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
UNSUBSCRIBE = "DELETE FROM event_subscriber WHERE event_id = ? AND user_id = ?"
IS_SUBSCRIBED = "SELECT 1 FROM event_subscriber WHERE event_id = ? AND user_id = ?"
SUBSCRIBERS = "SELECT user_id FROM event_subscriber WHERE event_id = ? ORDER BY user_id"
# Reminder DMs skip members who said they voted (for a vote): one query, no list leaves it.
REMIND_DMS = (
    "SELECT s.user_id FROM event_subscriber s WHERE s.event_id = ? AND NOT EXISTS "
    "(SELECT 1 FROM vote_voted v WHERE v.event_id = s.event_id AND v.user_id = s.user_id) "
    "ORDER BY s.user_id"
)
# Whether one member will get the event's reminder DMs (pressed Remind me, not said voted).
WILL_REMIND = (
    "SELECT 1 FROM event_subscriber s WHERE s.event_id = ? AND s.user_id = ? AND NOT EXISTS "
    "(SELECT 1 FROM vote_voted v WHERE v.event_id = s.event_id AND v.user_id = s.user_id)"
)


def parse_offsets(text: str, kind: str) -> tuple[int | str, ...] | None:
    """Read reminder offsets: `7d, 1d, 1h`; `open` for a vote's opening; `default`; `none`.

    Returns None for `default` (the server's default for the kind), () for `none`.
    """
    cleaned = text.strip().lower()
    if cleaned in ("default", "defaults"):
        return None
    if cleaned in ("none", "off", "no"):
        return ()
    found: list[int | str] = []
    for part in (p.strip() for p in cleaned.replace(";", ",").split(",")):
        if not part:
            continue
        if part in (OPEN, "opening", "at opening"):
            if kind != "vote":
                raise UserError("`open` (a reminder when voting opens) is for votes only.")
            value: int | str = OPEN
        else:
            length = timeparse.parse_duration(part.removesuffix(" before"))
            if length > OFFSET_LONGEST:
                raise UserError(
                    f"`{part}` is too far ahead: reminders go at most "
                    f"{OFFSET_LONGEST.days} days before."
                )
            value = int(length.total_seconds())
        if value not in found:
            found.append(value)
    if not found:
        raise UserError("Give offsets such as `7d, 1d, 1h`, or `default`, or `none`.")
    if len(found) > OFFSETS_MAX:
        raise UserError(f"At most {OFFSETS_MAX} reminders per event.")
    return tuple(sorted(found, key=lambda o: (-1, 0) if o == OPEN else (0, -int(o))))


def describe_offset(offset: int | str, kind: str) -> str:
    """An offset in words: "at opening", "1 day before closing", "7 days before"."""
    if offset == OPEN:
        return "when voting opens"
    length = timeparse.format_duration(timedelta(seconds=int(offset)))
    return f"{length} before closing" if kind == "vote" else f"{length} before"


def describe_offsets(offsets: tuple[int | str, ...], kind: str) -> str:
    """A list of offsets in words, or "none"."""
    return ", ".join(describe_offset(o, kind) for o in offsets) or "none"


async def default_offsets(db: Database, guild_id: int, kind: str) -> tuple[int | str, ...]:
    """The server's default offsets for a kind (the built-in ones until changed)."""
    stored = model.offsets_from_json(await db.fetchval(GET_DEFAULT, (guild_id, kind)))
    return stored if stored is not None else DEFAULT_OFFSETS[kind]


async def offsets_of(db: Database, event: Event) -> tuple[int | str, ...]:
    """The offsets in force for an event: its own, else the server's default for its kind."""
    if event.reminder_offsets is not None:
        return event.reminder_offsets
    return await default_offsets(db, event.guild_id, event.kind)


def planned(
    event: Event, offsets: tuple[int | str, ...]
) -> list[tuple[int, int | str, datetime, datetime]]:
    """(session id, offset, due, useful until) of every reminder the offsets make.

    Town halls: before each session's start. Deadlines: before the moment. Votes: `open` at
    each window's opening; the others before the final close, only while a window is open
    (reminders pause between windows). Due times outside the event are left out.
    """
    windows = [(s.id, s.starts_at, s.ends_at) for s in event.sessions if s.state == "scheduled"]
    return _plan(event.kind, windows, offsets)


def _plan(
    kind: str,
    windows: list[tuple[int, datetime, datetime | None]],
    offsets: tuple[int | str, ...],
) -> list[tuple[int, int | str, datetime, datetime]]:
    plan: list[tuple[int, int | str, datetime, datetime]] = []
    if kind == "vote":
        if not windows:
            return plan
        close = max(ends or starts for _, starts, ends in windows)
        for offset in offsets:
            if offset == OPEN:
                plan += [(key, OPEN, starts, ends or close) for key, starts, ends in windows]
                continue
            due = close - timedelta(seconds=int(offset))
            inside = [key for key, starts, ends in windows if starts <= due < (ends or close)]
            if inside:
                plan.append((inside[0], offset, due, close))
        return sorted(plan, key=lambda p: p[2])
    for key, starts, _ in windows:
        for offset in offsets:
            if offset == OPEN:
                continue
            plan.append((key, offset, starts - timedelta(seconds=int(offset)), starts))
    return sorted(plan, key=lambda p: p[2])


def offsets_ahead(
    event: Event, offsets: tuple[int | str, ...], now: datetime
) -> tuple[int | str, ...]:
    """The offsets that will still fire: no "7 days before" for an event 3 days away, no
    "3 days before closing" for a vote that opens after that."""
    return _still_ahead(planned(event, offsets), offsets, now)


def offsets_ahead_of(
    kind: str,
    starts_at: datetime,
    ends_at: datetime | None,
    offsets: tuple[int | str, ...],
    now: datetime,
) -> tuple[int | str, ...]:
    """`offsets_ahead` for an event not saved yet (a draft's one session or window)."""
    return _still_ahead(_plan(kind, [(0, starts_at, ends_at)], offsets), offsets, now)


def _still_ahead(
    plan: list[tuple[int, int | str, datetime, datetime]],
    offsets: tuple[int | str, ...],
    now: datetime,
) -> tuple[int | str, ...]:
    firing = {offset for _, offset, due, _ in plan if due >= now}
    return tuple(o for o in offsets if o in firing)


async def will_remind(
    db: Database, event_id: int, user_id: int, session_id: int, due: datetime
) -> bool:
    """Whether the event's own reminder reaches this member at this moment for this session
    (Remind me pressed, not said voted): their RSVP reminder of that moment is then left out,
    so a member gets one reminder per moment."""
    if not await db.fetchval(WILL_REMIND, (event_id, user_id)):
        return False
    return any(
        t.due_at == due
        and t.state in ("pending", "fired")
        and t.payload.get("session_id") == session_id
        for t in await timers.for_subject(db, TIMER_KIND, event_id)
    )


def check_offsets_fit(event: Event, offsets: tuple[int | str, ...]) -> None:
    """Refuse offsets that fall outside the event (a vote's reminder before it opens)."""
    if event.kind != "vote":
        return
    # Only offsets before the first opening are refused; one between windows is paused.
    close = event.closes_at
    outside = [
        o for o in offsets if o != OPEN and close - timedelta(seconds=int(o)) < event.starts_at
    ]
    if outside:
        raise UserError(
            "These reminders would fall before voting opens: "
            f"{describe_offsets(tuple(outside), event.kind)}. The window is "
            f"{timeparse.format_duration(event.closes_at - event.starts_at)} long; "
            "use shorter offsets or `open`."
        )


async def reschedule(db: Database, event: Event, now: datetime) -> int:
    """Cancel the event's pending reminders and schedule the ones still ahead (and a vote's
    close); return how many reminders are pending. Called after every change to its sessions."""
    await timers.cancel_subject(db, TIMER_KIND, event.id)
    # At a vote's final close the per-member flags are deleted, leaving the anonymous counts.
    await votes.schedule_close(db, event, now)
    if event.state != "scheduled":
        return 0
    count = 0
    for session_id, offset, due, useful_until in planned(event, await offsets_of(db, event)):
        if due < now:
            continue  # already past when (re)scheduled: nothing to remind of late
        await timers.schedule(
            db,
            event.guild_id,
            TIMER_KIND,
            event.id,
            due,
            now,
            useful_until=useful_until,
            payload={"session_id": session_id, "offset": offset},
        )
        count += 1
    return count


async def reminder_timers(db: Database, event_id: int) -> list[timers.Timer]:
    """Every reminder timer of an event, in due order, whatever its state (for organizers)."""
    return await timers.for_subject(db, TIMER_KIND, event_id)


async def _fire_reminder(db: Database, timer: timers.Timer, now: datetime) -> None:
    """Queue one reminder: a post in the announcements channel and a DM to each who asked."""
    event = await model.get_any(db, int(timer.subject_id or 0))
    if event.state != "scheduled":
        return
    offset = timer.payload.get("offset")
    session = next((s for s in event.sessions if s.id == timer.payload.get("session_id")), None)
    session = session or event.session
    settings = await guild_settings.get(db, event.guild_id)
    targets = [Target.dm(r[0]) for r in await db.fetchall(REMIND_DMS, (event.id,))]
    if settings.announcements_channel_id:
        targets.insert(0, Target.channel(settings.announcements_channel_id))
    if not targets:
        return
    text = reminder_text(event, session, offset, late=timer.late)
    payload = message(
        text, embeds=[embeds.event_embed(event, now)], components=embeds.buttons(event, now)
    )
    await enqueue(
        db, event.guild_id, "event.reminder", payload, targets, now, subject=f"event:{event.id}"
    )
    log.info("event %s reminder %s queued to %d targets", event.id, timer.id, len(targets))


def reminder_text(event: Event, session: Session, offset: Any, *, late: bool) -> str:
    """The line a reminder leads with (times as Discord timestamps)."""
    start_f = timeparse.discord_timestamp(session.starts_at, "F")
    start_r = timeparse.discord_timestamp(session.starts_at, "R")
    title = f"**{event.title}**"
    if event.kind == "vote":
        close = event.closes_at
        close_f = timeparse.discord_timestamp(close, "F")
        close_r = timeparse.discord_timestamp(close, "R")
        if offset == OPEN:
            text = f"🗳️ Voting is open: {title}. It closes {close_f} ({close_r})."
        else:
            text = f"🗳️ Reminder: voting on {title} closes {close_r} ({close_f})."
        if event.how_to_vote:
            text += f"\nHow to vote: {event.how_to_vote}"
    elif event.kind == "deadline":
        text = f"⏳ Reminder: {title} is {start_r} ({start_f})."
    else:
        text = f"📅 Reminder: {title} starts {start_r} ({start_f})."
        if session.place:
            text += f"\nWhere: {session.place}"
    if late:
        text += "\n_Sent late: the bot could not send this reminder on time._"
    return text


async def subscribers(db: Database, event_id: int) -> list[int]:
    """The members who pressed Remind me for the event."""
    return [r[0] for r in await db.fetchall(SUBSCRIBERS, (event_id,))]


async def toggle_reminders(
    db: Database,
    event_id: int,
    user_id: int,
    now: datetime,
    member_role_ids: tuple[int, ...] | None = None,
) -> bool:
    """Remind me: start (True) or stop (False) this member's DM reminders for the event."""
    async with db.transaction():
        event = await model.get_any(db, event_id)
        await limits.take(db, event.guild_id, user_id, "event.remind", now)
        if await db.fetchval(IS_SUBSCRIBED, (event_id, user_id)):
            await db.execute(UNSUBSCRIBE, (event_id, user_id))
            return False
        model.check_open(event, now)
        votes.check_eligible(event, member_role_ids)
        await db.execute(SUBSCRIBE, (event_id, user_id, to_db(now)))
        return True


async def set_offsets(
    db: Database,
    guild_id: int,
    event_id: int,
    actor_id: int | None,
    offsets: tuple[int | str, ...] | None,
    now: datetime,
) -> tuple[Event, int]:
    """Change an event's reminder offsets (None: the server's default); reschedule them.
    Returns the event and how many reminders are now pending."""
    async with db.transaction():
        event = await model.get(db, guild_id, event_id)
        if event.state != "scheduled":
            raise Conflict(f"Event #{event_id} was cancelled: it has no reminders to change.")
        if offsets is not None:
            check_offsets_fit(event, offsets)
        stored = json.dumps(list(offsets)) if offsets is not None else None
        await db.execute(SET_OFFSETS, (stored, to_db(now), event_id, guild_id))
        event = replace(event, reminder_offsets=offsets)
        count = await reschedule(db, event, now)
        shown = describe_offsets(await offsets_of(db, event), event.kind)
        await audit.record(
            db, guild_id, actor_id, "event.reminders", f"event:{event_id}", shown, now
        )
    return event, count


async def set_default_offsets(
    db: Database,
    guild_id: int,
    actor_id: int | None,
    kind: str,
    offsets: tuple[int | str, ...] | None,
    now: datetime,
) -> tuple[int | str, ...]:
    """Change the server's default offsets for a kind (None: back to the built-in ones).

    Events that follow the default are rescheduled in the same transaction.
    """
    async with db.transaction():
        if offsets is None:
            await db.execute(
                "DELETE FROM event_reminder_default WHERE guild_id = ? AND kind = ?",
                (guild_id, kind),
            )
        else:
            await db.execute(PUT_DEFAULT, (guild_id, kind, json.dumps(list(offsets))))
        for event in await model.upcoming(db, guild_id, now, limit=1000):
            if event.kind == kind and event.reminder_offsets is None:
                await reschedule(db, event, now)
        chosen = await default_offsets(db, guild_id, kind)
        await audit.record(
            db,
            guild_id,
            actor_id,
            "event.reminder_defaults",
            kind,
            describe_offsets(chosen, kind),
            now,
        )
    return chosen


# Timer kinds handled here; bot.events.TIMERS collects them for bot.wiring.
TIMERS: dict[str, timers.Handler] = {TIMER_KIND: _fire_reminder}
