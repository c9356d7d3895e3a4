"""The bot: opens and migrates the database, starts the scheduler and delivery, loads cogs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import pkgutil
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot import wiring
from bot.core import backups, departures, dm_limits, guild_settings
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.db import Database
from bot.glue import ui
from bot.glue.delivery_worker import RATE_PER_SECOND, DeliveryWorker
from bot.glue.invalid_requests import InvalidRequests
from bot.glue.membership import Membership
from bot.glue.scheduler import Scheduler
from bot.ops.status import Heartbeat

log = logging.getLogger("rankfile")

SYNC_HASH_KEY = "commands_hash"


def cog_modules() -> list[str]:
    """Every cog module in cogs/ (files starting with `_` are helpers, not cogs)."""
    path = Path(cogs.__file__).parent
    return sorted(
        f"cogs.{m.name}" for m in pkgutil.iter_modules([str(path)]) if not m.name.startswith("_")
    )


def new_dm_budget(settings: Settings) -> int:
    """RANKFILE_NEW_DM_BUDGET: new DM channels a day (Discord restricts bots that open many)."""
    raw = settings.extra.get("RANKFILE_NEW_DM_BUDGET", "").strip()
    return int(raw) if raw.isdigit() else dm_limits.DEFAULT_BUDGET


def members_intent(settings: Settings) -> bool:
    """RANKFILE_MEMBERS_INTENT=1: ask for the privileged Server Members intent, to hear members
    leave (and roles change) at once. Without it a departure is found at the next DM or button
    press, by a member fetch: nothing is sent either way."""
    return settings.extra.get("RANKFILE_MEMBERS_INTENT", "").strip().lower() in ("1", "true", "yes")


class Tree(app_commands.CommandTree):
    """The command tree, with the one error handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await ui.report_error(interaction, error)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # A member whose DMs were found closed runs a command: they are back, DM them again.
        client = interaction.client
        closed = getattr(client, "closed_dms", None)
        if closed and interaction.user.id in closed:
            closed.discard(interaction.user.id)
            await dm_limits.member_is_back(client.db, interaction.user.id)  # type: ignore[attr-defined]
        return True


