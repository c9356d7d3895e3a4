"""What every hardening test shares: a rig on its own event loop, the command tree, the checks.

Hypothesis calls a test body many times and cannot await, so a hostile-input test runs one
bot (the real Rankfile against the fake, demo server set up) on an event loop it owns and
drives each example with ``loop.run_until_complete``: one rig per command, many examples.

The checks read what a member would notice on the wire: every recorded request that carries
a message body (interaction callbacks, followups, edits of the original, channel posts, DMs,
edits) must carry ``allowed_mentions`` that cannot ping anyone the author did not mean, and
its embeds must fit Discord's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import demo
from bot.core.clock import ManualClock
from bot.core.render import Limits, embed_length
from bot.glue.permissions import Access, access_of
from bot.sandbox.driver import BUTTON, Driver, iter_components
from bot.sandbox.fake import EPHEMERAL, FakeDiscord, RecordedRequest
from tests.e2e.conftest import bot_factory
from tests.support import T0

# Option types (Discord's numbering).
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 6, 7, 8, 9, 10, 11
TEXT_INPUT = 4
# The title of bot.ui's error embed: a refusal or a failure the member is told about.
REFUSAL_TITLE = "Can't do that"
UNEXPECTED = "Something went wrong on our side"
# Discord's own caps on what it delivers: option strings and modal text inputs.
OPTION_CAP = 6000
TEXT_INPUT_CAP = 4000
USERS = ("alice", "bob", "carol", "dave", "erin")


# -- the command tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class CommandSpec:
    """One leaf slash command as registered: its path, options (wire dicts) and access."""

    name: str
    options: tuple[dict[str, Any], ...]
    access: Access

    @property
    def string_options(self) -> list[dict[str, Any]]:
        """Free-text options (no fixed choices): what a member can type anything into."""
        return [o for o in self.options if o["type"] == STRING and not o.get("choices")]


def command_specs(tree: Any) -> list[CommandSpec]:
    """Every chat-input leaf command of a discord.py CommandTree, in name order."""
    from discord import app_commands

    specs: list[CommandSpec] = []
    for top in tree.get_commands():
        if isinstance(top, app_commands.Group):
            leaves = [c for c in top.walk_commands() if isinstance(c, app_commands.Command)]
        elif isinstance(top, app_commands.Command):
            leaves = [top]
        else:
            continue
        for c in leaves:
            specs.append(
                CommandSpec(
                    c.qualified_name,
                    tuple(c.to_dict(tree).get("options") or ()),
                    access_of(c),
                )
            )
    return sorted(specs, key=lambda s: s.name)


_DISCOVERED: list[CommandSpec] | None = None


def discover() -> list[CommandSpec]:
    """The commands every cog in cogs/ registers (loaded once, at collection time)."""
    global _DISCOVERED
    if _DISCOVERED is None:
        from bot.core.config import Settings
        from bot.glue.app import Rankfile, cog_modules

        async def load() -> list[CommandSpec]:
            with tempfile.TemporaryDirectory() as tmp:
                bot = Rankfile(Settings(db_path=Path(tmp) / "x.db"))
                try:
                    for module in cog_modules():
                        await bot.load_extension(module)
                    return command_specs(bot.tree)
                finally:
                    await bot.close()

        _DISCOVERED = asyncio.run(load())
    return _DISCOVERED


# -- a rig on its own loop ----------------------------------------------------------------


class SyncRig:
    """The real bot against the fake, started on a private event loop; ``run(coro)`` drives it."""

    def __init__(
        self,
        directory: Path,
        *,
        bot_options: dict[str, Any] | None = None,
        before_start: Any = None,
        **driver_options: Any,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.directory = directory
        self.clock = ManualClock(T0)
        self.db_path = directory / "rankfile.db"
        self.fake = FakeDiscord()
        self.driver: Driver | None = None
        self._driver_options = driver_options
        self._before_start = before_start  # called with the fake once the demo guild exists
        # Syncing validates the whole command list against the schema (seconds); the e2e
        # suite checks it once, so these rigs skip it.
        self._bot_options = {"sync_commands": False, **(bot_options or {})}

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the rig's loop."""
        return self.loop.run_until_complete(coro)

    def __enter__(self) -> SyncRig:
        self.run(self._start())
        return self

    async def _start(self) -> None:
        from tests.hardening import logscan

        logscan.register(self.db_path, self.fake.token)
        self.fake.validate_responses = True
        await self.fake.start()
        self.fake.add_demo_guild()
        if self._before_start is not None:
            self._before_start(self.fake)
        self.driver = Driver(
            self.fake,
            bot_factory(self.fake, self.clock, self.db_path, **self._bot_options),
            **self._driver_options,
        )
        await self.driver.start()
        d = self.fake.demo
        await demo.prepare_server(self.bot.db, d.guild_id, d.channels, d.roles, self.clock.now())

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._stop())
        finally:
            # Views' timeout tasks outlive the bot: cancel them so the loop closes clean.
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()

    async def _stop(self) -> None:
        try:
            if self.driver is not None and self.driver.bot is not None:
                with contextlib.suppress(Exception):
                    await self.driver.settle()
        finally:
            if self.driver is not None:
                await self.driver.stop()
            await self.fake.close()

    @property
    def bot(self) -> Any:
        """The running bot."""
        assert self.driver is not None
        return self.driver.bot

    @property
    def demo(self) -> Any:
        """The demo server's ids."""
        return self.fake.demo

    def advance(self, **kwargs: float) -> None:
        """Move the manual clock (inside the loop: the scheduler reacts) and settle."""

        async def go() -> None:
            self.clock.advance(**kwargs)
            assert self.driver is not None
            await self.driver.settle()

        self.run(go())

    def problems(self) -> list[str]:
        """Errors the bot logged, tasks that raised, unknown routes, off-schema bodies; cleared."""
        assert self.driver is not None
        out = [f"bot error: {e}" for e in self.driver.errors]
        out += [f"unknown route: {r.method} {r.path}" for r in self.fake.unknown_routes]
        out += [f"schema error: {e}" for e in self.fake.schema_errors]
        out += [f"fake answer off-spec: {e}" for e in self.fake.response_errors]
        self.driver.errors.clear()
        self.fake.unknown_routes.clear()
        self.fake.schema_errors.clear()
        self.fake.response_errors.clear()
        return out


