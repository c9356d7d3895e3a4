"""Start-up wiring: what each capability plugs into the core, in one place and in the open.

Timer handlers, hooks on publication, on a member's deletion and on a member who left the
server or lost a role (bot.core.departures), each capability's declaration of the members'
data it keeps and demo content are registered here, once, by the bot's `setup_hook`, the
command line and the tests; importing a capability registers nothing. `on_open` is what runs
once the database is open and migrated (the bot's start, a restore).
"""

from __future__ import annotations

from datetime import datetime

from bot import (
    announcements,
    cat,
    events,
    faq,
    privacy,
    questions,
    site,
    subscriptions,
    tracker,
    updates,
)
from bot.cat import departures as cat_departures
from bot.cat import personal_data as cat_data
from bot.core import audit, departures, timers, units
from bot.core import personal_data as core_data
from bot.core.db import Database
from bot.events import departures as events_departures
from bot.events import personal_data as events_data
from bot.privacy import personal_data as privacy_data
from bot.site import personal_data as site_data
from bot.tracker import personal_data as tracker_data
from bot.updates import cascade
from bot.updates import personal_data as updates_data

# Capabilities with demo content (`load_demo(db, guild_id, now) -> str`), in loading order:
# units before what refers to them, updates before the tracker's timeline that links to them;
# the public site last (it marks the demo's updates and events public).
DEMO = (units, updates, tracker, events, faq, site)

# Every capability's declaration of the members' data it keeps, in the order the privacy
# engine exports, deletes and lists it (the README's data table): the capabilities, then the
# core's own tables.
PERSONAL_DATA = (
    cat_data,
    questions,
    subscriptions,
    events_data,
    announcements,
    updates_data,
    tracker_data,
    privacy_data,
    faq,
    site_data,
    core_data,
)


def install() -> None:
    """Register every capability's timer handlers, hooks and members' data (idempotent)."""
    for module in (announcements, cascade, tracker, events, cat, privacy, site, faq):
        for kind, handler in module.TIMERS.items():
            timers.register(kind, handler)
    updates.on_publish(tracker.arm_silence)
    # Every organizer's change may show on the public site: it asks for a (debounced) rebuild.
    audit.on_record(site.on_audit)
    # /privacy delete: the committee post naming the member is redacted in Discord too.
    privacy.on_delete(questions.forget_member)
    # Someone who left the server, or lost the role the content was for, gets nothing more.
    for handler in (
        subscriptions.member_left,
        events_departures.member_left,
        cat_departures.member_left,
        cascade.volunteer_gone,
    ):
        departures.on_member_left(handler)
    departures.on_lost_role("cat", cat_departures.lost_cat_role)
    departures.on_lost_role("cat", cascade.volunteer_gone)
    departures.on_lost_role("coordinator", cat_departures.lost_coordinator_role)
    for module in PERSONAL_DATA:
        privacy.declare(*module.PERSONAL_DATA)


async def on_open(db: Database, now: datetime) -> None:
    """Once the database is open and migrated: members who deleted their data are forgotten
    again if a restored backup still holds them (bot.core.forgotten)."""
    await privacy.reapply_deletions(db, now)
