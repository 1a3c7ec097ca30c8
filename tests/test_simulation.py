"""Sixty days of review over the bundled deck, checked every day against a reference model.

The reference model below is written independently of quizzer.scheduler: it keeps the
E-Factor as an exact Fraction and follows SM2.md line by line. Each day the test asks
`quizzer due` what today holds, answers the queue the model predicts through piped
input, and compares every card's schedule from `quizzer cards --json` with the model.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from typer.testing import CliRunner

from quizzer.cli import app

START = date(2027, 1, 4)
NEW_PER_DAY = 5
PATTERN = [5, 4, 3, 4, 2, 5, 4, 1, 4, 5, 0, 3, 4]


@dataclass
class Ref:
    n: int = 0
    interval: int = 0
    ef: Fraction = Fraction(5, 2)
    due: date | None = None
    lapses: int = 0

    def grade(self, q: int, day: date) -> None:
        if q >= 3:
            self.ef = max(Fraction(13, 10),
                          self.ef + Fraction(1, 10) - (5 - q) * (Fraction(8, 100)
                                                                  + (5 - q) * Fraction(2, 100)))
            self.n += 1
            self.interval = 1 if self.n == 1 else 6 if self.n == 2 else math.ceil(
                self.interval * self.ef)
            self.interval = min(self.interval, 36_500)
        else:
            if self.n > 0:
                self.lapses += 1
            self.n, self.interval = 0, 1
        self.due = day + timedelta(days=self.interval)


def test_sixty_days_follow_sm2() -> None:
    runner = CliRunner()

    def run(*args: str, day: date, input: str | None = None) -> str:
        result = runner.invoke(app, [*args, "--new", str(NEW_PER_DAY)] if args[0] != "cards"
                               else list(args), input=input,
                               env={"QUIZZER_TODAY": day.isoformat()})
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    first = json.loads(run("cards", "--json", day=START))
    numbers = {c["id"]: c["number"] for c in first}
    ref = {cid: Ref() for cid in numbers}
    reviewed_total = 0
    for offset in range(60):
        day = START + timedelta(days=offset)
        due = sorted((r.due, numbers[cid], cid) for cid, r in ref.items()
                     if r.due is not None and r.due <= day)
        new = sorted((numbers[cid], cid) for cid, r in ref.items() if r.due is None)
        queue = [cid for _, _, cid in due] + [cid for _, cid in new[:NEW_PER_DAY]]

        today = json.loads(run("due", "--json", day=day))
        assert (today["due"], today["new"], today["redrill"]) == (
            len(due), min(NEW_PER_DAY, len(new)), 0), day

        lines, drills = [], []
        for cid in queue:
            q = PATTERN[(numbers[cid] * 5 + offset) % len(PATTERN)]
            ref[cid].grade(q, day)
            lines.append(f"answer {cid}\n{q}\n")
            if q < 4:
                drills.append(cid)
        lines += ["\n4\n" for _ in drills]  # every re-drill passes on its first repeat
        out = run("review", day=day, input="".join(lines))
        reviewed_total += len(queue)
        if queue:
            assert re.search(rf"Cards decided +{len(queue)}\b", out)
            assert re.search(rf"Re-drills +{len(drills)}\b", out)
        else:
            assert "Nothing to review today" in out

        for card in json.loads(run("cards", "--json", day=day)):
            r = ref[card["id"]]
            assert (card["repetitions"], card["interval"], card["due"], card["lapses"]) == (
                r.n, r.interval, r.due.isoformat() if r.due else None, r.lapses), (day, card)
            assert Fraction(str(card["ease"])) == r.ef
        # Nothing is left over: re-drills were finished and no card is due again today.
        assert json.loads(run("due", "--json", day=day))["total"] == 0

    assert reviewed_total > 60
    assert all(r.due is not None for r in ref.values())