# -- checks on the wire -------------------------------------------------------------------


def message_bodies(requests: list[RecordedRequest]) -> Iterator[tuple[RecordedRequest, dict]]:
    """Each (request, message body) the bot sent: callbacks, followups, edits, posts, DMs."""
    for r in requests:
        body = r.json
        if not isinstance(body, dict):
            continue
        if r.route.startswith("/interactions/"):
            if body.get("type") in (4, 7) and isinstance(body.get("data"), dict):
                yield r, body["data"]
            continue
        if r.method in ("POST", "PATCH") and (
            r.route.startswith("/webhooks/")
            or r.route.startswith("/channels/{channel_id}/messages")
        ):
            yield r, body


_MESSAGE_KEYS = ("content", "embeds", "components", "attachments")


def mention_problems(
    body: dict,
    where: str,
    *,
    allowed_roles: set[int] = frozenset(),
    allowed_users: set[int] = frozenset(),
) -> list[str]:
    """What in a message body could ping someone unintended."""
    if not any(k in body for k in _MESSAGE_KEYS):
        return []
    am = body.get("allowed_mentions")
    if am is None:
        if "content" in body and body["content"]:
            return [f"{where}: content without allowed_mentions (Discord would parse mentions)"]
        return []
    out = []
    parse = am.get("parse")
    if parse is None and "content" in body:
        out.append(f"{where}: allowed_mentions without 'parse' (defaults to parsing all)")
    for kind in parse or ():
        out.append(f"{where}: allowed_mentions parses {kind!r}")
    roles = {int(r) for r in am.get("roles") or ()}
    users = {int(u) for u in am.get("users") or ()}
    if roles - set(allowed_roles):
        out.append(f"{where}: pings roles {sorted(roles - set(allowed_roles))}")
    if users - set(allowed_users):
        out.append(f"{where}: pings users {sorted(users - set(allowed_users))}")
    return out


