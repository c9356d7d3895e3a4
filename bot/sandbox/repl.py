"""The sandbox: the real bot against the local fake of Discord, driven from a terminal or a script.

One action a line::

    as carol                              # act as another member of the demo server
    /faq question: what is a TA public: true
    click Remind me                       # a button, by label or custom_id
    select units grips props              # a select menu: custom_id then values
    submit title: Town hall body: Thursday at 6   # fill and submit the open modal
    autocomplete /faq question: wha       # show the choices offered while typing
    channel updates                       # where the next commands are typed
    advance 2h                            # move the bot's clock (when it has a manual one)
    wait                                  # let timers and deliveries run, show what was sent
    restart                               # stop the bot and start it again (same database)
    help | quit

It prints what the bot did: messages (channel or DM, ephemeral or not, content, embeds,
buttons and selects, files), modals, and other calls (roles, scheduled events). With
``json_mode`` it prints one JSON object per action with the raw requests instead.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import re
import shlex
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from bot.sandbox.driver import (
    BUTTON,
    LABEL,
    SELECT_TYPES,
    TEXT_DISPLAY,
    TEXT_INPUT,
    ActionResult,
    Driver,
    DriverError,
    iter_components,
)
from bot.sandbox.fake import (
    EPHEMERAL,
    DemoGuild,
    FakeDiscord,
    RecordedRequest,
    default_spec_path,
)

if TYPE_CHECKING:
    from discord.ext import commands

MakeBot = Callable[[FakeDiscord], "commands.Bot"]
Prepare = Callable[["commands.Bot", DemoGuild], Awaitable[None]]

HELP = """actions, one a line:
  as NAME                      act as alice, bob (CAT), carol (organizer), dave (CAT coordinator),
                               erin (admin)
  /command sub option: value   a slash command
  click LABEL_OR_CUSTOM_ID     press a button on the newest message you can see that has it
  select CUSTOM_ID VALUE...    choose values in a select menu
  submit field: value ...      fill and submit the modal open for you
  autocomplete /command opt: partial
  channel NAME                 type the next commands in #NAME (or "dm")
  advance DURATION             move the bot's clock, e.g. 90m, 2h, 1d (manual clock only)
  wait                         let timers and deliveries run
  restart                      restart the bot (same database)
  commands                     list the bot's commands
  # comment, quit"""

_ROUTE_WORDS = {
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): "role added",
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): "role removed",
    ("POST", "/guilds/{guild_id}/scheduled-events"): "scheduled event created",
    (
        "PATCH",
        "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
    ): "scheduled event edited",
    (
        "DELETE",
        "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
    ): "scheduled event deleted",
    ("POST", "/channels/{channel_id}/threads"): "thread created",
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): "thread created",
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): "message deleted",
    ("PUT", "/applications/{application_id}/commands"): "commands synced",
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): "guild commands synced",
}


