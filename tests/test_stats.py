"""Statistics: a scripted 40-day history, checked field by field against the test's own sums.

Rule: the expected values are computed here from the script (the scheduler only replays
the grades into states); nothing in this file's expectations calls quizzer.stats.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from quizzer import stats
from quizzer.cli import DEFAULT_LEECH_LAPSES, DEFAULT_STATS_DAYS, app
from quizzer.demos.result import DemoResult
from quizzer.model import Event
from quizzer.paths import resolve_deck
from quizzer.scheduler import NEW, State, review
from quizzer.store import Store
from tests.helpers import card

TODAY = date(2026, 12, 1)  # a Tuesday
D0 = TODAY - timedelta(days=39)  # the history covers 40 review days: D0 .. TODAY
runner = CliRunner()


def alternate(days: int) -> list[tuple[int, int]]:
    """4, 1, 4, 1, ... on consecutive days from day 0: each 1 after a 4 is a lapse."""
    return [(d, 4 if d % 2 == 0 else 1) for d in range(days)]


# card id -> deciding grades as (day offset from D0, grade). Each grade below 4 is
# followed the same day by re-drills (DRILLS, default one 4), as the session does.
SCRIPT: dict[str, list[tuple[int, int]]] = {
    "deep-net-problems": alternate(10),  # 5 lapses, last one on day 9: overdue since day 10
    "vanishing-gradients": [*alternate(8), (8, 5), (9, 5), (15, 4), (32, 3)],  # 4 lapses, mature
    "sigmoid-vanishing": [*alternate(6), (6, 3), (7, 4), (13, 4), (28, 5)],  # 3 lapses
    "transfer-learning": [(0, 4), (1, 4), (7, 4), (22, 4)],  # 1, 6, 15, 38 days: mature
    "dropout": [(2, 5), (3, 5), (9, 5), (26, 5)],  # 1, 6, 17, 50 days: mature, due later
    "selu": [(d, 2) for d in range(25, 40)],  # every day from day 25: the current streak
    "l1-l2-regularization": [(12, 3), (13, 4), (19, 2), (20, 4), (26, 4), (39, 5)],
    "swish": [(39, 3)],  # new today: its first grade never counts for retention
    "gone": [(30, 1), (31, 4), (35, 1)],  # a card no longer in the deck: ignored
}
DRILLS: dict[tuple[str, int], list[int]] = {
    ("selu", 39): [2, 3],  # still in today's re-drill
    ("vanishing-gradients", 32): [1, 5],
}


def seconds_for(kind: str, grade: int, i: int) -> float:
    """Known, distinct seconds: halves so that sums are exact in binary floating point."""
    return 6.5 + i if kind == "drill" else 10.0 + 3 * grade


@dataclass(frozen=True)
class Row:
    card: str
    day: date
    grade: int
    kind: str
    seconds: float


def script_rows() -> list[Row]:
    rows = []
    for cid, grades in SCRIPT.items():
        for offset, g in grades:
            day = D0 + timedelta(days=offset)
            rows.append(Row(cid, day, g, "schedule", seconds_for("schedule", g, 0)))
            if g < 4:
                for i, drill in enumerate(DRILLS.get((cid, offset), [4])):
                    rows.append(Row(cid, day, drill, "drill", seconds_for("drill", drill, i)))
    rows.sort(key=lambda r: r.day)  # stable: each card's rows keep their order
    return rows


def write_history(db: Path) -> dict[str, State]:
    """Store the script through the real Store; return the states the scheduler gives."""
    states: dict[str, State] = {}
    with Store.open(db) as store:
        for i, r in enumerate(script_rows()):
            before = states.get(r.card, NEW)
            after = review(before, r.grade, r.day) if r.kind == "schedule" else before
            states[r.card] = after
            kind = "drill" if r.kind == "drill" else "schedule"
            ev = Event(r.card, kind, r.grade, r.day, before, after, "", r.seconds)
            store.record("ch11", ev, datetime.combine(r.day, time(10)) + timedelta(seconds=i))
    return states


def ch11() -> Any:
    from quizzer.cards import load_deck
    from quizzer.demos import REGISTRY

    return load_deck(resolve_deck("ch11"), known_demos=REGISTRY)


# -- the expectations, computed independently ------------------------------------------


def pct(passed: int, total: int) -> float | None:
    return round(100 * passed / total, 1) if total else None


def expected_json(final: dict[str, State], days: int = 112,
                  threshold: int = 4) -> dict[str, Any]:
    deck = ch11()
    ids = [c.id for c in deck.cards]
    rows = [r for r in script_rows() if r.card in ids]
    first_day: dict[str, date] = {}
    for r in rows:
        first_day.setdefault(r.card, r.day)
    deciding = [r for r in rows if r.kind == "schedule" and r.day > first_day[r.card]]

    def ret(rs: list[Row]) -> float | None:
        return pct(sum(1 for r in rs if r.grade >= 3), len(rs))

    window = [TODAY - timedelta(days=days - 1 - i) for i in range(days)]
    reviews = {d.isoformat(): sum(1 for r in rows if r.day == d) for d in window}
    seconds = {d.isoformat(): round(sum(r.seconds for r in rows if r.day == d), 1)
               for d in window}
    review_days = {r.day for r in rows}
    streak = 0
    d = TODAY if TODAY in review_days else TODAY - timedelta(days=1)
    while d in review_days:
        streak += 1
        d -= timedelta(days=1)
    last30 = [r for r in deciding if TODAY - timedelta(days=29) <= r.day <= TODAY]
    by_week: dict[str, list[Row]] = {}
    monday = window[0] - timedelta(days=window[0].weekday())
    while monday <= TODAY:
        by_week[monday.isoformat()] = [r for r in deciding if r.day in window
                                       and monday <= r.day <= monday + timedelta(days=6)]
        monday += timedelta(days=7)
    states = {cid: final.get(cid, NEW) for cid in ids}
    forecast = {(TODAY + timedelta(days=i)).isoformat(): 0 for i in range(30)}
    for s in states.values():
        if s.due is not None:
            key = max(s.due, TODAY).isoformat()
            if key in forecast:
                forecast[key] += 1
    sections = []
    for name in deck.meta.sections:
        in_section = [c.id for c in deck.cards if c.section == name]
        sections.append({
            "section": name, "cards": len(in_section),
            "mature": sum(1 for cid in in_section if states[cid].interval >= 21),
            "retention": ret([r for r in last30 if r.card in in_section]),
        })
    return {
        "today": TODAY.isoformat(),
        "cards": {
            "new": sum(1 for s in states.values() if s.due is None),
            "young": sum(1 for s in states.values() if s.due and s.interval < 21),
            "mature": sum(1 for s in states.values() if s.due and s.interval >= 21),
            "leech": sum(1 for s in states.values() if s.lapses >= threshold),
        },
        "reviews_by_day": reviews,
        "seconds_by_day": seconds,
        "streak": streak,
        "retention": {"last_30_days": ret(last30),
                      "by_week": {k: ret(v) for k, v in by_week.items()}},
        "forecast": forecast,
        "sections": sections,
        "leeches": [c.id for c in deck.cards if states[c.id].lapses >= threshold],
    }


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"QUIZZER_TODAY": TODAY.isoformat(),
                                                 "COLUMNS": "80", **(env or {})})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def stats_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    code, out, err = invoke("stats", "--json", *args, env=env)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


@pytest.fixture
def history(isolated_env: Path) -> dict[str, State]:
    return write_history(isolated_env)


# -- stats --json ----------------------------------------------------------------------


def test_every_field_of_stats_json_matches_the_script(history: dict[str, State]) -> None:
    got = stats_json()
    want = expected_json(history)
    assert list(got) == list(want)  # the documented keys, in the documented order
    for key in want:
        assert got[key] == want[key], key
    # The script was written to these facts; check them by hand as well.
    assert got["cards"] == {"new": 19 - 8, "young": 4, "mature": 4, "leech": 2}
    assert got["leeches"] == ["deep-net-problems", "vanishing-gradients"]
    assert got["streak"] == 15  # selu every day from day 25 to today
    assert len(got["reviews_by_day"]) == DEFAULT_STATS_DAYS
    assert got["reviews_by_day"]["2026-12-01"] == 6  # selu + 2 drills, l1-l2, swish + 1 drill
    assert got["seconds_by_day"]["2026-12-01"] == 16 + 6.5 + 7.5 + 25 + 19 + 6.5
    assert got["retention"]["by_week"]["2026-08-10"] is None  # no data: null, never 0
    assert list(got["retention"]["by_week"])[-1] == "2026-11-30"
    assert got["forecast"]["2026-12-01"] == 1  # deep-net-problems, due since 2026-11-02
    assert len(got["forecast"]) == 30


def test_days_option_narrows_the_window(history: dict[str, State]) -> None:
    got = stats_json("--days", "10")
    want = expected_json(history, days=10)
    assert got == want
    assert list(got["reviews_by_day"]) == [
        (TODAY - timedelta(days=9 - i)).isoformat() for i in range(10)]
    assert list(got["retention"]["by_week"]) == ["2026-11-16", "2026-11-23", "2026-11-30"]


def test_empty_database_has_no_retention_and_no_streak() -> None:
    got = stats_json()
    assert got["cards"] == {"new": 19, "young": 0, "mature": 0, "leech": 0}
    assert got["streak"] == 0 and got["leeches"] == []
    assert got["retention"]["last_30_days"] is None
    assert set(got["retention"]["by_week"].values()) == {None}
    assert all(s["retention"] is None for s in got["sections"])
    assert set(got["forecast"].values()) == {0}


# -- leeches ---------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "leeches"), [
    (3, ["deep-net-problems", "vanishing-gradients", "sigmoid-vanishing"]),
    (4, ["deep-net-problems", "vanishing-gradients"]),
    (5, ["deep-net-problems"]),
    (6, []),
])
def test_leech_threshold_edges(history: dict[str, State], threshold: int,
                               leeches: list[str]) -> None:
    lapses = {cid: history[cid].lapses for cid in
              ("deep-net-problems", "vanishing-gradients", "sigmoid-vanishing")}
    assert lapses == {"deep-net-problems": 5, "vanishing-gradients": 4, "sigmoid-vanishing": 3}
    by_option = stats_json("--leech-lapses", str(threshold))
    by_env = stats_json(env={"QUIZZER_LEECH_LAPSES": str(threshold)})
    assert by_option["leeches"] == by_env["leeches"] == leeches
    assert by_option["cards"]["leech"] == len(leeches)
    code, out, _ = invoke("cards", "--json", "--leech-lapses", str(threshold))
    assert code == 0
    assert [c["id"] for c in json.loads(out) if c["leech"] is True] == leeches
    code, out, _ = invoke("export", "-o", "-", "--no-demos", "--leech-lapses", str(threshold))
    assert code == 0
    assert f"| Leeches ({threshold} or more lapses) | {len(leeches)} |" in out
    weakest = out.split("## Weakest cards")[1].split("\n## ")[0]
    assert weakest.count("| leech") == len(leeches)


def test_leech_default_matches_the_cli_and_is_never_suspended(
    history: dict[str, State],
) -> None:
    assert DEFAULT_LEECH_LAPSES == stats.LEECH_LAPSES == 4
    assert DEFAULT_STATS_DAYS == stats.HEATMAP_DAYS == 112
    # deep-net-problems is a leech and overdue: it is still in today's queue.
    code, out, _ = invoke("due", "--json")
    assert code == 0 and json.loads(out)["due"] >= 1
    # Today's re-drill of selu comes first; grade it 5, then reveal the next card and quit.
    result = runner.invoke(app, ["review"], input="\n5\n\nq\n",
                           env={"QUIZZER_TODAY": TODAY.isoformat(), "COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "#1 deep-net-problems" in line)
    flag, question = lines[at + 1 : at + 3]
    assert "⚑" not in "".join(lines[:at])  # selu (no lapses) carries no flag
    assert flag.startswith("⚑ Leech: 5 lapses (threshold 4). Run its demo (overfitting-small-data")
    assert question == ch11().cards[0].question.strip()


def test_leech_advice_names_what_the_card_has() -> None:
    plain = card(1)
    assert stats.leech_advice(plain, State(lapses=3), 4) is None
    advice = stats.leech_advice(plain, State(lapses=4, due=TODAY), 4)
    assert advice == ("Leech: 4 lapses (threshold 4). Re-read the reference answer, rewrite "
                      "the card in your own words if it still does not stick.")
    rich = plain.model_copy(update={"demo": "dropout-scaling", "correction": "Fixed."})
    advice = stats.leech_advice(rich, State(lapses=1), 1)
    assert advice is not None and advice.startswith(
        "Leech: 1 lapse (threshold 1). Run its demo (dropout-scaling, d at the grade prompt), "
        "re-read the correction, ")


# -- the pieces ------------------------------------------------------------------------


def test_current_streak_waits_for_today_and_longest_is_kept() -> None:
    days = [TODAY - timedelta(days=n) for n in (1, 2, 3, 7, 8, 9, 10, 11)]
    assert stats.streaks(days, TODAY) == (3, 5)  # today not reviewed yet: not broken
    assert stats.streaks([*days, TODAY], TODAY) == (4, 5)
    assert stats.streaks(days, TODAY + timedelta(days=1)) == (0, 5)
    assert stats.streaks([], TODAY) == (0, 0)


def test_forecast_runs_to_the_exam_date_and_counts_overdue_on_today() -> None:
    states = [State(due=TODAY - timedelta(days=3), interval=1), State(due=TODAY, interval=1),
              State(due=TODAY + timedelta(days=45), interval=50), NEW]
    short = stats.forecast(states, TODAY, TODAY + timedelta(days=29))
    assert len(short) == 30 and short[TODAY] == 2 and sum(short.values()) == 2
    exam = stats.forecast(states, TODAY, TODAY + timedelta(days=45))
    assert len(exam) == 46 and exam[TODAY + timedelta(days=45)] == 1


def test_retention_is_none_without_data_never_zero() -> None:
    assert stats.Ratio().percent is None
    assert stats.Ratio(0, 3).percent == 0.0
    assert stats.Ratio(2, 3).percent == 66.7


# -- the export agrees -----------------------------------------------------------------


def test_export_overview_agrees_with_stats(history: dict[str, State]) -> None:
    got = stats_json()
    code, md, _ = invoke("export", "-o", "-", "--no-demos")
    assert code == 0

    def cell(label: str) -> str:
        match = re.search(rf"^\| {re.escape(label)} \| ([^|]+) \|$", md, re.M)
        assert match, label
        return match.group(1)

    assert int(cell("New (never reviewed)")) == got["cards"]["new"]
    assert int(cell("Young (interval < 21 days)")) == got["cards"]["young"]
    assert int(cell("Mature (interval ≥ 21 days)")) == got["cards"]["mature"]
    assert int(cell("Leeches (4 or more lapses)")) == got["cards"]["leech"]
    assert cell("Retention, last 30 days").startswith(f"{got['retention']['last_30_days']:.1f}%")
    for i, (day, n) in enumerate(list(got["forecast"].items())[:7]):
        tag = "today" if i == 0 else "tomorrow" if i == 1 else \
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[date.fromisoformat(day).weekday()]
        assert f"| {day} ({tag}) | {n} |" in md


def test_export_writes_the_heatmap_and_forecast_figures(
    history: dict[str, State], tmp_path: Path,
) -> None:
    from quizzer.export import DeckData, write_export

    deck = ch11()
    with Store.open(tmp_path / "data" / "quizzer.db") as store:
        part = DeckData(deck, store.states("ch11"), store.history("ch11"))
    drawn: dict[str, dict[str, int]] = {}

    def save_chart(kind: str, s: stats.DeckStats, path: Path) -> None:
        data = s.reviews_by_day if kind == "heatmap" else s.forecast
        drawn[kind] = {d.isoformat(): n for d, n in data.items()}
        path.write_bytes(b"\x89PNG")

    out = tmp_path / "s.md"
    write_export(out, [part], TODAY, run_demo=lambda name: DemoResult("t", "s", ()),
                 save_plot=lambda p, path: None, save_chart=save_chart)
    text = out.read_text(encoding="utf-8")
    assert "![Reviews per day, last 112 days: ch11](s_assets/progress-ch11-heatmap.png)" in text
    assert "![Reviews due, next 30 days: ch11](s_assets/progress-ch11-forecast.png)" in text
    got = stats_json()
    assert drawn == {"heatmap": got["reviews_by_day"], "forecast": got["forecast"]}


def test_real_progress_figures_are_pngs_and_deterministic(tmp_path: Path) -> None:
    from quizzer.figures import save_forecast, save_heatmap

    counts = {TODAY - timedelta(days=i): i % 5 for i in range(112)}
    due = {TODAY + timedelta(days=i): (i * 7) % 4 for i in range(30)}
    for name, draw in (("h", lambda p: save_heatmap(counts, p, "t")),
                       ("f", lambda p: save_forecast(due, p, "t"))):
        a, b = tmp_path / f"{name}1.png", tmp_path / f"{name}2.png"
        draw(a)
        draw(b)
        assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert a.read_bytes() == b.read_bytes()


# -- the terminal screen ---------------------------------------------------------------


def test_stats_screen_fits_80_columns_without_color(history: dict[str, State]) -> None:
    code, out, _ = invoke("stats", env={"NO_COLOR": "1"})
    assert code == 0
    assert "\x1b[" not in out
    lines = out.splitlines()
    # Into a pipe a sentence is kept on one line, for scripts; the layout fits 80 columns.
    assert max(len(line) for line in lines if not line.endswith(".")) <= 80
    text = "\n".join(lines)
    for heading in ("Cards by state", "Reviews per day, last 112 days", "current streak 15",
                    "Minutes per day", "True retention, last 30 days",
                    "Retention per week", "Reviews due per day", "Mastery per section",
                    "Leeches (a card is a leech at 4 lapses"):
        assert heading in text, heading
    assert "2026-08-10 –" in " ".join(text.split())  # a week without data shows "–"


def test_stats_heatmap_marks_each_day_with_its_level(history: dict[str, State]) -> None:
    rows = script_rows()
    ids = {c.id for c in ch11().cards}
    per_day: dict[date, int] = defaultdict(int)
    for r in rows:
        if r.card in ids:
            per_day[r.day] += 1
    window = {TODAY - timedelta(days=i): per_day.get(TODAY - timedelta(days=i), 0)
              for i in range(112)}
    from quizzer.ui.stats import heatmap

    text = heatmap(window, 80).plain.splitlines()
    grid = [line[4:] for line in text[1:8]]
    top = max(window.values())
    glyphs = "·░▒▓█"
    for day, n in window.items():
        start = min(window) - timedelta(days=min(window).weekday())
        offset = (day - start).days
        level = 0 if n == 0 else -(-4 * n // top)
        assert grid[offset % 7][2 * (offset // 7)] == glyphs[level], day


@pytest.mark.parametrize("top", [1, 3, 4, 7, 9, 40])
def test_heatmap_legend_ranges_hold_the_days_drawn_with_them(top: int) -> None:
    from quizzer.ui.stats import heatmap

    window = {TODAY - timedelta(days=i): (i * 5) % (top + 1) for i in range(112)}
    text = heatmap(window, 80).plain.splitlines()
    legend = dict(re.findall(r"(\S) (\d+(?:–\d+)?|none)", text[-1]))
    ranges = {}
    for glyph, what in legend.items():
        bounds = [0] if what == "none" else [int(x) for x in what.split("–")]
        ranges[glyph] = (bounds[0], bounds[-1])
    start = min(window) - timedelta(days=min(window).weekday())
    for day, n in window.items():
        offset = (day - start).days
        glyph = text[1 + offset % 7][4 + 2 * (offset // 7)]
        lo, hi = ranges[glyph]
        assert lo <= n <= hi, (day, n, glyph, legend)


def test_stats_forecast_runs_to_the_exam_date_set_by_plan(history: dict[str, State]) -> None:
    exam = TODAY + timedelta(days=45)  # past the default 30-day horizon
    code, _, err = invoke("plan", "--exam", exam.isoformat())
    assert code == 0, err
    forecast = stats_json()["forecast"]
    assert min(forecast) == TODAY.isoformat()
    assert max(forecast) == exam.isoformat()
    assert len(forecast) == 46
    code, _, err = invoke("plan", "--clear")
    assert code == 0, err
    assert len(stats_json()["forecast"]) == 30


# -- the store's digest of the log (export reads) --------------------------------------

# Re-drills with typed answers, added to the script: a blank answer (by str.strip(), so
# also one of Unicode spaces) never counts as the card's last answer.
ANSWERS: list[tuple[str, int, str]] = [
    ("dropout", 26, "drops units at random"),
    ("dropout", 26, " \u00a0\u2003\x1c\n"),  # blank: the answer above stays the last one
    ("selu", 39, "self-normalizing"),
    ("selu", 39, "\t"),
    ("swish", 39, "x·sigmoid(βx)"),
    ("gone", 35, "a card no longer in the deck"),
    ("transfer-learning", 22, "\u3000"),  # only blank answers: none
]


def add_answers(db: Path, states: dict[str, State]) -> None:
    with Store.open(db) as store:
        events = []
        for i, (cid, offset, answer) in enumerate(ANSWERS):
            day = D0 + timedelta(days=offset)
            s = states[cid]
            events.append((Event(cid, "drill", 4, day, s, s, answer, 2.5 + i),
                           datetime.combine(day, time(23, 59))))
        store.import_history("ch11", events)


def test_blank_answers_in_sql_are_what_str_strip_calls_blank() -> None:
    import sys

    from quizzer.store import _BLANK_CHARS

    codes = [int(n) for n in _BLANK_CHARS.removeprefix("char(").removesuffix(")").split(",")]
    assert {chr(n) for n in codes} == {
        c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


def test_the_stores_log_digest_equals_the_digest_of_the_whole_log(
    history: dict[str, State], isolated_env: Path,
) -> None:
    from quizzer.cli import _log_digest

    add_answers(isolated_env, history)
    deck = ch11()
    ids = {c.id for c in deck.cards}
    with Store.open(isolated_env) as store:
        got = _log_digest(store, "ch11", ids, TODAY)
        want = stats.digest(store.history("ch11"), TODAY, ids)
        states = store.states("ch11")
    assert got == want
    # What the additions are there to check, so that the comparison is not vacuous.
    assert "gone" not in got.cards and len(got.cards) == len(SCRIPT) - 1
    last_answers = {c: (log.last_answer.answer if log.last_answer else None)
                    for c, log in got.cards.items() if c in {a[0] for a in ANSWERS}}
    assert last_answers == {"dropout": "drops units at random", "selu": "self-normalizing",
                            "swish": "x·sigmoid(βx)", "transfer-learning": None}
    assert got.by_day[D0 + timedelta(days=35)].reviews == sum(
        1 for r in script_rows() if r.day == D0 + timedelta(days=35) and r.card != "gone")
    assert stats.digest_stats(deck.cards, states, got) == stats.deck_stats(
        deck.cards, states, store_history(isolated_env), TODAY)


def store_history(db: Path) -> list[Any]:
    with Store.open(db) as store:
        return store.history("ch11")


def test_cli_export_from_the_stores_digest_equals_the_export_of_the_whole_log(
    history: dict[str, State], isolated_env: Path, tmp_path: Path,
) -> None:
    from quizzer.export import DeckData, build_summary

    add_answers(isolated_env, history)
    code, out, err = invoke("export", "--no-demos", "-o", "-")
    assert code == 0, err
    with Store.open(isolated_env) as store:
        part = DeckData(ch11(), store.states("ch11"), store.history("ch11"))
    assert out == build_summary([part], TODAY)
    assert "drops units at random" in out


@pytest.mark.parametrize("days", [1, 30, stats.HEATMAP_DAYS, 400])
def test_cli_stats_from_the_stores_digest_equal_the_stats_of_the_whole_log(
    history: dict[str, State], isolated_env: Path, days: int,
) -> None:
    """`quizzer stats` reads the log reduced in SQL; it says what the statistics of the
    whole log say, for any --days."""
    add_answers(isolated_env, history)
    code, out, err = invoke("stats", "--json", "--days", str(days))
    assert code == 0, err
    deck = ch11()
    with Store.open(isolated_env) as store:
        want = stats.deck_stats(deck.cards, store.states("ch11"), store.history("ch11"),
                                TODAY, days=days, sections=deck.meta.sections)
    assert json.loads(out) == json.loads(json.dumps(stats.as_json(want)))
