"""Crash recovery: the bot killed (SIGKILL) at random points, restarted, nothing lost or doubled.

Shared by tests/hardening/test_crash.py (a few kill points per scenario) and bench/crash.py
(more). The fake Discord lives in this process; the real bot (real clock, APScheduler) runs in
a child process on its own database, and is killed and started again several times per run:

- broadcast: a queued broadcast to N members by DM (the organizer's "queued" answer is the
  acknowledgment: the rows are committed before it); every member ends with exactly one DM;
- cat: N members run /cat join, press "I commit", submit the form; a member whose submission
  was answered must be on the roster after the restarts, once, with the CAT role given (role
  calls are idempotent in Discord: distinct members are counted, not calls); the others retry;
- reminders: event reminders due over the next seconds (and some already past their
  useful_until): each one posts exactly once, or shows as missed, never lost.

Each scenario returns counts; `problems` names every violation (empty when all is well).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import random
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot import demo, events
from bot.core import delivery, render, timers, units
from bot.core.config import Settings
from bot.core.db import Database, to_db
from bot.glue.app import Rankfile, cog_modules
from bot.glue.delivery_worker import RATE_PER_SECOND
from bot.sandbox.driver import ActionResult, Driver, DriverError
from bot.sandbox.fake import FakeDiscord, FakeResolver

# The directory that holds the `bot` package: the child runs `python -m bot.sandbox.crash`
# from there, so it imports this same copy of the bot.
ROOT = Path(__file__).resolve().parents[2]

MODAL_SUBMIT = 5
POST = "/channels/{channel_id}/messages"
ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
STATES = "SELECT state, count(*) FROM delivery WHERE broadcast_id = ? GROUP BY state"
PENDING_DELIVERIES = "SELECT count(*) FROM delivery WHERE state = 'pending'"
REMINDERS_IN_FLIGHT = (
    "SELECT (SELECT count(*) FROM delivery d JOIN broadcast b ON b.id = d.broadcast_id "
    "WHERE b.kind = 'event.reminder' AND d.state = 'pending') + "
    "(SELECT count(*) FROM timer WHERE kind = 'event.reminder' AND state = 'pending' "
    "AND due_at <= ?)"
)
TIMER_STATES = "SELECT id, state FROM timer WHERE kind = ?"
VOLUNTEERS = "SELECT user_id, count(*) FROM cat_volunteer WHERE guild_id = ? GROUP BY user_id"
FORM = {
    "Your name as the union knows it": "Crash Member",
    "Bargaining unit": "700",
    "Department or craft": "Assistant editors",
    "Shift or availability": "Days",
    "Preferred contact": "Discord DM",
}


# -- the child: the bot ---------------------------------------------------------------------


async def child(config: dict[str, Any]) -> None:
    """Run the real bot (real clock) against the parent's fake until killed."""
    ctx = ssl.create_default_context(cadata=config["cert"])
    connector = aiohttp.TCPConnector(resolver=FakeResolver(config["port"]), ssl=ctx)
    bot = Rankfile(
        Settings(db_path=Path(config["db"])),
        connector=connector,
        guild_ready_timeout=0.05,
        delivery_rate=config.get("rate", RATE_PER_SECOND),
    )
    await bot.start(config["token"])


# -- the parent -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one scenario run saw."""

    scenario: str
    kills: int = 0
    acknowledged: int = 0
    lost: int = 0
    duplicates: int = 0
    missed: int = 0
    nonce_dedupes: int = 0
    # Work caught half-done by a kill: posts Discord accepted but not marked sent, sign-ups
    # submitted but unanswered, reminders due or queued but not yet posted.
    interrupted: int = 0
    start_seconds: list[float] = field(default_factory=list)
    unanswered_without_kill: int = 0  # interactions the running bot left unanswered
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


