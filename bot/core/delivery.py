"""The outbox: a broadcast is one row and one delivery row per target, written together.

Nothing is sent from a command or a timer: they call `enqueue` inside their transaction and
the delivery worker (bot.glue.delivery_worker) sends what is due, marking each delivery sent,
skipped (with the reason) or failed. A restart resumes from the rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, NotFound
from bot.core.render import Limits, truncate

INSERT_BROADCAST = (
    "INSERT INTO broadcast (guild_id, kind, subject, author_id, payload, created_at, "
    "scheduled_for) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_DELIVERY = (
    "INSERT INTO delivery (broadcast_id, action, target_kind, target_id, edit_message_id, "
    "due_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
# A target that must still hold something when sent (Target.requires), written apart so
# plain targets keep the statement every schema since the first accepts.
INSERT_DELIVERY_REQUIRING = (
    "INSERT INTO delivery (broadcast_id, action, target_kind, target_id, edit_message_id, "
    "due_at, updated_at, requires) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
DUE = (
    "SELECT d.id, d.broadcast_id, d.action, d.target_kind, d.target_id, d.edit_message_id, "
    "d.attempts, b.payload, b.guild_id, d.requires FROM delivery d "
    "JOIN broadcast b ON b.id = d.broadcast_id "
    "WHERE d.state = 'pending' AND d.due_at <= ? ORDER BY d.due_at, d.id LIMIT ?"
)
NEXT_DUE = "SELECT min(due_at) FROM delivery WHERE state = 'pending'"
# A send Discord accepted is recorded as sent even if the broadcast was cancelled meanwhile:
# the message is there, and the counts must say so.
MARK_SENT = (
    "UPDATE delivery SET state = 'sent', channel_id = ?, message_id = ?, attempts = attempts + 1, "
    "reason = NULL, updated_at = ? WHERE id = ? AND state IN ('pending', 'cancelled')"
)
MARK_END = (
    "UPDATE delivery SET state = ?, reason = ?, attempts = attempts + 1, updated_at = ? "
    "WHERE id = ? AND state = 'pending'"
)
RETRY = (
    "UPDATE delivery SET attempts = attempts + 1, due_at = ?, reason = ?, updated_at = ? "
    "WHERE id = ? AND state = 'pending'"
)
# A 429 that outlasted discord.py's own retries: try again later without counting an attempt.
POSTPONE = (
    "UPDATE delivery SET due_at = ?, reason = ?, updated_at = ? WHERE id = ? AND state = 'pending'"
)
GET_BROADCAST = "SELECT * FROM broadcast WHERE id = ? AND guild_id = ?"
CANCEL_BROADCAST = "UPDATE broadcast SET state = 'cancelled' WHERE id = ? AND state = 'queued'"
CANCEL_DELIVERIES = (
    "UPDATE delivery SET state = 'cancelled', updated_at = ? "
    "WHERE broadcast_id = ? AND state = 'pending'"
)
COUNTS = "SELECT state, count(*) FROM delivery WHERE broadcast_id = ? GROUP BY state"
REASONS = (
    "SELECT state, coalesce(reason, '') AS reason, count(*) AS n FROM delivery "
    "WHERE broadcast_id = ? AND state IN ('skipped', 'failed', 'pending') AND reason IS NOT NULL "
    "GROUP BY state, reason ORDER BY n DESC"
)
SENT_MESSAGES = (
    "SELECT target_kind, target_id, channel_id, message_id FROM delivery "
    "WHERE broadcast_id = ? AND state = 'sent' AND action = 'post'"
)
COUNTS_MANY = (
    "SELECT broadcast_id, state, count(*) FROM delivery "
    "WHERE broadcast_id IN (SELECT value FROM json_each(?)) GROUP BY broadcast_id, state"
)
REPLACE_PENDING_PAYLOAD = (
    "UPDATE broadcast SET payload = ? WHERE id = ? AND EXISTS "
    "(SELECT 1 FROM delivery WHERE broadcast_id = ? AND state = 'pending')"
)
SET_PAYLOAD = "UPDATE broadcast SET payload = ? WHERE id = ?"
# Stored messages of a server that mention one member (`<@id>` or `<@!id>`), to redact.
MENTIONING = (
    "SELECT id, payload FROM broadcast WHERE guild_id = ? AND (instr(payload, ?) > 0 "
    "OR instr(payload, ?) > 0)"
)
GET_DM = "SELECT channel_id FROM dm_channel WHERE user_id = ?"
DM_OWNER = "SELECT user_id FROM dm_channel WHERE channel_id = ?"
FORGET_DM = "DELETE FROM dm_channel WHERE user_id = ? AND channel_id = ?"
PUT_DM = (
    "INSERT INTO dm_channel (user_id, channel_id, opened_at) VALUES (?, ?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET channel_id = excluded.channel_id"
)
PENDING_TOTALS = (
    "SELECT count(*), min(due_at) FROM delivery WHERE state = 'pending' AND due_at <= ?"
)
FAILED_TOTAL = "SELECT count(*) FROM delivery WHERE state = 'failed'"

# Why a delivery was skipped, in words an organizer reads in /announce status.
REASON_TEXT = {
    "dms_closed": "the member's DMs are closed",
    "member_left": "the member has left the server (or is no longer reachable)",
    "lost_role": "the member no longer holds the role this needs",
    "channel_public": "everyone can read the channel, so members' data is not posted there",
    "channel_gone": "the channel no longer exists",
    "missing_access": "the bot may not post there",
    "message_gone": "the message to edit was deleted",
    "rate_limited": "Discord asked the bot to slow down (retrying)",
    "dm_budget": "waiting for the day's budget of new DMs (sent later)",
    "timed out": "Discord did not answer in time",
}
STATES = ("pending", "sent", "skipped", "failed", "cancelled")
# What a target must still hold when it is sent (checked by the delivery worker): for a DM,
# the /setup role the content is for (being in the server is always checked); for a channel,
# that @everyone cannot read it.
REQUIREMENTS = ("cat", "coordinator", "private")


@dataclass(frozen=True)
class Target:
    """Where one copy goes: a channel, or a member by DM (an edit names its message)."""

    kind: str
    id: int
    edit_message_id: int | None = None
    requires: str | None = None

    def __post_init__(self) -> None:
        if self.requires is not None and self.requires not in REQUIREMENTS:
            raise ValueError(f"unknown requirement {self.requires!r}")

    @staticmethod
    def channel(channel_id: int, *, private: bool = False) -> Target:
        """A post in a server channel; `private`: only if @everyone cannot read it (members'
        data), else skipped as `channel_public`."""
        return Target("channel", int(channel_id), None, "private" if private else None)

    @staticmethod
    def dm(user_id: int, *, requires: str | None = None) -> Target:
        """A direct message to a member (only members who asked for it: DESIGN.md).

        It is sent only while they are still in the server and, with `requires` ("cat",
        "coordinator"), still hold that /setup role; else skipped (`member_left`,
        `lost_role`) and their subscriptions and registrations dropped (bot.core.departures).
        """
        return Target("dm", int(user_id), None, requires)

    @staticmethod
    def edit(channel_id: int, message_id: int) -> Target:
        """An edit of a message the bot posted earlier."""
        return Target("channel", int(channel_id), int(message_id))


@dataclass(frozen=True)
class Delivery:
    """One pending send, with the message it carries."""

    id: int
    broadcast_id: int
    action: str
    target_kind: str
    target_id: int
    edit_message_id: int | None
    attempts: int
    payload: dict[str, Any]
    guild_id: int = 0
    requires: str | None = None


@dataclass(frozen=True)
class Broadcast:
    """One message to many targets."""

    id: int
    guild_id: int
    kind: str
    subject: str | None
    author_id: int | None
    payload: dict[str, Any]
    created_at: datetime
    scheduled_for: datetime
    state: str


def _check_mentions(payload: dict[str, Any]) -> None:
    # Nothing queued may ping more than the roles or users it names.
    mentions = payload.get("allowed_mentions")
    if not isinstance(mentions, dict):
        raise ValueError("a broadcast payload must say whom it may ping (allowed_mentions)")
    if mentions.get("parse"):
        raise ValueError("allowed_mentions.parse must be empty: name the roles or users to ping")


async def enqueue(
    db: Database,
    guild_id: int,
    kind: str,
    payload: dict[str, Any],
    targets: Iterable[Target],
    now: datetime,
    *,
    author_id: int | None = None,
    subject: str | None = None,
    scheduled_for: datetime | None = None,
) -> int:
    """Queue one broadcast to every target (duplicates dropped); return the broadcast id.

    `payload` is a message as bot.render.message() builds it; it must carry allowed_mentions.
    Call inside the transaction that records what the broadcast is about.
    """
    _check_mentions(payload)
    # A member forgotten by /privacy delete has id 0 or a negative one: never a recipient.
    targets = [t for t in targets if t.kind != "dm" or t.id > 0]
    posts = any(t.edit_message_id is None for t in targets)
    if posts and not (payload.get("content") or payload.get("embeds") or payload.get("files")):
        raise ValueError("a posted broadcast needs content, embeds or files")
    when = scheduled_for or now
    async with db.transaction():
        broadcast_id = await db.execute(
            INSERT_BROADCAST,
            (guild_id, kind, subject, author_id, json.dumps(payload), to_db(now), to_db(when)),
        )
        rows = [
            (
                broadcast_id,
                "edit" if t.edit_message_id else "post",
                t.kind,
                t.id,
                t.edit_message_id,
                to_db(when),
                to_db(now),
            )
            for t in targets
        ]
        plain = [row for row, t in zip(rows, targets, strict=True) if t.requires is None]
        requiring = [(*row, t.requires) for row, t in zip(rows, targets, strict=True) if t.requires]
        if plain:
            await db.executemany(INSERT_DELIVERY, plain)
        if requiring:
            await db.executemany(INSERT_DELIVERY_REQUIRING, requiring)
        db.notify("delivery")
    return broadcast_id


async def due(db: Database, now: datetime, limit: int = 100) -> list[Delivery]:
    """Pending deliveries whose time has come, oldest first."""
    rows = await db.fetchall(DUE, (to_db(now), limit))
    return [
        Delivery(
            r["id"],
            r["broadcast_id"],
            r["action"],
            r["target_kind"],
            r["target_id"],
            r["edit_message_id"],
            r["attempts"],
            json.loads(r["payload"]),
            r["guild_id"],
            r["requires"],
        )
        for r in rows
    ]


async def next_due(db: Database) -> datetime | None:
    """When the next pending delivery is due (a scheduled broadcast, a retry), if any."""
    return from_db(await db.fetchval(NEXT_DUE))


async def mark_sent(
    db: Database, delivery_id: int, channel_id: int, message_id: int, now: datetime
) -> None:
    """The message is on Discord: record where."""
    await db.execute(MARK_SENT, (channel_id, message_id, to_db(now), delivery_id))


async def postpone(
    db: Database, delivery_id: int, when: datetime, reason: str, now: datetime
) -> None:
    """Discord asked to slow down: try again at `when`, without counting it as an attempt."""
    await db.execute(POSTPONE, (to_db(when), reason, to_db(now), delivery_id))


async def mark_skipped(db: Database, delivery_id: int, reason: str, now: datetime) -> None:
    """Discord will never take this one (DMs closed, channel gone, ...)."""
    await db.execute(MARK_END, ("skipped", reason, to_db(now), delivery_id))


async def mark_failed(db: Database, delivery_id: int, reason: str, now: datetime) -> None:
    """Given up after the retries."""
    await db.execute(MARK_END, ("failed", reason, to_db(now), delivery_id))


async def retry_later(
    db: Database, delivery_id: int, when: datetime, reason: str, now: datetime
) -> None:
    """A passing fault: count the attempt and try again at `when`."""
    await db.execute(RETRY, (to_db(when), reason, to_db(now), delivery_id))


async def get_broadcast(db: Database, guild_id: int, broadcast_id: int) -> Broadcast:
    """One broadcast of this server, or NotFound."""
    row = await db.fetchone(GET_BROADCAST, (broadcast_id, guild_id))
    if row is None:
        raise NotFound(f"There is no broadcast #{broadcast_id} in this server.")
    return Broadcast(
        row["id"],
        row["guild_id"],
        row["kind"],
        row["subject"],
        row["author_id"],
        json.loads(row["payload"]),
        from_db(row["created_at"]),  # type: ignore[arg-type]
        from_db(row["scheduled_for"]),
        row["state"],  # type: ignore[arg-type]
    )


async def cancel(db: Database, guild_id: int, broadcast_id: int, now: datetime) -> int:
    """Cancel what is not yet sent of a broadcast; return how many deliveries were stopped."""
    async with db.transaction():
        broadcast = await get_broadcast(db, guild_id, broadcast_id)
        if broadcast.state == "cancelled":
            raise Conflict(f"Broadcast #{broadcast_id} was already cancelled.")
        await db.execute(CANCEL_BROADCAST, (broadcast_id,))
        stopped = await db.execute(CANCEL_DELIVERIES, (to_db(now), broadcast_id))
        if stopped == 0:
            raise Conflict(f"Broadcast #{broadcast_id} has already been sent.")
    return stopped


async def counts(db: Database, broadcast_id: int) -> dict[str, int]:
    """How many deliveries of a broadcast are in each state (all states present)."""
    totals = dict.fromkeys(STATES, 0)
    for state, n in await db.fetchall(COUNTS, (broadcast_id,)):
        totals[state] = n
    return totals


async def counts_many(db: Database, broadcast_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """`counts` for several broadcasts in one query (lists of announcements)."""
    ids = [int(i) for i in broadcast_ids]
    result = {i: dict.fromkeys(STATES, 0) for i in ids}
    for broadcast_id, state, n in await db.fetchall(COUNTS_MANY, (json.dumps(ids),)):
        result[broadcast_id][state] = n
    return result


async def reasons(db: Database, broadcast_id: int) -> list[tuple[str, str, int]]:
    """(state, reason, count) for skipped, failed and retrying deliveries: no member named."""
    return [(r["state"], r["reason"], r["n"]) for r in await db.fetchall(REASONS, (broadcast_id,))]


async def sent_messages(db: Database, broadcast_id: int) -> list[tuple[str, int, int, int]]:
    """(target kind, target id, channel id, message id) of each message a broadcast posted."""
    return [tuple(r) for r in await db.fetchall(SENT_MESSAGES, (broadcast_id,))]  # type: ignore[misc]


async def replace_pending_payload(db: Database, broadcast_id: int, payload: dict[str, Any]) -> bool:
    """Give the copies of a broadcast not yet sent a new message (an edit before they went)."""
    _check_mentions(payload)
    changed = await db.execute(
        REPLACE_PENDING_PAYLOAD, (json.dumps(payload), broadcast_id, broadcast_id)
    )
    return changed > 0


async def set_payload(db: Database, broadcast_id: int, payload: dict[str, Any]) -> None:
    """Replace the stored copy of a broadcast's message, sent or not (a redaction); queue an
    edit of what it posted separately (Target.edit) for Discord's copy."""
    _check_mentions(payload)
    await db.execute(SET_PAYLOAD, (json.dumps(payload), broadcast_id))


