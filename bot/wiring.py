"""Start-up wiring: what each capability plugs into the core, in one place and in the open.

Timer handlers, hooks on publication and demo content are registered here, once, by the bot's
`setup_hook`, the command line and the tests; importing a capability registers nothing.
"""

from __future__ import annotations

from bot import announcements, cat, events, faq, privacy, tracker, updates
from bot.core import timers, units
from bot.updates import cascade

# Capabilities with demo content (`load_demo(db, guild_id, now) -> str`), in loading order:
# units before what refers to them, updates before the tracker's timeline that links to them.
DEMO = (units, updates, tracker, events, faq)


def install() -> None:
    """Register every capability's timer handlers and hooks (idempotent)."""
    for module in (announcements, cascade, tracker, events, cat, privacy):
        for kind, handler in module.TIMERS.items():
            timers.register(kind, handler)
    updates.on_publish(tracker.arm_silence)