class RemoteDriver(Driver):
    """The Driver's payload builders, for a bot in another process: wait on the fake only."""

    def __init__(self, rig: CrashRig, **kwargs: Any) -> None:
        super().__init__(rig.fake, lambda: None, **kwargs)  # type: ignore[arg-type,return-value]
        self.rig = rig
        self.bot = object()  # type: ignore[assignment]
        self.unanswered_submits = 0  # modal submissions the bot died before answering

    def _command_defs(self) -> list[tuple[dict[str, Any], int | None]]:
        # The child synced its commands to the fake on start.
        return [(c, gid) for gid, cmds in self.fake.commands.items() for c in cmds]

    async def _run(self, action: str, user: Any, payload: dict[str, Any] | None) -> Any:
        assert payload is not None  # members act through interactions only
        generation = self.rig.generation
        if not self.rig.ready.is_set():
            raise DriverError("the bot is down")
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        inter = self.fake.interactions[int(payload["id"])]
        deadline = time.monotonic() + 15
        while not inter.responded:
            if self.rig.generation != generation:
                self.unanswered_submits += payload["type"] == MODAL_SUBMIT
                raise DriverError(f"{action}: no answer, the bot was killed")
            if time.monotonic() > deadline:
                raise DriverError(f"{action}: no answer in 15 s from a running bot")
            await asyncio.sleep(0.01)
        result = ActionResult(action=action, user=user.username, payload=payload)
        result.interaction_id = inter.id
        result.callback_type = inter.response_type
        result.modal = inter.modal
        return result, inter


class CrashRig:
    """The fake in this process, the bot in a child process killed and restarted at will."""

    def __init__(self, workdir: Path, *, rate: float = RATE_PER_SECOND) -> None:
        self.workdir = workdir
        self.spare: subprocess.Popen[bytes] | None = None
        self.db_path = workdir / "crash.db"
        self.fake = FakeDiscord(validate=False)
        self.rate = rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.generation = 0
        self.ready = asyncio.Event()
        self.kills = 0
        self.guild: Any = None
        self.start_seconds: list[float] = []  # each start, to connected

    async def open(self) -> Database:
        """Start the fake and set up the demo server's database; the caller adds its workload."""
        await self.fake.start()
        # Headers like Discord's; generous enough that the kill points, not 429s, are tested.
        self.fake.rate_limit(global_per_second=1000, default_limit=(1000, 1.0))
        self.guild = self.fake.add_demo_guild()
        config = {
            "port": self.fake.port,
            "cert": self.fake._cert_pem.decode(),  # the rig's own fake
            "token": self.fake.token,
            "db": str(self.db_path),
            "rate": self.rate,
        }
        self.config_path = self.workdir / "child.json"
        self.config_path.write_text(json.dumps(config))
        db = Database(self.db_path)
        await db.open()
        await db.migrate()
        g = self.guild
        await demo.prepare_server(db, g.guild_id, g.channels, g.roles, datetime.now(UTC))
        return db

    def _spawn(self) -> subprocess.Popen[bytes]:
        # A warm spare: it imports the bot and its cogs, then waits for "go" on stdin, so a
        # restart costs the bot's start-up, not Python's imports (the kill points stay real).
        return subprocess.Popen(  # noqa: S603 - our interpreter, our module; returns at once
            [sys.executable, "-m", "bot.sandbox.crash", "--child", str(self.config_path)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "child.log").open("a"),
        )

    async def start(self) -> None:
        """Start the bot and wait until it is connected (commands synced, gateway ready)."""
        self.fake._ws_ready.clear()  # wait for this child's IDENTIFY
        proc, self.spare = self.spare or self._spawn(), None
        assert proc.stdin is not None  # spawned with a pipe
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        self.proc = proc
        self.spare = self._spawn()
        started = time.monotonic()
        deadline = started + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the bot exited; see {self.workdir / 'child.log'}")
            if self.fake._ws_ready.is_set() and self.fake.commands:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the bot did not connect within 30 s")
            await asyncio.sleep(0.02)
        self.generation += 1
        self.ready.set()
        self.start_seconds.append(time.monotonic() - started)

    def kill(self) -> None:
        """SIGKILL the bot: no shutdown code runs."""
        self.ready.clear()
        self.generation += 1
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
        self.proc = None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the bot's database from outside (the child may be writing)."""
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()

    def nonce_dedupes(self) -> int:
        """Message posts the fake accepted whose nonce it had already seen (Discord's rule)."""
        nonces = Counter(
            (r.params.get("channel_id"), (r.json or {}).get("nonce"))
            for r in self.fake.requests
            if r.method == "POST" and r.route == POST and r.status == 200
        )
        return sum(n - 1 for key, n in nonces.items() if key[1] is not None and n > 1)

    async def wait_quiet(self, deadline: float) -> bool:
        """Until no delivery and no due timer is pending (the bot has caught up)."""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the bot exited; see {self.workdir / 'child.log'}")
            now = to_db(datetime.now(UTC))
            pending = self.query(PENDING_DELIVERIES)[0][0]
            due = self.query(
                "SELECT count(*) FROM timer WHERE state = 'pending' AND due_at <= ?", (now,)
            )[0][0]
            if not pending and not due:
                return True
            await asyncio.sleep(0.1)
        return False

    async def close(self) -> None:
        """Kill the bot and the spare; stop the fake."""
        self.ready.clear()
        for proc in (self.proc, self.spare):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        await self.fake.close()