REDACTED = "a former member"


def _without_user(value: Any, user_id: int) -> Any:
    # The member's mention in any text becomes REDACTED.
    if isinstance(value, str):
        for mention in (f"<@{user_id}>", f"<@!{user_id}>"):
            value = value.replace(mention, REDACTED)
        return value
    if isinstance(value, list):
        return [_without_user(v, user_id) for v in value]
    if isinstance(value, dict):
        return {k: _without_user(v, user_id) for k, v in value.items()}
    return value


def redacted(payload: dict[str, Any], user_id: int) -> dict[str, Any]:
    """A message with the member's mentions replaced by "a former member" and their id out
    of allowed_mentions."""
    out = _without_user(payload, user_id)
    users = (out.get("allowed_mentions") or {}).get("users")
    if users:
        out["allowed_mentions"]["users"] = [u for u in users if str(u) != str(user_id)]
    return out


async def redact_mentions(db: Database, guild_id: int, user_id: int) -> int:
    """Redact every stored message of this server that mentions the member (their mention
    becomes "a former member"); return how many. The copies in Discord are the capabilities'
    to edit (they know what the message shows now)."""
    rows = await db.fetchall(MENTIONING, (guild_id, f"<@{user_id}>", f"<@!{user_id}>"))
    for row in rows:
        payload = redacted(json.loads(row["payload"]), user_id)
        await db.execute(SET_PAYLOAD, (json.dumps(payload), row["id"]))
    return len(rows)


