"""Benchmark: run every demo over many seeds and count how often each claim fails.

Run as `python tests/bench_seeds.py [--seeds N] [--start S] [names...]`. For each demo it
prints every claim that failed on any seed (its kind, failure count, and the range of
measured values), then one summary line per demo. A check must hold on at least 299 of
300 seeds. It asserts nothing (exit status 0) unless `--strict` is given, in which case
it exits 1 when a check fails on more than 1 in 300 seeds. Not part of CI: 300 seeds of
all demos take several minutes of CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quizzer.demos import REGISTRY, run


def sweep(name: str, seeds: range) -> tuple[dict[str, list[float]], dict[str, int], dict[str, str]]:
    """Measured values, failure counts and kinds per claim over `seeds`.

    Claims are matched by position (a statement may quote a value drawn from the seed)
    and named by their statement at the first seed.
    """
    values: dict[str, list[float]] = {}
    fails: dict[str, int] = {}
    kinds: dict[str, str] = {}
    names: list[str] = []
    for seed in seeds:
        for i, claim in enumerate(run(name, seed).claims):
            if i == len(names):
                names.append(claim.statement)
            key = names[i]
            values.setdefault(key, []).append(claim.value)
            fails[key] = fails.get(key, 0) + (not claim.ok)
            kinds[key] = claim.kind
    return values, fails, kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="demo names (default: all registered)")
    parser.add_argument("--seeds", type=int, default=300, help="how many seeds")
    parser.add_argument("--start", type=int, default=0, help="the first seed")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a check fails too often")
    parser.add_argument("--verbose", action="store_true", help="show every claim's range")
    args = parser.parse_args(argv)
    seeds = range(args.start, args.start + args.seeds)
    allowed = args.seeds // 300  # 1 in 300
    too_often = []
    total_start = time.perf_counter()
    for name in args.names or list(REGISTRY):
        start = time.perf_counter()
        values, fails, kinds = sweep(name, seeds)
        seconds = time.perf_counter() - start
        for statement, vs in values.items():
            n = fails[statement]
            if n or args.verbose:
                print(f"  {kinds[statement]:5}  {n:3}/{len(vs)} fail  "
                      f"range [{min(vs):.4g}, {max(vs):.4g}]  {statement}")
            if kinds[statement] == "check" and n > allowed:
                too_often.append(f"{name}: {statement}")
        checks = sum(1 for k in kinds.values() if k == "check")
        failed = sum(1 for s, k in kinds.items() if k == "check" and fails[s])
        worst = max((fails[s] for s, k in kinds.items() if k == "check"), default=0)
        print(f"{name:26} {checks:2} checks, {len(kinds) - checks:2} values; "
              f"checks failing on some seed: {failed}; most failures of one check: "
              f"{worst}/{len(seeds)}; {seconds:.1f} s", flush=True)
    print(f"{len(seeds)} seeds in {time.perf_counter() - total_start:.0f} s; "
          f"checks failing on more than {allowed} of {len(seeds)} seeds: {len(too_often)}")
    for line in too_often:
        print(f"  {line}")
    return 1 if args.strict and too_often else 0


if __name__ == "__main__":
    raise SystemExit(main())
