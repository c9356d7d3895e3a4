"""Delivery at Discord's pace, and through a crash: N DMs against a rate-limited fake Discord.

    python bench/delivery.py [--count 2000] [--rate 45] [--seed N]

The fake runs in this process with Discord-like limits (a global 50 requests a second, and
per-route buckets with X-RateLimit-* headers and 429s: 5 posts per 5 s per channel). The bot
runs in a child process (the real Rankfile, real clock) on its own database:

1. clean: one broadcast to N members by DM (each DM channel opened once, then the post);
2. crash: a second broadcast to the same N members; the child is killed (SIGKILL) at a random
   point, then started again; it must resume, lose nothing, and post nothing twice.

Prints, per phase: the achieved request rate as a fraction of the global limit (the baseline
is the limit itself), the 429s received, duplicates and lost deliveries (both must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import delivery, render  # noqa: E402
from bot.core.db import Database  # noqa: E402
from bot.sandbox.fake import FakeDiscord  # noqa: E402
from tests.support import T0  # noqa: E402

GLOBAL_LIMIT = 50
POST = ("POST", "/channels/{channel_id}/messages")
OPEN_DM = ("POST", "/users/@me/channels")
ROUTE_LIMITS = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "POST /users/@me/channels": (GLOBAL_LIMIT, 1.0),
}
STATE_SQL = "SELECT state, count(*) FROM delivery WHERE broadcast_id = ? GROUP BY state"


# -- the child: the bot ---------------------------------------------------------------------


async def child(config: dict) -> None:
    """Run the real bot against the parent's fake until killed."""
    from bot.core.config import Settings
    from bot.glue.app import Rankfile
    from bot.sandbox.fake import FakeResolver

    ctx = ssl.create_default_context(cadata=config["cert"])
    connector = aiohttp.TCPConnector(resolver=FakeResolver(config["port"]), ssl=ctx)
    bot = Rankfile(
        Settings(db_path=Path(config["db"])),
        connector=connector,
        sync_commands=False,
        guild_ready_timeout=0.05,
        delivery_rate=config["rate"],
    )
    await bot.start(config["token"])


# -- the parent: the fake and the measurements ----------------------------------------------


