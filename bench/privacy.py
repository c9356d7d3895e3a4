"""/privacy export and delete, and the retention purge, on a server of N members.

Run from the repo root: /work/venv/bin/python bench/privacy.py [N]

Every member has a row in every declared table (tests.test_privacy.seed). Timed at the
domain level (bot.privacy, the work behind the commands): one member's export and one
member's delete, beside a baseline of one indexed read of a member's CAT record (what a
plain /cat status does). Then the purge of the whole server, once. With SQLCipher
installed, the export is timed again on an encrypted copy.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import summarise
from bot import privacy
from bot.core import encryption
from bot.core.db import Database
from tests.support import GUILD, T0
from tests.test_privacy import seed

BASE = 10_000
SAMPLES = 200
BASELINE = "SELECT * FROM cat_volunteer WHERE guild_id = ? AND user_id = ?"


async def populate(db: Database, n: int) -> None:
    async with db.transaction():
        for i in range(n):
            await seed(db, GUILD, BASE + i, BASE + (i + 1) % n)


async def timed(samples: int, action) -> list[float]:
    out = []
    for i in range(samples):
        start = time.perf_counter()
        await action(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


async def measure(db: Database, n: int, label: str) -> list[float]:
    baseline = await timed(SAMPLES, lambda i: db.fetchone(BASELINE, (GUILD, BASE + i % n)))
    export = await timed(
        SAMPLES, lambda i: privacy.export_member(db, GUILD, BASE + (i * 7) % n, T0)
    )
    summarise(f"{label}baseline_read", baseline)
    summarise(f"{label}export", export, baseline)
    return baseline


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "rankfile.db")
        await db.open()
        await db.migrate()
        start = time.perf_counter()
        await populate(db, n)
        print(f"members: {n}")
        print(f"seed_s: {time.perf_counter() - start:.2f}")
        baseline = await measure(db, n, "")
        deletes = await timed(
            min(SAMPLES, n), lambda i: privacy.delete_member(db, GUILD, BASE + i, T0)
        )
        summarise("delete", deletes, baseline)
        start = time.perf_counter()
        changed = await privacy.purge_guild(db, GUILD, T0)
        print(f"purge_s: {time.perf_counter() - start:.2f}")
        print(f"purge_rows: {sum(changed.values())}")
        await db.close()
        if encryption.available():
            enc = Database(Path(tmp) / "enc.db", key="bench key")
            await enc.open()
            await enc.migrate()
            await populate(enc, n)
            await measure(enc, n, "encrypted_")
            await enc.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