class Rankfile(commands.Bot):
    """rankfile's Discord client."""

    def __init__(
        self,
        settings: Settings,
        *,
        connector: aiohttp.BaseConnector | None = None,
        clock: Clock | None = None,
        sync_commands: bool = True,
        delivery_rate: float = RATE_PER_SECOND,
        **options: Any,
    ) -> None:
        # A text-only bot: discord.py's warnings that voice needs PyNaCl and davey are noise.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        # The least the features need: guild and channel events; the privileged Server Members
        # intent only when the admin turns it on (members_intent), never member chunking.
        intents = discord.Intents.none()
        intents.guilds = True
        intents.members = members_intent(settings)
        options.setdefault("chunk_guilds_at_startup", False)
        invalid_requests = InvalidRequests(on_unauthorized=self._unauthorized)
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
            http_trace=invalid_requests.trace_config(),
            **options,
        )
        self.invalid_requests = invalid_requests
        # Members whose DMs were found closed this week (the worker adds to it).
        self.closed_dms: set[int] = set()
        self.settings = settings
        self.clock = clock or Clock()
        self.sync_commands = sync_commands
        self.delivery_rate = delivery_rate
        self.db = Database(settings.db_path, key=settings.database_key)
        self.scheduler = Scheduler(self.db, self.clock)
        self.delivery: DeliveryWorker | None = None
        self.members = Membership(self, self.db, self.clock)
        self.started_at = self.clock.now()
        self.heartbeat = Heartbeat(self.db)
        self._ops_task: asyncio.Task | None = None

    async def setup_hook(self) -> None:
        """Open and migrate the database, load cogs, start timers and delivery, sync."""
        wiring.install()
        await self.db.open()
        applied = await self.migrate_with_backup()
        if applied:
            log.info("applied migrations %s", applied)
        self.closed_dms = await dm_limits.closed_members(self.db, self.clock.now())
        await wiring.on_open(self.db, self.clock.now())
        for module in cog_modules():
            await self.load_extension(module)
        await self.scheduler.start()
        self.delivery = DeliveryWorker(
            self,
            self.db,
            self.clock,
            rate_per_second=self.delivery_rate,
            new_dm_budget=new_dm_budget(self.settings),
            invalid_requests=self.invalid_requests,
            membership=self.members,
        )
        self.delivery.start()
        if self.sync_commands:
            await self.sync_if_changed()
        await self.heartbeat.started(self.clock.now(), os.getpid(), await self.db.schema_version())
        if not self.clock.manual:
            # Real time only: tests and the sandbox call backup_if_due() themselves.
            self._ops_task = asyncio.create_task(self._ops_loop(), name="rankfile-bg:ops")

    @property
    def backup_dir(self) -> Path:
        """Where backups go: RANKFILE_BACKUP_DIR, else backups/ next to the database."""
        return backups.backup_dir(self.settings.db_path, self.settings.backup_dir)

    async def migrate_with_backup(self) -> list[int]:
        """Apply pending migrations, after a backup when the file already holds data.

        A file newer than this code raises DatabaseTooNew before anything is written.
        """
        pending = await self.db.pending_migrations()
        if pending and await self.db.schema_version() > 0:
            made = await backups.make_backup(
                self.db,
                self.backup_dir,
                self.clock.now(),
                reason=f"before-v{pending[-1].version}",
                keep=self.settings.backup_keep,
                key=self.settings.database_key,
            )
            log.info("backup %s made before migrating", made.path.name)
        return await self.db.migrate()

    async def backup_if_due(self) -> backups.BackupFile | None:
        """Make the daily backup if the newest one is a day old (or there is none)."""
        return await backups.backup_if_due(
            self.db,
            self.backup_dir,
            self.clock.now(),
            keep=self.settings.backup_keep,
            key=self.settings.database_key,
        )

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Discord drops an interaction not answered within 3 s: defer any slow handler's.
        await ui.acknowledge_in_time(interaction)

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # Heard only with the Server Members intent: drop what they had at once.
        self.members.remember(payload.guild_id, payload.user.id, None)
        await departures.member_left(self.db, payload.guild_id, payload.user.id, self.clock.now())

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        # Heard only with the Server Members intent (for members already seen): a role taken.
        self.members.remember(after.guild.id, after.id, frozenset(r.id for r in after.roles))
        lost = {r.id for r in before.roles} - {r.id for r in after.roles}
        if not lost:
            return
        settings = await guild_settings.get(self.db, after.guild.id)
        for requirement, setting in departures.ROLE_SETTING.items():
            if getattr(settings, setting) in lost:
                await departures.lost_role(
                    self.db, after.guild.id, after.id, requirement, self.clock.now()
                )

    def _unauthorized(self) -> None:
        # Discord answered 401: the token was reset or revoked; every request would fail.
        log.critical(
            "Discord refused the token (401): it was reset or revoked; put the new one in "
            "DISCORD_TOKEN and start rankfile again"
        )
        asyncio.get_running_loop().create_task(self.close())

    async def on_socket_event_type(self, event_type: str) -> None:
        """Note that Discord spoke (written at most every 30 s) for `rankfile status`."""
        await self.heartbeat.heard(
            event_type,
            self.clock.now(),
            len(self.guilds),
            invalid_requests=self.invalid_requests.count(),
            sending_paused=self.invalid_requests.paused,
        )

    async def _ops_loop(self) -> None:
        # Every 30 s: an open gateway counts as hearing from Discord (quiet servers send
        # no events for hours); every hour: the daily backup when it is due.
        beats = 0
        while True:
            await asyncio.sleep(30)
            try:
                if self.ws is not None and self.ws.open and self.is_ready():
                    await self.heartbeat.heard(
                        "gateway open",
                        self.clock.now(),
                        len(self.guilds),
                        invalid_requests=self.invalid_requests.count(),
                        sending_paused=self.invalid_requests.paused,
                    )
                if beats % 120 == 2:
                    await self.backup_if_due()
            except Exception:
                log.exception("ops loop: heartbeat or backup failed")
            beats += 1

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
        if self._ops_task is not None:
            self._ops_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ops_task
        with contextlib.suppress(Exception):
            await self.heartbeat.stopped(self.clock.now())
        await super().close()
        await self.db.close()
