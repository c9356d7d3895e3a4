"""The Contract Action Team's commands: /cat for members (cogs/cat/members.py) and /catteam
for coordinators (cogs/cat/coordinators.py), with their buttons and forms
(cogs/cat/components.py) and embeds (cogs/cat/embeds.py)."""

from __future__ import annotations

import re

from bot.glue import ui
from bot.glue.app import Rankfile
from cogs.cat.components import COMMIT_ID, SUPERVISOR_ID, CommitView, JoinView
from cogs.cat.coordinators import CatTeam
from cogs.cat.members import CatMembers


async def setup(bot: Rankfile) -> None:
    """Load the cogs, and register the persistent "Join the CAT" and "I commit" buttons so
    posts made before a restart keep working."""
    await bot.add_cog(CatMembers(bot))
    await bot.add_cog(CatTeam(bot))
    bot.add_view(JoinView(bot))
    bot.add_view(CommitView(bot))
    for custom_id in (COMMIT_ID, SUPERVISOR_ID):
        ui.FORM_BUTTONS.add(re.escape(custom_id))
