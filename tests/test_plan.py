"""Planning to an exam: the window rule as tables, forty simulated days against a model
written here, readiness on a known history, and the `plan` and `due` commands."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer.cli import app
from quizzer.model import Exam, LogEntry, Review
from quizzer.plan import (
    WINDOW_SLACK,
    build_plan,
    days_left_line,
    exam_due,
    required_new_per_day,
    window_cap,
    window_for,
)
from quizzer.readiness import READY, deciding_grades, readiness, recall
from quizzer.scheduler import NEW, State
from quizzer.session import Session
from tests.helpers import cards

D0 = date(2027, 3, 1)


def D(n: int) -> date:
    return D0 + timedelta(days=n)


EXAM = Exam(day=D(30), window=3, set_on=D0)  # window: days 27, 28, 29
CAP = 4


# -- the rule, as tables --------------------------------------------------------------

@pytest.mark.parametrize(
    ("graded", "sm2_due", "load", "expected", "why"),
    [
        (10, 20, {}, 20, "due before the window: kept exactly"),
        (10, 26, {}, 26, "due the day before the window: kept exactly"),
        (10, 30, {}, 29, "due on exam day: into the window, later day on a tie"),
        (10, 45, {27: 0, 28: 1, 29: 1}, 27, "after the exam: least-loaded window day"),
        (10, 45, {27: 2, 28: 1, 29: 2}, 28, "after the exam: least-loaded window day"),
        (10, 45, {27: 4, 28: 4, 29: 4}, 29, "every day full: still in the window"),
        (10, 28, {28: 3}, 28, "due in the window with room: kept"),
        (10, 28, {27: 1, 28: 4}, 27, "due on a full window day: earlier, never later"),
        (10, 27, {27: 4}, 27, "due on the first window day, full: nowhere earlier"),
        (26, 32, {}, 29, "graded the day before the window: moved"),
        (27, 33, {}, 33, "graded inside the window: SM-2's due date"),
        (29, 30, {}, 30, "graded on the eve of the exam: SM-2's due date"),
        (30, 36, {}, 36, "graded on exam day: plain SM-2"),
        (31, 37, {}, 37, "graded after the exam: plain SM-2"),
    ],
)
def test_window_rule(graded: int, sm2_due: int, load: dict[int, int], expected: int,
                     why: str) -> None:
    got = exam_due(EXAM, D(graded), D(sm2_due), {D(k): v for k, v in load.items()}, CAP)
    assert got == D(expected), why


def test_no_exam_no_change() -> None:
    assert exam_due(None, D(10), D(45), {}, CAP) == D(45)


@pytest.mark.parametrize(
    ("days_ahead", "wanted", "window"),
    [(30, 3, 3), (4, 3, 3), (3, 3, 2), (2, 3, 1), (1, 3, 1), (30, 5, 5), (30, 1, 1)],
)
def test_window_length(days_ahead: int, wanted: int, window: int) -> None:
    """K days by default; fewer when the exam is near, leaving a day to introduce cards."""
    assert window_for(D(days_ahead), D0, wanted) == window


@pytest.mark.parametrize(
    ("day", "unseen", "needed"),
    [(0, 23, 1), (0, 54, 2), (25, 5, 3), (26, 5, 5), (27, 5, 5), (29, 2, 2), (30, 5, 0),
     (10, 0, 0)],
)
def test_new_cards_needed_per_day(day: int, unseen: int, needed: int) -> None:
    assert required_new_per_day(EXAM, D(day), unseen) == needed


def test_cap() -> None:
    assert window_cap(23, 3) == 8 + WINDOW_SLACK
    assert window_cap(9, 3) == 3 + WINDOW_SLACK


def test_days_left_line() -> None:
    assert days_left_line(None, D0) is None
    assert days_left_line(EXAM, D0) == (
        f"Exam on {D(30)}: 30 days left, final review from {D(27)}.")
    assert days_left_line(EXAM, D(28)) == f"Exam on {D(30)}: 2 days left, final review now."
    assert days_left_line(EXAM, D(30)) == f"Exam today ({D(30)})."


# -- forty days with an exam on day 30, against a model written here -------------------

def model_sm2(s: State, q: int, day: date) -> State:
    """SM-2 from SM2.md, written again so the test does not trust quizzer.scheduler."""
    if q < 3:
        return State(0, 1, s.ease, day + timedelta(days=1),
                     s.lapses + (1 if s.repetitions else 0))
    ef = max(130, s.ease + 10 - (5 - q) * (8 + (5 - q) * 2))
    n = s.repetitions + 1
    interval = 1 if n == 1 else 6 if n == 2 else math.ceil(s.interval * ef / 100)
    return State(n, interval, ef, day + timedelta(days=interval), s.lapses)


def model_due(day: date, sm2: date, others: list[State], n_cards: int) -> date:
    """The README's window rule for EXAM, from a plain list of the other cards' states."""
    window = [D(27), D(28), D(29)]
    if day >= D(27) or sm2 < D(27):
        return sm2
    cap = math.ceil(n_cards / 3) + WINDOW_SLACK
    count = {w: sum(1 for s in others if s.due == w) for w in window}
    if sm2 in count and count[sm2] < cap:
        return sm2
    allowed = [w for w in window if w <= sm2]
    least = min(count[w] for w in allowed)
    return max(w for w in allowed if count[w] == least)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_forty_days_with_an_exam_on_day_30(seed: int) -> None:
    rng = random.Random(seed)
    deck = cards(23)
    ids = [c.id for c in deck]
    model: dict[str, State] = {}
    stored: dict[str, State] = {}
    window_reviews: dict[str, int] = dict.fromkeys(ids, 0)
    for n in range(40):
        day = D(n)
        log: list[LogEntry] = []
        session = Session.start(deck, stored, log, day, new_per_day=0, exam=EXAM)
        while (item := session.current) is not None:
            grade = rng.choice([0, 1, 2, 3, 3, 4, 4, 4, 5, 5])
            event = session.grade(grade)
            if item.kind == "schedule":
                before = model.get(item.card.id, NEW)
                sm2 = model_sm2(before, grade, day)
                others = [s for cid, s in model.items() if cid != item.card.id]
                due = model_due(day, sm2.due or day, others, len(ids))
                # SM-2 decides n, I, EF and lapses; only the due date may move, earlier.
                assert replace(event.after, due=None) == replace(sm2, due=None)
                assert event.after.due == due, (n, item.card.id, grade)
                assert event.after.due is not None and event.after.due <= (sm2.due or day)
                if n >= 27:
                    assert event.after.due == sm2.due  # in the window and after: plain SM-2
                model[item.card.id] = replace(sm2, due=due)
                if 27 <= n < 30:
                    window_reviews[item.card.id] += 1
            session.apply(event)
            log.append(LogEntry(event.card_id, grade, event.kind, event.before == NEW))
        stored = dict(session.states)
        assert stored == model
        if n == 26:  # the eve of the window: every card has been introduced
            assert set(model) == set(ids)
            load = [sum(1 for s in model.values() if s.due == D(w)) for w in (27, 28, 29)]
            assert max(load) <= window_cap(len(ids), 3), load
    # Every card had at least one deciding review in the window.
    assert min(window_reviews.values()) >= 1, window_reviews


def test_new_limit_rises_to_introduce_every_card_before_the_window() -> None:
    deck = cards(12)
    exam = Exam(day=D(6), window=3, set_on=D0)  # window: days 3, 4, 5
    session = Session.start(deck, {}, [], D0, new_per_day=2, exam=exam)
    assert session.new_limit == 4 and len(session.queue) == 4
    plain = Session.start(deck, {}, [], D0, new_per_day=20, exam=exam)
    assert len(plain.queue) == 12  # a higher limit is never lowered


# -- the day plan -----------------------------------------------------------------------

def test_plan_covers_each_day_and_says_when_the_new_limit_rises() -> None:
    ids = [c.id for c in cards(10)]
    plan = build_plan(ids, {}, EXAM, D0, new_per_day=0)
    assert [d.day for d in plan.days] == [D(n) for n in range(30)]
    assert [d.window for d in plan.days] == [n >= 27 for n in range(30)]
    assert sum(d.new for d in plan.days) == 10
    assert all(d.new == 0 for d in plan.days[27:])
    assert plan.raised_to == 1 and plan.unseen == 10
    window_load = [d.due for d in plan.days[27:]]
    assert sum(window_load) >= 10 and max(window_load) <= window_cap(10, 3)
    assert build_plan(ids, {}, EXAM, D0, new_per_day=20).raised_to is None


def reference_plan(card_ids: list[str], states: dict[str, State], exam: Exam,
                   today: date, new_per_day: int) -> tuple[dict[str, list[date]],
                                                           list[tuple[int, int]]]:
    """What build_plan plans, computed as it once did: the window's load counted afresh
    (adjust) for every planned grade. Quadratic, so only for small decks. Each card's
    planned days, and each day's (due, new) counts."""
    from quizzer.plan import PLAN_GRADE, adjust
    from quizzer.scheduler import review

    sim = {cid: states.get(cid, NEW) for cid in card_ids}
    unseen = [cid for cid in card_ids if sim[cid].is_new]
    planned: dict[str, list[date]] = {cid: [] for cid in card_ids}
    counts = []
    day = today
    while day < exam.day:
        limit = max(new_per_day, required_new_per_day(exam, day, len(unseen)))
        due = [cid for cid in card_ids if (d := sim[cid].due) is not None and d <= day]
        due.sort(key=lambda cid: sim[cid].due or day)
        fresh, unseen = unseen[:limit], unseen[limit:]
        for cid in [*due, *fresh]:
            sim[cid] = adjust(exam, review(sim[cid], PLAN_GRADE, day), day, cid, sim, card_ids)
            planned[cid].append(day)
        counts.append((len(due), len(fresh)))
        day += timedelta(days=1)
    return planned, counts