def _dm_count(rig: CrashRig, user_id: int, text: str | None) -> int:
    """Messages in a member's DM channel (with this text, or all when text is None)."""
    channel = rig.fake.dm_channels.get(user_id)
    if channel is None:
        return 0
    messages = rig.fake.channel_messages(channel.id)
    return sum(text is None or m.get("content") == text for m in messages)


# -- scenarios ------------------------------------------------------------------------------


async def broadcast(workdir: Path, rng: random.Random, *, members: int, kills: int) -> Outcome:
    """A DM broadcast to `members`, the bot killed `kills` times at random message counts."""
    out = Outcome("broadcast")
    t0 = time.monotonic()
    rig = CrashRig(workdir, rate=members * 2.0)
    db = await rig.open()
    try:
        guild = rig.fake.guilds[rig.guild.guild_id]
        ids = []
        for n in range(members):
            user = rig.fake.add_user(f"crash{n}")
            rig.fake.add_member(guild, user)
            ids.append(user.id)
        text = "Crash test: strike authorization vote tonight"
        targets = [delivery.Target.dm(m) for m in ids]
        # Committed before the organizer is told "queued": the acknowledgment.
        bid = await delivery.enqueue(
            db, rig.guild.guild_id, "crash", render.message(text), targets, datetime.now(UTC)
        )
        await db.close()
        out.acknowledged = members
        # Random message counts over the whole broadcast, one per kill; one already passed
        # (the restart caught up beyond it) means a kill as soon as the bot is back.
        kill_points = sorted(rng.sample(range(members), min(kills, members)))
        for kill_at in kill_points:
            await rig.start()
            if sum(_dm_count(rig, m, text) for m in ids) >= members:
                break
            deadline = time.monotonic() + 30
            while sum(_dm_count(rig, m, text) for m in ids) < kill_at:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.005)
            # A little past the count: the kill lands between a post and its 'sent' mark too.
            await asyncio.sleep(rng.random() * 0.02)
            rig.kill()
            await asyncio.sleep(0.2)  # the fake reads what reached its socket before the kill
            posted = sum(_dm_count(rig, m, text) for m in ids)
            out.interrupted += posted - dict(rig.query(STATES, (bid,))).get("sent", 0)
        await rig.start()
        if not await rig.wait_quiet(time.monotonic() + 60):
            out.problems.append("broadcast: deliveries still pending after 60 s")
        found = {m: _dm_count(rig, m, text) for m in ids}
        out.lost = sum(1 for n in found.values() if n == 0)
        out.duplicates = sum(n - 1 for n in found.values() if n > 1)
        states = dict(rig.query(STATES, (bid,)))
        if states.get("sent", 0) != members:
            out.problems.append(f"broadcast: delivery states {states}, expected {members} sent")
        out.nonce_dedupes = rig.nonce_dedupes()
    finally:
        out.kills = rig.kills
        out.start_seconds = rig.start_seconds
        await rig.close()
    out.seconds = time.monotonic() - t0
    if out.lost or out.duplicates:
        out.problems.append(f"broadcast: {out.lost} lost, {out.duplicates} duplicates")
    return out


async def _sign_up(driver: RemoteDriver, name: str, delay: float) -> str:
    """One member's whole sign-up: 'answered', or why it was not (a kill, mostly)."""
    await asyncio.sleep(delay)  # members arrive spread out, so the three steps overlap
    try:
        joined = await driver.invoke(name, "cat join")
        if joined.modal is None:
            # New members see the commitment first; a saved volunteer gets the form at once.
            await driver.click(name, "I commit: open the form")
        result = await driver.submit(name, FORM)
    except (DriverError, KeyError) as exc:
        return f"interrupted: {exc}"
    return "answered" if result.callback_type == 4 else f"answered {result.callback_type}"


