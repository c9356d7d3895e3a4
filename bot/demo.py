"""Demo content (data/demo/): the settings and data the sandbox and `rankfile demo load` use.

Each capability with demo content is listed in `bot.wiring.DEMO`; its module provides
`async def load_demo(db, guild_id, now) -> str` (a one-line summary), idempotent, so loading
twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from bot import wiring
from bot.core.db import Database

# Domain modules with demo content, loaded in this order (units before what refers to them).


async def load(db: Database, guild_id: int, now: datetime) -> list[str]:
    """Load every capability's demo content into one server; return the summaries."""
    summaries = []
    for module in wiring.DEMO:
        summaries.append(await module.load_demo(db, guild_id, now))
    return summaries


async def prepare_server(
    db: Database, guild_id: int, channels: dict[str, int], roles: dict[str, int], now: datetime
) -> None:
    """What an admin's /setup would save for the demo server (sandbox and tests)."""
    from bot import privacy
    from bot.core import guild_settings

    await guild_settings.update(
        db,
        guild_id,
        None,
        now,
        announcements_channel_id=channels["announcements"],
        updates_channel_id=channels["updates"],
        committee_channel_id=channels["committee"],
        organizer_role_id=roles["organizer"],
        cat_role_id=roles["cat"],
        coordinator_role_id=roles["cat-coordinator"],
        timezone="America/Los_Angeles",
    )
    # The demo admin has read the safety checklist (the CAT takes sign-ups only after that).
    await privacy.acknowledge_checklist(db, guild_id, None, now)
