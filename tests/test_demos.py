"""Every registered demo: its claims hold (at 20 seeds), it is deterministic, every claim
declares its kind with at least one real check, and its plots render readably at 80
columns: round ticks, labels never cut, colour only on the data.

Each demo runs once per seed and the results are cached, so the determinism test costs
one extra run per demo and the other tests none. The 20-seed test takes about 20 s;
tests/bench_seeds.py runs the full 300-seed sweep.
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import sys
from functools import cache

import pytest

from quizzer.demos import DEFAULT_SEED, REGISTRY, run
from quizzer.demos.result import CHECK, VALUE, DemoResult, Plot, Series
from quizzer.ticks import log_ticks, nice_ticks
from quizzer.ui.plot import PALETTE, render_plot

NAMES = sorted(REGISTRY)
SEEDS = range(1, 21)
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


@pytest.mark.parametrize("name", NAMES)
def test_every_claim_declares_its_kind_and_a_real_check_remains(name: str) -> None:
    res = result(name)
    assert all(c.kind in (CHECK, VALUE) for c in res.claims)
    assert res.checks, f"{name} has no claim that a wrong card would fail"


@pytest.mark.parametrize("name", NAMES)
def test_two_to_four_key_numbers(name: str) -> None:
    keys = [c for c in result(name).claims if c.key]
    assert 2 <= len(keys) <= 4, [c.statement for c in keys]


@pytest.mark.parametrize("name", NAMES)
def test_claims_hold_at_20_seeds(name: str) -> None:
    failing_at = {seed: failing(res) for seed in SEEDS if not (res := run(name, seed)).ok}
    assert not failing_at, f"{name}: claims fail at seeds {failing_at}"


def test_a_seed_changes_a_seeded_demo() -> None:
    assert run("symmetry-breaking", 1).claims != run("symmetry-breaking", 2).claims


def test_the_bn_identity_check_can_fail() -> None:
    """BN_eps(aX + b) = BN_{eps/a^2}(X) holds to 1e-9; with eps left unscaled it does not."""
    import numpy as np

    from quizzer.demos.q11_batch_norm import EPS, _gap

    x = np.random.default_rng(0).standard_normal((64, 3))
    assert _gap(x, 7.0, -4.0, EPS / 49) < 1e-9
    assert _gap(x, 7.0, -4.0, EPS) > 1e-4
    assert _gap(x, -7.0, 3.0, EPS / 49) < 1e-9
    claims = {c.statement.split(" (")[0]: c for c in result("batch-norm-statistics").claims}
    identity = next(c for s, c in claims.items() if s.startswith("BN with ε of aX + b"))
    assert identity.kind == CHECK
    unit = next(c for s, c in claims.items() if s.startswith("Unit-scale data"))
    assert unit.kind == VALUE and 2e-4 < unit.value < 1e-2


def _rendered(name: str) -> list[str]:
    return [ANSI.sub("", render_plot(p, width=80)) for p in result(name).plots]


def _tick_labels(text: str) -> list[str]:
    """The y-axis tick labels: what stands before each '┤'."""
    return [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]


@pytest.mark.parametrize("name", NAMES)
def test_plot_titles_and_axis_labels_are_never_cut(name: str) -> None:
    for plot, text in zip(result(name).plots, _rendered(name), strict=True):
        flat = " ".join(text.split())
        assert " ".join(plot.title.split()) in flat
        assert plot.xlabel in flat and plot.ylabel in flat
        assert "…" not in flat


@pytest.mark.parametrize("name", NAMES)
def test_y_ticks_are_round(name: str) -> None:
    for plot, text in zip(result(name).plots, _rendered(name), strict=True):
        labels = _tick_labels(text)
        assert labels, plot.title
        values = sorted({float(v) for v in labels})
        if plot.log_y:
            assert all(math.log10(v).is_integer() for v in values), labels
            continue
        if len(values) < 2:
            continue
        step = min(b - a for a, b in itertools.pairwise(values))
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 5, 10)), labels
        assert all(math.isclose(v / step, round(v / step), abs_tol=1e-6) for v in values), labels


def test_nice_and_log_ticks() -> None:
    assert nice_ticks(1, 20) == [1, 5, 10, 15, 20]
    assert nice_ticks(-1.95, 2.2) == [-2, -1, 0, 1, 2] or nice_ticks(-1.95, 2.2) == [0, 2]
    assert nice_ticks(0.513, 0.689) == [0.55, 0.6, 0.65]
    assert log_ticks(-12.3, 0.4) == ([-10.0, -5.0, 0.0], ["1e-10", "1e-5", "1"])
    assert log_ticks(0, 3)[1] == ["1", "10", "100", "1000"]


def test_relus_flat_part_is_not_on_a_tick_row() -> None:
    # ReLU is 0 for every z < 0: a "0┤" row would draw it into the axis.
    text = _rendered("activation-mechanisms")[0]
    assert "0" not in _tick_labels(text)
    assert len(_tick_labels(text)) >= 2


def test_swish_gets_its_own_panel_with_its_minimum() -> None:
    text = _rendered("activation-minima")[0]
    lines = text.splitlines()
    titles = [i for i, line in enumerate(lines) if line.strip() in ("Swish", "GELU", "Mish")]
    assert [lines[i].strip() for i in titles] == ["Swish", "GELU", "Mish"]
    swish_panel = "\n".join(lines[titles[0]:titles[1]])
    assert "x" in swish_panel  # Swish's minimum marker is drawn in Swish's own panel
    assert "⠶ Swish" in text and "x Swish min (-1.278, -0.278)" in text


def test_batch_norm_depth_lines_do_not_collapse() -> None:
    """Without BN the three lines span 1e-50 to 1e50; with BN each gets its own panel."""
    without, with_bn = result("batch-norm-depth").plots
    assert without.log_y and not with_bn.log_y and with_bn.panels
    text = _rendered("batch-norm-depth")[1]
    panels = [line.strip() for line in text.splitlines() if line.strip().endswith("× He")]
    assert panels[:3] == ["0.1× He", "1× He", "10× He"]


def test_colour_is_only_on_the_data_and_never_black() -> None:
    plot = result("activation-minima").plots[0]
    text = render_plot(plot, width=80, color=True)
    codes = set(re.findall(r"\x1b\[([0-9;]*)m", text))
    allowed = {"0", ""} | {f"38;5;{c}" for c in PALETTE}
    assert codes <= allowed, codes - allowed
    assert any(c.startswith("38;5;") for c in codes)
    for line in text.splitlines():  # the frame rows carry no colour at all
        if "┌" in line or "└" in line:
            assert set(re.findall(r"\x1b\[([0-9;]*)m", line)) <= {"0"}, line


def test_marked_points_take_their_lines_colour() -> None:
    plot = Plot("t", "x", "y", [Series([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "curve"),
                                 Series([1.0], [1.0], "its top", marks="curve"),
                                 Series([0.0, 1.0, 2.0], [1.0, 0.0, 1.0], "other")])
    text = render_plot(plot, width=60, color=True)
    first, second = PALETTE[0], PALETTE[1]
    assert f"38;5;{first}mx" in text  # the marker glyph drawn in the curve's colour
    assert f"38;5;{second}m" in text
