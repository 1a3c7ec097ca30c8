"""Benchmark: the time to commit one grade (Store.record), in process.

Prints the median and 90th percentile of 200 commits on a fresh file database, and the
journal mode and synchronous level the store runs with. Run: python tests/bench_store.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from quizzer.model import Event
from quizzer.scheduler import NEW, review
from quizzer.store import Store

N = 200


def main() -> None:
    day = date(2026, 5, 1)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        times: list[float] = []
        for i in range(N):
            after = review(NEW, 4, day)
            ev = Event(f"card-{i}", "schedule", 4, day, NEW, after, "typed answer", 3.0)
            start = time.perf_counter()
            store.record("bench", ev, datetime(2026, 5, 1, 9) + timedelta(seconds=i))
            times.append(time.perf_counter() - start)
        pragmas = store.pragmas() if hasattr(store, "pragmas") else {}
    times.sort()
    print(f"Store.record x{N}: median {statistics.median(times) * 1000:.2f} ms, "
          f"p90 {times[int(N * 0.9)] * 1000:.2f} ms  {pragmas}")


if __name__ == "__main__":
    main()
