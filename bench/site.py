"""Building the public site of a campaign with 5,000 public updates (one in ten edited, one in
fifty retracted), 50 units with their histories, withheld details and proposals, and a dozen
public events: the whole build (gather, render, write, swap), timed several times.

    python bench/site.py [--rounds 3]

Prints `name: value` lines: the median and worst build in seconds (goal: under 10 s), each
stage's median, the files and bytes written and the largest page (goal: under 100 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import events, site, tracker, updates, wiring
from bot.core import guild_settings, units
from bot.core.db import Database, to_db
from bot.site.builder import write_site

GUILD = 1
NOW = datetime(2024, 7, 10, 17, 0, tzinfo=UTC)
ZONE = "America/Los_Angeles"
UPDATES, UNITS, EVENTS = 5_000, 50, 12
WORDS = (
    "wages health pension artificial intelligence subcontracting turnaround rest period "
    "overtime residuals staffing safety meal penalty streaming minimums training hours"
).split()
TOPICS = ["wages", "AI", "benefits", "working conditions", "subcontracting"]
STATUSES = ["negotiating", "tentative_agreement", "summary_released", "ratified"]


async def fill(db: Database) -> None:
    rng = random.Random(24)
    await guild_settings.update(db, GUILD, None, NOW, timezone=ZONE)
    await updates.topics(db, GUILD, NOW)
    async with db.transaction():
        for n in range(UNITS):
            await db.execute(units.INSERT, (GUILD, f"U{n}", f"Unit {n}", None, 100 + n, to_db(NOW)))
        unit_ids = [u.id for u in await units.list_units(db, GUILD)]
        for unit_id in unit_ids:
            for step, status in enumerate(STATUSES[: rng.randint(1, len(STATUSES))]):
                when = NOW - timedelta(days=120 - 20 * step)
                await db.execute(
                    tracker.INSERT,
                    (
                        GUILD,
                        unit_id,
                        status,
                        to_db(when),
                        "A note for members.",
                        None,
                        None,
                        0,
                        to_db(NOW),
                    ),
                )
        for n in range(UPDATES):
            body = "\n\n".join(
                " ".join(
                    rng.choice(WORDS) if rng.random() < 0.1 else f"w{rng.randint(0, 3000)}"
                    for _ in range(40)
                )
                for _ in range(3)
            )
            when = NOW - timedelta(minutes=UPDATES - n)
            update_id = await db.execute(
                updates.INSERT,
                (
                    GUILD,
                    "update",
                    f"Update {n}: {rng.choice(WORDS)}",
                    body,
                    None,
                    None,
                    to_db(when),
                ),
            )
            await db.execute(updates.INSERT_TOPIC, (update_id, rng.choice(TOPICS)))
            await db.execute(updates.INSERT_UNIT, (update_id, rng.choice(unit_ids)))
        await db.execute("UPDATE bargaining_update SET public = 1 WHERE guild_id = ?", (GUILD,))
    for n in range(1, UPDATES, 10):
        await updates.edit(
            db,
            GUILD,
            n,
            None,
            NOW,
            title=f"Update {n} (corrected)",
            body="The corrected text.",
            source_url="https://example.org/doc",
        )
    for n in range(5, UPDATES, 50):
        await updates.retract(db, GUILD, n, None, NOW, note="Posted by mistake.")
    for n in range(0, UNITS, 5):
        await tracker.add_proposal(
            db,
            GUILD,
            f"U{n}",
            rng.choice(["Wages", "Health", "AI"]),
            rng.choice(["union", "employer"]),
            None,
            NOW,
        )
    for n in range(EVENTS):
        draft = events.make_draft(
            "townhall",
            f"Town hall {n}",
            "About the MOA.",
            NOW + timedelta(days=n + 1),
            None,
            "Union hall",
            (),
            ZONE,
        )
        await events.create(db, GUILD, None, events.Draft(**{**vars(draft), "public": True}), NOW)
    await site.configure(
        db, GUILD, None, NOW, title="Bench local", sections={s: True for s in site.SECTIONS}
    )


async def main(rounds: int) -> None:
    wiring.install()
    with tempfile.TemporaryDirectory(prefix="rankfile-bench-site-") as tmp:
        db = Database(Path(tmp) / "bench.db")
        await db.open()
        await db.migrate()
        try:
            await fill(db)
            out = Path(tmp) / "site"
            totals, gathers, renders, writes = [], [], [], []
            built = None
            for _ in range(rounds):
                start = time.perf_counter()
                snap = await site.gather(db, GUILD, NOW)
                gathered = time.perf_counter()
                files = site.render_site(snap)
                rendered = time.perf_counter()
                built = write_site(files, out)
                done = time.perf_counter()
                totals.append(done - start)
                gathers.append(gathered - start)
                renders.append(rendered - gathered)
                writes.append(done - rendered)
        finally:
            await db.close()
    assert built is not None
    print(f"updates: {UPDATES}")
    print(f"units: {UNITS}")
    print(f"rounds: {rounds}")
    print(f"build_median_s: {statistics.median(totals):.2f}")
    print(f"build_max_s: {max(totals):.2f}")
    print(f"gather_median_s: {statistics.median(gathers):.2f}")
    print(f"render_median_s: {statistics.median(renders):.2f}")
    print(f"write_median_s: {statistics.median(writes):.2f}")
    print(f"files: {built.files}")
    print(f"pages: {built.pages}")
    print(f"bytes: {built.total_bytes}")
    print(f"largest_page: {built.largest_page[0]}")
    print(f"largest_page_kb: {built.largest_page[1] / 1024:.1f}")
    print(f"goal_under_10s: {'yes' if max(totals) < 10 else 'no'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args().rounds))
