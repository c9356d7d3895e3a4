"""Silence noticed: when members of a unit at the table hear nothing for N days (`/setup`
silence_days), the committee channel gets a nudge with a "Post a no-news update" button.

Each publication concerning a unit re-arms its clock (a timer per unit); the nudge is never
repeated until the next update re-arms it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.core import delivery, guild_settings, timers, units
from bot.core.db import Database, from_db
from bot.core.errors import NotFound
from bot.core.render import Colour, embed, message
from bot.tracker import model
from bot.tracker.model import CURRENT, LAST_HEARD_ONE, SILENT_STATUSES, days_between

log = logging.getLogger("rankfile.tracker")

SILENCE_KIND = "tracker.silence"
# The committee post's button (cogs/updates.py matches it as a DynamicItem).
NO_NEWS_ID = "rf:tr:nonews:{unit_id}"


async def arm_silence(
    db: Database, guild_id: int, update_id: int | None, unit_ids: list[int], now: datetime
) -> None:
    """(Re)start each unit's silence clock: a nudge N days from now (`/setup` silence_days),
    replacing the pending one. Called in the publication's transaction."""
    if not unit_ids:
        return
    days = (await guild_settings.get(db, guild_id)).silence_days
    for unit_id in unit_ids:
        await timers.cancel_subject(db, SILENCE_KIND, unit_id)
        await timers.schedule(db, guild_id, SILENCE_KIND, unit_id, now + timedelta(days=days), now)


def no_news_text(unit: units.Unit, last: datetime | None, zone: str) -> tuple[str, str]:
    """The title and text a no-news update form opens with (organizers fill in the dates)."""
    met = model.day_text(last, zone) if last else "..."
    return (
        f"No news this week: {unit.label}",
        f"No news this week: we met on {met}, we meet again on ... . "
        "Nothing new to report yet; we will tell you as soon as there is.",
    )


def nudge_message(unit: units.Unit, days: int, late: bool) -> dict[str, Any]:
    """The committee channel's nudge about a silent unit, with its no-news button."""
    text = (
        f"Members of **{unit.label}** have heard nothing for **{days} days**. Even no news is "
        "worth saying: post a short no-news update so they know bargaining goes on."
    )
    if late:
        text += "\n\n*(This nudge is late: the bot was offline when it came due.)*"
    button = {
        "type": 2,
        "style": 1,
        "label": "Post a no-news update",
        "custom_id": NO_NEWS_ID.format(unit_id=unit.id),
    }
    return message(
        embeds=[embed(f"Silence: {unit.label}", text, colour=Colour.WARNING)],
        components=[{"type": 1, "components": [button]}],
    )


async def fire_silence(db: Database, timer: timers.Timer, now: datetime) -> None:
    """A unit's silence clock ran out: nudge the committee channel if the unit is still at the
    table or waiting for details and nothing was posted since; never repeated until the next
    update re-arms it."""
    unit_id = timer.subject_id
    if unit_id is None:
        return
    settings = await guild_settings.get(db, timer.guild_id)
    try:
        unit = await units.get(db, timer.guild_id, unit_id)
    except NotFound:
        return
    heard = await db.fetchone(LAST_HEARD_ONE, (timer.guild_id, unit_id))
    row = await db.fetchone(CURRENT, (timer.guild_id, unit_id))
    if row is None or row["status"] not in SILENT_STATUSES:
        return
    since = from_db(heard[0]) if heard else from_db(row["reached_at"])
    due = since + timedelta(days=settings.silence_days)
    if due > now + timedelta(minutes=1):
        # The setting grew since the clock was armed: wait for the new due time.
        await timers.schedule(db, timer.guild_id, SILENCE_KIND, unit_id, due, now)
        return
    if settings.committee_channel_id is None:
        log.warning("silence nudge for unit %s skipped: no committee channel", unit_id)
        return
    await delivery.enqueue(
        db,
        timer.guild_id,
        "tracker.silence",
        nudge_message(unit, days_between(since, now, settings.timezone), timer.late),
        [delivery.Target.channel(settings.committee_channel_id)],
        now,
        subject=f"unit {unit_id}",
    )


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {SILENCE_KIND: fire_silence}
