"""The bot: opens and migrates the database, starts the scheduler and delivery, loads cogs."""

from __future__ import annotations

import hashlib
import json
import logging
import pkgutil
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot import ui
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.delivery_worker import DeliveryWorker
from bot.scheduler import Scheduler

log = logging.getLogger("rankfile")

SYNC_HASH_KEY = "commands_hash"


def cog_modules() -> list[str]:
    """Every cog module in cogs/ (files starting with `_` are helpers, not cogs)."""
    path = Path(cogs.__file__).parent
    return sorted(
        f"cogs.{m.name}" for m in pkgutil.iter_modules([str(path)]) if not m.name.startswith("_")
    )


class Tree(app_commands.CommandTree):
    """The command tree, with the one error handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await ui.report_error(interaction, error)


class Rankfile(commands.Bot):
    """rankfile's Discord client."""

    def __init__(
        self,
        settings: Settings,
        *,
        connector: aiohttp.BaseConnector | None = None,
        clock: Clock | None = None,
        sync_commands: bool = True,
        delivery_rate: float = 45.0,
        **options: Any,
    ) -> None:
        # The least the features need: guild and channel events, no privileged intents.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            connector=connector,
            help_command=None,
            tree_cls=Tree,
            allowed_mentions=ui.NO_PINGS,
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=False, private_channel=False
            ),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            **options,
        )
        self.settings = settings
        self.clock = clock or Clock()
        self.sync_commands = sync_commands
        self.delivery_rate = delivery_rate
        self.db = Database(settings.db_path)
        self.scheduler = Scheduler(self.db, self.clock)
        self.delivery: DeliveryWorker | None = None
        self.started_at = self.clock.now()

    async def setup_hook(self) -> None:
        """Open and migrate the database, load cogs, start timers and delivery, sync."""
        await self.db.open()
        applied = await self.db.migrate()
        if applied:
            log.info("applied migrations %s", applied)
        for module in cog_modules():
            await self.load_extension(module)
        await self.scheduler.start()
        self.delivery = DeliveryWorker(
            self, self.db, self.clock, rate_per_second=self.delivery_rate
        )
        self.delivery.start()
        if self.sync_commands:
            await self.sync_if_changed()

    async def sync_if_changed(self) -> None:
        """Sync commands to Discord only when they changed (or to the dev server, always)."""
        dev_guild = self.settings.dev_guild
        if dev_guild:
            guild = discord.Object(dev_guild)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            return
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        stored = await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (SYNC_HASH_KEY,))
        if stored == digest:
            return
        await self.tree.sync()
        await self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (SYNC_HASH_KEY, digest),
        )

    async def wait_idle(self) -> None:
        """Wait until due timers have fired and due deliveries are sent (tests, sandbox)."""
        for _ in range(3):
            await self.scheduler.wait_idle()
            if self.delivery is not None:
                await self.delivery.drain()

    async def close(self) -> None:
        """Stop taking work, park what is in flight, close the database."""
        if self.delivery is not None:
            await self.delivery.stop()
        self.scheduler.shutdown()
        await super().close()
        await self.db.close()