@pytest.mark.parametrize("seed", range(12))
def test_the_plan_keeps_the_window_load_as_counting_afresh_would(seed: int) -> None:
    """build_plan keeps the window's load up to date grade by grade; it plans exactly
    what counting the load afresh for each grade plans."""
    from quizzer.scheduler import review

    rng = random.Random(seed)
    ids = [f"c{i}" for i in range(rng.randint(5, 80))]
    states: dict[str, State] = {}
    for cid in ids[: rng.randint(0, len(ids))]:
        s = NEW
        for _ in range(rng.randint(1, 6)):
            s = review(s, rng.choice([3, 4, 5]), D0 - timedelta(days=rng.randint(1, 90)))
        states[cid] = replace(s, due=D0 + timedelta(days=rng.randint(-5, 60)))
    exam = Exam(D0 + timedelta(days=rng.randint(4, 40)), rng.randint(1, 5), D0)
    new_per_day = rng.randint(0, 8)
    plan = build_plan(ids, states, exam, D0, new_per_day)
    planned, counts = reference_plan(ids, states, exam, D0, new_per_day)
    assert {cid: [d for d, _ in v] for cid, v in plan.planned.items()} == planned
    assert [(d.due, d.new) for d in plan.days] == counts
    # Not vacuous: some grades were moved into the window.
    if seed == 0:
        assert any(d.window and d.due for d in plan.days)


