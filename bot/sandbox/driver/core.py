"""The driver: runs a real discord.py bot against the fake and waits until it is idle.

Idle means: the bot has read every frame the fake sent, every task created since the action
began is done (a loop task factory records them: discord.py runs commands, views and modals
in tasks and only logs their errors), no request is in flight, and the bot's own
``wait_idle()`` (when it has one) returned. Errors the bot logs and task exceptions nobody
retrieved are collected in :attr:`Driver.errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox.driver.actions import Actions
from bot.sandbox.driver.parsing import Parsing
from bot.sandbox.driver.results import (
    ActionResult,
    CapturedError,
    DriverError,
    PostedMessage,
)
from bot.sandbox.fake import (
    DM,
    EPHEMERAL,
    DemoGuild,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeUser,
    RecordedRequest,
)

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger("rankfile.driver")

# Coroutines whose tasks live as long as the bot (not work an action waits for).
_LONG_LIVED_QUALNAMES = ("__timeout_task_impl", "Loop._loop", "KeepAliveHandler", "_delay_ready")
_LONG_LIVED_NAME_PREFIXES = ("discord-ext-tasks", "rankfile-bg", "rankfile:bg")
_IGNORED_FILES = ("/aiohttp/web_", "/aiohttp/web.py", "/bot/sandbox/fake/")


class _ErrorLogHandler(logging.Handler):
    def __init__(self, sink: list[CapturedError]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            msg += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.sink.append(CapturedError(f"log {record.name}", msg))


class Driver(Actions, Parsing):
    """Runs a bot against the fake and acts as members: commands, clicks, selects, modals.

    ``make_bot`` builds a fresh bot each time it is called (start and restart), with
    ``connector=fake.connector()`` and a small ``guild_ready_timeout``.
    """

    def __init__(
        self,
        fake: FakeDiscord,
        make_bot: Callable[[], commands.Bot],
        *,
        guild: DemoGuild | FakeGuild | int | None = None,
        channel: str = "general",
        locale: str = "en-US",
        settle_timeout: float = 30.0,
        ready_timeout: float = 10.0,
        enforce_command_permissions: bool = True,
    ) -> None:
        self.fake = fake
        self.make_bot = make_bot
        gid = guild.id if isinstance(guild, DemoGuild | FakeGuild) else guild
        self.guild_id: int = gid or next(iter(fake.guilds))
        self.channel = channel
        self.locale = locale
        self.settle_timeout = settle_timeout
        self.ready_timeout = ready_timeout
        self.enforce_command_permissions = enforce_command_permissions
        self.bot: commands.Bot | None = None
        self.errors: list[CapturedError] = []
        self.last: ActionResult | None = None
        # Every task created since start, by creation number (done ones pruned after checks).
        self._tasks: dict[int, asyncio.Task[Any]] = {}
        self._task_seq = 0
        self._mark = 0  # task creation number where the current action began
        self._connect_task: asyncio.Task[None] | None = None
        self._log_handler = _ErrorLogHandler(self.errors)
        self._prev_factory: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Record tasks and errors, build the bot, log in, connect, wait until it is ready."""
        if not self._started:
            self._loop = asyncio.get_running_loop()
            self._prev_factory = self._loop.get_task_factory()
            self._loop.set_task_factory(self._task_factory)
            for name in ("discord", "rankfile"):
                logging.getLogger(name).addHandler(self._log_handler)
            self._started = True
        await self._start_bot()

    async def _start_bot(self) -> None:
        bot = self.make_bot()
        self.bot = bot
        grt = getattr(bot._connection, "guild_ready_timeout", 0)  # read only
        if grt and grt > 0.5:
            log.warning(
                "guild_ready_timeout=%s: every start waits it out (pass 0.05 in tests)", grt
            )
        await bot.login(self.fake.token)
        self._connect_task = asyncio.create_task(
            bot.connect(reconnect=True), name="rankfile-bg:driver-connect"
        )
        ready = asyncio.create_task(bot.wait_until_ready(), name="rankfile-bg:driver-ready")
        done, _ = await asyncio.wait(
            {ready, self._connect_task},
            timeout=self.ready_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            if self._connect_task in done and self._connect_task.exception():
                raise DriverError(f"the bot failed to connect: {self._connect_task.exception()!r}")
            raise DriverError(f"the bot was not ready after {self.ready_timeout} s")
        self._mark = self._task_seq
        await self._wait_bot_idle()

    async def stop(self) -> None:
        """Close the bot, remove the task recorder and error capture."""
        await self._close_bot()
        if self._started and self._loop is not None:
            self._loop.set_task_factory(self._prev_factory)
            for name in ("discord", "rankfile"):
                logging.getLogger(name).removeHandler(self._log_handler)
            self._started = False
        self._collect_task_errors()

    async def _close_bot(self) -> None:
        bot = self.bot
        if bot is None:
            return
        await bot.close()
        if self._connect_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._connect_task, 5)
            if self._connect_task.done() and not self._connect_task.cancelled():
                exc = self._connect_task.exception()
                if exc is not None:
                    self.errors.append(CapturedError("connect", repr(exc)))
        self._connect_task = None
        self.bot = None

    async def restart(self) -> None:
        """Close the bot and start a new one from ``make_bot()`` (same fake, same db)."""
        await self.settle()
        await self._close_bot()
        await self._start_bot()

    async def __aenter__(self) -> Driver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- task recording and idleness ------------------------------------------------------

    def _task_factory(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        if self._prev_factory is not None:
            task = self._prev_factory(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        self._task_seq += 1
        self._tasks[self._task_seq] = task
        return task

    @staticmethod
    def _long_lived(task: asyncio.Task[Any]) -> bool:
        name = task.get_name()
        if name.startswith(_LONG_LIVED_NAME_PREFIXES):
            return True
        coro = task.get_coro()
        qualname = getattr(coro, "__qualname__", "") or ""
        if any(q in qualname for q in _LONG_LIVED_QUALNAMES):
            return True
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        filename = getattr(code, "co_filename", "") or ""
        return any(f in filename for f in _IGNORED_FILES)

    def _collect_task_errors(self) -> None:
        for key, t in list(self._tasks.items()):
            if not t.done():
                continue
            del self._tasks[key]
            if t.cancelled():
                continue
            # _log_traceback is asyncio's own "exception never retrieved" flag: only those
            # are errors; an exception an awaiter handled is not.
            if getattr(t, "_log_traceback", False):
                exc = t.exception()
                if exc is not None:
                    tb = "".join(traceback.format_exception(exc))
                    self.errors.append(CapturedError(f"task {t.get_name()}", tb))

    async def _wait_bot_idle(self) -> None:
        wait_idle = getattr(self.bot, "wait_idle", None)
        if wait_idle is not None and asyncio.iscoroutinefunction(wait_idle):
            await asyncio.wait_for(wait_idle(), self.settle_timeout)

    def _bot_caught_up(self) -> bool:
        """Whether the bot has read every frame the fake sent (replayed ones after a resume)."""
        bot = self.bot
        if bot is None or bot.is_closed():
            return True
        if bot.ws is None or self.fake._ws is None:  # our own fake
            return False  # reconnecting: what was sent meanwhile comes with the RESUME
        return (bot.ws.sequence or 0) >= self.fake.seq

    async def settle(self, *, since: int | None = None) -> None:
        """Wait until the bot is idle (see the module docstring).

        ``since``: only tasks created after this creation number are waited for (default:
        since the last action began, or since the bot was ready).
        """
        loop = asyncio.get_running_loop()
        since = self._mark if since is None else since
        me = asyncio.current_task()
        deadline = loop.time() + self.settle_timeout
        quiet_rounds = 0
        while True:
            if self._connect_task is not None and self._connect_task.done():
                exc = None if self._connect_task.cancelled() else self._connect_task.exception()
                raise DriverError(f"the bot's gateway connection ended: {exc!r}")
            pending = [
                t
                for k, t in self._tasks.items()
                if k > since and t is not me and not t.done() and not self._long_lived(t)
            ]
            busy = bool(pending) or self.fake.inflight > 0 or not self._bot_caught_up()
            if not busy:
                quiet_rounds += 1
                if quiet_rounds >= 3:
                    await self._wait_bot_idle()
                    # wait_idle may have started new work: check once more
                    pending = [
                        t
                        for k, t in self._tasks.items()
                        if k > since and t is not me and not t.done() and not self._long_lived(t)
                    ]
                    if not pending and self.fake.inflight == 0:
                        break
                    quiet_rounds = 0
                await asyncio.sleep(0)
                continue
            quiet_rounds = 0
            if loop.time() > deadline:
                names = ", ".join(
                    f"{t.get_name()}:{getattr(t.get_coro(), '__qualname__', '?')}" for t in pending
                )
                raise DriverError(
                    f"the bot did not become idle within the timeout; pending tasks: {names}"
                )
            if pending:
                await asyncio.wait(pending, timeout=0.05)
            else:
                await asyncio.sleep(0.001)
        self._collect_task_errors()

    # -- users, channels ------------------------------------------------------------------

    def user(self, name: str) -> FakeUser:
        """A fake user by name (``alice``/``@alice``); DriverError when unknown."""
        try:
            return self.fake.user_named(name)
        except KeyError:
            raise DriverError(f"unknown user {name!r}") from None

    @property
    def guild(self) -> FakeGuild:
        """The guild the driver acts in."""
        return self.fake.guilds[self.guild_id]

    def _channel_id(self, channel: str | int | None, user: FakeUser) -> int:
        channel = self.channel if channel is None else channel
        if isinstance(channel, int):
            return channel
        if channel.lower() in ("dm", "@dm"):
            return self._dm_channel(user).id
        try:
            return self.guild.channel_named(channel).id
        except KeyError:
            raise DriverError(f"unknown channel {channel!r}") from None

    def _dm_channel(self, user: FakeUser) -> Any:
        c = self.fake.dm_channels.get(user.id)
        if c is None:
            c = FakeChannel(self.fake.snowflake(), "", DM, recipient_id=user.id)
            self.fake.dm_channels[user.id] = c
            self.fake.messages.setdefault(c.id, [])
        return c

    # -- running an action ----------------------------------------------------------------

    async def _run(
        self, action: str, user: FakeUser, payload: dict[str, Any] | None
    ) -> tuple[ActionResult, FakeInteraction | None]:
        if self.bot is None:
            raise DriverError("the driver is not started")
        req_mark = len(self.fake.requests)
        task_mark = self._mark = self._task_seq
        id_mark = self.fake.snowflake()
        inter = None
        if payload is not None:
            await self.fake.dispatch("INTERACTION_CREATE", payload)
            inter = self.fake.interactions[int(payload["id"])]
        await self.settle(since=task_mark)
        result = ActionResult(action=action, user=user.username, payload=payload)
        result.requests = self.fake.requests[req_mark:]
        result.messages = [
            PostedMessage(int(m["channel_id"]), self.fake.channel_label(int(m["channel_id"])), m)
            for m in self.fake.all_messages()
            if int(m["id"]) > id_mark
        ]
        if inter is not None:
            result.interaction_id = inter.id
            result.callback_type = inter.response_type
            result.reply = self._reply_of(inter, result.requests)
            result.ephemeral = bool(
                result.reply and int(result.reply.get("flags") or 0) & EPHEMERAL
            )
            result.modal = inter.modal
            result.choices = inter.autocomplete_choices
        self.last = result
        return result, inter

    def _reply_of(
        self, inter: FakeInteraction, requests: list[RecordedRequest]
    ) -> dict[str, Any] | None:
        store = self.fake
        rt = inter.response_type
        with contextlib.suppress(KeyError):
            if rt in (4, 5) and inter.original_message_id:
                return store.message(inter.original_message_id)
            edited_original = any(
                r.method == "PATCH" and r.route.endswith("/@original") for r in requests
            )
            if rt == 7 or (rt == 6 and edited_original):
                return store.message(inter.source_message_id or 0)
        for mid in inter.followup_ids:
            with contextlib.suppress(KeyError):
                return store.message(mid)
        return None
