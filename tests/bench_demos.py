"""Benchmark: the median run time of every registered demo.

Run as `python tests/bench_demos.py [--runs R] [--seed S] [--blas-threads N] [names...]`.
It prints one line per demo (median over R runs, after one warm-up run) and the total of
the medians. It asserts nothing; a demo whose module is missing or that raises is
reported and skipped. `--blas-threads 1` sets OPENBLAS_NUM_THREADS (and the OpenMP/MKL
equivalents) before numpy is imported, to compare against multithreaded BLAS, which
slows small matrix products badly when another process keeps a core busy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quizzer.demos import DEFAULT_SEED, REGISTRY, run


def time_demo(name: str, runs: int, seed: int) -> tuple[float, bool]:
    """Median wall time in seconds over `runs` runs, and whether all claims held."""
    result = run(name, seed)  # warm-up: imports numpy and the module
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run(name, seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="demo names (default: all registered)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per demo")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--blas-threads", type=int, default=None, help="BLAS threads (default: environment's)"
    )
    args = parser.parse_args(argv)
    if args.blas_threads is not None:
        if "numpy" in sys.modules:
            print("warning: numpy already imported; --blas-threads has no effect")
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)

    names = args.names or list(REGISTRY)
    width = max(len(n) for n in names)
    total = 0.0
    for name in names:
        try:
            median, ok = time_demo(name, args.runs, args.seed)
        except Exception as exc:  # report and go on: a benchmark, not a test
            print(f"{name:<{width}}  {'-':>9}  error: {type(exc).__name__}: {exc}")
            continue
        total += median
        flag = "" if ok else "  (claims FAIL)"
        print(f"{name:<{width}}  {median * 1000:7.1f} ms{flag}")
    print(f"{'total':<{width}}  {total * 1000:7.1f} ms  (sum of medians, {args.runs} runs each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