# -- readiness --------------------------------------------------------------------------

def _review(cid: str, n: int, grade: int, kind: str = "schedule") -> Review:
    at = datetime.combine(D(n), datetime.min.time())
    return Review(0, cid, at, D(n), grade, kind, NEW, NEW, "", 0.0)  # type: ignore[arg-type]


def fsrs_recall_after_one_good(days: int) -> float:
    """FSRS-6's forgetting curve after one first Good, from its published default weights."""
    from fsrs.scheduler import DEFAULT_PARAMETERS as w

    decay = -w[20]
    factor = 0.9 ** (1 / decay) - 1
    return float((1 + factor * days / w[2]) ** decay)


def test_readiness_on_a_known_history() -> None:
    history = [
        _review("a", 0, 4),
        _review("b", 0, 4), _review("b", 0, 2, "drill"),  # a re-drill is not replayed
        _review("c", 0, 1),
        _review("d", 0, 0),
    ]
    ready = readiness(["a", "b", "c", "d", "new"], deciding_grades(history), D(10))
    r = dict(ready.cards)
    assert r["a"] == pytest.approx(fsrs_recall_after_one_good(10), abs=1e-9)
    assert r["b"] == r["a"]
    assert r["c"] == r["d"] < r["a"]  # 0, 1 and 2 are all Again
    assert r["new"] == 0.0
    assert ready.mean == pytest.approx(sum(r.values()) / 5)
    assert {cid for cid, _ in ready.below} == {cid for cid, v in r.items() if v < READY}
    assert ready.planned_mean is None


