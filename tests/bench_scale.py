"""Benchmark: quizzer on a large collection, whole process, side by side with Anki.

`python tests/bench_scale.py build DIR --cards N --reviews-per-card R` writes an N-card
deck at DIR/deck and a database at DIR/quizzer.db holding R review-log rows per card,
written through the store's own code (Store.import_history), each card's state the
after-state of its last scheduling row. About 10% of the cards are due on the build's
review day (QUIZZER_TODAY, default 2026-12-01), the rest over the next year.

`python tests/bench_scale.py run --cards N [--runs K]` builds in a temporary folder and
prints the median of K whole-process runs for each measure. Where the `anki` package is
installed (pip install anki) it builds the equivalent Anki collection (same notes, same
schedules, same number of revlog rows) and prints its numbers and the ratio beside ours.
It prints numbers and asserts nothing; CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from quizzer.model import Event
from quizzer.scheduler import NEW, REDRILL_UNTIL, State, review
from quizzer.store import Store

TODAY = date(2026, 12, 1)
SECTIONS = [f"Lecture {i:02d}" for i in range(1, 41)]
CARD = """\
id: card-{n:06d}
number: {n}
section: {section}
tags: [bench, lecture-{lecture:02d}]
question: {question}
answer: |
{answer}
key_points:
{key_points}
"""
ANSWER = """\
The answer to question {n}, with a little *Markdown*, `code` and a formula
such as f(x) = x * sigmoid(x). It is about as long as a real card's answer,
two or three sentences of plain text that a student types from memory."""


@dataclass(frozen=True)
class Note:
    """One card's text: the YAML file's and the Anki twin's note's, from one source."""

    question: str
    answer: str  # lines
    key_points: tuple[str, ...]
    section: str
    tags: tuple[str, ...]


def note(n: int) -> Note:
    lecture = 1 + n % len(SECTIONS)
    return Note(f"What is question {n}, about topic {n % 97}?", ANSWER.format(n=n),
                (f"First point of card {n}.", f"Second point of card {n}."),
                SECTIONS[lecture - 1], ("bench", f"lecture-{lecture:02d}"))


@dataclass(frozen=True)
class Schedule:
    """One card's simulated history: its log and final state."""

    card_id: str
    events: list[tuple[Event, datetime]]
    state: State


def card_text(n: int) -> str:
    text = note(n)
    return CARD.format(
        n=n, section=text.section, lecture=1 + n % len(SECTIONS), question=text.question,
        answer="\n".join(f"  {line}" for line in text.answer.splitlines()),
        key_points="\n".join(f"  - {p}" for p in text.key_points))


def simulate(n: int, rows: int, today: date) -> Schedule:
    """`rows` log rows for card n, each review on its due day, shifted so that the final
    due date is today (10%) or later within a year; the schedule is shift-invariant.
    Seeded by n, so the Anki twin gets the same history without keeping it in memory."""
    rng = random.Random(n)
    cid = f"card-{n:06d}"
    due_today = rng.random() < 0.1
    while True:
        raw: list[tuple[str, int, date, State, State]] = []
        state, day = NEW, date(2000, 1, 1)
        while len(raw) < rows:
            grade = rng.choices((5, 4, 3, 2), weights=(3, 5, 2, 1))[0]
            after = review(state, grade, day)
            raw.append(("schedule", grade, day, state, after))
            if grade < REDRILL_UNTIL and len(raw) < rows:
                raw.append(("drill", 4, day, after, after))
            state = after
            assert state.due is not None
            day = state.due
        # A card not due today needs an interval above 1 to have its last review before
        # today (so that today's log starts empty); draw again until it has one.
        if due_today or state.interval > 1:
            break
    assert state.due is not None
    if due_today:
        target = today - timedelta(days=rng.randrange(0, 30))
    else:
        target = today + timedelta(days=rng.randint(1, min(365, state.interval - 1)))
    shift = target - state.due

    def moved(s: State) -> State:
        return State(s.repetitions, s.interval, s.ease, s.due + shift if s.due else None,
                     s.lapses)

    events = []
    for kind, grade, d, before, after in raw:
        at = datetime.combine(d + shift, datetime.min.time()).replace(hour=12)
        events.append((Event(cid, kind, grade, d + shift, moved(before),  # type: ignore[arg-type]
                             moved(after), f"typed answer {n}", 20.0), at))
    return Schedule(cid, events, moved(state))


