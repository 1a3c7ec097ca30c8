"""Every registered demo: its claims hold, it is deterministic, and its plots render.

Each demo runs once per seed and the results are cached, so the determinism test costs
one extra run per demo and the other tests none.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from functools import cache

import pytest

from quizzer.demos import DEFAULT_SEED, REGISTRY, run
from quizzer.demos.result import DemoResult
from quizzer.ui.plot import render_plot

NAMES = sorted(REGISTRY)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@cache
def result(name: str, seed: int = DEFAULT_SEED) -> DemoResult:
    return run(name, seed)


def failing(res: DemoResult) -> str:
    return "\n".join(
        f"  {c.statement}: measured {c.value_text}, expected {c.expected}"
        for c in res.claims
        if not c.ok
    )


@pytest.mark.parametrize("name", NAMES)
def test_claims_hold(name: str) -> None:
    res = result(name)
    assert res.ok, f"{name}: failing claims:\n{failing(res)}"


@pytest.mark.parametrize("name", NAMES)
def test_has_title_sentence_and_claims(name: str) -> None:
    res = result(name)
    assert res.title.strip()
    assert res.sentence.strip()
    assert len(res.claims) >= 1
    for claim in res.claims:
        assert claim.statement.strip()
        assert isinstance(claim.value, float)
        assert not math.isnan(claim.value), claim.statement


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_result(name: str) -> None:
    # A fresh run (not the cached one) must equal the cached run field for field.
    assert run(name, DEFAULT_SEED) == result(name)


@pytest.mark.parametrize("name", NAMES)
def test_results_hold_plain_floats(name: str) -> None:
    """No numpy scalars or arrays leak into a result (it must serialize without numpy)."""
    res = result(name)
    for plot in res.plots:
        for series in plot.series:
            assert isinstance(series.x, list) and isinstance(series.y, list), series.label
            assert len(series.x) == len(series.y), series.label
            assert len(series.x) <= 400, series.label
            assert all(type(v) is float for v in series.x), series.label
            assert all(type(v) is float for v in series.y), series.label


@pytest.mark.parametrize("name", NAMES)
def test_plots_render_within_80_columns(name: str) -> None:
    for plot in result(name).plots:
        text = render_plot(plot, width=80)
        lines = ANSI.sub("", text).splitlines()
        assert lines, plot.title
        widest = max(len(line) for line in lines)
        assert widest <= 80, f"{plot.title}: a line is {widest} characters wide"


def test_importing_the_registry_does_not_import_numpy() -> None:
    code = "import quizzer.demos, sys; assert 'numpy' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