class Bench:
    def __init__(self, count: int, rate: float, workdir: Path) -> None:
        self.count = count
        self.rate = rate
        self.workdir = workdir
        self.db_path = workdir / "bench.db"
        self.fake = FakeDiscord(validate=False)
        self.members: list[int] = []
        self.proc: subprocess.Popen | None = None

    async def setup(self) -> None:
        await self.fake.start()
        demo = self.fake.add_demo_guild()
        guild = self.fake.guilds[demo.guild_id]
        for n in range(self.count):
            user = self.fake.add_user(f"member{n}")
            self.fake.add_member(guild, user)
            self.members.append(user.id)
        self.fake.rate_limit(GLOBAL_LIMIT, ROUTE_LIMITS)
        config = {
            "port": self.fake.port,
            "cert": self.fake._cert_pem.decode(),  # the bench's own fake
            "token": self.fake.token,
            "db": str(self.db_path),
            "rate": self.rate,
        }
        self.config_path = self.workdir / "child.json"
        self.config_path.write_text(json.dumps(config))
        db = Database(self.db_path)
        await db.open()
        await db.migrate()
        await db.close()

    async def broadcast(self, text: str) -> int:
        db = Database(self.db_path)
        await db.open()
        try:
            targets = [delivery.Target.dm(m) for m in self.members]
            return await delivery.enqueue(
                db, 1, "bench", render.message(text), targets, T0, subject="bench"
            )
        finally:
            await db.close()

    def start_child(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", str(self.config_path)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "child.log").open("a"),
        )

    def kill_child(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def states(self, broadcast_id: int) -> dict[str, int]:
        with sqlite3.connect(self.db_path, timeout=5) as conn:
            return dict(conn.execute(STATE_SQL, (broadcast_id,)).fetchall())

    def messages_with(self, text: str) -> Counter:
        """How many messages with `text` each member's DM channel holds."""
        found: Counter = Counter()
        for user_id in self.members:
            channel = self.fake.dm_channels.get(user_id)
            if channel is not None:
                found[user_id] = sum(
                    m["content"] == text for m in self.fake.channel_messages(channel.id)
                )
        return found

    async def wait_done(self, broadcast_id: int, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the bot exited early; see {self.workdir / 'child.log'}")
            states = self.states(broadcast_id)
            if states and not states.get("pending"):
                return True
            await asyncio.sleep(0.2)
        return False

    def requests_since(self, mark: int) -> list:
        return [r for r in self.fake.requests[mark:] if (r.method, r.route) in (POST, OPEN_DM)]

    def report(self, name: str, requests: list, active_seconds: float, text: str, bid: int) -> None:
        ok = [r for r in requests if r.status != 429]
        limited = len(requests) - len(ok)
        found = self.messages_with(text)
        states = self.states(bid)
        duplicates = sum(n - 1 for n in found.values() if n > 1)
        lost = sum(1 for m in self.members if found[m] == 0) + (self.count - states.get("sent", 0))
        per_second = len(ok) / active_seconds if active_seconds else 0.0
        print(f"{name}_seconds: {active_seconds:.1f}")
        print(f"{name}_requests: {len(requests)}")
        print(f"{name}_requests_per_second: {per_second:.1f}")
        print(f"{name}_rate_fraction_of_limit: {per_second / GLOBAL_LIMIT:.3f}")
        print(f"{name}_deliveries_per_second: {states.get('sent', 0) / active_seconds:.1f}")
        print(f"{name}_429s: {limited}")
        print(f"{name}_429_share: {limited / max(1, len(requests)):.4f}")
        print(f"{name}_duplicates: {duplicates}")
        print(f"{name}_lost: {lost}")

    async def clean_phase(self, deadline: float) -> None:
        text = "Bench: clean run"
        bid = await self.broadcast(text)
        mark = len(self.fake.requests)
        self.start_child()
        done = await self.wait_done(bid, deadline)
        self.kill_child()
        requests = self.requests_since(mark)
        if not done or not requests:
            print("clean_timed_out: 1")
        span = requests[-1].at - requests[0].at if requests else 0.0
        self.report("clean", requests, span, text, bid)

    async def crash_phase(self, deadline: float, rng: random.Random) -> None:
        text = "Bench: crash run"
        bid = await self.broadcast(text)
        kill_at = rng.randint(self.count // 5, self.count * 4 // 5)
        mark = len(self.fake.requests)
        self.start_child()
        while sum(self.messages_with(text).values()) < kill_at:
            if time.monotonic() > deadline or (self.proc and self.proc.poll() is not None):
                break
            await asyncio.sleep(0.01)
        self.kill_child()
        killed = time.monotonic()
        # Let the fake read what reached its socket before the kill: accepted, never answered.
        await asyncio.sleep(0.5)
        before = self.requests_since(mark)
        posted = sum(self.messages_with(text).values())
        marked = self.states(bid).get("sent", 0)
        print(f"crash_killed_after_messages: {posted}")
        print(f"crash_accepted_not_marked: {posted - marked}")
        mark = len(self.fake.requests)
        self.start_child()
        done = await self.wait_done(bid, deadline)
        self.kill_child()
        after = self.requests_since(mark)
        if not done:
            print("crash_timed_out: 1")
        nonces = Counter(
            r.json["nonce"] for r in before + after if r.route == POST[1] and r.status == 200
        )
        print(f"crash_nonce_dedupes: {sum(n - 1 for n in nonces.values() if n > 1)}")
        restart_gap = (after[0].at - killed) if after else 0.0
        print(f"crash_restart_to_first_send_seconds: {restart_gap:.2f}")
        span = (killed - before[0].at if before else 0.0) + (
            after[-1].at - after[0].at if after else 0.0
        )
        self.report("crash", before + after, span, text, bid)

    async def close(self) -> None:
        self.kill_child()
        await self.fake.close()


async def main(count: int, rate: float, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="rankfile-bench-delivery-") as tmp:
        bench = Bench(count, rate, Path(tmp))
        await bench.setup()
        print(f"count: {count}")
        print(f"global_limit_per_second: {GLOBAL_LIMIT}")
        print(f"pacer_rate_per_second: {rate}")
        # Bounded: twice the time the requests need at the limit, plus start-up slack.
        budget = 3 * count / GLOBAL_LIMIT * 2 + 60
        try:
            await bench.clean_phase(time.monotonic() + budget)
            await bench.crash_phase(time.monotonic() + budget, rng)
        finally:
            await bench.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="DM deliveries per phase")
    parser.add_argument(
        "--rate",
        type=float,
        default=47.0,
        help="the bot's pacer in requests a second (Rankfile's delivery_rate; it ships 47)",
    )
    parser.add_argument("--seed", type=int, default=None, help="where the crash happens")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(json.loads(args.child.read_text())))
    else:
        asyncio.run(
            main(args.count, args.rate, args.seed if args.seed is not None else time.time_ns())
        )
