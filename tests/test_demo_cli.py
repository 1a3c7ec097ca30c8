"""`quizzer demo`, `demo --all`, and `d` in a review session."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer import demos
from quizzer.cli import app
from quizzer.demos.result import DemoResult, below

runner = CliRunner()


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input,
                           env={"QUIZZER_TODAY": "2026-12-01", "COLUMNS": "100"})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("ref", ["9", "swish", "activation-minima"])
def test_demo_by_number_id_or_name(ref: str) -> None:
    code, out, _ = invoke("demo", ref, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["name"] == "activation-minima" and data["card"] == "swish"
    assert {"name", "card", "title", "claims", "seconds"} <= data.keys()
    assert all({"claim", "kind", "key", "value", "expected", "ok"} <= c.keys()
               for c in data["claims"])
    assert all(c["ok"] for c in data["claims"])
    assert {c["kind"] for c in data["claims"]} == {"check", "value"}
    assert data["seed"] == 11


def test_seed_runs_the_demo_at_another_seed() -> None:
    def values(*args: str) -> list[float]:
        code, out, _ = invoke("demo", "4", "--json", *args)
        assert code == 0
        data = json.loads(out)
        return [c["value"] for c in data["claims"]]

    default = values()
    assert values("--seed", "11") == default
    other = values("--seed", "5")
    assert other != default and values("--seed", "5") == other
    code, _, err = invoke("demo", "4", "--seed", "-1")
    assert code == 2 and "Traceback" not in err


def test_demo_shows_sentence_then_key_numbers_then_the_plot() -> None:
    code, out, _ = invoke("demo", "3")
    assert code == 0 and "✔" in out and "checks hold" in out
    sentence = out.index("The sigmoid's derivative is at most 0.25")
    key = out.index("N(0,1) weights: share of pre-activations")
    plot = out.index("┤")  # the plot's axis
    assert sentence < key < plot
    assert "Glorot weights: share" not in out  # not a key number: only with --claims
    assert "expected" not in out
    code, out, _ = invoke("demo", "3", "--no-plot")
    assert code == 0 and "┤" not in out


def test_claims_shows_every_claim_with_its_kind() -> None:
    code, out, _ = invoke("demo", "3", "--no-plot", "--claims")
    assert code == 0
    assert "Glorot weights: share" in out and "expected" in out
    assert "│ check │" in out and "│ value │" in out


def test_extras_demo_by_card_id() -> None:
    code, out, _ = invoke("demo", "clipping-how", "--json")
    assert code == 0 and json.loads(out)["name"] == "gradient-clipping"


def test_demo_all_lists_every_registered_demo() -> None:
    code, out, _ = invoke("demo", "--all", "--json")
    assert code == 0
    runs = json.loads(out)
    assert [r["name"] for r in runs] == list(demos.REGISTRY)
    assert all(r["card"] for r in runs)  # every demo backs a shipped card


def test_unknown_card_is_a_clear_error() -> None:
    code, out, err = invoke("demo", "no-such-card")
    assert code == 1 and out == "" and "no-such-card" in err and err.count("\n") == 1
    code, _, err = invoke("demo")
    assert code == 1 and "--all" in err


@pytest.fixture
def failing_demo(monkeypatch: pytest.MonkeyPatch) -> str:
    """A real demo module whose one claim does not hold, registered like any other."""
    module = types.ModuleType("quizzer.demos.zz_failing")

    def run(rng: object) -> DemoResult:
        return DemoResult("Fails", "A claim that does not hold.",
                          [below("one is below zero", 1.0, 0.0, kind="check")])

    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "quizzer.demos.zz_failing", module)
    monkeypatch.setitem(demos.REGISTRY, "zz-failing", "zz_failing")
    return "zz-failing"


def test_a_failing_claim_exits_1(failing_demo: str) -> None:
    code, out, _ = invoke("demo", failing_demo)
    assert code == 1 and "✘" in out and "FAIL" in out
    code, out, _ = invoke("demo", "--all", "--json")
    assert code == 1
    assert [r["ok"] for r in json.loads(out) if r["name"] == failing_demo] == [False]


def test_d_runs_the_demo_inside_review_then_grades() -> None:
    code, out, _ = invoke("review", input="\nd\n5\nq\n")
    assert code == 0 and "checks hold" in out and re.search(r"Cards decided +1\b", out)


def test_a_deck_cannot_name_an_unregistered_module(tmp_path: Path) -> None:
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "deck.yaml").write_text("id: d\ntitle: T\nsections: [S]\n")
    (deck / "c.yaml").write_text(
        "id: c\nnumber: 1\nsection: S\nquestion: Q?\nanswer: A.\ndemo: q01-overfitting\n")
    code, _, err = invoke("review", "--deck", str(deck))
    assert code == 1 and "c.yaml:6: demo: 'q01-overfitting' is not a known demo" in err


def test_export_command_writes_a_summary(tmp_path: Path) -> None:
    invoke("review", input="my words\n2\nq\n")
    target = tmp_path / "out" / "summary.md"
    target.parent.mkdir()
    code, _, _ = invoke("export", "-o", str(target), "--no-demos", "--include-extras")
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert "## Weakest cards" in text and "my words" in text and "E4." in text
    assert not (tmp_path / "out" / "summary_assets").exists()


def test_export_to_stdout_and_bad_order() -> None:
    code, out, _ = invoke("export", "-o", "-", "--no-demos")
    assert code == 0 and out.startswith("# Study summary")
    code, out, err = invoke("export", "--order", "random")
    assert code == 1 and "--order 'random'" in err and out == ""