def test_readiness_rises_with_the_planned_reviews() -> None:
    history = [_review("a", 0, 4), _review("a", 1, 4)]
    plan = {"a": [(D(7), 4), (D(29), 4)], "new": [(D(5), 4), (D(6), 4)]}
    ready = readiness(["a", "new"], deciding_grades(history), D(30), plan)
    assert ready.planned_mean is not None and ready.planned_mean > ready.mean
    assert recall([(D(0), 5)], D(0)) == pytest.approx(1.0)
    assert recall([(D(0), 3)], D(20)) < recall([(D(0), 5)], D(20))


@pytest.mark.parametrize("seed", range(3))
def test_readiness_continues_each_cards_past_into_its_plan(seed: int) -> None:
    """Replaying a card's past once and continuing with its planned reviews gives what
    replaying past and plan together gives, card by card."""
    rng = random.Random(seed)
    ids = [f"c{i}" for i in range(12)]
    past = {cid: [(D(n), rng.randint(0, 5)) for n in sorted(rng.sample(range(20), k))]
            for cid in ids if (k := rng.randint(0, 4))}
    planned = {cid: [(D(n), 4) for n in sorted(rng.sample(range(21, 30), rng.randint(0, 3)))]
               for cid in ids if rng.random() < 0.7}
    ready = readiness(ids, past, D(30), planned)
    assert dict(ready.cards) == {cid: recall(past.get(cid, []), D(30)) for cid in ids}
    want = [recall([*past.get(cid, []), *planned.get(cid, [])], D(30)) for cid in ids]
    assert ready.planned_mean == pytest.approx(sum(want) / len(want), abs=0, rel=1e-15)


def test_the_stores_deciding_grades_are_those_of_the_whole_log(tmp_path: Path) -> None:
    from quizzer.session import Event
    from quizzer.store import Store

    rng = random.Random(7)
    with Store.open(tmp_path / "q.db") as store:
        for n in range(60):
            cid = rng.choice("abcd")
            kind = "drill" if rng.random() < 0.3 else "schedule"
            ev = Event(cid, kind, rng.randint(0, 5), D(n), NEW, NEW, "", 0.0)  # type: ignore[arg-type]
            store.import_history("deck", [(ev, datetime.combine(D(n), datetime.min.time()))])
        got = store.deciding_grades("deck")
        assert got == deciding_grades(store.history("deck")) and len(got) == 4


