"""End-to-end handling time of /updates latest, /updates search and /tracker show with 5,000
updates and 50 units in the database, beside a no-op command's in the same run.

    python bench/updates.py [--rounds 40]

Prints medians and p99s in milliseconds and each command's ratio to the no-op (goal: p99
within 2x the no-op's). The no-op is registered by this script only: it answers "ok".
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from datetime import timedelta
from pathlib import Path

import discord
from discord import app_commands

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import START, start_bot, stop_bot, summarise, timed_burst
from bot import tracker, updates
from bot.core import units
from bot.core.db import to_db

UPDATES, UNITS = 5_000, 50
WORDS = (
    "wages health pension artificial intelligence subcontracting turnaround rest period "
    "overtime residuals staffing safety meal penalty streaming minimums training hours"
).split()
TOPICS = ["wages", "AI", "benefits", "working conditions", "subcontracting"]
STATUSES = ["negotiating", "tentative_agreement", "summary_released", "ratified"]


async def fill(bot) -> None:
    """The no-op command, 50 units with histories and 5,000 updates (bulk inserts)."""

    @app_commands.command(name="noop", description="Answers ok (benchmark baseline)")
    async def noop(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    bot.tree.add_command(noop)
    db, guild = bot.db, bot.guilds[0].id  # the demo server, the only one
    rng = random.Random(5)
    now = START
    await updates.topics(db, guild, now)
    async with db.transaction():
        for n in range(UNITS):
            await db.execute(units.INSERT, (guild, f"U{n}", f"Unit {n}", None, 100 + n, to_db(now)))
        unit_ids = [u.id for u in await units.list_units(db, guild)]
        for unit_id in unit_ids:
            for step, status in enumerate(STATUSES[: rng.randint(1, len(STATUSES))]):
                when = now - timedelta(days=120 - 20 * step)
                await db.execute(
                    tracker.INSERT,
                    (guild, unit_id, status, to_db(when), None, None, None, 0, to_db(now)),
                )
        for n in range(UPDATES):
            # Mostly everyday words (a 3,000-word vocabulary), one in ten a bargaining term.
            body = " ".join(
                rng.choice(WORDS) if rng.random() < 0.1 else f"w{rng.randint(0, 3000)}"
                for _ in range(80)
            )
            when = now - timedelta(minutes=UPDATES - n)
            update_id = await db.execute(
                updates.INSERT,
                (
                    guild,
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


async def main(rounds: int) -> None:
    fake, driver, _ = await start_bot(prepare=fill)
    try:
        lines = {
            "updates_latest": "/updates latest",
            "updates_search": "/updates search query: health pension",
            "tracker_show": "/tracker show",
        }
        samples: dict[str, list[float]] = {name: [] for name in ["noop", *lines]}
        for _ in range(3):  # warm-up: caches, first-use seeding
            for line in ["/noop", *lines.values()]:
                await timed_burst(fake, driver, "alice", line, 1)
        for _ in range(rounds):
            samples["noop"] += await timed_burst(fake, driver, "alice", "/noop", 1)
            for name, line in lines.items():
                samples[name] += await timed_burst(fake, driver, "alice", line, 1)
        print(f"updates: {UPDATES}")
        print(f"units: {UNITS}")
        summarise("noop", samples["noop"])
        for name in lines:
            summarise(name, samples[name], samples["noop"])
    finally:
        await stop_bot(fake, driver)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    asyncio.run(main(parser.parse_args().rounds))