async def cat(workdir: Path, rng: random.Random, *, members: int, kills: int) -> Outcome:
    """`members` CAT sign-ups at once, the bot killed `kills` times at random moments."""
    out = Outcome("cat")
    t0 = time.monotonic()
    rig = CrashRig(workdir)
    db = await rig.open()
    try:
        guild = rig.fake.guilds[rig.guild.guild_id]
        await units.add(db, rig.guild.guild_id, "700", "Local 700 Editors", None, datetime.now(UTC))
        await db.close()
        names = []
        for n in range(members):
            user = rig.fake.add_user(f"cat{n}")
            rig.fake.add_member(guild, user)
            names.append(user.username)
        driver = RemoteDriver(rig, guild=rig.guild)
        acknowledged: set[str] = set()
        for round_ in range(kills + 1):
            await rig.start()
            todo = [n for n in names if n not in acknowledged]
            spread = 0.01 * len(todo)
            tasks = [asyncio.create_task(_sign_up(driver, n, rng.uniform(0, spread))) for n in todo]
            if round_ < kills:
                # A random moment in the burst (a sign-up is three round trips of ~10-30 ms).
                await asyncio.sleep(rng.uniform(0.03, 0.05 + spread + 0.02 * len(todo)))
                rig.kill()
            for name, stage in zip(todo, await asyncio.gather(*tasks), strict=True):
                if stage == "answered":
                    acknowledged.add(name)
            if round_ < kills:
                await asyncio.sleep(0.1)
                continue
            # No kill in the last round: a member left unanswered tries again (as one would),
            # and is counted, since the bot should have answered every one.
            for _ in range(3):
                todo = [n for n in names if n not in acknowledged]
                if not todo:
                    break
                out.unanswered_without_kill += len(todo)
                for name in todo:
                    stage = await _sign_up(driver, name, 0)
                    if stage == "answered":
                        acknowledged.add(name)
                    else:
                        out.notes.append(stage)
        out.acknowledged = len(acknowledged)
        out.interrupted = driver.unanswered_submits
        if not await rig.wait_quiet(time.monotonic() + 60):
            out.problems.append("cat: welcome DMs still pending after 60 s")
        rows = dict(rig.query(VOLUNTEERS, (rig.guild.guild_id,)))
        # The welcome DM is queued in the sign-up's transaction: exactly one each.
        welcomes = {uid: _dm_count(rig, uid, None) for uid in rows}
        out.lost += sum(1 for n in welcomes.values() if n == 0)
        out.duplicates += sum(n - 1 for n in welcomes.values() if n > 1)
        by_name = {rig.fake.user_named(n).id: n for n in names}
        out.lost += sum(1 for n in acknowledged if rows.get(rig.fake.user_named(n).id, 0) == 0)
        out.duplicates += sum(c - 1 for c in rows.values() if c > 1)
        out.nonce_dedupes = rig.nonce_dedupes()
        role_id = rig.guild.roles["cat"]
        given = {
            int(r.params["user_id"])
            for r in rig.fake.requests
            if r.method == "PUT" and r.route == ROLE_ROUTE and r.status in (200, 204)
        }
        without_role = [
            uid for uid in rows if role_id not in guild.members[uid].roles and uid in by_name
        ]
        if without_role:
            out.problems.append(f"cat: {len(without_role)} on the roster without the CAT role")
        if len(acknowledged) != members:
            out.problems.append(f"cat: only {len(acknowledged)} of {members} got an answer")
        if len(given) > members:
            out.problems.append("cat: role given to someone who did not sign up")
    finally:
        out.kills = rig.kills
        out.start_seconds = rig.start_seconds
        await rig.close()
    out.seconds = time.monotonic() - t0
    if out.lost or out.duplicates:
        out.problems.append(f"cat: {out.lost} lost, {out.duplicates} duplicates")
    return out