async def dm_channel(db: Database, user_id: int) -> int | None:
    """The member's DM channel, if opened before."""
    return await db.fetchval(GET_DM, (user_id,))


async def dm_owner(db: Database, channel_id: int) -> int | None:
    """The member whose DM channel this is (None: a server channel, or one never used)."""
    return await db.fetchval(DM_OWNER, (channel_id,))


async def remember_dm_channel(db: Database, user_id: int, channel_id: int, now: datetime) -> None:
    """Keep the member's DM channel so it is opened once (and when: the new-DM budget)."""
    await db.execute(PUT_DM, (user_id, channel_id, to_db(now)))


async def forget_dm_channel(db: Database, user_id: int, channel_id: int) -> None:
    """The remembered DM channel is gone: open a new one next time."""
    await db.execute(FORGET_DM, (user_id, channel_id))


async def backlog(db: Database, now: datetime) -> tuple[int, datetime | None]:
    """(how many deliveries are due and unsent, the oldest due time) for status checks."""
    row = await db.fetchone(PENDING_TOTALS, (to_db(now),))
    return (int(row[0]), from_db(row[1])) if row else (0, None)


async def failed_total(db: Database) -> int:
    """How many deliveries ended failed, all servers."""
    return int(await db.fetchval(FAILED_TOTAL, (), 0))


def file_part(name: str, data: bytes, description: str | None = None) -> dict[str, str]:
    """An attachment for a queued message (payload["files"]): small files only (.ics, PNG).

    `description` is what a screen reader says for it (an image must have one: what it shows
    and its key numbers), cut to Discord's 1,024 characters.
    """
    part = {"name": name, "data": base64.b64encode(data).decode("ascii")}
    if description:
        part["description"] = truncate(description, Limits.ATTACHMENT_DESCRIPTION)
    return part
