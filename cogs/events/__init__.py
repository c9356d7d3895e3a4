"""The events capability's commands: /events (members), /event (organizers), /townhall
(members' questions) and /townhall-run (organizers); their buttons and forms in components."""

from __future__ import annotations

from bot.glue.app import Rankfile
from cogs.events.members import EventsMembers
from cogs.events.organizers import EventsOrganizers
from cogs.events.townhall import Townhall


async def setup(bot: Rankfile) -> None:
    """Load the cogs."""
    await bot.add_cog(EventsMembers(bot))
    await bot.add_cog(EventsOrganizers(bot))
    await bot.add_cog(Townhall(bot))
