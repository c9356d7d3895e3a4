"""Start-up wiring: what each capability plugs into the core, in one place and in the open.

Timer handlers, hooks on publication and demo content are registered here, once, by the bot's
`setup_hook`, the command line and the tests; importing a capability registers nothing.
"""

from __future__ import annotations

from bot import announcements, cat, events, faq, privacy, tracker, updates
from bot.core import timers, units
from bot.events import townhalls
from bot.updates import cascade

# Capabilities with demo content (`load_demo(db, guild_id, now) -> str`), in loading order:
# units before what refers to them.
DEMO = (units, updates, events, faq)


def install() -> None:
    """Register every capability's timer handlers and hooks (idempotent)."""
    for module in (announcements, cascade, tracker, events, townhalls, cat, privacy, faq):
        for kind, handler in module.TIMERS.items():
            timers.register(kind, handler)
    updates.on_publish(tracker.arm_silence)
