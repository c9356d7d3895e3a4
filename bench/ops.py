"""Operations costs: the heartbeat on every gateway event, and a checked backup.

    /work/venv/bin/python bench/ops.py

heartbeat: what `on_socket_event_type` costs per gateway event when throttled (the common
case: one write per 30 s), against an empty coroutine. backup: a checked, rotated backup
(`backups.make_backup`: online copy, journal mode, integrity_check, rename, prune) against the
bare online copy (`Database.backup_to`), on a database with 20,000 audit rows.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core import backups
from bot.core.db import Database
from bot.ops.status import Heartbeat

T0 = datetime(2024, 7, 10, 17, 0, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def noop() -> None:
    return None


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "rankfile.db")
        await db.open()
        await db.migrate()
        beat = Heartbeat(db)
        await beat.started(T0, 1, 1)
        await beat.heard("READY", T0, 1)

        base, heard = [], []
        for i in range(20_000):
            now = T0 + timedelta(milliseconds=i)  # stays inside the 30 s window
            t = time.perf_counter()
            await noop()
            base.append(time.perf_counter() - t)
            t = time.perf_counter()
            await beat.heard("INTERACTION_CREATE", now, 1)
            heard.append(time.perf_counter() - t)
        writes = []
        for i in range(200):
            t = time.perf_counter()
            await beat.heard("GUILD_UPDATE", T0 + timedelta(minutes=1 + i), 1)
            writes.append(time.perf_counter() - t)
        print(f"heartbeat_noop_median_us: {statistics.median(base) * 1e6:.2f}")
        print(f"heartbeat_throttled_median_us: {statistics.median(heard) * 1e6:.2f}")
        print(f"heartbeat_throttled_p99_us: {pct(heard, 0.99) * 1e6:.2f}")
        print(
            f"heartbeat_throttled_ratio: {statistics.median(heard) / statistics.median(base):.2f}"
        )
        print(f"heartbeat_write_median_us: {statistics.median(writes) * 1e6:.1f}")
        print(f"heartbeat_write_p99_us: {pct(writes, 0.99) * 1e6:.1f}")

        async with db.transaction():
            await db.executemany(
                "INSERT INTO audit_log (guild_id, action, detail, at) VALUES (1, 'x', ?, '')",
                [("detail " * 20,) for _ in range(20_000)],
            )
        plain, checked = [], []
        for i in range(7):
            t = time.perf_counter()
            await db.backup_to(Path(tmp) / f"plain-{i}.db")
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            await backups.make_backup(db, Path(tmp) / "b", T0 + timedelta(days=i), keep=3)
            checked.append(time.perf_counter() - t)
        size = (Path(tmp) / "plain-0.db").stat().st_size
        print(f"backup_db_bytes: {size}")
        print(f"backup_plain_median_ms: {statistics.median(plain) * 1e3:.1f}")
        print(f"backup_checked_median_ms: {statistics.median(checked) * 1e3:.1f}")
        print(f"backup_checked_p99_ms: {pct(checked, 0.99) * 1e3:.1f}")
        print(f"backup_checked_ratio: {statistics.median(checked) / statistics.median(plain):.2f}")
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
