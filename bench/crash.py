"""The bot killed (SIGKILL) at random points and restarted: nothing acknowledged lost or doubled.

    python bench/crash.py [--rounds 2] [--kills 10] [--seed N]

Three scenarios (bot/sandbox/crash.py, shared with tests/hardening/test_crash.py), each run
`rounds` times with `kills` random kill points, plus once without a kill (the baseline):

- broadcast: a queued DM broadcast to --members members; each gets it exactly once;
- cat: --signups members run /cat join, "I commit", the form; every answered sign-up is on
  the roster once with the CAT role and one welcome DM; unanswered ones retry after restart;
- reminders: --reminders event reminders due over --window seconds (one in five already past
  its useful_until), each to the announcements channel and 3 members by DM: each posts once
  per place, or shows as missed.

Prints per scenario: kill points, acknowledged items, work in flight at the kills, lost,
duplicates (both must be 0), nonce de-duplications by the fake (posts repeated after a
kill that Discord would drop), the wall time with kills against the clean run's, and the
bot's restart time (median, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import percentile
from bot.sandbox import crash


async def run(name: str, args: argparse.Namespace, rng: random.Random, kills: int):
    with tempfile.TemporaryDirectory(prefix="rankfile-bench-crash-") as tmp:
        if name == "broadcast":
            return await crash.broadcast(Path(tmp), rng, members=args.members, kills=kills)
        if name == "cat":
            return await crash.cat(Path(tmp), rng, members=args.signups, kills=kills)
        return await crash.reminders(
            Path(tmp), rng, count=args.reminders, window=args.window, kills=kills
        )


async def main(args: argparse.Namespace, seed: int) -> int:
    rng = random.Random(seed)
    print(f"seed: {seed}")
    total_kills = total_lost = total_dups = 0
    for name in ("broadcast", "cat", "reminders"):
        clean = await run(name, args, rng, 0)
        outs = [await run(name, args, rng, args.kills) for _ in range(args.rounds)]
        kills = sum(o.kills for o in outs)
        lost = sum(o.lost for o in outs) + clean.lost
        dups = sum(o.duplicates for o in outs) + clean.duplicates
        starts = [s for o in outs for s in o.start_seconds]
        seconds = statistics.median(o.seconds for o in outs)
        print(f"{name}_kill_points: {kills}")
        print(f"{name}_acknowledged: {sum(o.acknowledged for o in outs)}")
        print(f"{name}_in_flight_at_kills: {sum(o.interrupted for o in outs)}")
        print(f"{name}_lost: {lost}")
        print(f"{name}_duplicates: {dups}")
        if name == "reminders":
            print(f"{name}_missed_as_ruled: {sum(o.missed for o in outs)}")
        print(f"{name}_nonce_dedupes: {sum(o.nonce_dedupes for o in outs)}")
        if name == "cat":
            unanswered = sum(o.unanswered_without_kill for o in [clean, *outs])
            print(f"{name}_unanswered_without_kill_retried: {unanswered}")
        for note in [n for o in [clean, *outs] for n in o.notes][:5]:
            print(f"# {note}", file=sys.stderr)
        print(f"{name}_problems: {sum(len(o.problems) for o in outs) + len(clean.problems)}")
        for problem in [p for o in [clean, *outs] for p in o.problems][:5]:
            print(f"# {problem}", file=sys.stderr)
        print(f"{name}_clean_seconds: {clean.seconds:.1f}")
        print(f"{name}_with_kills_seconds_median: {seconds:.1f}")
        print(f"{name}_with_kills_ratio_to_clean: {seconds / clean.seconds:.2f}")
        print(f"{name}_restart_median_s: {statistics.median(starts):.2f}")
        print(f"{name}_restart_p99_s: {percentile(starts, 99):.2f}")
        print(f"{name}_clean_start_s: {statistics.median(clean.start_seconds):.2f}")
        total_kills += kills
        total_lost += lost
        total_dups += dups
    print(f"total_kill_points: {total_kills}")
    print(f"total_lost: {total_lost}")
    print(f"total_duplicates: {total_dups}")
    return 1 if total_lost or total_dups else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs with kills per scenario")
    parser.add_argument("--kills", type=int, default=10, help="kill points per run")
    parser.add_argument("--members", type=int, default=200, help="broadcast DM targets")
    parser.add_argument("--signups", type=int, default=40, help="CAT sign-ups in the burst")
    parser.add_argument("--reminders", type=int, default=60, help="reminders coming due")
    parser.add_argument("--window", type=float, default=60.0, help="seconds they come due over")
    parser.add_argument("--seed", type=int, default=None, help="replay the same kill points")
    a = parser.parse_args()
    started = time.monotonic()
    code = asyncio.run(main(a, a.seed if a.seed is not None else time.time_ns()))
    print(f"bench_seconds: {time.monotonic() - started:.0f}")
    sys.exit(code)
