"""Members who left the server (bot.core.departures): their event reminder requests go and
their RSVPs' reminders are cancelled; the RSVPs stay as turnout counts. Registered by
bot/wiring.py. (The DMs themselves are checked again when sent.)"""

from __future__ import annotations

from datetime import datetime

from bot.core import timers
from bot.core.db import Database
from bot.events.rsvps import RSVP_TIMER

DROP_REMINDERS = (
    "DELETE FROM event_subscriber WHERE user_id = ? "
    "AND event_id IN (SELECT id FROM event WHERE guild_id = ?)"
)
RSVP_ROWS = (
    "SELECT r.rowid FROM event_rsvp r JOIN event_session s ON s.id = r.session_id "
    "JOIN event e ON e.id = s.event_id WHERE r.user_id = ? AND e.guild_id = ?"
)


async def member_left(db: Database, guild_id: int, user_id: int, now: datetime) -> None:
    """No more event reminders for someone who left the server."""
    await db.execute(DROP_REMINDERS, (user_id, guild_id))
    for (rowid,) in await db.fetchall(RSVP_ROWS, (user_id, guild_id)):
        await timers.cancel_subject(db, RSVP_TIMER, rowid)