def embed_problems(body: dict, where: str) -> list[str]:
    """Discord's per-part and total embed limits, content length, and the 10-embed cap."""
    out = []
    content = body.get("content") or ""
    if len(content) > Limits.CONTENT:
        out.append(f"{where}: content of {len(content)} characters")
    embeds = body.get("embeds") or []
    if len(embeds) > Limits.EMBEDS:
        out.append(f"{where}: {len(embeds)} embeds")
    total = 0
    for e in embeds:
        total += embed_length(e)
        parts = [
            ("title", len(e.get("title") or ""), Limits.TITLE),
            ("description", len(e.get("description") or ""), Limits.DESCRIPTION),
            ("fields", len(e.get("fields") or []), Limits.FIELDS),
            ("footer", len((e.get("footer") or {}).get("text") or ""), Limits.FOOTER),
            ("author", len((e.get("author") or {}).get("name") or ""), Limits.AUTHOR),
        ]
        for f in e.get("fields") or []:
            parts.append(("field name", len(f.get("name") or ""), Limits.FIELD_NAME))
            parts.append(("field value", len(f.get("value") or ""), Limits.FIELD_VALUE))
            if not f.get("name") or not f.get("value"):
                out.append(f"{where}: an empty field name or value")
        out += [f"{where}: embed {p} {n} > {lim}" for p, n, lim in parts if n > lim]
    if total > Limits.EMBED_TOTAL:
        out.append(f"{where}: embeds total {total} > {Limits.EMBED_TOTAL}")
    for c in iter_components(body.get("components") or []):
        label = c.get("label") or ""
        if c.get("type") == BUTTON and len(label) > Limits.BUTTON_LABEL:
            out.append(f"{where}: button label of {len(label)}")
        for opt in c.get("options") or []:
            if len(opt.get("label") or "") > Limits.CHOICE_NAME:
                out.append(f"{where}: select option label of {len(opt['label'])}")
    return out


def refusal_problems(body: dict, where: str, r: RecordedRequest) -> list[str]:
    """An error shown to a member must be ephemeral and must not be the unexpected-error text."""
    out = []
    titles = [e.get("title") for e in body.get("embeds") or []]
    text = " ".join(
        [body.get("content") or ""] + [e.get("description") or "" for e in body.get("embeds") or []]
    )
    if UNEXPECTED in text:
        out.append(f"{where}: the member got the unexpected-error message")
    is_reply = r.route.startswith(("/interactions/", "/webhooks/"))
    if is_reply and REFUSAL_TITLE in titles and not int(body.get("flags") or 0) & EPHEMERAL:
        # An edit of the original keeps the original's flags: only new messages count.
        if r.method == "POST":
            out.append(f"{where}: a refusal that is not ephemeral")
    return out


def wire_problems(
    requests: list[RecordedRequest],
    *,
    allowed_roles: set[int] = frozenset(),
    allowed_users: set[int] = frozenset(),
) -> list[str]:
    """Every problem of every message body among ``requests``."""
    out = []
    for r, body in message_bodies(requests):
        where = f"{r.method} {r.route}"
        out += mention_problems(
            body, where, allowed_roles=allowed_roles, allowed_users=allowed_users
        )
        out += embed_problems(body, where)
        out += refusal_problems(body, where, r)
    return out


# -- database dumps -----------------------------------------------------------------------


def dump_tables(db_path: Path, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (FTS shadow tables and bookkeeping excluded), read-only."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        fts = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%VIRTUAL TABLE%'"
            )
        }
        out = {}
        for name in sorted(names):
            if name in skip or name in fts or any(name.startswith(f + "_") for f in fts):
                continue
            out[name] = sorted(
                conn.execute(f'SELECT * FROM "{name}"').fetchall(),
                key=repr,
            )
        return out
    finally:
        conn.close()


@dataclass
class Tally:
    """Counts for docs/reliability.md and the bench: what was tried, what held."""

    examples: int = 0
    actions: int = 0
    refused: int = 0
    bodies_checked: int = 0
    by_command: dict[str, int] = field(default_factory=dict)
