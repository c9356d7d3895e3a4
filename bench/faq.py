"""FAQ search: accuracy on the labelled set's halves, and latency beside a rapidfuzz scan.

Run from the repo root: .venv/bin/python bench/faq.py [--half tune|test|both]
Prints `name: value` lines, for each half of tests/faq_labelled.yaml (the search is tuned on
`tune` only; `--half tune` prints that half alone, for tuning without looking at `test`):
- top1_accuracy: the confident answer is right, or there is none for a `none` case (an
  abstention on an answerable case counts as wrong);
- confident_wrong: a confident answer that is not right (count and rate over the half);
- abstention_rate: answerable cases given "not sure" (closest matches) instead of an answer;
- closest_top1: answerable cases whose first closest match is right, confident or not;
- off_topic_confident_answers: `none` cases given a confident answer.
Latency is per question, in milliseconds, of what `/faq` runs (`faq.lookup`: FTS5 + bm25
candidates, typo correction, thesaurus, rescoring, the confidence rule) against a baseline
that scans every question and alias with rapidfuzz's WRatio, over the same entries in the
same run.
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

import yaml
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import faq
from tests.support import T0, fresh_db

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "faq_labelled.yaml"
GUILD, BIG = 1, 2
GENERATED = 2000
ROUNDS = 3

WORDS = (
    "overtime turnaround meal penalty residuals streaming holiday rest period safety "
    "housing per diem travel zone mileage kit rental box rental training hours seniority "
    "roster layoff recall grievance arbitration steward dues initiation health plan "
    "pension contribution vacation sick leave parental weekend night premium hazard "
    "stunt rigging camera sound editing costume makeup lighting paint props grip set "
    "script teacher designer coordinator accountant vfx virtual production ai scanning"
).split()


def generated_entries(n: int) -> str:
    """n plausible FAQ entries (YAML), reproducible."""
    rng = random.Random(7)
    entries = []
    for i in range(n):
        topic = " ".join(rng.sample(WORDS, 3))
        local = rng.choice(["44", "80", "600", "695", "700", "705", "706", "728", "800", "892"])
        entries.append(
            {
                "id": f"gen-{i}",
                "question": f"How does {topic} work for Local {local} members ({i})?",
                "aliases": [f"{rng.choice(WORDS)} {rng.choice(WORDS)} rules {i}"],
                "answer": " ".join(rng.choice(WORDS) for _ in range(40)),
            }
        )
    return yaml.safe_dump({"entries": entries})


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(fn, queries: list[str]) -> list[float]:
    out = []
    for _ in range(ROUNDS):
        for q in queries:
            start = time.perf_counter()
            await fn(q)
            out.append((time.perf_counter() - start) * 1000)
    return out


def expected(case: dict) -> set[str]:
    """The right answers of a case (a list when it asks several things at once)."""
    wanted = case["expect"]
    return set(wanted) if isinstance(wanted, list) else {wanted}


async def report(db, cases: list[dict], half: str, show: bool = False) -> None:
    """One half's figures."""
    right = wrong = abstained = closest_right = off_topic = 0
    answerable = [c for c in cases if expected(c) != {"none"}]
    for c in cases:
        found = await faq.lookup(db, GUILD, c["q"])
        got = found.match.entry.key if found.match else "none"
        right += got in expected(c)
        wrong += got != "none" and got not in expected(c)
        if show and got not in expected(c):
            near = [(m.entry.key, round(m.score, 2)) for m in found.closest[:2]]
            print(f"  MISS {c['q']!r} want={c['expect']} got={got} near={near}")
        if expected(c) == {"none"}:
            off_topic += got != "none"
            continue
        abstained += got == "none"
        first = found.match or (found.closest[0] if found.closest else None)
        closest_right += first is not None and first.entry.key in expected(c)
    print(f"{half}_cases: {len(cases)}")
    print(f"{half}_top1_accuracy: {right / len(cases):.3f}")
    print(f"{half}_confident_wrong: {wrong}")
    print(f"{half}_confident_wrong_rate: {wrong / len(cases):.3f}")
    print(f"{half}_abstention_rate: {abstained / max(len(answerable), 1):.3f}")
    print(f"{half}_closest_top1: {closest_right / max(len(answerable), 1):.3f}")
    print(f"{half}_off_topic_confident_answers: {off_topic}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tune", "test", "both"), default="both")
    parser.add_argument("--no-latency", action="store_true", help="accuracy only")
    parser.add_argument("--show-misses", action="store_true", help="print the wrong cases")
    args = parser.parse_args()
    halves = ("tune", "test") if args.half == "both" else (args.half,)
    db = await fresh_db(Path(tempfile.mkdtemp(prefix="rankfile-bench-")))
    await faq.load_demo(db, GUILD, T0)
    cases = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["cases"]
    queries = [c["q"] for c in cases]
    if args.half != "both":
        cases = [c for c in cases if c["split"] == args.half]

    print(f"labelled_cases: {len(cases)}")
    for half in halves:
        await report(db, [c for c in cases if c["split"] == half], half, args.show_misses)

    # The baseline's accuracy on the same set: best WRatio over questions and aliases.
    demo = await faq.all_entries(db, GUILD)
    choices = {f"{e.key}|{p}": p for e in demo for p in (e.question, *e.aliases)}
    base_right = 0
    for c in cases:
        hit = process.extractOne(c["q"], choices, scorer=fuzz.WRatio, score_cutoff=70)
        got = hit[2].split("|")[0] if hit else "none"
        base_right += got in expected(c)
    print(f"baseline_rapidfuzz_top1_accuracy: {base_right / len(cases):.3f}")

    if args.no_latency:
        await db.close()
        return
    await faq.import_entries(db, BIG, generated_entries(GENERATED), T0)
    await faq.load_demo(db, BIG, T0)
    for name, guild in (("demo", GUILD), ("2000", BIG)):
        entries = await faq.all_entries(db, guild)
        phrasings = {f"{e.id}|{p}": p for e in entries for p in (e.question, *e.aliases)}
        await faq.search(db, guild, "warm up")  # builds the cached index once

        async def ours(q: str, guild: int = guild) -> None:
            await faq.lookup(db, guild, q)

        async def suggest(q: str, guild: int = guild) -> None:
            await faq.suggest(db, guild, q[: max(3, len(q) // 2)])

        async def baseline(q: str, phrasings: dict = phrasings) -> None:
            process.extract(q, phrasings, scorer=fuzz.WRatio, limit=5)

        search_ms = await timed(ours, queries)
        suggest_ms = await timed(suggest, queries)
        base_ms = await timed(baseline, queries)
        print(f"entries_{name}: {len(entries)}")
        for label, values in (
            ("search", search_ms),
            ("autocomplete", suggest_ms),
            ("baseline_rapidfuzz_scan", base_ms),
        ):
            print(f"{label}_{name}_median_ms: {statistics.median(values):.3f}")
            print(f"{label}_{name}_p99_ms: {percentile(values, 99):.3f}")
        ratio = statistics.median(search_ms) / statistics.median(base_ms)
        print(f"search_vs_baseline_{name}_median_ratio: {ratio:.2f}")
    await db.close()


if __name__ == "__main__":
    asyncio.run(main())