def schedules(cards: int, rows: int, today: date) -> Iterator[Schedule]:
    return (simulate(n, rows, today) for n in range(1, cards + 1))


def build(root: Path, cards: int, rows: int, today: date = TODAY) -> None:
    """Write root/deck and root/quizzer.db."""
    deck = root / "deck"
    deck.mkdir(parents=True)
    (deck / "deck.yaml").write_text(
        "id: bench\ntitle: Benchmark deck\nsections:\n"
        + "".join(f"  - {s}\n" for s in SECTIONS))
    for n in range(1, cards + 1):
        (deck / f"c{n:06d}.yaml").write_text(card_text(n))

    def events() -> Iterator[tuple[Event, datetime]]:
        for s in schedules(cards, rows, today):
            yield from s.events

    with Store.open(root / "quizzer.db") as store:
        store.import_history("bench", events())


# -- measuring -------------------------------------------------------------------------

def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of one whole process. The RSS is measured by
    /usr/bin/time where there is one: a child's ru_maxrss from wait4 starts at its
    parent's (this script's) size at fork."""
    tool = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    proc = subprocess.run([*tool, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env)
    elapsed = time.perf_counter() - start
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed: {err}")
    last = err.strip().splitlines()[-1] if tool and err.strip() else ""
    return elapsed, int(last) if last.isdigit() else 0


def first_output(cmd: list[str], env: dict[str, str], marker: bytes) -> float:
    """Seconds from start until `marker` is on stdout (the first card's prompt)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None and proc.stdin is not None
    seen = b""
    while marker not in seen:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            raise SystemExit(f"{cmd} ended before printing {marker!r}")
        seen = seen[-len(marker):] + chunk
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    proc.stdout.read()
    proc.wait()
    return elapsed


def median(f: Callable[[], float], runs: int) -> float:
    return statistics.median(f() for _ in range(runs))


def grade_ms(db: Path, card_ids: list[str], today: date, grades: int) -> float:
    """Median milliseconds of one durable grade through the store, in process."""
    times = []
    with Store.open(db) as store:
        # The state each card holds: the store refuses a grade computed from another.
        states = store.states_of("bench", card_ids[:grades])
        for cid in card_ids[:grades]:
            before = states.get(cid, NEW)
            ev = Event(cid, "schedule", 4, today, before, review(before, 4, today))
            start = time.perf_counter()
            store.record("bench", ev, datetime.now())
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def quizzer_measures(root: Path, cards: int, runs: int) -> dict[str, float]:
    deck = root / "deck"
    env = dict(os.environ, QUIZZER_DB=str(root / "quizzer.db"), QUIZZER_DECK=str(deck),
               QUIZZER_TODAY=TODAY.isoformat(), COLUMNS="100",
               XDG_CACHE_HOME=str(root / "cache"))
    q = [sys.executable, "-m", "quizzer"]
    out: dict[str, float] = {}
    out["floor: python -c 'import sqlalchemy, typer' (s)"] = median(
        lambda: timed([sys.executable, "-c", "import sqlalchemy, typer"], env)[0], runs)
    start = time.perf_counter()
    timed([*q, "due"], env)
    out["first run (cold, s)"] = time.perf_counter() - start
    # The second command of a deck this large starts its watcher (quizzer/watch.py) and
    # scans; warm runs then ask the watcher. Without one, every command scans.
    out["second run: starts the watcher (s)"] = timed([*q, "due"], env)[0]
    warm = [timed([*q, "due"], env) for _ in range(runs)]
    out["due warm (s)"] = statistics.median(t for t, _ in warm)
    out["due peak memory (MB)"] = max(m for _, m in warm) / 1024
    no_watch = dict(env, QUIZZER_WATCH="off")
    out["due warm, no watcher (s)"] = median(lambda: timed([*q, "due"], no_watch)[0], runs)

    def cold() -> float:
        # A never-seen deck: a fresh copy at a new path and an empty cache.
        fresh = root / f"cold-{time.monotonic_ns()}"
        shutil.copytree(deck, fresh)
        env_cold = dict(env, QUIZZER_DECK=str(fresh), XDG_CACHE_HOME=str(fresh) + ".cache")
        t = timed([*q, "due"], env_cold)[0]
        shutil.rmtree(fresh)
        shutil.rmtree(str(fresh) + ".cache", ignore_errors=True)
        return t

    out["due cold (s)"] = median(cold, max(1, runs // 2))
    edits = iter(range(1, cards + 1, max(1, cards // (runs + 1))))

    def edited() -> float:
        n = next(edits)
        path = deck / f"c{n:06d}.yaml"
        path.write_text(card_text(n).replace("What is question", "Which is question"))
        return timed([*q, "due"], env)[0]

    out["due after one edit (s)"] = median(edited, runs)
    out["review: first card (s)"] = median(
        lambda: first_output([*q, "review"], env, b"Your answer"), runs)
    out["cards --json (s)"] = median(lambda: timed([*q, "cards", "--json"], env)[0], runs)
    export = [*q, "export", "--no-demos", "-o", str(root / "summary.md")]
    # The first export renders every card and keeps the text (deck_render); later ones
    # render only cards whose file changed.
    out["export --no-demos, first: renders every card (s)"] = timed(export, env)[0]
    out["export --no-demos (s)"] = median(lambda: timed(export, env)[0], runs)
    out["export --no-demos peak memory (MB)"] = timed(export, env)[1] / 1024
    copy = root / "grade.db"
    shutil.copy(root / "quizzer.db", copy)
    out["one grade, in process (ms)"] = grade_ms(
        copy, [f"card-{n:06d}" for n in range(1, cards + 1)], TODAY, 200)
    return out


# -- Anki ------------------------------------------------------------------------------

ANKI_DUE = """
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
print(col.sched.counts())
col.close()
"""
ANKI_FIRST = """
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
card = col.sched.getCard()
print(card.question(), flush=True)
print("Your answer", flush=True)
col.close()
"""
ANKI_LIST = """
import json, sys
from anki.collection import Collection
col = Collection(sys.argv[1])
rows = col.db.all("select c.id, n.flds, c.type, c.ivl, c.factor, c.due, c.lapses "
                  "from cards c join notes n on n.id = c.nid order by c.id")
sys.stdout.write(json.dumps([{"id": r[0], "fields": r[1].split("\\x1f"), "type": r[2],
    "interval": r[3], "ease": r[4] / 1000, "due": r[5], "lapses": r[6]} for r in rows],
    indent=2, ensure_ascii=False) + "\\n")
col.close()
"""
ANKI_EXPORT = """
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
col.export_note_csv(out_path=sys.argv[2], limit=None, with_html=True, with_tags=True,
                    with_deck=True, with_notetype=True, with_guid=False)
col.close()
"""


def anki_available() -> bool:
    try:
        import anki  # noqa: F401
    except ImportError:
        return False
    return True


def build_anki(path: Path, cards: int, rows: int, today: date) -> None:
    """The same notes, schedules and log as an Anki collection, through Anki's own API for
    notes and its database for the bulk schedule and revlog rows (as an importer does)."""
    from anki.collection import Collection

    col = Collection(str(path))
    model = col.models.by_name("Basic")
    assert model is not None
    deck_id = col.decks.id("Default")
    assert deck_id is not None
    notes = []
    from anki.collection import AddNoteRequest

    for n in range(1, cards + 1):
        # The card file's text, as a student would keep it in Anki: the question on the
        # front; the answer and its key points on the back, in Anki's HTML; the tags.
        text = note(n)
        anki_note = col.new_note(model)
        anki_note["Front"] = text.question
        anki_note["Back"] = ("<br>".join(text.answer.splitlines()) + "<ul>"
                             + "".join(f"<li>{p}</li>" for p in text.key_points) + "</ul>")
        anki_note.tags = list(text.tags)
        notes.append(AddNoteRequest(note=anki_note, deck_id=deck_id))
    col.add_notes(notes)
    crt_day = date.fromtimestamp(col.crt)
    # Anki counts review days from the collection's creation; shift it so the build's
    # review day is "today" on this machine.
    offset = (date.today() - today).days
    db = col.db
    assert db is not None
    cids = db.list("select id from cards order by id")
    card_rows, rev_rows = [], []
    rev_id = 1_500_000_000_000
    for cid, s in zip(cids, schedules(cards, rows, today), strict=True):
        st = s.state
        assert st.due is not None
        due = (st.due - crt_day).days + offset
        card_rows.append((2, 2, due, st.interval, st.ease * 10, st.repetitions, st.lapses, cid))
        for ev, _ in s.events:
            rev_id += 1
            rev_rows.append((rev_id, cid, -1, ev.grade if ev.grade else 1, ev.after.interval,
                             ev.before.interval, ev.after.ease * 10, 20000,
                             1 if ev.kind == "schedule" else 3))
    db.executemany("update cards set type=?, queue=?, due=?, ivl=?, factor=?, reps=?, "
                       "lapses=? where id=?", card_rows)
    db.executemany("insert into revlog values (?,?,?,?,?,?,?,?,?)", rev_rows)
    col.close()


def anki_grade_ms(path: Path, grades: int) -> float:
    from anki.collection import Collection

    col = Collection(str(path))
    times = []
    for _ in range(grades):
        card = col.sched.getCard()
        if card is None:
            break
        start = time.perf_counter()
        col.sched.answerCard(card, 3)
        times.append(time.perf_counter() - start)
    col.close()
    return statistics.median(times) * 1000


def anki_measures(root: Path, cards: int, rows: int, runs: int) -> dict[str, float]:
    path = root / "anki" / "collection.anki2"
    path.parent.mkdir()
    start = time.perf_counter()
    build_anki(path, cards, rows, TODAY)
    print(f"  anki collection built in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    py = sys.executable
    env = dict(os.environ)

    def run(script: str, *args: str) -> float:
        return timed([py, "-c", script, str(path), *args], env)[0]

    out: dict[str, float] = {}
    warm = [timed([py, "-c", ANKI_DUE, str(path)], env) for _ in range(runs + 1)][1:]
    out["due warm (s)"] = statistics.median(t for t, _ in warm)
    out["due peak memory (MB)"] = max(m for _, m in warm) / 1024

    def cold() -> float:
        fresh = root / "anki" / f"cold-{time.monotonic_ns()}.anki2"
        shutil.copy(path, fresh)
        t = timed([py, "-c", ANKI_DUE, str(fresh)], env)[0]
        fresh.unlink()
        return t

    out["due cold (s)"] = median(cold, max(1, runs // 2))
    out["first run (cold, s)"] = out["due cold (s)"]
    out["due after one edit (s)"] = out["due warm (s)"]
    out["review: first card (s)"] = median(
        lambda: first_output([py, "-c", ANKI_FIRST, str(path)], env, b"Your answer"), runs)
    out["cards --json (s)"] = median(lambda: run(ANKI_LIST), runs)
    out["export --no-demos (s)"] = median(
        lambda: run(ANKI_EXPORT, str(root / "anki" / "notes.txt")), max(1, runs // 2))
    copy = root / "anki" / "grade.anki2"
    shutil.copy(path, copy)
    out["one grade, in process (ms)"] = anki_grade_ms(copy, 200)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write DIR/deck and DIR/quizzer.db")
    b.add_argument("dir", type=Path)
    b.add_argument("--cards", type=int, default=5000)
    b.add_argument("--reviews-per-card", type=int, default=10)
    r = sub.add_parser("run", help="build in a temporary folder and measure")
    r.add_argument("--cards", type=int, default=5000)
    r.add_argument("--reviews-per-card", type=int, default=10)
    r.add_argument("--runs", type=int, default=5)
    r.add_argument("--no-anki", action="store_true", help="skip Anki even if installed")
    r.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    today = date.fromisoformat(os.environ.get("QUIZZER_TODAY") or TODAY.isoformat())
    if args.command == "build":
        build(args.dir, args.cards, args.reviews_per_card, today)
        return
    with tempfile.TemporaryDirectory(prefix="quizzer-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        build(root, args.cards, args.reviews_per_card)
        print(f"  built {args.cards} cards, {args.cards * args.reviews_per_card} log rows in "
              f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
        ours = quizzer_measures(root, args.cards, args.runs)
        theirs = (anki_measures(root, args.cards, args.reviews_per_card, args.runs)
                  if anki_available() and not args.no_anki else {})
    print(f"{args.cards:,} cards, {args.cards * args.reviews_per_card:,} log rows, "
          f"median of {args.runs} whole-process runs (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs)")
    print("| measure | quizzer | Anki | ratio |\n|---|---|---|---|")
    for name, value in ours.items():
        other = theirs.get(name)
        ratio = f"{value / other:.2f}×" if other else "—"
        print(f"| {name} | {value:.3g} | {f'{other:.3g}' if other else '—'} | {ratio} |")
    if args.json:
        args.json.write_text(json.dumps({"cards": args.cards, "quizzer": ours, "anki": theirs},
                                        indent=2))


if __name__ == "__main__":
    main()
