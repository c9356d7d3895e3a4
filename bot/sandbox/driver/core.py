"""Drive a real discord.py bot against :class:`bot.fake_discord.FakeDiscord`, as a member would.

The driver builds raw INTERACTION_CREATE payloads shaped as Discord documents them (slash
commands with options, autocomplete, component clicks and selects, modal submits), pushes
them through the fake gateway, waits until the bot is idle and reports what the bot did
(:class:`ActionResult`). It is used by the end-to-end tests, the sandbox and benchmarks.

Idle means: the bot has read every frame the fake sent, every task created since the action
began is done (a loop task factory records them: discord.py runs commands, views and modals
in tasks and only logs their errors), no request is in flight, and the bot's own
``wait_idle()`` (when it has one) returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import shlex
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.sandbox.fake_discord import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    DM,
    EPHEMERAL,
    DemoGuild,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeUser,
    RecordedRequest,
)

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger("rankfile.driver")

# Option types (https://discord.com/developers/docs/interactions/application-commands).
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
# Component types.
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 5, 6, 7, 8
SELECT_TYPES = {STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT}
LABEL, TEXT_DISPLAY, FILE_UPLOAD = 18, 10, 19

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class DriverError(Exception):
    """A bad action: unknown command, option or value, nothing to click, no modal open..."""


@dataclass
class CapturedError:
    """An error the bot logged or a task exception nobody retrieved."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"[{self.source}] {self.message}"


@dataclass
class PostedMessage:
    """A message the bot created during an action (a live view of the fake's stored message)."""

    channel_id: int
    channel_name: str  # "#general" or "DM to alice"
    message: dict[str, Any]

    @property
    def id(self) -> int:
        """The message id."""
        return int(self.message["id"])

    @property
    def content(self) -> str:
        """The text content."""
        return self.message.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The embeds."""
        return self.message.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        """The components (action rows and their children)."""
        return self.message.get("components") or []

    @property
    def flags(self) -> int:
        """The message flags."""
        return int(self.message.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        """Whether only the acting member sees it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def is_dm(self) -> bool:
        """Whether it went to a DM channel."""
        return self.channel_name.startswith("DM to ")

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """The attachment objects (filename, size, url)."""
        return self.message.get("attachments") or []


@dataclass
class ActionResult:
    """What the bot did in answer to one action."""

    action: str
    user: str
    interaction_id: int | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    reply: dict[str, Any] | None = None
    ephemeral: bool = False
    modal: dict[str, Any] | None = None
    messages: list[PostedMessage] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    callback_type: int | None = None
    payload: dict[str, Any] | None = None

    @property
    def content(self) -> str:
        """The reply's content ("" when none)."""
        return (self.reply or {}).get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The reply's embeds."""
        return (self.reply or {}).get("embeds") or []

    @property
    def text(self) -> str:
        """The reply's content, embed titles, descriptions and fields as one string."""
        return message_text(self.reply or {})

    def find(self, method: str, route: str) -> list[RecordedRequest]:
        """Recorded requests of this action with a method and route template."""
        return [r for r in self.requests if r.method == method and r.route == route]

    def dms(self) -> list[PostedMessage]:
        """Messages sent to DM channels."""
        return [m for m in self.messages if m.is_dm]


