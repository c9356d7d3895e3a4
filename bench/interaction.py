"""End-to-end handling time of a command: a no-op and /help, at 1 and at 100 concurrent.

    python bench/interaction.py [--rounds 30]

Prints medians and p99s in milliseconds and /help's ratio to the no-op measured in the
same run (the no-op is a command registered by this script only: it answers "ok").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import discord
from discord import app_commands

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import start_bot, stop_bot, summarise, timed_burst


async def add_noop(bot) -> None:
    @app_commands.command(name="noop", description="Answers ok (benchmark baseline)")
    async def noop(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    bot.tree.add_command(noop)


async def main(rounds: int) -> None:
    fake, driver, _ = await start_bot(prepare=add_noop)
    try:
        for concurrency in (1, 100):
            noop, help_ = [], []
            burst_rounds = rounds if concurrency == 1 else max(3, rounds // 10)
            for _ in range(burst_rounds):
                noop += await timed_burst(fake, driver, "alice", "/noop", concurrency)
                help_ += await timed_burst(fake, driver, "alice", "/help", concurrency)
            summarise(f"noop_c{concurrency}", noop)
            summarise(f"help_c{concurrency}", help_, noop)
    finally:
        await stop_bot(fake, driver)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