class Sandbox:
    """One sandbox session: the fake, the demo server, the driver and the acting member."""

    def __init__(
        self, driver: Driver, out: IO[str], *, json_mode: bool = False, user: str = "alice"
    ) -> None:
        self.driver = driver
        self.fake = driver.fake
        self.out = out
        self.json_mode = json_mode
        self.user = user
        self.bad_lines = 0

    # -- output ---------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        """Print a line of human output (nothing in JSON mode)."""
        if not self.json_mode:
            print(text, file=self.out, flush=True)

    def emit_json(self, action: str, result: ActionResult | None, error: str | None) -> None:
        """Print one JSON object for an action."""
        obj: dict[str, Any] = {"action": action, "user": self.user}
        obj["requests"] = [_request_json(r) for r in (result.requests if result else [])]
        if error:
            obj["error"] = error
        print(json.dumps(obj, ensure_ascii=False), file=self.out, flush=True)

    def report(self, result: ActionResult) -> None:
        """Print what the bot did in answer to an action."""
        shown: set[int] = set()
        reply = result.reply
        if reply is not None:
            rid = int(reply["id"])
            created = any(m.id == rid for m in result.messages)
            who = (
                f"only {result.user} sees it"
                if int(reply.get("flags") or 0) & EPHEMERAL
                else "public"
            )
            verb = "reply" if created else "edited"
            where = self.fake.channel_label(int(reply["channel_id"]))
            self.say(f"  <- {verb} in {where} ({who}):")
            self.say(_indent(self.humanize(format_message(reply)), 6))
            shown.add(rid)
        for m in result.messages:
            if m.id in shown:
                continue
            shown.add(m.id)
            vis = f", only {_meta_user(m.message)} sees it" if m.ephemeral else ""
            self.say(f"  <- message in {m.channel_name}{vis}:")
            self.say(_indent(self.humanize(format_message(m.message)), 6))
        if result.modal is not None:
            self.say("  <- modal:")
            self.say(_indent(format_modal(result.modal), 6))
        if result.choices is not None:
            names = [f"{c.get('name')} (= {c.get('value')!r})" for c in result.choices]
            self.say("  <- choices: " + ("; ".join(names) if names else "(none)"))
        for r in result.requests:
            word = _ROUTE_WORDS.get((r.method, r.route))
            if word is None:
                continue
            self.say(f"  <- {word}: {self._describe(r)} [{r.status}]")
        for r in result.requests:
            if r.status >= 400:
                body = ""
                self.say(f"  !! Discord answered {r.status} to {r.method} {r.route}{body}")
        if (
            reply is None
            and not result.messages
            and result.modal is None
            and result.choices is None
        ):
            self.say(
                "  (the bot sent nothing)" if result.interaction_id else "  (nothing happened)"
            )

    def humanize(self, text: str) -> str:
        """Show mentions and timestamps as a Discord client would (times in UTC)."""
        fake = self.fake

        def channel(m: re.Match[str]) -> str:
            c = fake.find_channel(int(m.group(1)))
            return f"#{c.name}" if c is not None and c.name else m.group(0)

        def role(m: re.Match[str]) -> str:
            for g in fake.guilds.values():
                r = g.roles.get(int(m.group(1)))
                if r is not None:
                    return r.name if r.name.startswith("@") else f"@{r.name}"
            return m.group(0)

        def user(m: re.Match[str]) -> str:
            u = fake.users.get(int(m.group(1)))
            return f"@{u.username}" if u is not None else m.group(0)

        def stamp(m: re.Match[str]) -> str:
            when = datetime.fromtimestamp(int(m.group(1)), UTC)
            if m.group(2) == "R":
                clock = getattr(self.driver.bot, "clock", None)
                now = clock.now() if clock is not None else datetime.now(UTC)
                return _relative(when - now)
            return when.strftime("%a %d %b %Y %H:%M UTC")

        text = re.sub(r"<#(\d+)>", channel, text)
        text = re.sub(r"<@&(\d+)>", role, text)
        text = re.sub(r"<@!?(\d+)>", user, text)
        return re.sub(r"<t:(-?\d+)(?::([tTdDfFR]))?>", stamp, text)

    def _describe(self, r: RecordedRequest) -> str:
        if "role_id" in r.params:
            g = self.fake.guilds.get(int(r.params["guild_id"]))
            role = g.roles.get(int(r.params["role_id"])) if g else None
            user = self.fake.users.get(int(r.params["user_id"]))
            role_name = role.name if role else r.params["role_id"]
            return f"@{role_name} for {user.username if user else r.params['user_id']}"
        if isinstance(r.json, dict) and r.json.get("name"):
            extra = r.json.get("scheduled_start_time")
            return f"{r.json['name']!r}" + (f" at {extra}" if extra else "")
        if isinstance(r.json, list):
            return ", ".join("/" + c.get("name", "?") for c in r.json)
        return r.path

    # -- actions --------------------------------------------------------------------------

    async def run_line(
        self, line: str, lineno: int | None = None, *, echo: bool | None = None
    ) -> bool:
        """Run one line; return False on ``quit``. Errors are printed, never raised."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        if text in ("quit", "exit"):
            return False
        if echo is None:
            echo = lineno is not None
        if echo:
            self.say(text if lineno is None else f"{self.user}> {text}")
        errors_before = len(self.driver.errors)
        schema_before = len(self.fake.schema_errors)
        unknown_before = len(self.fake.unknown_routes)
        result: ActionResult | None = None
        error: str | None = None
        try:
            result = await self._dispatch(text)
        except DriverError as e:
            error = str(e)
        except ValueError as e:
            error = f"bad line: {e}"
        if error is not None:
            self.bad_lines += 1
            where = f"line {lineno}: " if lineno is not None else ""
            if self.json_mode:
                self.emit_json(text, None, where + error)
            else:
                self.say(f"  !! {where}{error}")
            return True
        if self.json_mode:
            self.emit_json(text, result, None)  # one object per action, even `as NAME`
        elif result is not None:
            self.report(result)
        for e in self.driver.errors[errors_before:]:
            self.say(f"  !! bot error: {e}")
        for e in self.fake.schema_errors[schema_before:]:
            self.say(f"  !! Discord would reject this body: {e}")
        for r in self.fake.unknown_routes[unknown_before:]:
            self.say(f"  !! the fake does not know {r.method} {r.path}")
        return True

    async def _dispatch(self, text: str) -> ActionResult | None:
        d = self.driver
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        word_l = word.lower()
        if text.startswith("/"):
            return await d.command(self.user, text)
        if word_l == "as":
            if not rest:
                raise DriverError("as NAME: which member?")
            self.user = d.user(rest).username
            self.say(f"  (now acting as {self.user})")
            return None
        if word_l == "click":
            return await d.click(self.user, _unquote(rest))
        if word_l == "select":
            parts = shlex.split(rest)
            if len(parts) < 2:
                raise DriverError(
                    "select CUSTOM_ID VALUE...: give the select's custom_id and values"
                )
            return await d.select(self.user, parts[0], parts[1:])
        if word_l == "submit":
            return await d.submit(self.user, self._modal_fields(rest))
        if word_l == "autocomplete":
            await d.autocomplete(self.user, rest)
            return d.last
        if word_l == "channel":
            name = rest.lstrip("#")
            if name.lower() != "dm":
                try:
                    d.guild.channel_named(name)
                except KeyError:
                    raise DriverError(f"unknown channel {rest!r}") from None
            d.channel = name
            self.say(f"  (typing in {'your DMs' if name.lower() == 'dm' else '#' + name})")
            return None
        if word_l == "advance":
            return await self._advance(rest)
        if word_l == "wait":
            return await d.idle()
        if word_l == "restart":
            await d.restart()
            self.say("  (the bot restarted)")
            return None
        if word_l == "help":
            self.say(HELP)
            return None
        if word_l == "commands":
            self.say("  " + "\n  ".join("/" + n for n in d.command_names()))
            return None
        raise DriverError(f"unknown action {word!r} (type help)")

    def _modal_fields(self, rest: str) -> dict[str, str]:
        opener = self.fake.open_modals.get(self.driver.user(self.user).id)
        if opener is None or opener.modal is None:
            raise DriverError(f"no modal is open for {self.user}")
        keys: list[str] = []
        for c in iter_components(opener.modal.get("components") or []):
            keys += [str(k) for k in (c.get("custom_id"), c.get("label")) if k]
        if not rest.strip():
            return {}
        keys.sort(key=len, reverse=True)
        pattern = re.compile(
            r"(?:^|(?<=\s))(" + "|".join(re.escape(k) for k in keys) + r"):", re.IGNORECASE
        )
        matches = list(pattern.finditer(rest))
        if not matches or rest[: matches[0].start()].strip():
            raise DriverError("submit field: value ...; fields: " + ", ".join(sorted(set(keys))))
        out: dict[str, str] = {}
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(rest)
            out[m.group(1)] = _unquote(rest[m.end() : end].strip())
        return out

    async def _advance(self, rest: str) -> ActionResult:
        clock = getattr(self.driver.bot, "clock", None)
        if clock is None or not hasattr(clock, "advance") or not getattr(clock, "manual", True):
            raise DriverError("the bot's clock cannot be moved (it has no manual clock)")
        delta = parse_duration(rest)
        clock.advance(delta)
        self.say(f"  (clock moved by {delta}; now {clock.now().isoformat()})")
        return await self.driver.idle()


def parse_duration(text: str) -> timedelta:
    """``90m``, ``2h``, ``1d 3h``, ``45s`` as a timedelta (ValueError when unreadable)."""
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw])", text.lower())
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([smhdw])|\s", "", text.lower()):
        raise ValueError(f"unreadable duration {text!r} (try 90m, 2h, 1d)")
    kw: dict[str, float] = {}
    for n, u in parts:
        kw[units[u]] = kw.get(units[u], 0) + float(n)
    return timedelta(**kw)


def _relative(delta: timedelta) -> str:
    secs = int(delta.total_seconds())
    future = secs >= 0
    secs = abs(secs)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if secs >= size or unit == "second":
            n = secs // size
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "now"


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line if line else line for line in text.splitlines())


def _meta_user(msg: dict[str, Any]) -> str:
    return ((msg.get("interaction_metadata") or {}).get("user") or {}).get("username", "?")


def format_message(msg: dict[str, Any]) -> str:
    """A message as readable text: content, embeds, components, files."""
    lines: list[str] = []
    if msg.get("content"):
        lines.append(msg["content"])
    if int(msg.get("flags") or 0) & 128 and not msg.get("content"):
        lines.append("(thinking...)")
    for e in msg.get("embeds") or []:
        head = f"[embed] {e.get('title') or ''}".rstrip()
        if e.get("url"):
            head += f" <{e['url']}>"
        lines.append(head)
        if (e.get("author") or {}).get("name"):
            lines.append(f"  by {e['author']['name']}")
        if e.get("description"):
            lines.extend("  " + ln for ln in str(e["description"]).splitlines())
        for f in e.get("fields") or []:
            value = str(f.get("value")).replace("\n", "\n    ")
            lines.append(f"  * {f.get('name')}: {value}")
        if (e.get("footer") or {}).get("text"):
            lines.append(f"  -- {e['footer']['text']}")
        if e.get("timestamp"):
            lines.append(f"  @ {e['timestamp']}")
    controls = []
    for c in iter_components(msg.get("components") or []):
        t = c.get("type")
        if t == BUTTON:
            label = c.get("label") or (c.get("emoji") or {}).get("name") or "?"
            if c.get("url"):
                controls.append(f"[link: {label} -> {c['url']}]")
            else:
                dis = " (disabled)" if c.get("disabled") else ""
                controls.append(f"[button: {label}{dis} ({c.get('custom_id')})]")
        elif t in SELECT_TYPES:
            opts = " | ".join(f"{o.get('label')}={o.get('value')}" for o in c.get("options") or [])
            kind = {
                3: "select",
                5: "user select",
                6: "role select",
                7: "mentionable select",
                8: "channel select",
            }[t]
            desc = f"[{kind} {c.get('custom_id')}: {c.get('placeholder') or ''}"
            controls.append(desc + (f" {opts}]" if opts else "]"))
        elif t == TEXT_DISPLAY and c.get("content"):
            lines.append(c["content"])
    if controls:
        lines.append(" ".join(controls))
    for a in msg.get("attachments") or []:
        lines.append(f"[file] {a.get('filename')} ({a.get('size')} bytes)")
    if msg.get("poll"):
        q = (msg["poll"].get("question") or {}).get("text")
        answers = [
            (a.get("poll_media") or {}).get("text") for a in msg["poll"].get("answers") or []
        ]
        lines.append(f"[poll] {q}: {' | '.join(str(a) for a in answers)}")
    return "\n".join(lines) or "(empty message)"


def format_modal(modal: dict[str, Any]) -> str:
    """A modal as readable text: title, custom_id, fields."""
    lines = [f"{modal.get('title')!r} ({modal.get('custom_id')})"]
    for top in modal.get("components") or []:
        label = top.get("label") if top.get("type") == LABEL else None
        if top.get("type") == TEXT_DISPLAY:
            lines.append(f"  {top.get('content')}")
            continue
        for c in iter_components([top]):
            if c.get("type") == TEXT_INPUT or (c.get("type") in SELECT_TYPES and label):
                shown = label or c.get("label") or ""
                req = "required" if c.get("required", True) else "optional"
                style = "paragraph" if c.get("style") == 2 else "short"
                if c.get("type") != TEXT_INPUT:
                    style = "select"
                extra = f", max {c['max_length']}" if c.get("max_length") else ""
                value = f", prefilled {c['value']!r}" if c.get("value") else ""
                lines.append(
                    f"  field {c.get('custom_id')}: {shown!r} ({style}, {req}{extra}{value})"
                )
    return "\n".join(lines)


def _request_json(r: RecordedRequest) -> dict[str, Any]:
    return {
        "method": r.method,
        "route": r.route,
        "path": r.path,
        "status": r.status,
        "body": r.json,
        "files": [{"name": n, "content_base64": base64.b64encode(b).decode()} for n, b in r.files],
    }


async def _terminal_lines(prompt: Callable[[], str]) -> Any:
    """Lines typed at the terminal; input() runs in a daemon thread so Ctrl-C never hangs."""
    loop = asyncio.get_running_loop()
    while True:
        fut: asyncio.Future[str | None] = loop.create_future()
        text = prompt()

        def read(fut: asyncio.Future[str | None] = fut, text: str = text) -> None:
            try:
                line: str | None = input(text)
            except (EOFError, KeyboardInterrupt):
                line = None
            loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(line))

        threading.Thread(target=read, name="rankfile-sandbox-input", daemon=True).start()
        line = await fut
        if line is None:
            return
        yield line


async def run_sandbox(
    make_bot: MakeBot,
    *,
    script: Path | str | None = None,
    json_mode: bool = False,
    out: IO[str] = sys.stdout,
    prepare: Prepare | None = None,
    user: str = "alice",
    lines: Iterable[str] | None = None,
) -> int:
    """Run the sandbox; return the number of bad lines.

    ``make_bot(fake)`` builds the bot with ``connector=fake.connector()`` (called again on
    ``restart``). ``prepare(bot, demo_guild)`` runs once the bot is ready, before the first
    action (settings, demo data). Actions come from ``lines``, else the ``script`` file,
    else the terminal.
    """
    # Bodies are checked against Discord's OpenAPI file where it and jsonschema (a test
    # dependency) are at hand; a person trying the sandbox on a fresh machine has neither and
    # needs no warning about it.
    fake = FakeDiscord(validate=default_spec_path().is_file() and _has_jsonschema())
    await fake.start()
    demo = fake.add_demo_guild()
    driver = Driver(fake, lambda: make_bot(fake), guild=demo)
    sb = Sandbox(driver, out, json_mode=json_mode, user=user)
    try:
        await driver.start()
        if prepare is not None and driver.bot is not None:
            await prepare(driver.bot, demo)
            await driver.settle()
        name = fake.guilds[demo.guild_id].name
        sb.say(f"rankfile sandbox: demo server {name!r}; type help for actions.")
        if lines is None and script is not None:
            text = await asyncio.to_thread(Path(script).read_text, encoding="utf-8")
            lines = text.splitlines()
        if lines is not None:
            for n, line in enumerate(lines, start=1):
                if not await sb.run_line(line, n):
                    break
        else:
            piped = not sys.stdin.isatty()
            async for line in _terminal_lines(lambda: "" if sb.json_mode else f"{sb.user}> "):
                if not await sb.run_line(line, echo=piped):
                    break
    finally:
        await driver.stop()
        await fake.close()
    return sb.bad_lines


async def prepare_demo_server(bot: commands.Bot, demo: DemoGuild) -> None:
    """Write the demo server's /setup settings and load the demo content (rankfile's bot)."""
    from bot import demo as demo_content

    db = bot.db  # type: ignore[attr-defined]
    now = bot.clock.now()  # type: ignore[attr-defined]
    await demo_content.prepare_server(db, demo.guild_id, demo.channels, demo.roles, now)
    await demo_content.load(db, demo.guild_id, now)


async def prepare_plain_text(bot: commands.Bot, demo: DemoGuild) -> None:
    """The demo server, with every demo member reading the bot as plain text (`--plain-text`)."""
    from bot.core import preferences

    await prepare_demo_server(bot, demo)
    for user_id in demo.users.values():
        await preferences.set_plain_text(bot.db, demo.guild_id, user_id, True, bot.clock.now())  # type: ignore[attr-defined]


def _has_jsonschema() -> bool:
    return importlib.util.find_spec("jsonschema") is not None


async def main(
    db_path: Path,
    *,
    start: Any = None,
    script: Path | None = None,
    json_mode: bool = False,
    out: IO[str] = sys.stdout,
    plain_text: bool = False,
) -> int:
    """``rankfile sandbox``: rankfile's bot on ``db_path`` with a manual clock set to ``start``.

    The clock only moves with ``advance``; the demo server gets its settings and demo
    content before the first action (with ``plain_text``, every demo member has chosen
    `/settings plain-text: on`). Returns the number of bad lines.
    """
    from bot.core.clock import Clock, ManualClock
    from bot.core.config import Settings
    from bot.glue.app import Rankfile

    clock: Clock = ManualClock(start) if start is not None else Clock()

    def make_bot(fake: FakeDiscord) -> commands.Bot:
        # guild_ready_timeout: READY otherwise waits 2 s for guilds that never come.
        return Rankfile(
            Settings(db_path=Path(db_path)),
            connector=fake.connector(),
            clock=clock,
            guild_ready_timeout=0.05,
        )

    return await run_sandbox(
        make_bot,
        script=script,
        json_mode=json_mode,
        out=out,
        prepare=prepare_plain_text if plain_text else prepare_demo_server,
    )
