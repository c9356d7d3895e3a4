"""Hostile input at volume: many more hypothesis examples per command than the suite runs.

    /work/venv/bin/python bench/hostile.py [--examples 200] [--only "faq,ask committee"] [--seed N]

For every slash command the bot has (the same walk of the command tree as
tests/hardening/test_hostile_input.py): hostile option values, hostile text in every modal it
opens, its confirm button pressed, deliveries let out; every wire body checked for pings and
embed limits, the bot's error log checked. Prints `name: value` lines: examples and actions
tried, refusals, bodies checked, problems found (should be 0), and the time per action
against a baseline (/help with no input) measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.hardening.harness import SyncRig, Tally, discover
from tests.hardening.hostile import exercise, nasty_pieces


def run_one(rig, spec, pieces, tally, per_action, failures, args) -> None:
    """Many hostile examples of one command; a failing one is reported, not raised."""

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(data=st.data(), over=st.integers(0, 9))
    def one(data, over):
        before = tally.actions
        t = time.perf_counter()
        problems = exercise(data.draw, rig, spec, pieces, tally, over=over == 0)
        if tally.actions > before:
            per_action.append((time.perf_counter() - t) / (tally.actions - before))
        assert not problems, "\n".join(problems)

    if args.seed is not None:
        one = seed(args.seed)(one)
    try:
        one()
    except Exception as exc:  # report and go on to the next command
        failures.append(f"/{spec.name}: {str(exc)[:2000]}")
        print(f"problem in /{spec.name}:\n{str(exc)[:2000]}", file=sys.stderr)


def main() -> int:
    warnings.filterwarnings("ignore", message="Tight layout not applied")  # charts of long names
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per command")
    parser.add_argument("--only", default="", help="comma-separated command names")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    specs = [s for s in discover() if not only or s.name in only]
    tally = Tally()
    failures: list[str] = []
    per_action: list[float] = []
    baseline: list[float] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, SyncRig(Path(tmp)) as rig:
        d = rig.demo
        pieces = nasty_pieces(list(d.roles.values()), list(d.users.values()))
        for _ in range(50):
            t = time.perf_counter()
            rig.run(rig.driver.invoke("erin", "help"))
            baseline.append(time.perf_counter() - t)
        for spec in specs:
            rig.fake.open_modals.clear()
            run_one(rig, spec, pieces, tally, per_action, failures, args)
    elapsed = time.perf_counter() - started

    elapsed = time.perf_counter() - started
    print(f"commands: {len(specs)}")
    print(f"examples: {tally.examples}")
    print(f"actions: {tally.actions}")
    print(f"refused_with_a_message: {tally.refused}")
    print(f"bodies_checked: {tally.bodies_checked}")
    print(f"commands_with_problems: {len(failures)}")
    med = statistics.median(per_action) if per_action else 0.0
    p99 = (
        statistics.quantiles(per_action, n=100)[98]
        if len(per_action) >= 100
        else max(per_action or [0])
    )
    base = statistics.median(baseline)
    print(f"hostile_action_median_ms: {med * 1000:.1f}")
    print(f"hostile_action_p99_ms: {p99 * 1000:.1f}")
    print(f"baseline_help_median_ms: {base * 1000:.1f}")
    print(f"ratio_hostile_to_baseline: {med / base:.2f}")
    print(f"elapsed_s: {elapsed:.1f}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