async def reminders(
    workdir: Path,
    rng: random.Random,
    *,
    count: int,
    window: float,
    kills: int,
    subscribers: int = 3,
) -> Outcome:
    """`count` reminders due over `window` seconds (a few already useless), `kills` kills.

    Each goes to the announcements channel and by DM to `subscribers` members who asked.
    """
    out = Outcome("reminders")
    t0 = time.monotonic()
    rig = CrashRig(workdir)
    db = await rig.open()
    gid = rig.guild.guild_id
    titles: dict[int, str] = {}
    expect_missed: set[int] = set()
    try:
        guild = rig.fake.guilds[gid]
        asked = []
        for n in range(subscribers):
            user = rig.fake.add_user(f"remind{n}")
            rig.fake.add_member(guild, user)
            asked.append(user.id)
        now = datetime.now(UTC)
        # Started bots take about a second: reminders due from then to the window's end.
        for n in range(count):
            title = f"Crash reminder {n}"
            draft = events.Draft(
                kind="deadline",
                title=title,
                description="",
                starts_at=now + timedelta(days=3),
                ends_at=None,
                place=None,
                unit_ids=(),
                timezone="UTC",
            )
            event = await events.create(db, gid, None, draft, now)
            await timers.cancel_subject(db, events.TIMER_KIND, event.id)
            # Asked a day apart, in the past: the members' own rate limits never refuse the set-up.
            asked_at = now - timedelta(days=count - n)
            for user_id in asked:
                await events.toggle_reminders(db, event.id, user_id, asked_at)
            due = now + timedelta(seconds=rng.uniform(0, window))
            useful = due + timedelta(hours=1)
            if n % 5 == 4:
                # Due while the bot was down and no longer useful: must show as missed.
                due, useful = now - timedelta(minutes=10), now - timedelta(minutes=1)
            timer_id = await timers.schedule(
                db,
                gid,
                events.TIMER_KIND,
                event.id,
                due,
                now,
                useful_until=useful,
                payload={"session_id": event.session.id, "offset": 60},
            )
            titles[timer_id] = title
            if useful < now:
                expect_missed.add(timer_id)
        await db.close()
        out.acknowledged = count
        end = time.monotonic() + window
        for k in range(kills):
            await rig.start()
            # Spread over the window: each kill within twice its share of what is left.
            share = max(0.3, end - time.monotonic()) / (kills - k)
            await asyncio.sleep(rng.uniform(0.0, 2 * share))
            rig.kill()
            now_db = to_db(datetime.now(UTC))
            out.interrupted += rig.query(REMINDERS_IN_FLIGHT, (now_db,))[0][0]
            await asyncio.sleep(0.1)
        await rig.start()
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        if not await rig.wait_quiet(time.monotonic() + 60):
            out.problems.append("reminders: still pending after 60 s")
        states = dict(rig.query(TIMER_STATES, (events.TIMER_KIND,)))
        channels = [rig.guild.channels["announcements"]] + [
            rig.fake.dm_channels[u].id for u in asked if u in rig.fake.dm_channels
        ]
        posted: Counter[tuple[int, int]] = Counter()
        for channel in channels:
            for m in rig.fake.channel_messages(channel):
                for timer_id, title in titles.items():
                    if f"**{title}**" in (m.get("content") or ""):
                        posted[timer_id, channel] += 1
        places = 1 + subscribers  # the announcements channel and each member who asked
        for timer_id in titles:
            state = states.get(timer_id)
            counts = [n for (t, _), n in posted.items() if t == timer_id]
            if state == "missed":
                out.missed += 1
                if counts:
                    out.problems.append(f"reminders: timer {timer_id} missed yet posted")
            elif state == "fired":
                out.lost += places - len(counts)
                out.duplicates += sum(n - 1 for n in counts)
            else:
                out.lost += 1
                out.problems.append(f"reminders: timer {timer_id} ended {state}")
            if timer_id in expect_missed and state != "missed":
                out.problems.append(f"reminders: timer {timer_id} past useful, yet {state}")
        out.nonce_dedupes = rig.nonce_dedupes()
    finally:
        out.kills = rig.kills
        out.start_seconds = rig.start_seconds
        await rig.close()
    out.seconds = time.monotonic() - t0
    if out.lost or out.duplicates:
        out.problems.append(f"reminders: {out.lost} lost, {out.duplicates} duplicates")
    return out


if __name__ == "__main__":
    # The child: `python -m bot.sandbox.crash --child CONFIG`, started by CrashRig._spawn.
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        for module in cog_modules():
            importlib.import_module(module)
        if sys.stdin.readline().strip() == "go":
            asyncio.run(child(json.loads(Path(sys.argv[2]).read_text())))