def message_text(msg: dict[str, Any]) -> str:
    """Content, embed text and component labels of a message as one string (for asserts)."""
    parts = [msg.get("content") or ""]
    for e in msg.get("embeds") or []:
        for k in ("title", "description"):
            if e.get(k):
                parts.append(str(e[k]))
        for f in e.get("fields") or []:
            parts.append(f"{f.get('name', '')}: {f.get('value', '')}")
        if (e.get("footer") or {}).get("text"):
            parts.append(e["footer"]["text"])
        if (e.get("author") or {}).get("name"):
            parts.append(e["author"]["name"])
    for c in iter_components(msg.get("components") or []):
        if c.get("type") == TEXT_DISPLAY and c.get("content"):
            parts.append(c["content"])
    return "\n".join(p for p in parts if p)


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first, through rows, containers, sections and labels."""
    for c in components:
        yield c
        if c.get("components"):
            yield from iter_components(c["components"])
        if isinstance(c.get("accessory"), dict):
            yield from iter_components([c["accessory"]])
        if isinstance(c.get("component"), dict):
            yield from iter_components([c["component"]])


def _option_error(cmd: str, msg: str) -> DriverError:
    return DriverError(f"/{cmd}: {msg}")


# Coroutines whose tasks live as long as the bot (not work an action waits for).
_LONG_LIVED_QUALNAMES = ("__timeout_task_impl", "Loop._loop", "KeepAliveHandler", "_delay_ready")
_LONG_LIVED_NAME_PREFIXES = ("discord-ext-tasks", "rankfile-bg", "rankfile:bg")
_IGNORED_FILES = ("/aiohttp/web_", "/aiohttp/web.py", "fake_discord.py")


class _ErrorLogHandler(logging.Handler):
    def __init__(self, sink: list[CapturedError]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            msg += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.sink.append(CapturedError(f"log {record.name}", msg))


class Driver:
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
        grt = getattr(bot._connection, "guild_ready_timeout", 0)  # noqa: SLF001 - read only
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
        if bot.ws is None or self.fake._ws is None:  # noqa: SLF001 - our own fake
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
            from bot.sandbox.fake_discord import FakeChannel

            c = FakeChannel(self.fake.snowflake(), "", DM, recipient_id=user.id)
            self.fake.dm_channels[user.id] = c
            self.fake.messages.setdefault(c.id, [])
        return c

    # -- payload building -----------------------------------------------------------------

    def _base_payload(self, itype: int, user: FakeUser, channel_id: int) -> dict[str, Any]:
        fake = self.fake
        iid = fake.snowflake()
        c = fake.find_channel(channel_id)
        if c is None:
            raise DriverError(f"unknown channel id {channel_id}")
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(fake.application_id),
            "type": itype,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": self.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
        }
        if c.type == DM:
            payload.update(
                user=user.to_dict(),
                channel=c.to_dict(fake),
                context=1,
                authorizing_integration_owners={"0": "0"},
                app_permissions=str(ALL_PERMISSIONS & ~ADMINISTRATOR & 0x0000_01FF_FFFF_FFFF),
            )
            return payload
        gid = c.guild_id or self.guild_id
        g = fake.guilds[gid]
        if user.id not in g.members:
            raise DriverError(f"{user.username} is not a member of {g.name}")
        member = fake.member_dict(gid, user.id)
        member["permissions"] = str(fake.compute_permissions(gid, user.id, channel_id))
        chan = c.to_dict(fake)
        chan["permissions"] = member["permissions"]
        payload.update(
            guild_id=str(gid),
            guild={"id": str(gid), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=member,
            channel=chan,
            context=0,
            authorizing_integration_owners={"0": str(gid)},
            app_permissions=str(fake.compute_permissions(gid, fake.bot_user.id, channel_id)),
        )
        return payload

    def _command_defs(self) -> list[tuple[dict[str, Any], int | None]]:
        """Chat-input commands as they would be registered: (wire dict, guild id or None)."""
        import discord

        bot = self.bot
        if bot is None:
            raise DriverError("the driver is not started")
        tree = bot.tree
        out = []
        for cmd in tree.get_commands(
            guild=discord.Object(self.guild_id), type=discord.AppCommandType.chat_input
        ):
            out.append((cmd.to_dict(tree), self.guild_id))
        for cmd in tree.get_commands(type=discord.AppCommandType.chat_input):
            out.append((cmd.to_dict(tree), None))
        return out

    def command_names(self) -> list[str]:
        """Every slash command path the bot has (``faq``, ``event create``...)."""
        names: list[str] = []

        def walk(prefix: str, d: dict[str, Any]) -> None:
            subs = [
                o for o in d.get("options") or [] if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ]
            if not subs:
                names.append(prefix)
            for s in subs:
                walk(f"{prefix} {s['name']}", s)

        for d, _ in self._command_defs():
            walk(d["name"], d)
        return sorted(set(names))

    def _parse_command(
        self, line: str, user: FakeUser, channel_id: int, *, autocomplete: bool
    ) -> tuple[dict[str, Any], dict[str, Any], int | None]:
        """Parse a sandbox command line into (interaction data, command def, guild id)."""
        text = line.strip()
        if not text.startswith("/"):
            raise DriverError(f"a command starts with '/': {line!r}")
        text = text[1:]
        words = text.split()
        if not words:
            raise DriverError("empty command")
        defs = {}
        for d, gid in self._command_defs():
            defs.setdefault(d["name"], (d, gid))
        root = words[0].lower()
        if root not in defs:
            known = ", ".join(f"/{n}" for n in self.command_names())
            raise DriverError(f"unknown command /{root} (known: {known})")
        cmd, cmd_gid = defs[root]
        path = [root]
        node = cmd
        rest = text[len(words[0]) :]
        wrapper_chain: list[dict[str, Any]] = []
        while True:
            subs = {
                o["name"]: o
                for o in node.get("options") or []
                if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            }
            if not subs:
                break
            m = re.match(r"\s*(\S+)", rest)
            word = m.group(1).lower() if m else ""
            if word not in subs:
                raise DriverError(
                    f"/{' '.join(path)} needs a subcommand: {', '.join(sorted(subs))}"
                    + (f" (got {word!r})" if word else "")
                )
            node = subs[word]
            path.append(word)
            wrapper_chain.append(node)
            rest = rest[m.end() :]  # type: ignore[union-attr]
        name = " ".join(path)
        options_def = node.get("options") or []
        values = self._split_options(name, rest, options_def)
        resolved: dict[str, dict[str, Any]] = {}
        opts: list[dict[str, Any]] = []
        focused_name = next(reversed(values), None) if autocomplete else None
        for odef in options_def:
            oname = odef["name"]
            if oname not in values:
                if odef.get("required") and not autocomplete:
                    raise _option_error(
                        name, f"missing required option {oname}: ({_type_name(odef['type'])})"
                    )
                continue
            raw = values[oname]
            if oname == focused_name:
                if not odef.get("autocomplete"):
                    raise _option_error(name, f"option {oname} has no autocomplete")
                opts.append({"name": oname, "type": odef["type"], "value": raw, "focused": True})
                continue
            value = self._convert(name, odef, raw, user, channel_id, resolved)
            opts.append({"name": oname, "type": odef["type"], "value": value})
        # Wrap in subcommand / group options, innermost first.
        for wrapper in reversed(wrapper_chain):
            opts = [{"name": wrapper["name"], "type": wrapper["type"], "options": opts}]
        reg = self.fake.registered_command(root, cmd_gid)
        cid = int(reg["id"]) if reg else _stable_id(f"{cmd_gid}:{root}")
        data: dict[str, Any] = {"id": str(cid), "name": root, "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd_gid is not None:
            data["guild_id"] = str(cmd_gid)
        return data, cmd, cmd_gid

    @staticmethod
    def _split_options(cmd: str, rest: str, options_def: list[dict[str, Any]]) -> dict[str, str]:
        rest = rest.strip()
        if not rest:
            return {}
        names = sorted((o["name"] for o in options_def), key=len, reverse=True)
        if not names:
            raise _option_error(cmd, f"takes no options (got {rest!r})")
        pattern = re.compile(
            r"(?:^|(?<=\s))(" + "|".join(re.escape(n) for n in names) + r"):", re.IGNORECASE
        )
        matches = list(pattern.finditer(rest))
        if not matches or rest[: matches[0].start()].strip():
            head = rest[: matches[0].start()].strip() if matches else rest
            raise _option_error(
                cmd,
                f"unexpected text {head!r}; options are: "
                + ", ".join(f"{o['name']}:" for o in options_def),
            )
        out: dict[str, str] = {}
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(rest)
            value = rest[m.end() : end].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                with contextlib.suppress(ValueError):
                    value = shlex.split(value)[0]
            key = m.group(1).lower()
            if key in out:
                raise _option_error(cmd, f"option {key}: given twice")
            out[key] = value
        return out

    def _convert(
        self,
        cmd: str,
        odef: dict[str, Any],
        raw: str,
        user: FakeUser,
        channel_id: int,
        resolved: dict[str, dict[str, Any]],
    ) -> Any:
        """Turn typed text into the option value Discord would send, filling ``resolved``."""
        t = odef["type"]
        oname = odef["name"]
        choices = odef.get("choices")
        if choices:
            for ch in choices:
                if raw == str(ch["value"]) or raw.lower() == str(ch["name"]).lower():
                    return ch["value"]
            names = ", ".join(str(c["name"]) for c in choices)
            raise _option_error(cmd, f"option {oname}: {raw!r} is not one of: {names}")
        if t == STRING:
            lo, hi = odef.get("min_length"), odef.get("max_length", 6000)
            if lo is not None and len(raw) < lo:
                raise _option_error(cmd, f"option {oname}: at least {lo} characters")
            if hi is not None and len(raw) > hi:
                raise _option_error(cmd, f"option {oname}: at most {hi} characters")
            return raw
        if t in (INTEGER, NUMBER):
            try:
                value: Any = int(raw) if t == INTEGER else float(raw)
            except ValueError:
                raise _option_error(
                    cmd, f"option {oname}: {raw!r} is not a {_type_name(t)}"
                ) from None
            lo, hi = odef.get("min_value"), odef.get("max_value")
            # Discord's client refuses out-of-range values; discord.py does not re-check
            # them (pitfall 12).
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise _option_error(cmd, f"option {oname}: {value} is out of range [{lo}, {hi}]")
            return value
        if t == BOOLEAN:
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise _option_error(cmd, f"option {oname}: {raw!r} is not true/false")
        if t == USER:
            return self._resolve_user(cmd, oname, raw, channel_id, resolved)
        if t == ROLE:
            return self._resolve_role(cmd, oname, raw, resolved)
        if t == MENTIONABLE:
            with contextlib.suppress(DriverError):
                return self._resolve_user(cmd, oname, raw, channel_id, resolved)
            return self._resolve_role(cmd, oname, raw, resolved)
        if t == CHANNEL:
            try:
                c = self.guild.channel_named(raw.strip())
            except KeyError:
                m = re.fullmatch(r"<#(\d+)>", raw.strip())
                c = self.fake.find_channel(int(m.group(1))) if m else None
                if c is None:
                    raise _option_error(cmd, f"option {oname}: unknown channel {raw!r}") from None
            types = odef.get("channel_types")
            if types and c.type not in types:
                raise _option_error(
                    cmd, f"option {oname}: #{c.name} is not an allowed channel type"
                )
            d = c.to_dict(self.fake)
            d["permissions"] = str(self.fake.compute_permissions(self.guild_id, user.id, c.id))
            resolved.setdefault("channels", {})[str(c.id)] = d
            return str(c.id)
        if t == ATTACHMENT:
            path = Path(raw.strip())
            if not path.is_file():
                raise _option_error(cmd, f"option {oname}: no such file {raw!r}")
            att = self.fake.add_cdn_file(path.name, path.read_bytes(), channel_id=channel_id)
            att["ephemeral"] = True
            resolved.setdefault("attachments", {})[att["id"]] = att
            return att["id"]
        raise _option_error(cmd, f"option {oname}: unsupported option type {t}")

    def _resolve_user(
        self, cmd: str, oname: str, raw: str, channel_id: int, resolved: dict[str, dict[str, Any]]
    ) -> str:
        try:
            u = self.fake.user_named(raw)
        except KeyError:
            raise DriverError(f"/{cmd}: option {oname}: unknown user {raw!r}") from None
        resolved.setdefault("users", {})[str(u.id)] = u.to_dict()
        if u.id in self.guild.members:
            m = self.fake.member_dict(self.guild_id, u.id, with_user=False)
            m["permissions"] = str(self.fake.compute_permissions(self.guild_id, u.id, channel_id))
            del m["deaf"], m["mute"]
            resolved.setdefault("members", {})[str(u.id)] = m
        return str(u.id)

    def _resolve_role(
        self, cmd: str, oname: str, raw: str, resolved: dict[str, dict[str, Any]]
    ) -> str:
        text = raw.strip()
        m = re.fullmatch(r"<@&(\d+)>", text)
        role = self.guild.roles.get(int(m.group(1))) if m else None
        if role is None:
            try:
                role = self.guild.role_named(text)
            except KeyError:
                raise DriverError(f"/{cmd}: option {oname}: unknown role {raw!r}") from None
        resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
        return str(role.id)

    def _check_default_permissions(
        self, cmd: dict[str, Any], user: FakeUser, channel_id: int
    ) -> None:
        perms_s = cmd.get("default_member_permissions")
        if perms_s is None or not self.enforce_command_permissions:
            return
        c = self.fake.find_channel(channel_id)
        if c is None or c.type == DM:
            return
        need = int(perms_s)
        have = self.fake.compute_permissions(self.guild_id, user.id, channel_id)
        if have & need != need:
            raise DriverError(
                f"/{cmd['name']} is hidden from {user.username} by Discord "
                f"(default_member_permissions={need}); "
                "pass ignore_default_permissions=True to force it"
            )

    # -- actions --------------------------------------------------------------------------

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

    async def command(
        self,
        user: str,
        line: str,
        *,
        channel: str | int | None = None,
        ignore_default_permissions: bool = False,
    ) -> ActionResult:
        """Run a slash command line (``/group sub option: value``) as ``user``."""
        u = self.user(user)
        channel_id = self._channel_id(channel, u)
        data, cmd, _ = self._parse_command(line, u, channel_id, autocomplete=False)
        if not ignore_default_permissions:
            self._check_default_permissions(cmd, u, channel_id)
        payload = self._base_payload(2, u, channel_id)
        payload["data"] = data
        result, _ = await self._run(line.strip(), u, payload)
        return result

    async def invoke(
        self,
        user: str,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel: str | int | None = None,
        ignore_default_permissions: bool = False,
        focused: str | None = None,
        check_lengths: bool = True,
    ) -> ActionResult:
        """Run ``command`` (``"faq"``, ``"event create"``) with option values as Python values.

        Unlike :meth:`command`, a string option is sent exactly as given (any character,
        leading spaces, ``name:`` inside it), which a typed line cannot carry; other types
        are converted as :meth:`command` does. ``focused`` names a string option: an
        autocomplete interaction is sent instead (choices in ``result.choices``).
        ``check_lengths=False`` lets strings past Discord's limits through (robustness tests).
        """
        u = self.user(user)
        channel_id = self._channel_id(channel, u)
        values = dict(options or {})
        words = command.strip().lstrip("/").lower().split()
        defs: dict[str, tuple[dict[str, Any], int | None]] = {}
        for d, gid in self._command_defs():
            defs.setdefault(d["name"], (d, gid))
        if not words or words[0] not in defs:
            raise DriverError(f"unknown command /{command}")
        cmd, cmd_gid = defs[words[0]]
        node, chain = cmd, []
        for word in words[1:]:
            subs = {
                o["name"]: o
                for o in node.get("options") or []
                if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            }
            if word not in subs:
                raise DriverError(f"/{command}: no subcommand {word!r}")
            node = subs[word]
            chain.append(node)
        name = " ".join(words)
        resolved: dict[str, dict[str, Any]] = {}
        opts: list[dict[str, Any]] = []
        for odef in node.get("options") or []:
            oname = odef["name"]
            if oname not in values:
                if odef.get("required") and focused is None:
                    raise _option_error(name, f"missing required option {oname}")
                continue
            raw = values.pop(oname)
            if oname == focused:
                opts.append({"name": oname, "type": odef["type"], "value": raw, "focused": True})
                continue
            if odef["type"] == STRING and not odef.get("choices") and isinstance(raw, str):
                lo, hi = odef.get("min_length"), odef.get("max_length", 6000)
                if check_lengths and (
                    (lo is not None and len(raw) < lo) or (hi is not None and len(raw) > hi)
                ):
                    raise _option_error(name, f"option {oname}: length {len(raw)} out of range")
                opts.append({"name": oname, "type": STRING, "value": raw})
                continue
            value = self._convert(name, odef, str(raw), u, channel_id, resolved)
            opts.append({"name": oname, "type": odef["type"], "value": value})
        if values:
            raise _option_error(name, f"unknown options {', '.join(values)}")
        for wrapper in reversed(chain):
            opts = [{"name": wrapper["name"], "type": wrapper["type"], "options": opts}]
        reg = self.fake.registered_command(words[0], cmd_gid)
        cid = int(reg["id"]) if reg else _stable_id(f"{cmd_gid}:{words[0]}")
        data: dict[str, Any] = {"id": str(cid), "name": words[0], "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd_gid is not None:
            data["guild_id"] = str(cmd_gid)
        if not ignore_default_permissions:
            self._check_default_permissions(cmd, u, channel_id)
        payload = self._base_payload(4 if focused else 2, u, channel_id)
        payload["data"] = data
        result, _ = await self._run(("autocomplete " if focused else "/") + name, u, payload)
        return result

    async def autocomplete(
        self, user: str, line: str, *, channel: str | int | None = None
    ) -> list[dict[str, Any]]:
        """Type a partial command line; the last option given is focused. Returns the choices."""
        u = self.user(user)
        channel_id = self._channel_id(channel, u)
        data, _, _ = self._parse_command(line, u, channel_id, autocomplete=True)
        if not _has_focused(data.get("options") or []):
            raise DriverError(f"autocomplete needs an option to focus: {line!r}")
        payload = self._base_payload(4, u, channel_id)
        payload["data"] = data
        result, inter = await self._run(f"autocomplete {line.strip()}", u, payload)
        if inter is None or inter.autocomplete_choices is None:
            raise DriverError(f"the bot sent no autocomplete choices for {line!r}")
        return list(inter.autocomplete_choices)

    def _visible_to(self, msg: dict[str, Any], user: FakeUser) -> bool:
        cid = int(msg["channel_id"])
        c = self.fake.find_channel(cid)
        if c is None:
            return False
        if int(msg.get("flags") or 0) & EPHEMERAL:
            meta = msg.get("interaction_metadata") or {}
            return str((meta.get("user") or {}).get("id")) == str(user.id)
        if c.type == DM:
            return c.recipient_id == user.id
        from bot.sandbox.fake_discord import VIEW_CHANNEL

        return bool(self.fake.compute_permissions(c.guild_id or 0, user.id, cid) & VIEW_CHANNEL)

    def find_component(
        self,
        user: str,
        target: str,
        *,
        types: set[int] | None = None,
        message_id: int | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The newest (message, component) visible to ``user`` with this label or custom_id."""
        u = self.user(user)
        msgs = (
            [self.fake.message(message_id)]
            if message_id
            else list(reversed(self.fake.all_messages()))
        )
        for msg in msgs:
            if not self._visible_to(msg, u):
                continue
            for comp in iter_components(msg.get("components") or []):
                ctype = comp.get("type")
                if types is not None and ctype not in types:
                    continue
                if ctype not in (BUTTON, *SELECT_TYPES):
                    continue
                if (
                    comp.get("custom_id") == target
                    or (comp.get("label") or "").lower() == target.lower()
                ):
                    return msg, comp
        kind = "select" if types == SELECT_TYPES else "button"
        raise DriverError(f"no {kind} {target!r} on any message {u.username} can see")

    def _component_payload(
        self, u: FakeUser, msg: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        payload = self._base_payload(3, u, int(msg["channel_id"]))
        payload["data"] = data
        payload["message"] = msg
        return payload

    async def click(
        self, user: str, label_or_custom_id: str, *, message_id: int | None = None
    ) -> ActionResult:
        """Press a button (by label or custom_id) on the most recent message that has it."""
        u = self.user(user)
        msg, comp = self.find_component(
            user, label_or_custom_id, types={BUTTON}, message_id=message_id
        )
        if comp.get("disabled"):
            raise DriverError(f"button {label_or_custom_id!r} is disabled")
        if comp.get("style") == 5 or "custom_id" not in comp:
            raise DriverError(
                f"button {label_or_custom_id!r} is a link ({comp.get('url')}), not an interaction"
            )
        data = {"custom_id": comp["custom_id"], "component_type": BUTTON, "id": comp.get("id")}
        payload = self._component_payload(u, msg, data)
        result, _ = await self._run(f"click {label_or_custom_id}", u, payload)
        return result

    async def select(
        self, user: str, custom_id: str, values: list[str], *, message_id: int | None = None
    ) -> ActionResult:
        """Choose values in a select (options by value or label; users, roles, channels by name)."""
        u = self.user(user)
        msg, comp = self.find_component(user, custom_id, types=SELECT_TYPES, message_id=message_id)
        ctype = comp["type"]
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise DriverError(f"select {custom_id!r} takes {lo} to {hi} values, got {len(values)}")
        resolved: dict[str, dict[str, Any]] = {}
        out: list[str] = []
        for v in values:
            out.append(self._select_value(comp, ctype, v, u, int(msg["channel_id"]), resolved))
        data: dict[str, Any] = {
            "custom_id": comp["custom_id"],
            "component_type": ctype,
            "values": out,
            "id": comp.get("id"),
        }
        if resolved:
            data["resolved"] = resolved
        payload = self._component_payload(u, msg, data)
        result, _ = await self._run(f"select {custom_id} {' '.join(values)}", u, payload)
        return result

    def _select_value(
        self,
        comp: dict[str, Any],
        ctype: int,
        v: str,
        u: FakeUser,
        channel_id: int,
        resolved: dict[str, dict[str, Any]],
    ) -> str:
        cid = comp.get("custom_id", "?")
        if ctype == STRING_SELECT:
            for opt in comp.get("options") or []:
                if v == opt["value"] or v.lower() == str(opt.get("label", "")).lower():
                    return opt["value"]
            labels = ", ".join(
                f"{o.get('label')} ({o['value']})" for o in comp.get("options") or []
            )
            raise DriverError(f"select {cid!r} has no option {v!r}; options: {labels}")
        fake_def = {
            "name": cid,
            "type": {
                USER_SELECT: USER,
                ROLE_SELECT: ROLE,
                MENTIONABLE_SELECT: MENTIONABLE,
                CHANNEL_SELECT: CHANNEL,
            }[ctype],
        }
        if ctype == CHANNEL_SELECT and comp.get("channel_types"):
            fake_def["channel_types"] = comp["channel_types"]
        return str(self._convert(f"select {cid}", fake_def, v, u, channel_id, resolved))

    async def submit(self, user: str, fields: dict[str, str]) -> ActionResult:
        """Submit the modal open for ``user``; keys are text inputs' custom_ids or labels."""
        u = self.user(user)
        opener = self.fake.open_modals.get(u.id)
        if opener is None or opener.modal is None:
            raise DriverError(f"no modal is open for {u.username} (open it first: pitfall 7)")
        modal = opener.modal
        remaining = dict(fields)

        def take(comp: dict[str, Any], label: str | None) -> str | None:
            for key in (comp.get("custom_id"), label, comp.get("label")):
                if key is None:
                    continue
                for k in list(remaining):
                    if k == key or k.lower() == str(key).lower():
                        return remaining.pop(k)
            return None

        def fill(comp: dict[str, Any], label: str | None) -> dict[str, Any]:
            ctype = comp.get("type")
            value = take(comp, label)
            name = comp.get("custom_id")
            shown = label or comp.get("label") or name
            if ctype == TEXT_INPUT:
                value = "" if value is None else value
                if comp.get("required", True) and not value:
                    raise DriverError(f"modal field {shown!r} is required")
                lo, hi = comp.get("min_length"), comp.get("max_length", 4000)
                if value and lo is not None and len(value) < lo:
                    raise DriverError(f"modal field {shown!r}: at least {lo} characters")
                if hi is not None and len(value) > hi:
                    raise DriverError(f"modal field {shown!r}: at most {hi} characters")
                return {"type": TEXT_INPUT, "id": comp.get("id"), "custom_id": name, "value": value}
            if ctype in SELECT_TYPES:
                vals = [] if value is None else [v.strip() for v in value.split(",") if v.strip()]
                if comp.get("required", True) and not vals:
                    raise DriverError(f"modal field {shown!r} is required")
                resolved: dict[str, dict[str, Any]] = {}
                out = [
                    self._select_value(comp, ctype, v, u, opener.channel_id, resolved) for v in vals
                ]
                d = {"type": ctype, "id": comp.get("id"), "custom_id": name, "values": out}
                if resolved:
                    d["resolved"] = resolved
                return d
            if ctype == FILE_UPLOAD:
                vals = [] if value is None else [v.strip() for v in value.split(",") if v.strip()]
                ids = []
                for p in vals:
                    path = Path(p)
                    if not path.is_file():
                        raise DriverError(f"modal field {shown!r}: no such file {p!r}")
                    ids.append(self.fake.add_cdn_file(path.name, path.read_bytes())["id"])
                return {"type": FILE_UPLOAD, "id": comp.get("id"), "custom_id": name, "values": ids}
            return {"type": ctype, "id": comp.get("id")}

        known: list[str] = []
        for top in modal.get("components") or []:
            for c in iter_components([top]):
                known += [str(k).lower() for k in (c.get("custom_id"), c.get("label")) if k]
        unknown = [k for k in fields if k.lower() not in known]
        if unknown:
            names = [
                c.get("custom_id")
                for c in iter_components(modal.get("components") or [])
                if c.get("custom_id")
            ]
            raise DriverError(
                f"modal {modal.get('title')!r} has no field {', '.join(unknown)} "
                f"(fields: {', '.join(names)})"
            )
        out_components = []
        for top in modal.get("components") or []:
            if top.get("type") == ACTION_ROW:
                row = {
                    "type": ACTION_ROW,
                    "id": top.get("id"),
                    "components": [fill(c, None) for c in top.get("components") or []],
                }
                out_components.append(row)
            elif top.get("type") == LABEL:
                inner = top.get("component") or {}
                out_components.append(
                    {"type": LABEL, "id": top.get("id"), "component": fill(inner, top.get("label"))}
                )
            elif top.get("type") == TEXT_DISPLAY:
                out_components.append({"type": TEXT_DISPLAY, "id": top.get("id")})
        if remaining:
            raise DriverError(
                f"modal {modal.get('title')!r}: fields not used: {', '.join(remaining)}"
            )
        channel_id = opener.channel_id
        payload = self._base_payload(5, u, channel_id)
        payload["data"] = {"custom_id": modal["custom_id"], "components": out_components}
        if opener.source_message_id:
            with contextlib.suppress(KeyError):
                payload["message"] = self.fake.message(opener.source_message_id)
        del self.fake.open_modals[u.id]
        result, _ = await self._run(f"submit {modal.get('custom_id')}", u, payload)
        return result

    async def idle(self) -> ActionResult:
        """Wait for background work (timers, deliveries); report what the bot posted meanwhile."""
        u = self.fake.bot_user
        return (await self._run("idle", u, None))[0]


def _has_focused(options: list[dict[str, Any]]) -> bool:
    for o in options:
        if o.get("focused"):
            return True
        if _has_focused(o.get("options") or []):
            return True
    return False


def _stable_id(key: str) -> int:
    # A made-up but stable command id when the bot never synced (Discord would know the id).
    return (int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12], 16) << 22) | 1


def _type_name(t: int) -> str:
    return {
        STRING: "text",
        INTEGER: "integer",
        BOOLEAN: "true/false",
        USER: "user",
        CHANNEL: "channel",
        ROLE: "role",
        MENTIONABLE: "user or role",
        NUMBER: "number",
        ATTACHMENT: "file path",
    }.get(t, str(t))