def test_a_long_readiness_list_is_the_grid_as_plain_lines(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past 2,000 cards the list is written as plain lines, laid out as the grid."""
    import io

    from rich.console import Console

    from quizzer.index import Listed
    from quizzer.readiness import Readiness
    from quizzer.ui import plan as ui_plan

    cards_ = [Listed("a", 1, "S", None), Listed("bbbbbb", 12, "S", None),
              Listed("cc", 100, "S", None)]
    ready = Readiness(0.5, (("a", 0.1), ("bbbbbb", 0.55), ("cc", 0.7), ("gone", 0.2)), 0.6)

    def shown(limit: int) -> str:
        buf = io.StringIO()
        monkeypatch.setattr(ui_plan, "out", lambda: Console(file=buf, width=100))
        monkeypatch.setattr(ui_plan, "WRAPPED_ROWS_LIMIT", limit)
        ui_plan.show_readiness(cards_, ready)
        return buf.getvalue()

    grid = shown(2000)
    assert "#100  cc      0.70" in grid and "#?    gone" in grid
    assert shown(0) == grid


# -- the commands -----------------------------------------------------------------------

runner = CliRunner()


def invoke(*args: str, today: str = "2026-12-01", input: str | None = None
           ) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input,
                           env={"QUIZZER_TODAY": today, "COLUMNS": "160"})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_plan_json_shape_and_due_days_left() -> None:
    code, _, _ = invoke("review", input="x\n5\n" * 3)
    assert code == 0
    code, out, _ = invoke("plan", "--exam", "2026-12-31", "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["deck", "exam", "days_left", "window_days", "unseen", "days",
                          "readiness"]
    assert data["exam"] == "2026-12-31" and data["days_left"] == 30
    assert data["window_days"] == 3 and data["unseen"] == 16
    assert len(data["days"]) == 30
    assert all(list(d) == ["date", "due", "new"] for d in data["days"])
    assert data["days"][0] == {"date": "2026-12-01", "due": 0, "new": 16}
    assert list(data["readiness"]) == ["mean", "cards"]
    assert len(data["readiness"]["cards"]) == 19
    assert all(list(c) == ["id", "recall"] for c in data["readiness"]["cards"])
    assert sum(c["recall"] > 0 for c in data["readiness"]["cards"]) == 3

    code, out, _ = invoke("due", "--json", today="2026-12-02")
    assert json.loads(out)["days_left"] == 29
    code, out, _ = invoke("due", today="2026-12-02")
    assert "29 days left" in out
    code, out, _ = invoke("plan")
    assert code == 0 and "final review" in out and "estimate" in out

    code, out, err = invoke("plan", "--clear")
    assert code == 0 and "cleared" in err and out == ""  # a status line: stderr
    code, out, _ = invoke("due", "--json")
    assert "days_left" not in json.loads(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan"], "no exam date"),
        (["plan", "--exam", "2026-13-01"], "not a date"),
        (["plan", "--exam", "2026-12-01"], "after today"),
        (["plan", "--exam", "2026-12-20", "--clear"], "not both"),
    ],
)
def test_plan_errors_are_one_line(args: list[str], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 1 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_passed_exam_is_reported() -> None:
    assert invoke("plan", "--exam", "2026-12-05")[0] == 0
    code, _, err = invoke("plan", today="2026-12-06")
    assert code == 1 and "plain SM-2" in err


def test_review_moves_a_due_date_past_the_exam_into_the_window() -> None:
    assert invoke("plan", "--exam", "2026-12-06")[0] == 0  # window: 12-03, 12-04, 12-05
    assert invoke("review", input="x\n5\nq\n")[0] == 0
    code, out, _ = invoke("review", input="x\n5\nq\n", today="2026-12-02")
    assert code == 0
    _, out, _ = invoke("cards", "--json")
    first = json.loads(out)[0]
    # SM-2: n 2, I 6, due 12-08, after the exam; moved to the later of the empty window days.
    assert (first["repetitions"], first["interval"], first["due"]) == (2, 6, "2026-12-05")


def test_review_shows_the_days_to_the_moved_due_date_not_sm2s_interval() -> None:
    assert invoke("plan", "--exam", "2026-12-06")[0] == 0  # window: 12-03, 12-04, 12-05
    assert invoke("review", input="x\n5\nq\n")[0] == 0
    code, out, _ = invoke("review", input="x\n5\nq\n", today="2026-12-02")
    assert code == 0
    # SM-2 says 6 days (12-08, after the exam); the due date moved to 12-05, 3 days away.
    assert "5→3d" in out and "5→6d" not in out
    assert "Next review in 3 day(s), on 2026-12-05." in out


def test_plan_without_an_exam_date_says_how_to_set_one() -> None:
    code, out, err = invoke("plan")
    assert code == 1 and out == ""
    assert "deck 'ch11' has no exam date; set one with quizzer plan --exam YYYY-MM-DD" in err
    assert invoke("plan", "--exam", "2026-12-31")[0] == 0
    assert invoke("plan", "--clear")[0] == 0
    assert invoke("plan")[0] == 1
